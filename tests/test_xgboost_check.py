"""Unknown model keywords are rejected before generation, xgboost's included."""

from __future__ import annotations

import inspect
import re

import pytest
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier, __version__

from conftest import assert_failed_before_data
from fakegen.errors import ConfigError
from fakegen.xgboost_check import check_xgboost_parameters, unused_keys

SMALL = ("generator.rows=600", "verifier.test_rows=300", "tracker=none")
TREE_PARAMETERS = ", ".join(inspect.signature(DecisionTreeClassifier).parameters)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["model=xgboost", "+model.bogus=3"],
            f"model.bogus is 3, but xgboost {__version__} reports that "
            "XGBClassifier does not use a parameter 'bogus' with these settings. "
            "Fix the name, or remove it with ~model.bogus.",
        ),
        (
            ["model=xgboost", "+model.max_dept=3"],
            f"model.max_dept is 3, but xgboost {__version__} reports that "
            "XGBClassifier does not use a parameter 'max_dept' with these "
            "settings. Did you mean model.max_depth? Fix the name, or remove it "
            "with ~model.max_dept.",
        ),
        (
            ["model=xgboost", "+model.rate_drop=0.1"],
            f"model.rate_drop is 0.1, but xgboost {__version__} reports that "
            "XGBClassifier does not use a parameter 'rate_drop' with these "
            "settings. Fix the name, or remove it with ~model.rate_drop.",
        ),
        (
            ["model=tree", "+model.max_dept=3"],
            "model.max_dept is 3, but DecisionTreeClassifier "
            "(sklearn.tree.DecisionTreeClassifier) has no parameter 'max_dept'; "
            "remove it with ~model.max_dept. Did you mean model.max_depth? Its "
            f"parameters are {TREE_PARAMETERS}.",
        ),
    ],
    ids=["xgboost-unknown", "xgboost-typo", "xgboost-dart-only", "tree-typo"],
)
def test_run_rejects_unknown_model_key_before_data(
    fakegen, tmp_path, arguments, message
):
    completed = fakegen(*arguments, *SMALL)

    assert_failed_before_data(completed, tmp_path / "run", message)


@pytest.mark.parametrize(
    "keywords",
    [{"eta": 0.2}, {"lambda": 2.0, "alpha": 0.1}, {"max_bin": 64}],
    ids=["eta", "lambda-alpha", "max-bin"],
)
def test_check_xgboost_parameters_accepts_booster_keywords(keywords):
    estimator = XGBClassifier(n_estimators=5, **keywords)

    check_xgboost_parameters(estimator)

    assert estimator.get_params()["n_estimators"] == 5


def test_check_xgboost_parameters_overrides_verbosity_zero():
    estimator = XGBClassifier(verbosity=0, bogus=3)

    with pytest.raises(ConfigError, match=re.escape("model.bogus is 3, but xgboost")):
        check_xgboost_parameters(estimator)


def test_check_xgboost_parameters_survives_failed_probe():
    # Two monotone constraints cannot fit the probe's one column, but xgboost
    # checks the names before it builds a tree.
    check_xgboost_parameters(XGBClassifier(monotone_constraints="(1,1)", eta=0.1))

    with pytest.raises(ConfigError, match=re.escape("model.bogus is 3, but xgboost")):
        check_xgboost_parameters(XGBClassifier(monotone_constraints="(1,1)", bogus=3))


def test_check_xgboost_parameters_early_probe_failure():
    # multi:softmax needs num_class, which the wrapper sets only for more than
    # two classes, so the binary probe fails before xgboost checks the names.
    check_xgboost_parameters(XGBClassifier(objective="multi:softmax", bogus=3))


def test_unused_keys_reads_every_key():
    text = 'WARNING: learner.cc:782:\nParameters: { "bogus", "max_dept" } are not used.'

    assert unused_keys(text) == ["bogus", "max_dept"]
    assert unused_keys("Parameters: all used") == []
