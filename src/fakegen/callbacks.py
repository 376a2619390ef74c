"""Hydra callbacks: check the output folder and a sweep's settings, report its runs."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from fakegen.errors import ConfigError, FakegenError
from fakegen.folder_lock import lock_folder
from fakegen.sweep_check import shared_config_error, uses_optuna

log = logging.getLogger(__name__)

_FAILED: list[Path] = []
# Open lock files of the sweep folders this process runs; the locks hold
# until the process ends.
_SWEEP_LOCKS: list[IO[str] | None] = []


def failed_runs() -> list[Path]:
    """Return the directories of runs that did not complete in the last sweep."""
    return list(_FAILED)


class OutputFolder(Callback):
    """Create the run or sweep folder before Hydra does, to explain a failure.

    Hydra creates the folder inside its job runner, where an ``OSError``
    (a path under a file, a folder without write permission) ends the
    command with a traceback. Creating it here, where Hydra creates it
    again without complaint, turns that into one line naming the key.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        make_output_folder("hydra.run.dir", config.hydra.run.dir)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        make_output_folder("hydra.sweep.dir", config.hydra.sweep.dir)


def make_output_folder(key: str, folder: str) -> None:
    """Create ``folder`` and check that it takes a new file.

    On failure, end the command with one error line naming ``key``.
    """
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # A folder that exists but takes no new file (read-only, immutable)
        # would fail only when results.json is written, after all the work.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        example = "outputs/run" if key == "hydra.run.dir" else "multirun/sweep"
        blocking = _blocking_file(Path(folder))
        if blocking is not None:
            problem = f"but {blocking} is a file"
        else:
            problem = f"which cannot be created or written ({exc.strerror or exc})"
        log.error(
            "%s is %r, %s; choose a folder you can write to, such as %s=%s.",
            key,
            folder,
            problem,
            key,
            example,
        )
        # SystemExit passes through Hydra's error report, which prints a
        # traceback for any other exception.
        raise SystemExit(1) from None


def _blocking_file(folder: Path) -> Path | None:
    """Return the file at ``folder`` or above it that stops its creation, if any."""
    for path in (folder, *folder.parents):
        if path.exists():
            return None if path.is_dir() else path
    return None


class SweepCheck(Callback):
    """End a sweep before its first job when its shared settings fail every job.

    With ``HYDRA_FULL_ERROR=1`` the jobs run and show their own tracebacks.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Two sweeps in one folder would run jobs into each other's folders,
        # so the sweep holds its folder's lock until the process ends.
        try:
            # Kept outside the callback, because launchers such as submitit
            # pickle the callbacks and an open file cannot be pickled.
            _SWEEP_LOCKS.append(
                lock_folder(
                    Path(config.hydra.sweep.dir), key="hydra.sweep.dir", kind="sweep"
                )
            )
        except ConfigError as exc:
            log.error("%s No job of the sweep started.", exc)
            raise SystemExit(1) from None
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            return
        message = shared_config_error(config)
        if message is None:
            return
        log.error(
            "%s No job of the sweep started, because every job has this setting.",
            message,
        )
        # SystemExit passes through Hydra's callback runner, which turns any
        # other exception into a warning and goes on.
        raise SystemExit(1)


class SweepStatus(Callback):
    """After a multirun, write the summary and heatmap, then count failed runs.

    The ``fakegen`` command exits 1 when :func:`failed_runs` is not empty.
    """

    #: When the sweep began, less a second of slack; None before it begins.
    started: float | None = None
    #: The process that started the sweep; None in a launcher's worker.
    sweep_process: int | None = None
    #: Optuna trials that ended in this process, and those that returned a value.
    trials_ended: int = 0
    trials_scored: int = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Job folders of an earlier sweep into the same folder are older than
        # this, so the report leaves them out. A second of slack absorbs
        # file systems that store modification times coarsely.
        self.started = time.time() - 1.0
        self.sweep_process = os.getpid()

    def on_job_end(
        self, config: DictConfig, job_return: JobReturn, **kwargs: Any
    ) -> None:
        """End an Optuna sweep in one line when its last trial ends and none scored.

        After the last trial, the Optuna sweeper reads the study's best trial.
        That raises when no trial returned a value, and Hydra prints the
        traceback. Trials that Hydra's basic launcher runs end in this process and
        are counted here; trials in joblib workers are not, and keep Hydra's
        ending.
        """
        if self.sweep_process != os.getpid() or not uses_optuna(config):
            return
        self.trials_ended += 1
        if job_return.status == JobStatus.COMPLETED:
            self.trials_scored += job_return.return_value is not None
        n_trials = config.hydra.sweeper.get("n_trials", 0)
        if self.trials_scored or self.trials_ended < n_trials:
            return
        self.on_multirun_end(config)
        log.error(
            "No trial of the Optuna sweep recorded objective %r, so the sweep has "
            "no best trial and wrote no optimization_results.yaml.",
            config.get("objective"),
        )
        raise SystemExit(1)

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
