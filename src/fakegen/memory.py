"""Check, before generating, that a table fits in the memory available now."""

from __future__ import annotations

import os
from pathlib import Path

from fakegen.errors import ConfigError

# A table cell takes at most 8 bytes, as a float64 or an int64. Literal codes
# take fewer, so the estimate bounds the table alone from above.
BYTES_PER_CELL = 8
GIB = 2**30


def available_memory() -> int | None:
    """Return the bytes of memory available to new allocations, or None if unknown.

    Linux's MemAvailable counts free memory and the caches it can drop.
    Other systems fall back to the free pages that sysconf reports.
    """
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def address_space_left() -> int | None:
    """Return the bytes of address space the process may still map, or None.

    A limit such as ``ulimit -v`` stops allocations below the free memory.
    The space in use is VmSize of /proc/self/status, read on Linux only.
    """
    try:
        import resource

        limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return max(limit - int(line.split()[1]) * 1024, 0)
    except (OSError, ValueError, IndexError):
        pass
    return limit


FAKEGEN_ADVICE = (
    "Use fewer rows, or fakegen-generate, which writes a large table to a file "
    "in chunks."
)


def check_table_fits(
    rows: int, columns: int, *, key: str = "generator.rows", advice: str = ""
) -> None:
    """Raise ConfigError when a table of ``rows`` x ``columns`` exceeds free memory.

    ``key`` names the setting that chose ``rows``, and ``advice`` replaces the
    default fix, which suits the fakegen command.

    Encoding and training need more than the table, so a run can still run
    out of memory after this check passes. The check stops only the requests
    that cannot fit at all, before they fill the machine's memory.
    """
    limits = [n for n in (available_memory(), address_space_left()) if n is not None]
    available = min(limits, default=None)
    needed = rows * columns * BYTES_PER_CELL
    if available is None or needed <= available:
        return
    raise ConfigError(
        f"{key} is {rows}; a table of {columns} columns needs up to "
        f"{needed / GIB:.1f} GiB, and {available / GIB:.1f} GiB of memory is "
        f"available to this process. {advice or FAKEGEN_ADVICE}"
    )
