"""A minimal test library: SshNodeAccess behind keywords that take the password as a Secret."""
from robot.api.deco import keyword
from robot.api.types import Secret

from CpusetLibrary.nodeaccess.ssh import SshNodeAccess


@keyword
def read_plugin_log_over_ssh(port: int, user: str, password: Secret, log_path: str,
                             restart_command: str = "true") -> int:
    node = SshNodeAccess("127.0.0.1", port, user=user, password=password, log_path=log_path,
                         restart_command=restart_command, command_timeout=5)
    try:
        mark = node.mark()
        node.read_since(mark)
        node.restart_plugin(timeout=1)  # 'true' logs no sync line: fails after one second
        return mark.offset
    finally:
        node.close()
