"""PNG figures of a verification: suite scores, confusion matrix, decision regions.

Figures are drawn on ``matplotlib.figure.Figure`` objects and saved with the
Agg canvas, so no window opens and no global pyplot state changes. Margins
come from ``layout.fit_axes``, which measures the texts once, instead of
constrained layout, which draws each figure an extra time.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from fakegen.verifier.layout import fit_axes
from fakegen.verifier.options import VerifierOptions

log = logging.getLogger(__name__)

REGION_POINTS = 120
# A title at a fixed height skips matplotlib's search for tick labels above
# the axes, which measures every tick label again on each draw. No axes here
# has tick labels on top, and fit_axes lifts the title over a y offset text.
TITLE_Y = 1.0


def _make_axes(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fit_axes(figure, figure.axes[0])
    # zlib level 1 took about 30% less time than Pillow's default level 6 on
    # these figures and wrote files up to 7% larger.
    figure.savefig(path, format="png", dpi=100, pil_kwargs={"compress_level": 1})
    return path


def plot_suite_scores(
    rows: Sequence[dict[str, Any]], options: VerifierOptions, path: Path
) -> Path:
    """Draw each suite's score with its 95% Wilson interval and the thresholds."""
    labels = [f"{row['suite']} ({row['metric']})" for row in rows]
    scores = np.array([row["score"] for row in rows])
    errors = np.array(
        [
            [row["score"] - row["low"] for row in rows],
            [row["high"] - row["score"] for row in rows],
        ]
    )
    figure, axes = _make_axes((7, 0.4 * len(rows) + 1.5))
    positions = np.arange(len(rows))[::-1]
    axes.barh(positions, scores, xerr=errors, color="#4c72b0", capsize=3)
    axes.set_yticks(positions, labels)
    for threshold, style in ((options.learned, "--"), (options.partial, ":")):
        axes.axvline(threshold, color="black", linestyle=style, linewidth=1)
    axes.set_xlim(0, 1)
    axes.set_xlabel("score (bars: 95% Wilson interval; lines: verdict thresholds)")
    return _save(figure, path)


def plot_confusion(
    y_true: np.ndarray, y_pred: np.ndarray, path: Path, *, title: str
) -> Path:
    """Draw the confusion matrix of one suite: true labels down, predicted across."""
    labels = np.union1d(np.unique(y_true), np.unique(y_pred))
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    figure, axes = _make_axes((4, 3.5))
    draw_confusion(axes, matrix, labels)
    axes.set_title(title, y=TITLE_Y)
    return _save(figure, path)


def draw_confusion(axes: Axes, matrix: np.ndarray, labels: Sequence[Any]) -> None:
    """Draw ``matrix`` as coloured cells with their counts on ``axes``.

    The cells and colours follow scikit-learn's ``ConfusionMatrixDisplay``.
    That class is not used because it imports pyplot, which took about 10 ms
    on first use, inside the timed verify stage.
    """
    image = axes.imshow(matrix, interpolation="nearest", cmap="viridis")

    # Counts on dark cells take the colour map's brightest colour, and the
    # reverse, so every count stays readable.
    middle = (matrix.max() + matrix.min()) / 2
    dark, bright = image.cmap(0.0), image.cmap(1.0)
    for (i, j), count in np.ndenumerate(matrix):
        color = bright if count < middle else dark
        axes.text(j, i, f"{count:d}", ha="center", va="center", color=color)

    ticks = np.arange(len(labels))
    axes.set_xticks(ticks, [str(label) for label in labels])
    axes.set_yticks(ticks, [str(label) for label in labels])
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")


def plot_regions(
    model: Any,
    label_of: Any,
    base: pd.DataFrame,
    columns: tuple[str, str],
    limits: dict[str, tuple[float, float]],
    *,
    title: str,
    path: Path,
    base_description: str = "one test row",
) -> Path:
    """Draw the model's predicted regions over two columns and the true boundary.

    Every other column keeps the value it has in the one-row frame ``base``;
    ``base_description`` says in the title which row that is.
    """
    x_name, y_name = columns
    xs = np.linspace(*limits[x_name], REGION_POINTS)
    ys = np.linspace(*limits[y_name], REGION_POINTS)
    grid_x, grid_y = np.meshgrid(xs, ys)
    X = base.loc[base.index.repeat(grid_x.size)].reset_index(drop=True)
    X[x_name] = grid_x.ravel()
    X[y_name] = grid_y.ravel()
    predicted = np.asarray(model.predict(X)).reshape(grid_x.shape)
    truth = np.asarray(label_of(X)).reshape(grid_x.shape)

    figure, axes = _make_axes((5, 4))
    axes.contourf(
        grid_x,
        grid_y,
        predicted,
        levels=[-0.5, 0.5, 1.5],
        colors=["#dd8452", "#55a868"],
        alpha=0.6,
    )
    if truth.min() != truth.max():
        axes.contour(
            grid_x, grid_y, truth, levels=[0.5], colors="black", linewidths=1.5
        )
    axes.set_xlabel(x_name)
    axes.set_ylabel(y_name)
    # Wrap long texts: a 5-inch figure fits about 45 characters of the larger
    # title font per line, and about 53 of the key's. The key wraps at 48 to
    # leave room for wide glyphs.
    key = (
        "fill: predicted label (green 1); line: true boundary; other columns: "
        f"{base_description}"
    )
    axes.set_title(f"{textwrap.fill(title, 45)}\n{textwrap.fill(key, 48)}", y=TITLE_Y)
    return _save(figure, path)
