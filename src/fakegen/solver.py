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
MAX_ROUNDS = 400
#: Rounds in a row without one more resolved row after which the set counts as
#: contradictory; rejection sampling of a rare but possible event still
#: resolves a few rows per round, a contradiction resolves none.
STALL_ROUNDS = 30
# After this many rounds of plain redraws, constraints that can place a row at
# a chosen margin do so; this keeps rare regions reachable without biasing the
# common case away from the column samplers' distributions.
TARGETED_AFTER = 20


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
    constraints = list(requirements)
    wanted = np.column_stack([requirements[c] for c in constraints]).astype(np.int8)
    near = _place_near(frame, constraints, wanted, rng, placement)
    names = sorted({name for c in constraints for name in c.columns})

    pending = np.arange(len(frame))
    best, stalled = len(pending), 0
    for round_number in range(MAX_ROUNDS):
        pending, wrong = _unmet(frame, constraints, wanted, pending, names, placement)
        if len(pending) == 0:
            log.debug("Solved rows=%d rounds=%d", len(frame), round_number)
            return
        stalled = stalled + 1 if len(pending) >= best else 0
        best = min(best, len(pending))
        if stalled >= STALL_ROUNDS:
            break
        targeted = round_number >= TARGETED_AFTER
        for j, constraint in enumerate(constraints):
            rows = pending[wrong[:, j]]
            if len(rows):
                _repair(
                    frame,
                    constraint,
                    rows,
                    wanted[rows, j],
                    near[rows, j],
                    targeted,
                    rng,
                    placement,
                )
    _raise_infeasible(frame, constraints, wanted, pending, names)


def _unmet(frame, constraints, wanted, pending, names, placement):
    """Return the pending rows that miss a requirement, and which ones they miss.

    Rows of the boundary constraint also miss it when a repair of another
    constraint moved them out of the band, even to the right side.
    """
    subset = frame if len(pending) == len(frame) else frame.take(pending, names)
    wrong = np.empty((len(pending), len(constraints)), dtype=bool)
    for j, constraint in enumerate(constraints):
        held = constraint.check(subset)
        column = wanted[pending, j]
        wrong[:, j] = np.where(held, column == BREAK, column == HOLD)
        if constraint is placement.boundary:
            outside = np.abs(constraint.margin(subset)) > placement.margin
            wrong[:, j] |= outside & (column != EITHER)
    unresolved = wrong.any(axis=1)
    return pending[unresolved], wrong[unresolved]


def _place_near(frame, constraints, wanted, rng, placement) -> np.ndarray:
    """Place a share of violations just across the boundary; return the mask."""
    near = np.zeros(wanted.shape, dtype=bool)
    for j, constraint in enumerate(constraints):
        if not constraint.has_margin:
            continue
        if constraint is placement.boundary:
            rows = np.flatnonzero(wanted[:, j] != EITHER)
            near[rows, j] = True
            side = np.where(wanted[rows, j] == HOLD, 1.0, -1.0)
            distance = side * rng.uniform(0.01, 1.0, len(rows)) * placement.margin
            constraint.place(frame, rows, distance, rng)
            continue
        breaking = np.flatnonzero(wanted[:, j] == BREAK)
        rows = breaking[rng.random(len(breaking)) < placement.near]
        near[rows, j] = True
        if len(rows):
            distance = -rng.uniform(0.01, placement.margin, len(rows))
            constraint.place(frame, rows, distance, rng)
    return near


def _repair(frame, constraint, rows, wanted, near, targeted, rng, placement) -> None:
    """Move ``rows`` towards what they need from ``constraint``."""
    margin = placement.margin
    breaking, holding = rows[wanted == BREAK], rows[wanted == HOLD]
    close_holding = holding[near[wanted == HOLD]]
    holding = holding[~near[wanted == HOLD]]
    if len(close_holding):
        distance = rng.uniform(0.01, 1.0, len(close_holding)) * margin
        constraint.place(frame, close_holding, distance, rng)
    if len(holding):
        if targeted and constraint.has_margin:
            constraint.place(frame, holding, rng.uniform(0.01, 2.0, len(holding)), rng)
        else:
            constraint.satisfy(frame, holding, rng)
    if len(breaking) == 0:
        return
    close = breaking[near[wanted == BREAK]]
    far = breaking[~near[wanted == BREAK]]
    if len(close):
        constraint.place(frame, close, -rng.uniform(0.01, margin, len(close)), rng)
    if len(far) and targeted and constraint.has_margin:
        distance = -(margin + rng.uniform(0.0, 2.0, len(far)))
        constraint.place(frame, far, distance, rng)
    elif len(far):
        constraint.violate(frame, far, rng)


def _raise_infeasible(frame, constraints, wanted, pending, names) -> None:
    subset = frame.take(pending, names)
    counts = {}
    for j, constraint in enumerate(constraints):
        held = constraint.check(subset)
        column = wanted[pending, j]
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
