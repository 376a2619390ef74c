"""The constraint catalogue and the builder that turns config into constraints."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from fakegen.checks import check_keys, suggestion, with_article
from fakegen.columns import Column
from fakegen.constraints.arithmetic import Derived, Linear, Ratio
from fakegen.constraints.base import Constraint
from fakegen.constraints.literal import Combination, Equality, Membership
from fakegen.constraints.logical import Count, ExpressionConstraint, Implication, Xor
from fakegen.constraints.numeric import Inequality, Range, Threshold
from fakegen.errors import ConfigError, InfeasibleError

#: Constraint classes by the ``type`` key that selects them in the config.
CONSTRAINT_TYPES: dict[str, type[Constraint]] = {
    cls.type_name: cls
    for cls in (
        Range,
        Threshold,
        Inequality,
        Linear,
        Ratio,
        Membership,
        Combination,
        Implication,
        Equality,
        Xor,
        Count,
        Derived,
        ExpressionConstraint,
    )
}

__all__ = [
    "CONSTRAINT_TYPES",
    "Constraint",
    "check_compatible",
    "make_constraint",
    "make_constraints",
]


def make_constraint(
    name: str, spec: Mapping[str, Any], schema: Mapping[str, Column], *, key: str
) -> Constraint:
    """Build one constraint from its config mapping, checking every key."""
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{key} is {spec!r}; give a mapping with a 'type' key, such as "
            "{type: threshold, column: age, op: '>=', value: 18}."
        )
    spec = dict(spec)
    type_name = spec.pop("type", None)
    cls = CONSTRAINT_TYPES.get(type_name)
    if cls is None:
        raise ConfigError(
            f"{key}.type is {type_name!r}. {suggestion(type_name, CONSTRAINT_TYPES)}"
            f"Known constraint types are {', '.join(CONSTRAINT_TYPES)}."
        )
    hard = spec.pop("hard", False)
    if not isinstance(hard, bool):
        raise ConfigError(f"{key}.hard is {hard!r}; use true or false.")

    parameters = inspect.signature(cls.__init__).parameters
    accepted = [
        p for p in parameters if p not in ("self", "name", "schema", "key", "hard")
    ]
    required = [p for p in accepted if parameters[p].default is inspect.Parameter.empty]
    check_keys(
        spec,
        ["type", "hard", *accepted],
        key=key,
        owner=f"{with_article(type_name)} constraint",
    )
    missing = [p for p in required if spec.get(p) is None]
    if missing:
        raise ConfigError(
            f"{key}.{missing[0]} is missing; {with_article(type_name)} constraint "
            f"needs {', '.join(required)}."
        )
    return cls(name, schema=schema, key=key, hard=hard, **spec)


def make_constraints(
    specs: Mapping[str, Any], schema: Mapping[str, Column], *, key: str
) -> list[Constraint]:
    """Build every constraint of ``specs``, check each alone, then all together."""
    if not isinstance(specs, Mapping):
        raise ConfigError(
            f"{key} is {specs!r}; give a mapping of constraint name to settings."
        )
    constraints = [
        make_constraint(str(name), spec, schema, key=f"{key}.{name}")
        for name, spec in specs.items()
    ]
    for constraint in constraints:
        constraint.check_feasible()
    check_compatible(constraints)
    return constraints


def check_compatible(constraints: Sequence[Constraint]) -> None:
    """Raise InfeasibleError when the constraints cannot all hold on one row.

    A valid row meets every constraint, so the intervals that ranges and
    thresholds allow on one column must overlap, and so must the value sets
    that memberships allow on one literal column. Contradictions between
    other types surface during sampling instead.
    """
    intervals: dict[str, list[tuple[Constraint, float, float]]] = {}
    sets: dict[str, list[tuple[Constraint, set[str]]]] = {}
    for constraint in constraints:
        if isinstance(constraint, (Range, Threshold)):
            low, high = constraint.bounds()
            intervals.setdefault(constraint.column.name, []).append(
                (constraint, low, high)
            )
        elif isinstance(constraint, Membership):
            sets.setdefault(constraint.column.name, []).append(
                (constraint, set(constraint.allowed))
            )

    for column, entries in intervals.items():
        if max(low for _, low, _ in entries) > min(high for _, _, high in entries):
            raise InfeasibleError(_contradiction(column, [c for c, _, _ in entries]))
    for column, entries in sets.items():
        if not set.intersection(*(allowed for _, allowed in entries)):
            raise InfeasibleError(_contradiction(column, [c for c, _ in entries]))


def _contradiction(column: str, constraints: Sequence[Constraint]) -> str:
    described = ", ".join(f"{c.name!r} ({c.describe()})" for c in constraints)
    return (
        f"The constraints {described} on column {column!r} cannot all hold on "
        "one row, so no row can be valid. Loosen or remove one of them."
    )
