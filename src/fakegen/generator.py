"""Synthetic tables whose rows meet or break a constraint set on purpose."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fakegen.columns import Column, make_column
from fakegen.constraints import Constraint, make_constraints
from fakegen.constraints.logical import ExpressionConstraint
from fakegen.errors import ConfigError, InfeasibleError

log = logging.getLogger(__name__)

HOLD, BREAK = 1, -1
MAX_ROUNDS = 80
# After this many rounds of plain redraws, constraints that can place a row at a
# chosen margin do so; this keeps rare regions reachable without biasing the
# common case away from the column samplers' distributions.
TARGETED_AFTER = 20
DISTRACTOR_VALUES = ("red", "green", "blue", "amber", "violet")


@dataclass
class Dataset:
    """A feature table with its labels.

    ``y`` holds the labels a model trains and is scored on, after label noise;
    ``y_clean`` holds the labels the rule gives, before noise.
    """

    X: pd.DataFrame
    y: np.ndarray
    y_clean: np.ndarray


class SyntheticGenerator:
    """Sample rows of a table so that each row meets or breaks chosen constraints.

    Parameters
    ----------
    columns : list of Column
        Every column of the table, distractors included.
    constraints : list of Constraint
        Label constraints and hard constraints.
    label_rule : ExpressionConstraint or None, default=None
        Custom rule that gives the label; None means "every label constraint holds".
    balance : float, default=0.5
        Share of rows with label 1.
    noise : float, default=0.0
        Share of labels flipped at random after generation.
    several : float, default=0.2
        Share of invalid rows that break two label constraints instead of one.
    near : float, default=0.5
        Share of violations placed within ``margin`` of the boundary, for the
        constraints that have a numeric boundary.
    margin : float, default=0.25
        Width of the near-boundary band, in standard deviations of the column.
    distractors : sequence of str, default=()
        Names of the columns no constraint mentions.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        constraints: Sequence[Constraint],
        *,
        label_rule: ExpressionConstraint | None = None,
        balance: float = 0.5,
        noise: float = 0.0,
        several: float = 0.2,
        near: float = 0.5,
        margin: float = 0.25,
        distractors: Sequence[str] = (),
    ) -> None:
        self.columns = {column.name: column for column in columns}
        self.constraints = list(constraints)
        self.label_rule = label_rule
        self.balance = balance
        self.noise = noise
        self.several = several
        self.near = near
        self.margin = margin
        self.distractors = tuple(distractors)

    @property
    def label_constraints(self) -> list[Constraint]:
        return [c for c in self.constraints if not c.hard]

    @property
    def hard_constraints(self) -> list[Constraint]:
        return [c for c in self.constraints if c.hard]

    def label_of(self, X: pd.DataFrame) -> np.ndarray:
        """Return the clean label the rule gives each row of ``X``."""
        if self.label_rule is not None:
            return self.label_rule.check(X).astype(np.int64)
        held = np.ones(len(X), dtype=bool)
        for constraint in self.label_constraints:
            held &= constraint.check(X)
        return held.astype(np.int64)

    def draw(self, n_samples: int, rng: np.random.Generator) -> pd.DataFrame:
        """Draw every column independently from its sampler, ignoring constraints."""
        return pd.DataFrame(
            {
                name: column.sample(n_samples, rng)
                for name, column in self.columns.items()
            }
        )

    def sample(self, n_samples: int, rng: np.random.Generator) -> Dataset:
        """Sample a labelled table with the configured balance and label noise."""
        y_clean = np.zeros(n_samples, dtype=np.int64)
        y_clean[rng.permutation(n_samples)[: round(self.balance * n_samples)]] = 1
        X = self.draw(n_samples, rng)
        if self.label_rule is not None:
            self._solve(X, {self.label_rule: np.where(y_clean == 1, HOLD, BREAK)}, rng)
        else:
            self._solve(X, self._label_requirements(y_clean, rng), rng)

        flipped = rng.random(n_samples) < self.noise
        y = np.where(flipped, 1 - y_clean, y_clean)
        return Dataset(X=X, y=y, y_clean=y_clean)

    def sample_breaking(
        self, n_samples: int, rng: np.random.Generator, target: Constraint
    ) -> Dataset:
        """Sample rows that break ``target`` alone: every other constraint holds.

        Labels are the clean labels of the rule, without noise.
        """
        X = self.draw(n_samples, rng)
        requirements = {c: np.full(n_samples, HOLD) for c in self.label_constraints}
        requirements[target] = np.full(n_samples, BREAK)
        self._solve(X, requirements, rng)
        y = self.label_of(X)
        return Dataset(X=X, y=y, y_clean=y)

    def sample_valid(self, n_samples: int, rng: np.random.Generator) -> Dataset:
        """Sample rows that satisfy every label constraint."""
        X = self.draw(n_samples, rng)
        requirements = {c: np.full(n_samples, HOLD) for c in self.label_constraints}
        self._solve(X, requirements, rng)
        y = self.label_of(X)
        return Dataset(X=X, y=y, y_clean=y)

    def _label_requirements(
        self, y_clean: np.ndarray, rng: np.random.Generator
    ) -> dict[Constraint, np.ndarray]:
        """Choose, for every invalid row, which label constraints it breaks."""
        label_constraints = self.label_constraints
        n_samples, k = len(y_clean), len(label_constraints)
        requirement = np.full((n_samples, k), HOLD)
        invalid = np.flatnonzero(y_clean == 0)
        first = rng.integers(0, k, len(invalid))
        requirement[invalid, first] = BREAK
        if k > 1:
            # A second, different constraint for the share that breaks several.
            two = invalid[rng.random(len(invalid)) < self.several]
            offset = rng.integers(1, k, len(two))
            second = (requirement[two].argmin(axis=1) + offset) % k
            requirement[two, second] = BREAK
        return {c: requirement[:, j] for j, c in enumerate(label_constraints)}

    def _solve(
        self,
        X: pd.DataFrame,
        requirements: Mapping[Constraint, np.ndarray],
        rng: np.random.Generator,
    ) -> None:
        """Redraw cells of ``X`` in place until every row meets its requirements.

        ``requirements`` maps a constraint to a per-row array of HOLD, BREAK or 0
        (either). Hard constraints must hold everywhere.
        """
        requirements = dict(requirements)
        for constraint in self.hard_constraints:
            requirements[constraint] = np.full(len(X), HOLD)
        constraints = list(requirements)
        wanted = np.column_stack([requirements[c] for c in constraints])
        near = self._place_near(X, constraints, wanted, rng)

        pending = np.arange(len(X))
        for round_number in range(MAX_ROUNDS):
            subset = X.iloc[pending]
            held = np.column_stack([c.check(subset) for c in constraints])
            wrong = ((wanted[pending] == HOLD) & ~held) | (
                (wanted[pending] == BREAK) & held
            )
            unresolved = wrong.any(axis=1)
            pending, wrong = pending[unresolved], wrong[unresolved]
            if len(pending) == 0:
                return
            targeted = round_number >= TARGETED_AFTER
            for j, constraint in enumerate(constraints):
                rows = pending[wrong[:, j]]
                if len(rows):
                    self._repair(
                        X,
                        constraint,
                        rows,
                        wanted[rows, j],
                        near[rows, j],
                        targeted,
                        rng,
                    )
        self._raise_infeasible(X, constraints, wanted, pending)

    def _place_near(self, X, constraints, wanted, rng) -> np.ndarray:
        """Place a share of violations just across the boundary; return the mask."""
        near = np.zeros(wanted.shape, dtype=bool)
        for j, constraint in enumerate(constraints):
            if not constraint.has_margin:
                continue
            breaking = np.flatnonzero(wanted[:, j] == BREAK)
            rows = breaking[rng.random(len(breaking)) < self.near]
            near[rows, j] = True
            if len(rows):
                distance = -rng.uniform(0.01, self.margin, len(rows))
                constraint.place(X, rows, distance, rng)
        return near

    def _repair(self, X, constraint, rows, wanted, near, targeted, rng) -> None:
        breaking = rows[wanted == BREAK]
        holding = rows[wanted == HOLD]
        if len(holding):
            if targeted and constraint.has_margin:
                constraint.place(X, holding, rng.uniform(0.01, 2.0, len(holding)), rng)
            else:
                constraint.satisfy(X, holding, rng)
        if len(breaking):
            close = breaking[near[wanted == BREAK]]
            far = breaking[~near[wanted == BREAK]]
            if len(close):
                constraint.place(
                    X, close, -rng.uniform(0.01, self.margin, len(close)), rng
                )
            if len(far) and targeted and constraint.has_margin:
                distance = -(self.margin + rng.uniform(0.0, 2.0, len(far)))
                constraint.place(X, far, distance, rng)
            elif len(far):
                constraint.violate(X, far, rng)

    def _raise_infeasible(self, X, constraints, wanted, pending) -> None:
        subset = X.iloc[pending]
        counts = {}
        for j, constraint in enumerate(constraints):
            held = constraint.check(subset)
            rows_wanted = wanted[pending, j]
            bad = ((rows_wanted == HOLD) & ~held) | ((rows_wanted == BREAK) & held)
            if bad.any():
                counts[constraint.name] = int(bad.sum())
        names = ", ".join(f"{name!r} ({count} rows)" for name, count in counts.items())
        raise InfeasibleError(
            f"Could not generate {len(pending)} of {len(X)} rows after {MAX_ROUNDS} "
            f"rounds: the constraints {names} cannot all be met together as "
            "required. Check them for a contradiction (for example two ranges on "
            "one column that do not overlap) and loosen one of them."
        )


def make_generator(
    generator_cfg: Mapping[str, Any], constraint_cfg: Mapping[str, Any]
) -> SyntheticGenerator:
    """Build a :class:`SyntheticGenerator` from the generator and constraint configs."""
    columns = [
        make_column(str(name), spec, key=f"generator.columns.{name}")
        for name, spec in (generator_cfg.get("columns") or {}).items()
    ]
    if not columns:
        raise ConfigError(
            "generator.columns is empty; declare at least one column, such as "
            "age: {type: integer, low: 16, high: 80}."
        )
    distractors = make_distractors(generator_cfg.get("distractors") or {})
    taken = {c.name for c in columns} & {c.name for c in distractors}
    if taken:
        raise ConfigError(
            f"generator.columns declares {sorted(taken)[0]!r}, a name fakegen "
            "gives distractor columns; rename the column."
        )
    schema = {c.name: c for c in (*columns, *distractors)}

    specs = constraint_cfg.get("constraints") or {}
    constraints = make_constraints(specs, schema, key="constraint.constraints")
    distractor_names = {c.name for c in distractors}
    for constraint in constraints:
        used = distractor_names & set(constraint.columns)
        if used:
            raise ConfigError(
                f"constraint.constraints.{constraint.name} uses the distractor "
                f"column {sorted(used)[0]!r}; constraints may use only "
                "generator.columns."
            )

    rule_text = constraint_cfg.get("label_rule")
    label_rule = None
    if rule_text is not None:
        label_rule = ExpressionConstraint(
            "label_rule", expression=rule_text, schema=schema, key="constraint"
        )
        label_rule.key = "constraint.label_rule"
    elif not any(not c.hard for c in constraints):
        raise ConfigError(
            "constraint.constraints has no label constraint, so every row would "
            "be valid. Add a constraint without 'hard: true', or set "
            "constraint.label_rule."
        )

    options = check_generation_options(generator_cfg)
    return SyntheticGenerator(
        list(schema.values()),
        constraints,
        label_rule=label_rule,
        distractors=[c.name for c in distractors],
        **options,
    )


def make_distractors(spec: Mapping[str, Any]) -> list[Column]:
    """Build the distractor columns: ``numeric`` normal ones, ``literal`` ones."""
    unknown = sorted(set(spec) - {"numeric", "literal"})
    if unknown:
        raise ConfigError(
            f"generator.distractors has unknown key {unknown[0]!r}; use numeric "
            "and literal (counts)."
        )
    counts = {}
    for kind in ("numeric", "literal"):
        count = spec.get(kind, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigError(
                f"generator.distractors.{kind} is {count!r}; give a count of 0 or more."
            )
        counts[kind] = count
    numeric = [
        Column(f"distractor_num_{i}", "normal", {"mean": 0.0, "std": 1.0})
        for i in range(1, counts["numeric"] + 1)
    ]
    literal = [
        Column(
            f"distractor_lit_{i}",
            "literal",
            {"values": list(DISTRACTOR_VALUES), "weights": None},
        )
        for i in range(1, counts["literal"] + 1)
    ]
    return numeric + literal


def check_generation_options(cfg: Mapping[str, Any]) -> dict[str, float]:
    """Check balance, noise and the violation mix; return them as keyword args."""
    violations = dict(cfg.get("violations") or {})
    unknown = sorted(set(violations) - {"several", "near", "margin"})
    if unknown:
        raise ConfigError(
            f"generator.violations has unknown key {unknown[0]!r}; its keys are "
            "several, near and margin."
        )
    options = {
        "balance": _share(cfg.get("balance", 0.5), "generator.balance", 0.0, 1.0, True),
        "noise": _share(cfg.get("noise", 0.0), "generator.noise", 0.0, 0.5, False),
        "several": _share(
            violations.get("several", 0.2),
            "generator.violations.several",
            0.0,
            1.0,
            False,
        ),
        "near": _share(
            violations.get("near", 0.5), "generator.violations.near", 0.0, 1.0, False
        ),
    }
    margin = violations.get("margin", 0.25)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin <= 0:
        raise ConfigError(
            f"generator.violations.margin is {margin!r}; give a positive width "
            "in standard deviations, such as 0.25."
        )
    options["margin"] = float(margin)
    return options


def _share(value: Any, key: str, low: float, high: float, open_ends: bool) -> float:
    inside = isinstance(value, (int, float)) and not isinstance(value, bool)
    if inside:
        inside = (
            low < value < high
            if open_ends
            else low <= value < high or (high == 1.0 and value == 1.0)
        )
    if not inside:
        bounds = f"({low:g}, {high:g})" if open_ends else f"[{low:g}, {high:g})"
        if not open_ends and high == 1.0:
            bounds = f"[{low:g}, 1]"
        raise ConfigError(f"{key} is {value!r}; it must lie in {bounds}.")
    return float(value)
