"""Find the set-up error that every job of a sweep would meet, before any job runs.

A setting that no sweep parameter changes, such as ``generator.noise=0.7``
beside ``seed=0,1``, fails each job in the same way. Checked once on the
sweep's own config, it ends the command with one line. That also spares an
Optuna sweep, which ends with a traceback when no trial completes.
"""

from __future__ import annotations

import logging

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from fakegen.errors import FakegenError
from fakegen.pipeline import make_plan
from fakegen.presets import group_options

log = logging.getLogger(__name__)


def shared_config_error(config: DictConfig) -> str | None:
    """Return the set-up error that every job of the sweep would meet, or None.

    ``config`` is the sweep's config as Hydra composes it before the first
    job: with the plain overrides, without the swept ones. A sweep over a
    config group, such as ``model=logreg,tree``, is not checked, because
    each job composes other files. An error that names a swept key is left
    to the jobs, which give that key other values.
    """
    swept = swept_keys(config)
    if swept is None:
        return None
    if uses_optuna(config) and config.get("objective") is None:
        return (
            "objective is null, but the Optuna sweeper needs a metric to "
            "optimize; set one, such as objective=test/rule_agreement."
        )
    try:
        job = OmegaConf.masked_copy(config, [key for key in config if key != "hydra"])
        container = OmegaConf.to_container(job, resolve=True)
        choices = {
            group: option
            for group, option in config.hydra.runtime.choices.items()
            if not str(group).startswith("hydra")
        }
        make_plan(container, job, choices=choices)
    except FakegenError as exc:
        message = str(exc)
        return None if any(key in message for key in swept) else message
    except Exception as exc:
        # This check must never stop a sweep whose jobs could run; anything
        # other than a set-up error is left for the jobs to report.
        log.debug("Sweep config not checked before the jobs: %s", exc)
    return None


def uses_optuna(config: DictConfig) -> bool:
    """Return whether the Optuna sweeper runs the sweep of ``config``."""
    sweeper = config.hydra.get("sweeper") or {}
    return "optuna" in str(sweeper.get("_target_", "")).lower()


def swept_keys(config: DictConfig) -> list[str] | None:
    """Return the keys the sweep changes, or None when it changes a config group."""
    parser = OverridesParser.create()
    keys = []
    for text in config.hydra.overrides.task:
        try:
            override = parser.parse_override(text)
        except HydraException:
            return None
        if override.is_sweep_override():
            keys.append(override.key_or_group)
    params = config.hydra.sweeper.get("params") or {}
    keys += [str(key) for key in params]
    groups = group_options()
    if any(key in groups or "/" in key or "@" in key for key in keys):
        return None
    return keys
