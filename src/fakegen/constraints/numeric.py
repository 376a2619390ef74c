"""Constraints on one numeric column or a pair: range, threshold and inequality."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from fakegen.columns import Column
from fakegen.constraints.base import Constraint, require_column, require_number
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.frame import Table, assign, read_numbers

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def check_operator(op: Any, *, key: str) -> str:
    """Return ``op`` if it is one of the four order comparisons."""
    if op not in OPERATORS:
        raise ConfigError(
            f"{key} is {op!r}; use one of {', '.join(repr(o) for o in OPERATORS)}."
        )
    return op


def fit_to_column(column: Column, values: np.ndarray, upward: np.ndarray) -> Any:
    """Fit placed values to the column: clip them to what its sampler can produce,
    and round them for whole-number columns, up where ``upward`` else down.

    A clipped value may land on the other side of the boundary; the generator
    then tries again with other values of the remaining columns.
    """
    values = column.clip(values)
    if not column.is_discrete:
        return values
    return np.where(upward, np.ceil(values), np.floor(values)).astype(np.int64)


def above(column: Column, value: Any) -> Any:
    """Return the smallest value of ``column``'s type strictly above ``value``."""
    if column.is_discrete:
        return np.floor(value) + 1.0
    return np.nextafter(value, np.inf)


def below(column: Column, value: Any) -> Any:
    """Return the largest value of ``column``'s type strictly below ``value``."""
    if column.is_discrete:
        return np.ceil(value) - 1.0
    return np.nextafter(value, -np.inf)


def interval(column: Column, op: str, value: Any, holds: bool) -> tuple[Any, Any]:
    """Return the closed interval of ``column`` where ``column op value`` == holds.

    ``value`` may be a scalar or an array of per-row bounds.
    """
    if op in ("<", "<="):
        # x < v breaks exactly where x >= v holds, and so on.
        mirrored = {"<": ">=", "<=": ">"}[op]
        return interval(column, mirrored, value, not holds)
    strict = op == ">"
    if holds:
        return (above(column, value) if strict else value), np.inf
    return -np.inf, (value if strict else below(column, value))


def resample_against(
    df: Table,
    constraint: Constraint,
    column: Column,
    op: str,
    bound: np.ndarray,
    rows: np.ndarray,
    holds: bool,
    rng: np.random.Generator,
) -> None:
    """Redraw ``column`` at ``rows`` so that ``column op bound`` equals ``holds``.

    Values come from the column's sampler truncated to the side asked for,
    given the other columns of the row. Where the sampler has no mass on that
    side (the bound lies beyond the column's range), every column of
    ``constraint`` is redrawn instead, so a later round can try again.
    """
    low, high = interval(column, op, bound, holds)
    mass = column.cdf(high) - column.cdf(low)
    if column.is_discrete:
        mass = np.where(np.ceil(low) <= np.floor(high), mass, 0.0)
    stuck = np.broadcast_to(mass <= 0, rows.shape)
    if stuck.any():
        constraint.redraw(df, rows[stuck], rng)
        free = np.flatnonzero(~stuck)
        rows, low, high = rows[free], _select(low, free), _select(high, free)
    values = column.sample_between(len(rows), low, high, rng)
    assign(df, column.name, rows, values)


def _select(bounds: Any, rows: np.ndarray) -> Any:
    """Return ``bounds[rows]``, or ``bounds`` itself when it is one scalar bound."""
    return bounds if np.ndim(bounds) == 0 else bounds[rows]


class Threshold(Constraint):
    """``column op value``, for example ``income >= 25000``."""

    type_name = "threshold"
    exact_sampling = True

    def __init__(self, name, *, column, op, value, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.column = require_column(
            schema, column, key=f"{key}.column", kind="numeric"
        )
        self.op = check_operator(op, key=f"{key}.op")
        self.value = require_number(value, key=f"{key}.value")
        self.columns = (column,)
        self.sign = 1.0 if op.startswith(">") else -1.0
        self.key = key

    def describe(self) -> str:
        return f"{self.column.name} {self.op} {self.value:g}"

    def check(self, df: Table) -> np.ndarray:
        return OPERATORS[self.op](read_numbers(df, self.column.name), self.value)

    def check_feasible(self) -> None:
        if not self.column.low < self.value < self.column.high:
            raise InfeasibleError(
                f"{self.key}.value is {self.value:g}, outside the range "
                f"[{self.column.low:g}, {self.column.high:g}] that column "
                f"{self.column.name!r} covers, so '{self.describe()}' either always "
                "or never holds. Move the value inside that range."
            )

    def bounds(self) -> tuple[float, float]:
        """Return the interval of the column where the constraint holds."""
        return interval(self.column, self.op, self.value, True)

    def satisfy(self, df, rows, rng) -> None:
        low, high = interval(self.column, self.op, self.value, True)
        values = self.column.sample_between(len(rows), low, high, rng)
        assign(df, self.column.name, rows, values)

    def violate(self, df, rows, rng) -> None:
        low, high = interval(self.column, self.op, self.value, False)
        values = self.column.sample_between(len(rows), low, high, rng)
        assign(df, self.column.name, rows, values)

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        x = read_numbers(df, self.column.name).astype(float, copy=False)
        return self.sign * (x - self.value) / self.column.scale

    @property
    def placed_column(self) -> str:
        """Name of the column that :meth:`place` moves."""
        return self.column.name

    def place(self, df, rows, distance, rng) -> None:
        values = self.value + self.sign * distance * self.column.scale
        upward = (distance >= 0) == (self.sign > 0)
        assign(df, self.column.name, rows, fit_to_column(self.column, values, upward))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "op": self.op, "value": self.value}


class Range(Constraint):
    """``low <= column <= high``, for example an age between 18 and 70."""

    type_name = "range"
    exact_sampling = True

    def __init__(self, name, *, column, low, high, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.column = require_column(
            schema, column, key=f"{key}.column", kind="numeric"
        )
        self.low = require_number(low, key=f"{key}.low")
        self.high = require_number(high, key=f"{key}.high")
        self.columns = (column,)
        self.key = key
        if not self.low < self.high:
            raise InfeasibleError(
                f"{key} has low={self.low:g} and high={self.high:g}, an empty "
                f"range: no row can satisfy constraint {name!r}. Set low below high."
            )

    def describe(self) -> str:
        return f"{self.low:g} <= {self.column.name} <= {self.high:g}"

    def check(self, df: Table) -> np.ndarray:
        x = read_numbers(df, self.column.name)
        return (x >= self.low) & (x <= self.high)

    def check_feasible(self) -> None:
        column = self.column
        if self.high < column.low or self.low > column.high:
            raise InfeasibleError(
                f"{self.key} '{self.describe()}' does not overlap the range "
                f"[{column.low:g}, {column.high:g}] that column {column.name!r} "
                "covers, so no row can satisfy it. Move low and high into it."
            )
        if self.low <= column.low and self.high >= column.high:
            raise InfeasibleError(
                f"{self.key} '{self.describe()}' covers the whole range "
                f"[{column.low:g}, {column.high:g}] of column {column.name!r}, "
                "so no row can violate it. Narrow low or high."
            )

    def bounds(self) -> tuple[float, float]:
        """Return the interval of the column where the constraint holds."""
        return self.low, self.high

    def satisfy(self, df, rows, rng) -> None:
        values = self.column.sample_between(len(rows), self.low, self.high, rng)
        assign(df, self.column.name, rows, values)

    def violate(self, df, rows, rng) -> None:
        # Pick a side in proportion to the sampler's mass there, so violating
        # rows follow the column's own distribution outside the range.
        column = self.column
        under = below(column, self.low)
        over = above(column, self.high)
        mass_under = float(column.cdf(under))
        mass_over = 1.0 - float(column.cdf(self.high))
        total = mass_under + mass_over
        share_under = mass_under / total if total > 0 else 0.5
        lower = rng.random(len(rows)) < share_under
        low = np.where(lower, -np.inf, over)
        high = np.where(lower, under, np.inf)
        assign(df, column.name, rows, column.sample_between(len(rows), low, high, rng))

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        x = read_numbers(df, self.column.name).astype(float, copy=False)
        return np.minimum(x - self.low, self.high - x) / self.column.scale

    @property
    def placed_column(self) -> str:
        """Name of the column that :meth:`place` moves."""
        return self.column.name

    def place(self, df, rows, distance, rng) -> None:
        # Pick the lower or the upper edge per row, but only an edge that the
        # column's sampler can reach on the violating side.
        column = self.column
        lower = rng.random(len(rows)) < 0.5
        if self.low <= column.low:
            lower[:] = False
        elif self.high >= column.high:
            lower[:] = True
        step = distance * column.scale
        values = np.where(lower, self.low + step, self.high - step)
        upward = lower == (distance >= 0)
        assign(df, column.name, rows, fit_to_column(column, values, upward))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "low": self.low, "high": self.high}


class Inequality(Constraint):
    """``left op right`` between two columns, for example ``end > start``."""

    type_name = "inequality"

    def __init__(self, name, *, left, op, right, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.left = require_column(schema, left, key=f"{key}.left", kind="numeric")
        self.right = require_column(schema, right, key=f"{key}.right", kind="numeric")
        if left == right:
            raise ConfigError(
                f"{key}.left and {key}.right are both {left!r}; compare two "
                "different columns."
            )
        self.op = check_operator(op, key=f"{key}.op")
        self.columns = (left, right)
        self.sign = 1.0 if op.startswith(">") else -1.0
        self.scale = (self.left.scale + self.right.scale) / 2
        self.key = key

    def describe(self) -> str:
        return f"{self.left.name} {self.op} {self.right.name}"

    def check(self, df: Table) -> np.ndarray:
        return OPERATORS[self.op](
            read_numbers(df, self.left.name), read_numbers(df, self.right.name)
        )

    def satisfy(self, df, rows, rng) -> None:
        self._resample(df, rows, True, rng)

    def violate(self, df, rows, rng) -> None:
        self._resample(df, rows, False, rng)

    def _resample(self, df, rows, holds, rng) -> None:
        bound = read_numbers(df, self.right.name)[rows].astype(float, copy=False)
        resample_against(df, self, self.left, self.op, bound, rows, holds, rng)

    def check_feasible(self) -> None:
        if self.left.high <= self.right.low or self.left.low >= self.right.high:
            raise InfeasibleError(
                f"{self.key} '{self.describe()}': the ranges of "
                f"{self.left.name!r} [{self.left.low:g}, {self.left.high:g}] and "
                f"{self.right.name!r} [{self.right.low:g}, {self.right.high:g}] "
                "do not overlap, so the comparison never changes. Make them overlap."
            )

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        left = read_numbers(df, self.left.name).astype(float, copy=False)
        right = read_numbers(df, self.right.name).astype(float, copy=False)
        return self.sign * (left - right) / self.scale

    @property
    def placed_column(self) -> str:
        """Name of the column that :meth:`place` moves: the left-hand one."""
        return self.left.name

    def place(self, df, rows, distance, rng) -> None:
        right = read_numbers(df, self.right.name)[rows].astype(float, copy=False)
        values = right + self.sign * distance * self.scale
        upward = (distance >= 0) == (self.sign > 0)
        assign(df, self.left.name, rows, fit_to_column(self.left, values, upward))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "op": self.op}
