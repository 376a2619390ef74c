"""The ``objective`` setting: checked against the metrics a run records, before data."""

from __future__ import annotations

import math
import re

import pytest
from omegaconf import OmegaConf

from conftest import REPO, assert_failed_before_data, load_results
from fakegen.errors import ConfigError
from fakegen.objective import check_recorded_objective
from fakegen.pipeline import make_plan, recordable_metrics

SMALL = (
    "generator.rows=1500",
    "verifier.test_rows=400",
    "verifier.suite_rows=300",
    "tracker=none",
)
PENGUINS = (
    "+experiment=penguins",
    "+verifier.constraints.short_flipper={type: threshold, "
    "column: flipper_length_mm, op: '<', value: 205}",
    "tracker=none",
)
SYNTHETIC_OBJECTIVES = [
    "test/rule_agreement",
    "bayes/gap",
    "suite/working_age/accuracy",
    "suite/boundary/accuracy_low",
    "suite/invariance/unchanged",
    "suite/counterfactual/flipped",
    "constraint/income_floor/value/flipped_share",
]
FILE_OBJECTIVES = [
    "test/accuracy",
    "suite/heldout/f1",
    "encoder/unseen_literals/heldout",
    "constraint/short_flipper/train_breaking_share",
    "suite/counterfactual/flipped",
]


def assert_records_objectives(sweep_dir, objectives):
    """Check each job of a sweep over ``objectives`` and every name it recorded."""
    for job, objective in enumerate(objectives):
        results = load_results(sweep_dir / str(job))
        metrics = results["metrics"]

        assert results["status"] == "completed", results.get("error")
        assert results["config"]["objective"] == objective
        assert not math.isnan(metrics[objective])
        # The up-front check must accept every name a run records.
        config = results["config"]
        plan = make_plan(config, OmegaConf.create(config))
        recordable = set(recordable_metrics(plan))
        assert set(metrics) <= recordable, set(metrics) - recordable


@pytest.mark.slow
def test_run_records_valid_synthetic_objectives(fakegen, tmp_path):
    completed = fakegen("-m", f"objective={','.join(SYNTHETIC_OBJECTIVES)}", *SMALL)

    assert completed.returncode == 0, completed.stderr
    assert_records_objectives(tmp_path / "sweep", SYNTHETIC_OBJECTIVES)


@pytest.mark.slow
def test_run_records_valid_file_objectives(fakegen, tmp_path):
    completed = fakegen(
        "-m", f"objective={','.join(FILE_OBJECTIVES)}", *PENGUINS, cwd=REPO
    )

    assert completed.returncode == 0, completed.stderr
    assert_records_objectives(tmp_path / "sweep", FILE_OBJECTIVES)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["objective=suite/nothere/accuracy", *SMALL],
            "objective is 'suite/nothere/accuracy', a metric this run does not "
            "record: the metric names it records that start with 'suite/' continue "
            "with in_distribution, working_age, income_floor, served_city, "
            "contract_order, boundary, extrapolation, counterfactual, invariance, "
            "unseen_literals. Did you mean 'suite/income_floor/accuracy'? Set "
            "objective to a metric the run records, or null.",
        ),
        (
            ["objective=constraint/income_flor/value/learned", *SMALL],
            "objective is 'constraint/income_flor/value/learned', a metric this run "
            "does not record: the metric names it records that start with "
            "'constraint/' continue with working_age, income_floor, contract_order. "
            "Did you mean 'constraint/income_floor/value/learned'? Set objective to "
            "a metric the run records, or null.",
        ),
        (
            ["objective=suite/boundary/acuracy", *SMALL],
            "objective is 'suite/boundary/acuracy', a metric this run does not "
            "record: the metric names it records that start with 'suite/boundary/' "
            "continue with accuracy, accuracy_low, accuracy_high, balanced_accuracy, "
            "f1, roc_auc. Did you mean 'suite/boundary/accuracy'? Set objective to "
            "a metric the run records, or null.",
        ),
        (
            ["objective=suite/boundary/accuracy", "verifier.boundary_rows=0", *SMALL],
            "objective is 'suite/boundary/accuracy', a metric this run does not "
            "record: the metric names it records that start with 'suite/' continue "
            "with in_distribution, working_age, income_floor, served_city, "
            "contract_order, extrapolation, counterfactual, invariance, "
            "unseen_literals. Did you mean 'suite/working_age/accuracy'? Set "
            "objective to a metric the run records, or null.",
        ),
        (
            ["objective=bayes/accuracy", *PENGUINS],
            "objective is 'bayes/accuracy', a metric this run does not record: the "
            "metric names it records start with train, test, suite, encoder, "
            "constraint. Did you mean 'test/accuracy'? Set objective to a metric "
            "the run records, or null.",
        ),
        (
            ["objective=suite/heldot/accuracy", *PENGUINS],
            "objective is 'suite/heldot/accuracy', a metric this run does not "
            "record: the metric names it records that start with 'suite/' continue "
            "with heldout, counterfactual. Did you mean 'suite/heldout/accuracy'? "
            "Set objective to a metric the run records, or null.",
        ),
    ],
    ids=[
        "unknown-suite",
        "unknown-constraint",
        "unknown-suite-metric",
        "skipped-suite",
        "synthetic-only-family-on-file-run",
        "unknown-test-file",
    ],
)
def test_run_rejects_unrecorded_objective_before_data(
    fakegen, tmp_path, arguments, message
):
    completed = fakegen(*arguments, cwd=REPO)

    assert_failed_before_data(completed, tmp_path / "run", message)


def test_check_recorded_objective_accepts_recorded_name():
    check_recorded_objective("suite/a/accuracy", ["suite/a/accuracy"])
    check_recorded_objective(None, [])


def test_check_recorded_objective_names_family_without_close_match():
    names = ["train/accuracy", "suite/heldout/accuracy"]
    message = (
        "objective is 'zzz/q', a metric this run does not record: the metric "
        "names it records start with train, suite. Set objective to a metric the "
        "run records, or null."
    )

    with pytest.raises(ConfigError, match=re.escape(message)):
        check_recorded_objective("zzz/q", names)
