"""Repair rows of a frame in place until each meets or breaks chosen constraints."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fakegen.constraints import Constraint
from fakegen.errors import InfeasibleError
from fakegen.frame import Frame

log = logging.getLogger(__name__)

HOLD, BREAK, EITHER = 1, -1, 0
#: Rounds after which rows that still miss their requirements count as infeasible.
MAX_ROUNDS = 1000
#: Rounds in a row without a newly resolved row, after which the set counts as
#: contradictory. Rejection sampling of a rare but possible event still
#: resolves a few rows per round, while a contradiction resolves none.
STALL_ROUNDS = 100
# After this many rounds of plain redraws, constraints that can place a row at
# a chosen margin do so. Waiting keeps the common case drawn from the column
# samplers, and placing keeps rare regions reachable.
TARGETED_AFTER = 20
#: Fresh candidates drawn per pending row once few rows remain, and the cap on
#: candidates per round. Redrawing one row per round finds a region of 1% of
#: draws only after about 100 rounds, which reads as a stall, while a block of
#: candidates finds it in one round.
CANDIDATES = 1000
MAX_CANDIDATES = 250_000


@dataclass(frozen=True)
class Placement:
    """Where violating rows go relative to the boundary.

    ``near`` is the share of violations of a constraint with a margin that are
    placed within ``margin`` standard deviations of the boundary. When
    ``boundary`` names a constraint, every row of it is placed within
    ``margin`` of its boundary, on the side its requirement asks for.
    """

    near: float = 0.5
    margin: float = 0.25
    boundary: Constraint | None = None


def solve(
    frame: Frame,
    requirements: Mapping[Constraint, np.ndarray],
    rng: np.random.Generator,
    placement: Placement,
) -> None:
    """Redraw cells of ``frame`` until every row meets its requirements.

    ``requirements`` maps a constraint to a per-row array of HOLD, BREAK or
    EITHER. Raises :class:`InfeasibleError` naming the constraints that some
    rows still miss when no progress is made.
    """
    # One array per constraint, not a 2-D matrix: each round reads and writes
    # whole columns, which is cheaper on contiguous 1-D arrays.
    constraints = list(requirements)
    wanted = [np.asarray(requirements[c], dtype=np.int8) for c in constraints]
    near = _place_near(frame, constraints, wanted, rng, placement)
    names = sorted({name for c in constraints for name in c.columns})
    sides = [Sides.of(required) for required in wanted]
    alone = len(constraints) == 1

    # None stands for every row, because allocating every row's position
    # costs about as much as the first round's check.
    pending = None
    best, stalled = len(frame), 0
    for round_number in range(MAX_ROUNDS):
        pending, wrong = _unmet(frame, constraints, sides, pending, names, placement)
        if len(pending) == 0:
            log.debug("Solved rows=%d rounds=%d", len(frame), round_number)
            return
        stalled = stalled + 1 if len(pending) >= best else 0
        best = min(best, len(pending))
        if stalled >= STALL_ROUNDS:
            break
        targeted = round_number >= TARGETED_AFTER
        if targeted and len(pending) * CANDIDATES <= MAX_CANDIDATES:
            fitted = _oversample(
                frame, constraints, sides, near, pending, wrong, names, placement, rng
            )
            pending, wrong = pending[~fitted], [missed[~fitted] for missed in wrong]
        for j, constraint in enumerate(constraints):
            # A lone constraint is missed by every pending row. Otherwise take
            # integer positions, not a boolean mask: selecting by a mask whose
            # True entries are scattered costs several times more.
            rows = pending if alone else pending[np.flatnonzero(wrong[j])]
            if len(rows):
                _repair(
                    frame,
                    constraint,
                    rows,
                    wanted[j][rows],
                    near[j][rows],
                    targeted,
                    rng,
                    placement,
                )
    _raise_infeasible(frame, constraints, wanted, pending, names)


@dataclass(frozen=True)
class Sides:
    """Masks of what each row requires of one constraint, cheap to combine per round.

    ``hold`` marks the rows that must satisfy the constraint. ``decided``
    marks the rows that must satisfy or break it, and is None when every row
    must, the common case, which saves a mask operation per round.
    """

    hold: np.ndarray
    decided: np.ndarray | None

    @classmethod
    def of(cls, required: np.ndarray) -> Sides:
        decided = required != EITHER
        return cls(required == HOLD, None if decided.all() else decided)

    def take(self, rows: np.ndarray) -> Sides:
        decided = None if self.decided is None else self.decided[rows]
        return Sides(self.hold[rows], decided)

    def missed(self, satisfied: np.ndarray) -> np.ndarray:
        """Return the mask of rows whose ``satisfied`` differs from ``hold``."""
        missed = satisfied != self.hold
        if self.decided is not None:
            missed &= self.decided
        return missed


def _unmet(frame, constraints, sides, pending, names, placement):
    """Return the pending rows that miss a requirement, and per constraint a mask
    of those rows that miss it.

    ``pending`` holds row positions, or None for every row. Rows of the
    boundary constraint also miss it when a repair of another constraint
    moved them out of the band, even to the right side.
    """
    every_row = pending is None
    # Copying the pending rows of the few columns checked costs less than
    # checking every row and selecting the pending results.
    subset = frame if every_row else frame.take(pending, names)
    unresolved = None
    wrong = []
    for constraint, side in zip(constraints, sides, strict=True):
        if not every_row:
            side = side.take(pending)
        missed = side.missed(constraint.check(subset))
        if constraint is placement.boundary:
            outside = np.abs(constraint.margin(subset)) > placement.margin
            if side.decided is not None:
                outside &= side.decided
            missed |= outside
        unresolved = missed if unresolved is None else unresolved | missed
        wrong.append(missed)
    keep = np.flatnonzero(unresolved)
    rows = keep if every_row else pending[keep]
    if len(wrong) == 1:
        return rows, [np.ones(len(keep), dtype=bool)]
    return rows, [missed[keep] for missed in wrong]


def _oversample(frame, constraints, sides, near, pending, wrong, names, placement, rng):
    """Give each pending row the first of many fresh candidates that fits.

    A candidate copies the row and redraws the columns of the constraints the
    row misses, as a repair does, so taking the first candidate that meets
    every requirement is rejection sampling done in bulk. Rows that miss a
    constraint they must meet within the margin band are left to placement,
    which fresh draws would undo. Returns a mask of the pending rows that got
    a candidate.
    """
    fitted = np.zeros(len(pending), dtype=bool)
    missed = np.stack(wrong, axis=1)
    placed = np.stack([mask[pending] for mask in near], axis=1)
    drawable = ~(missed & placed).any(axis=1)
    for pattern in np.unique(missed[drawable], axis=0):
        members = np.flatnonzero(drawable & (missed == pattern).all(axis=1))
        rows = pending[members]
        redrawn = sorted(
            {name for j in np.flatnonzero(pattern) for name in constraints[j].columns}
        )
        ids = np.repeat(rows, CANDIDATES)
        candidates = frame.take(ids, names)
        for name in redrawn:
            candidates.arrays[name] = frame.schema[name].draw(len(ids), rng)

        required = [side.take(ids) for side in sides]
        unmet, _ = _unmet(candidates, constraints, required, None, names, placement)
        fits = np.ones(len(ids), dtype=bool)
        fits[unmet] = False
        fits = fits.reshape(len(rows), CANDIDATES)
        found = fits.any(axis=1)
        chosen = (np.arange(len(rows)) * CANDIDATES + fits.argmax(axis=1))[found]
        for name in redrawn:
            frame.arrays[name][rows[found]] = candidates.arrays[name][chosen]
        fitted[members[found]] = True
    return fitted


def _place_near(frame, constraints, wanted, rng, placement) -> list[np.ndarray]:
    """Place a share of violations just across the boundary; return the masks."""
    near = []
    for constraint, required in zip(constraints, wanted, strict=True):
        mask = np.zeros(len(required), dtype=bool)
        near.append(mask)
        if not constraint.has_margin:
            continue
        if constraint is placement.boundary:
            rows = np.flatnonzero(required != EITHER)
            mask[rows] = True
            side = np.where(required[rows] == HOLD, 1.0, -1.0)
            distance = side * rng.uniform(0.01, 1.0, len(rows)) * placement.margin
            constraint.place(frame, rows, distance, rng)
            continue
        breaking = np.flatnonzero(required == BREAK)
        rows = breaking[np.flatnonzero(rng.random(len(breaking)) < placement.near)]
        mask[rows] = True
        if len(rows):
            distance = -rng.uniform(0.01, placement.margin, len(rows))
            constraint.place(frame, rows, distance, rng)
    return near


def _repair(frame, constraint, rows, wanted, near, targeted, rng, placement) -> None:
    """Move ``rows`` towards what they need from ``constraint``.

    Near rows are placed within the margin band. The others are resampled by
    ``satisfy`` or ``violate``; after TARGETED_AFTER rounds, constraints whose
    resampling is rejection sampling place them at a random distance instead.
    Each placement starts from fresh values of the constraint's columns:
    placing again from the same values could fail forever, for example when
    clipping to a column's range undoes the placement.
    """
    margin = placement.margin
    place_far = targeted and constraint.has_margin and not constraint.exact_sampling
    holding = wanted == HOLD
    # Rows that need a placement are usually few or none. Skipping the split
    # then saves two mask passes over every row.
    placed = near.any()
    for side, chosen in ((HOLD, holding), (BREAK, ~holding)):
        if placed:
            close = rows[np.flatnonzero(chosen & near)]
            far = rows[np.flatnonzero(chosen & ~near)]
        else:
            close, far = rows[:0], rows[np.flatnonzero(chosen)]
        sign = 1.0 if side == HOLD else -1.0
        if len(close):
            constraint.redraw(frame, close, rng)
            distance = sign * rng.uniform(0.01, 1.0, len(close)) * margin
            constraint.place(frame, close, distance, rng)
        if len(far) and place_far:
            constraint.redraw(frame, far, rng)
            depth = rng.uniform(0.01, 2.0, len(far))
            distance = depth if side == HOLD else -(margin + depth)
            constraint.place(frame, far, distance, rng)
        elif len(far) and side == HOLD:
            constraint.satisfy(frame, far, rng)
        elif len(far):
            constraint.violate(frame, far, rng)


def _raise_infeasible(frame, constraints, wanted, pending, names) -> None:
    subset = frame.take(pending, names)
    counts = {}
    for j, constraint in enumerate(constraints):
        held = constraint.check(subset)
        column = wanted[j][pending]
        bad = np.where(held, column == BREAK, column == HOLD)
        if bad.any():
            counts[constraint.name] = int(bad.sum())
    listed = ", ".join(f"{name!r} ({count} rows)" for name, count in counts.items())
    raise InfeasibleError(
        f"Could not generate {len(pending)} of {len(frame)} rows: the constraints "
        f"{listed} cannot all be met together as required. Check them for a "
        "contradiction (for example two ranges on one column that do not "
        "overlap, or a hard constraint that rules out every valid row) and "
        "loosen one of them."
    )
