"""Heatmap of verdict scores (or test accuracy), constraint by model, for one sweep."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HEATMAP_PNG = "heatmap.png"

# Metric drawn when no completed run of the sweep has a verdict, as in sweeps over
# generator=file without verifier.constraints.
FALLBACK_METRIC = "test/accuracy"

SCORE_TITLE = "Mean verdict score: learned 1, partial 0.5, not_learned 0"
FALLBACK_TITLE = f"Mean {FALLBACK_METRIC}: no run of this sweep has verdicts"


def score_grid(
    runs: pd.DataFrame, *, values: str = "score"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pivot runs into the mean of ``values``, completed and failed counts per cell.

    Rows are constraint presets and columns model presets; runs without a
    constraint or model choice (unreadable results) are left out.
    """
    known = runs[
        (runs["constraint"].fillna("") != "") & (runs["model"].fillna("") != "")
    ]
    completed = known[known["status"] == "completed"]
    index = sorted(known["constraint"].unique())
    columns = sorted(known["model"].unique())

    def pivot(frame: pd.DataFrame, values: str, how: str) -> pd.DataFrame:
        table = frame.pivot_table(
            index="constraint", columns="model", values=values, aggfunc=how
        )
        return table.reindex(index=index, columns=columns)

    scores = pivot(completed, values, "mean")
    done = pivot(completed.assign(one=1), "one", "sum").fillna(0).astype(int)
    failed_runs = known[known["status"] != "completed"].assign(one=1)
    failed = pivot(failed_runs, "one", "sum").fillna(0).astype(int)
    return scores, done, failed


def plot_heatmap(runs: pd.DataFrame, path: Path) -> Path:
    """Draw the mean verdict score of each constraint and model to ``path``.

    A cell shows the score averaged over its completed runs and, when some of
    its runs did not complete, how many. A cell with no completed run is grey.
    When no completed run has a verdict, the cells show the mean test
    accuracy instead and the title names it.
    """
    values, title = shown_value(runs)
    scores, done, failed = score_grid(runs, values=values)
    texts = cell_texts(scores, done, failed)
    n_rows, n_columns = scores.shape
    if scores.empty:
        return _plot_empty(path)
    figure, axes = plt.subplots(
        figsize=(max(5.0, 2.2 + 1.3 * n_columns), 1.8 + 0.55 * max(n_rows, 1))
    )
    cmap = plt.get_cmap("RdYlGn").copy()
    cmap.set_bad("lightgrey")
    image = axes.imshow(
        np.ma.masked_invalid(scores.to_numpy(dtype=float)),
        cmap=cmap,
        vmin=0.0,
        vmax=1.0,
        aspect="auto",
    )
    for i in range(n_rows):
        for j in range(n_columns):
            axes.text(
                j,
                i,
                texts.iat[i, j],
                ha="center",
                va="center",
                fontsize=8,
            )
    axes.set_xticks(
        range(n_columns), labels=list(scores.columns), rotation=30, ha="right"
    )
    axes.set_yticks(range(n_rows), labels=list(scores.index))
    axes.set_xlabel("model")
    axes.set_ylabel("constraint")
    axes.set_title(f"{title}\n{runs_per_cell(done)}", fontsize=9)
    figure.colorbar(image, ax=axes, label="score" if values == "score" else values)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _plot_empty(path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(5.0, 1.5))
    axes.axis("off")
    axes.text(0.5, 0.5, "No run names a constraint and a model.", ha="center")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def shown_value(runs: pd.DataFrame) -> tuple[str, str]:
    """Return the column the heatmap's cells average and the figure's title.

    The verdict score when a completed run has one, else the mean test
    accuracy, since runs without declared constraints have no verdicts.
    """
    completed = runs[runs["status"] == "completed"]
    if completed["score"].notna().any() or FALLBACK_METRIC not in completed:
        return "score", SCORE_TITLE
    if completed[FALLBACK_METRIC].notna().any():
        return FALLBACK_METRIC, FALLBACK_TITLE
    return "score", SCORE_TITLE


def runs_per_cell(done: pd.DataFrame) -> str:
    """Return the subtitle that gives the largest completed count of a cell."""
    count = int(done.to_numpy().max()) if done.size else 0
    return f"(up to {count} completed {'run' if count == 1 else 'runs'} per cell)"


def cell_texts(
    scores: pd.DataFrame, done: pd.DataFrame, failed: pd.DataFrame
) -> pd.DataFrame:
    """Return each cell's text: its mean, "no verdicts" or "no run", and failures."""
    texts = scores.astype(object).copy()
    for i in range(scores.shape[0]):
        for j in range(scores.shape[1]):
            texts.iat[i, j] = _cell_text(
                scores.iat[i, j], done.iat[i, j], failed.iat[i, j]
            )
    return texts


def _cell_text(score: float, done: int, failed: int) -> str:
    if not np.isnan(score):
        return f"{score:.2f}\n{failed} failed" if failed else f"{score:.2f}"
    if not done:
        return f"{failed} failed" if failed else "no run"
    # The cell's runs completed but recorded nothing to average.
    return f"no verdicts\n{failed} failed" if failed else "no verdicts"
