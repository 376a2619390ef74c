"""Score a fitted model on targeted test sets built from the ground truth."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score

from fakegen.errors import ConfigError
from fakegen.generator import Dataset, SyntheticGenerator

log = logging.getLogger(__name__)

LEARNED, PARTIAL, NOT_LEARNED = "learned", "partial", "not_learned"
IN_DISTRIBUTION = "in_distribution"


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """Return a generator for one named random stream of a run.

    Naming streams keeps each test set the same whatever other sets a run
    builds, and whatever order it builds them in.
    """
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


@dataclass
class Verification:
    """Metrics (flat, ``/``-separated names), verdicts and per-suite rows."""

    metrics: dict[str, float] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    suites: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class VerifierOptions:
    """Sizes of the test sets and the accuracy thresholds of the verdicts."""

    test_rows: int = 5000
    suite_rows: int = 2000
    learned: float = 0.95
    partial: float = 0.75


def check_verifier_options(cfg: Mapping[str, Any]) -> VerifierOptions:
    """Check the ``verifier`` config group and return it as options."""
    known = set(VerifierOptions.__dataclass_fields__)
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ConfigError(
            f"verifier has unknown key {unknown[0]!r}; its keys are "
            f"{', '.join(sorted(known))}."
        )
    options = VerifierOptions(**cfg)
    for key in ("test_rows", "suite_rows"):
        value = getattr(options, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 10:
            raise ConfigError(f"verifier.{key} is {value!r}; give at least 10 rows.")
    for key in ("learned", "partial"):
        value = getattr(options, key)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value <= 1
        ):
            raise ConfigError(f"verifier.{key} is {value!r}; it must lie in (0, 1].")
    if options.partial > options.learned:
        raise ConfigError(
            f"verifier.partial is {options.partial!r}, above verifier.learned "
            f"({options.learned!r}); set partial at or below learned."
        )
    return options


def decide_verdict(accuracy: float, options: VerifierOptions) -> str:
    """Map a suite accuracy to ``learned``, ``partial`` or ``not_learned``."""
    if accuracy >= options.learned:
        return LEARNED
    if accuracy >= options.partial:
        return PARTIAL
    return NOT_LEARNED


def _score(model, data: Dataset) -> float:
    return float(accuracy_score(data.y, model.predict(data.X)))


def verify_synthetic(
    model, generator: SyntheticGenerator, options: VerifierOptions, *, seed: int
) -> Verification:
    """Score ``model`` in distribution and on one suite per label constraint.

    A constraint's suite holds valid rows and, in equal number, rows that break
    that constraint alone, all with clean labels; a model that ignores the
    constraint scores about 0.5 there.
    """
    result = Verification()
    test = generator.sample(options.test_rows, stream_rng(seed, "test"))
    predictions = model.predict(test.X)
    result.metrics["test/accuracy"] = float(accuracy_score(test.y, predictions))
    result.metrics["test/rule_agreement"] = float(
        accuracy_score(test.y_clean, predictions)
    )
    result.metrics["bayes/accuracy"] = 1.0 - generator.noise
    result.metrics[f"suite/{IN_DISTRIBUTION}/accuracy"] = result.metrics[
        "test/rule_agreement"
    ]
    result.suites.append(
        {
            "suite": IN_DISTRIBUTION,
            "rows": len(test.y),
            "accuracy": result.metrics["test/rule_agreement"],
        }
    )

    for constraint in generator.label_constraints:
        suite = make_constraint_suite(generator, constraint, options.suite_rows, seed)
        accuracy = _score(model, suite)
        verdict = decide_verdict(accuracy, options)
        result.metrics[f"suite/{constraint.name}/accuracy"] = accuracy
        result.verdicts[constraint.name] = verdict
        result.suites.append(
            {
                "suite": constraint.name,
                "rows": len(suite.y),
                "accuracy": accuracy,
                "rule": constraint.describe(),
                "verdict": verdict,
            }
        )
    return result


def make_constraint_suite(
    generator: SyntheticGenerator, constraint, n_rows: int, seed: int
) -> Dataset:
    """Build valid rows plus as many rows that break ``constraint`` alone."""
    rng = stream_rng(seed, f"suite/{constraint.name}")
    valid = generator.sample_valid(n_rows // 2, rng)
    broken = generator.sample_breaking(n_rows - n_rows // 2, rng, constraint)
    X = pd.concat([valid.X, broken.X], ignore_index=True)
    y = np.concatenate([valid.y, broken.y])
    return Dataset(X=X, y=y, y_clean=y)


def verify_files(model, tests: Mapping[str, Dataset]) -> Verification:
    """Score ``model`` on each of the user's test files and on all of them pooled."""
    result = Verification()
    correct, total = 0, 0
    for name, data in tests.items():
        accuracy = _score(model, data)
        result.metrics[f"suite/{name}/accuracy"] = accuracy
        result.suites.append({"suite": name, "rows": len(data.y), "accuracy": accuracy})
        correct += accuracy * len(data.y)
        total += len(data.y)
    if total:
        result.metrics["test/accuracy"] = correct / total
    return result
