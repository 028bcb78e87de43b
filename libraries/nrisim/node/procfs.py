"""Text of the files a test reads inside a container, rendered from its modeled cpuset."""
from __future__ import annotations

from typing import Iterable

from ..cpulists import format_cpu_list, parse_cpu_list  # noqa: F401 (re-exported)

MAX_NUMNODES_BITS = 1024  # CONFIG_NODES_SHIFT=10 on x86_64 distribution kernels


def format_mask(bits: Iterable[int], nbits: int) -> str:
    """Kernel ``%*pb`` format: 32-bit groups, most significant first, comma separated."""
    value = 0
    for b in bits:
        value |= 1 << b
    groups = max(1, (nbits + 31) // 32)
    first_width = ((nbits % 32) + 3) // 4 if nbits % 32 else 8
    chunks = []
    for g in reversed(range(groups)):
        chunk = (value >> (32 * g)) & 0xFFFFFFFF
        width = first_width if g == groups - 1 else 8
        chunks.append(f"{chunk:0{width}x}")
    return ",".join(chunks)


def proc_status(cpus: set[int], mems: set[int], nr_cpus: int, pid: int = 1,
                name: str = "sleep") -> str:
    """A busybox process's /proc/<pid>/status (abridged to the realistic field order)."""
    return (
        f"Name:\t{name}\n"
        "Umask:\t0022\n"
        "State:\tS (sleeping)\n"
        f"Tgid:\t{pid}\n"
        "Ngid:\t0\n"
        f"Pid:\t{pid}\n"
        f"PPid:\t{0 if pid == 1 else 1}\n"
        "TracerPid:\t0\n"
        "Uid:\t0\t0\t0\t0\n"
        "Gid:\t0\t0\t0\t0\n"
        "FDSize:\t64\n"
        "Groups:\t0 1 2 3 4 6 10 11 20 26 27 \n"
        f"NStgid:\t{pid}\n"
        f"NSpid:\t{pid}\n"
        f"NSpgid:\t{pid}\n"
        "NSsid:\t1\n"
        "VmPeak:\t    1480 kB\n"
        "VmSize:\t    1480 kB\n"
        "VmLck:\t       0 kB\n"
        "VmPin:\t       0 kB\n"
        "VmHWM:\t       4 kB\n"
        "VmRSS:\t       4 kB\n"
        "RssAnon:\t       4 kB\n"
        "RssFile:\t       0 kB\n"
        "RssShmem:\t       0 kB\n"
        "VmData:\t      60 kB\n"
        "VmStk:\t     132 kB\n"
        "VmExe:\t    1020 kB\n"
        "VmLib:\t       8 kB\n"
        "VmPTE:\t      28 kB\n"
        "VmSwap:\t       0 kB\n"
        "HugetlbPages:\t       0 kB\n"
        "CoreDumping:\t0\n"
        "THP_enabled:\t1\n"
        "Threads:\t1\n"
        "SigQ:\t0/1031405\n"
        "SigPnd:\t0000000000000000\n"
        "ShdPnd:\t0000000000000000\n"
        "SigBlk:\t0000000000000000\n"
        "SigIgn:\t0000000000000000\n"
        "SigCgt:\t0000000000000000\n"
        "CapInh:\t0000000000000000\n"
        "CapPrm:\t00000000a80425fb\n"
        "CapEff:\t00000000a80425fb\n"
        "CapBnd:\t00000000a80425fb\n"
        "CapAmb:\t0000000000000000\n"
        "NoNewPrivs:\t0\n"
        "Seccomp:\t2\n"
        "Seccomp_filters:\t1\n"
        "Speculation_Store_Bypass:\tthread vulnerable\n"
        "SpeculationIndirectBranch:\tconditional enabled\n"
        f"Cpus_allowed:\t{format_mask(cpus, nr_cpus)}\n"
        f"Cpus_allowed_list:\t{format_cpu_list(cpus)}\n"
        f"Mems_allowed:\t{format_mask(mems, MAX_NUMNODES_BITS)}\n"
        f"Mems_allowed_list:\t{format_cpu_list(mems)}\n"
        "voluntary_ctxt_switches:\t2\n"
        "nonvoluntary_ctxt_switches:\t0\n"
    )
