"""Secret variables in every form become Secret; the registry masks values in any text."""
from __future__ import annotations

import pytest
import yaml
from robot.api.types import Secret

from CpusetLibrary.secrets import SecretRegistry, kubeconfig_secrets, plain_to_secret, protect_secret_variables


@pytest.mark.parametrize("given, expected", [
    ("hunter22", "hunter22"),
    ("Secret:hunter22", "hunter22"),
    ("secret: hunter22", "hunter22"),
    ("%{PW_ENV}", "from-env"),
])
def test_plain_forms_become_secret(given, expected):
    secret, note = plain_to_secret("SSH_PASSWORD", given, {"PW_ENV": "from-env"})
    assert isinstance(secret, Secret) and secret.value == expected
    assert expected not in note and given not in note


def test_missing_value_is_read_from_the_environment_variable():
    secret, note = plain_to_secret("SSH_PASSWORD", None, {"SSH_PASSWORD": "envpass"})
    assert secret.value == "envpass" and "environment variable SSH_PASSWORD" in note
    assert plain_to_secret("SSH_PASSWORD", None, {}) == (None, "")


def test_an_unset_environment_reference_is_refused_without_a_value():
    with pytest.raises(ValueError, match="NOPE, which is not set"):
        plain_to_secret("SSH_PASSWORD", "%{NOPE}", {})


def test_protect_sets_secret_globally_and_registers_it():
    variables = {"${SSH_PASSWORD}": "hunter22", "${SSH_KEY_PASSPHRASE}": None}
    registry = SecretRegistry()
    protect_secret_variables(variables.get, variables.__setitem__, registry, environ={})
    assert isinstance(variables["${SSH_PASSWORD}"], Secret)
    assert registry.scrub("login hunter22 failed") == "login *** failed"


def test_kubeconfig_secrets_are_the_users_credentials_not_paths():
    data = yaml.safe_load("""
users:
- name: u
  user: {token: tok-123456, client-key-data: S0VZREFUQQ==, client-key: /etc/key.pem, username: admin,
         exec: {command: aws, args: [eks, get-token], env: [{name: AWS_SECRET, value: s3cr3t-value}]}}
""")
    found = kubeconfig_secrets(data)
    assert {"tok-123456", "S0VZREFUQQ==", "s3cr3t-value"} <= set(found)
    assert "/etc/key.pem" not in found and "admin" not in found
