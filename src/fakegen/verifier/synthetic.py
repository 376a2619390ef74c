"""Verify a model against a synthetic table's ground truth."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context

from fakegen.generator import SyntheticGenerator
from fakegen.verifier import boundary, figures, suites
from fakegen.verifier.metrics import (
    Predictions,
    predict,
    score_labels,
    score_share,
    suite_metrics,
)
from fakegen.verifier.names import (
    ACCURACY,
    BAYES_METRICS,
    EDGE_METRICS,
    SHARE_METRICS,
    edge_metric_name,
    score_names,
)
from fakegen.verifier.options import (
    BOUNDARY,
    COUNTERFACTUAL,
    EXTRAPOLATION,
    IN_DISTRIBUTION,
    INVARIANCE,
    UNSEEN_LITERALS,
    VerifierOptions,
    check_suite_names,
    stream_rng,
)
from fakegen.verifier.report import Verification, timed
from fakegen.verifier.verdicts import judge_constraint

log = logging.getLogger(__name__)


class ValidPool:
    """Rows that meet every label constraint, handed out in consecutive slices.

    Drawing every suite's valid rows in one ``sample_valid`` call costs far
    less than one call per suite. The price is that a suite's rows depend on
    the sizes of the suites taken before it; the run stays deterministic.
    """

    def __init__(self, X: pd.DataFrame) -> None:
        self.X = X
        self.start = 0

    def take(self, n_rows: int) -> pd.DataFrame:
        """Return the next ``n_rows`` rows as a fresh frame."""
        rows = self.X.iloc[self.start : self.start + n_rows]
        self.start += n_rows
        return rows.reset_index(drop=True).copy()


def build_suites(
    generator: SyntheticGenerator, options: VerifierOptions, *, seed: int
) -> tuple[Any, list[suites.Suite], pd.DataFrame]:
    """Sample the in-distribution test set and build every other suite.

    Returns the test set, the suites (in-distribution first) and the base
    rows of the boundary search.
    """
    test = generator.sample(options.test_rows, stream_rng(seed, "test"))
    constraints = generator.label_constraints
    half = options.suite_rows // 2
    total = (
        half * len(constraints)
        + options.boundary_rows
        + options.extrapolation_rows
        + options.counterfactual_rows
        + options.unseen_literal_rows
        + options.search_rows
    )
    pool = ValidPool(generator.sample_valid(total, stream_rng(seed, "valid")).X)

    built = [suites.Suite(IN_DISTRIBUTION, test.X, test.y_clean)]
    for constraint in constraints:
        rng = stream_rng(seed, f"suite/{constraint.name}")
        built.append(
            suites.make_constraint_suite(
                generator, constraint, pool.take(half), options.suite_rows - half, rng
            )
        )
    optional = [
        (
            suites.make_boundary_suite,
            BOUNDARY,
            pool.take(options.boundary_rows),
            options.boundary_width,
        ),
        (
            suites.make_extrapolation_suite,
            EXTRAPOLATION,
            pool.take(options.extrapolation_rows),
            options.extrapolation_width,
        ),
        (
            suites.make_counterfactual_suite,
            COUNTERFACTUAL,
            pool.take(options.counterfactual_rows),
            options.counterfactual_distance,
        ),
    ]
    for build, name, valid, width in optional:
        suite = build(generator, valid, width, stream_rng(seed, f"suite/{name}"))
        if suite is not None:
            built.append(suite)
    for suite in (
        suites.make_invariance_suite(
            generator,
            test.X.iloc[: options.invariance_rows],
            stream_rng(seed, f"suite/{INVARIANCE}"),
        ),
        suites.make_unseen_literal_suite(
            generator,
            pool.take(options.unseen_literal_rows),
            stream_rng(seed, f"suite/{UNSEEN_LITERALS}"),
        ),
    ):
        if suite is not None:
            built.append(suite)
    return test, built, pool.take(options.search_rows)


def predict_suites(model: Any, built: list[suites.Suite]) -> list[Predictions]:
    """Predict every suite, pooling the suites whose column types agree.

    Pooling saves the fixed cost of one ``predict`` call per suite. Suites
    with other column types, such as new literal categories, are predicted
    alone because an encoder may depend on the exact dtype. Categorical
    dtypes compare their categories too: joining frames whose categories
    differ turns those columns into strings, which costs more than a
    separate call.
    """
    signature = [tuple(s.X.dtypes) for s in built]
    pooled = [i for i, sig in enumerate(signature) if sig == signature[0]]
    results: dict[int, Predictions] = {}
    frame = pd.concat([built[i].X for i in pooled], ignore_index=True)
    predictions = predict(model, frame)
    start = 0
    for i in pooled:
        stop = start + len(built[i].X)
        results[i] = predictions.take(slice(start, stop))
        start = stop
    for i in set(range(len(built))) - set(pooled):
        results[i] = predict(model, built[i].X)
    return [results[i] for i in range(len(built))]


def score_suite(
    suite: suites.Suite, predictions: Predictions, reference: Predictions
) -> dict[str, Any]:
    """Score one suite against the in-distribution predictions ``reference``."""
    if suite.name == INVARIANCE:
        unchanged = predictions.labels == reference.labels[: len(suite.X)]
        metric = SHARE_METRICS[INVARIANCE]
        row = score_share(int(unchanged.sum()), len(unchanged), metric=metric)
        return {"suite": suite.name, "rule": "distractors resampled", **row}
    if suite.name == COUNTERFACTUAL:
        n = suite.pairs
        correct = predictions.labels == suite.y
        flipped = correct[:n] & correct[n:]
        row = score_share(int(flipped.sum()), n, metric=SHARE_METRICS[COUNTERFACTUAL])
        row["by_constraint"] = _by_group(suite.groups, flipped)
        return {"suite": suite.name, "rule": "pairs across one boundary", **row}
    row = score_labels(suite.y, predictions)
    if suite.groups is not None:
        row["by_constraint"] = _by_group(suite.groups, predictions.labels == suite.y)
    return {"suite": suite.name, "rule": suite.rule, **row}


def _by_group(groups: np.ndarray, success: np.ndarray) -> dict[str, dict[str, Any]]:
    return {
        str(name): score_share(
            int(success[groups == name].sum()),
            int((groups == name).sum()),
            metric="share",
        )
        for name in dict.fromkeys(groups)
    }


def verify_synthetic(
    model: Any,
    generator: SyntheticGenerator,
    options: VerifierOptions,
    *,
    seed: int,
    run_dir: Path | None = None,
) -> Verification:
    """Score ``model`` on every suite, search its boundaries and give verdicts.

    Parameters
    ----------
    model : estimator
        Fitted; takes the generator's raw table (encoder included).
    generator : SyntheticGenerator
        Source of the ground truth.
    options : VerifierOptions
        Suite sizes, search settings and verdict thresholds.
    seed : int
        Seed of the run; each suite draws from its own named stream.
    run_dir : Path or None, default=None
        Where figures go; None, or ``options.figures`` false, makes none.
    """
    check_suite_names(
        [c.name for c in generator.label_constraints], key="constraint.constraints"
    )
    result = Verification()
    with timed(result.timings, "build"):
        test, built, base = build_suites(generator, options, seed=seed)
    with timed(result.timings, "predict"):
        predictions = predict_suites(model, built)
    # The labels and predictions come from this module, so sklearn's input
    # validation only adds a fixed cost to each of the many metric calls.
    with (
        timed(result.timings, "score"),
        config_context(assume_finite=True, skip_parameter_validation=True),
    ):
        rows = [_score_in_distribution(result, test, predictions[0], generator.noise)]
        rows += [
            score_suite(s, p, predictions[0])
            for s, p in zip(built[1:], predictions[1:], strict=True)
        ]
        for row in rows:
            result.metrics.update(suite_metrics(row["suite"], row))
        result.suites = rows
    with timed(result.timings, "search"):
        _search_boundaries(result, model, generator, base, options)
    _judge(result, generator, options)
    if run_dir is not None and options.figures:
        with timed(result.timings, "figures"):
            _draw(result, model, generator, test, predictions[0], options, run_dir)
    return result


def _score_in_distribution(result, test, predictions, noise) -> dict[str, Any]:
    """Score the test set on noisy labels (``test/``) and on the rule's labels."""
    noisy = score_labels(test.y, predictions)
    metrics = result.metrics
    for key, name in score_names("test", ACCURACY).items():
        if key in noisy:
            metrics[name] = noisy[key]
    clean = noisy
    if noise > 0:
        clean = score_labels(test.y_clean, predictions)
    for key, name in score_names("test", "rule_agreement").items():
        metrics[name] = clean[key]
    # Flipping a share ``noise`` of labels at random caps any model's expected
    # accuracy on noisy labels at 1 - noise: the rule itself scores that. A
    # finite test set can beat the expectation by sampling error, so the gap
    # is signed and negative then.
    ceiling, gap = BAYES_METRICS
    metrics[ceiling] = 1.0 - noise
    metrics[gap] = metrics[ceiling] - noisy["score"]
    return {"suite": IN_DISTRIBUTION, "rule": "", **clean}


def _search_boundaries(result, model, generator, base, options) -> None:
    if len(base) == 0:
        return
    edges, owners = [], []
    for constraint in generator.label_constraints:
        found = boundary.make_edges(constraint, base, options.search_span)
        edges.extend(found)
        owners.extend([constraint] * len(found))
    if not edges:
        return
    found = boundary.search_edges(
        model, base, edges, points=options.search_points, steps=options.search_steps
    )
    for constraint in dict.fromkeys(owners):
        mine = [k for k, owner in enumerate(owners) if owner is constraint]
        report = boundary.summarize_edges(
            constraint, [edges[k] for k in mine], [found[k] for k in mine]
        )
        result.boundaries[constraint.name] = report
        for edge_name, entry in report["edges"].items():
            for key in EDGE_METRICS:
                if key in entry:
                    name = edge_metric_name(constraint.name, edge_name, key)
                    result.metrics[name] = entry[key]


def _judge(result, generator, options) -> None:
    by_suite = {row["suite"]: row for row in result.suites}
    flips = by_suite.get(COUNTERFACTUAL, {}).get("by_constraint", {})
    near = by_suite.get(BOUNDARY, {}).get("by_constraint", {})
    rule = generator.label_rule
    for constraint in generator.label_constraints:
        name = constraint.name
        if rule is not None:
            # The rule, not the constraints, gives the label, so breaking one
            # constraint need not change it, and a high suite score would not
            # show that the model acquired the constraint.
            result.verdict_reasons[name] = (
                f"no verdict: the label comes from constraint.label_rule "
                f"{rule.describe()!r}, so breaking {constraint.describe()} alone "
                "need not change it; test/rule_agreement scores the rule."
            )
            continue
        evidence = [{"label": "constraint suite accuracy", **by_suite[name]}]
        if name in flips:
            evidence.append(
                {"label": "counterfactual flips", "unit": "pairs", **flips[name]}
            )
        notes = []
        if COUNTERFACTUAL not in by_suite and options.counterfactual_rows == 0:
            notes.append(
                "The counterfactual suite was skipped "
                "(verifier.counterfactual_rows=0), so this verdict rests on the "
                "constraint suite alone."
            )
        elif name not in flips:
            notes.append(
                "No counterfactual pair was left for this constraint "
                f"(verifier.counterfactual_rows is {options.counterfactual_rows}), "
                "so this verdict rests on the constraint suite alone."
            )
        if name in near:
            notes.append(
                f"Accuracy within {options.boundary_width:g} std of the boundary "
                f"is {near[name]['score']:.3f}."
            )
        report = result.boundaries.get(name, {})
        if report.get("learned_rule"):
            notes.append(
                f"Learned boundary {report['learned_rule']}, "
                f"true {constraint.describe()}."
            )
        for edge_name, edge in report.get("edges", {}).items():
            if edge.get("monotonic_share", 1.0) < 1.0:
                notes.append(
                    f"The prediction moves against the rule's direction along "
                    f"{edge['column']} ({edge_name} edge) in "
                    f"{1 - edge['monotonic_share']:.0%} of the searched rows."
                )
        verdict, reason = judge_constraint(evidence, options, notes=notes)
        result.verdicts[name] = verdict
        result.verdict_reasons[name] = reason
        by_suite[name]["verdict"] = verdict
        log.debug("Verdict %s", reason)


def _base_row(y_clean: np.ndarray, predictions: Predictions) -> tuple[int, str]:
    """Return the test row that region figures hold other columns at, described.

    That is the valid row whose predicted probability is nearest 0.5. At a
    row the model is sure of, its boundary may lie outside the plotted plane,
    which then shows one colour only.
    """
    valid = np.flatnonzero(y_clean == 1)
    if len(valid) == 0:
        return 0, "the first test row"
    if predictions.proba is None or predictions.proba.ndim != 1:
        return int(valid[0]), "the first valid test row"
    nearest = valid[np.argmin(np.abs(predictions.proba[valid] - 0.5))]
    return int(nearest), "the valid test row nearest p(1) = 0.5"


def _draw(result, model, generator, test, predictions, options, run_dir) -> None:
    directory = Path(run_dir)
    result.figures["suites"] = figures.plot_suite_scores(
        result.suites, options, directory / "suites.png"
    )
    result.figures["confusion"] = figures.plot_confusion(
        test.y_clean,
        predictions.labels,
        directory / "confusion.png",
        title="in-distribution suite, clean labels",
    )
    # Under a label rule the constraints' columns need not decide the label,
    # so their planes could show no true boundary at all.
    rules = [(c.name, c) for c in generator.label_constraints]
    if generator.label_rule is not None:
        rules = [("label_rule", generator.label_rule)]
    row, base_description = _base_row(test.y_clean, predictions)
    base = test.X.iloc[[row]].reset_index(drop=True)
    for name, rule in rules:
        numeric = [c for c in rule.columns if generator.columns[c].is_numeric]
        if len(numeric) != 2 or len(rule.columns) != 2:
            continue
        limits = {
            c: tuple(np.quantile(test.X[c].to_numpy(dtype=float), [0.005, 0.995]))
            for c in numeric
        }
        result.figures[f"regions_{name}"] = figures.plot_regions(
            model,
            generator.label_of,
            base,
            (numeric[0], numeric[1]),
            limits,
            title=f"{name}: {rule.describe()}",
            path=directory / f"regions_{name}.png",
            base_description=base_description,
        )
