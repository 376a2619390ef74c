"""Bad input through the real command: one clear line, exit code 1, no traceback."""

from __future__ import annotations

import fcntl
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import (
    FAKEGEN,
    interrupt_once,
    load_results,
    run_command,
    run_with_address_limit,
)

CASES = [
    pytest.param(
        ["generator.noise=0.7"],
        "generator.noise is 0.7; it must lie in [0, 0.5).",
        id="noise-out-of-range",
    ),
    pytest.param(
        ["generator.balance=1.0"],
        "generator.balance is 1.0; it must lie in (0, 1).",
        id="balance-out-of-range",
    ),
    pytest.param(
        ["generator.rows=5"],
        "generator.rows is 5; give an integer of 20 or more.",
        id="too-few-rows",
    ),
    pytest.param(
        ["generator.rows=100000000000"],
        "generator.rows is 100000000000; a table of 13 columns needs up to "
        "9685.8 GiB, and",
        id="table-beyond-memory",
    ),
    pytest.param(
        ['+verifier.constraints.c={type: threshold, column: age, op: ">=", value: 30}'],
        "verifier.constraints is set (c), but it applies to generator=file runs; "
        "declare the constraints of a synthetic table under constraint.constraints.",
        id="file-constraints-on-synthetic-table",
    ),
    pytest.param(
        ["blas_threads=0"],
        "blas_threads is 0; give a number of threads of 1 or more, or null to keep "
        "the BLAS library's default of one per core.",
        id="no-blas-threads",
    ),
    pytest.param(
        ["generator.workers=0"],
        "generator.workers is 0; give a number of threads of 1 or more, or null "
        "to use every core.",
        id="no-worker-threads",
    ),
    pytest.param(
        ["model=knn", "model.n_neighbors=5000", "generator.rows=500"],
        "model.n_neighbors is 5000, more than the 500 training rows; set it below "
        "the number of rows, such as 5.",
        id="more-neighbours-than-rows",
    ),
    pytest.param(
        ["model=mlp", "model.hidden_layer_sizes=[0]", "generator.rows=500"],
        "MLPClassifier' failed to fit 500 training rows of",
        id="fit-rejects-setting",
    ),
    pytest.param(
        ["model=xgboost", "model.n_estimators=0", "generator.rows=500"],
        "model.n_estimators is 0; give a number of boosting rounds of 1 or more, "
        "such as 200.",
        id="no-boosting-rounds",
    ),
    pytest.param(
        ['+constraint.label_rul="age > 40"'],
        "constraint.label_rul is not a known key. Did you mean constraint.label_rule?",
        id="mistyped-constraint-key",
    ),
    pytest.param(
        ["+tracker.projct=demo"],
        "tracker.projct is not a known key. Did you mean tracker.project? Known "
        "keys: kind, project, mode, dir, group, job_type, tags.",
        id="mistyped-tracker-key",
    ),
    pytest.param(
        ["+generator.rowz=5"],
        "generator.rowz is not a known key. Did you mean generator.rows?",
        id="mistyped-key",
    ),
    pytest.param(
        ["+foo.bar=1"],
        "foo is not a known key. Known keys: generator, constraint",
        id="unknown-top-level-key",
    ),
    pytest.param(
        ["+sed=1"],
        "sed is not a known key. Did you mean seed?",
        id="mistyped-top-level-key",
    ),
    pytest.param(
        ["seed=4294967296"],
        "seed is 4294967296; give an integer from 0 to 4294967295",
        id="seed-too-large",
    ),
    pytest.param(
        ["seed=-2"],
        "seed is -2; give an integer from 0 to 4294967295, such as seed=0.",
        id="negative-seed",
    ),
    pytest.param(
        ["constraint.constraints.income_floor.column=salary"],
        "constraint.constraints.income_floor.column is 'salary', which is not a "
        "column of the table",
        id="unknown-column",
    ),
    pytest.param(
        ["constraint.constraints.working_age.low=70"],
        "constraint.constraints.working_age has low=70 and high=67, an empty range",
        id="empty-range",
    ),
    pytest.param(
        ["constraint=expression", 'constraint.expression="income >= __import__(1)"'],
        "unknown function '__import__'; the functions are abs, log",
        id="expression-import-rejected",
    ),
    pytest.param(
        ["constraint=expression", 'constraint.expression="income / 0 > 1"'],
        "so no row can break it. Tighten the rule so that some rows break it. The "
        "expression also meets a floating-point fault on the rows drawn (divide by "
        "zero encountered in divide)",
        id="expression-division-by-zero",
    ),
    pytest.param(
        ["constraint=expression", 'constraint.expression="income.real >= 1"'],
        "'income.real' is not part of the expression language",
        id="expression-attribute-rejected",
    ),
    pytest.param(
        ["model._target_=sklearn.linear_model.NoSuchModel"],
        "model._target_ is 'sklearn.linear_model.NoSuchModel', which cannot be "
        "imported",
        id="unknown-model-class",
    ),
    pytest.param(
        ["+generator.tests={heldout: heldout.csv}"],
        "generator.tests applies to a table read from a file, but this run "
        "generates a synthetic table. Add generator=file to read your own table, "
        "or remove generator.tests.",
        id="file-key-on-synthetic-table",
    ),
    pytest.param(
        ["verifier.learned=1.5"],
        "verifier.learned is 1.5; it must lie in (0, 1].",
        id="threshold-out-of-range",
    ),
    pytest.param(
        ["generator=file", "generator.train=missing.csv", "generator.label=y"],
        "generator.train is 'missing.csv', but",
        id="missing-file",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), CASES)
def test_bad_input_gives_one_line(fakegen, tmp_path, overrides, message):
    completed = fakegen(*overrides, "tracker=none")

    assert completed.returncode == 1
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    results = load_results(tmp_path / "run")
    assert results["status"] == "failed"
    assert message.split(" is ")[0] in results["error"]


def test_full_error_shows_traceback(fakegen):
    completed = fakegen(
        "generator.noise=0.7", "tracker=none", env={"HYDRA_FULL_ERROR": "1"}
    )

    assert completed.returncode == 1
    assert "Traceback" in completed.stderr
    assert "ConfigError: generator.noise is 0.7" in completed.stderr


def test_failed_rerun_keeps_completed_results(fakegen, tmp_path):
    small = ["generator.rows=500", "verifier.test_rows=200", "verifier.suite_rows=200"]
    assert fakegen(*small, "tracker=none").returncode == 0
    before = (tmp_path / "run" / "results.json").read_bytes()

    completed = fakegen(*small, "generator.noise=0.9", "tracker=none")

    assert completed.returncode == 1
    assert (tmp_path / "run" / "results.json").read_bytes() == before
    failed = load_results(tmp_path / "run").get("status")
    assert failed == "completed"
    assert completed.stderr.count("Kept the completed results.json") == 1
    failure = (tmp_path / "run" / "results.failed.json").read_text()
    assert '"status": "failed"' in failure


@contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """Hold the lock of ``folder``, as a command started in the same second would."""
    with open(folder / ".fakegen.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


def test_run_folder_in_use_rejected(fakegen, tmp_path):
    small = ["generator.rows=500", "verifier.test_rows=200", "verifier.suite_rows=200"]
    assert fakegen(*small, "tracker=none").returncode == 0
    before = (tmp_path / "run" / "results.json").read_bytes()

    with folder_locked(tmp_path / "run"):
        completed = fakegen(*small, "seed=1", "tracker=none")

    assert completed.returncode == 1
    message = (
        f"{tmp_path / 'run'} is in use by another fakegen run. Two commands "
        "share a folder when both start in the same second with the default "
        "hydra.run.dir, or when both are given the same one. Give each run its "
        "own folder with hydra.run.dir=PATH."
    )
    assert completed.stderr.strip().endswith(message), completed.stderr
    assert "Traceback" not in completed.stderr
    assert (tmp_path / "run" / "results.json").read_bytes() == before
    assert not (tmp_path / "run" / "results.failed.json").exists()


def test_sweep_folder_in_use_rejected(fakegen, tmp_path):
    (tmp_path / "sweep").mkdir()
    with folder_locked(tmp_path / "sweep"):
        completed = fakegen("-m", "generator.rows=500", "seed=0,1", "tracker=none")

    assert completed.returncode == 1
    message = (
        f"{tmp_path / 'sweep'} is in use by another fakegen sweep. Two commands "
        "share a folder when both start in the same second with the default "
        "hydra.sweep.dir, or when both are given the same one. Give each sweep "
        "its own folder with hydra.sweep.dir=PATH. No job of the sweep started."
    )
    assert completed.stderr.strip().endswith(message), completed.stderr
    assert "Traceback" not in completed.stderr
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == [".fakegen.lock"]


def test_bad_config_starts_no_wandb_run(fakegen, wandb_offline):
    completed = fakegen("generator.noise=0.7")

    assert completed.returncode == 1
    assert not list(wandb_offline.glob("wandb/offline-run-*"))


def test_library_warning_is_one_log_line(fakegen):
    completed = fakegen(
        "encoder.scaling=none",
        "model.max_iter=5",
        "generator.rows=500",
        "verifier.test_rows=200",
        "verifier.suite_rows=200",
        "tracker=none",
    )

    assert completed.returncode == 0, completed.stderr
    lines = [
        line for line in completed.stderr.splitlines() if "ConvergenceWarning" in line
    ]
    assert lines
    assert all(
        "[py.warnings][WARNING] - ConvergenceWarning: " in line for line in lines
    )
    assert "warnings.warn(" not in completed.stderr


@pytest.mark.parametrize(
    ("mode", "key"), [([], "hydra.run.dir"), (["-m"], "hydra.sweep.dir")]
)
def test_output_folder_under_a_file_gives_one_line(tmp_path, mode, key):
    blocking = tmp_path / "notes.txt"
    blocking.write_text("kept\n")
    folder = blocking / "run"

    completed = run_command(
        [*mode, f"{key}={folder}", "tracker=none", "generator.rows=500"],
        cwd=tmp_path,
    )

    assert completed.returncode == 1
    message = (
        f"{key} is {str(folder)!r}, but {blocking} is a file; choose a folder "
        f"you can write to, such as {key}="
    )
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert blocking.read_text() == "kept\n"


def test_unwritable_run_folder_fails_before_work(tmp_path, immutable_folder):
    completed = run_command(
        [f"hydra.run.dir={immutable_folder}", "tracker=none"], cwd=tmp_path
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    message = (
        f"hydra.run.dir is {str(immutable_folder)!r}, which cannot be created or "
        "written (Operation not permitted); choose a folder you can write to"
    )
    assert message in completed.stderr
    assert "Generated rows" not in completed.stderr


def run_rows_with_address_limit(tmp_path, rows: int) -> subprocess.CompletedProcess:
    """Run fakegen on ``rows`` rows with the address-space limit of conftest."""
    args = [FAKEGEN, f"generator.rows={rows}", "tracker=none"]
    return run_with_address_limit(
        [*args, f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path
    )


def test_table_beyond_address_limit_rejected(tmp_path):
    completed = run_rows_with_address_limit(tmp_path, 200_000_000)

    assert completed.returncode == 1
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert (
        "generator.rows is 200000000; a table of 13 columns needs up to " in (errors[0])
    )
    assert "GiB of memory is available to this process." in errors[0]
    assert "Generated rows" not in completed.stderr


def test_out_of_memory_gives_one_line(tmp_path):
    # The table alone fits in what the limit leaves, its copies do not.
    completed = run_rows_with_address_limit(tmp_path, 15_000_000)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert (
        "Run applicant-logreg-seed0 ran out of memory (Unable to allocate"
        in (errors[0])
    )
    assert load_results(tmp_path / "run")["error"].startswith("MemoryError: ")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_interrupted_run_exits_without_traceback(tmp_path, stop):
    # The run has started generating once cli.log exists.
    command = [str(FAKEGEN), "generator.rows=2000000", "tracker=none"]
    completed = interrupt_once(
        [*command, f"hydra.run.dir={tmp_path}"],
        cwd=tmp_path,
        started=tmp_path / "cli.log",
        stop=stop,
        settle=1.0,
    )
    stderr = completed.stderr

    # The shell's convention: 128 plus the signal's number, 130 or 143.
    assert completed.returncode == 128 + stop, stderr
    assert (
        "Interrupted; finished runs keep their results.json, and fakegen-report "
        "lists the runs cut short" in stderr
    )
    assert "Traceback" not in stderr
    assert load_results(tmp_path)["status"] == "failed"
    expected = "KeyboardInterrupt" if stop == signal.SIGINT else "Terminated"
    assert load_results(tmp_path)["error"] == expected
