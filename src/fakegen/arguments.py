"""Checks of the fakegen command line that run before Hydra composes the config.

Hydra rejects a mistyped key with advice to add it with a plus sign, and a
check that fails inside a job of a sweep fails every job. These checks read
the overrides first and end the command with one line instead.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, ValueType
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from fakegen.checks import (
    CONSTRAINT_KEYS,
    GENERATOR_KEYS,
    TOP_LEVEL_KEYS,
    check_generator_keys,
    check_override_keys,
    suggestion,
)
from fakegen.encoder import EncoderOptions
from fakegen.errors import ConfigError
from fakegen.hydra_choices import check_hydra_choices
from fakegen.objective import check_objective
from fakegen.presets import (
    default_choices,
    find_missing_keys,
    group_options,
    preset_body,
    preset_overrides,
    root_body,
)
from fakegen.tracking import TRACKER_OPTIONS
from fakegen.verifier.options import VerifierOptions

# Options that add or replace config folders. The presets they bring are
# unknown here, so the option and preset-key checks are skipped.
SEARCH_PATH_OPTIONS = (
    "--config-dir",
    "-cd",
    "--config-path",
    "-cp",
    "hydra.searchpath",
)


# Hydra's modes, each with its flags; Hydra ends the command with a
# traceback when it is given two of them.
MODE_FLAGS = {
    "--run": ("--run", "-r"),
    "--multirun": ("--multirun", "-m"),
    "--cfg": ("--cfg", "-c"),
    "--info": ("--info", "-i"),
    "--shell-completion": ("--shell-completion", "-sc"),
}


def check_arguments(arguments: list[str]) -> None:
    """Raise ConfigError for a mistyped key, option or objective in ``arguments``."""
    check_mode_flags(arguments)
    check_unquoted_text(arguments)
    check_override_keys(arguments, override_sections(), top_level=top_level_names())
    check_experiment_arguments(arguments)
    check_preset_arguments(arguments)
    check_objective_argument(arguments)
    check_sweep_settings(arguments)


def override_sections() -> dict[str, tuple[str, ...]]:
    """Return the known keys of each config section whose keys are fixed."""
    generator = (key for keys in GENERATOR_KEYS.values() for key in keys)
    return {
        "generator": tuple(dict.fromkeys(generator)),
        "constraint": CONSTRAINT_KEYS,
        "encoder": tuple(f.name for f in fields(EncoderOptions)),
        "verifier": tuple(f.name for f in fields(VerifierOptions)),
        "tracker": ("kind", *TRACKER_OPTIONS),
    }


def check_objective_argument(arguments: list[str]) -> None:
    """Check an ``objective=NAME`` override once, before the jobs of a sweep.

    Every job checks its objective too, but a job that fails there writes no
    results.json. Hydra's parser reads the value, so ``objective=7`` is the
    number 7 here as in the job. A sweep over several objectives is left to
    the jobs.
    """
    for _, override in _parse_overrides(arguments):
        if override.key_or_group == "objective" and not override.is_sweep_override():
            check_objective(override.value())


def top_level_names() -> tuple[str, ...]:
    """Return the keys and config groups that a plain override may name."""
    return tuple(dict.fromkeys((*TOP_LEVEL_KEYS, *group_options(), "hydra")))


# A run of characters between the separators of a mapping or list that contains
# a character outside ASCII, such as età in {column: età}.
UNQUOTED_WORD = re.compile(r"[^\s,:{}\[\]'\"]*[^\x00-\x7f][^\s,:{}\[\]'\"]*")


def check_unquoted_text(arguments: list[str]) -> None:
    """Raise ConfigError for an override whose unquoted value is not ASCII.

    Hydra's override grammar reads plain values of ASCII letters, digits and
    a few symbols, and rejects ``generator.label=städt`` with a lexer error
    that does not say what to do.
    """
    parser = OverridesParser.create()
    for argument in _override_texts(arguments):
        key, _, value = argument.lstrip("+~").partition("=")
        prefix = argument[: len(argument) - len(argument.lstrip("+~"))]
        if key.isascii() and (value.isascii() or value[:1] in ("'", '"')):
            continue
        try:
            parser.parse_override(argument)
        except HydraException:
            pass
        else:
            continue
        if not key.isascii():
            raise ConfigError(
                f"{key} contains characters outside ASCII, which Hydra does not "
                "accept in a key. Use a name of ASCII letters, digits and "
                "underscores, such as a constraint name without accents."
            )
        if value[:1] not in ("{", "["):
            raise ConfigError(
                f"{key} is {value!r}, but Hydra reads unquoted values as ASCII "
                f"only. Quote the value inside the shell's quotes: "
                f"'{prefix}{key}=\"{value}\"'."
            )
        # Quoting a whole mapping or list makes it one string, so only the
        # text inside it gets quotes.
        word = UNQUOTED_WORD.search(value)
        element = word.group(0) if word else value
        raise ConfigError(
            f"{key} is {value!r}, but Hydra reads unquoted text as ASCII only. "
            f'Quote the text inside the mapping or list, as in "{element}".'
        )


def check_experiment_arguments(arguments: list[str]) -> None:
    """Check experiment overrides: a plus sign, and their launcher and sweeper.

    config.yaml picks no experiment, so Hydra can only add one, and it
    responds to ``experiment=noise`` with advice over two lines. An
    experiment's defaults list may pick a launcher or sweeper, which decides
    the keys that ``hydra.launcher`` and ``hydra.sweeper`` overrides may set.
    """
    parsed = _parse_overrides(arguments)
    experiments: list[str] | None = []
    for argument, override in parsed:
        if override.key_or_group != "experiment" or override.is_delete():
            continue
        if not (override.is_add() or override.is_force_add()):
            raise ConfigError(
                f"{argument} needs a plus sign: config.yaml picks no experiment, "
                f"so an experiment is added to it. Write +{argument}."
            )
        experiments = _option_values(override)
    check_hydra_choices(parsed, experiments)


def check_mode_flags(arguments: list[str]) -> None:
    """Raise ConfigError when ``arguments`` ask Hydra for two modes at once."""
    modes = [
        mode
        for mode, flags in MODE_FLAGS.items()
        if any(a in flags or a.startswith(f"{mode}=") for a in arguments)
    ]
    if len(modes) < 2:
        return
    hint = ""
    if "--multirun" in modes[:2]:
        hint = (
            " To print the config of one job of a sweep, give --cfg job with "
            "that job's overrides and without -m."
        )
    raise ConfigError(
        f"{modes[0]} and {modes[1]} cannot be combined; give one of "
        f"{', '.join(MODE_FLAGS)}.{hint}"
    )


def check_preset_arguments(
    arguments: list[str], *, config_name: str = "config"
) -> None:
    """Check group options (``model=tre``) and keys below a group (``model.max_dept``).

    A key is checked against every preset the command may pick for its
    group: the options set or swept on the command line, else those an
    experiment's defaults list sets, else those of the primary config
    ``config_name`` (config.yaml), plus those a chosen preset sets for
    another group (generator=file sets constraint=none). Keys added with
    ``+`` or ``++`` are left to Hydra and the stages. Nothing is checked
    when ``arguments`` add a config folder, whose presets are unknown here.
    """
    if any(a.lstrip("+").startswith(SEARCH_PATH_OPTIONS) for a in arguments):
        return
    options = group_options()
    on_command_line: dict[str, list[str] | None] = {}
    keys: list[tuple[str, str]] = []
    skipped = set()
    for argument, override in _parse_overrides(arguments):
        name = override.key_or_group
        section = name.split(".", 1)[0]
        if override.is_delete() or override.package is not None:
            skipped.add(section)
        elif name in options:
            values = _option_values(override)
            for value in values or ():
                _check_option(name, value, options[name])
            on_command_line[name] = values
        elif "." in name and not (override.is_add() or override.is_force_add()):
            keys.append((argument, name))
    candidates = _candidate_options(on_command_line, config_name)
    for argument, name in keys:
        group, *path = name.split(".")
        if group in skipped or candidates.get(group) is None:
            continue
        bodies = [
            _composed_body(group, option, on_command_line, config_name)
            for option in candidates[group]
        ]
        if None in bodies:
            continue
        misses = find_missing_keys(bodies, path)
        first_level = bool(misses) and len(misses[0][0]) == 1
        if first_level and group == "generator" and config_name == "config":
            # A key of the other kind of table, such as generator.tests on a
            # synthetic table, needs another preset rather than a plus sign.
            synthetic = path[0] in GENERATOR_KEYS["synthetic"]
            file = path[0] in GENERATOR_KEYS["file"]
            if synthetic != file:
                check_generator_keys(
                    {path[0]: None}, "file" if synthetic else "synthetic"
                )
        if misses:
            _raise_missing_key(argument, group, candidates[group], misses)


# Settings of the joblib launcher and Optuna sweeper that end the command
# with a traceback when they are 0 or less: the fix for each.
POSITIVE_SWEEP_SETTINGS = {
    "hydra.launcher.n_jobs": "the number of jobs to run at once, such as 2, or "
    "-1 for one per core",
    "hydra.sweeper.n_trials": "the number of trials to run, such as 20",
    "hydra.sweeper.n_jobs": "the number of trials per batch, such as 1",
}
OPTUNA_DIRECTIONS = ("minimize", "maximize")


def check_sweep_settings(arguments: list[str]) -> None:
    """Reject launcher and sweeper settings that joblib or Optuna end with a traceback.

    These are ``hydra.launcher.n_jobs=0``, ``hydra.sweeper.n_trials`` or
    ``hydra.sweeper.n_jobs`` below 1, and a ``hydra.sweeper.direction`` other
    than minimize or maximize, and ``hydra.sweeper.params`` given as one
    mapping.
    """
    for _, override in _parse_overrides(arguments):
        key = override.key_or_group
        if override.is_sweep_override():
            continue
        value = override.value()
        if key == "hydra.sweeper.params" and isinstance(value, dict):
            # OmegaConf 2.3 fails with an AttributeError traceback when it
            # merges a mapping into the sweeper's params, which start as null.
            raise ConfigError(
                f"{override.input_line} gives the sweep parameters as one "
                "mapping, which Hydra cannot merge into hydra.sweeper.params. "
                "Give each parameter as its own override, such as seed=0,1,2 "
                "(or 'model.C=interval(0.1, 1)' with the Optuna sweeper), or "
                "list them under hydra.sweeper.params in an experiment file."
            )
        if key == "hydra.sweeper.direction" and isinstance(value, str):
            if value not in OPTUNA_DIRECTIONS:
                hint = suggestion(value, OPTUNA_DIRECTIONS, prefix=f"{key}=")
                raise ConfigError(
                    f"{key} is {value!r}; give minimize or maximize. {hint}".strip()
                )
        if key not in POSITIVE_SWEEP_SETTINGS or type(value) is not int:
            continue
        # joblib takes negative job counts (-1 is one per core), 0 nowhere.
        too_small = value == 0 if key == "hydra.launcher.n_jobs" else value < 1
        if too_small:
            raise ConfigError(f"{key} is {value}; give {POSITIVE_SWEEP_SETTINGS[key]}.")


def _override_texts(arguments: list[str]) -> list[str]:
    """Return the arguments that are overrides, leaving out flags such as -m."""
    return [
        argument
        for argument in arguments
        if not argument.startswith("-") and ("=" in argument or argument[:1] == "~")
    ]


def _parse_overrides(arguments: list[str]) -> list[tuple[str, Override]]:
    parser = OverridesParser.create()
    parsed = []
    for argument in _override_texts(arguments):
        try:
            parsed.append((argument, parser.parse_override(argument)))
        except HydraException:
            # Hydra reports a malformed override itself.
            continue
    return parsed


def _option_values(override: Override) -> list[str] | None:
    """Return the options an override picks, or None when a pattern picks them."""
    if not override.is_sweep_override():
        value = override.value()
        return [] if value is None else [str(value)]
    if override.value_type in (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP):
        return list(override.sweep_string_iterator())
    return None


def _check_option(group: str, value: str, known: tuple[str, ...]) -> None:
    if value in known:
        return
    hint = suggestion(value, known, prefix=f"{group}=")
    raise ConfigError(
        f"{group}={value} names no option of the {group} group. {hint}"
        f"The options are {', '.join(known)}."
    )


def _candidate_options(
    on_command_line: dict[str, list[str] | None], config_name: str
) -> dict[str, Any]:
    """Return the options each group may take, or None where that is unknown.

    A later source replaces an earlier one for a group: the primary config,
    then the experiments, then the command line. A preset that sets another
    group's option (generator=file sets constraint=none) replaces that
    group's options when every option of its own group sets it.
    """
    defaults = default_choices(config_name)
    candidates: dict[str, Any] = {group: [option] for group, option in defaults.items()}
    experiments = on_command_line.get("experiment", [])
    if experiments is None:
        return {}
    for group in {g for e in experiments for g in preset_overrides("experiment", e)}:
        candidates[group] = [
            preset_overrides("experiment", e).get(group, defaults.get(group))
            for e in experiments
        ]
    candidates.update(on_command_line)
    for group, chosen in list(candidates.items()):
        settings = [preset_overrides(group, option) for option in chosen or ()]
        for other in {g for setting in settings for g in setting}:
            if other in on_command_line or candidates.get(other) is None:
                continue
            if all(other in setting for setting in settings):
                candidates[other] = [setting[other] for setting in settings]
            else:
                candidates[other] += [s[other] for s in settings if other in s]
    return {
        group: None if chosen is None else [o for o in chosen if o is not None]
        for group, chosen in candidates.items()
    }


def _composed_body(
    group: str,
    option: str,
    on_command_line: dict[str, list[str] | None],
    config_name: str,
) -> dict[str, Any] | None:
    """Return a preset's keys merged with what config.yaml and experiments add.

    Files that do not merge, such as a mapping that an experiment replaces
    with a list, give None: Hydra reports those in its own words.
    """
    nodes = [preset_body(group, option)]
    nodes.append(root_body(config_name).get(group) or {})
    for experiment in on_command_line.get("experiment") or ():
        nodes.append(preset_body("experiment", experiment).get(group) or {})
    try:
        merged = OmegaConf.merge(*(n for n in nodes if isinstance(n, dict)))
    except OmegaConfBaseException:
        return None
    return OmegaConf.to_container(merged, resolve=False)


def _raise_missing_key(
    argument: str,
    group: str,
    options: list[str],
    misses: list[tuple[list[str], list[str]]],
) -> None:
    path = misses[0][0]
    # Presets that miss the key at the same level pool their keys there.
    present = [key for miss, keys in misses if miss == path for key in keys]
    present = list(dict.fromkeys(present))
    dotted = ".".join([group, *path])
    parent = ".".join([group, *path[:-1]])
    where = " or ".join(f"{group}={option}" for option in dict.fromkeys(options))
    hint = suggestion(path[-1], present, prefix=f"{parent}.")
    raise ConfigError(
        f"{dotted} is not a key under {where}. {hint}Keys of {parent}: "
        f"{', '.join(present) or 'none'}. To add a key the preset does not set, "
        f"write +{argument}."
    )
