"""Heatmap of verdict scores (or test accuracy), constraint by model, for one sweep."""

from __future__ import annotations

import re
import textwrap
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

# Overrides that may differ within a cell: the seed is what a cell averages
# over, and resume=true only skips runs that completed before.
POOLED_OVERRIDES = frozenset({"seed", "resume"})

# Beyond this many model columns the figure is unreadable, so the cells pool
# the differing overrides instead and the caption names them.
MAX_MODEL_COLUMNS = 16

# Separator between two overrides of a summary's ``overrides`` text: spaces
# followed by ``~``, or by an optional ``+``/``++`` prefix, a key and ``=``.
OVERRIDE_START = re.compile(r"\s+(?=~|\+*[\w./@-]+=)")


def score_grid(
    runs: pd.DataFrame, *, values: str = "score", max_columns: int = MAX_MODEL_COLUMNS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pivot runs into the mean of ``values``, completed and failed counts per cell.

    Rows are constraint presets and columns model presets, split by the
    overrides that differ within a cell (see `model_columns`); runs without a
    constraint or model choice (unreadable results) are left out.
    """
    labels, _ = model_columns(runs, max_columns=max_columns)
    known = runs.assign(heatmap_column=labels)[_named(runs)]
    completed = known[known["status"] == "completed"]
    index = sorted(known["constraint"].unique())
    columns = sorted(known["heatmap_column"].unique(), key=_label_key)

    def pivot(frame: pd.DataFrame, values: str, how: str) -> pd.DataFrame:
        table = frame.pivot_table(
            index="constraint", columns="heatmap_column", values=values, aggfunc=how
        )
        table.columns.name = "model"
        return table.reindex(index=index, columns=columns)

    scores = pivot(completed, values, "mean")
    done = pivot(completed.assign(one=1), "one", "sum").fillna(0).astype(int)
    failed_runs = known[known["status"] != "completed"].assign(one=1)
    failed = pivot(failed_runs, "one", "sum").fillna(0).astype(int)
    return scores, done, failed


def _named(runs: pd.DataFrame) -> pd.Series:
    """Return a mask of the runs that name both a constraint and a model preset."""
    return (runs["constraint"].fillna("") != "") & (runs["model"].fillna("") != "")


def parse_overrides(text: str) -> dict[str, str]:
    """Return the value of each override key in a summary's ``overrides`` text.

    A ``+`` or ``++`` prefix is dropped from the key. A deletion (``~key``)
    keeps its ``~`` and has an empty value.
    """
    # NOTE: a quoted value that contains a space followed by "key=" is cut in
    # two there, because the summary joins the overrides with spaces.
    settings = {}
    for override in OVERRIDE_START.split(text.strip()) if text.strip() else []:
        key, _, value = override.partition("=")
        settings[key.lstrip("+")] = value
    return settings


def differing_overrides(
    runs: pd.DataFrame, *, axis: frozenset[str] = frozenset()
) -> list[str]:
    """Return the override keys whose values differ among a cell's completed runs.

    A cell is one constraint and model preset. The seed and ``resume`` do not
    count, because a cell averages over seeds, and neither do the ``axis``
    keys, which a figure draws along an axis, such as ``generator.rows``.
    """
    if "overrides" not in runs:
        return []
    completed = runs[_named(runs) & (runs["status"] == "completed")]
    settings = completed["overrides"].fillna("").astype(str).map(parse_overrides)
    differing: set[str] = set()
    for _, cell in settings.groupby([completed["constraint"], completed["model"]]):
        keys = set().union(*cell) - POOLED_OVERRIDES - axis
        differing |= {key for key in keys if len({s.get(key) for s in cell}) > 1}
    return sorted(differing)


def model_columns(
    runs: pd.DataFrame,
    *,
    max_columns: int = MAX_MODEL_COLUMNS,
    axis: frozenset[str] = frozenset(),
) -> tuple[pd.Series, list[str]]:
    """Label each run's heatmap column: its model and the overrides that differ.

    Runs of one constraint and model that differ in an override other than
    the seed, such as ``model.max_depth=1,3``, go to separate columns
    (``tree max_depth=1``, ``tree max_depth=3``), so a cell averages seeds
    only. When that makes more than ``max_columns`` columns, each model keeps
    one column. The ``axis`` keys never split, as in `differing_overrides`.

    Returns
    -------
    labels : pandas.Series
        The column label of each run.
    pooled : list of str
        The differing override keys that the cells pool, empty unless the
        columns were not split.
    """
    keys = differing_overrides(runs, axis=axis)
    models = runs["model"].fillna("").astype(str)
    if not keys:
        return models, []
    settings = runs["overrides"].fillna("").astype(str).map(parse_overrides)
    names = _short_names(keys)
    labels = models + settings.map(
        lambda values: "".join(
            f" {names[key]}={_short_value(values[key])}"
            for key in keys
            if key in values
        )
    )
    if labels[_named(runs)].nunique() > max_columns:
        return models, keys
    return labels, []


def _short_value(value: str) -> str:
    """Shorten a float such as Optuna's 0.25041234 to four significant digits."""
    try:
        number = float(value)
    except ValueError:
        return value
    return value if value.lstrip("-").isdigit() else f"{number:.4g}"


def _short_names(keys: list[str]) -> dict[str, str]:
    """Name each key by its last part, such as ``max_depth``, unless keys share it."""
    last = {key: key.rsplit(".", 1)[-1] for key in keys}
    shared = {name for name in last.values() if list(last.values()).count(name) > 1}
    return {key: key if name in shared else name for key, name in last.items()}


def _label_key(label: str) -> tuple[tuple[int, float, str], ...]:
    # Sort numbers by value, so max_depth=10 comes after max_depth=3.
    parts = re.split(r"(\d+(?:\.\d+)?)", label)
    return tuple(
        (0, float(part), "") if i % 2 else (1, 0.0, part)
        for i, part in enumerate(parts)
    )


def plot_heatmap(runs: pd.DataFrame, path: Path) -> Path:
    """Draw the mean verdict score of each constraint and model to ``path``.

    A cell shows the score averaged over its completed runs and, when some of
    its runs did not complete, how many. A cell with no completed run is grey.
    Runs that differ in an override other than the seed get separate model
    columns, or, when those would be too many, the caption names the overrides
    that the cells pool. When no completed run has a verdict, the cells show
    the mean test accuracy instead and the title names it.
    """
    values, title = shown_value(runs)
    scores, done, failed = score_grid(runs, values=values)
    _, pooled = model_columns(runs)
    texts = cell_texts(scores, done, failed)
    n_rows, n_columns = scores.shape
    if scores.empty:
        return _plot_empty(path)
    # A split column names its overrides on lines of their own under the model.
    tick_labels = [str(label).replace(" ", "\n") for label in scores.columns]
    lines = max(label.count("\n") + 1 for label in tick_labels)
    figure, axes = plt.subplots(
        figsize=(
            max(5.0, 2.2 + 1.3 * n_columns),
            1.8 + 0.55 * max(n_rows, 1) + 0.15 * lines,
        )
    )
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="lightgrey")
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
    if lines > 1:
        axes.set_xticks(range(n_columns), labels=tick_labels, fontsize=8)
    else:
        axes.set_xticks(range(n_columns), labels=tick_labels, rotation=30, ha="right")
    axes.set_yticks(range(n_rows), labels=list(scores.index))
    axes.set_xlabel("model")
    axes.set_ylabel("constraint")
    # About 12 characters of 9-point text fit in an inch of the figure.
    subtitle = textwrap.fill(
        runs_per_cell(done, pooled=pooled), int(figure.get_figwidth() * 12)
    )
    axes.set_title(f"{title}\n{subtitle}", fontsize=9)
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


def runs_per_cell(done: pd.DataFrame, *, pooled: list[str] | None = None) -> str:
    """Return the subtitle: the largest completed count of a cell, and what it pools.

    ``pooled`` lists the override keys whose different values a cell averages
    over besides the seed.
    """
    count = int(done.to_numpy().max()) if done.size else 0
    if not count:
        return "(no run completed)"
    text = f"up to {count} completed {'run' if count == 1 else 'runs'} per cell"
    if pooled:
        text += f", pooling several values of {', '.join(pooled)}"
    return f"({text})"


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
    # Failed, missing and unreadable runs alike did not complete.
    note = f"{failed} not completed"
    if not np.isnan(score):
        return f"{score:.2f}\n{note}" if failed else f"{score:.2f}"
    if not done:
        return note if failed else "no run"
    # The cell's runs completed but recorded nothing to average.
    return f"no verdicts\n{note}" if failed else "no verdicts"
