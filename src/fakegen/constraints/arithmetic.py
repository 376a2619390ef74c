"""Constraints on arithmetic of several columns: linear, ratio and derived value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from fakegen.constraints.base import (
    Constraint,
    probe_feasible,
    require_column,
    require_number,
)
from fakegen.constraints.numeric import (
    OPERATORS,
    check_operator,
    fit_to_column,
    resample_against,
)
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.expression import NUMBER, column_types, compile_expression
from fakegen.frame import Table, assign, read_numbers


class Linear(Constraint):
    """``sum(weight * column) op value``, for example ``income - 2 * debt >= 0``."""

    type_name = "linear"

    def __init__(self, name, *, weights, op, value, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        if not isinstance(weights, Mapping) or not weights:
            raise ConfigError(
                f"{key}.weights is {weights!r}; give a mapping of column to "
                "weight, such as {income: 1.0, debt: -2.0}."
            )
        self.weights = {}
        for column, weight in weights.items():
            require_column(schema, column, key=f"{key}.weights", kind="numeric")
            weight = require_number(weight, key=f"{key}.weights.{column}")
            if weight == 0:
                raise ConfigError(
                    f"{key}.weights.{column} is 0; drop the column instead."
                )
            self.weights[column] = weight
        self.op = check_operator(op, key=f"{key}.op")
        self.value = require_number(value, key=f"{key}.value")
        self.sign = 1.0 if op.startswith(">") else -1.0
        self.columns = tuple(self.weights)
        self.scale = math.sqrt(
            sum((w * schema[c].scale) ** 2 for c, w in self.weights.items())
        )
        # place() moves the column that carries the most spread of the sum.
        self.pivot = max(
            self.weights, key=lambda c: abs(self.weights[c]) * schema[c].scale
        )
        self.key = key

    def describe(self) -> str:
        terms = " + ".join(f"{w:g} * {c}" for c, w in self.weights.items())
        return f"{terms} {self.op} {self.value:g}".replace("+ -", "- ")

    def total(self, df: Table, skip: str | None = None) -> np.ndarray:
        """Return the weighted sum per row, leaving out column ``skip``."""
        result = np.zeros(len(df))
        for column, weight in self.weights.items():
            if column != skip:
                result += weight * read_numbers(df, column)
        return result

    def check(self, df: Table) -> np.ndarray:
        return OPERATORS[self.op](self.total(df), self.value)

    def check_feasible(self) -> None:
        low = sum(
            w * (self.schema[c].low if w > 0 else self.schema[c].high)
            for c, w in self.weights.items()
        )
        high = sum(
            w * (self.schema[c].high if w > 0 else self.schema[c].low)
            for c, w in self.weights.items()
        )
        if not low < self.value < high:
            raise InfeasibleError(
                f"{self.key}.value is {self.value:g}, outside the range "
                f"[{low:g}, {high:g}] the weighted sum covers, so "
                f"'{self.describe()}' either always or never holds. Move the "
                "value inside that range."
            )

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        return self.sign * (self.total(df) - self.value) / self.scale

    def place(self, df, rows, distance, rng) -> None:
        weight = self.weights[self.pivot]
        rest = self.total(df, skip=self.pivot)[rows]
        target = self.value + self.sign * distance * self.scale
        values = (target - rest) / weight
        # Round the pivot so the sum moves towards the requested side.
        upward = ((distance >= 0) == (self.sign > 0)) == (weight > 0)
        column = self.schema[self.pivot]
        assign(df, self.pivot, rows, fit_to_column(column, values, upward))

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "weights": dict(self.weights),
            "op": self.op,
            "value": self.value,
        }


class Ratio(Constraint):
    """``numerator / denominator op value``, for example ``debt / income <= 0.4``."""

    type_name = "ratio"

    def __init__(
        self, name, *, numerator, denominator, op, value, schema, key, hard=False
    ):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.numerator = require_column(
            schema, numerator, key=f"{key}.numerator", kind="numeric"
        )
        self.denominator = require_column(
            schema, denominator, key=f"{key}.denominator", kind="numeric"
        )
        if self.denominator.low <= 0:
            # verifier.constraints describe a user's file, whose columns have
            # no sampler to change.
            fix = (
                "Pick a denominator column whose values all lie above 0."
                if key.startswith("verifier.")
                else "Use a lognormal column or a positive range."
            )
            raise ConfigError(
                f"{key}.denominator is {denominator!r}, whose values reach "
                f"{self.denominator.low:g}; a ratio needs a denominator that "
                f"stays above 0. {fix}"
            )
        self.op = check_operator(op, key=f"{key}.op")
        self.value = require_number(value, key=f"{key}.value")
        self.sign = 1.0 if op.startswith(">") else -1.0
        self.columns = (numerator, denominator)
        self.key = key

    def describe(self) -> str:
        return (
            f"{self.numerator.name} / {self.denominator.name} {self.op} {self.value:g}"
        )

    def check(self, df: Table) -> np.ndarray:
        ratio = read_numbers(df, self.numerator.name) / read_numbers(
            df, self.denominator.name
        )
        return OPERATORS[self.op](ratio, self.value)

    def check_feasible(self) -> None:
        top, bottom = self.numerator, self.denominator
        candidates = [
            a / b for a in (top.low, top.high) for b in (bottom.low, bottom.high)
        ]
        if not min(candidates) < self.value < max(candidates):
            raise InfeasibleError(
                f"{self.key}.value is {self.value:g}, outside the range "
                f"[{min(candidates):g}, {max(candidates):g}] the ratio covers, so "
                f"'{self.describe()}' either always or never holds. Move the "
                "value inside that range."
            )

    def satisfy(self, df, rows, rng) -> None:
        self._resample(df, rows, True, rng)

    def violate(self, df, rows, rng) -> None:
        self._resample(df, rows, False, rng)

    def _resample(self, df, rows, holds, rng) -> None:
        # The denominator is positive, so a / b op v is a op v * b.
        bottom = read_numbers(df, self.denominator.name)[rows].astype(float, copy=False)
        bound = self.value * bottom
        resample_against(df, self, self.numerator, self.op, bound, rows, holds, rng)

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        # Measured on the numerator, whose std is the unit: the distance it
        # would have to move for the ratio to reach the bound.
        top = read_numbers(df, self.numerator.name).astype(float, copy=False)
        bottom = read_numbers(df, self.denominator.name)
        return self.sign * (top - self.value * bottom) / self.numerator.scale

    def place(self, df, rows, distance, rng) -> None:
        bottom = read_numbers(df, self.denominator.name)[rows].astype(float, copy=False)
        values = self.value * bottom + self.sign * distance * self.numerator.scale
        upward = (distance >= 0) == (self.sign > 0)
        assign(
            df,
            self.numerator.name,
            rows,
            fit_to_column(self.numerator, values, upward),
        )

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "op": self.op, "value": self.value}


class Derived(Constraint):
    """``column == formula`` within ``tolerance``, for example a monthly income."""

    type_name = "derived"

    def __init__(self, name, *, column, expression, tolerance, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.column = require_column(
            schema, column, key=f"{key}.column", kind="numeric"
        )
        if self.column.is_discrete:
            raise ConfigError(
                f"{key}.column is {column!r}, a whole-number column; a derived "
                "value needs a continuous column (uniform, normal or lognormal)."
            )
        self.formula = compile_expression(
            expression, column_types(schema), key=f"{key}.expression", expect=NUMBER
        )
        if column in self.formula.columns:
            raise ConfigError(
                f"{key}.expression is {expression!r}, which uses {column!r} "
                "itself; a derived column must be a formula of other columns."
            )
        self.tolerance = require_number(tolerance, key=f"{key}.tolerance")
        if self.tolerance <= 0:
            raise ConfigError(
                f"{key}.tolerance is {self.tolerance:g}; give a positive number."
            )
        self.columns = (column, *sorted(self.formula.columns))
        self.key = key

    def describe(self) -> str:
        return f"|{self.column.name} - ({self.formula.text})| <= {self.tolerance:g}"

    def check_feasible(self) -> None:
        probe_feasible(self, key=self.key, rule=self.describe(), placed_to_hold=True)

    def gap(self, df: Table) -> np.ndarray:
        """Return ``column - formula`` per row."""
        return read_numbers(df, self.column.name) - self.formula.evaluate(df)

    def check(self, df: Table) -> np.ndarray:
        return np.abs(self.gap(df)) <= self.tolerance

    def satisfy(self, df, rows, rng) -> None:
        distance = rng.uniform(0.0, self.tolerance / self.column.scale, len(rows))
        self.place(df, rows, distance, rng)

    @property
    def has_margin(self) -> bool:
        return True

    def margin(self, df: Table) -> np.ndarray:
        return (self.tolerance - np.abs(self.gap(df))) / self.column.scale

    def place(self, df, rows, distance, rng) -> None:
        # No row lies deeper inside than the tolerance itself.
        distance = np.minimum(distance, self.tolerance / self.column.scale)
        formula = self.formula.evaluate(df)[rows]
        side = np.where(rng.random(len(rows)) < 0.5, -1.0, 1.0)
        offset = self.tolerance - distance * self.column.scale
        # Keep a placed row strictly inside or outside despite rounding.
        offset = np.where(distance >= 0, offset * (1 - 1e-9), offset * (1 + 1e-9))
        assign(df, self.column.name, rows, formula + side * offset)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "tolerance": self.tolerance}
