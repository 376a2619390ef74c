"""The ``verifier`` config group: suite sizes, search settings and thresholds."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from fakegen.checks import check_keys
from fakegen.errors import ConfigError

IN_DISTRIBUTION = "in_distribution"
BOUNDARY = "boundary"
EXTRAPOLATION = "extrapolation"
INVARIANCE = "invariance"
COUNTERFACTUAL = "counterfactual"
UNSEEN_LITERALS = "unseen_literals"
#: Suite names the verifier builds itself; a constraint or test file may not
#: take one, because its metrics would overwrite the suite's.
RESERVED_SUITES = (
    IN_DISTRIBUTION,
    BOUNDARY,
    EXTRAPOLATION,
    INVARIANCE,
    COUNTERFACTUAL,
    UNSEEN_LITERALS,
)

# Row counts of the suites that always run, each with the reason the error
# message gives: the test metrics and the verdicts come from them.
_REQUIRED_ROWS = {
    "test_rows": "the test/ metrics come from it",
    "suite_rows": "each constraint's verdict rests on its suite",
}
# Row counts of the suites that are skipped at 0.
_OPTIONAL_ROWS = (
    "boundary_rows",
    "extrapolation_rows",
    "invariance_rows",
    "counterfactual_rows",
    "unseen_literal_rows",
    "search_rows",
)


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """Return a generator for one named random stream of a run.

    A named stream draws the same numbers whatever other streams a run uses
    and in whatever order it uses them.
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


@dataclass(frozen=True)
class VerifierOptions:
    """Sizes of the test suites, the boundary search and the verdict thresholds.

    Every ``*_rows`` value is a row count; widths and spans are in standard
    deviations of the column concerned. See ``conf/verifier/default.yaml`` for
    what each key does.
    """

    test_rows: int = 5000
    suite_rows: int = 1000
    boundary_rows: int = 500
    boundary_width: float = 0.1
    extrapolation_rows: int = 500
    extrapolation_width: float = 1.0
    invariance_rows: int = 500
    counterfactual_rows: int = 400
    counterfactual_distance: float = 1.0
    unseen_literal_rows: int = 500
    search_rows: int = 50
    search_span: float = 2.0
    search_points: int = 16
    search_steps: int = 3
    learned: float = 0.95
    partial: float = 0.75
    figures: bool = True
    constraints: Mapping[str, Any] = field(default_factory=dict)


def check_verifier_options(cfg: Mapping[str, Any]) -> VerifierOptions:
    """Check the ``verifier`` config group and return it as options."""
    check_keys(cfg, [f.name for f in fields(VerifierOptions)], key="verifier")
    options = VerifierOptions(**cfg)
    for key, use in _REQUIRED_ROWS.items():
        reason = f". Unlike the optional suites, it is never skipped: {use}"
        _check_integer(options, key, minimum=10, reason=reason)
    for key in _OPTIONAL_ROWS:
        _check_integer(options, key, minimum=0)
    _check_integer(options, "search_points", minimum=3)
    _check_integer(options, "search_steps", minimum=1)
    for key in (
        "boundary_width",
        "extrapolation_width",
        "counterfactual_distance",
        "search_span",
    ):
        value = getattr(options, key)
        if not _is_number(value) or value <= 0:
            raise ConfigError(
                f"verifier.{key} is {value!r}; give a positive width in standard "
                "deviations of the column, such as 1.0."
            )
    for key in ("learned", "partial"):
        value = getattr(options, key)
        if not _is_number(value) or not 0 < value <= 1:
            raise ConfigError(f"verifier.{key} is {value!r}; it must lie in (0, 1].")
    if options.partial > options.learned:
        raise ConfigError(
            f"verifier.partial is {options.partial!r}, above verifier.learned "
            f"({options.learned!r}); set partial at or below learned."
        )
    if not isinstance(options.figures, bool):
        raise ConfigError(
            f"verifier.figures is {options.figures!r}; use true or false."
        )
    if not isinstance(options.constraints, Mapping):
        raise ConfigError(
            f"verifier.constraints is {options.constraints!r}; give a mapping of "
            "name to constraint, as under constraint.constraints."
        )
    return options


def check_suite_names(names: Iterable[str], *, key: str) -> None:
    """Raise ConfigError when a name under ``key`` is a reserved suite name."""
    for name in names:
        if name in RESERVED_SUITES:
            raise ConfigError(
                f"{key}.{name} takes the name of the verifier's {name!r} test "
                f"suite; the names {', '.join(RESERVED_SUITES)} are reserved. "
                "Rename it."
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_integer(
    options: VerifierOptions, key: str, *, minimum: int, reason: str = ""
) -> None:
    value = getattr(options, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"verifier.{key} is {value!r}; give an integer of {minimum} or more"
            f"{reason}."
        )
