"""Time fakegen's per-run overhead and a constraint zoo sweep.

Run from the repository root with the package installed:

    python benchmarks/sweeps.py overhead --runs 7
    python benchmarks/sweeps.py zoo --constraints range,threshold --models logreg,tree

``overhead`` runs the default experiment as separate ``fakegen`` processes
and as one multirun, and reports medians of the time spent outside fitting
and verification. ``zoo`` runs the constraint_zoo experiment (optionally on
a subset of constraints and models) and reports its wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAKEGEN = Path(sys.executable).with_name("fakegen")

# Stages that are the model's own work, not fakegen's overhead.
MODEL_STAGES = ("train", "verify")


# Hydra's launcher logs "[TIMESTAMP][HYDRA] \t#JOB : OVERRIDES" as each job starts.
JOB_START = re.compile(r"^\[([\d-]+ [\d:,]+)\]\[HYDRA\] \t#(\d+) : ", re.MULTILINE)
# The sweep callback's closing line, logged once every job has ended.
SWEEP_END = re.compile(r"^\[([\d-]+ [\d:,]+)\]\[HYDRA\] \d+ runs in ", re.MULTILINE)


def run_fakegen(args: list[str], workdir: Path) -> tuple[float, str]:
    """Run ``fakegen ARGS`` in ``workdir``; return wall seconds and the output."""
    env = {
        **os.environ,
        "WANDB_DIR": str(workdir / "wandb-files"),
        "WANDB_SILENT": "true",
    }
    start = time.perf_counter()
    completed = subprocess.run(
        [str(FAKEGEN), *args], cwd=workdir, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        sys.exit(f"fakegen failed:\n{completed.stderr[-2000:]}")
    return elapsed, completed.stdout + completed.stderr


def job_walls(output: str) -> list[float]:
    """Return each job's wall time in a basic-launcher multirun, from its log."""
    stamps = [match.group(1) for match in JOB_START.finditer(output)]
    stamps += [match.group(1) for match in SWEEP_END.finditer(output)][:1]
    times = [
        time.mktime(time.strptime(s[:19], "%Y-%m-%d %H:%M:%S")) + int(s[20:]) / 1000
        for s in stamps
    ]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def read_timings(run_dir: Path) -> dict[str, float]:
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return results["timings"]


def model_seconds(timings: dict[str, float]) -> float:
    return sum(timings.get(stage, 0.0) for stage in MODEL_STAGES)


def overhead(runs: int) -> None:
    """Print median per-run overhead of single runs and of runs in a multirun."""
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        walls, stage_rows = [], []
        for seed in range(runs):
            run_dir = workdir / f"run{seed}"
            wall, _ = run_fakegen([f"seed={seed}", f"hydra.run.dir={run_dir}"], workdir)
            walls.append(wall)
            stage_rows.append(read_timings(run_dir))
        single = [
            wall - model_seconds(t) for wall, t in zip(walls, stage_rows, strict=True)
        ]

        sweep_dir = workdir / "sweep"
        seeds = ",".join(str(seed) for seed in range(runs))
        sweep_wall, output = run_fakegen(
            ["-m", f"seed={seeds}", f"hydra.sweep.dir={sweep_dir}"], workdir
        )
        sweep_rows = [read_timings(sweep_dir / str(job)) for job in range(runs)]
        in_sweep = [
            wall - model_seconds(t)
            for wall, t in zip(job_walls(output), sweep_rows, strict=True)
        ]

    print(f"runs: {runs} (default experiment: applicant table, logreg, W&B offline)")
    print(f"single run wall time, median: {statistics.median(walls):.2f} s")
    median_single = statistics.median(single)
    print(f"single run overhead (wall - train - verify), median: {median_single:.2f} s")
    for stage in ("generate", "encode", "track", "track_finish"):
        values = [row.get(stage, 0.0) for row in stage_rows]
        print(f"  stage {stage}, median: {statistics.median(values):.3f} s")
    print(f"multirun of {runs}: process wall {sweep_wall:.2f} s")
    median_job = statistics.median(in_sweep)
    print(f"  job overhead (job wall - train - verify), median: {median_job:.2f} s")
    print(
        f"  job overhead per job: {', '.join(f'{value:.2f}' for value in in_sweep)} s"
    )
    for stage in ("track", "track_finish"):
        values = [row.get(stage, 0.0) for row in sweep_rows]
        print(
            f"  stage {stage} in the sweep, median: {statistics.median(values):.3f} s"
        )


def zoo(constraints: str | None, models: str | None, seeds: str | None) -> None:
    """Run the constraint_zoo experiment and print its wall time and run count."""
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        sweep_dir = workdir / "zoo"
        args = ["-m", "+experiment=constraint_zoo", f"hydra.sweep.dir={sweep_dir}"]
        for key, value in (
            ("constraint", constraints),
            ("model", models),
            ("seed", seeds),
        ):
            if value:
                args.append(f"{key}={value}")
        wall, _ = run_fakegen(args, workdir)
        summary = (sweep_dir / "summary.md").read_text(encoding="utf-8")
    print(f"command: fakegen {' '.join(args[: -1 if not constraints else None])}")
    print(f"wall time: {wall:.1f} s")
    print(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    overhead_parser = commands.add_parser("overhead", help="per-run overhead")
    overhead_parser.add_argument("--runs", type=int, default=7, help="runs to time")
    zoo_parser = commands.add_parser("zoo", help="wall time of the constraint zoo")
    zoo_parser.add_argument("--constraints", help="comma-separated constraint presets")
    zoo_parser.add_argument("--models", help="comma-separated model presets")
    zoo_parser.add_argument("--seeds", help="comma-separated seeds")
    args = parser.parse_args()
    if args.command == "overhead":
        overhead(args.runs)
    else:
        zoo(args.constraints, args.models, args.seeds)


if __name__ == "__main__":
    main()
