"""The sweep report: summary files, figures and the ``fakegen-report`` command."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from conftest import run_command
from fakegen.curves import rows_to_learned
from fakegen.heatmap import cell_texts, runs_per_cell, score_grid, shown_value
from fakegen.planned import planned_jobs
from fakegen.report import SweepDirError, _same_job, collect_runs, verdict_score

REPORT = Path(sys.executable).with_name("fakegen-report")
SMALL = ("verifier.test_rows=400", "verifier.suite_rows=300", "tracker=none")


@pytest.fixture(scope="module")
def rows_noise_sweep(tmp_path_factory) -> Path:
    """Run one real sweep over table size and label noise, shared by the tests."""
    sweep_dir = tmp_path_factory.mktemp("report") / "sweep"
    completed = run_command(
        [
            "-m",
            "model=tree",
            "generator.rows=200,3000",
            "generator.noise=0.0,0.2",
            *SMALL,
            f"hydra.sweep.dir={sweep_dir}",
        ],
        cwd=sweep_dir.parent,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return sweep_dir


@pytest.fixture
def sweep_copy(rows_noise_sweep, tmp_path) -> Path:
    """Return a copy of the shared sweep that a test may change."""
    return Path(shutil.copytree(rows_noise_sweep, tmp_path / "sweep"))


def report(sweep_dir: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPORT), str(sweep_dir)], capture_output=True, text=True, timeout=120
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.slow
def test_report_rebuilds_same_summary(sweep_copy):
    written = (sweep_copy / "summary.csv").read_text(encoding="utf-8")
    for name in ("summary.csv", "summary.md", "heatmap.png"):
        (sweep_copy / name).unlink()

    completed = report(sweep_copy)

    assert completed.returncode == 0, completed.stderr
    assert (sweep_copy / "summary.csv").read_text(encoding="utf-8") == written
    assert (sweep_copy / "heatmap.png").is_file()
    assert "4 runs in" in completed.stderr
    assert "4 completed" in completed.stderr


@pytest.mark.slow
def test_report_partial_sweep_marks_missing_run(sweep_copy):
    (sweep_copy / "2" / "results.json").unlink()

    completed = report(sweep_copy)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "1 of 4 runs of the sweep did not complete" in completed.stderr
    assert str(sweep_copy / "2") in completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [row["status"] for row in rows] == [
        "completed",
        "completed",
        "missing",
        "completed",
    ]
    assert rows[2]["error"] == "no results.json: the run was interrupted or never ran"
    assert "generator.rows=3000" in rows[2]["overrides"]
    assert (rows[2]["constraint"], rows[2]["model"]) == ("applicant", "tree")
    assert rows[2]["rows"] == "3000"
    assert rows[2]["score"] == ""


@pytest.mark.slow
def test_report_interrupted_sweep_lists_unstarted_jobs(sweep_copy, rows_noise_sweep):
    for name in ("2", "3"):
        shutil.rmtree(sweep_copy / name)

    completed = report(sweep_copy)

    assert completed.returncode == 1
    assert "2 of 4 runs of the sweep did not complete" in completed.stderr
    assert (
        "Jobs 2, 3 never started; run the same sweep again with resume=true to "
        "run every job that did not complete" in completed.stderr
    )
    assert "run directories" not in completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [row["status"] for row in rows] == [
        "completed",
        "completed",
        "not_started",
        "not_started",
    ]
    finished = read_csv(rows_noise_sweep / "summary.csv")
    assert [row["overrides"] for row in rows] == [row["overrides"] for row in finished]
    assert rows[3]["error"] == (
        "no job folder: the sweep stopped before this job started"
    )


@pytest.mark.slow
def test_planned_jobs_expands_sweep(rows_noise_sweep):
    jobs = planned_jobs(rows_noise_sweep)

    assert list(jobs) == ["0", "1", "2", "3"]
    assert "generator.rows=3000" in jobs["3"]
    assert "generator.noise=0.2" in jobs["3"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("subdir: ${hydra.job.num}", "subdir: ${hydra.job.override_dirname}"),
        ("basic_sweeper.BasicSweeper", "basic_sweeper.OtherSweeper"),
        ("hydra:", "hydra: [unclosed"),
    ],
    ids=["named-job-folders", "other-sweeper", "broken-yaml"],
)
@pytest.mark.slow
def test_planned_jobs_unknown_plan_is_none(sweep_copy, old, new):
    plan = sweep_copy / "multirun.yaml"
    text = plan.read_text(encoding="utf-8")
    assert old in text
    plan.write_text(text.replace(old, new), encoding="utf-8")

    assert planned_jobs(sweep_copy) is None


def test_planned_jobs_without_multirun_yaml_is_none(tmp_path):
    assert planned_jobs(tmp_path) is None


@pytest.mark.slow
def test_report_broken_results_file_is_unreadable_row(sweep_copy):
    (sweep_copy / "1" / "results.json").write_text("{not json", encoding="utf-8")

    runs = collect_runs(sweep_copy)

    assert list(runs["status"]) == ["completed", "unreadable", "completed", "completed"]
    assert runs["error"][1].startswith("results.json is unreadable: ")


@pytest.mark.slow
def test_report_learning_curves_and_noise_sections(rows_noise_sweep):
    markdown = (rows_noise_sweep / "summary.md").read_text(encoding="utf-8")

    title = f"# Sweep summary: {rows_noise_sweep.parent.name}/sweep\n"
    assert markdown.startswith(title)
    assert "## Rows needed to reach learned" in markdown
    assert "## Accuracy against the noise ceiling, and rule agreement" in markdown
    assert (
        "so it bounds accuracy only; rule agreement can reach 1 at any noise level."
        in markdown
    )
    assert (
        "A finite test set can beat the ceiling by sampling error, so `gap to "
        "ceiling` (ceiling minus accuracy) is signed and can be negative." in markdown
    )
    for name in ("learning_curves.png", "noise.png"):
        image = matplotlib.image.imread(rows_noise_sweep / name)
        assert image.shape[0] > 100
    runs = collect_runs(rows_noise_sweep)
    assert sorted(runs["rows"].unique()) == [200, 3000]
    assert sorted(runs["noise"].unique()) == [0.0, 0.2]
    noisy = runs[runs["noise"] == 0.2]
    assert set(noisy["bayes/accuracy"].round(6)) == {0.8}


def test_report_missing_directory_exits_two(tmp_path):
    missing = tmp_path / "nowhere"

    completed = report(missing)

    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip() == (
        f"ERROR sweep directory {str(missing)!r} does not exist; give the folder "
        "of a multirun, such as multirun/DATE/TIME."
    )


def test_report_file_instead_of_directory_exits_two(tmp_path):
    results = tmp_path / "results.json"
    results.write_text("{}", encoding="utf-8")

    completed = report(results)

    assert completed.returncode == 2
    assert f"sweep directory {str(results)!r} is a file; " in completed.stderr


def test_report_directory_without_runs_exits_two(tmp_path):
    completed = report(tmp_path)

    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert f"sweep directory {str(tmp_path)!r} contains no run" in completed.stderr


def test_report_run_without_hydra_files(tmp_path):
    (tmp_path / "0" / ".hydra").mkdir(parents=True)

    completed = report(tmp_path)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "1 of 1 runs of the sweep did not complete" in completed.stderr
    assert (tmp_path / "heatmap.png").is_file()
    (row,) = read_csv(tmp_path / "summary.csv")
    assert row["status"] == "missing"
    assert row["constraint"] == ""


def write_run(
    run_dir: Path, *, verdicts: dict[str, str] | None = None, model: str = "tree"
) -> Path:
    """Write a small completed run: results.json and the .hydra folder."""
    (run_dir / ".hydra").mkdir(parents=True)
    results = {
        "status": "completed",
        "name": f"range-{model}-seed0",
        "choices": {"constraint": "range", "model": model},
        "config": {"seed": 0, "generator": {"rows": 100, "noise": 0.0}},
        "metrics": {"test/accuracy": 0.9},
        "verdicts": {"working_age": "learned"} if verdicts is None else verdicts,
    }
    (run_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return run_dir


def test_report_results_array_is_unreadable(tmp_path):
    write_run(tmp_path / "0")
    (tmp_path / "1" / ".hydra").mkdir(parents=True)
    (tmp_path / "1" / "results.json").write_text("[]", encoding="utf-8")

    completed = report(tmp_path)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    rows = read_csv(tmp_path / "summary.csv")
    assert [row["status"] for row in rows] == ["completed", "unreadable"]
    assert rows[1]["error"] == (
        "results.json is unreadable: it contains an array, not an object"
    )


def test_report_numbered_folder_without_files_is_missing(tmp_path):
    write_run(tmp_path / "0")
    (tmp_path / "1").mkdir()

    completed = report(tmp_path)

    assert completed.returncode == 1
    assert f"2 runs in {tmp_path}: " in completed.stderr
    assert "1 of 2 runs of the sweep did not complete" in completed.stderr
    rows = read_csv(tmp_path / "summary.csv")
    assert [(row["run"], row["status"]) for row in rows] == [
        ("0", "completed"),
        ("1", "missing"),
    ]


def test_report_single_run_writes_nothing(tmp_path):
    run_dir = write_run(tmp_path / "run")
    before = sorted(path.name for path in run_dir.iterdir())

    completed = report(run_dir)

    assert completed.returncode == 0, completed.stderr
    message = (
        f"INFO {run_dir} is the folder of a single run, not of a sweep, so "
        "fakegen-report writes no summary files into it. The run completed with "
        f"verdict score 1.000; see {run_dir / 'results.json'}."
    )
    assert re.fullmatch(re.escape(message) + "\n", completed.stderr)
    assert sorted(path.name for path in run_dir.iterdir()) == before


def test_report_failed_single_run_exits_one(tmp_path):
    run_dir = write_run(tmp_path / "run")
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    results.update(status="failed", error="generator.rows is 5; give 20 or more.")
    (run_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")

    completed = report(run_dir)

    assert completed.returncode == 1
    message = (
        "fakegen-report writes no summary files into it. The run did not complete "
        "(status failed: generator.rows is 5; give 20 or more)."
    )
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert not (run_dir / "summary.csv").exists()


@pytest.mark.slow
def test_report_job_folder_names_its_sweep(sweep_copy):
    job_dir = sweep_copy / "1"
    before = sorted(path.name for path in job_dir.iterdir())

    completed = report(job_dir)

    assert completed.returncode == 0, completed.stderr
    message = f"To report the sweep that contains it, give {sweep_copy}."
    assert re.search(re.escape(message) + "$", completed.stderr), completed.stderr
    assert sorted(path.name for path in job_dir.iterdir()) == before


def test_heatmap_without_verdicts_shows_test_accuracy(tmp_path):
    write_run(tmp_path / "0", verdicts={}, model="logreg")
    write_run(tmp_path / "1", verdicts={}, model="tree")
    runs = collect_runs(tmp_path)

    values, title = shown_value(runs)
    scores, done, failed = score_grid(runs, values=values)

    assert values == "test/accuracy"
    assert title == "Mean test/accuracy: no run of this sweep has verdicts"
    assert cell_texts(scores, done, failed).loc["range"].tolist() == ["0.90", "0.90"]
    assert runs_per_cell(done) == "(up to 1 completed run per cell)"
    assert report(tmp_path).returncode == 0


def test_heatmap_cell_without_verdicts_says_so(tmp_path):
    write_run(tmp_path / "0", model="logreg")
    write_run(tmp_path / "1", verdicts={}, model="tree")
    runs = collect_runs(tmp_path)

    values, _ = shown_value(runs)
    scores, done, failed = score_grid(runs, values=values)

    assert values == "score"
    texts = cell_texts(scores, done, failed)
    assert texts.loc["range"].tolist() == ["1.00", "no verdicts"]


def test_collect_runs_missing_directory_raises(tmp_path):
    with pytest.raises(SweepDirError, match="does not exist"):
        collect_runs(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ({"a": "learned", "b": "learned"}, 1.0),
        ({"a": "learned", "b": "partial"}, 0.75),
        ({"a": "not_learned", "b": "partial"}, 0.25),
    ],
    ids=["all-learned", "learned-partial", "not-learned-partial"],
)
def test_verdict_score_averages(verdicts, expected):
    assert verdict_score(verdicts) == expected


def test_verdict_score_without_verdicts_is_nan():
    assert math.isnan(verdict_score({}))


def test_rows_to_learned_needs_every_larger_size():
    cells = {
        ("xor", "tree"): {100: 1.0, 316: 0.5, 1000: 1.0, 3162: 1.0},
        ("xor", "logreg"): {100: 1.0, 316: 1.0, 1000: 1.0, 3162: 0.5},
        ("range", "tree"): {100: 1.0, 316: 1.0, 1000: 1.0, 3162: 1.0},
    }
    runs = pd.DataFrame(
        [
            {"constraint": c, "model": m, "rows": r, "score": v, "status": "completed"}
            for (c, m), scores in cells.items()
            for r, v in scores.items()
        ]
    )

    table = rows_to_learned(runs).set_index(["constraint", "model"])

    assert table.loc[("xor", "tree"), "rows to learned"] == 1000
    assert math.isnan(table.loc[("xor", "logreg"), "rows to learned"])
    assert table.loc[("range", "tree"), "rows to learned"] == 100


def test_rows_to_learned_splits_other_swept_overrides():
    scores = {("1", 100): 0.0, ("1", 1000): 0.5, ("3", 100): 0.5, ("3", 1000): 1.0}
    runs = pd.DataFrame(
        [
            {
                "constraint": "xor",
                "model": "tree",
                "rows": rows,
                "score": score,
                "status": "completed",
                "overrides": f"generator.rows={rows} model.max_depth={depth} "
                f"seed={seed}",
            }
            for (depth, rows), score in scores.items()
            for seed in (0, 1)
        ]
    )

    table = rows_to_learned(runs).set_index("model")["rows to learned"]

    assert sorted(table.index) == ["tree max_depth=1", "tree max_depth=3"]
    assert math.isnan(table["tree max_depth=1"])
    assert table["tree max_depth=3"] == 1000


@pytest.mark.slow
def test_report_unwritable_folder_exits_two(sweep_copy):
    for name in ("summary.csv", "summary.md", "heatmap.png"):
        (sweep_copy / name).unlink()
    if subprocess.run(["chattr", "+i", str(sweep_copy)]).returncode != 0:
        pytest.skip("chattr +i is not available to this user")
    try:
        completed = report(sweep_copy)
    finally:
        subprocess.run(["chattr", "-i", str(sweep_copy)], check=True)

    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert f"Could not write the report into {sweep_copy}: " in completed.stderr
    assert (
        "make the folder and its summary files writable, then run fakegen-report "
        "again" in completed.stderr
    )


@pytest.mark.slow
def test_report_missing_run_takes_planned_overrides(sweep_copy, rows_noise_sweep):
    shutil.rmtree(sweep_copy / "2" / ".hydra")
    (sweep_copy / "2" / "results.json").unlink()

    runs = collect_runs(sweep_copy)

    finished = read_csv(rows_noise_sweep / "summary.csv")
    assert runs["status"].tolist()[2] == "missing"
    assert runs["overrides"].tolist()[2] == finished[2]["overrides"]


@pytest.mark.slow
def test_report_removes_figure_it_no_longer_draws(sweep_copy):
    # Jobs 0 and 1 share generator.rows=200, so without jobs 2 and 3 and the
    # sweep's plan the table size no longer varies, while the noise does.
    for name in ("2", "3"):
        shutil.rmtree(sweep_copy / name)
    (sweep_copy / "multirun.yaml").unlink()
    assert (sweep_copy / "learning_curves.png").exists()

    completed = report(sweep_copy)

    assert completed.returncode == 0, completed.stderr
    assert not (sweep_copy / "learning_curves.png").exists()
    assert (sweep_copy / "noise.png").exists()


def older_warning(sweep_dir: Path, names: str, count: int) -> str:
    folders = "job folder" if count == 1 else "job folders"
    return (
        f"Left out {count} {folders} ({names}) that an earlier sweep into "
        f"{sweep_dir} left there. The report counts only the jobs of the latest "
        "sweep. Give each sweep its own hydra.sweep.dir to keep them apart."
    )


@pytest.mark.slow
def test_report_reused_folder_counts_latest_sweep(sweep_copy):
    smaller = run_command(
        ["-m", "model=logreg", "seed=0,1", *SMALL, f"hydra.sweep.dir={sweep_copy}"],
        cwd=sweep_copy.parent,
    )
    assert smaller.returncode == 0, smaller.stderr

    completed = report(sweep_copy)

    assert completed.returncode == 0, completed.stderr
    message = older_warning(sweep_copy, "2, 3", 2)
    assert re.search(re.escape(f"WARNING {message}"), completed.stderr)
    assert f"2 runs in {sweep_copy}: 2 completed" in completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [(row["run"], row["model"]) for row in rows] == [
        ("0", "logreg"),
        ("1", "logreg"),
    ]
    # The sweep's own report leaves the same folders out.
    assert re.search(re.escape(message), smaller.stderr), smaller.stderr


def age_folder(run_dir: Path, seconds_before: float) -> None:
    """Date the start of ``run_dir`` this long before multirun.yaml was written."""
    written = (run_dir.parent / "multirun.yaml").stat().st_mtime
    when = written - seconds_before
    for path in (run_dir / ".hydra" / "overrides.yaml", run_dir):
        if path.exists():
            os.utime(path, (when, when))


@pytest.mark.slow
def test_report_older_extra_folder_left_out(sweep_copy):
    age_folder(write_run(sweep_copy / "4"), 100)

    completed = report(sweep_copy)

    assert completed.returncode == 0, completed.stderr
    message = older_warning(sweep_copy, "4", 1)
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [row["run"] for row in rows] == ["0", "1", "2", "3"]


@pytest.mark.slow
def test_report_newer_unplanned_folder_counts_every_run(sweep_copy):
    # A job newer than multirun.yaml but not in its plan comes from a sweeper
    # that writes no multirun.yaml, so the plan is stale and every run counts.
    age_folder(write_run(sweep_copy / "4"), -100)

    completed = report(sweep_copy)

    assert completed.returncode == 0, completed.stderr
    assert "Left out" not in completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [row["run"] for row in rows] == ["0", "1", "2", "3", "4"]


@pytest.mark.slow
def test_report_older_job_of_other_config_not_started(sweep_copy):
    overrides = sweep_copy / "1" / ".hydra" / "overrides.yaml"
    overrides.write_text("- model=logreg\n", encoding="utf-8")
    age_folder(sweep_copy / "1", 100)

    completed = report(sweep_copy)

    assert completed.returncode == 1
    message = older_warning(sweep_copy, "1", 1)
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert "Job 1 never started" in completed.stderr
    rows = read_csv(sweep_copy / "summary.csv")
    assert [(row["run"], row["status"]) for row in rows] == [
        ("0", "completed"),
        ("2", "completed"),
        ("3", "completed"),
        ("1", "not_started"),
    ]


def test_same_job_ignores_order_and_resume():
    assert _same_job(["seed=1", "model=tree", "resume=true"], ["model=tree", "seed=1"])
    assert not _same_job(["model=tree", "seed=1"], ["model=logreg", "seed=1"])
