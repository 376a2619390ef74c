"""Learning curves over table size and accuracy against the noise ceiling."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fakegen.heatmap import model_columns  # noqa: E402
from fakegen.report import markdown_table  # noqa: E402

LEARNING_CURVES_PNG = "learning_curves.png"
NOISE_PNG = "noise.png"


# The override that each figure of this module draws along its x axis.
AXIS_OVERRIDES = {"rows": "generator.rows", "noise": "generator.noise"}


def _completed(runs: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Return the completed runs with an ``axis`` value, one model label each.

    Runs of a model that differ in another swept override, such as
    ``model.max_depth``, get labels of their own (``tree max_depth=3``), as
    in the heatmap, so that a curve averages seeds only.
    """
    if axis not in runs:
        return runs.iloc[0:0]
    labels, _ = model_columns(runs, axis=frozenset({AXIS_OVERRIDES[axis]}))
    done = runs.assign(model=labels)
    done = done[done["status"] == "completed"]
    return done[done[axis].notna()]


def varies(runs: pd.DataFrame, axis: str) -> bool:
    """Tell whether completed runs of the sweep take more than one ``axis`` value."""
    return _completed(runs, axis)[axis].nunique() > 1


def rows_to_learned(runs: pd.DataFrame) -> pd.DataFrame:
    """Return, per constraint and model, the fewest rows from which runs learn.

    A size is learned when the mean verdict score over its completed runs
    (seeds) is 1, that is when every constraint of every seed was
    ``learned``. The value is the smallest size from which every larger
    swept size is learned too, so a size that learned by chance below a
    size that did not does not count. It is missing when the largest size
    is not learned.
    """
    done = _completed(runs, "rows")
    means = done.groupby(["constraint", "model", "rows"])["score"].mean()
    rows = {}
    for cell, scores in means.groupby(level=["constraint", "model"]):
        learned = scores.droplevel(["constraint", "model"]).sort_index() >= 1.0
        # Sizes from the largest down, while they are all learned.
        streak = learned[::-1].cumprod().astype(bool)
        rows[cell] = streak[streak].index.min() if streak.any() else np.nan
    table = pd.Series(rows, name="rows to learned", dtype=float)
    table.index.names = ["constraint", "model"]
    return table.reset_index()


def plot_learning_curves(runs: pd.DataFrame, path: Path) -> Path:
    """Draw mean verdict score against rows, one panel per constraint."""
    done = _completed(runs, "rows")
    constraints = sorted(done["constraint"].unique())
    n_panels = len(constraints)
    n_columns = min(n_panels, 3)
    n_rows = int(np.ceil(n_panels / n_columns))
    figure, grid = plt.subplots(
        n_rows, n_columns, figsize=(4.2 * n_columns, 3.2 * n_rows), squeeze=False
    )
    for axes, constraint in zip(grid.flat, constraints, strict=False):
        subset = done[done["constraint"] == constraint]
        for model, points in subset.groupby("model"):
            curve = points.groupby("rows")["score"].mean()
            axes.plot(curve.index, curve.to_numpy(), marker="o", label=model)
        axes.set_xscale("log")
        sizes = sorted(subset["rows"].unique())
        axes.set_xticks(sizes, labels=[f"{int(size):,}" for size in sizes], fontsize=7)
        axes.minorticks_off()
        axes.set_ylim(-0.05, 1.05)
        axes.set_title(constraint, fontsize=10)
        axes.set_xlabel("rows")
        axes.set_ylabel("mean verdict score")
        axes.grid(alpha=0.3)
    for axes in list(grid.flat)[n_panels:]:
        axes.set_visible(False)
    grid.flat[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def noise_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Return rule agreement, accuracy and ceiling per noise level and model."""
    done = _completed(runs, "noise")
    metrics = [
        m
        for m in ("test/rule_agreement", "test/accuracy", "bayes/accuracy")
        if m in done
    ]
    table = done.groupby(["noise", "model"])[metrics].mean().reset_index()
    if {"test/accuracy", "bayes/accuracy"} <= set(table):
        table["gap to ceiling"] = table["bayes/accuracy"] - table["test/accuracy"]
    return table


def plot_noise(runs: pd.DataFrame, path: Path) -> Path:
    """Draw noisy-label accuracy against its ceiling, and rule agreement, per model.

    The ceiling 1 - noise bounds accuracy on the noisy labels only. Rule
    agreement is scored on the noise-free labels, so its ceiling is 1.
    """
    table = noise_table(runs)
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for index, (model, points) in enumerate(table.groupby("model")):
        color = f"C{index}"
        axes.plot(
            points["noise"],
            points["test/rule_agreement"],
            marker="o",
            color=color,
            label=f"{model} rule agreement",
        )
        axes.plot(
            points["noise"],
            points["test/accuracy"],
            marker=".",
            linestyle=":",
            color=color,
            label=f"{model} accuracy",
        )
    ceiling = table.groupby("noise")["bayes/accuracy"].mean()
    axes.plot(
        ceiling.index,
        ceiling.to_numpy(),
        color="black",
        linestyle="--",
        label="ceiling of accuracy (1 - noise)",
    )
    axes.set_xlabel("label noise (share of labels flipped)")
    axes.set_ylabel("score on the test set")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def learning_section(runs: pd.DataFrame) -> str:
    """Return the Markdown section on rows needed to reach learned."""
    table = rows_to_learned(runs)
    return "\n".join(
        [
            "## Rows needed to reach learned",
            "",
            "The fewest rows from which every swept size, that one and all larger "
            "ones, had every constraint of every seed `learned`; blank where the "
            "largest size did not. Curves: "
            f"[{LEARNING_CURVES_PNG}]({LEARNING_CURVES_PNG}).",
            "",
            markdown_table(table),
        ]
    )


def noise_section(runs: pd.DataFrame) -> str:
    """Return the Markdown section on accuracy against the noise ceiling."""
    return "\n".join(
        [
            "## Accuracy against the noise ceiling, and rule agreement",
            "",
            "Accuracy scores predictions against the noisy labels, and rule "
            "agreement against the noise-free ones. The ceiling 1 - noise is the "
            "expected accuracy of the Bayes-optimal rule on noisy labels, so it "
            "bounds accuracy only; rule agreement can reach 1 at any noise level. "
            "A finite test set can beat the ceiling by sampling error, so `gap to "
            "ceiling` (ceiling minus accuracy) is signed and can be negative. "
            f"Figure: [{NOISE_PNG}]({NOISE_PNG}).",
            "",
            markdown_table(noise_table(runs)),
        ]
    )
