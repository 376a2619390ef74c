"""Checks of the fakegen command line that run before Hydra composes the config.

Hydra rejects a mistyped key with advice to add it with a plus sign, and a
check that fails inside a job of a sweep fails every job. These checks read
the overrides first and end the command with one line instead.
"""

from __future__ import annotations

from dataclasses import fields

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

from fakegen.checks import (
    CONSTRAINT_KEYS,
    GENERATOR_KEYS,
    TOP_LEVEL_KEYS,
    check_override_keys,
)
from fakegen.encoder import EncoderOptions
from fakegen.objective import check_objective
from fakegen.paths import config_dir
from fakegen.tracking import TRACKER_OPTIONS
from fakegen.verifier.options import VerifierOptions


def check_arguments(arguments: list[str]) -> None:
    """Raise ConfigError for a mistyped key or objective in ``arguments``."""
    check_override_keys(arguments, override_sections(), top_level=top_level_names())
    check_objective_argument(arguments)


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
    for argument in arguments:
        if argument.lstrip("+").partition("=")[0] != "objective":
            continue
        try:
            override = OverridesParser.create().parse_override(argument)
        except HydraException:
            # Hydra reports a malformed override itself.
            continue
        if not override.is_sweep_override():
            check_objective(override.value())


def top_level_names() -> tuple[str, ...]:
    """Return the keys and config groups that a plain override may name."""
    groups = sorted(path.name for path in config_dir().iterdir() if path.is_dir())
    return tuple(dict.fromkeys((*TOP_LEVEL_KEYS, *groups, "experiment", "hydra")))
