"""The metric names a config may record, against the names real runs record."""

from __future__ import annotations

import pytest
import yaml
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from conftest import REPO, load_preset
from fakegen.encoder import make_encoder
from fakegen.generator import make_generator
from fakegen.verifier import check_verifier_options, stream_rng, verify_synthetic
from fakegen.verifier.names import (
    edge_names,
    file_metric_names,
    planned_suites,
    synthetic_metric_names,
)
from fakegen.verifier.options import COUNTERFACTUAL, RESERVED_SUITES

APPLICANT = yaml.safe_load((REPO / "conf/generator/applicant.yaml").read_text())
# Every constraint preset that composes with the applicant table.
PRESETS = sorted(
    path.stem
    for path in (REPO / "conf/constraint").glob("*.yaml")
    if path.stem != "none"
)
SMALL_SUITES = {
    "test_rows": 300,
    "suite_rows": 200,
    "boundary_rows": 100,
    "extrapolation_rows": 100,
    "invariance_rows": 100,
    "counterfactual_rows": 100,
    "unseen_literal_rows": 100,
    "search_rows": 10,
}


def run_verifier(preset: str, options: dict):
    """Train a tree on 800 rows of ``preset`` and verify it in-process."""
    generator = make_generator(APPLICANT, load_preset(preset))
    train = generator.sample(800, stream_rng(0, "train"))
    model = Pipeline(
        [
            ("encode", make_encoder({}, train.X)),
            ("model", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ]
    ).fit(train.X, train.y)
    checked = check_verifier_options(options)
    return generator, checked, verify_synthetic(model, generator, checked, seed=0)


@pytest.mark.parametrize("preset", PRESETS)
def test_synthetic_metric_names_cover_recorded(preset):
    generator, options, result = run_verifier(preset, SMALL_SUITES)

    planned = set(synthetic_metric_names(generator, options))
    suites = planned_suites(generator, options)
    built = {row["suite"] for row in result.suites}

    assert set(result.metrics) <= planned, set(result.metrics) - planned
    assert built <= set(suites)
    # Only the data can leave the counterfactual suite without a pair.
    assert set(suites) - built <= {COUNTERFACTUAL}


def test_planned_suites_skip_suites_of_zero_rows():
    zero = {f"{name}_rows": 0 for name in ("boundary", "extrapolation", "invariance")}
    zero |= {"counterfactual_rows": 0, "unseen_literal_rows": 0, "search_rows": 0}
    generator, options, result = run_verifier("applicant", {**SMALL_SUITES, **zero})

    names = synthetic_metric_names(generator, options)

    assert set(planned_suites(generator, options)) == {
        "in_distribution",
        "working_age",
        "income_floor",
        "served_city",
        "contract_order",
    }
    assert not [name for name in names if name.startswith("constraint/")]
    assert set(result.metrics) <= set(names)


def test_planned_suites_list_every_reserved_suite():
    generator = make_generator(APPLICANT, load_preset("applicant"))
    options = check_verifier_options(SMALL_SUITES)

    assert set(planned_suites(generator, options)) >= set(RESERVED_SUITES)


@pytest.mark.parametrize(
    ("preset", "constraint", "edges"),
    [
        ("applicant", "working_age", ["low", "high"]),
        ("applicant", "income_floor", ["value"]),
        ("applicant", "contract_order", ["offset"]),
        ("applicant", "served_city", []),
    ],
    ids=["range", "threshold", "inequality", "membership"],
)
def test_edge_names_follow_constraint_type(preset, constraint, edges):
    generator = make_generator(APPLICANT, load_preset(preset))
    (found,) = [c for c in generator.constraints if c.name == constraint]

    assert edge_names(found) == edges


def test_file_metric_names_follow_tests_and_constraints():
    rule = {"type": "threshold", "column": "age", "op": ">=", "value": 18}
    options = check_verifier_options({"constraints": {"adult": rule}})

    names = file_metric_names(["heldout"], options)

    assert names[:2] == ["train/accuracy", "test/accuracy"]
    assert "suite/heldout/accuracy" in names
    assert "encoder/unseen_literals/heldout" in names
    assert "constraint/adult/train_breaking_share" in names
    assert "suite/counterfactual/flipped" in names
    assert "test/rule_agreement" not in names
    assert not [name for name in names if name.startswith("bayes/")]


def test_file_metric_names_without_tests():
    names = file_metric_names([], check_verifier_options({}))

    assert names == ["train/accuracy"]
