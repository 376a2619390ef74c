"""The compact table a run prints at its end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

VERDICT_STYLES = {"learned": "green", "partial": "yellow", "not_learned": "red"}


def make_run_table(results: Mapping[str, Any]) -> Table:
    """Build a table of train and test accuracy, suites and verdicts."""
    metrics = results.get("metrics", {})
    table = Table(title=f"fakegen run: {results.get('name', '')}", title_justify="left")
    table.add_column("suite")
    table.add_column("rule")
    table.add_column("rows", justify="right")
    table.add_column("score", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("verdict")
    for key, label in (
        ("train/accuracy", "train"),
        ("test/accuracy", "test"),
        ("bayes/accuracy", "ceiling"),
    ):
        if key in metrics:
            table.add_row(label, "", "", f"{metrics[key]:.3f} accuracy", "", "")
    for suite in results.get("suites", []):
        verdict = suite.get("verdict", "")
        style = VERDICT_STYLES.get(verdict, "")
        table.add_row(
            f"suite/{suite['suite']}",
            suite.get("rule", ""),
            str(suite["rows"]),
            f"{suite['score']:.3f} {suite['metric']}",
            f"{suite['low']:.3f}-{suite['high']:.3f}",
            f"[{style}]{verdict}[/{style}]" if style else verdict,
        )
    for name, boundary in results.get("boundaries", {}).items():
        learned = boundary.get("learned_rule") or "no single flip found"
        table.add_row(f"boundary/{name}", f"learned {learned}", "", "", "", "")
    return table


def show_run_table(results: Mapping[str, Any]) -> None:
    """Print the run's table to standard output."""
    Console(highlight=False).print(make_run_table(results))
