"""Find where a model's prediction flips along a constrained column.

The search is model-agnostic: it only calls ``predict``. For each base row it
holds every other column fixed, splits a bracket around the true boundary
into ``points`` values, keeps the sub-interval where the prediction first
changes and repeats ``steps`` times (bisection when ``points`` is 3). Every
step is one ``predict`` call over all rows and all edges, which keeps the
search cheap for models with a high per-call cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fakegen.constraints import Constraint
from fakegen.constraints.numeric import Inequality, Range, Threshold


@dataclass
class Edge:
    """One boundary of a constraint along the column its ``place`` moves.

    ``true`` holds the boundary value per row (it varies for an inequality);
    ``direction`` is +1 when larger values satisfy the constraint.
    """

    constraint: Constraint
    name: str
    column: str
    true: np.ndarray
    direction: float
    low: np.ndarray
    high: np.ndarray


def make_edges(constraint: Constraint, X: pd.DataFrame, span: float) -> list[Edge]:
    """Return the edges of a threshold, range or inequality; [] for other types."""
    n_rows = len(X)
    if isinstance(constraint, Threshold):
        true = np.full(n_rows, constraint.value)
        reach = span * constraint.column.scale
        return [_edge(constraint, "value", true, constraint.sign, reach, reach)]
    if isinstance(constraint, Range):
        reach = span * constraint.column.scale
        # The inner side stops at the middle of the range, where the row is valid.
        inner = min(reach, (constraint.high - constraint.low) / 2)
        low = np.full(n_rows, constraint.low)
        high = np.full(n_rows, constraint.high)
        return [
            _edge(constraint, "low", low, 1.0, reach, inner),
            _edge(constraint, "high", high, -1.0, reach, inner),
        ]
    if isinstance(constraint, Inequality):
        true = X[constraint.right.name].to_numpy(dtype=float)
        reach = span * constraint.scale
        return [_edge(constraint, "offset", true, constraint.sign, reach, reach)]
    return []


def _edge(constraint, name, true, direction, outer, inner) -> Edge:
    # ``low`` lies on the side that breaks the constraint when direction is +1.
    below, above = (outer, inner) if direction > 0 else (inner, outer)
    return Edge(
        constraint,
        name,
        constraint.placed_column,
        true,
        direction,
        true - below,
        true + above,
    )


def search_edges(
    model: Any, X: pd.DataFrame, edges: list[Edge], *, points: int, steps: int
) -> dict[int, dict[str, np.ndarray]]:
    """Locate each row's flip point on every edge.

    Returns, per edge index, ``flip`` (the flip value, NaN where the
    prediction never changes inside the bracket) and ``grid`` (the
    predictions of the first step, ``rows x points``, ordered from ``low``
    to ``high``).
    """
    n_rows = len(X)
    low = [edge.low.astype(float).copy() for edge in edges]
    high = [edge.high.astype(float).copy() for edge in edges]
    found = [np.ones(n_rows, dtype=bool) for _ in edges]
    grids: list[np.ndarray] = []
    for step in range(steps):
        fraction = np.linspace(0.0, 1.0, points)
        values = [
            lo[:, None] + (hi - lo)[:, None] * fraction
            for lo, hi in zip(low, high, strict=True)
        ]
        predictions = _predict_grid(model, X, edges, values)
        for k, predicted in enumerate(predictions):
            if step == 0:
                grids.append(predicted)
            changed = predicted != predicted[:, :1]
            flips = changed.any(axis=1)
            found[k] &= flips
            first = np.where(flips, changed.argmax(axis=1), 1)
            rows = np.arange(n_rows)
            low[k] = values[k][rows, first - 1]
            high[k] = values[k][rows, first]
    return {
        k: {
            "flip": np.where(found[k], (low[k] + high[k]) / 2, np.nan),
            "grid": grids[k],
        }
        for k in range(len(edges))
    }


def _predict_grid(model, X, edges, values) -> list[np.ndarray]:
    """Predict every row at every grid value of every edge in one call."""
    n_rows, points = values[0].shape
    blocks = []
    for edge, grid in zip(edges, values, strict=True):
        block = X.loc[X.index.repeat(points)].reset_index(drop=True)
        block[edge.column] = grid.ravel()
        blocks.append(block)
    labels = np.asarray(model.predict(pd.concat(blocks, ignore_index=True)))
    return list(labels.reshape(len(edges), n_rows, points))


def summarize_edges(
    constraint: Constraint, edges: list[Edge], found: list[dict[str, np.ndarray]]
) -> dict[str, Any]:
    """Report the learned boundary of ``constraint`` beside the true one."""
    report: dict[str, Any] = {"rule": constraint.describe(), "edges": {}}
    learned: dict[str, float] = {}
    for edge, result in zip(edges, found, strict=True):
        flip = result["flip"]
        flipped = ~np.isnan(flip)
        offset = flip - edge.true
        true = 0.0 if edge.name == "offset" else float(edge.true[0])
        scale = _scale(constraint)
        entry: dict[str, Any] = {
            "column": edge.column,
            "true": true,
            "flipped_share": float(flipped.mean()),
        }
        if flipped.mean() >= 0.5:
            value = true + float(np.median(offset[flipped]))
            entry["learned"] = value
            entry["error"] = value - true
            entry["error_std"] = (value - true) / scale
            if true != 0:
                entry["relative_error"] = abs(value - true) / abs(true)
            learned[edge.name] = value
        monotonic = _monotonic_share(result["grid"], edge.direction)
        if monotonic is not None:
            entry["monotonic_share"] = monotonic
        report["edges"][edge.name] = entry
    report["learned_rule"] = _learned_rule(constraint, learned)
    return report


def _scale(constraint: Constraint) -> float:
    if isinstance(constraint, Inequality):
        return constraint.scale
    return constraint.column.scale


def _monotonic_share(grid: np.ndarray, direction: float) -> float | None:
    """Share of rows whose prediction never falls as the column moves to valid."""
    if not np.isin(grid, (0, 1)).all():
        return None
    ordered = grid if direction > 0 else grid[:, ::-1]
    return float((np.diff(ordered.astype(int), axis=1) >= 0).all(axis=1).mean())


def _number(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def _learned_rule(constraint: Constraint, learned: dict[str, float]) -> str | None:
    """Write the learned boundary as a rule, or None when no edge flips.

    A range whose prediction flips at one edge only reads, for example,
    ``age <= 66.9 (no flip near 18.0)``: under half of the searched rows
    change prediction anywhere in the bracket around the true low edge 18.
    """
    if not learned:
        return None
    formatted = {edge: _number(value) for edge, value in learned.items()}
    if isinstance(constraint, Threshold):
        return f"{constraint.column.name} {constraint.op} {formatted['value']}"
    if isinstance(constraint, Range):
        column = constraint.column.name
        if "low" not in formatted:
            return (
                f"{column} <= {formatted['high']} "
                f"(no flip near {_number(constraint.low)})"
            )
        if "high" not in formatted:
            return (
                f"{column} >= {formatted['low']} "
                f"(no flip near {_number(constraint.high)})"
            )
        return f"{formatted['low']} <= {column} <= {formatted['high']}"
    offset = learned["offset"]
    sign = "+" if offset >= 0 else "-"
    return (
        f"{constraint.left.name} {constraint.op} {constraint.right.name} "
        f"{sign} {_number(abs(offset))}"
    )
