"""Heatmap of verdict scores, constraint type by model family, for one sweep."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HEATMAP_PNG = "heatmap.png"


def score_grid(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pivot runs into mean score, completed count and failed count per cell.

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

    scores = pivot(completed, "score", "mean")
    done = pivot(completed.assign(one=1), "one", "sum").fillna(0).astype(int)
    failed_runs = known[known["status"] != "completed"].assign(one=1)
    failed = pivot(failed_runs, "one", "sum").fillna(0).astype(int)
    return scores, done, failed


def plot_heatmap(runs: pd.DataFrame, path: Path) -> Path:
    """Draw the mean verdict score of each constraint and model to ``path``.

    A cell shows the score averaged over its completed runs and, when some of
    its runs did not complete, how many. A cell with no completed run is grey.
    """
    scores, done, failed = score_grid(runs)
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
                _cell_text(scores.iat[i, j], failed.iat[i, j]),
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
    runs_per_cell = int(done.to_numpy().max()) if done.size else 0
    axes.set_title(
        "Mean verdict score: learned 1, partial 0.5, not_learned 0\n"
        f"(up to {runs_per_cell} completed runs per cell)",
        fontsize=9,
    )
    figure.colorbar(image, ax=axes, label="score")
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


def _cell_text(score: float, failed: int) -> str:
    if np.isnan(score):
        return f"{failed} failed" if failed else "no run"
    return f"{score:.2f}\n{failed} failed" if failed else f"{score:.2f}"
