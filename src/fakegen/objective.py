"""The ``objective`` setting: the metric a run returns to a sweeper such as Optuna."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fakegen.errors import ConfigError
from fakegen.verifier.names import (
    ACCURACY,
    BAYES_METRICS,
    TRAIN_ACCURACY,
    score_names,
)

# First parts of the metric names a run records; ``objective`` must use one.
METRIC_FAMILIES = ("train", "test", "suite", "bayes", "constraint", "encoder")

# Every name a run can record in the families whose names do not depend on
# the suites or constraints. Balanced accuracy, F1 and ROC AUC need a binary
# label, and rule agreement needs a synthetic table.
FIXED_METRICS = {
    "train": (TRAIN_ACCURACY,),
    "test": (
        *score_names("test", ACCURACY).values(),
        *score_names("test", "rule_agreement").values(),
    ),
    "bayes": BAYES_METRICS,
}


def check_objective(objective: Any) -> str | None:
    """Reject an objective that cannot name a recorded metric, before training.

    Names of the train, test and bayes families are known before the run,
    so they are checked in full. Other families name suites and constraints,
    which ``check_recorded_objective`` checks once the config is composed.
    """
    if objective is None:
        return None
    family = objective.split("/", 1)[0] if isinstance(objective, str) else ""
    if family not in METRIC_FAMILIES or objective == f"{family}/":
        raise ConfigError(
            f"objective is {objective!r}; give a metric name that starts with "
            f"{', '.join(f'{name}/' for name in METRIC_FAMILIES)}, such as "
            "'test/rule_agreement', or null."
        )
    known = FIXED_METRICS.get(family)
    if known is not None and objective not in known:
        close = difflib.get_close_matches(objective, known, n=1)
        hint = f"Did you mean {close[0]}? " if close else ""
        raise ConfigError(
            f"objective is {objective!r}, which no run records. {hint}The "
            f"{family}/ metrics are {', '.join(known)}."
        )
    return objective


def check_recorded_objective(objective: str | None, names: Sequence[str]) -> None:
    """Reject an objective outside ``names``, the metrics a run may record.

    ``names`` comes from the config before any data exists, so this runs
    before generation. A name that only the data rules out, such as a ROC AUC
    of a model without probabilities, passes here and fails after the run.
    """
    if objective is None or objective in names:
        return
    parts = objective.split("/")
    depth = 0
    while depth < len(parts) and any(
        _starts_with(name, parts[: depth + 1]) for name in names
    ):
        depth += 1
    matched = parts[:depth]
    following = [
        name.split("/")[depth]
        for name in names
        if _starts_with(name, matched) and len(name.split("/")) > depth
    ]
    following = ", ".join(dict.fromkeys(following))
    if matched:
        start = "/".join(matched) + "/"
        recorded = f"names it records that start with {start!r} continue with"
    else:
        recorded = "names it records start with"
    close = difflib.get_close_matches(objective, names, n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise ConfigError(
        f"objective is {objective!r}, a metric this run does not record: the "
        f"metric {recorded} {following}. {hint}Set objective to a metric the run "
        "records, or null."
    )


def _starts_with(name: str, parts: Sequence[str]) -> bool:
    return name.split("/")[: len(parts)] == list(parts)


def objective_value(
    metrics: Mapping[str, Any], objective: str | None, *, results_path: Path
) -> float | None:
    """Return the ``objective`` metric of a run, or None without an objective.

    A NaN metric gives None too. Raises ConfigError, naming close metric
    names, when the run did not record the metric.
    """
    if objective is None:
        return None
    if objective in metrics:
        value = float(metrics[objective])
        return None if math.isnan(value) else value
    close = difflib.get_close_matches(objective, metrics, n=4, cutoff=0.5)
    hint = f"close names: {', '.join(close)}" if close else "such as test/accuracy"
    raise ConfigError(
        f"objective is {objective!r}, a metric this run did not record; set it "
        f"to a metric of {results_path} ({hint}), or null."
    )
