"""Fixed figure margins computed from the sizes of an axes' texts.

matplotlib's constrained layout finds the same margins, but it draws the
whole figure once more before saving and measures every artist twice, which
costs more than the rest of a small figure. These figures have one axes and
known texts, so measuring the tick labels, axis labels and title is enough.
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text

# Space between the outermost text and the figure's edge, in inches; about
# constrained layout's default pad of 3/72 inch.
EDGE_PAD = 0.05
POINTS_PER_INCH = 72.0


def fit_axes(figure: Figure, axes: Axes) -> None:
    """Move ``axes`` so that its ticks, labels and title fit inside ``figure``.

    Call it after every text of ``axes`` is set. The tick labels are measured
    at the axes' current size; a numeric axis may pick a different set of
    ticks once the axes has moved, so the widest label is an estimate there.
    """
    renderer = figure.canvas.get_renderer()
    x_ticks = _tick_label_sizes(axes.xaxis, renderer)
    y_ticks = _tick_label_sizes(axes.yaxis, renderer)

    left = _tick_reach("y") + max((w for w, _ in y_ticks), default=0.0)
    left += _label_reach(axes.yaxis.label, renderer, axes.yaxis.labelpad, "width")
    bottom = _tick_reach("x") + max((h for _, h in x_ticks), default=0.0)
    bottom += _label_reach(axes.xaxis.label, renderer, axes.xaxis.labelpad, "height")

    # The outermost tick labels are centred on the axes' edges and stick out
    # by half their size unless the title or the margin already covers it.
    top = max((h / 2 for _, h in y_ticks), default=0.0)
    title = axes.title
    if title.get_text():
        titlepad = mpl.rcParams["axes.titlepad"] / POINTS_PER_INCH
        top = max(top, _size(title, renderer)[1] + titlepad)
    right = max((w / 2 for w, _ in x_ticks), default=0.0)

    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=(left + EDGE_PAD) / width,
        right=1 - (right + EDGE_PAD) / width,
        bottom=(bottom + EDGE_PAD) / height,
        top=1 - (top + EDGE_PAD) / height,
    )


def _size(text: Text, renderer: RendererBase) -> tuple[float, float]:
    """Return the width and height of ``text`` as drawn, in inches."""
    box = text.get_window_extent(renderer)
    return box.width / renderer.dpi, box.height / renderer.dpi


def _tick_label_sizes(axis: Axis, renderer: RendererBase) -> list[tuple[float, float]]:
    labels = [label for label in axis.get_majorticklabels() if label.get_text()]
    return [_size(label, renderer) for label in labels]


def _tick_reach(name: str) -> float:
    """Return how far a tick and its pad reach out of the axes, in inches."""
    size = mpl.rcParams[f"{name}tick.major.size"]
    pad = mpl.rcParams[f"{name}tick.major.pad"]
    return (size + pad) / POINTS_PER_INCH


def _label_reach(
    label: Text, renderer: RendererBase, labelpad: float, extent: str
) -> float:
    if not label.get_text():
        return 0.0
    width, height = _size(label, renderer)
    return labelpad / POINTS_PER_INCH + (width if extent == "width" else height)
