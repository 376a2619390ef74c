"""End-to-end runs of the real ``fakegen`` command."""

from __future__ import annotations

from conftest import load_results


def test_default_run_writes_results(fakegen, tmp_path, wandb_offline):
    completed = fakegen("generator.rows=4000", "verifier.test_rows=1000", "verifier.suite_rows=600")

    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    assert results["status"] == "completed"
    assert results["dataset"]["rows"] == 4000
    assert len(results["dataset"]["fingerprint"]) == 64
    assert set(results["verdicts"]) == {
        "working_age",
        "income_floor",
        "served_city",
        "contract_order",
    }
    for name in results["verdicts"]:
        assert f"suite/{name}/accuracy" in results["metrics"]
    assert list((wandb_offline / "wandb").glob("offline-run-*"))
