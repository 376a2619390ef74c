"""Verification of the user's own tables: test files, declared constraints, pairs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from fakegen.encoder import make_encoder
from fakegen.errors import ConfigError
from fakegen.generator import Dataset
from fakegen.verifier import VerifierOptions, verify_files
from fakegen.verifier.files import infer_schema

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
