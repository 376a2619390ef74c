"""Score a test suite: accuracy, balanced accuracy, F1, ROC AUC, Wilson intervals."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    auc,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from fakegen.verifier.names import suite_metric_names

# Two-sided 95% normal quantile, about 1.96.
Z_95 = float(ndtri(0.975))


@dataclass
class Predictions:
    """Predicted labels and, when the model has ``predict_proba``, probabilities.

    ``proba`` holds the probability of class 1 for a binary model, or one
    column per class in ``classes`` otherwise.
    """

    labels: np.ndarray
    proba: np.ndarray | None
    classes: np.ndarray | None

    def take(self, rows: Any) -> Predictions:
        """Return the predictions of ``rows`` (a slice, mask or index array)."""
        proba = None if self.proba is None else self.proba[rows]
        return Predictions(self.labels[rows], proba, self.classes)


def predict(model: Any, X: Any) -> Predictions:
    """Predict labels, and probabilities where ``model`` has ``predict_proba``.

    A scikit-learn ``Pipeline`` encodes ``X`` once for both calls, because
    both would encode the same rows the same way.
    """
    if isinstance(model, Pipeline) and len(model) > 1:
        X = model[:-1].transform(X)
        model = model[-1]
    labels = np.asarray(model.predict(X))
    if not hasattr(model, "predict_proba"):
        return Predictions(labels, None, None)
    proba = np.asarray(model.predict_proba(X))
    classes = np.asarray(getattr(model, "classes_", np.arange(proba.shape[1])))
    if proba.ndim == 2 and proba.shape[1] == 2:
        proba = proba[:, 1]
    return Predictions(labels, proba, classes)


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """Return the 95% Wilson score interval of ``successes`` out of ``trials``.

    This is the closed form that SciPy 1.17's
    ``binomtest(...).proportion_ci(method="wilson")`` evaluates, without the
    binomial test that call also runs. The interval starts at exactly 0 when
    there is no success and ends at exactly 1 when every trial succeeds.
    """
    if trials == 0:
        return float("nan"), float("nan")
    share = successes / trials
    denominator = 2 * (trials + Z_95**2)
    centre = (2 * trials * share + Z_95**2) / denominator
    half_width = (
        Z_95 / denominator * math.sqrt(4 * trials * share * (1 - share) + Z_95**2)
    )
    low = 0.0 if successes == 0 else centre - half_width
    high = 1.0 if successes == trials else centre + half_width
    return low, high


def score_share(successes: int, trials: int, *, metric: str) -> dict[str, Any]:
    """Score a suite whose result is one proportion, such as unchanged predictions."""
    low, high = wilson_interval(successes, trials)
    score = successes / trials if trials else float("nan")
    return {
        "metric": metric,
        "rows": int(trials),
        "score": score,
        "low": low,
        "high": high,
    }


def score_labels(y_true: np.ndarray, predictions: Predictions) -> dict[str, Any]:
    """Score predictions against true labels.

    Returns accuracy with its Wilson interval (as ``score``, ``low``, ``high``),
    F1, and, when both classes occur in ``y_true``, balanced accuracy and ROC
    AUC (the latter only where probabilities exist).
    """
    y_true = np.asarray(y_true)
    y_pred = predictions.labels
    correct = int((y_true == y_pred).sum())
    row = score_share(correct, len(y_true), metric="accuracy")
    row["accuracy"] = row["score"]
    present = np.unique(y_true)
    binary = set(present.tolist()) | set(np.unique(y_pred).tolist()) <= {0, 1}
    if binary:
        row.update(_binary_scores(y_true, y_pred, both_classes=len(present) == 2))
    else:
        row["f1"] = float(f1_score(y_true, y_pred, average="macro", zero_division=0))
        if len(present) >= 2:
            row["balanced_accuracy"] = float(balanced_accuracy_score(y_true, y_pred))
    if len(present) < 2:
        return row
    area = _roc_auc(y_true, predictions)
    if area is not None:
        row["roc_auc"] = area
    return row


def _binary_scores(
    y_true: np.ndarray, y_pred: np.ndarray, *, both_classes: bool
) -> dict[str, float]:
    """Return F1 of class 1 and, with both classes, balanced accuracy.

    Counting the four cells of the confusion matrix gives the same values
    as ``f1_score(average="binary", zero_division=0)`` and
    ``balanced_accuracy_score`` for labels in {0, 1}, at a fraction of the
    cost of their input checks.
    """
    actual = y_true == 1
    predicted = y_pred == 1
    true_positives = int((actual & predicted).sum())
    positives = int(actual.sum())
    predicted_positives = int(predicted.sum())
    scores = {"f1": 0.0}
    if positives + predicted_positives > 0:
        scores["f1"] = 2 * true_positives / (positives + predicted_positives)
    if both_classes:
        negatives = len(y_true) - positives
        true_negatives = negatives - (predicted_positives - true_positives)
        recalls = (true_negatives / negatives, true_positives / positives)
        scores["balanced_accuracy"] = (recalls[0] + recalls[1]) / 2
    return scores


def _roc_auc(y_true: np.ndarray, predictions: Predictions) -> float | None:
    proba = predictions.proba
    if proba is None:
        return None
    if proba.ndim == 1 and set(np.unique(y_true).tolist()) == {0, 1}:
        # roc_auc_score computes this same curve and area after checks and a
        # label_binarize call that cost several times more for 0/1 labels.
        false_positive_rate, true_positive_rate, _ = roc_curve(y_true, proba)
        return float(auc(false_positive_rate, true_positive_rate))
    if proba.ndim == 1:
        return float(roc_auc_score(y_true, proba))
    # One-vs-rest AUC needs every class of the model in the suite.
    if set(np.unique(y_true).tolist()) != set(predictions.classes.tolist()):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return float(
            roc_auc_score(y_true, proba, multi_class="ovr", labels=predictions.classes)
        )


def suite_metrics(name: str, row: dict[str, Any]) -> dict[str, float]:
    """Flatten a scored suite row into ``suite/<name>/<metric>`` metrics."""
    names = suite_metric_names(name, row["metric"])
    return {metric: row[key] for key, metric in names.items() if key in row}
