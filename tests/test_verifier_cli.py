"""The verifier inside real ``fakegen`` runs: results.json, figures, W&B, files."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from conftest import REPO, load_results
from fakegen.paths import config_dir
from fakegen.verifier import RESERVED_SUITES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = [
    "generator.rows=3000",
    "verifier.test_rows=1000",
    "verifier.suite_rows=600",
    "verifier.search_rows=40",
]

# An xor of two numeric columns, which gives the run a region figure.
XOR_EXPRESSION = (
    "constraint=expression",
    "constraint.expression='(age >= 40) != (income >= 40000)'",
)


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    image = imread(path)
    assert image.ndim == 3
    assert image.shape[0] > 100
    assert image.shape[1] > 100


@pytest.mark.slow
def test_run_writes_verdicts_boundaries_and_figures(fakegen, tmp_path, wandb_offline):
    completed = fakegen(*SMALL)

    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    names = {"working_age", "income_floor", "served_city", "contract_order"}
    assert set(results["verdicts"]) == names
    assert set(results["verdict_reasons"]) == names
    for name, verdict in results["verdicts"].items():
        assert results["verdict_reasons"][name].startswith(f"{verdict}: ")
    suites = {row["suite"] for row in results["suites"]}
    assert suites == names | set(RESERVED_SUITES)
    assert results["boundaries"]["income_floor"]["rule"] == "income >= 30000"
    assert "learned" in results["boundaries"]["income_floor"]["edges"]["value"]
    assert "income >= 30000" in completed.stdout
    assert {"train", "verify"} <= set(results["timings"])
    assert {"build", "predict", "score", "search", "figures"} == set(
        results["verification_timings"]
    )

    figures = results["figures"]
    assert set(figures) == {"suites", "confusion", "regions_contract_order"}
    for relative in figures.values():
        assert_png(tmp_path / "run" / relative)
    media = "offline-run-*/files/media/images/figures"
    logged = sorted(p.name for p in (wandb_offline / "wandb").glob(f"{media}/*.png"))
    assert [name.split("_1_")[0] for name in logged] == [
        "confusion",
        "regions_contract_order",
        "suites",
    ]


@pytest.mark.slow
def test_run_with_xor_expression_draws_regions(fakegen, tmp_path):
    completed = fakegen(
        *SMALL,
        "model=tree",
        *XOR_EXPRESSION,
        "tracker=none",
    )

    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    assert results["verdicts"] == {"custom": "learned"}
    assert results["boundaries"] == {}
    assert_png(tmp_path / "run" / results["figures"]["regions_custom"])


@pytest.mark.slow
def test_rerun_in_folder_removes_stale_region_figure(fakegen, tmp_path):
    assert fakegen(*SMALL, *XOR_EXPRESSION, "tracker=none").returncode == 0
    assert (tmp_path / "run" / "regions_custom.png").exists()

    completed = fakegen(*SMALL, "constraint=threshold", "tracker=none")

    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "run" / "regions_custom.png").exists()
    assert sorted(path.name for path in (tmp_path / "run").glob("*.png")) == [
        "confusion.png",
        "suites.png",
    ]


@pytest.mark.slow
def test_failed_rerun_keeps_completed_region_figure(fakegen, tmp_path):
    assert fakegen(*SMALL, *XOR_EXPRESSION, "tracker=none").returncode == 0

    failed = fakegen(*SMALL, "constraint=threshold", "objective=suite/nowhere/accuracy")

    assert failed.returncode == 1
    results = load_results(tmp_path / "run")
    assert results["status"] == "completed"
    assert (tmp_path / "run" / results["figures"]["regions_custom"]).exists()


@pytest.mark.slow
def test_label_rule_run_draws_only_rule_regions(fakegen, tmp_path):
    completed = fakegen(
        *SMALL,
        "constraint.label_rule='income >= 30000 and age < 60'",
        "tracker=none",
    )

    assert completed.returncode == 0, completed.stderr
    figures = load_results(tmp_path / "run")["figures"]
    assert set(figures) == {"suites", "confusion", "regions_label_rule"}


def test_run_rejects_reserved_constraint_name(fakegen, tmp_path):
    completed = fakegen(
        "constraint=threshold",
        "+constraint.constraints.invariance={type: threshold, column: age, "
        "op: '>=', value: 30}",
        "tracker=none",
    )

    assert completed.returncode == 1
    output = completed.stdout + completed.stderr
    assert (
        "constraint.constraints.invariance takes the name of the verifier's "
        "'invariance' test suite"
    ) in output
    assert "Traceback" not in output


def test_run_rejects_zero_suite_rows_with_reason(fakegen, tmp_path):
    completed = fakegen("verifier.suite_rows=0", "tracker=none")
    output = completed.stdout + completed.stderr
    message = (
        "verifier.suite_rows is 0; give an integer of 10 or more. Unlike the "
        "optional suites, it is never skipped: each constraint's verdict rests "
        "on its suite."
    )

    assert completed.returncode == 1
    assert re.search(re.escape(message), output), output
    assert "Traceback" not in output


def test_verifier_config_comment_names_unskippable_suites():
    comment = (config_dir() / "verifier" / "default.yaml").read_text(encoding="utf-8")

    assert "A suite with 0 rows is skipped, except test_rows and\n# suite_rows" in (
        comment
    )


@pytest.mark.slow
def test_file_run_checks_declared_constraints(fakegen, tmp_path):
    rng = np.random.default_rng(0)
    for name, rows in (("train", 1500), ("test", 400)):
        frame = pd.DataFrame(
            {"age": rng.integers(10, 60, rows), "score": rng.normal(0, 1, rows)}
        )
        frame["label"] = np.where(frame["age"] >= 18, "yes", "no")
        frame.to_csv(tmp_path / f"{name}.csv", index=False)

    completed = fakegen(
        "generator=file",
        "generator.train=train.csv",
        "+generator.tests.heldout=test.csv",
        "generator.label=label",
        "model=tree",
        "+verifier.constraints.adult={type: threshold, column: age, op: '>=', "
        "value: 18}",
        "tracker=none",
    )

    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    train = pd.read_csv(tmp_path / "train.csv")
    adult = results["file_constraints"]["adult"]
    tables = adult["tables"]
    assert tables["generator.train"]["breaking"] == int((train["age"] < 18).sum())
    assert tables["generator.tests.heldout"]["rows"] == 400
    assert results["metrics"]["suite/counterfactual/flipped"] >= 0.95
    assert_png(tmp_path / "run" / results["figures"]["suites"])
    n_breaking = tables["generator.train"]["breaking"]
    share = tables["generator.train"]["share"]
    assert "rows breaking verifier.constraints" in completed.stdout
    assert re.search(
        rf"adult +│ age >= 18 +│ +{n_breaking} \({share:.1%}\)", completed.stdout
    ), completed.stdout


def test_file_run_rejects_constraint_no_row_meets(fakegen, tmp_path):
    completed = fakegen(
        "+experiment=penguins",
        "+verifier.constraints.c={type: threshold, column: bill_length_mm, "
        "op: '>=', value: 400}",
        "tracker=none",
        cwd=REPO,
    )

    message = (
        "verifier.constraints.c is 'bill_length_mm >= 400', which holds on 0 of "
        "the 258 rows of generator.train, so every row breaks it, which usually "
        "means a mistaken rule. In generator.train, "
        "'bill_length_mm' spans [33.1, 59.6]. Fix the column, operator or value, "
        "or remove the constraint."
    )
    assert completed.returncode == 1
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert "Traceback" not in completed.stderr
    assert "Trained model" not in completed.stderr
    results = load_results(tmp_path / "run")
    assert results["status"] == "failed"
    assert results["error"] == f"InfeasibleError: {message}"


@pytest.mark.slow
def test_files_doc_example_counts_breaking_rows(fakegen, tmp_path):
    doc = (REPO / "docs" / "files.md").read_text(encoding="utf-8")
    command = re.search(r"```bash\n(.*?)```", doc, re.DOTALL).group(1)
    program, *overrides = shlex.split(command.replace("\\\n", " "))

    completed = fakegen(*overrides, "tracker=none", cwd=REPO)

    assert program == "fakegen"
    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    train = pd.read_csv(REPO / "tests" / "data" / "penguins" / "train.csv")
    train = train.dropna(subset=["species"])
    counts = results["file_constraints"]
    long_bill = counts["long_bill"]["tables"]["generator.train"]
    islands = counts["islands"]["tables"]["generator.train"]
    assert long_bill["breaking"] == int((~(train["bill_length_mm"] >= 40)).sum())
    assert islands["breaking"] == int(
        (~train["island"].isin(["Dream", "Torgersen"])).sum()
    )
    assert results["suites"][-1]["suite"] == "counterfactual"
    assert set(results["suites"][-1]["by_constraint"]) == {"long_bill", "islands"}
