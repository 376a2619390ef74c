"""Suite scores and pooled predictions equal scikit-learn's and SciPy's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from fakegen.verifier.metrics import Predictions, predict, score_labels, wilson_interval
from fakegen.verifier.suites import Suite
from fakegen.verifier.synthetic import predict_suites


@pytest.mark.parametrize(
    ("successes", "trials"),
    [(0, 1), (1, 1), (0, 500), (500, 500), (1, 3), (90, 100), (4999, 5000)],
    ids=["none-of-one", "one-of-one", "none", "all", "third", "ninety", "almost-all"],
)
def test_wilson_interval_equals_scipy_exactly(successes, trials):
    expected = binomtest(successes, trials).proportion_ci(
        confidence_level=0.95, method="wilson"
    )

    low, high = wilson_interval(successes, trials)

    assert low == float(expected.low)
    assert high == float(expected.high)


def test_wilson_interval_without_trials_is_nan():
    low, high = wilson_interval(0, 0)

    assert np.isnan(low)
    assert np.isnan(high)


def random_labels(seed, n_rows, *, share=0.5):
    rng = np.random.default_rng(seed)
    return (rng.random(n_rows) < share).astype(np.int64)


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        (random_labels(0, 997), random_labels(1, 997)),
        (random_labels(2, 500, share=0.9), random_labels(3, 500, share=0.2)),
        (np.array([0, 1, 1, 0]), np.zeros(4, dtype=np.int64)),
        (np.array([0, 1, 1, 0]), np.ones(4, dtype=np.int64)),
        (np.array([0, 1, 1, 0]), np.array([0, 1, 1, 0])),
    ],
    ids=["balanced", "skewed", "predicts-zero", "predicts-one", "perfect"],
)
def test_score_labels_equals_sklearn_for_binary_labels(y_true, y_pred):
    proba = np.linspace(0.0, 1.0, len(y_true))

    scored = score_labels(y_true, Predictions(y_pred, proba, np.array([0, 1])))

    assert scored["f1"] == f1_score(y_true, y_pred, zero_division=0)
    assert scored["balanced_accuracy"] == balanced_accuracy_score(y_true, y_pred)
    assert scored["roc_auc"] == roc_auc_score(y_true, proba)


def test_score_labels_gives_zero_f1_without_positives():
    y = np.zeros(6, dtype=np.int64)

    scored = score_labels(y, Predictions(y.copy(), None, None))

    assert scored["f1"] == 0.0
    assert scored["accuracy"] == 1.0
    assert "balanced_accuracy" not in scored


def test_score_labels_uses_macro_f1_for_three_classes():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 1, 1, 0])

    scored = score_labels(y_true, Predictions(y_pred, None, None))

    assert scored["f1"] == f1_score(y_true, y_pred, average="macro")
    assert scored["balanced_accuracy"] == balanced_accuracy_score(y_true, y_pred)


def make_frame(n_rows, seed, *, categories=("a", "b", "c")):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n_rows),
            "city": pd.Categorical(
                rng.choice(["a", "b", "c"], n_rows), categories=list(categories)
            ),
        }
    )


class CountingLogisticRegression(LogisticRegression):
    """Logistic regression that records the rows of each ``predict`` call."""

    def predict(self, X):
        self.predicted_rows.append(len(X))
        return super().predict(X)


def make_fitted_pipeline(estimator):
    X = make_frame(300, 0)
    y = ((X["x"] > 0) ^ (X["city"] == "a")).astype(np.int64)
    encoder = ColumnTransformer(
        [("city", OneHotEncoder(handle_unknown="ignore"), ["city"])],
        remainder="passthrough",
    )
    return make_pipeline(encoder, estimator).fit(X, y)


@pytest.mark.parametrize(
    "estimator",
    [LogisticRegression(), DecisionTreeClassifier(max_depth=3, random_state=0)],
    ids=["logreg", "tree"],
)
def test_predict_pipeline_equals_predict_and_proba(estimator):
    model = make_fitted_pipeline(estimator)
    X = make_frame(200, 1)

    predictions = predict(model, X)

    np.testing.assert_array_equal(predictions.labels, model.predict(X))
    np.testing.assert_array_equal(predictions.proba, model.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(predictions.classes, [0, 1])


def test_predict_suites_pools_suites_with_equal_categories():
    model = make_fitted_pipeline(CountingLogisticRegression())
    unseen = make_frame(40, 4, categories=("a", "b", "c", "unseen_city_1"))
    unseen.loc[:9, "city"] = "unseen_city_1"
    built = [
        Suite("first", make_frame(50, 2), None),
        Suite("second", make_frame(30, 3), None),
        Suite("unseen", unseen, None),
    ]
    model[-1].predicted_rows = []

    predictions = predict_suites(model, built)

    assert model[-1].predicted_rows == [80, 40]
    for suite, predicted in zip(built, predictions, strict=True):
        expected = LogisticRegression.predict(model[-1], model[0].transform(suite.X))
        np.testing.assert_array_equal(predicted.labels, expected)
