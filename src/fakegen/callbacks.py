"""Hydra callbacks: count failed runs at the end of a sweep."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from fakegen.results import RESULTS_NAME, read_results

log = logging.getLogger(__name__)

_FAILED: list[Path] = []


def failed_runs() -> list[Path]:
    """Return the results files of failed runs of the last sweep in this process."""
    return list(_FAILED)


class SweepStatus(Callback):
    """After a multirun, log how many runs failed and where, for the exit code."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        _FAILED.clear()
        for path in sorted(sweep_dir.glob(f"**/{RESULTS_NAME}")):
            try:
                status = read_results(path).get("status")
            except (OSError, ValueError):
                status = "unreadable"
            if status != "completed":
                _FAILED.append(path)
        if _FAILED:
            log.error(
                "%d run(s) of the sweep in %s failed; see %s",
                len(_FAILED),
                sweep_dir,
                ", ".join(str(p.parent) for p in _FAILED),
            )
