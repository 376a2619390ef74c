"""Time fakegen's per-run overhead and the wall time of an experiment.

Run from the repository root with the package installed:

    python benchmarks/sweeps.py overhead --runs 7
    python benchmarks/sweeps.py study constraint_zoo model=logreg,tree

``overhead`` runs the default experiment as separate ``fakegen`` processes
and as one multirun, and reports medians of the time spent outside fitting
and verification. ``study`` runs one experiment of experiments/, with any
extra overrides, and reports its wall time; ``--record DIR`` keeps its
summary files and figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAKEGEN = Path(sys.executable).with_name("fakegen")

# Stages that are the model's own work, not fakegen's overhead.
MODEL_STAGES = ("train", "verify")


# Hydra's launcher logs "[TIMESTAMP][LOGGER][INFO] - \t#JOB : OVERRIDES" as each
# job starts; conf/config.yaml gives Hydra's log lines the job log's format.
JOB_START = re.compile(
    r"^\[([\d-]+ [\d:,]+)\]\[[\w.]+\]\[INFO\] - \t#(\d+) : ", re.MULTILINE
)
# The sweep callback's closing line, logged once every job has ended.
SWEEP_END = re.compile(
    r"^\[([\d-]+ [\d:,]+)\]\[[\w.]+\]\[INFO\] - \d+ runs in ", re.MULTILINE
)


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


def study(name: str, overrides: list[str], record: Path | None) -> None:
    """Run the experiment ``name``; print its wall time and summary.

    With ``record``, copy the summary files and figures into that folder.
    """
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        # A relative sweep directory keeps this machine's paths out of the summary.
        sweep_dir = Path("multirun") / name
        args = ["-m", f"+experiment={name}", *overrides]
        wall, _ = run_fakegen([*args, f"hydra.sweep.dir={sweep_dir}"], workdir)
        summary = (workdir / sweep_dir / "summary.md").read_text(encoding="utf-8")
        if record is not None:
            record.mkdir(parents=True, exist_ok=True)
            for path in (workdir / sweep_dir).glob("*"):
                # multirun.yaml is left out because it records paths of the machine.
                if path.suffix in (".csv", ".md", ".png") and path.is_file():
                    shutil.copy(path, record / path.name)
    print(f"command: fakegen {' '.join(args)}")
    print(f"wall time: {wall:.1f} s")
    print(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    overhead_parser = commands.add_parser("overhead", help="per-run overhead")
    overhead_parser.add_argument("--runs", type=int, default=7, help="runs to time")
    study_parser = commands.add_parser("study", help="wall time of an experiment")
    study_parser.add_argument("name", help="experiment name, such as constraint_zoo")
    study_parser.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    study_parser.add_argument(
        "--record", type=Path, help="folder to copy the summary and figures into"
    )
    args = parser.parse_args()
    if args.command == "overhead":
        overhead(args.runs)
    else:
        study(args.name, args.overrides, args.record)


if __name__ == "__main__":
    main()
