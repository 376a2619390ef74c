"""Verification of the user's own tables: test files, declared constraints, pairs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from fakegen.encoder import make_encoder
from fakegen.errors import ConfigError, InfeasibleError
from fakegen.generator import Dataset
from fakegen.verifier import VerifierOptions, verify_files
from fakegen.verifier.files import infer_schema, make_file_constraints

AGE_RULE = {"type": "threshold", "column": "age", "op": ">=", "value": 18}
CITY_RULE = {"type": "membership", "column": "city", "values": ["Rome", "Oslo"]}


def make_table(n_rows: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(10, 60, n_rows),
            "city": rng.choice(["Rome", "Oslo", "Lima"], n_rows),
            "score": rng.normal(0, 1, n_rows),
        }
    )
    y = ((X["age"] >= 18) & X["city"].isin(["Rome", "Oslo"])).astype(np.int64)
    return Dataset(X=X, y=y.to_numpy(), y_clean=y.to_numpy())


def fit(train: Dataset) -> Pipeline:
    model = Pipeline(
        [
            ("encode", make_encoder({}, train.X)),
            ("model", DecisionTreeClassifier(random_state=0)),
        ]
    )
    return model.fit(train.X, train.y)


def test_infer_schema_types_columns():
    schema = infer_schema(make_table(50, 0).X)

    assert schema["age"].kind == "integer"
    assert schema["score"].kind == "uniform"
    assert schema["city"].values == ("Lima", "Oslo", "Rome")


def test_verify_files_counts_breaking_rows_and_scores_pairs():
    train, test = make_table(1500, 0), make_table(400, 1)
    options = VerifierOptions(
        constraints={"adult": AGE_RULE, "served": CITY_RULE}, counterfactual_rows=200
    )

    result = verify_files(fit(train), {"heldout": test}, options, train=train, seed=0)

    adult = result.file_constraints["adult"]
    assert adult["rule"] == "age >= 18"
    tables = adult["tables"]
    assert tables["generator.train"]["breaking"] == int((train.X["age"] < 18).sum())
    assert tables["generator.tests.heldout"]["breaking"] == int(
        (test.X["age"] < 18).sum()
    )
    assert result.metrics["suite/heldout/accuracy"] >= 0.99
    assert result.metrics["test/accuracy"] == result.metrics["suite/heldout/accuracy"]
    pairs = next(row for row in result.suites if row["suite"] == "counterfactual")
    assert pairs["rows"] >= 150
    assert set(pairs["by_constraint"]) == {"adult", "served"}
    assert pairs["score"] >= 0.95


@pytest.mark.parametrize(
    "values",
    [["Rome", "Oslo", "Lima"], ["Rome"]],
    ids=["list-of-every-value", "column-of-one-value"],
)
def test_verify_files_drops_pairs_no_value_breaks(values, caplog):
    # Every training row meets the membership rule, so no value of the
    # column can break it. Its pairs are dropped, and the other rule keeps its.
    train, test = make_table(600, 0), make_table(200, 1)
    if values == ["Rome"]:
        train.X["city"] = "Rome"
    rules = {
        "adult": AGE_RULE,
        "served": {"type": "membership", "column": "city", "values": values},
    }
    options = VerifierOptions(constraints=rules, counterfactual_rows=100)

    result = verify_files(fit(train), {"heldout": test}, options, train=train, seed=0)

    pairs = next(row for row in result.suites if row["suite"] == "counterfactual")
    assert set(pairs["by_constraint"]) == {"adult"}
    assert pairs["rows"] >= 40
    assert "No counterfactual pair for served: no training row could be moved" in (
        caplog.text
    )


def test_verify_files_three_classes_skip_pairs(caplog):
    # A third class: rows past age 50 get label 2.
    train, test = (
        Dataset(X=t.X, y=np.where(t.X["age"] > 50, 2, t.y), y_clean=t.y_clean)
        for t in (make_table(600, 0), make_table(200, 1))
    )
    options = VerifierOptions(constraints={"adult": AGE_RULE}, counterfactual_rows=100)

    result = verify_files(fit(train), {"heldout": test}, options, train=train, seed=0)

    assert "counterfactual" not in {row["suite"] for row in result.suites}
    assert (
        "Skipped counterfactual pairs: they need a label of two classes, and this "
        "label has 3. Set generator.positive to the label value the constraints "
        "describe, so that it is 1 against the rest."
    ) in caplog.text


def test_file_ratio_with_zero_denominator_names_file_fix():
    X = make_table(100, 0).X.assign(score=np.linspace(0.0, 1.0, 100))
    rule = {
        "type": "ratio",
        "numerator": "age",
        "denominator": "score",
        "op": "<=",
        "value": 100,
    }

    message = (
        "verifier.constraints.r.denominator is 'score', whose values reach 0; a "
        "ratio needs a denominator that stays above 0. Pick a denominator column "
        "whose values all lie above 0."
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_file_constraints({"r": rule}, X)


def test_verify_files_rejects_unknown_constraint_column():
    train = make_table(100, 0)
    rule = {**AGE_RULE, "column": "height"}
    options = VerifierOptions(constraints={"tall": rule})
    message = "verifier.constraints.tall.column is 'height', which is not a column"

    with pytest.raises(ConfigError, match=re.escape(message)):
        verify_files(fit(train), {"heldout": train}, options, train=train)


def test_verify_files_rejects_reserved_test_name():
    train = make_table(100, 0)
    message = "generator.tests.boundary takes the name of the verifier's 'boundary'"

    with pytest.raises(ConfigError, match=re.escape(message)):
        verify_files(fit(train), {"boundary": train}, VerifierOptions(), train=train)


def test_verify_files_pools_test_files():
    train = make_table(1500, 0)
    small, large = make_table(86, 1), make_table(258, 2)
    # Flipping 142 labels leaves the model right on 116 of 258 rows.
    flipped = 1 - large.y
    flipped[142:] = large.y[142:]
    large = Dataset(X=large.X, y=flipped, y_clean=large.y)

    result = verify_files(fit(train), {"a": small, "b": large}, train=train)

    assert result.metrics["suite/a/accuracy"] == 1.0
    assert result.metrics["suite/b/accuracy"] == pytest.approx(116 / 258)
    assert result.metrics["test/accuracy"] == pytest.approx(202 / 344)
    assert round(result.metrics["test/accuracy"], 3) == 0.587


def test_make_file_constraints_rejects_rule_no_row_meets():
    X = make_table(200, 0).X
    rule = {**AGE_RULE, "value": 400}
    message = (
        "verifier.constraints.adult is 'age >= 400', which holds on 0 of the 200 "
        "rows of generator.train, so every row breaks it, which usually means a "
        f"mistaken rule. In generator.train, 'age' spans [{X['age'].min()}, "
        f"{X['age'].max()}]. Fix the column, operator or value, or remove the "
        "constraint."
    )

    with pytest.raises(InfeasibleError, match=re.escape(message)):
        make_file_constraints({"served": CITY_RULE, "adult": rule}, X)


def test_make_file_constraints_rejects_rules_never_met_together():
    X = make_table(200, 0).X
    child = {**AGE_RULE, "op": "<"}
    n_adult = int((X["age"] >= 18).sum())
    message = (
        "No row of generator.train meets every constraint of verifier.constraints "
        f"together: of its 200 rows, each holds on some ('adult' on {n_adult}, "
        f"'child' on {200 - n_adult}), but never all on one row. A counterfactual "
        "pair starts from a row that meets them all, so loosen or remove one of "
        "them."
    )

    with pytest.raises(InfeasibleError, match=re.escape(message)):
        make_file_constraints({"adult": AGE_RULE, "child": child}, X)


def test_make_file_constraints_accepts_rule_every_row_meets():
    X = make_table(200, 0).X
    rule = {**AGE_RULE, "value": 0}

    constraints = make_file_constraints({"any_age": rule}, X)

    assert [c.describe() for c in constraints] == ["age >= 0"]
