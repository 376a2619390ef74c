"""Synthetic tables whose rows meet or break a constraint set on purpose."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fakegen.checks import check_keys
from fakegen.columns import Column, make_column
from fakegen.constraints import Constraint, make_constraints
from fakegen.constraints.logical import ExpressionConstraint, LabelRule
from fakegen.errors import ConfigError
from fakegen.frame import Frame
from fakegen.groups import build_frame
from fakegen.solver import BREAK, HOLD, Placement

log = logging.getLogger(__name__)

# Columns of an exported table that hold the label and the label before
# noise, so no generator column may take these names.
LABEL = "label"
CLEAN_LABEL = "label_clean"

DISTRACTOR_VALUES = ("red", "green", "blue", "amber", "violet")

__all__ = ["Dataset", "SyntheticGenerator", "make_distractors", "make_generator"]


@dataclass
class Dataset:
    """A feature table with its labels.

    ``y`` contains the labels a model trains and is scored on, after label
    noise. ``y_clean`` contains the labels the rule gives, before noise.
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
        Share of invalid rows that break several label constraints instead of one.
    max_broken : int, default=2
        Most label constraints one invalid row breaks; each row of the
        ``several`` share breaks between 2 and this many, uniformly.
    near : float, default=0.5
        Share of violations placed within ``margin`` of the boundary, for the
        constraints that have a numeric boundary.
    margin : float, default=0.25
        Width of the near-boundary band, in standard deviations of the column.
    distractors : sequence of str, default=()
        Names of the columns no constraint mentions.
    workers : int or None, default=None
        Threads that build batches of rows of large tables; None uses every
        core. The rows are the same for any number of threads.
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
        max_broken: int = 2,
        near: float = 0.5,
        margin: float = 0.25,
        distractors: Sequence[str] = (),
        workers: int | None = None,
    ) -> None:
        self.columns = {column.name: column for column in columns}
        self.constraints = list(constraints)
        self.label_rule = label_rule
        self.balance = balance
        self.noise = noise
        self.several = several
        self.max_broken = max_broken
        self.near = near
        self.margin = margin
        self.distractors = tuple(distractors)
        self.workers = workers

    @property
    def label_constraints(self) -> list[Constraint]:
        """Constraints that decide the label (every one not marked hard)."""
        return [c for c in self.constraints if not c.hard]

    @property
    def hard_constraints(self) -> list[Constraint]:
        """Constraints that hold on every row, valid or not."""
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
        return self.draw_frame(n_samples, rng).to_pandas()

    def draw_frame(self, n_samples: int, rng: np.random.Generator) -> Frame:
        """Like :meth:`draw`, but return the generator's working :class:`Frame`."""
        arrays = {
            name: column.draw(n_samples, rng) for name, column in self.columns.items()
        }
        return Frame(arrays, self.columns)

    def sample(self, n_samples: int, rng: np.random.Generator) -> Dataset:
        """Sample a labelled table with the configured balance and label noise."""
        y_clean = balanced_labels(n_samples, self.balance, rng)

        def label_requirements(rows: slice, stream: np.random.Generator):
            if self.label_rule is not None:
                side = np.where(y_clean[rows] == 1, HOLD, BREAK).astype(np.int8)
                return {self.label_rule: side}
            return self._label_requirements(y_clean[rows], stream)

        deciding = (
            self.label_constraints if self.label_rule is None else [self.label_rule]
        )
        frame = self._build(n_samples, deciding, label_requirements, rng)

        y = y_clean.copy()
        if self.noise > 0:
            flipped = rng.random(n_samples) < self.noise
            y = np.where(flipped, 1 - y_clean, y_clean)
        return Dataset(X=frame.to_pandas(), y=y, y_clean=y_clean)

    def sample_breaking(
        self, n_samples: int, rng: np.random.Generator, target: Constraint
    ) -> Dataset:
        """Sample rows that break ``target`` alone: every other constraint holds.

        Labels are the clean labels of the rule, without noise.
        """
        requirements = self._all_holding(n_samples)
        requirements[target] = np.full(n_samples, BREAK, dtype=np.int8)
        return self._sample_with(n_samples, rng, requirements)

    def sample_valid(self, n_samples: int, rng: np.random.Generator) -> Dataset:
        """Sample rows that satisfy every label constraint."""
        return self._sample_with(n_samples, rng, self._all_holding(n_samples))

    def sample_boundary(
        self,
        n_samples: int,
        rng: np.random.Generator,
        target: Constraint,
        *,
        width: float | None = None,
    ) -> Dataset:
        """Sample rows within ``width`` of ``target``'s boundary, on both sides.

        Every other label constraint holds, so the label changes with
        ``target`` alone: half the rows satisfy it by a margin in (0, width]
        and half break it by as much. ``width`` is in standard deviations of
        the column (default: the generator's ``margin``). Labels are clean.
        Only constraints with ``has_margin`` can be placed this way.
        """
        if not target.has_margin:
            raise ConfigError(
                f"constraint {target.name!r} ({target.type_name}) has no numeric "
                "boundary, so no rows can be placed near it."
            )
        width = self.margin if width is None else width
        requirements = self._all_holding(n_samples)
        side = np.full(n_samples, BREAK, dtype=np.int8)
        side[: n_samples // 2] = HOLD
        requirements[target] = rng.permutation(side)
        placement = Placement(near=self.near, margin=width, boundary=target)
        return self._sample_with(n_samples, rng, requirements, placement)

    def _all_holding(self, n_samples: int) -> dict[Constraint, np.ndarray]:
        return {
            c: np.full(n_samples, HOLD, dtype=np.int8) for c in self.label_constraints
        }

    def _sample_with(self, n_samples, rng, requirements, placement=None) -> Dataset:
        def rows_requirements(rows: slice, stream: np.random.Generator):
            return {c: required[rows] for c, required in requirements.items()}

        frame = self._build(
            n_samples, list(requirements), rows_requirements, rng, placement
        )
        X = frame.to_pandas()
        y = self.label_of(X)
        return Dataset(X=X, y=y, y_clean=y)

    def _label_requirements(
        self, y_clean: np.ndarray, rng: np.random.Generator
    ) -> dict[Constraint, np.ndarray]:
        """Choose, for every invalid row, which label constraints it breaks."""
        label_constraints = self.label_constraints
        n_samples, k = len(y_clean), len(label_constraints)
        # One contiguous row per constraint, which the solver reads whole.
        requirement = np.full((k, n_samples), HOLD, dtype=np.int8)
        invalid = np.flatnonzero(y_clean == 0)
        first = rng.integers(0, k, len(invalid))
        requirement[first, invalid] = BREAK
        most = min(self.max_broken, k)
        # Shares are selected by position (flatnonzero) rather than by boolean
        # mask, which costs several times more when the mask is scattered.
        several = np.flatnonzero(rng.random(len(invalid)) < self.several)
        if most == 2:
            # A second, different constraint for the share that breaks two;
            # cheaper than the general case below.
            offset = rng.integers(1, k, len(several))
            requirement[(first[several] + offset) % k, invalid[several]] = BREAK
        elif most > 2:
            # Each row of the several share breaks, instead of its first
            # choice, the constraints with its `count` lowest random keys.
            several = invalid[several]
            count = rng.integers(2, most, len(several), endpoint=True)
            keys = rng.random((len(several), k))
            ranks = keys.argsort(axis=1).argsort(axis=1)
            chosen = ranks < count[:, None]
            requirement[:, several] = np.where(chosen.T, BREAK, HOLD)
        return {c: requirement[j] for j, c in enumerate(label_constraints)}

    def _build(self, n_samples, constraints, requirements, rng, placement=None):
        """Draw a frame whose rows meet their requirements and every hard constraint.

        ``requirements(rows, stream)`` returns what each row of the slice
        ``rows`` requires of each of ``constraints``; see
        :func:`fakegen.groups.build_frame`.
        """
        constraints = [*constraints, *self.hard_constraints]

        def with_hard(rows: slice, stream: np.random.Generator):
            every = dict(requirements(rows, stream))
            for constraint in self.hard_constraints:
                every[constraint] = np.full(rows.stop - rows.start, HOLD, np.int8)
            return every

        if placement is None:
            placement = Placement(near=self.near, margin=self.margin)
        return build_frame(
            self.columns,
            constraints,
            with_hard,
            n_samples,
            rng,
            placement,
            workers=self.workers,
        )


def balanced_labels(
    n_samples: int, balance: float, rng: np.random.Generator
) -> np.ndarray:
    """Return labels with exactly ``round(balance * n_samples)`` ones, placed at random.

    Each row gets a 1 with probability ``balance``, then randomly chosen rows
    of the larger surplus are flipped back. A Bernoulli draw conditioned on
    its count is a uniformly random set of that size, and so is a random
    subset of it. Every placement of the ones is therefore equally likely, as
    with a shuffle, which costs several times more for large tables.
    """
    ones = round(balance * n_samples)
    y = rng.random(n_samples) < balance
    surplus = int(np.count_nonzero(y)) - ones
    if surplus:
        candidates = np.flatnonzero(y if surplus > 0 else ~y)
        flipped = rng.choice(len(candidates), abs(surplus), replace=False)
        y[candidates[flipped]] = surplus < 0
    return y.astype(np.int64)


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
    reserved = {c.name for c in columns} & {LABEL, CLEAN_LABEL}
    if reserved:
        raise ConfigError(
            f"generator.columns declares {sorted(reserved)[0]!r}, the name of a "
            "label column in the tables fakegen-generate writes; rename the column."
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
        label_rule = LabelRule(rule_text, schema=schema)
        label_rule.check_feasible()
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
    check_keys(spec, ("numeric", "literal"), key="generator.distractors")
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


def check_generation_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Check balance, noise, the violation mix and the thread count.

    Returns them as keyword arguments of :class:`SyntheticGenerator`.
    """
    violations = dict(cfg.get("violations") or {})
    check_keys(
        violations,
        ("several", "max_broken", "near", "margin"),
        key="generator.violations",
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
    max_broken = violations.get("max_broken", 2)
    if (
        isinstance(max_broken, bool)
        or not isinstance(max_broken, int)
        or max_broken < 2
    ):
        raise ConfigError(
            f"generator.violations.max_broken is {max_broken!r}; give an integer "
            "of 2 or more."
        )
    options["max_broken"] = max_broken
    workers = cfg.get("workers")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ConfigError(
            f"generator.workers is {workers!r}; give a number of threads of 1 or "
            "more, or null to use every core."
        )
    options["workers"] = workers
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
