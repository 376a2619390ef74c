"""Constraints on literal columns: membership, allowed combinations and equality."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fakegen.columns import Column
from fakegen.constraints.base import Constraint, require_column, require_list
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.frame import Table, assign, assign_codes, read_codes, read_numbers
from fakegen.vocabulary import city_countries


def value_weights(column: Column) -> np.ndarray:
    """Return the sampler's probability of each value of a literal column."""
    weights = column.params["weights"]
    if weights is None:
        return np.full(len(column.values), 1.0 / len(column.values))
    return np.asarray(weights, dtype=float)


def draw_codes(
    column: Column, options: np.ndarray, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw codes among ``options`` in proportion to the column's value weights.

    Raises
    ------
    ValueError
        If ``options`` is empty and ``n_samples`` is not 0. Callers that
        work on a user's file, where a column may lack the values a rule
        needs, check for that first.
    """
    if len(options) == 0 and n_samples:
        raise ValueError(f"column {column.name!r} has no value to draw from")
    if column.params["weights"] is None:
        return options[rng.integers(0, len(options), n_samples)]
    cumulative = np.cumsum(value_weights(column)[options])
    if cumulative[-1] <= 0:
        cumulative = np.arange(1.0, len(options) + 1)
    picks = np.searchsorted(cumulative, rng.random(n_samples) * cumulative[-1], "right")
    return options[np.minimum(picks, len(options) - 1)]


def draw_partners(
    allowed: np.ndarray,
    weights: np.ndarray,
    given: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw for each code in ``given`` a column index where ``allowed[given]`` is True.

    Rows whose ``allowed`` row is all False get -1.
    """
    p = allowed * weights
    totals = p.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(
        np.divide(p, totals, where=totals > 0, out=np.zeros_like(p)), 1
    )
    u = rng.random(len(given))[:, None]
    picks = (cumulative[given] <= u).sum(axis=1)
    picks = np.minimum(picks, allowed.shape[1] - 1)
    return np.where(totals[given, 0] > 0, picks, -1)


def lookup_mask(column: Column, allowed: Sequence[str]) -> np.ndarray:
    """Return a boolean table indexed by code, with a final False for code -1."""
    mask = np.zeros(len(column.values) + 1, dtype=bool)
    positions = {v: i for i, v in enumerate(column.values)}
    mask[[positions[v] for v in allowed]] = True
    return mask


class Membership(Constraint):
    """``column in values``, for example a city among the cities served."""

    type_name = "membership"
    exact_sampling = True

    def __init__(self, name, *, column, values, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.column = require_column(
            schema, column, key=f"{key}.column", kind="literal"
        )
        values = require_list(values, key=f"{key}.values", what="literals")
        self.allowed = [str(v) for v in values]
        unknown = sorted(set(self.allowed) - set(self.column.values))
        if unknown:
            raise ConfigError(
                f"{key}.values contains {unknown[0]!r}, which column "
                f"{column!r} never takes; its values are "
                f"{', '.join(self.column.values)}."
            )
        self.columns = (column,)
        self.key = key
        self.mask = lookup_mask(self.column, self.allowed)

    def describe(self) -> str:
        return f"{self.column.name} in {self.allowed}"

    def check(self, df: Table) -> np.ndarray:
        return self.mask[read_codes(df, self.column)]

    def check_feasible(self) -> None:
        if set(self.allowed) >= set(self.column.values):
            raise InfeasibleError(
                f"{self.key}.values allows every value of column "
                f"{self.column.name!r}, so no row can violate it. Leave at "
                "least one value out."
            )

    def satisfy(self, df, rows, rng) -> None:
        self._draw(df, rows, rng, np.flatnonzero(self.mask[:-1]))

    def violate(self, df, rows, rng) -> None:
        self._draw(df, rows, rng, np.flatnonzero(~self.mask[:-1]))

    def _draw(self, df, rows, rng, options: np.ndarray) -> None:
        # A user's column may hold only values inside (or outside) the list.
        # The rows then stay as they are, and the counterfactual pairs that
        # needed a change are dropped by their builder.
        if len(options) == 0:
            return
        assign_codes(
            df, self.column, rows, draw_codes(self.column, options, len(rows), rng)
        )

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "values": self.allowed}


class Combination(Constraint):
    """``(left, right)`` is an allowed pair, for example a city and its country.

    ``pairs`` maps each left value to its allowed right value or list of
    values, or names a shipped pairing (``cities``: city to country).
    """

    type_name = "combination"
    exact_sampling = True

    def __init__(self, name, *, left, right, pairs, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.left = require_column(schema, left, key=f"{key}.left", kind="literal")
        self.right = require_column(schema, right, key=f"{key}.right", kind="literal")
        if left == right:
            raise ConfigError(
                f"{key}.left and {key}.right are both {left!r}; pair two "
                "different columns."
            )
        self.pairs = self._read_pairs(pairs, key=f"{key}.pairs")
        left_index = {v: i for i, v in enumerate(self.left.values)}
        right_index = {v: i for i, v in enumerate(self.right.values)}
        # One extra row and column stay False so unknown values (code -1) fail.
        self.allowed = np.zeros(
            (len(self.left.values) + 1, len(self.right.values) + 1), dtype=bool
        )
        for a, partners in self.pairs.items():
            for b in partners:
                if a not in left_index or b not in right_index:
                    raise ConfigError(
                        f"{key}.pairs pairs {a!r} with {b!r}, but {left!r} takes "
                        f"{', '.join(self.left.values)} and {right!r} takes "
                        f"{', '.join(self.right.values)}."
                    )
                self.allowed[left_index[a], right_index[b]] = True
        self.columns = (left, right)
        self.key = key

    def _read_pairs(self, pairs: Any, *, key: str) -> dict[str, list[str]]:
        if pairs == "cities":
            # Keep only the shipped pairs both columns can take.
            lefts, rights = set(self.left.values), set(self.right.values)
            return {
                city: [country]
                for city, country in city_countries().items()
                if city in lefts and country in rights
            }
        if not isinstance(pairs, Mapping) or not pairs:
            raise ConfigError(
                f"{key} is {pairs!r}; give a mapping of left value to right "
                "value(s), such as {Paris: France}, or the shipped name cities."
            )
        return {
            str(a): [str(b)] if isinstance(b, str) else [str(x) for x in b]
            for a, b in pairs.items()
        }

    def describe(self) -> str:
        return (
            f"({self.left.name}, {self.right.name}) in {len(self.pairs)} allowed pairs"
        )

    def check(self, df: Table) -> np.ndarray:
        return self.allowed[read_codes(df, self.left), read_codes(df, self.right)]

    def check_feasible(self) -> None:
        core = self.allowed[:-1, :-1]
        if not core.any() or core.all():
            what = "no pair" if not core.any() else "every pair"
            raise InfeasibleError(
                f"{self.key}.pairs allows {what} of {self.left.name!r} and "
                f"{self.right.name!r}, so the constraint never changes. List "
                "some pairs, but not all."
            )

    def satisfy(self, df, rows, rng) -> None:
        self._pair(df, rows, rng, self.allowed[:-1, :-1])

    def violate(self, df, rows, rng) -> None:
        self._pair(df, rows, rng, ~self.allowed[:-1, :-1])

    def _pair(self, df, rows, rng, table: np.ndarray) -> None:
        # A left value without a usable partner is redrawn among those that have one.
        left = read_codes(df, self.left)[rows].copy()
        usable = np.flatnonzero(table.any(axis=1))
        if len(usable) == 0:
            return
        stuck = ~np.isin(left, usable)
        left[stuck] = draw_codes(self.left, usable, int(stuck.sum()), rng)
        right = draw_partners(table, value_weights(self.right), left, rng)
        assign_codes(df, self.left, rows, left)
        assign_codes(df, self.right, rows, right)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "pairs": self.pairs}


class Equality(Constraint):
    """``left == right`` on two literal or two whole-number columns."""

    type_name = "equality"
    exact_sampling = True

    def __init__(self, name, *, left, right, schema, key, hard=False):
        super().__init__(name, hard=hard)
        self.schema = schema
        self.left = require_column(schema, left, key=f"{key}.left")
        self.right = require_column(schema, right, key=f"{key}.right")
        if left == right:
            raise ConfigError(
                f"{key}.left and {key}.right are both {left!r}; compare two "
                "different columns."
            )
        literal = self.left.is_literal and self.right.is_literal
        discrete = self.left.is_discrete and self.right.is_discrete
        if not (literal or discrete):
            raise ConfigError(
                f"{key} compares {left!r} ({self.left.kind}) with {right!r} "
                f"({self.right.kind}); equality needs two literal or two integer "
                "columns. For continuous values use a derived constraint with a "
                "tolerance."
            )
        self.literal = literal
        if literal:
            # Code of each right value in the left vocabulary, -1 where absent,
            # plus a final -1 for unknown right values.
            positions = {v: i for i, v in enumerate(self.left.values)}
            self.to_left = np.array(
                [positions.get(v, -1) for v in self.right.values] + [-1]
            )
        self.columns = (left, right)
        self.key = key

    def describe(self) -> str:
        return f"{self.left.name} == {self.right.name}"

    def check(self, df: Table) -> np.ndarray:
        if not self.literal:
            return read_numbers(df, self.left.name) == read_numbers(df, self.right.name)
        mapped = self.to_left[read_codes(df, self.right)]
        return (read_codes(df, self.left) == mapped) & (mapped >= 0)

    def check_feasible(self) -> None:
        if self.literal:
            shared = (self.to_left[:-1] >= 0).sum()
            if shared == 0 or (shared == 1 and len(self.left.values) == 1):
                raise InfeasibleError(
                    f"{self.key}: columns {self.left.name!r} and "
                    f"{self.right.name!r} share no value, so they are never equal. "
                    "Give them overlapping vocabularies."
                )
        elif self.left.high < self.right.low or self.right.high < self.left.low:
            raise InfeasibleError(
                f"{self.key}: the ranges of {self.left.name!r} and "
                f"{self.right.name!r} do not overlap, so they are never equal. "
                "Make them overlap."
            )

    def satisfy(self, df, rows, rng) -> None:
        if not self.literal:
            assign(df, self.left.name, rows, read_numbers(df, self.right.name)[rows])
            return
        right = read_codes(df, self.right)[rows].copy()
        shared = np.flatnonzero(self.to_left[:-1] >= 0)
        if len(shared) == 0:
            return
        stuck = ~np.isin(right, shared)
        right[stuck] = draw_codes(self.right, shared, int(stuck.sum()), rng)
        assign_codes(df, self.right, rows, right)
        assign_codes(df, self.left, rows, self.to_left[right])

    def violate(self, df, rows, rng) -> None:
        if not self.literal:
            # Any other whole number of the left column's range, uniformly.
            right = read_numbers(df, self.right.name)[rows]
            low, high = int(self.left.low), int(self.left.high)
            values = rng.integers(low, high, len(rows), endpoint=False)
            values = values + (values >= right)
            assign(df, self.left.name, rows, values)
            return
        mapped = self.to_left[read_codes(df, self.right)[rows]]
        size = len(self.left.values)
        values = rng.integers(0, size - 1, len(rows))
        values = np.where(
            mapped >= 0, values + (values >= mapped), rng.integers(0, size, len(rows))
        )
        assign_codes(df, self.left, rows, values)
