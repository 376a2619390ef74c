"""The ``fakegen`` command: Hydra composes the config, the pipeline runs it."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from fakegen.callbacks import failed_runs
from fakegen.errors import FakegenError
from fakegen.paths import config_dir, experiments_dir
from fakegen.pipeline import run_experiment
from fakegen.table import show_run_table

log = logging.getLogger(__name__)


def register_experiments() -> None:
    """Store each experiments/*.yaml as option NAME of the ``experiment`` group.

    This makes ``fakegen +experiment=NAME`` work while the studies live in the
    top-level experiments folder beside their recorded results.
    """
    store = ConfigStore.instance()
    for path in sorted(experiments_dir().glob("*.yaml")):
        node = OmegaConf.load(path)
        store.store(group="experiment", name=path.stem, node=node, package="_global_")


def run_name(choices: dict[str, str], seed: object) -> str:
    """Name a run after its experiment or constraint preset, its model and seed."""
    if choices.get("experiment"):
        data = choices["experiment"]
    elif choices.get("generator") == "file":
        data = "file"
    else:
        data = choices.get("constraint", "data")
    return f"{data}-{choices.get('model', 'model')}-seed{seed}"


def run(cfg: DictConfig) -> None:
    """Run one job; errors the user can fix end it with one log line."""
    hydra_cfg = HydraConfig.get()
    choices = {
        k: v for k, v in hydra_cfg.runtime.choices.items() if not k.startswith("hydra")
    }
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    run_dir = hydra_cfg.runtime.output_dir
    name = run_name(choices, cfg.get("seed"))
    try:
        results = run_experiment(cfg, run_dir=Path(run_dir), name=name, choices=choices)
    except FakegenError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        if not multirun:
            sys.exit(1)
        return
    except Exception:
        # In a sweep, one broken run must not stop the others; its results.json
        # already says failed and the sweep callback counts it.
        if not multirun:
            raise
        log.exception("Run %s failed", name)
        return
    show_run_table(results)


def main() -> None:
    """Entry point of the ``fakegen`` console script."""
    register_experiments()
    hydra_main = hydra.main(
        config_path=str(config_dir()), config_name="config", version_base="1.3"
    )(run)
    hydra_main()
    if failed_runs():
        sys.exit(1)
