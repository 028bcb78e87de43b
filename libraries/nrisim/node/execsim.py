"""The few commands a test runs inside a container, answered from its modeled cpuset."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .procfs import format_cpu_list, proc_status
from ..topology import Topology

_SIBLINGS = re.compile(r"/sys/devices/system/cpu/cpu(\d+)/topology/thread_siblings_list")
_NODE_CPULIST = re.compile(r"/sys/devices/system/node/node(\d+)/cpulist")


@dataclass(frozen=True)
class ExecContext:
    """What a process in the container sees: its cpuset and mems, and the node's topology
    (sysfs is the host's, as in a real container)."""

    cpus: frozenset[int]
    mems: frozenset[int]
    nr_cpus: int
    topology: Topology | None = None


@dataclass
class ExecResult:
    exit_code: int
    stdout: str = ""
    stderr: str = ""


def read_file(path: str, ctx: ExecContext) -> str | None:
    cpus, mems = ctx.cpus, ctx.mems
    if path in ("/proc/1/status", "/proc/self/status"):
        return proc_status(set(cpus), set(mems), ctx.nr_cpus, pid=1 if path == "/proc/1/status" else 7,
                           name="sleep" if path == "/proc/1/status" else "cat")
    if path in ("/sys/fs/cgroup/cpuset.cpus.effective", "/sys/fs/cgroup/cpuset.cpus"):
        return format_cpu_list(cpus) + "\n"
    if path in ("/sys/fs/cgroup/cpuset.mems.effective", "/sys/fs/cgroup/cpuset.mems"):
        return format_cpu_list(mems) + "\n"
    topo = ctx.topology or Topology(ctx.nr_cpus, 1, 1)
    return _sysfs(path, topo)


def _sysfs(path: str, topo: Topology) -> str | None:
    """The host's CPU and NUMA sysfs files a container can read (offline CPUs have no
    ``topology`` directory, as on a real kernel)."""
    if path == "/sys/devices/system/cpu/online":
        return format_cpu_list(topo.online) + "\n"
    if path == "/sys/devices/system/cpu/offline":
        return format_cpu_list(topo.offline) + "\n"
    if path in ("/sys/devices/system/cpu/possible", "/sys/devices/system/cpu/present"):
        return f"0-{topo.cpus - 1}\n"
    if path in ("/sys/devices/system/node/online", "/sys/devices/system/node/possible",
                "/sys/devices/system/node/has_memory"):
        return format_cpu_list(topo.memory_nodes) + "\n"
    match = _SIBLINGS.fullmatch(path)
    if match and int(match.group(1)) in topo.group_of:
        return format_cpu_list(topo.siblings(int(match.group(1)))) + "\n"
    match = _NODE_CPULIST.fullmatch(path)
    if match and int(match.group(1)) < topo.numa_nodes:
        return format_cpu_list(topo.node_cpus(int(match.group(1)))) + "\n"
    return None


def _cat(args: list[str], stdin: str, ctx: ExecContext) -> ExecResult:
    if not args:
        return ExecResult(0, stdin)
    out, err, code = [], [], 0
    for path in args:
        text = read_file(path, ctx)
        if text is None:
            err.append(f"cat: can't open '{path}': No such file or directory\n")
            code = 1
        else:
            out.append(text)
    return ExecResult(code, "".join(out), "".join(err))


def _grep(args: list[str], stdin: str, ctx: ExecContext) -> ExecResult:
    flags = [a for a in args if a.startswith("-")]
    rest = [a for a in args if not a.startswith("-")]
    if not rest:
        return ExecResult(2, "", "BusyBox v1.36.1 multi-call binary.\n\nUsage: grep [-E] PATTERN [FILE]...\n")
    pattern, files = rest[0], rest[1:]
    text = stdin
    if files:
        res = _cat(files, "", ctx)
        if res.exit_code:
            return ExecResult(2, "", res.stderr.replace("cat:", "grep:"))
        text = res.stdout
    try:
        regex = re.compile(pattern if ("-E" in flags or "-e" in flags) else pattern.replace("\\|", "|"))
    except re.error as err:
        return ExecResult(2, "", f"grep: bad regex '{pattern}': {err}\n")
    lines = [line for line in text.splitlines() if regex.search(line)]
    return ExecResult(0 if lines else 1, "".join(line + "\n" for line in lines))


def _single(argv: list[str], stdin: str, ctx: ExecContext) -> ExecResult:
    prog, args = argv[0].rsplit("/", 1)[-1], argv[1:]
    if prog == "cat":
        return _cat(args, stdin, ctx)
    if prog == "grep":
        return _grep(args, stdin, ctx)
    if prog == "nproc":
        return ExecResult(0, f"{len(ctx.cpus)}\n")
    if prog == "echo":
        return ExecResult(0, " ".join(args) + "\n")
    if prog == "true":
        return ExecResult(0)
    if prog == "false":
        return ExecResult(1)
    if prog == "taskset" and args[:1] == ["-pc"] and len(args) == 2:
        return ExecResult(0, f"pid {args[1]}'s current affinity list: {format_cpu_list(ctx.cpus)}\n")
    if prog in ("sh", "bash", "ash") and len(args) >= 2 and args[0] == "-c":
        return run_shell(args[1], ctx)
    return ExecResult(127, "", f'exec: "{argv[0]}": executable file not found in $PATH\n')


def run_shell(script: str, ctx: ExecContext) -> ExecResult:
    """A tiny ``sh -c``: pipelines of the supported commands, joined by ``;``/``&&``."""
    result = ExecResult(0)
    out, err = [], []
    for sequence in re.split(r"\s*;\s*", script.strip()):
        if not sequence:
            continue
        stdin = ""
        try:
            stages = [shlex.split(stage) for stage in sequence.split("|")]
        except ValueError as e:
            return ExecResult(2, "".join(out), "".join(err) + f"sh: syntax error: {e}\n")
        for argv in stages:
            if not argv:
                return ExecResult(2, "".join(out), "".join(err) + "sh: syntax error: unexpected \"|\"\n")
            result = _single(argv, stdin, ctx)
            if result.exit_code == 127:
                result.stderr = f"sh: {argv[0]}: not found\n"
            err.append(result.stderr)
            stdin = result.stdout
        out.append(stdin)
    return ExecResult(result.exit_code, "".join(out), "".join(err))


def run_command(argv: list[str], ctx: ExecContext) -> ExecResult:
    if not argv:
        return ExecResult(127, "", "exec: no command given\n")
    return _single(argv, "", ctx)
