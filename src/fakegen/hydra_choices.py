"""Checks of the overrides that pick or set Hydra's launcher and sweeper.

Hydra responds to ``hydra/launcher=jobllib`` by printing its config search
path, and to ``hydra.launcher.n_jobs=2`` under the basic launcher with a
note about structured configs. These checks name the installed options, the
closest one, and the extra that installs a missing launcher or sweeper.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from functools import cache

from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins

from fakegen.checks import suggestion
from fakegen.errors import ConfigError
from fakegen.presets import preset_overrides

# Hydra groups whose options and keys are checked. Hydra's other groups, such
# as job_logging and help, are not.
HYDRA_GROUPS = ("hydra/launcher", "hydra/sweeper")

# Options that come with one of fakegen's extras, for the install hint.
EXTRAS = {
    "hydra/sweeper": {"optuna": "tune"},
    "hydra/launcher": {"submitit_local": "slurm", "submitit_slurm": "slurm"},
}

# Without an override, Hydra runs jobs with these.
HYDRA_DEFAULTS = {"hydra/launcher": "basic", "hydra/sweeper": "basic"}


@cache
def installed_options(group: str) -> dict[str, tuple[str, ...]]:
    """Return each installed option of a Hydra group with the keys it takes.

    Launcher and sweeper plugins register their configs when Hydra discovers
    them. ``Plugins`` is a singleton that Hydra reuses when it starts, so the
    discovery runs once per command either way.
    """
    Plugins.instance()
    store = ConfigStore.instance()
    options = {}
    for entry in store.list(group):
        if not entry.endswith(".yaml"):
            continue
        node = store.load(f"{group}/{entry}").node
        options[entry.removesuffix(".yaml")] = tuple(
            str(key) for key in node if str(key) not in ("_target_", "defaults")
        )
    return options


def check_hydra_choices(
    parsed: Iterable[tuple[str, Override]], experiments: list[str] | None
) -> None:
    """Raise ConfigError for an unknown launcher or sweeper, or a key it lacks.

    ``parsed`` contains each override with its text. ``experiments`` are the
    experiments the command line picks, whose defaults lists may choose a
    launcher or sweeper. None means a pattern picks them, and then keys are
    not checked.
    """
    parsed = list(parsed)
    chosen: dict[str, list[str] | None] = {}
    for _, override in parsed:
        group = override.key_or_group.lstrip("/")
        if group not in HYDRA_GROUPS:
            continue
        if override.is_sweep_override():
            chosen[group] = None
            continue
        value = str(override.value())
        _check_option(group, value)
        _check_slurm(group, value)
        chosen[group] = [value]
    for argument, override in parsed:
        parts = override.key_or_group.split(".")
        group = f"hydra/{parts[1]}" if len(parts) > 2 else ""
        # Deeper keys, such as hydra.sweeper.params.seed, are checked at the
        # level below the group.
        if parts[0] == "hydra" and group in HYDRA_GROUPS:
            _check_key(argument, override, group, chosen, experiments)


def _check_option(group: str, value: str) -> None:
    installed = installed_options(group)
    if value in installed:
        return
    kind = group.split("/", 1)[1]
    extra = EXTRAS[group].get(value)
    if extra:
        raise ConfigError(
            f"{group}={value}: the {value} {kind} is not installed. Install it "
            f"with pip install 'fakegen[{extra}]'."
        )
    hint = suggestion(value, installed, prefix=f"{group}=")
    raise ConfigError(
        f"{group}={value} names no installed {kind}. {hint}The installed "
        f"{kind}s are {', '.join(installed)}."
    )


def _check_slurm(group: str, value: str) -> None:
    # submitit ends with a traceback when it finds no SLURM commands.
    if (group, value) == ("hydra/launcher", "submitit_slurm") and not shutil.which(
        "srun"
    ):
        raise ConfigError(
            f"{group}={value} submits jobs to SLURM, but the srun command was not "
            "found on PATH. Run the sweep on a node of the SLURM cluster, or use "
            "hydra/launcher=submitit_local or joblib on this machine."
        )


def _check_key(
    argument: str,
    override: Override,
    group: str,
    chosen: dict[str, list[str] | None],
    experiments: list[str] | None,
) -> None:
    if override.is_add() or override.is_force_add() or override.is_delete():
        return
    options = _options_in_use(group, chosen, experiments)
    if options is None:
        return
    key = override.key_or_group.split(".")[2]
    installed = installed_options(group)
    for option in options:
        known = installed.get(option)
        if known is None or key in known:
            continue
        kind = group.split("/", 1)[1]
        owners = [name for name, keys in installed.items() if key in keys]
        if owners:
            fix = f"Add {group}={owners[0]}, the {kind} that takes it."
        else:
            hint = suggestion(key, known, prefix=f"hydra.{kind}.")
            fix = f"{hint}Its keys are {', '.join(known) or 'none'}."
        raise ConfigError(f"{argument}: the {option} {kind} has no key {key!r}. {fix}")


def _options_in_use(
    group: str,
    chosen: dict[str, list[str] | None],
    experiments: list[str] | None,
) -> list[str] | None:
    """Return the options of ``group`` the command runs with, or None if unknown.

    The command line wins over an experiment's defaults list, which wins over
    Hydra's default.
    """
    if group in chosen:
        return chosen[group]
    # Hydra picks one launcher and sweeper for a whole sweep, from config that
    # a sweep over experiments leaves open, so such a sweep is not checked.
    if experiments is None or len(experiments) > 1:
        return None
    if not experiments:
        return [HYDRA_DEFAULTS[group]]
    return [
        preset_overrides("experiment", experiment, hydra=True).get(
            group, HYDRA_DEFAULTS[group]
        )
        for experiment in experiments
    ]
