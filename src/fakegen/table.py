"""The compact table a run prints at its end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

VERDICT_STYLES = {"learned": "green", "partial": "yellow", "not_learned": "red"}

CEILING_CAPTION = (
    "ceiling: the expected accuracy of the Bayes-optimal rule on noisy labels, "
    "1 - noise. A finite test set can beat it by sampling error, as here."
)

LEARNED_CAPTION = (
    "learned boundary: the median value where the prediction flips along the "
    "column. (no flip near X): under half of the searched rows flip around the "
    "true edge X. no flip found: that holds at every edge."
)


LABEL_RULE_CAPTION = (
    "constraint.label_rule labels the rows of every suite. The constraint, "
    "boundary and counterfactual suites place their rows around the "
    "constraints' edges, not the rule's, so they give no verdict."
)

POOLED_CAPTION = (
    "test: the accuracy over the rows of every test file together, so a "
    "larger file weighs more. Each test file's own score is in its row."
)


def _verdict_text(verdict: str) -> str:
    style = VERDICT_STYLES.get(verdict, "")
    return f"[{style}]{verdict}[/{style}]" if style else verdict


def make_run_table(results: Mapping[str, Any]) -> Table:
    """Build a table of train and test accuracy and every suite's score.

    When the test accuracy exceeds the ceiling, a caption explains why that is
    possible. For a run on several test files, a caption explains that the
    ``test`` row pools them. Under ``constraint.label_rule``, a caption
    names the suites that place their rows around the constraints instead.
    """
    metrics = results.get("metrics", {})
    # Names and rules come from the config, and rich would read a list such as
    # "[age >= 25, ...]" in them as markup and drop it, so they are escaped.
    title = f"fakegen run: {escape(str(results.get('name', '')))}"
    table = Table(title=title, title_justify="left")
    captions = []
    if metrics.get("bayes/gap", 0.0) < 0:
        captions.append(CEILING_CAPTION)
    generator = (results.get("config") or {}).get("generator") or {}
    if generator.get("kind") == "file" and len(generator.get("tests") or {}) > 1:
        captions.append(POOLED_CAPTION)
    constraint = (results.get("config") or {}).get("constraint") or {}
    if constraint.get("label_rule") is not None:
        captions.append(LABEL_RULE_CAPTION)
    if captions:
        table.caption = " ".join(captions)
        table.caption_justify = "left"
    table.add_column("suite")
    table.add_column("rows", justify="right")
    table.add_column("metric")
    table.add_column("score (95% interval)", justify="right")
    table.add_column("verdict")
    for key, label in (
        ("train/accuracy", "train"),
        ("test/accuracy", "test"),
        ("bayes/accuracy", "ceiling"),
    ):
        if key in metrics:
            table.add_row(label, "", "accuracy", f"{metrics[key]:.3f}", "")
    for suite in results.get("suites", []):
        table.add_row(
            escape(suite["suite"]),
            str(suite["rows"]),
            escape(suite["metric"]),
            f"{suite['score']:.3f} ({suite['low']:.3f}-{suite['high']:.3f})",
            _verdict_text(suite.get("verdict", "")),
        )
    return table


def make_constraint_table(results: Mapping[str, Any]) -> Table | None:
    """Build a table of each constraint's true rule, learned boundary and verdict."""
    verdicts = results.get("verdicts", {})
    if not verdicts:
        return None
    rules = {row["suite"]: row.get("rule", "") for row in results.get("suites", [])}
    table = Table(
        title="constraints",
        title_justify="left",
        caption=LEARNED_CAPTION,
        caption_justify="left",
    )
    table.add_column("constraint")
    table.add_column("true rule")
    table.add_column("learned boundary")
    table.add_column("verdict")
    for name, verdict in verdicts.items():
        boundary = results.get("boundaries", {}).get(name)
        learned = ""
        if boundary is not None:
            learned = boundary.get("learned_rule") or "no flip found"
        table.add_row(
            escape(name),
            escape(rules.get(name, "")),
            escape(learned),
            _verdict_text(verdict),
        )
    return table


def make_file_constraint_table(results: Mapping[str, Any]) -> Table | None:
    """Build a table of the rows of each file that break each declared constraint.

    ``results["file_constraints"]`` contains the counts of a ``generator=file``
    run with ``verifier.constraints``; without it there is no table.
    """
    counts = results.get("file_constraints") or {}
    if not counts:
        return None
    table = Table(title="rows breaking verifier.constraints", title_justify="left")
    table.add_column("constraint")
    table.add_column("rule")
    first = next(iter(counts.values()))["tables"]
    for key, count in first.items():
        # Test names are unique and "train" is reserved, so the short names are too.
        short = "train" if key == "generator.train" else key.split(".", 2)[2]
        table.add_column(f"{escape(short)} ({count['rows']} rows)", justify="right")
    for name, entry in counts.items():
        cells = [
            f"{count['breaking']} ({count['share']:.1%})"
            for count in entry["tables"].values()
        ]
        table.add_row(escape(name), escape(entry["rule"]), *cells)
    return table


def show_run_table(results: Mapping[str, Any]) -> None:
    """Print the run's tables to standard output."""
    console = Console(highlight=False)
    console.print(make_run_table(results))
    for extra in (make_constraint_table(results), make_file_constraint_table(results)):
        if extra is not None:
            console.print(extra)
