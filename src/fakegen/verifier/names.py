"""Metric names: how the verifier forms them, and which ones a config can record.

The verifier forms every metric name with the functions here, and
``synthetic_metric_names`` and ``file_metric_names`` list the names a run may
record from the same functions, so that ``objective`` is checked against the
names runs record before any data exists.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from fakegen.constraints import Constraint
from fakegen.generator import SyntheticGenerator
from fakegen.verifier.boundary import make_edges
from fakegen.verifier.options import (
    BOUNDARY,
    COUNTERFACTUAL,
    EXTRAPOLATION,
    IN_DISTRIBUTION,
    INVARIANCE,
    UNSEEN_LITERALS,
    VerifierOptions,
)
from fakegen.verifier.suites import (
    constrained_numeric_columns,
    literal_columns,
    margin_constraints,
)

TRAIN_ACCURACY = "train/accuracy"
TEST_ACCURACY = "test/accuracy"
#: The ceiling implied by label noise and the gap of the test accuracy to it.
BAYES_METRICS = ("bayes/accuracy", "bayes/gap")
ACCURACY = "accuracy"
#: Scores that a row scored by accuracy may add. Each needs a binary label,
#: both classes in the suite or probabilities, which only the data settles.
SCORE_EXTRAS = ("balanced_accuracy", "f1", "roc_auc")
#: Score of the suites that are not scored by accuracy.
SHARE_METRICS = {INVARIANCE: "unchanged", COUNTERFACTUAL: "flipped"}
#: Keys of a searched edge that become ``constraint/<name>/<edge>/<key>``.
EDGE_METRICS = ("learned", "error_std", "monotonic_share", "flipped_share")


def score_names(prefix: str, metric: str) -> dict[str, str]:
    """Map each key of a scored row to its metric name below ``prefix``.

    A score comes with the ends of its interval (``low``, ``high``), and an
    accuracy also with the ``SCORE_EXTRAS`` the row contains.
    """
    keys = {"score": metric, "low": f"{metric}_low", "high": f"{metric}_high"}
    if metric == ACCURACY:
        keys.update({extra: extra for extra in SCORE_EXTRAS})
    return {key: f"{prefix}/{name}" for key, name in keys.items()}


def suite_metric_names(suite: str, metric: str) -> dict[str, str]:
    """Map each key of a scored suite row to its ``suite/<suite>/...`` name."""
    return score_names(f"suite/{suite}", metric)


def edge_metric_name(constraint: str, edge: str, key: str) -> str:
    """Return the name of one result of the boundary search along an edge."""
    return f"constraint/{constraint}/{edge}/{key}"


def breaking_share_name(constraint: str) -> str:
    """Return the name of the share of training rows breaking a file constraint."""
    return f"constraint/{constraint}/train_breaking_share"


def unseen_literals_name(test: str) -> str:
    """Return the name of the share of a test file's literals never trained on."""
    return f"encoder/unseen_literals/{test}"


def edge_names(constraint: Constraint) -> list[str]:
    """Return the names of the edges the boundary search finds for ``constraint``."""
    empty = pd.DataFrame(
        {column: pd.Series(dtype=float) for column in constraint.columns}
    )
    return [edge.name for edge in make_edges(constraint, empty, span=1.0)]


def planned_suites(
    generator: SyntheticGenerator, options: VerifierOptions
) -> dict[str, str]:
    """Return each suite a synthetic run may build, with the metric it scores.

    A suite is left out when its rows are set to 0 or the table gives it
    nothing to test, as ``build_suites`` decides. The counterfactual suite
    may still be dropped when no pair's labels differ, which only the data
    settles.
    """
    suites = {IN_DISTRIBUTION: ACCURACY}
    suites.update({c.name: ACCURACY for c in generator.label_constraints})
    optional = {
        BOUNDARY: options.boundary_rows > 0 and bool(margin_constraints(generator)),
        EXTRAPOLATION: options.extrapolation_rows > 0
        and bool(constrained_numeric_columns(generator)),
        COUNTERFACTUAL: options.counterfactual_rows > 0
        and bool(generator.label_constraints),
        INVARIANCE: options.invariance_rows > 0 and bool(generator.distractors),
        UNSEEN_LITERALS: options.unseen_literal_rows > 0
        and bool(literal_columns(generator)),
    }
    for suite, built in optional.items():
        if built:
            suites[suite] = SHARE_METRICS.get(suite, ACCURACY)
    return suites


def synthetic_metric_names(
    generator: SyntheticGenerator, options: VerifierOptions
) -> list[str]:
    """Return every metric name a run on ``generator``'s table may record.

    A run may leave out the names that depend on the data. ROC AUC needs
    probabilities, and a learned boundary needs the prediction to flip in
    half the searched rows.
    """
    names = [TRAIN_ACCURACY, *score_names("test", ACCURACY).values()]
    names += score_names("test", "rule_agreement").values()
    names += BAYES_METRICS
    for suite, metric in planned_suites(generator, options).items():
        names += suite_metric_names(suite, metric).values()
    if options.search_rows > 0:
        for constraint in generator.label_constraints:
            for edge in edge_names(constraint):
                names += [
                    edge_metric_name(constraint.name, edge, key) for key in EDGE_METRICS
                ]
    return names


def file_metric_names(tests: Iterable[str], options: VerifierOptions) -> list[str]:
    """Return every metric name a ``generator=file`` run may record.

    ``tests`` are the names of the test files. The counterfactual suite also
    needs a model of the two classes 0 and 1 and a pair that crosses a
    boundary, which only the data settles.
    """
    tests = list(tests)
    names = [TRAIN_ACCURACY]
    if tests:
        names.append(TEST_ACCURACY)
    for test in tests:
        names += suite_metric_names(test, ACCURACY).values()
        names.append(unseen_literals_name(test))
    if options.constraints:
        names += [breaking_share_name(str(name)) for name in options.constraints]
        if options.counterfactual_rows > 0:
            flipped = SHARE_METRICS[COUNTERFACTUAL]
            names += suite_metric_names(COUNTERFACTUAL, flipped).values()
    return names
