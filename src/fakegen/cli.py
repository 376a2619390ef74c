"""The ``fakegen`` command: Hydra composes the config, the pipeline runs it."""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import hydra
import yaml
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from fakegen.arguments import check_arguments
from fakegen.callbacks import failed_runs
from fakegen.errors import ConfigError, FakegenError
from fakegen.extras import check_plugins
from fakegen.folder_lock import run_folder_lock
from fakegen.interrupts import (
    exit_on_closed_pipe,
    exit_on_early_error,
    exit_status,
    stop_on_terminate,
)
from fakegen.objective import check_objective, objective_value
from fakegen.paths import config_dir, experiments_dir
from fakegen.pipeline import run_experiment
from fakegen.results import FAILED_RESULTS_NAME, RESULTS_NAME, read_results
from fakegen.table import show_run_table

log = logging.getLogger(__name__)

# W&B rejects group names longer than this.
MAX_GROUP_LENGTH = 128


def register_experiments() -> dict[str, Any]:
    """Store each experiments/*.yaml as option NAME of the ``experiment`` group.

    This makes ``fakegen +experiment=NAME`` work while the studies live in the
    top-level experiments folder beside their recorded results. Returns each
    experiment's ``defaults`` list by name.
    """
    store = ConfigStore.instance()
    defaults = {}
    for path in sorted(experiments_dir().glob("*.yaml")):
        try:
            node = OmegaConf.load(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise ConfigError(
                f"Experiment file {path} cannot be read as YAML: {exc}. Fix or "
                "remove it."
            ) from exc
        store.store(group="experiment", name=path.stem, node=node, package="_global_")
        defaults[path.stem] = OmegaConf.to_container(node).get("defaults", [])
    return defaults


def model_choice(choices: dict[str, str], model_target: object) -> str | None:
    """Return the model option, or the class name of a model given by ``_target_``.

    A model without a preset (``'~model' +model._target_=...``) has no option
    in Hydra's choices, but run names, reports and heatmaps group runs by it.
    """
    if choices.get("model") or not model_target:
        return choices.get("model")
    return str(model_target).rsplit(".", 1)[-1]


def run_name(choices: dict[str, str], seed: object, *, job: int | None = None) -> str:
    """Name a run after its constraint preset (or file experiment), model and seed.

    In a sweep, ``job`` is the Hydra job number, which ends the name, because
    runs that differ only in another swept setting (``model.max_depth``, say)
    share the rest. Hydra names the job's folder after that number by default.
    """
    if choices.get("generator") == "file":
        data = choices.get("experiment") or "file"
    else:
        data = choices.get("constraint", "data")
    name = f"{data}-{choices.get('model') or 'model'}-seed{seed}"
    return name if job is None else f"{name}-job{job}"


def sweep_group(sweep_dir: str | Path) -> str:
    """Name the W&B group of a sweep after the last two parts of its directory.

    Hydra's default sweep directory is ``multirun/DATE/TIME``, so the group
    reads ``DATE/TIME``; an experiment's ``multirun/NAME/STAMP`` reads
    ``NAME/STAMP``.
    """
    parts = Path(sweep_dir).resolve().parts
    return "/".join(parts[-2:])[-MAX_GROUP_LENGTH:]


def run(cfg: DictConfig) -> float | None:
    """Run one job and return its objective metric for sweepers such as Optuna.

    An error the user can fix ends a single run with one log line. In a
    sweep, a failed run is logged and returns None, and the sweep goes on.
    """
    warnings.showwarning = _log_warning
    hydra_cfg = HydraConfig.get()
    choices = {
        key: value
        for key, value in hydra_cfg.runtime.choices.items()
        if not key.startswith("hydra")
    }
    model = model_choice(choices, (cfg.get("model") or {}).get("_target_"))
    if model is not None:
        choices["model"] = model
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    run_dir = Path(hydra_cfg.runtime.output_dir)
    name = run_name(
        choices, cfg.get("seed"), job=hydra_cfg.job.num if multirun else None
    )
    if multirun:
        _fill_sweep_grouping(cfg, hydra_cfg.sweep.dir)
    try:
        objective = check_objective(cfg.get("objective"))
        resume = cfg.get("resume", False)
        if not isinstance(resume, bool):
            raise ConfigError(f"resume is {resume!r}; give true or false.")
        with run_folder_lock(
            run_dir, key="hydra.sweep.dir" if multirun else "hydra.run.dir"
        ):
            results = _completed_results(cfg, run_dir) if resume else None
            if results is not None:
                log.info(
                    "Skipped run %s: %s is completed with the same config",
                    name,
                    run_dir,
                )
                # A failed attempt since then, such as one with another
                # objective, no longer describes this run, which the skip
                # confirms completed.
                (run_dir / FAILED_RESULTS_NAME).unlink(missing_ok=True)
            else:
                results = run_experiment(
                    cfg,
                    run_dir=run_dir,
                    name=name,
                    choices=choices,
                    overrides=list(hydra_cfg.overrides.task),
                    objective=objective,
                )
                show_run_table(results)
        return objective_value(
            results.get("metrics", {}), objective, results_path=run_dir / RESULTS_NAME
        )
    except FakegenError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        if not multirun:
            sys.exit(1)
    except MemoryError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error(
            "Run %s ran out of memory (%s); lower generator.rows or the verifier's "
            "suite sizes, or write a large table with fakegen-generate, which "
            "works in chunks.",
            name,
            exc,
        )
        if not multirun:
            sys.exit(1)
    except Exception:
        # In a sweep, one broken run must not stop the others. Its results.json
        # already records status failed, which the sweep callback counts.
        if not multirun:
            raise
        log.exception("Run %s failed", name)
    return None


def _fill_sweep_grouping(cfg: DictConfig, sweep_dir: str) -> None:
    tracker = cfg.get("tracker")
    if tracker is None or tracker.get("kind") != "wandb":
        return
    with open_dict(cfg):
        if tracker.get("group") is None:
            tracker.group = sweep_group(sweep_dir)
        if tracker.get("job_type") is None:
            tracker.job_type = "sweep"


def _completed_results(cfg: DictConfig, run_dir: Path) -> dict[str, Any] | None:
    """Return the run's earlier results if they are completed with this config."""
    path = run_dir / RESULTS_NAME
    try:
        earlier = read_results(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("Running %s again: %s is unreadable: %s", run_dir, path, exc)
        return None
    if earlier.get("status") != "completed":
        return None
    if _comparable(earlier.get("config", {})) != _comparable(
        OmegaConf.to_container(cfg, resolve=True)
    ):
        # The new run replaces those results, so this is worth a warning: a
        # reordered sweep list gives each job folder another config.
        log.warning(
            "Running %s again: %s contains completed results of another config, "
            "which this run replaces",
            run_dir,
            path,
        )
        return None
    return earlier


def _comparable(config: dict[str, Any]) -> str:
    # The resume switch itself must not make a repeated sweep look changed.
    kept = {key: value for key, value in config.items() if key != "resume"}
    return json.dumps(kept, sort_keys=True, default=str)


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Log a Python warning as one line, as fakegen logs everything else.

    Libraries such as scikit-learn warn about convergence or all-NaN columns.
    The default printer adds the library's source line, which gives a user
    nothing to act on.
    """
    text = str(message).strip().splitlines()[0] if str(message).strip() else ""
    logging.getLogger("py.warnings").warning("%s: %s", category.__name__, text)


def main() -> None:
    """Entry point of the ``fakegen`` console script."""
    stop_on_terminate()
    try:
        check_arguments(sys.argv[1:])
        check_plugins(sys.argv[1:], register_experiments())
    except ConfigError as exc:
        exit_on_early_error(exc, log_format="%(levelname)s %(message)s")
    hydra_main = hydra.main(
        config_path=str(config_dir()), config_name="config", version_base="1.3"
    )(run)
    try:
        hydra_main()
    except BrokenPipeError:
        exit_on_closed_pipe()
    except KeyboardInterrupt as interrupt:
        # Every run that finished kept its results.json, and a run cut short in
        # this process wrote status failed, so a traceback would add nothing.
        # Joblib workers may stop before they write anything.
        log.error(
            "Interrupted; finished runs keep their results.json, and fakegen-report "
            "lists the runs cut short"
        )
        sys.exit(exit_status(interrupt))
    if failed_runs():
        sys.exit(1)
