"""Verifier figures: fixed margins that fit every text, and the PNG files."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread

from fakegen.verifier import VerifierOptions
from fakegen.verifier.figures import (
    draw_confusion,
    plot_confusion,
    plot_suite_scores,
)
from fakegen.verifier.layout import EDGE_PAD, fit_axes
from fakegen.verifier.metrics import Predictions
from fakegen.verifier.synthetic import _base_row


def make_axes(figsize, *, aspect="auto", y_high=365):
    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if aspect == "equal":
        axes.imshow(np.arange(4).reshape(2, 2))
    elif aspect == "auto":
        axes.plot([0, 120000], [0, y_high])
    return figure, axes


def window_box(artist, renderer):
    return artist.get_window_extent(renderer)


def drawn_tick_boxes(axis, renderer):
    """Return the boxes of the tick labels inside the view, which are drawn."""
    low, high = sorted(axis.get_view_interval())
    index = 0 if axis.axis_name == "x" else 1
    return [
        window_box(label, renderer)
        for label in axis.get_majorticklabels()
        if label.get_text() and low <= label.get_position()[index] <= high
    ]


@pytest.mark.parametrize(
    ("figsize", "aspect", "y_labels", "y_high"),
    [
        ((5, 4), "auto", None, 365),
        ((5, 4), "auto", None, 5e6),
        ((7, 3), "auto", ["short", "a_much_longer_constraint_name (accuracy)"], 1),
        ((4, 3.5), "equal", ["0", "1"], 1),
    ],
    ids=["numeric-axes", "offset-text", "long-tick-labels", "equal-aspect"],
)
def test_fit_axes_keeps_texts_inside_and_apart(figsize, aspect, y_labels, y_high):
    figure, axes = make_axes(figsize, aspect=aspect, y_high=y_high)
    if y_labels is not None:
        axes.set_yticks(range(len(y_labels)), y_labels)
    axes.set_xlabel("contract_end")
    axes.set_ylabel("contract_start")
    axes.set_title("first line of the title\nsecond line", y=1.0)

    fit_axes(figure, axes)
    figure.canvas.draw()

    renderer = figure.canvas.get_renderer()
    width, height = figure.canvas.get_width_height()
    x_ticks = drawn_tick_boxes(axes.xaxis, renderer)
    y_ticks = drawn_tick_boxes(axes.yaxis, renderer)
    x_label = window_box(axes.xaxis.label, renderer)
    y_label = window_box(axes.yaxis.label, renderer)
    title = window_box(axes.title, renderer)
    offset_text = window_box(axes.yaxis.offsetText, renderer)
    for box in [*x_ticks, *y_ticks, x_label, y_label, title, offset_text]:
        assert box.x0 >= 0
        assert box.y0 >= 0
        assert box.x1 <= width
        assert box.y1 <= height
    assert x_label.y1 <= min(box.y0 for box in x_ticks)
    assert y_label.x1 <= min(box.x0 for box in y_ticks)
    assert title.y0 >= window_box(axes, renderer).y1
    if axes.yaxis.offsetText.get_text():
        assert title.y0 >= offset_text.y1


def test_fit_axes_leaves_edge_pad_at_left():
    figure, axes = make_axes((7, 3))
    axes.set_yticks([0, 1], ["short", "a_much_longer_constraint_name (accuracy)"])
    axes.set_ylabel("suite")

    fit_axes(figure, axes)
    figure.canvas.draw()

    renderer = figure.canvas.get_renderer()
    left = window_box(axes.yaxis.label, renderer).x0 / figure.dpi
    assert left == pytest.approx(EDGE_PAD, abs=0.02)


def test_draw_confusion_writes_counts_in_readable_colours():
    figure, axes = make_axes((4, 3.5), aspect=None)
    matrix = np.array([[1, 1], [1, 2]])

    draw_confusion(axes, matrix, [0, 1])

    texts = [(text.get_position(), text.get_text()) for text in axes.texts]
    assert texts == [((0, 0), "1"), ((1, 0), "1"), ((0, 1), "1"), ((1, 1), "2")]
    bright, dark = colormaps["viridis"](1.0), colormaps["viridis"](0.0)
    assert [text.get_color() for text in axes.texts] == [bright] * 3 + [dark]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["0", "1"]
    assert axes.get_ylim() == (1.5, -0.5)


def test_plot_confusion_writes_png_of_figure_size(tmp_path):
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0])

    path = plot_confusion(y_true, y_pred, tmp_path / "confusion.png", title="test")

    assert imread(path).shape == (350, 400, 4)


def test_plot_suite_scores_grows_with_suites(tmp_path):
    rows = [
        {"suite": f"suite_{k}", "metric": "accuracy", "score": 0.8, "low": 0.7}
        | {"high": 0.9}
        for k in range(6)
    ]

    path = plot_suite_scores(rows, VerifierOptions(), tmp_path / "suites.png")

    image = imread(path)
    assert image.shape[0] == round((0.4 * 6 + 1.5) * 100)
    assert image.shape[1] == 700


@pytest.mark.parametrize(
    ("proba", "expected"),
    [
        (
            np.array([0.9, 0.55, 0.4, 0.5]),
            (1, "the valid test row nearest p(1) = 0.5"),
        ),
        (None, (0, "the first valid test row")),
    ],
    ids=["probabilities", "labels-only"],
)
def test_region_base_row_nearest_even_odds(proba, expected):
    # Row 3 has p(1) = 0.5 exactly but breaks the rule, so it is not a base.
    predictions = Predictions(np.array([1, 1, 0, 1]), proba, None)

    assert _base_row(np.array([1, 1, 1, 0]), predictions) == expected
