"""Fixed figure margins computed from the sizes of an axes' texts.

matplotlib's constrained layout finds the same margins, but it draws the
whole figure once more before saving and measures every artist twice, which
costs more than the rest of a small figure. These figures have one axes and
known texts, so measuring the tick labels, axis labels and title is enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import offset_copy

# Space between the outermost text and the figure's edge, in inches. It is
# close to constrained layout's default pad of 3/72 inch.
EDGE_PAD = 0.05
POINTS_PER_INCH = 72.0


@dataclass
class Extents:
    """How far the texts around an axes reach beyond each of its sides, in inches.

    ``x_ticks`` and ``y_ticks`` are the reach of the ticks and their labels
    alone, where the axis labels start. ``title_lift`` is how far the title
    must rise above its usual pad to clear the y axis's offset text, such
    as ``1e6``.
    """

    left: float
    bottom: float
    right: float
    top: float
    x_ticks: float
    y_ticks: float
    title_lift: float = 0.0


def fit_axes(figure: Figure, axes: Axes) -> None:
    """Move ``axes`` so that its ticks, labels and title fit inside ``figure``.

    Call it after every text of ``axes`` is set. A numeric axis may pick
    other ticks once the axes has its new size, so the texts are measured
    again when the ticks change.
    """
    renderer = figure.canvas.get_renderer()
    ticks = _tick_locations(axes)
    extents = _place_axes(figure, axes, renderer)
    if _tick_locations(axes) != ticks:
        extents = _place_axes(figure, axes, renderer)

    # Fixed axis-label positions spare matplotlib from measuring every tick
    # label again on each draw to place them. The offsets are in points from
    # the axes' edges, so they hold when an equal aspect shrinks the axes.
    x_offset = (extents.x_ticks * POINTS_PER_INCH) + axes.xaxis.labelpad
    axes.xaxis.set_label_coords(
        0.5, 0, offset_copy(axes.transAxes, figure, y=-x_offset, units="points")
    )
    y_offset = (extents.y_ticks * POINTS_PER_INCH) + axes.yaxis.labelpad
    axes.yaxis.set_label_coords(
        0, 0.5, offset_copy(axes.transAxes, figure, x=-y_offset, units="points")
    )
    if extents.title_lift > 0:
        # set_title is the public way to change the pad, and it keeps the
        # title's text and height; the figures here use the default font.
        axes.set_title(
            axes.get_title(),
            pad=mpl.rcParams["axes.titlepad"] + extents.title_lift * POINTS_PER_INCH,
            y=axes.title.get_position()[1],
        )


def _place_axes(figure: Figure, axes: Axes, renderer: RendererBase) -> Extents:
    """Set the subplot margins to the measured extents and return them."""
    extents = measure_extents(axes, renderer)
    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=(extents.left + EDGE_PAD) / width,
        right=1 - (extents.right + EDGE_PAD) / width,
        bottom=(extents.bottom + EDGE_PAD) / height,
        top=1 - (extents.top + EDGE_PAD) / height,
    )
    return extents


def measure_extents(axes: Axes, renderer: RendererBase) -> Extents:
    """Measure how far the ticks, labels and title of ``axes`` reach out of it."""
    x_ticks = _tick_label_sizes(axes.xaxis, renderer)
    y_ticks = _tick_label_sizes(axes.yaxis, renderer)
    x_reach = _tick_reach("x") + max((h for _, h in x_ticks), default=0.0)
    y_reach = _tick_reach("y") + max((w for w, _ in y_ticks), default=0.0)

    # The outermost tick labels are centred on the axes' edges and stick out
    # by half their size unless the title already covers it. A large y axis
    # puts its offset text, such as 1e6, above its top left corner.
    top = max((h / 2 for _, h in y_ticks), default=0.0)
    offset_text = _offset_text_reach(axes.yaxis, renderer)
    top = max(top, offset_text)
    title_lift = 0.0
    if axes.title.get_text():
        title_lift = offset_text
        titlepad = mpl.rcParams["axes.titlepad"] / POINTS_PER_INCH
        top = max(top, _size(axes.title, renderer)[1] + titlepad + title_lift)

    x_label = _label_reach(axes.xaxis, renderer, extent="height")
    y_label = _label_reach(axes.yaxis, renderer, extent="width")
    return Extents(
        left=y_reach + y_label,
        bottom=x_reach + x_label,
        right=max((w / 2 for w, _ in x_ticks), default=0.0),
        top=top,
        x_ticks=x_reach,
        y_ticks=y_reach,
        title_lift=title_lift,
    )


def _tick_locations(axes: Axes) -> tuple[list[float], list[float]]:
    x_ticks = list(axes.xaxis.get_majorticklocs())
    return x_ticks, list(axes.yaxis.get_majorticklocs())


def _size(text: Text, renderer: RendererBase) -> tuple[float, float]:
    """Return the width and height of ``text`` as drawn, in inches."""
    box = text.get_window_extent(renderer)
    return box.width / renderer.dpi, box.height / renderer.dpi


def _tick_label_sizes(axis: Axis, renderer: RendererBase) -> list[tuple[float, float]]:
    labels = [label for label in axis.get_majorticklabels() if label.get_text()]
    return [_size(label, renderer) for label in labels]


def _offset_text_reach(axis: Axis, renderer: RendererBase) -> float:
    """Return how far the axis's offset text reaches above the axes, in inches.

    Call it after the tick labels are made, because the formatter chooses
    the offset while it formats them.
    """
    offset = axis.major.formatter.get_offset()
    if not offset:
        return 0.0
    axis.offsetText.set_text(offset)
    return _size(axis.offsetText, renderer)[1] + axis.OFFSETTEXTPAD / POINTS_PER_INCH


def _tick_reach(name: str) -> float:
    """Return how far a tick and its pad reach out of the axes, in inches."""
    size = mpl.rcParams[f"{name}tick.major.size"]
    pad = mpl.rcParams[f"{name}tick.major.pad"]
    return (size + pad) / POINTS_PER_INCH


def _label_reach(axis: Axis, renderer: RendererBase, *, extent: str) -> float:
    """Return the axis label's pad plus its height or width, in inches."""
    if not axis.label.get_text():
        return 0.0
    width, height = _size(axis.label, renderer)
    size = width if extent == "width" else height
    return axis.labelpad / POINTS_PER_INCH + size
