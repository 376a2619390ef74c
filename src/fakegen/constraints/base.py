"""The constraint interface and the helpers every constraint type shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fakegen.columns import Column
from fakegen.errors import ConfigError


def assign(df: pd.DataFrame, name: str, rows: np.ndarray, values: Any) -> None:
    """Write ``values`` into column ``name`` at the integer positions ``rows``."""
    if isinstance(df[name].dtype, pd.CategoricalDtype):
        current = df[name].array
        codes = current.codes.copy()
        codes[rows] = pd.Categorical(values, categories=current.categories).codes
        df[name] = pd.Categorical.from_codes(codes, categories=current.categories)
        return
    column = df[name].to_numpy(copy=True)
    column[rows] = values
    df[name] = column


class Constraint:
    """A predicate over one row that knows how to produce rows that meet or break it.

    Subclasses set ``columns`` and implement :meth:`check`. They may override
    :meth:`satisfy` and :meth:`violate` with targeted sampling, and the numeric
    ones implement :meth:`margin` and :meth:`place` so the generator can put
    rows at a chosen distance from the decision boundary.

    Parameters
    ----------
    name : str
        Name under ``constraint.constraints`` in the config.
    hard : bool, default=False
        A hard constraint holds on every row, valid or invalid, and is never
        part of the label.
    """

    type_name = "constraint"

    def __init__(self, name: str, *, hard: bool = False) -> None:
        self.name = name
        self.hard = hard
        self.columns: tuple[str, ...] = ()
        self.schema: Mapping[str, Column] = {}

    def describe(self) -> str:
        """Return the rule in words, such as ``income >= 25000``."""
        raise NotImplementedError

    def check(self, df: pd.DataFrame) -> np.ndarray:
        """Return a boolean array: True where the row satisfies the constraint."""
        raise NotImplementedError

    def check_feasible(self) -> None:
        """Raise InfeasibleError when no row could satisfy or violate this alone."""

    @property
    def has_margin(self) -> bool:
        return False

    def margin(self, df: pd.DataFrame) -> np.ndarray:
        """Signed distance to the boundary in units of the column's std.

        Positive where the row satisfies the constraint.
        """
        raise NotImplementedError

    def place(
        self,
        df: pd.DataFrame,
        rows: np.ndarray,
        distance: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """Move ``rows`` so their margin equals ``distance``, changing one column."""
        raise NotImplementedError

    def satisfy(
        self, df: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Redraw this constraint's columns at ``rows``, favouring satisfying values.

        The default redraws from the column samplers, so the generator's retry
        loop amounts to rejection sampling from the sampler's distribution.
        """
        self.redraw(df, rows, rng)

    def violate(
        self, df: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Redraw this constraint's columns at ``rows``, favouring violating values."""
        self.redraw(df, rows, rng)

    def redraw(
        self, df: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        for name in self.columns:
            assign(df, name, rows, self.schema[name].sample(len(rows), rng))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "rule": self.describe(), "hard": self.hard}


def require_column(
    schema: Mapping[str, Column], name: Any, *, key: str, kind: str | None = None
) -> Column:
    """Return the schema's column ``name`` or raise ConfigError naming ``key``."""
    if not isinstance(name, str) or name not in schema:
        raise ConfigError(
            f"{key} is {name!r}, which is not a column of the table; known "
            f"columns are {', '.join(schema)}."
        )
    column = schema[name]
    if kind == "numeric" and not column.is_numeric:
        raise ConfigError(
            f"{key} is {name!r}, a {column.kind} column; this constraint needs "
            "a numeric column (uniform, normal, lognormal or integer)."
        )
    if kind == "literal" and not column.is_literal:
        raise ConfigError(
            f"{key} is {name!r}, a {column.kind} column; this constraint needs "
            "a literal column."
        )
    return column


def require_number(value: Any, *, key: str) -> float:
    """Return ``value`` as a float or raise ConfigError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} is {value!r}; it must be a number.")
    return float(value)
