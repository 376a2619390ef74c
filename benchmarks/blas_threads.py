"""Time fitting and verification with one BLAS thread against the library default.

Runs the installed ``fakegen`` command (tracker off, no figures) on a few
models and table sizes, alternating ``blas_threads=1`` and
``blas_threads=null`` so that both settings share the machine's state. With
``--busy``, a second process spins on one core during every run, as another
job on a shared machine would. Prints medians of the ``train`` and
``verify`` timings of results.json, and their ratio, as a Markdown table.

Usage: python benchmarks/blas_threads.py [--repeats N] [--busy]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

FAKEGEN = Path(sys.executable).with_name("fakegen")
CASES = {
    "logreg, 20,000 rows": ["model=logreg"],
    "logreg, 200,000 rows": ["model=logreg", "generator.rows=200000"],
    "mlp, 20,000 rows": ["model=mlp"],
}
SETTINGS = ("blas_threads=1", "blas_threads=null")


def run_once(directory: Path, overrides: list[str]) -> dict:
    """Run ``fakegen`` once into ``directory`` and return its timings."""
    command = [
        str(FAKEGEN),
        f"hydra.run.dir={directory}",
        "tracker=none",
        "verifier.figures=false",
        *overrides,
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)
    results = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    return results["timings"]


def spin() -> None:
    """Keep one core busy until the process is terminated."""
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()

    neighbour = None
    if args.busy:
        neighbour = multiprocessing.Process(target=spin, daemon=True)
        neighbour.start()
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="fakegen-blas-"))
    timings: dict[tuple[str, str], list[dict]] = {}
    try:
        for repeat in range(args.repeats):
            for case, overrides in CASES.items():
                for setting in SETTINGS:
                    directory = root / f"{repeat}-{len(timings)}"
                    result = run_once(directory, [*overrides, setting])
                    timings.setdefault((case, setting), []).append(result)
                    shutil.rmtree(directory, ignore_errors=True)
    finally:
        if neighbour is not None:
            neighbour.terminate()
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"| case | setting | train, median of {args.repeats} | train, slowest "
        "| verify, median | train ratio null / 1 |"
    )
    print("|---|---|---|---|---|---|")
    for case in CASES:
        medians = {}
        for setting in SETTINGS:
            train = [row["train"] for row in timings[case, setting]]
            verify = [row["verify"] for row in timings[case, setting]]
            medians[setting] = statistics.median(train)
            ratio = medians[setting] / medians[SETTINGS[0]]
            print(
                f"| {case} | {setting} | {medians[setting]:.3f} s | {max(train):.3f} s "
                f"| {statistics.median(verify):.3f} s | {ratio:.1f}x |"
            )
    load_after = os.getloadavg()[0]
    busy = "with" if args.busy else "without"
    print(f"\nRuns {busy} a spinning neighbour process.")
    print(f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after")


if __name__ == "__main__":
    main()
