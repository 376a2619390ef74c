"""Verify a model on the user's own test files and declared constraints."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from fakegen.columns import Column
from fakegen.constraints import Constraint, make_constraint
from fakegen.errors import InfeasibleError
from fakegen.generator import Dataset
from fakegen.verifier import figures
from fakegen.verifier.metrics import predict, score_labels, score_share, suite_metrics
from fakegen.verifier.names import SHARE_METRICS, TEST_ACCURACY, breaking_share_name
from fakegen.verifier.options import (
    COUNTERFACTUAL,
    VerifierOptions,
    check_suite_names,
    stream_rng,
)
from fakegen.verifier.report import Verification, timed
from fakegen.verifier.suites import cross_boundary

log = logging.getLogger(__name__)


def infer_schema(X: pd.DataFrame) -> dict[str, Column]:
    """Describe each column of the user's table as fakegen's column types do.

    Integer columns become ``integer`` and other numbers ``uniform`` over the
    observed range, so a constraint's margins are in units of that range;
    booleans become ``boolean`` and everything else ``literal``.
    """
    schema = {}
    for name in X.columns:
        values = X[name].dropna()
        if pd.api.types.is_bool_dtype(values):
            schema[name] = Column(name, "boolean", {"p": float(values.mean())})
        elif pd.api.types.is_numeric_dtype(values) and len(values):
            low, high = float(values.min()), float(values.max())
            kind = "integer" if pd.api.types.is_integer_dtype(values) else "uniform"
            high = high if high > low else low + 1.0
            schema[name] = Column(name, kind, {"low": low, "high": high})
        else:
            vocabulary = sorted(map(str, values.unique())) or ["missing"]
            schema[name] = Column(
                name, "literal", {"values": vocabulary, "weights": None}
            )
    return schema


def make_file_constraints(
    specs: Mapping[str, Any], X: pd.DataFrame
) -> list[Constraint]:
    """Build ``verifier.constraints`` over the columns of the training table ``X``.

    Parameters
    ----------
    specs : mapping
        Constraint name to settings, as under ``verifier.constraints``.
    X : DataFrame
        The features of ``generator.train``.

    Returns
    -------
    list of Constraint
        One constraint per entry of ``specs``.

    Raises
    ------
    ConfigError
        For a constraint with an unknown type, key or column.
    InfeasibleError
        When no row of ``X`` meets a constraint, or none meets all of them
        together, because counterfactual pairs start from such rows, as a
        synthetic table's valid rows do.
    """
    check_suite_names(specs, key="verifier.constraints")
    schema = infer_schema(X)
    constraints = [
        make_constraint(str(name), spec, schema, key=f"verifier.constraints.{name}")
        for name, spec in specs.items()
    ]
    _check_rows_meet(constraints, X)
    return constraints


def _check_rows_meet(constraints: list[Constraint], X: pd.DataFrame) -> None:
    """Raise InfeasibleError unless some training row meets every constraint."""
    met = {constraint.name: constraint.check(X) for constraint in constraints}
    for constraint in constraints:
        if met[constraint.name].any():
            continue
        raise InfeasibleError(
            f"verifier.constraints.{constraint.name} is {constraint.describe()!r}, "
            f"which holds on 0 of the {len(X)} rows of generator.train, so every "
            "row breaks it, which usually means a mistaken rule."
            f"{_describe_ranges(constraint, X)} Fix the column, operator or "
            "value, or remove the constraint."
        )
    if met and not np.logical_and.reduce(list(met.values())).any():
        counts = ", ".join(
            f"{name!r} on {int(rows.sum())}" for name, rows in met.items()
        )
        raise InfeasibleError(
            "No row of generator.train meets every constraint of "
            f"verifier.constraints together: of its {len(X)} rows, each holds on "
            f"some ({counts}), but never all on one row. A counterfactual pair "
            "starts from a row that meets them all, so loosen or remove one of "
            "them."
        )


def _describe_ranges(constraint: Constraint, X: pd.DataFrame) -> str:
    """Name the observed range of each numeric column the constraint reads."""
    ranges = []
    for column in constraint.columns:
        if column not in X.columns:
            continue
        values = X[column].dropna()
        dtype = values.dtype
        if len(values) and is_numeric_dtype(dtype) and not is_bool_dtype(dtype):
            ranges.append(f"{column!r} spans [{values.min():g}, {values.max():g}]")
    if not ranges:
        return ""
    return f" In generator.train, {', '.join(ranges)}."


def count_breaking(
    constraints: list[Constraint], tables: Mapping[str, Dataset]
) -> dict:
    """Count, per constraint and table, the rows that break the constraint."""
    report: dict[str, Any] = {}
    for constraint in constraints:
        counts = {}
        for table, data in tables.items():
            breaking = int((~constraint.check(data.X)).sum())
            counts[table] = {
                "rows": len(data.X),
                "breaking": breaking,
                "share": breaking / len(data.X),
            }
        report[constraint.name] = {"rule": constraint.describe(), "tables": counts}
    return report


def make_file_pairs(
    constraints: list[Constraint],
    X: pd.DataFrame,
    n_pairs: int,
    distance: float,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Build counterfactual pairs from the user's rows that meet every constraint.

    Each pair differs only in one constraint's column: the first row meets
    it and the second breaks it. Pairs where that did not happen (such as a
    literal column with no other value) are dropped.
    """
    valid = np.ones(len(X), dtype=bool)
    for constraint in constraints:
        valid &= constraint.check(X)
    pool = X.loc[valid].reset_index(drop=True)
    firsts, seconds, groups = [], [], []
    for constraint in constraints:
        if len(pool) == 0:
            break
        count = max(1, n_pairs // len(constraints))
        picked = rng.choice(len(pool), size=count, replace=count > len(pool))
        first = pool.iloc[picked].reset_index(drop=True)
        second = first.copy()
        cross_boundary(constraint, first, second, distance, rng)
        kept = _all_hold(constraints, first) & ~constraint.check(second)
        kept &= _all_hold([c for c in constraints if c is not constraint], second)
        firsts.append(first.loc[kept])
        seconds.append(second.loc[kept])
        groups.append(np.full(int(kept.sum()), constraint.name, dtype=object))
    if not firsts:
        return X.iloc[:0], X.iloc[:0], np.array([], dtype=object)
    return (
        pd.concat(firsts, ignore_index=True),
        pd.concat(seconds, ignore_index=True),
        np.concatenate(groups),
    )


def _all_hold(constraints: list[Constraint], X: pd.DataFrame) -> np.ndarray:
    held = np.ones(len(X), dtype=bool)
    for constraint in constraints:
        held &= constraint.check(X)
    return held


def verify_files(
    model: Any,
    tests: Mapping[str, Dataset],
    options: VerifierOptions | None = None,
    *,
    train: Dataset | None = None,
    seed: int = 0,
    run_dir: Path | None = None,
) -> Verification:
    """Score ``model`` on each of the user's test files and on all of them pooled.

    When ``options.constraints`` declares constraints and ``train`` is given,
    it also counts the rows of every table that break each constraint, and
    scores counterfactual pairs built from the training rows: a row that
    meets every constraint should get label 1, and its copy moved across one
    boundary label 0. Label 1 is ``generator.positive``, or the second class
    in sorted order.
    """
    options = options or VerifierOptions()
    check_suite_names(tests, key="generator.tests")
    result = Verification()
    with timed(result.timings, "score"):
        correct, total = 0, 0
        for name, data in tests.items():
            row = {
                "suite": name,
                "rule": "",
                **score_labels(data.y, predict(model, data.X)),
            }
            result.suites.append(row)
            result.metrics.update(suite_metrics(name, row))
            correct += round(row["score"] * row["rows"])
            total += row["rows"]
        if total:
            result.metrics[TEST_ACCURACY] = correct / total
    if options.constraints and train is not None:
        with timed(result.timings, "constraints"):
            _verify_constraints(result, model, tests, train, options, seed)
    if run_dir is not None and options.figures and result.suites:
        with timed(result.timings, "figures"):
            _draw(result, model, tests, options, Path(run_dir))
    return result


def _verify_constraints(result, model, tests, train, options, seed) -> None:
    constraints = make_file_constraints(options.constraints, train.X)
    # Test names are config keys, so "generator.train" cannot clash with them.
    tables = {"generator.train": train}
    tables.update({f"generator.tests.{name}": data for name, data in tests.items()})
    result.file_constraints = count_breaking(constraints, tables)
    for name, entry in result.file_constraints.items():
        share = entry["tables"]["generator.train"]["share"]
        result.metrics[breaking_share_name(name)] = share
    classes = getattr(model, "classes_", None)
    if options.counterfactual_rows == 0:
        log.warning(
            "Skipped counterfactual pairs: verifier.counterfactual_rows is 0; set "
            "it above 0 to build them."
        )
        return
    if classes is None or list(classes) != [0, 1]:
        # The model is fitted on labels encoded as 0, 1, 2 and so on, so the
        # warning counts the classes instead of naming their values.
        count = "an unknown number of" if classes is None else str(len(classes))
        log.warning(
            "Skipped counterfactual pairs: they need a label of two classes, and "
            "this label has %s. Set generator.positive to the label value the "
            "constraints describe, so that it is 1 against the rest.",
            count,
        )
        return
    first, second, groups = make_file_pairs(
        constraints,
        train.X,
        options.counterfactual_rows,
        options.counterfactual_distance,
        stream_rng(seed, "suite/counterfactual"),
    )
    if len(first) == 0:
        # make_file_constraints checked that some row meets every constraint,
        # so no pair is left only when no copy could cross one boundary alone.
        log.warning(
            "Skipped counterfactual pairs: no copy of a training row that meets "
            "every constraint of verifier.constraints could be moved across one "
            "boundary alone."
        )
        return
    unpaired = [c.name for c in constraints if c.name not in set(groups)]
    if unpaired:
        log.warning(
            "No counterfactual pair for %s: no training row could be moved across "
            "its boundary within the range of the training rows.",
            ", ".join(unpaired),
        )
    labels = np.asarray(model.predict(pd.concat([first, second], ignore_index=True)))
    flipped = (labels[: len(first)] == 1) & (labels[len(first) :] == 0)
    row = score_share(
        int(flipped.sum()), len(first), metric=SHARE_METRICS[COUNTERFACTUAL]
    )
    row["by_constraint"] = {
        str(name): score_share(
            int(flipped[groups == name].sum()),
            int((groups == name).sum()),
            metric="share",
        )
        for name in dict.fromkeys(groups)
    }
    row = {"suite": COUNTERFACTUAL, "rule": "pairs across one boundary", **row}
    result.suites.append(row)
    result.metrics.update(suite_metrics(COUNTERFACTUAL, row))


def _draw(result, model, tests, options, directory) -> None:
    result.figures["suites"] = figures.plot_suite_scores(
        result.suites, options, directory / "suites.png"
    )
    if tests:
        y = np.concatenate([data.y for data in tests.values()])
        X = pd.concat([data.X for data in tests.values()], ignore_index=True)
        result.figures["confusion"] = figures.plot_confusion(
            y,
            np.asarray(model.predict(X)),
            directory / "confusion.png",
            title="all test files",
        )
