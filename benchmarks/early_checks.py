"""Time the checks that run before generation: xgboost keywords and the objective.

Builds the xgboost preset's estimator with ``make_model`` with and without a
booster keyword (``eta``), since only keywords outside the wrapper's
signature start the one-round probe fit. Then times ``make_plan`` on the
default config with and without an objective, since the objective check
lists every metric name the run may record. Prints medians as a Markdown
table.

Usage: python benchmarks/early_checks.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from fakegen.model import make_model
from fakegen.paths import config_dir
from fakegen.pipeline import make_plan


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    """Return the median wall time of ``repeats`` calls of ``action``."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compose_config(overrides: list[str]):
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("config", overrides=overrides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()

    preset = OmegaConf.load(config_dir() / "model" / "xgboost.yaml")
    with_keyword = OmegaConf.merge(preset, {"eta": 0.1})
    default = compose_config(["tracker=none"])
    with_objective = compose_config(
        ["tracker=none", "objective=suite/income_floor/accuracy"]
    )
    cases = {
        "make_model, xgboost preset (no probe)": lambda: make_model(preset, seed=0),
        "make_model, xgboost preset + eta (probe)": lambda: make_model(
            with_keyword, seed=0
        ),
        "make_plan, default config, objective null": lambda: make_plan(
            OmegaConf.to_container(default, resolve=True), default
        ),
        "make_plan, default config, suite objective": lambda: make_plan(
            OmegaConf.to_container(with_objective, resolve=True), with_objective
        ),
    }
    print(f"| case | median of {args.repeats} |")
    print("|---|---|")
    for name, action in cases.items():
        seconds = median_seconds(action, args.repeats)
        print(f"| {name} | {seconds * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
