"""Hydra callbacks: write the sweep report and count failed runs of a multirun."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from fakegen.errors import FakegenError

log = logging.getLogger(__name__)

_FAILED: list[Path] = []


def failed_runs() -> list[Path]:
    """Return the directories of runs that did not complete in the last sweep."""
    return list(_FAILED)


class SweepStatus(Callback):
    """After a multirun, write the summary and heatmap, then count failed runs.

    The ``fakegen`` command exits 1 when :func:`failed_runs` is not empty.
    """

    #: When the sweep began, less a second of slack; None before it begins.
    started: float | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Job folders of an earlier sweep into the same folder are older than
        # this, so the report leaves them out. A second of slack absorbs
        # file systems that store modification times coarsely.
        self.started = time.time() - 1.0

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        # Imported here so that single runs, which also load this callback,
        # do not pay for importing matplotlib.
        from fakegen.report_cli import failure_message, write_report

        sweep_dir = Path(config.hydra.sweep.dir)
        _FAILED.clear()
        try:
            summary = write_report(sweep_dir, since=self.started)
        except (FakegenError, OSError) as exc:
            log.error("No sweep report: %s", exc)
            _FAILED.append(sweep_dir)
            return
        log.info("%s; report in %s", summary.describe(), sweep_dir)
        _FAILED.extend(sweep_dir / run for run in summary.failed["run"])
        if _FAILED:
            log.error("%s", failure_message(summary))
