"""Real multiruns of the ``fakegen`` command: summary, heatmap, W&B groups, resume."""

from __future__ import annotations

import csv
import os
import re

import matplotlib.image
import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf, open_dict

from conftest import load_results
from fakegen.cli import register_experiments, sweep_group
from fakegen.heatmap import score_grid
from fakegen.paths import config_dir, experiments_dir
from fakegen.report import collect_runs
from fakegen.sweep_check import shared_config_error
from wandb_files import run_record

SMALL = ("generator.rows=1500", "verifier.test_rows=400", "verifier.suite_rows=300")
FAILING_NOISE = "generator.noise is 0.7; it must lie in [0, 0.5)."
UNRECORDED_OBJECTIVE = "objective=constraint/income_floor/value/learned"
# The boundary search brackets a billionth of a standard deviation around the
# true edge, where no prediction flips, so the learned edge that the objective
# names is never recorded. Only the data rules it out, so each run fails at
# its end.
LATE_FAILURE = (UNRECORDED_OBJECTIVE, "verifier.search_span=0.000000001")


def read_summary(sweep_dir) -> list[dict[str, str]]:
    with open(sweep_dir / "summary.csv", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["basic", "joblib", "submitit_local"])
def test_sweep_two_by_two_reports_failed_run(
    fakegen, tmp_path, wandb_offline, launcher
):
    completed = fakegen(
        "-m",
        f"hydra/launcher={launcher}",
        "model=logreg,tree",
        "generator.noise=0.0,0.7",
        *SMALL,
    )
    sweep_dir = tmp_path / "sweep"
    output = completed.stdout + completed.stderr

    assert completed.returncode == 1, output
    assert re.search(
        re.escape("2 of 4 runs of the sweep did not complete; see ")
        + re.escape(str(sweep_dir / "summary.md")),
        output,
    ), output
    assert str(sweep_dir / "1") in output

    rows = read_summary(sweep_dir)
    assert [row["run"] for row in rows] == ["0", "1", "2", "3"]
    assert [row["model"] for row in rows] == ["logreg", "logreg", "tree", "tree"]
    assert [row["status"] for row in rows] == [
        "completed",
        "failed",
        "completed",
        "failed",
    ]
    for row in rows[1::2]:
        assert row["error"] == f"ConfigError: {FAILING_NOISE}"
        assert row["score"] == ""
        assert "generator.noise=0.7" in row["overrides"]
    for row in rows[0::2]:
        assert 0.0 <= float(row["score"]) <= 1.0
        assert row["verdict/working_age"] in {"learned", "partial", "not_learned"}
        assert float(row["test/accuracy"]) > 0.5
        assert row["error"] == ""

    markdown = (sweep_dir / "summary.md").read_text(encoding="utf-8")
    assert "4 runs in" in markdown
    assert "2 completed, 2 failed" in markdown
    assert markdown.count(FAILING_NOISE) == 2

    image = matplotlib.image.imread(sweep_dir / "heatmap.png")
    assert image.shape[0] > 100
    assert image.shape[1] > 100
    scores, completed_runs, failed_runs = score_grid(collect_runs(sweep_dir))
    assert list(scores.columns) == ["logreg", "tree"]
    assert failed_runs.loc["applicant"].tolist() == [1, 1]
    assert completed_runs.loc["applicant"].tolist() == [1, 1]
    assert scores.loc["applicant", "tree"] == pytest.approx(float(rows[2]["score"]))

    # Runs whose config is rejected stop before the tracker starts, so only
    # the two completed runs leave a W&B run.
    run_folders = sorted((wandb_offline / "wandb").glob("offline-run-*"))
    assert len(run_folders) == 2
    records = [run_record(folder) for folder in run_folders]
    assert {record.run_group for record in records} == {sweep_group(sweep_dir)}
    assert {record.job_type for record in records} == {"sweep"}
    assert sorted(record.display_name for record in records) == [
        "applicant-logreg-seed0-job0",
        "applicant-tree-seed0-job2",
    ]
    assert load_results(sweep_dir / "0")["config"]["tracker"]["group"] == sweep_group(
        sweep_dir
    )


@pytest.mark.slow
def test_sweep_max_depth_splits_cells(fakegen, tmp_path):
    completed = fakegen(
        "-m", "model=tree", "model.max_depth=1,null", "seed=0,1", "tracker=none", *SMALL
    )
    sweep_dir = tmp_path / "sweep"

    assert completed.returncode == 0, completed.stdout + completed.stderr
    rows = read_summary(sweep_dir)
    assert [row["name"] for row in rows] == [
        "applicant-tree-seed0-job0",
        "applicant-tree-seed1-job1",
        "applicant-tree-seed0-job2",
        "applicant-tree-seed1-job3",
    ]
    assert [row["status"] for row in rows] == ["completed"] * 4

    scores, completed_runs, _ = score_grid(collect_runs(sweep_dir))
    assert list(scores.columns) == ["tree max_depth=1", "tree max_depth=null"]
    assert completed_runs.loc["applicant"].tolist() == [2, 2]
    depth_one = (float(rows[0]["score"]) + float(rows[1]["score"])) / 2
    unlimited = (float(rows[2]["score"]) + float(rows[3]["score"])) / 2
    assert scores.loc["applicant"].tolist() == pytest.approx([depth_one, unlimited])


@pytest.mark.slow
def test_sweep_resume_skips_completed_runs(fakegen, tmp_path):
    first = fakegen("-m", "seed=0,1", *SMALL)
    sweep_dir = tmp_path / "sweep"
    assert first.returncode == 0, first.stdout + first.stderr
    kept = sweep_dir / "0" / "results.json"
    kept_mtime = os.stat(kept).st_mtime_ns
    (sweep_dir / "1" / "results.json").unlink()

    second = fakegen("-m", "seed=0,1", "resume=true", *SMALL)
    output = second.stdout + second.stderr

    assert second.returncode == 0, output
    assert f"Skipped run applicant-logreg-seed0-job0: {sweep_dir / '0'}" in output
    assert "Skipped run applicant-logreg-seed1-job1" not in output
    assert os.stat(kept).st_mtime_ns == kept_mtime
    assert load_results(sweep_dir / "1")["status"] == "completed"
    assert [row["status"] for row in read_summary(sweep_dir)] == ["completed"] * 2


@pytest.mark.slow
def test_sweep_rerun_failing_reports_failure(fakegen, tmp_path):
    assert fakegen("-m", "seed=0,1", "tracker=none", *SMALL).returncode == 0
    sweep_dir = tmp_path / "sweep"

    # Each job fails only at its end, when the metric is missing, so the
    # check of the shared settings lets the sweep start.
    broken = fakegen("-m", "seed=0,1", "tracker=none", *LATE_FAILURE, *SMALL)
    output = broken.stdout + broken.stderr

    assert broken.returncode == 1, output
    rows = read_summary(sweep_dir)
    assert [row["status"] for row in rows] == ["failed", "failed"]
    assert all(UNRECORDED_OBJECTIVE in row["overrides"] for row in rows)
    assert all("earlier attempt are in results.json" in row["error"] for row in rows)
    # The completed results stay where they were.
    assert load_results(sweep_dir / "0")["status"] == "completed"

    fixed = fakegen("-m", "seed=0,1", "tracker=none", *SMALL)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert [row["status"] for row in read_summary(sweep_dir)] == ["completed"] * 2
    assert not (sweep_dir / "0" / "results.failed.json").exists()


@pytest.mark.slow
def test_sweep_resume_after_failed_attempt_completes(fakegen, tmp_path):
    assert fakegen("-m", "seed=0,1", "tracker=none", *SMALL).returncode == 0
    failed = fakegen("-m", "seed=0,1", "tracker=none", *LATE_FAILURE, *SMALL)
    assert failed.returncode == 1

    resumed = fakegen("-m", "seed=0,1", "tracker=none", "resume=true", *SMALL)
    output = resumed.stdout + resumed.stderr

    assert resumed.returncode == 0, output
    assert "Skipped run applicant-logreg-seed0-job0" in output
    rows = read_summary(tmp_path / "sweep")
    assert [row["status"] for row in rows] == ["completed"] * 2
    assert not any(UNRECORDED_OBJECTIVE in row["overrides"] for row in rows)


@pytest.mark.slow
def test_sweep_of_custom_models_names_their_classes(fakegen, tmp_path):
    completed = fakegen(
        "-m",
        "~model",
        "+model._target_=sklearn.naive_bayes.GaussianNB,sklearn.tree.DecisionTreeClassifier",
        "tracker=none",
        "verifier.figures=false",
        *SMALL,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    rows = read_summary(tmp_path / "sweep")
    assert [row["model"] for row in rows] == ["GaussianNB", "DecisionTreeClassifier"]


@pytest.mark.slow
def test_smaller_sweep_reports_only_its_runs(fakegen, tmp_path):
    broken = fakegen("-m", "seed=0,1", *LATE_FAILURE, "tracker=none", *SMALL)
    assert broken.returncode == 1

    smaller = fakegen("-m", "seed=0", "tracker=none", *SMALL)
    output = smaller.stdout + smaller.stderr

    assert smaller.returncode == 0, output
    rows = read_summary(tmp_path / "sweep")
    assert [(row["run"], row["status"]) for row in rows] == [("0", "completed")]


@pytest.mark.slow
def test_sweep_shared_bad_setting_starts_no_job(fakegen, tmp_path):
    assert fakegen("-m", "seed=0,1", "tracker=none", *SMALL).returncode == 0
    sweep_dir = tmp_path / "sweep"
    before = {
        path: path.read_bytes()
        for path in [*sweep_dir.glob("*/results.json"), sweep_dir / "summary.csv"]
    }

    broken = fakegen("-m", "seed=0,1", "tracker=none", "generator.noise=0.7", *SMALL)

    assert broken.returncode == 1
    errors = [line for line in broken.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1, broken.stderr
    assert errors[0].endswith(
        f"{FAILING_NOISE} No job of the sweep started, because every job has "
        "this setting."
    )
    assert "Traceback" not in broken.stderr
    assert "Launching" not in broken.stderr
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.slow
def test_optuna_sweep_without_scored_trial_one_line(fakegen, tmp_path):
    completed = fakegen(
        "-m",
        "+experiment=tune_xgboost",
        "hydra.sweeper.n_trials=2",
        *LATE_FAILURE,
        "tracker=none",
        *SMALL,
    )
    output = completed.stdout + completed.stderr
    sweep_dir = tmp_path / "sweep"

    assert completed.returncode == 1
    assert "Traceback" not in output
    assert (
        "No trial of the Optuna sweep recorded objective "
        "'constraint/income_floor/value/learned', so the sweep has no best trial"
        in output
    )
    assert [row["status"] for row in read_summary(sweep_dir)] == ["failed"] * 2
    assert not (sweep_dir / "optimization_results.yaml").exists()


@pytest.mark.slow
def test_optuna_sweep_shared_bad_setting_one_line(fakegen, tmp_path):
    completed = fakegen(
        "-m",
        "+experiment=tune_xgboost",
        "hydra.sweeper.n_trials=2",
        "generator.balance=1.5",
        *SMALL,
    )
    output = completed.stdout + completed.stderr

    assert completed.returncode == 1
    assert "generator.balance is 1.5; it must lie in (0, 1). No job" in output
    assert "Traceback" not in output
    assert not (tmp_path / "sweep" / "0").exists()


def sweep_config(plain: list[str], task: list[str], params: dict | None = None):
    """Compose the config Hydra gives a sweep's callbacks before the first job."""
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        config = compose("config", overrides=plain, return_hydra_config=True)
    with open_dict(config):
        config.hydra.overrides.task = task
        config.hydra.sweeper.params = params or {}
    return config


def test_shared_config_error_optuna_needs_objective():
    config = compose_experiment("tune_xgboost", "objective=null")

    assert shared_config_error(config) == (
        "objective is null, but the Optuna sweeper needs a metric to optimize; "
        "set one, such as objective=test/rule_agreement."
    )


def test_shared_config_error_names_unswept_setting():
    config = sweep_config(["generator.noise=0.7"], ["seed=0,1", "generator.noise=0.7"])

    assert shared_config_error(config) == FAILING_NOISE


@pytest.mark.parametrize(
    ("plain", "task", "params"),
    [
        (["generator.noise=0.7"], ["generator.noise=0.1,0.7"], None),
        (["generator.noise=0.7"], ["seed=0,1"], {"generator.noise": "0.1,0.7"}),
        (["+model.max_depth=3"], ["model=logreg,tree", "+model.max_depth=3"], None),
        (["+model.max_depth=3"], ["+model.max_depth=3"], {"model": "logreg,tree"}),
        ([], ["seed=0,1"], None),
    ],
    ids=[
        "bad-value-swept",
        "bad-value-in-sweeper-params",
        "group-swept",
        "group-in-sweeper-params",
        "valid-settings",
    ],
)
def test_shared_config_error_leaves_swept_settings(plain, task, params):
    config = sweep_config(plain, task, params)

    assert shared_config_error(config) is None


@pytest.mark.slow
def test_sweep_resume_reruns_changed_config(fakegen, tmp_path):
    assert fakegen("-m", "seed=0", *SMALL).returncode == 0
    changed = fakegen("-m", "seed=0", "resume=true", "model.C=0.5", *SMALL)
    output = changed.stdout + changed.stderr

    assert changed.returncode == 0, output
    assert "contains completed results of another config, which this run replaces" in (
        output
    )
    assert load_results(tmp_path / "sweep" / "0")["config"]["model"]["C"] == 0.5


@pytest.mark.slow
def test_sweep_optuna_maximises_objective(fakegen, tmp_path):
    completed = fakegen(
        "-m",
        "+experiment=tune_xgboost",
        "hydra.sweeper.n_trials=2",
        "model.n_jobs=1",
        *SMALL,
    )
    sweep_dir = tmp_path / "sweep"

    assert completed.returncode == 0, completed.stdout + completed.stderr
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    scores = [
        load_results(sweep_dir / run)["metrics"]["test/rule_agreement"]
        for run in ("0", "1")
    ]
    assert best["best_value"] == pytest.approx(max(scores))
    assert set(best["best_params"]) == {
        "model.max_depth",
        "model.learning_rate",
        "model.n_estimators",
    }
    assert [row["model"] for row in read_summary(sweep_dir)] == ["xgboost"] * 2


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("resume=maybe", "resume is 'maybe'; give true or false."),
        (
            "objective=7",
            "objective is 7; give a metric name that starts with train/, test/, "
            "suite/, bayes/, constraint/, encoder/, such as 'test/rule_agreement', "
            "or null.",
        ),
        (
            "objective=nope",
            "objective is 'nope'; give a metric name that starts with train/, "
            "test/, suite/, bayes/, constraint/, encoder/, such as "
            "'test/rule_agreement', or null.",
        ),
        (
            "objective=test/acuracy",
            "objective is 'test/acuracy', which no run records. Did you mean "
            "test/accuracy? The test/ metrics are test/accuracy, ",
        ),
    ],
    ids=[
        "resume-not-bool",
        "objective-not-text",
        "objective-no-family",
        "objective-typo-in-fixed-family",
    ],
)
def test_run_rejects_bad_sweep_setting(fakegen, tmp_path, override, message):
    completed = fakegen(override, *SMALL)
    output = completed.stdout + completed.stderr

    assert completed.returncode == 1
    assert re.search(re.escape(message), output), output
    assert "Traceback" not in output
    # The check comes before training, so no run is recorded.
    assert not (tmp_path / "run" / "results.json").exists()


@pytest.mark.slow
def test_run_unrecorded_objective_fails_the_run(fakegen, tmp_path):
    completed = fakegen(*LATE_FAILURE, "tracker=none", *SMALL)
    output = completed.stdout + completed.stderr
    message = (
        "objective is 'constraint/income_floor/value/learned', a metric this run "
        f"did not record; set it to a metric of {tmp_path / 'run' / 'results.json'} "
        "(close names: constraint/income_floor/value/flipped_share, "
        "constraint/income_floor/value/monotonic_share"
    )

    assert completed.returncode == 1
    assert re.search(re.escape(message), output), output
    results = load_results(tmp_path / "run")
    assert results["status"] == "failed"
    assert results["error"].startswith(f"ConfigError: {message}")
    assert "test/accuracy" in results["metrics"]


@pytest.mark.slow
def test_sweep_unrecorded_objective_counts_failed_runs(fakegen, tmp_path):
    completed = fakegen("-m", *LATE_FAILURE, "seed=0,1", "tracker=none", *SMALL)
    output = completed.stdout + completed.stderr

    assert completed.returncode == 1
    assert f"2 runs in {tmp_path / 'sweep'}: 2 failed" in output
    assert [row["status"] for row in read_summary(tmp_path / "sweep")] == [
        "failed",
        "failed",
    ]
    assert (
        "objective is 'constraint/income_floor/value/learned'"
        in load_results(tmp_path / "sweep" / "0")["error"]
    )


def test_sweep_unknown_objective_starts_no_job(fakegen, tmp_path):
    completed = fakegen(
        "-m", "objective=suite/nowhere/accuracy", "seed=0,1", "tracker=none", *SMALL
    )
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]

    assert completed.returncode == 1
    assert len(errors) == 1, completed.stderr
    assert errors[0].endswith(
        "Set objective to a metric the run records, or null. No job of the sweep "
        "started, because every job has this setting."
    )
    assert "objective is 'suite/nowhere/accuracy'" in errors[0]
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "sweep" / "0").exists()


def test_sweep_group_uses_last_two_parts(tmp_path):
    assert sweep_group(tmp_path / "multirun" / "noise" / "2026-01-02_03-04-05") == (
        "noise/2026-01-02_03-04-05"
    )


# Option names other branches add; an experiment may name them before they
# exist here, but any other name is a typo.
CATALOGUE = {
    "constraint": {
        "range",
        "threshold",
        "inequality",
        "linear",
        "ratio",
        "membership",
        "combination",
        "implication",
        "equality",
        "xor",
        "count",
        "derived",
        "expression",
    },
    "model": {
        "logreg",
        "tree",
        "forest",
        "extra_trees",
        "hist_gb",
        "xgboost",
        "mlp",
        "knn",
        "svm",
    },
}
EXPERIMENTS = sorted(path.stem for path in experiments_dir().glob("*.yaml"))


def compose_experiment(name: str, *overrides: str):
    register_experiments()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(
            "config",
            overrides=[f"+experiment={name}", *overrides],
            return_hydra_config=True,
        )


def test_experiments_folder_has_the_studies():
    assert {"constraint_zoo", "sample_efficiency", "noise", "tune_xgboost"} <= set(
        EXPERIMENTS
    )


SWEEPS = [name for name in EXPERIMENTS if name != "penguins"]


@pytest.mark.parametrize("name", SWEEPS, ids=SWEEPS)
def test_experiment_composes_every_sweep_value(name):
    cfg = compose_experiment(name)
    params = cfg.hydra.sweeper.params

    assert params, f"{name} sweeps nothing"
    for key, values in params.items():
        if (config_dir() / key).is_dir():
            options = {path.stem for path in (config_dir() / key).glob("*.yaml")}
            for value in str(values).split(","):
                assert value in options | CATALOGUE[key], f"{name}: {key}={value}"
                if value in options:
                    assert compose_experiment(name, f"{key}={value}")[key]
        else:
            assert OmegaConf.select(cfg, key) is not None, f"{name}: unknown key {key}"
