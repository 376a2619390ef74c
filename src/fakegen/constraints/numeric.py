"""Constraints on numeric columns: range, threshold and inequality."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd

from fakegen.columns import Column
from fakegen.constraints.base import (
    Constraint,
    assign,
    require_column,
    require_number,
)
from fakegen.errors import ConfigError, InfeasibleError

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def check_operator(op: Any, *, key: str) -> str:
    if op not in OPERATORS:
        raise ConfigError(
            f"{key} is {op!r}; use one of {', '.join(repr(o) for o in OPERATORS)}."
        )
    return op


def _fit_to_column(column: Column, values: np.ndarray, upward: np.ndarray) -> Any:
    """Round placed values for integer columns, up where ``upward`` else down."""
    if column.kind != "integer":
        return values
    return np.where(upward, np.ceil(values), np.floor(values)).astype(np.int64)


class Threshold(Constraint):
    """``column op value``, for example ``income >= 25000``."""

    type_name = "threshold"

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

    def check(self, df: pd.DataFrame) -> np.ndarray:
        return OPERATORS[self.op](df[self.column.name].to_numpy(), self.value)

    def check_feasible(self) -> None:
        if not self.column.low < self.value < self.column.high:
            raise InfeasibleError(
                f"{self.key}.value is {self.value:g}, outside the range "
                f"[{self.column.low:g}, {self.column.high:g}] that column "
                f"{self.column.name!r} covers, so '{self.describe()}' either always "
                "or never holds. Move the value inside that range."
            )

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: pd.DataFrame) -> np.ndarray:
        x = df[self.column.name].to_numpy(dtype=float)
        return self.sign * (x - self.value) / self.column.scale

    @property
    def placed_column(self) -> str:
        """Name of the column that :meth:`place` moves."""
        return self.column.name

    def place(self, df, rows, distance, rng) -> None:
        values = self.value + self.sign * distance * self.column.scale
        upward = (distance >= 0) == (self.sign > 0)
        assign(df, self.column.name, rows, _fit_to_column(self.column, values, upward))


class Range(Constraint):
    """``low <= column <= high``, for example an age between 18 and 70."""

    type_name = "range"

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
                "range: no row can satisfy it. Set low below high."
            )

    def describe(self) -> str:
        return f"{self.low:g} <= {self.column.name} <= {self.high:g}"

    def check(self, df: pd.DataFrame) -> np.ndarray:
        x = df[self.column.name].to_numpy()
        return (x >= self.low) & (x <= self.high)

    def check_feasible(self) -> None:
        column = self.column
        if self.high <= column.low or self.low >= column.high:
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

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: pd.DataFrame) -> np.ndarray:
        x = df[self.column.name].to_numpy(dtype=float)
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
        assign(df, column.name, rows, _fit_to_column(column, values, upward))


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

    def check(self, df: pd.DataFrame) -> np.ndarray:
        return OPERATORS[self.op](
            df[self.left.name].to_numpy(), df[self.right.name].to_numpy()
        )

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

    def margin(self, df: pd.DataFrame) -> np.ndarray:
        diff = df[self.left.name].to_numpy(dtype=float) - df[self.right.name].to_numpy(
            dtype=float
        )
        return self.sign * diff / self.scale

    @property
    def placed_column(self) -> str:
        """Name of the column that :meth:`place` moves: the left-hand one."""
        return self.left.name

    def place(self, df, rows, distance, rng) -> None:
        right = df[self.right.name].to_numpy(dtype=float)[rows]
        values = right + self.sign * distance * self.scale
        upward = (distance >= 0) == (self.sign > 0)
        assign(df, self.left.name, rows, _fit_to_column(self.left, values, upward))
