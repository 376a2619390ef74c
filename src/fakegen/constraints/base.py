"""The constraint interface and the helpers every constraint type shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fakegen.checks import suggestion, with_article
from fakegen.columns import Column
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.expression import strict_arithmetic
from fakegen.frame import Frame, Table, assign, assign_codes

#: Rows drawn from the column samplers to probe whether a rule can go both ways.
PROBE_ROWS = 20_000
#: Seed of the probe draw, fixed so the same config always passes or fails.
PROBE_SEED = 0


class Constraint:
    """A predicate over one row, with methods that sample rows meeting or breaking it.

    Subclasses set ``columns`` and implement :meth:`check`. They may override
    :meth:`satisfy` and :meth:`violate` with targeted sampling, and the numeric
    ones implement :meth:`margin` and :meth:`place` so the generator can put
    rows at a chosen distance from the decision boundary.

    Every method that takes ``df`` accepts a pandas DataFrame or the
    generator's :class:`~fakegen.frame.Frame`; the ones that change rows do so
    in place, and ``rows`` holds integer positions.

    Parameters
    ----------
    name : str
        Name under ``constraint.constraints`` in the config.
    hard : bool, default=False
        A hard constraint holds on every row, valid or invalid, and is never
        part of the label.
    """

    type_name = "constraint"
    #: True when :meth:`satisfy` and :meth:`violate` always reach the requested
    #: side in one call, so the generator never needs to place rows instead.
    exact_sampling = False

    def __init__(self, name: str, *, hard: bool = False) -> None:
        self.name = name
        self.hard = hard
        self.columns: tuple[str, ...] = ()
        self.schema: Mapping[str, Column] = {}

    def describe(self) -> str:
        """Return the rule in words, such as ``income >= 25000``."""
        raise NotImplementedError

    def check(self, df: Table) -> np.ndarray:
        """Return a boolean array: True where the row satisfies the constraint."""
        raise NotImplementedError

    def check_feasible(self) -> None:
        """Raise InfeasibleError when no row could satisfy or violate this alone."""

    @property
    def has_margin(self) -> bool:
        """True when :meth:`margin` and :meth:`place` are implemented."""
        return False

    def margin(self, df: Table) -> np.ndarray:
        """Signed distance to the boundary in units of the column's std.

        Positive where the row satisfies the constraint.
        """
        raise NotImplementedError

    def place(
        self,
        df: Table,
        rows: np.ndarray,
        distance: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """Move ``rows`` so their margin equals ``distance``, changing one column."""
        raise NotImplementedError

    def satisfy(self, df: Table, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Redraw this constraint's columns at ``rows``, favouring satisfying values.

        The default redraws from the column samplers, so the generator's retry
        loop amounts to rejection sampling from the sampler's distribution.
        """
        self.redraw(df, rows, rng)

    def violate(self, df: Table, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Redraw this constraint's columns at ``rows``, favouring violating values."""
        self.redraw(df, rows, rng)

    def redraw(
        self,
        df: Table,
        rows: np.ndarray,
        rng: np.random.Generator,
        names: Sequence[str] | None = None,
    ) -> None:
        """Redraw ``names`` (default: this constraint's columns) at ``rows``."""
        for name in self.columns if names is None else names:
            column = self.schema[name]
            values = column.draw(len(rows), rng)
            if column.is_literal:
                assign_codes(df, column, rows, values)
            else:
                assign(df, name, rows, values)

    def to_dict(self) -> dict[str, Any]:
        """Return the type, the rule in words, hardness and the columns used."""
        return {
            "type": self.type_name,
            "rule": self.describe(),
            "hard": self.hard,
            "columns": list(self.columns),
        }


def require_column(
    schema: Mapping[str, Column], name: Any, *, key: str, kind: str | None = None
) -> Column:
    """Return the schema's column ``name`` or raise ConfigError naming ``key``."""
    if not isinstance(name, str) or name not in schema:
        raise ConfigError(
            f"{key} is {name!r}, which is not a column of the table. "
            f"{suggestion(name, schema)}Known columns are {', '.join(schema)}."
        )
    column = schema[name]
    if kind == "numeric" and not column.is_numeric:
        raise ConfigError(
            f"{key} is {name!r}, {with_article(column.kind)} column; this "
            "constraint needs a numeric column (uniform, normal, lognormal or "
            "integer)."
        )
    if kind == "literal" and not column.is_literal:
        raise ConfigError(
            f"{key} is {name!r}, {with_article(column.kind)} column; this "
            "constraint needs a literal column."
        )
    return column


def require_number(value: Any, *, key: str) -> float:
    """Return ``value`` as a float or raise ConfigError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} is {value!r}; it must be a number.")
    return float(value)


def require_list(value: Any, *, key: str, what: str) -> list[Any]:
    """Return ``value`` as a non-empty list or raise ConfigError naming ``key``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ConfigError(f"{key} is {value!r}; give a non-empty list of {what}.")
    return list(value)


def probe_feasible(
    constraint: Constraint, *, key: str, rule: str, placed_to_hold: bool = False
) -> None:
    """Raise InfeasibleError when a probe draw shows ``constraint`` is one-sided.

    The columns of ``constraint`` are drawn PROBE_ROWS times from their
    samplers. A rule that holds on every drawn row gives no row to break it,
    and one that holds on none gives no row to satisfy it. A hard constraint
    only needs rows that satisfy it. With ``placed_to_hold``, the constraint
    places satisfying rows itself, so only a rule that always holds fails.
    """
    rng = np.random.default_rng(PROBE_SEED)
    arrays = {
        name: constraint.schema[name].draw(PROBE_ROWS, rng)
        for name in constraint.columns
    }
    frame = Frame(arrays, constraint.schema)
    held = constraint.check(frame)
    one_sided = (not held.any() and not placed_to_hold) or (
        held.all() and not constraint.hard
    )
    hint = _arithmetic_hint(constraint, frame) if one_sided else ""
    if not held.any() and not placed_to_hold:
        raise InfeasibleError(
            f"{key} is {rule!r}, which holds on none of {PROBE_ROWS} rows drawn "
            "from the column samplers, so no row can satisfy it. Loosen the "
            f"rule, or widen the ranges of the columns it uses.{hint}"
        )
    if held.all() and not constraint.hard:
        raise InfeasibleError(
            f"{key} is {rule!r}, which holds on every one of {PROBE_ROWS} rows "
            "drawn from the column samplers, so no row can break it. Tighten "
            f"the rule so that some rows break it.{hint}"
        )


def _arithmetic_hint(constraint: Constraint, frame: Frame) -> str:
    """Name the arithmetic fault that most often makes a rule one-sided.

    Division by zero, overflow and the logarithm or square root of a negative
    number give infinity or NaN silently, and a comparison with NaN is false.
    """
    try:
        with (
            strict_arithmetic(),
            np.errstate(divide="raise", over="raise", invalid="raise"),
        ):
            constraint.check(frame)
    except FloatingPointError as exc:
        return (
            f" The expression also meets a floating-point fault on the rows "
            f"drawn ({exc}): check for a division by zero, an overflow, or "
            "the logarithm or square root of a negative number."
        )
    except Exception:  # noqa: BLE001 - the hint is optional
        return ""
    return ""
