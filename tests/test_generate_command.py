"""The real commands end to end: fakegen-generate, every preset, bad sets."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import interrupt_once, load_results, run_with_address_limit
from fakegen import export

PRESETS = sorted(
    p.stem
    for p in (Path(__file__).parents[1] / "conf/constraint").glob("*.yaml")
    # The none preset declares no constraint; it serves generator=file only.
    if p.stem != "none"
)
GENERATE = Path(sys.executable).with_name("fakegen-generate")


def generate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GENERATE), *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_parquet_in_chunks(tmp_path):
    completed = generate(
        "generator.rows=2500", "chunk_rows=1000", "output=out/t.parquet", cwd=tmp_path
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    table = pq.read_table(tmp_path / "out/t.parquet").to_pandas()
    assert len(table) == 2500
    assert table.columns[-1] == "label"
    assert isinstance(table["city"].dtype, pd.CategoricalDtype)
    assert pq.ParquetFile(tmp_path / "out/t.parquet").metadata.num_row_groups == 3
    assert "Wrote rows=2500" in completed.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "out"]


def test_generate_same_seed_same_bytes(tmp_path):
    for name in ("a.parquet", "b.parquet"):
        completed = generate("generator.rows=1500", f"output={name}", cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
    other = generate("generator.rows=1500", "seed=1", "output=c.parquet", cwd=tmp_path)
    assert other.returncode == 0, other.stderr

    assert digest(tmp_path / "a.parquet") == digest(tmp_path / "b.parquet")
    assert digest(tmp_path / "a.parquet") != digest(tmp_path / "c.parquet")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_generate_interrupted_keeps_earlier_file(tmp_path, stop):
    earlier = tmp_path / "t.csv"
    earlier.write_text("kept\n", encoding="utf-8")
    # Chunks are being written once the partial file exists.
    completed = interrupt_once(
        [str(GENERATE), "generator.rows=100000000", "chunk_rows=20000", "output=t.csv"],
        cwd=tmp_path,
        started=lambda pid: tmp_path / f".t.csv.{pid}.partial",
        stop=stop,
    )
    stderr = completed.stderr

    assert completed.returncode == 128 + stop, stderr
    assert "Interrupted; a table cut short is removed" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.glob(".t.csv.*.partial")) == []
    assert earlier.read_text(encoding="utf-8") == "kept\n"


def test_generate_two_writers_leave_whole_file(tmp_path):
    # Both commands write the same path at once. Each renames its own complete
    # file, so the survivor is one whole table, whichever finishes last.
    commands = [
        [str(GENERATE), "generator.rows=300000", f"seed={seed}", "output=t.parquet"]
        for seed in (1, 2)
    ]
    processes = [
        subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for command in commands
    ]
    codes = [process.wait(timeout=300) for process in processes]

    assert codes == [0, 0]
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.num_rows == 300000
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_generate_csv_with_clean_label(tmp_path):
    completed = generate(
        "constraint=xor",
        "generator.rows=1000",
        "generator.noise=0.1",
        "clean_label=true",
        "output=t.csv",
        cwd=tmp_path,
    )

    assert completed.returncode == 0, completed.stderr
    table = pd.read_csv(tmp_path / "t.csv")
    assert list(table.columns[-2:]) == ["label", "label_clean"]
    assert table["label_clean"].mean() == 0.5
    assert 0.05 < (table["label"] != table["label_clean"]).mean() < 0.15
    parity = table["age"].ge(44) ^ table["income"].ge(36000)
    np.testing.assert_array_equal(parity.to_numpy(), table["label_clean"] == 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["output=t.txt"],
            "output is 't.txt'; end the file name with .csv or .parquet",
        ),
        (
            ["+generator.row=5000"],
            "generator.row is not a known key. Did you mean generator.rows?",
        ),
        (
            ["+output_path=foo.csv"],
            "output_path is not a known key. Did you mean output?",
        ),
        (
            ["output="],
            "output is ''; give a file path that ends with .csv or .parquet, such "
            "as output=table.parquet.",
        ),
        (
            ["chunk_rows=1"],
            "chunk_rows is 1; give an integer of 1000 or more. Each chunk is one "
            "write, and in a Parquet file one row group",
        ),
        (
            [
                "constraint=range",
                "constraint.constraints.working_age.low=70",
                "constraint.constraints.working_age.high=60",
            ],
            "constraint.constraints.working_age has low=70 and high=60, an empty "
            "range: no row can satisfy constraint 'working_age'.",
        ),
        (
            ["+generator.tests={heldout: heldout.csv}"],
            "generator.tests applies to a table read from a file, and "
            "fakegen-generate writes synthetic tables only. Remove generator.tests.",
        ),
        (
            ["generator.kind=file"],
            "generator.kind is 'file'; fakegen-generate writes synthetic tables only.",
        ),
    ],
    ids=[
        "unknown-format",
        "generator-typo",
        "top-level-typo",
        "empty-output",
        "tiny-chunk",
        "empty-range",
        "file-key",
        "file-kind",
    ],
)
def test_generate_bad_input_one_line(tmp_path, args, message):
    completed = generate(*args, cwd=tmp_path)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert message in errors[0]
    assert list(tmp_path.iterdir()) == []


def test_generate_unwritable_folder_one_line(tmp_path, immutable_folder):
    completed = generate(
        "generator.rows=100", f"output={immutable_folder / 't.csv'}", cwd=tmp_path
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    message = (
        f"output is {str(immutable_folder / 't.csv')!r}, but writing it failed "
        "(Operation not permitted: "
    )
    assert message in errors[0]
    assert list(immutable_folder.iterdir()) == []


def test_generate_output_under_file_one_line(tmp_path):
    (tmp_path / "f").write_text("kept")
    completed = generate("generator.rows=100", "output=f/z.csv", cwd=tmp_path)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    message = (
        "output is 'f/z.csv', but 'f' is a file, not a folder; choose an output "
        "path under a folder, or move the file away."
    )
    assert re.search(re.escape(message), errors[0])
    assert (tmp_path / "f").read_text() == "kept"


def test_generate_output_folder_one_line(tmp_path):
    (tmp_path / "d.csv").mkdir()
    completed = generate("generator.rows=100", "output=d.csv", cwd=tmp_path)

    assert completed.returncode == 1
    message = (
        "output is 'd.csv', which is a folder; give a file path inside it, such "
        "as output=d.csv/table.parquet."
    )
    assert re.search(re.escape(message), completed.stderr)
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("argument", ["model=tree", "+encoder.cv=3"])
def test_generate_rejects_group_of_fakegen(tmp_path, argument):
    completed = generate(argument, cwd=tmp_path)

    assert completed.returncode == 1
    group = argument.lstrip("+").split("=")[0].split(".")[0]
    assert completed.stderr.splitlines() == [
        f"[ERROR] {argument} sets the {group} group, which only the fakegen "
        "command reads; fakegen-generate reads constraint and generator. Remove it."
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "arguments",
    [
        ["generator=file", "generator.train=train.csv", "generator.label=y"],
        ["generator=file", "generator.rows=1000"],
    ],
    ids=["file-keys", "synthetic-keys"],
)
def test_generate_rejects_file_generator(tmp_path, arguments):
    completed = generate(*arguments, "output=t.csv", cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "[ERROR] generator=file reads a table from a file, and fakegen-generate "
        "writes synthetic tables only. Choose a synthetic generator, such as "
        "generator=applicant."
    ]
    assert list(tmp_path.iterdir()) == []


def test_generate_help_names_command(tmp_path):
    completed = generate("--help", cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    first = completed.stdout.splitlines()[0]
    assert first.startswith("fakegen-generate writes a synthetic table")
    assert "powered by Hydra" not in completed.stdout
    assert (
        "fakegen-generate reads the constraint and generator groups (group=option)"
        in completed.stdout
    )
    assert "generator: applicant, file" in completed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["constraint=expression", "constraint.expression='age >= 0'"],
            "constraint.constraints.custom.expression is 'age >= 0', which holds "
            "on every one of 20000 rows drawn from the column samplers, so no row "
            "can break it. Tighten the rule so that some rows break it.",
        ),
        (
            ["constraint=expression", "constraint.expression='exp(income) > 1'"],
            "constraint.constraints.custom.expression is 'exp(income) > 1', which "
            "holds on every one of 20000 rows drawn",
        ),
        (
            ["constraint=expression", "constraint.expression='age > 30 and age < 30'"],
            "constraint.constraints.custom.expression is 'age > 30 and age < 30', "
            "which holds on none of 20000 rows drawn from the column samplers, so "
            "no row can satisfy it. Loosen the rule, or widen the ranges of the "
            "columns it uses.",
        ),
        (
            ["constraint=expression", "constraint.expression=\"city in ['Atlantis']\""],
            "constraint.constraints.custom.expression is \"city in ['Atlantis']\": "
            "column 'city' never takes the value 'Atlantis'; its values are "
            "Berlin, Lisbon, Madrid, Paris, Rome, Vienna, Warsaw, Oslo. Use one "
            "of them.",
        ),
        (
            [
                "constraint=expression",
                "constraint.expression=\"city in ['Berlin', 3]\"",
            ],
            "the list ['Berlin', 3] contains 3, which is not a literal value as 'city' "
            "is; use only literal constants in the list.",
        ),
        (
            ["constraint.label_rule='working_age or nope'"],
            "constraint.label_rule is 'working_age or nope': unknown column "
            "'working_age'",
        ),
        (
            ["constraint.label_rule='age > 200'"],
            "constraint.label_rule is 'age > 200', which holds on none of 20000 rows",
        ),
        (
            [
                "constraint=implication",
                "constraint.constraints.young_students.then='age >= 0'",
            ],
            "constraint.constraints.young_students is \"if employment == 'student' "
            'then age >= 0", which holds on every one of 20000 rows',
        ),
    ],
    ids=[
        "always-true",
        "overflow",
        "never-true",
        "unknown-literal",
        "mixed-list",
        "label-rule-key",
        "label-rule-never-true",
        "implication-always-true",
    ],
)
def test_fakegen_one_sided_rule_one_line(fakegen, tmp_path, args, message):
    completed = fakegen("tracker=none", "generator.rows=2000", *args)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1
    assert re.search(re.escape(message), errors[0])
    assert "Could not generate" not in completed.stderr


def test_fakegen_contradictory_set_exits_one(fakegen, tmp_path):
    completed = fakegen(
        "tracker=none",
        "+constraint.constraints.old.type=range",
        "+constraint.constraints.old.column=age",
        "+constraint.constraints.old.low=70",
        "+constraint.constraints.old.high=80",
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = [line for line in completed.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1
    assert (
        "The constraints 'working_age' (18 <= age <= 67), 'old' (70 <= age <= 80) "
        "on column 'age' cannot all hold on one row" in errors[0]
    )
    assert completed.stdout == ""
    assert load_results(tmp_path / "run")["status"] == "failed"


@pytest.mark.slow
def test_xor_tree_learns_logreg_does_not(fakegen, tmp_path):
    small = ["tracker=none", "constraint=xor", "generator.rows=4000"]
    small += ["verifier.test_rows=1000", "verifier.suite_rows=600"]
    logreg = fakegen(*small)
    assert logreg.returncode == 0, logreg.stderr
    logreg_results = load_results(tmp_path / "run")
    tree = fakegen(*small, "model=tree")
    assert tree.returncode == 0, tree.stderr
    tree_results = load_results(tmp_path / "run")

    assert logreg_results["verdicts"] == {"age_xor_income": "not_learned"}
    assert tree_results["verdicts"] == {"age_xor_income": "learned"}
    assert logreg_results["metrics"]["suite/age_xor_income/accuracy"] < 0.7
    assert tree_results["metrics"]["suite/age_xor_income/accuracy"] > 0.95


@pytest.mark.slow
def test_fakegen_runs_every_preset(fakegen, tmp_path):
    completed = fakegen(
        "-m",
        f"constraint={','.join(PRESETS)}",
        "tracker=none",
        "generator.rows=1000",
        "verifier.test_rows=200",
        "verifier.suite_rows=200",
    )

    assert completed.returncode == 0, completed.stderr
    runs = sorted((tmp_path / "sweep").glob("*/results.json"))
    assert len(runs) == len(PRESETS)
    for path in runs:
        results = load_results(path.parent)
        assert results["status"] == "completed", results.get("error")
        assert results["dataset"]["rows"] == 1000
        assert results["verdicts"]


def test_write_table_reports_progress_within_csv_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CSV_SLICE_ROWS", 400)
    rng = np.random.default_rng(0)
    chunks = [
        pd.DataFrame({"x": rng.normal(size=1000), "label": rng.integers(0, 2, 1000)}),
        pd.DataFrame({"x": rng.normal(size=300), "label": rng.integers(0, 2, 300)}),
    ]
    seen = []

    written = export.write_table(iter(chunks), tmp_path / "t.csv", on_rows=seen.append)

    assert written == 1300
    assert seen == [400, 800, 1000, 1300]
    whole = pd.concat(chunks, ignore_index=True).to_csv(index=False)
    assert (tmp_path / "t.csv").read_text() == whole


def test_generate_rejects_sweep(tmp_path):
    completed = generate("-m", "seed=0,1", "output=e.csv", cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "[ERROR] -m starts a sweep, whose jobs would all write the same output "
        "file; run fakegen-generate once per table, each with its own "
        "output=PATH."
    ]
    assert list(tmp_path.iterdir()) == []


def test_generate_chunk_beyond_address_limit_rejected(tmp_path):
    # A 3 GB address space has room for the libraries, not a 100,000,000-row chunk.
    args = [GENERATE, "generator.rows=200000000", "chunk_rows=100000000"]

    completed = run_with_address_limit([*args, "output=big.parquet"], cwd=tmp_path)

    assert completed.returncode == 1
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert "chunk_rows is 100000000; a table of 14 columns needs up to " in errors[0]
    assert errors[0].endswith("Lower chunk_rows; the file can still hold every row.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_generate_table_beyond_free_disk_rejected(tmp_path, suffix):
    # No disk has room for 10**14 rows, and the first 1,000-row chunk shows that.
    completed = generate(
        "generator.rows=100000000000000",
        "chunk_rows=1000",
        f"output=big.{suffix}",
        cwd=tmp_path,
    )

    assert completed.returncode == 1
    errors = [line for line in completed.stderr.splitlines() if "[ERROR]" in line]
    assert len(errors) == 1
    assert f"output is 'big.{suffix}': the first 1000 rows took " in errors[0]
    assert errors[0].endswith(
        "Write to a disk with more room, or lower generator.rows."
    )
    assert "Traceback" not in completed.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [GENERATE, GENERATE.with_name("fakegen")])
def test_help_into_closed_pipe_without_traceback(tmp_path, command):
    # The reader closes the pipe before the command writes, as `| head` can.
    process = subprocess.Popen(
        [str(command), "--help"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)

    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("generator.nosie=1", "generator.nosie is not a known key. Did you mean "),
        ("sed=1", "sed is not a known key. Did you mean seed?"),
        (
            "constraint=xorr",
            "constraint=xorr names no option of the constraint group. Did you "
            "mean constraint=xor?",
        ),
        (
            "generator.columns.age.lo=3",
            "generator.columns.age.lo is not a key under generator=applicant. Did "
            "you mean generator.columns.age.low?",
        ),
    ],
    ids=["generator-key", "top-level-key", "option", "column-key"],
)
def test_generate_typo_gets_suggestion(tmp_path, argument, message):
    completed = generate(argument, cwd=tmp_path)

    assert completed.returncode == 1
    assert len(completed.stderr.splitlines()) == 1
    assert completed.stderr.startswith(f"[ERROR] {message}")
    assert list(tmp_path.iterdir()) == []
