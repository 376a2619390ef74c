"""Locks that keep two fakegen processes out of one run or sweep folder.

Hydra names a folder after the second its run or sweep started in. Two
commands started in the same second in the same directory get the same
folder, and the later results.json would replace the earlier one silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from fakegen.errors import ConfigError

try:
    import fcntl
except ImportError:  # Windows has no flock, so runs there go without the lock.
    fcntl = None

log = logging.getLogger(__name__)

LOCK_NAME = ".fakegen.lock"


def lock_folder(folder: Path, *, key: str, kind: str) -> IO[str] | None:
    """Lock ``folder`` for this process and return the open lock file.

    The lock holds until the returned file is closed or the process ends,
    however it ends, so a killed run leaves no stale lock. ``key`` is the
    setting that chose the folder, and ``kind`` ("run" or "sweep") names the
    command in the message. Returns None where no lock can be
    taken, such as on Windows or in a folder that takes no file. The run
    reports such a folder when it writes its results.
    """
    if fcntl is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_NAME, "a", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        log.debug("No lock on %s: %s", folder, exc)
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError(
            f"{folder} is in use by another fakegen {kind}. Two commands share "
            f"a folder when both start in the same second with the default "
            f"{key}, or when both are given the same one. Give each {kind} its "
            f"own folder with {key}=PATH."
        ) from None
    return handle


@contextmanager
def run_folder_lock(run_dir: Path, *, key: str = "hydra.run.dir") -> Iterator[None]:
    """Hold the lock of ``run_dir`` while the block runs.

    The empty lock file stays, because removing it would let a third process
    lock a new file while a second still waits on the old one.
    """
    handle = lock_folder(run_dir, key=key, kind="run")
    try:
        yield
    finally:
        if handle is not None:
            handle.close()
