"""A lock that keeps two fakegen processes out of one run folder.

Hydra names a run's folder after the second it started in, so two runs
started in the same second in the same directory get the same folder, and
the later results.json would replace the earlier one without a word.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakegen.errors import ConfigError

try:
    import fcntl
except ImportError:  # Windows has no flock, so runs there go without the lock.
    fcntl = None

log = logging.getLogger(__name__)

LOCK_NAME = ".fakegen.lock"


@contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``run_dir`` while the block runs.

    The operating system releases the lock when the process ends, however it
    ends, so a killed run leaves no stale lock. The empty lock file stays,
    because removing it would let a third process lock a new file while a
    second still waits on the old one.
    """
    if fcntl is None:
        yield
        return
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        handle = open(run_dir / LOCK_NAME, "a", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        # The run reports a folder it cannot write when it writes results.
        log.debug("No lock on %s: %s", run_dir, exc)
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"{run_dir} is in use by another fakegen run. Runs started in the "
                "same second share the default folder, so give each run its own "
                "with hydra.run.dir=PATH, or start them at least a second apart."
            ) from None
        yield
