"""The heatmap's cells: which runs share a cell, and the caption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakegen.heatmap import (
    MAX_MODEL_COLUMNS,
    cell_texts,
    model_columns,
    parse_overrides,
    plot_heatmap,
    runs_per_cell,
    score_grid,
)
from fakegen.report import collect_runs

DEPTH_COLUMNS = ["tree max_depth=1", "tree max_depth=3", "tree max_depth=null"]


def write_run(
    run_dir: Path,
    overrides: list[str],
    *,
    verdict: str = "learned",
    model: str = "tree",
    status: str = "completed",
) -> Path:
    """Write the results.json of a run of constraint ``range`` with ``overrides``."""
    (run_dir / ".hydra").mkdir(parents=True)
    results = {
        "status": status,
        "name": f"range-{model}-seed0",
        "choices": {"constraint": "range", "model": model},
        "config": {"seed": 0, "generator": {"rows": 100, "noise": 0.0}},
        "overrides": overrides,
        "metrics": {"test/accuracy": 0.9},
        "verdicts": {"working_age": verdict} if status == "completed" else {},
    }
    (run_dir / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return run_dir


@pytest.fixture
def depth_sweep(tmp_path) -> Path:
    """Write a sweep over model.max_depth=1,3,null and seed=0,1 of one tree."""
    verdicts = {"1": "not_learned", "3": "partial", "null": "learned"}
    number = 0
    for depth, verdict in verdicts.items():
        for seed in (0, 1):
            overrides = ["model=tree", f"model.max_depth={depth}", f"seed={seed}"]
            write_run(tmp_path / str(number), overrides, verdict=verdict)
            number += 1
    return tmp_path


def test_score_grid_splits_differing_override(depth_sweep):
    scores, done, failed = score_grid(collect_runs(depth_sweep))

    assert list(scores.columns) == DEPTH_COLUMNS
    assert scores.loc["range"].tolist() == [0.0, 0.5, 1.0]
    assert done.loc["range"].tolist() == [2, 2, 2]
    assert failed.loc["range"].tolist() == [0, 0, 0]
    assert runs_per_cell(done) == "(up to 2 completed runs per cell)"


def test_score_grid_sorts_numbers_by_value(tmp_path):
    for number, depth in enumerate([10, 3, 2.5]):
        write_run(tmp_path / str(number), [f"model.max_depth={depth}"])

    scores, _, _ = score_grid(collect_runs(tmp_path))

    assert list(scores.columns) == [
        "tree max_depth=2.5",
        "tree max_depth=3",
        "tree max_depth=10",
    ]


def test_score_grid_seed_and_resume_share_cell(tmp_path):
    write_run(tmp_path / "0", ["model=tree", "seed=0"], verdict="learned")
    write_run(
        tmp_path / "1", ["model=tree", "seed=1", "resume=true"], verdict="partial"
    )

    scores, done, _ = score_grid(collect_runs(tmp_path))

    assert list(scores.columns) == ["tree"]
    assert scores.loc["range", "tree"] == 0.75
    assert done.loc["range", "tree"] == 2


def test_score_grid_failed_runs_do_not_split(tmp_path):
    # The rejected noise never completes, so it hides no difference in a mean.
    write_run(tmp_path / "0", ["generator.noise=0.0"])
    write_run(tmp_path / "1", ["generator.noise=0.7"], status="failed")

    scores, done, failed = score_grid(collect_runs(tmp_path))

    assert list(scores.columns) == ["tree"]
    assert done.loc["range", "tree"] == 1
    assert failed.loc["range", "tree"] == 1


def test_score_grid_one_value_per_cell(tmp_path):
    # Each model's cell contains one max_depth, so no cell mixes two of them.
    write_run(tmp_path / "0", ["model=tree", "model.max_depth=2"], model="tree")
    write_run(tmp_path / "1", ["model=forest", "model.max_depth=5"], model="forest")

    scores, _, _ = score_grid(collect_runs(tmp_path))

    assert list(scores.columns) == ["forest", "tree"]


def test_model_columns_shared_name_uses_full_key(tmp_path):
    write_run(tmp_path / "0", ["model.random_state=1", "generator.random_state=1"])
    write_run(tmp_path / "1", ["model.random_state=2", "generator.random_state=1"])
    write_run(tmp_path / "2", ["model.random_state=2", "generator.random_state=2"])

    labels, pooled = model_columns(collect_runs(tmp_path))

    assert labels.tolist() == [
        "tree generator.random_state=1 model.random_state=1",
        "tree generator.random_state=1 model.random_state=2",
        "tree generator.random_state=2 model.random_state=2",
    ]
    assert pooled == []


def test_model_columns_shortens_floats(tmp_path):
    write_run(tmp_path / "0", ["model.learning_rate=0.25041234", "model.max_depth=3"])
    write_run(tmp_path / "1", ["model.learning_rate=0.1", "model.max_depth=10"])

    labels, _ = model_columns(collect_runs(tmp_path))

    assert labels.tolist() == [
        "tree learning_rate=0.2504 max_depth=3",
        "tree learning_rate=0.1 max_depth=10",
    ]


def test_plot_heatmap_split_columns_without_warnings(tmp_path, recwarn):
    for number, rate in enumerate(("0.25041234", "0.05123", "0.1")):
        overrides = [f"model.learning_rate={rate}", "model.max_depth=3"]
        write_run(tmp_path / str(number), overrides)

    path = plot_heatmap(collect_runs(tmp_path), tmp_path / "heatmap.png")

    assert path.stat().st_size > 0
    assert [str(w.message) for w in recwarn] == []


def test_model_columns_too_many_pools(depth_sweep):
    runs = collect_runs(depth_sweep)

    labels, pooled = model_columns(runs, max_columns=2)
    _, done, _ = score_grid(runs, max_columns=2)

    assert set(labels) == {"tree"}
    assert pooled == ["model.max_depth"]
    assert done.loc["range", "tree"] == 6
    assert runs_per_cell(done, pooled=pooled) == (
        "(up to 6 completed runs per cell, pooling several values of model.max_depth)"
    )


def test_model_columns_default_limit_pools(tmp_path):
    for depth in range(MAX_MODEL_COLUMNS + 1):
        write_run(tmp_path / str(depth), [f"model.max_depth={depth + 1}"])

    labels, pooled = model_columns(collect_runs(tmp_path))

    assert set(labels) == {"tree"}
    assert pooled == ["model.max_depth"]


def test_runs_per_cell_all_failed(tmp_path):
    write_run(tmp_path / "0", ["seed=0"], status="failed")
    write_run(tmp_path / "1", ["seed=1"], status="failed")

    scores, done, failed = score_grid(collect_runs(tmp_path))

    assert failed.loc["range", "tree"] == 2
    assert runs_per_cell(done) == "(no run completed)"


def test_runs_per_cell_one_run_is_singular(tmp_path):
    write_run(tmp_path / "0", ["seed=0"])

    _, done, _ = score_grid(collect_runs(tmp_path))

    assert runs_per_cell(done) == "(up to 1 completed run per cell)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        (
            "model=tree model.max_depth=null seed=1",
            {"model": "tree", "model.max_depth": "null", "seed": "1"},
        ),
        (
            "+model.foo=1 ++tracker.group=g ~generator.noise",
            {"model.foo": "1", "tracker.group": "g", "~generator.noise": ""},
        ),
        (
            "constraint.expression='age > 3 and income >= 2' seed=0",
            {"constraint.expression": "'age > 3 and income >= 2'", "seed": "0"},
        ),
        ("hydra/launcher=joblib", {"hydra/launcher": "joblib"}),
    ],
    ids=["empty", "plain", "prefixes", "quoted-spaces", "group-path"],
)
def test_parse_overrides_reads_keys_and_values(text, expected):
    assert parse_overrides(text) == expected


def test_cell_text_counts_runs_not_completed(tmp_path):
    write_run(tmp_path / "0", ["seed=0"])
    write_run(tmp_path / "1", ["seed=1"], status="failed")
    # A job folder with no results.json is missing, not failed.
    (tmp_path / "2" / ".hydra").mkdir(parents=True)
    runs = collect_runs(tmp_path)
    runs.loc[runs["run"] == "2", ["constraint", "model"]] = ["range", "tree"]

    scores, done, failed = score_grid(runs)

    assert cell_texts(scores, done, failed).loc["range", "tree"] == (
        "1.00\n2 not completed"
    )
