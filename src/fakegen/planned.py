"""The jobs a sweep planned, read back from the multirun.yaml Hydra saved.

A sweep stopped by Ctrl-C or a crash leaves no folder for the jobs that had
not started, so counting folders alone undercounts the sweep. Hydra's basic
sweeper saves the sweep's config as multirun.yaml before the first job
starts, and its job list is computed again from that file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

log = logging.getLogger(__name__)

MULTIRUN_YAML = "multirun.yaml"
# Job folders are named this way unless a config sets hydra.sweep.subdir.
JOB_NUMBER_SUBDIR = "${hydra.job.num}"
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def planned_jobs(sweep_dir: Path) -> dict[str, list[str]] | None:
    """Return the folder name and override list of each job the sweep planned.

    Returns None when the plan is unknown: multirun.yaml is missing or
    unreadable (the Optuna sweeper writes none), another sweeper ran the
    sweep, or the job folders are not named by job number.
    """
    path = Path(sweep_dir) / MULTIRUN_YAML
    try:
        hydra = (yaml.safe_load(path.read_text(encoding="utf-8")) or {})["hydra"]
        subdir = hydra["sweep"]["subdir"]
        sweeper = hydra["sweeper"]
        target = sweeper["_target_"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        log.debug("No job plan in %s: %s", path, exc)
        return None
    if subdir != JOB_NUMBER_SUBDIR or target != BASIC_SWEEPER:
        return None
    jobs = _basic_sweeper_jobs(sweeper, hydra.get("overrides") or {}, path)
    if jobs is None:
        return None
    return {str(number): list(job) for number, job in enumerate(jobs)}


def _basic_sweeper_jobs(
    sweeper: dict[str, Any], overrides: dict[str, Any], path: Path
) -> list[list[str]] | None:
    """Expand the sweep as Hydra's basic sweeper does: its params, then the task's."""
    params = sweeper.get("params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()]
    arguments += [str(argument) for argument in overrides.get("task") or []]
    try:
        parsed = OverridesParser.create().parse_overrides(arguments)
        batches = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    except HydraException as exc:
        log.debug("No job plan in %s: %s", path, exc)
        return None
    return [job for batch in batches for job in batch]
