"""Variable file giving SSH_PASSWORD as a Robot secret from the environment variable
NRI_SSH_PASSWORD, for runs where the command line is written to disk (nricpuset-fleet:
pabot stores every process's options under pabot_results/). Fails naming the variable when it
is not set.

    read -rs NRI_SSH_PASSWORD; export NRI_SSH_PASSWORD
    nricpuset-fleet -V resources/real-cluster-ssh.yaml -V resources/ssh_password_from_env.py ...
"""
from __future__ import annotations

import os

from robot.api.types import Secret

ENVIRONMENT_VARIABLE = "NRI_SSH_PASSWORD"


def get_variables() -> dict[str, Secret]:
    password = os.environ.get(ENVIRONMENT_VARIABLE)
    if not password:
        raise RuntimeError(f"environment variable {ENVIRONMENT_VARIABLE} is not set or empty: export the "
                           "SSH password there (read -rs NRI_SSH_PASSWORD; export NRI_SSH_PASSWORD)")
    return {"SSH_PASSWORD": Secret(password)}
