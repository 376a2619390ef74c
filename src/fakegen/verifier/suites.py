"""Targeted test suites built from the ground truth of a synthetic table.

Every suite is labelled by the rule itself (``generator.label_of``), never by
the way its rows were built, so a suite stays correct when a builder moves a
column that another constraint also uses.

NOTE: builders that move a column (boundary, extrapolation, counterfactual)
do not re-check hard constraints, so a moved row can break a hard constraint
on the same column and fall outside the table's domain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fakegen.constraints import Constraint
from fakegen.generator import SyntheticGenerator
from fakegen.verifier.options import (
    BOUNDARY,
    COUNTERFACTUAL,
    EXTRAPOLATION,
    INVARIANCE,
    UNSEEN_LITERALS,
)

# Rounds of redrawing a constraint's columns to break it, for constraints that
# cannot place a row at a chosen margin.
BREAK_ROUNDS = 20
UNSEEN_PREFIX = "unseen_"


@dataclass
class Suite:
    """The rows of one test suite, with clean labels.

    ``groups`` names, per row, the constraint the row was built for, so one
    prediction over the pooled rows also gives a score per constraint. In a
    counterfactual suite row ``i`` and row ``i + pairs`` form a pair.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray | None
    groups: np.ndarray | None = None
    rule: str = ""
    pairs: int = 0


def margin_constraints(generator: SyntheticGenerator) -> list[Constraint]:
    """Return the label constraints that can place a row at a chosen margin."""
    return [c for c in generator.label_constraints if c.has_margin]


def _split(n_rows: int, parts: int) -> list[int]:
    return [n_rows // parts + (i < n_rows % parts) for i in range(parts)]


def make_constraint_suite(
    generator: SyntheticGenerator,
    constraint: Constraint,
    valid: pd.DataFrame,
    n_breaking: int,
    rng: np.random.Generator,
) -> Suite:
    """Join ``valid`` rows and ``n_breaking`` rows that break ``constraint`` alone."""
    broken = generator.sample_breaking(n_breaking, rng, constraint)
    X = pd.concat([valid, broken.X], ignore_index=True)
    return Suite(constraint.name, X, generator.label_of(X), rule=constraint.describe())


def make_boundary_suite(
    generator: SyntheticGenerator,
    valid: pd.DataFrame,
    width: float,
    rng: np.random.Generator,
) -> Suite | None:
    """Move ``valid`` rows to within ``width`` std of one constraint's boundary.

    The rows are shared out evenly between the constraints that can place a
    row at a margin. About half land on each side of the boundary.
    """
    constraints = margin_constraints(generator)
    if not constraints or len(valid) == 0:
        return None
    frames, groups = [], []
    start = 0
    for constraint, count in zip(
        constraints, _split(len(valid), len(constraints)), strict=True
    ):
        X = valid.iloc[start : start + count].reset_index(drop=True)
        start += count
        side = np.where(rng.random(count) < 0.5, 1.0, -1.0)
        distance = side * rng.uniform(0.01 * width, width, count)
        constraint.place(X, np.arange(count), distance, rng)
        frames.append(X)
        groups.append(np.full(count, constraint.name, dtype=object))
    X = pd.concat(frames, ignore_index=True)
    return Suite(BOUNDARY, X, generator.label_of(X), np.concatenate(groups))


def constrained_numeric_columns(generator: SyntheticGenerator) -> list[str]:
    """Return the numeric columns that some label constraint or the rule uses."""
    used: set[str] = set()
    for constraint in generator.label_constraints:
        used.update(constraint.columns)
    if generator.label_rule is not None:
        used.update(generator.label_rule.columns)
    return [
        name
        for name, column in generator.columns.items()
        if name in used and column.is_numeric
    ]


def make_extrapolation_suite(
    generator: SyntheticGenerator,
    valid: pd.DataFrame,
    width: float,
    rng: np.random.Generator,
) -> Suite | None:
    """Move one constrained column of each ``valid`` row outside its range.

    A value goes up to ``width`` std above the column's high end or below its
    low end. Log-normal columns only go up, because they never take values
    of 0 or below.
    """
    names = constrained_numeric_columns(generator)
    n_rows = len(valid)
    if not names or n_rows == 0:
        return None
    X = valid.reset_index(drop=True)
    chosen = rng.integers(0, len(names), n_rows)
    for j, name in enumerate(names):
        rows = np.flatnonzero(chosen == j)
        column = generator.columns[name]
        offset = rng.uniform(0.05, 1.0, len(rows)) * width * column.scale
        above = rng.random(len(rows)) < 0.5
        if column.kind == "lognormal":
            above[:] = True
        values = np.where(above, column.high + offset, column.low - offset)
        if column.kind == "integer":
            values = np.where(above, np.ceil(values), np.floor(values))
        X[name] = X[name].astype(float)
        X.iloc[rows, X.columns.get_loc(name)] = values
        if column.kind == "integer":
            X[name] = X[name].astype(np.int64)
    groups = np.asarray(names, dtype=object)[chosen]
    return Suite(EXTRAPOLATION, X, generator.label_of(X), groups)


def make_invariance_suite(
    generator: SyntheticGenerator, X: pd.DataFrame, rng: np.random.Generator
) -> Suite | None:
    """Copy ``X`` and redraw every distractor column; the label stays the same."""
    if not generator.distractors or len(X) == 0:
        return None
    changed = X.reset_index(drop=True).copy()
    for name in generator.distractors:
        changed[name] = generator.columns[name].sample(len(changed), rng)
    return Suite(INVARIANCE, changed, None)


def make_counterfactual_suite(
    generator: SyntheticGenerator,
    valid: pd.DataFrame,
    distance: float,
    rng: np.random.Generator,
) -> Suite | None:
    """Build pairs of rows that differ only in one constraint's columns.

    Each pair starts from one ``valid`` row. Constraints with a margin put one
    copy on each side of the boundary, at the same distance (between a
    quarter of ``distance`` and ``distance`` std). For other constraints the
    second copy gets the constraint's columns redrawn until it breaks them.
    Pairs whose labels end up equal are dropped.
    """
    constraints = generator.label_constraints
    if not constraints or len(valid) == 0:
        return None
    firsts, seconds, groups = [], [], []
    start = 0
    for constraint, count in zip(
        constraints, _split(len(valid), len(constraints)), strict=True
    ):
        first = valid.iloc[start : start + count].reset_index(drop=True)
        start += count
        second = first.copy()
        cross_boundary(constraint, first, second, distance, rng)
        firsts.append(first)
        seconds.append(second)
        groups.append(np.full(count, constraint.name, dtype=object))
    first = pd.concat(firsts, ignore_index=True)
    second = pd.concat(seconds, ignore_index=True)
    differ = generator.label_of(first) != generator.label_of(second)
    if not differ.any():
        return None
    first = first.loc[differ].reset_index(drop=True)
    second = second.loc[differ].reset_index(drop=True)
    X = pd.concat([first, second], ignore_index=True)
    return Suite(
        COUNTERFACTUAL,
        X,
        generator.label_of(X),
        np.concatenate(groups)[differ],
        pairs=len(first),
    )


def cross_boundary(constraint, first, second, distance, rng) -> None:
    """Move ``constraint``'s columns so ``first`` meets it and ``second`` breaks it."""
    rows = np.arange(len(first))
    if constraint.has_margin:
        # Pairs closer than a quarter of ``distance`` are the boundary suite's job.
        gap = rng.uniform(0.25, 1.0, len(rows)) * distance
        # One seed for both copies, so a range picks the same edge in each.
        seed = int(rng.integers(2**32))
        constraint.place(first, rows, gap, np.random.default_rng(seed))
        constraint.place(second, rows, -gap, np.random.default_rng(seed))
        return
    pending = rows[constraint.check(second)]
    for _ in range(BREAK_ROUNDS):
        if len(pending) == 0:
            return
        constraint.violate(second, pending, rng)
        pending = pending[constraint.check(second.iloc[pending])]


def literal_columns(generator: SyntheticGenerator) -> list[str]:
    """Return the literal columns of the table, which the unseen-literal suite uses."""
    return [name for name, column in generator.columns.items() if column.is_literal]


def make_unseen_literal_suite(
    generator: SyntheticGenerator, valid: pd.DataFrame, rng: np.random.Generator
) -> Suite | None:
    """Give one literal column of each ``valid`` row a value never generated.

    The new values are named ``unseen_<column>_<k>``; the rule labels them as
    it would any value outside a membership list.
    """
    names = literal_columns(generator)
    n_rows = len(valid)
    if not names or n_rows == 0:
        return None
    X = valid.reset_index(drop=True)
    chosen = rng.integers(0, len(names), n_rows)
    for j, name in enumerate(names):
        rows = np.flatnonzero(chosen == j)
        fresh = [f"{UNSEEN_PREFIX}{name}_{k}" for k in (1, 2, 3)]
        values = X[name].astype(object).to_numpy(copy=True)
        values[rows] = np.asarray(fresh, dtype=object)[rng.integers(0, 3, len(rows))]
        categories = [*generator.columns[name].values, *fresh]
        X[name] = pd.Categorical(values, categories=categories)
    groups = np.asarray(names, dtype=object)[chosen]
    return Suite(UNSEEN_LITERALS, X, generator.label_of(X), groups)
