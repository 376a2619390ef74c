"""Verifier units on small in-process tables: options, metrics, suites, verdicts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy.stats import binomtest

from fakegen.errors import ConfigError
from fakegen.generator import make_generator
from fakegen.table import (
    CEILING_CAPTION,
    LABEL_RULE_CAPTION,
    POOLED_CAPTION,
    make_constraint_table,
    make_file_constraint_table,
    make_run_table,
)
from fakegen.verifier import (
    RESERVED_SUITES,
    VerifierOptions,
    check_suite_names,
    check_verifier_options,
    stream_rng,
    verify_synthetic,
)
from fakegen.verifier.boundary import make_edges, search_edges, summarize_edges
from fakegen.verifier.metrics import Predictions, score_labels, wilson_interval
from fakegen.verifier.suites import (
    UNSEEN_PREFIX,
    make_boundary_suite,
    make_counterfactual_suite,
    make_extrapolation_suite,
    make_invariance_suite,
    make_unseen_literal_suite,
)
from fakegen.verifier.verdicts import judge_constraint

COLUMNS = {
    "age": {"type": "integer", "low": 16, "high": 80},
    "income": {"type": "lognormal", "mean": 10.4, "sigma": 0.5},
    "city": {"type": "literal", "values": ["Berlin", "Lisbon", "Oslo", "Rome"]},
    "start": {"type": "uniform", "low": 0.0, "high": 365.0},
    "end": {"type": "uniform", "low": 0.0, "high": 730.0},
}
CONSTRAINTS = {
    "adult": {"type": "range", "column": "age", "low": 18, "high": 67},
    "income_floor": {"type": "threshold", "column": "income", "op": ">=", "value": 3e4},
    "served": {"type": "membership", "column": "city", "values": ["Berlin", "Rome"]},
    "order": {"type": "inequality", "left": "end", "op": ">", "right": "start"},
}


def make_test_generator(constraints=None, **generator_cfg):
    cfg = {"columns": COLUMNS, "distractors": {"numeric": 1, "literal": 1}}
    return make_generator(
        {**cfg, **generator_cfg}, {"constraints": constraints or CONSTRAINTS}
    )


class RuleModel:
    """An estimator that predicts with a fixed rule, so its boundary is known."""

    classes_ = np.array([0, 1])

    def __init__(self, income=30000.0, offset=0.0, ages=(18, 67)):
        self.income = income
        self.offset = offset
        self.ages = ages

    def predict(self, X):
        rich = X["income"].to_numpy(dtype=float) >= self.income
        ordered = X["end"].to_numpy(dtype=float) > X["start"].to_numpy() + self.offset
        age = X["age"].to_numpy(dtype=float)
        aged = (age >= self.ages[0]) & (age <= self.ages[1])
        served = X["city"].astype(str).isin(["Berlin", "Rome"]).to_numpy()
        return (rich & ordered & aged & served).astype(np.int64)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"test_rows": 5},
            "verifier.test_rows is 5; give an integer of 10 or more. Unlike the "
            "optional suites, it is never skipped: the test/ metrics come from it.",
        ),
        (
            {"boundary_rows": -1},
            "verifier.boundary_rows is -1; give an integer of 0 or more.",
        ),
        (
            {"search_points": 2},
            "verifier.search_points is 2; give an integer of 3 or more.",
        ),
        (
            {"boundary_width": 0},
            "verifier.boundary_width is 0; give a positive width in standard "
            "deviations of the column, such as 1.0.",
        ),
        ({"learned": 1.5}, "verifier.learned is 1.5; it must lie in (0, 1]."),
        (
            {"learned": 0.7, "partial": 0.8},
            "verifier.partial is 0.8, above verifier.learned (0.7); set partial "
            "at or below learned.",
        ),
        ({"figures": "yes"}, "verifier.figures is 'yes'; use true or false."),
        (
            {"constraints": [1]},
            "verifier.constraints is [1]; give a mapping of name to constraint, "
            "as under constraint.constraints.",
        ),
    ],
    ids=[
        "too-few-test-rows",
        "negative-rows",
        "too-few-points",
        "zero-width",
        "learned-above-one",
        "partial-above-learned",
        "figures-not-bool",
        "constraints-not-mapping",
    ],
)
def test_check_verifier_options_rejects_bad_value(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_verifier_options(override)


def test_check_verifier_options_rejects_unknown_key():
    message = "verifier.test_row is not a known key. Did you mean verifier.test_rows?"
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_verifier_options({"test_row": 10})


@pytest.mark.parametrize("name", RESERVED_SUITES)
def test_check_suite_names_rejects_reserved(name):
    message = (
        f"constraint.constraints.{name} takes the name of the verifier's {name!r} "
        "test suite"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_suite_names(["fine", name], key="constraint.constraints")


def test_verify_synthetic_rejects_reserved_constraint_name():
    spec = {"type": "threshold", "column": "age", "op": ">=", "value": 18}
    generator = make_test_generator({"boundary": spec})
    with pytest.raises(ConfigError, match=re.escape("constraint.constraints.boundary")):
        verify_synthetic(RuleModel(), generator, VerifierOptions(), seed=0)


def test_wilson_interval_matches_scipy():
    expected = binomtest(90, 100).proportion_ci(method="wilson")

    low, high = wilson_interval(90, 100)

    assert low == pytest.approx(expected.low)
    assert high == pytest.approx(expected.high)
    assert low < 0.9 < high


def test_score_labels_reports_auc_only_with_probabilities():
    y = np.array([0, 0, 1, 1])
    with_proba = Predictions(
        np.array([0, 1, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]), None
    )
    without = Predictions(np.array([0, 1, 1, 1]), None, None)

    scored = score_labels(y, with_proba)

    assert scored["accuracy"] == 0.75
    assert scored["balanced_accuracy"] == 0.75
    assert scored["f1"] == pytest.approx(0.8)
    assert scored["roc_auc"] == 1.0
    assert "roc_auc" not in score_labels(y, without)


def test_score_labels_skips_balanced_accuracy_for_one_class():
    scored = score_labels(
        np.ones(5, dtype=int), Predictions(np.ones(5, int), None, None)
    )

    assert scored["accuracy"] == 1.0
    assert "balanced_accuracy" not in scored


def test_boundary_suite_places_rows_near_boundary():
    generator = make_test_generator()
    valid = generator.sample_valid(400, stream_rng(0, "valid")).X

    suite = make_boundary_suite(generator, valid, 0.1, stream_rng(0, "boundary"))

    assert len(suite.X) == 400
    for constraint in generator.label_constraints:
        if not constraint.has_margin:
            continue
        mine = suite.X.loc[suite.groups == constraint.name]
        margin = np.abs(constraint.margin(mine))
        # Integer columns round outward, by at most one unit of age.
        limit = 0.1 + 1 / constraint.schema[constraint.columns[0]].scale
        assert (margin <= limit).all(), constraint.name
    assert 0.2 < suite.y.mean() < 0.8


def test_extrapolation_suite_leaves_training_range():
    generator = make_test_generator()
    valid = generator.sample_valid(300, stream_rng(0, "valid")).X

    suite = make_extrapolation_suite(generator, valid, 1.0, stream_rng(0, "x"))

    for name in set(suite.groups):
        column = generator.columns[name]
        values = suite.X.loc[suite.groups == name, name].to_numpy(dtype=float)
        assert ((values > column.high) | (values < column.low)).all(), name
    assert suite.y.tolist() == generator.label_of(suite.X).tolist()


def test_invariance_suite_changes_only_distractors():
    generator = make_test_generator()
    X = generator.sample(200, stream_rng(0, "test")).X

    suite = make_invariance_suite(generator, X, stream_rng(0, "invariance"))

    for name in X.columns:
        same = (suite.X[name] == X[name]).all()
        assert same == (name not in generator.distractors), name


def test_counterfactual_suite_pairs_cross_one_boundary():
    generator = make_test_generator()
    valid = generator.sample_valid(200, stream_rng(0, "valid")).X

    suite = make_counterfactual_suite(generator, valid, 1.0, stream_rng(0, "cf"))

    n = suite.pairs
    first, second = suite.X.iloc[:n], suite.X.iloc[n:].reset_index(drop=True)
    assert n >= 190
    assert (suite.y[:n] == 1).all()
    assert (suite.y[n:] == 0).all()
    for k in range(n):
        constraint = next(
            c for c in generator.label_constraints if c.name == suite.groups[k]
        )
        changed = {c for c in first.columns if first.at[k, c] != second.at[k, c]}
        assert changed <= set(constraint.columns), (k, changed)


def test_unseen_literal_suite_uses_new_values():
    generator = make_test_generator()
    valid = generator.sample_valid(200, stream_rng(0, "valid")).X

    suite = make_unseen_literal_suite(generator, valid, stream_rng(0, "unseen"))

    for name in set(suite.groups):
        values = suite.X.loc[suite.groups == name, name].astype(str)
        assert values.str.startswith(f"{UNSEEN_PREFIX}{name}_").all()
    city_rows = suite.groups == "city"
    assert (suite.y[city_rows] == 0).all()


def test_boundary_search_finds_known_threshold():
    generator = make_test_generator()
    base = generator.sample_valid(50, stream_rng(0, "search")).X
    model = RuleModel(income=31000.0, offset=10.0, ages=(20, 60))
    by_name = {c.name: c for c in generator.label_constraints}
    constraints = [by_name["income_floor"], by_name["order"], by_name["adult"]]
    edges = [e for c in constraints for e in make_edges(c, base, 2.0)]

    found = search_edges(model, base, edges, points=16, steps=4)

    reports = {
        c.name: summarize_edges(
            c,
            [e for e in edges if e.constraint is c],
            [found[k] for k, e in enumerate(edges) if e.constraint is c],
        )
        for c in constraints
    }
    assert reports["income_floor"]["edges"]["value"]["learned"] == pytest.approx(
        31000, rel=1e-3
    )
    assert re.fullmatch(
        r"income >= 3100\d\.\d", reports["income_floor"]["learned_rule"]
    )
    assert reports["order"]["edges"]["offset"]["learned"] == pytest.approx(10, abs=0.5)
    assert reports["adult"]["edges"]["low"]["learned"] == pytest.approx(19.5, abs=0.6)
    assert reports["adult"]["edges"]["high"]["learned"] == pytest.approx(60.5, abs=0.6)
    assert reports["income_floor"]["edges"]["value"]["monotonic_share"] == 1.0


@pytest.mark.parametrize(
    ("ages", "rule"),
    [
        ((-1000, 60), "age <= 60.0 (no flip near 18.0)"),
        ((20, 1000), "age >= 20.0 (no flip near 67.0)"),
        ((20, 60), "20.0 <= age <= 60.0"),
    ],
    ids=["no-low-flip", "no-high-flip", "both-edges"],
)
def test_learned_rule_names_range_edge_without_flip(ages, rule):
    generator = make_test_generator()
    base = generator.sample_valid(50, stream_rng(0, "search")).X
    (adult,) = [c for c in generator.label_constraints if c.name == "adult"]
    edges = make_edges(adult, base, 2.0)

    found = search_edges(RuleModel(ages=ages), base, edges, points=16, steps=4)

    report = summarize_edges(adult, edges, [found[0], found[1]])
    assert report["learned_rule"] == rule


def test_constraint_table_explains_learned_boundary():
    results = {
        "verdicts": {"adult": "not_learned"},
        "suites": [{"suite": "adult", "rule": "18 <= age <= 67"}],
        "boundaries": {"adult": {"learned_rule": "age <= 60.5 (no flip near 18)"}},
    }
    console = Console(width=200, record=True)

    console.print(make_constraint_table(results))

    # The caption wraps at the table's width, so compare single-spaced text.
    text = " ".join(console.export_text().split())
    assert "age <= 60.5 (no flip near 18)" in text
    assert (
        "(no flip near X): under half of the searched rows flip around the true "
        "edge X." in text
    )


def test_tables_show_rules_with_brackets_whole():
    rule = "at least 2 of [age >= 25, income >= 35000, employment == 'employed']"
    results = {
        "name": "[lending]-tree-seed0",
        "metrics": {},
        "verdicts": {"two_of_three": "learned"},
        "suites": [
            {
                "suite": "two_of_three",
                "rule": rule,
                "rows": 10,
                "metric": "accuracy",
                "score": 1.0,
                "low": 0.7,
                "high": 1.0,
            }
        ],
    }
    console = Console(width=300, record=True)

    console.print(make_run_table(results))
    console.print(make_constraint_table(results))

    text = console.export_text()
    assert rule in text
    assert "fakegen run: [lending]-tree-seed0" in text


@pytest.mark.parametrize(
    ("accuracy", "caption"),
    [(0.8032, CEILING_CAPTION), (0.7621, None)],
    ids=["above-ceiling", "below-ceiling"],
)
def test_run_table_explains_accuracy_above_ceiling(accuracy, caption):
    metrics = {"test/accuracy": accuracy, "bayes/accuracy": 0.8}
    metrics["bayes/gap"] = metrics["bayes/accuracy"] - accuracy

    table = make_run_table({"name": "run", "metrics": metrics})

    assert table.caption == caption


@pytest.mark.parametrize(
    ("tests", "caption"),
    [
        ({"a": "a.csv", "b": "b.csv"}, POOLED_CAPTION),
        ({"a": "a.csv"}, None),
    ],
    ids=["two-test-files", "one-test-file"],
)
def test_run_table_says_test_row_pools_files(tests, caption):
    results = {
        "name": "run",
        "config": {"generator": {"kind": "file", "tests": tests}},
        "metrics": {"test/accuracy": 0.587},
    }

    table = make_run_table(results)

    assert table.caption == caption


@pytest.mark.parametrize(
    ("label_rule", "caption"),
    [("age > 40", LABEL_RULE_CAPTION), (None, None)],
    ids=["custom-rule", "constraints-give-label"],
)
def test_run_table_says_label_rule_labels_suites(label_rule, caption):
    results = {
        "name": "run",
        "config": {"constraint": {"label_rule": label_rule}},
        "metrics": {"test/accuracy": 0.9},
    }

    table = make_run_table(results)

    assert table.caption == caption


def test_file_constraint_table_counts_breaking_rows():
    results = {
        "file_constraints": {
            "short_bill": {
                "rule": "bill_length_mm < 42",
                "tables": {
                    "generator.train": {
                        "rows": 258,
                        "breaking": 156,
                        "share": 156 / 258,
                    },
                    "generator.tests.heldout": {
                        "rows": 86,
                        "breaking": 0,
                        "share": 0.0,
                    },
                },
            }
        }
    }

    table = make_file_constraint_table(results)
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()

    assert table.title == "rows breaking verifier.constraints"
    assert [column.header for column in table.columns] == [
        "constraint",
        "rule",
        "train (258 rows)",
        "heldout (86 rows)",
    ]
    assert re.search(
        r"short_bill +│ bill_length_mm < 42 +│ +156 \(60\.5%\) +│ +0 \(0\.0%\)", text
    ), text


def test_file_constraint_table_absent_without_constraints():
    assert make_file_constraint_table({"file_constraints": {}}) is None


def test_judge_constraint_names_the_suite_that_falls_short():
    options = VerifierOptions()
    evidence = [
        {
            "label": "constraint suite accuracy",
            "score": 0.97,
            "low": 0.96,
            "high": 0.98,
            "rows": 2000,
        },
        {
            "label": "counterfactual flips",
            "score": 0.80,
            "low": 0.76,
            "high": 0.96,
            "rows": 100,
            "unit": "pairs",
        },
    ]

    verdict, reason = judge_constraint(evidence, options, notes=["Note."])

    assert verdict == "partial"
    assert reason.startswith("partial: constraint suite accuracy 0.970")
    assert (
        "counterfactual flips 0.800 (95% interval 0.760 to 0.960, 100 pairs) is "
        "0.150 below the learned threshold 0.95, though its interval reaches it"
    ) in reason
    assert reason.endswith(". Note.")


def test_verify_synthetic_scores_every_suite():
    generator = make_test_generator(noise=0.1)
    options = check_verifier_options(
        {
            "test_rows": 600,
            "suite_rows": 400,
            "boundary_rows": 200,
            "extrapolation_rows": 200,
            "invariance_rows": 200,
            "counterfactual_rows": 200,
            "unseen_literal_rows": 200,
            "search_rows": 30,
        }
    )

    result = verify_synthetic(RuleModel(), generator, options, seed=3)

    suites = {row["suite"] for row in result.suites}
    assert suites == {*RESERVED_SUITES, "adult", "income_floor", "served", "order"}
    assert result.metrics["bayes/accuracy"] == pytest.approx(0.9)
    assert result.metrics["bayes/gap"] == pytest.approx(
        0.9 - result.metrics["test/accuracy"]
    )
    assert result.metrics["suite/invariance/unchanged"] == 1.0
    assert result.metrics["suite/counterfactual/flipped"] == 1.0
    assert result.metrics["suite/in_distribution/accuracy"] == 1.0
    assert result.metrics["test/rule_agreement"] == 1.0
    assert result.verdicts == dict.fromkeys(CONSTRAINTS, "learned")
    assert result.verdict_reasons["served"].startswith("learned: ")
    assert result.boundaries["income_floor"]["learned_rule"].startswith("income >= 3")
    assert set(result.timings) == {"build", "predict", "score", "search"}


def test_verify_synthetic_is_deterministic():
    generator = make_test_generator()
    options = VerifierOptions(test_rows=200, suite_rows=100, search_rows=10)

    first = verify_synthetic(RuleModel(), generator, options, seed=5)
    second = verify_synthetic(RuleModel(), generator, options, seed=5)

    assert first.metrics == second.metrics


def test_unseen_literal_frame_keeps_other_columns():
    generator = make_test_generator()
    valid = generator.sample_valid(50, stream_rng(0, "valid")).X
    before = valid.copy()

    suite = make_unseen_literal_suite(generator, valid.copy(), stream_rng(0, "u"))

    numeric = ["age", "income", "start", "end"]
    pd.testing.assert_frame_equal(suite.X[numeric], before[numeric])


class CappedIncomeModel(RuleModel):
    """Predicts 0 again above an income of 45000, against the rule's direction."""

    def predict(self, X):
        capped = X["income"].to_numpy(dtype=float) <= 45000
        return super().predict(X) & capped


def test_verify_synthetic_reports_non_monotonic_prediction():
    generator = make_test_generator()
    options = VerifierOptions(test_rows=300, suite_rows=200, search_rows=20)

    result = verify_synthetic(CappedIncomeModel(), generator, options, seed=0)

    edge = result.boundaries["income_floor"]["edges"]["value"]
    assert edge["monotonic_share"] == 0.0
    assert edge["learned"] == pytest.approx(30000, rel=1e-3)
    assert (
        "The prediction moves against the rule's direction along income (value "
        "edge) in 100% of the searched rows."
    ) in result.verdict_reasons["income_floor"]


class IncomeModel:
    """An estimator that predicts ``income >= 30000``, the label rule below."""

    classes_ = np.array([0, 1])

    def predict(self, X):
        return (X["income"].to_numpy(dtype=float) >= 30000.0).astype(np.int64)


def test_label_rule_leaves_constraints_without_verdict():
    cfg = {"columns": COLUMNS, "distractors": {"numeric": 1, "literal": 1}}
    generator = make_generator(
        cfg, {"constraints": CONSTRAINTS, "label_rule": "income >= 30000"}
    )
    options = VerifierOptions(test_rows=300, suite_rows=200, search_rows=10)

    result = verify_synthetic(IncomeModel(), generator, options, seed=2)

    assert result.verdicts == {}
    for name in CONSTRAINTS:
        reason = result.verdict_reasons[name]
        assert reason.startswith(
            "no verdict: the label comes from constraint.label_rule 'income >= 30000'"
        )
        assert reason.endswith("test/rule_agreement scores the rule.")
    assert result.metrics["test/rule_agreement"] == 1.0


def test_verdict_says_counterfactual_suite_skipped():
    generator = make_test_generator()
    options = VerifierOptions(
        test_rows=300, suite_rows=200, search_rows=10, counterfactual_rows=0
    )

    result = verify_synthetic(RuleModel(), generator, options, seed=2)

    assert "counterfactual" not in {row["suite"] for row in result.suites}
    skipped = "The counterfactual suite was skipped (verifier.counterfactual_rows=0)"
    assert all(skipped in reason for reason in result.verdict_reasons.values())


def test_verdict_says_when_constraint_got_no_pair():
    generator = make_test_generator()
    options = VerifierOptions(
        test_rows=300, suite_rows=200, search_rows=10, counterfactual_rows=3
    )

    result = verify_synthetic(RuleModel(), generator, options, seed=2)

    missing = "No counterfactual pair was left for this constraint"
    without = [name for name, text in result.verdict_reasons.items() if missing in text]
    assert without
    assert "verifier.counterfactual_rows is 3" in result.verdict_reasons[without[0]]
    assert all("counterfactual flips" not in result.verdict_reasons[n] for n in without)


def test_judge_constraint_names_one_pair_in_singular():
    options = VerifierOptions()
    row = {"label": "counterfactual flips", "unit": "pairs", "score": 1.0}
    row |= {"low": 0.2, "high": 1.0, "rows": 1}

    _, reason = judge_constraint([row], options)

    assert "(95% interval 0.200 to 1.000, 1 pair)" in reason
