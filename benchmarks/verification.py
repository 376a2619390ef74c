"""Time verification against training on the default run of ``fakegen``.

Runs the installed ``fakegen`` command several times (default config,
logistic regression on 20,000 rows, tracker off), reads the timings every
run writes to results.json and prints their medians and maxima as a
Markdown table. It also times matplotlib alone saving an empty axes, the
least a figure of the verify stage can cost.

Usage: python benchmarks/verification.py [--repeats N] [FAKEGEN OVERRIDES...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAKEGEN = Path(sys.executable).with_name("fakegen")


def run_once(directory: Path, overrides: list[str]) -> dict:
    """Run ``fakegen`` once into ``directory`` and return its results.json."""
    command = [str(FAKEGEN), f"hydra.run.dir={directory}", "tracker=none", *overrides]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads((directory / "results.json").read_text(encoding="utf-8"))


def empty_figure_seconds(repeats: int = 20) -> float:
    """Return the median time to save one empty axes with its default ticks.

    It is the least any of the verifier's PNG figures can cost: same size
    class, Agg canvas and PNG settings, no data and no labels.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = []
    with tempfile.TemporaryDirectory() as folder:
        # The first save loads fonts, so it is left out.
        for attempt in range(repeats + 1):
            start = time.perf_counter()
            figure = Figure(figsize=(5, 4))
            FigureCanvasAgg(figure)
            figure.add_subplot()
            figure.savefig(
                Path(folder) / "empty.png",
                dpi=100,
                pil_kwargs={"compress_level": 1},
            )
            if attempt:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()

    rows = []
    # Other processes slow both stages, so the load average goes with the table.
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="fakegen-bench-"))
    try:
        for repeat in range(args.repeats):
            results = run_once(root / f"run{repeat}", args.overrides)
            parts = results["verification_timings"]
            rows.append(
                {
                    "train": results["timings"]["train"],
                    "verify": results["timings"]["verify"],
                    "figures": parts.get("figures", 0.0),
                    **{f"verify/{k}": v for k, v in parts.items() if k != "figures"},
                }
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    plain = [row["verify"] - row["figures"] for row in rows]
    # The slowest run shows stalls that a median hides, such as OpenMP
    # threads waiting for a core that another process holds.
    print(f"| step | median seconds over {args.repeats} runs | slowest run |")
    print("|---|---|---|")
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"| {key} | {statistics.median(values):.3f} | {max(values):.3f} |")
    plain_median = statistics.median(plain)
    print(f"| verify without figures | {plain_median:.3f} | {max(plain):.3f} |")
    ratio = statistics.median(row["verify"] / row["train"] for row in rows)
    ratio_plain = statistics.median(
        (row["verify"] - row["figures"]) / row["train"] for row in rows
    )
    print(f"\nmedian verify / train: {ratio:.2f}")
    print(f"median verify without figures / train: {ratio_plain:.2f}")
    empty = empty_figure_seconds()
    print(f"one empty axes with default ticks saved as PNG: {empty:.3f} s")
    load_after = os.getloadavg()[0]
    print(f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after")


if __name__ == "__main__":
    main()
