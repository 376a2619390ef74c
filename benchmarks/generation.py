"""Benchmark table generation against NumPy, a Faker loop and SDV.

Run from the repository root:

    python benchmarks/generation.py
    python benchmarks/generation.py --sdv-python /path/to/sdv-venv/bin/python

It prints a Markdown table of medians and ratios. The Faker baseline needs
the ``bench`` extra; the SDV baseline runs in the interpreter given by
``--sdv-python``, a separate environment because SDV pins its own pandas and
pulls in torch.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import yaml

from fakegen.generator import SyntheticGenerator, make_generator
from fakegen.groups import default_workers

log = logging.getLogger("benchmarks.generation")
HERE = Path(__file__).resolve().parent
GENERATOR_CFG = HERE / "generator" / "generation.yaml"
CONSTRAINT_CFG = HERE / "constraint" / "generation.yaml"


def load_generator(workers: int | None = None) -> SyntheticGenerator:
    generator_cfg = yaml.safe_load(GENERATOR_CFG.read_text())
    generator_cfg["workers"] = workers
    return make_generator(generator_cfg, yaml.safe_load(CONSTRAINT_CFG.read_text()))


def time_generation(rows: int, repeats: int) -> dict[str, float]:
    """Time the generator, on every core and on one thread, and NumPy drawing
    rows x columns float64 values, each in a loop of its own."""
    threaded, single = load_generator(), load_generator(workers=1)
    n_columns = len(threaded.columns)
    # Each configuration runs in its own loop, after one untimed call, and
    # the single thread goes first. Once worker threads had built a table,
    # later tables built on the main thread of the same process took about
    # 0.17 s instead of 0.12 s. The threaded time was the same in either
    # order. The memory allocator's state per thread is a likely cause, not
    # a measured one.
    ours_single = _timed(lambda seed: single.sample(rows, rng_of(seed)), repeats)
    ours = _timed(lambda seed: threaded.sample(rows, rng_of(seed)), repeats)
    numpy_times = _timed(lambda seed: rng_of(seed).random(rows * n_columns), repeats)
    return {
        "fakegen_s": statistics.median(ours),
        "single_s": statistics.median(ours_single),
        "numpy_s": statistics.median(numpy_times),
        "ratio": statistics.median(ours) / statistics.median(numpy_times),
        "single_ratio": statistics.median(ours_single) / statistics.median(numpy_times),
        "columns": n_columns,
        "cores": default_workers(),
    }


def rng_of(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _timed(call, repeats: int) -> list[float]:
    """Return the seconds of ``repeats`` calls of ``call(seed)``, after a warm-up."""
    call(repeats)
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        call(seed)
        times.append(time.perf_counter() - start)
    return times


def measure_memory(rows: int) -> dict[str, float]:
    """Peak traced allocation while sampling, against the final table's size."""
    generator = load_generator()
    tracemalloc.start()
    data = generator.sample(rows, np.random.default_rng(0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    final = int(data.X.memory_usage(deep=True).sum()) + data.y.nbytes
    final += data.y_clean.nbytes
    return {"peak_mb": peak / 2**20, "final_mb": final / 2**20}


def faker_rows_per_second(rows: int) -> float:
    """Rows per second of a per-row Faker loop making comparable columns."""
    from faker import Faker

    fake = Faker()
    fake.seed_instance(0)
    served = {"Berlin", "Hamburg", "Lisbon", "Madrid", "Paris", "Rome", "Vienna"}
    served |= {"Oslo", "Dublin", "Prague"}
    records = []
    start = time.perf_counter()
    for _ in range(rows):
        # The same columns as the benchmark table, made one row at a time,
        # and the label computed from the same five rules.
        row = {
            "age": fake.random_int(16, 80),
            "income": math.exp(fake.pyfloat(min_value=9.4, max_value=11.4)),
            "debt": fake.pyfloat(min_value=0, max_value=40000),
            "score": fake.pyfloat(min_value=360, max_value=840),
            "tenure": fake.random_int(0, 40),
            "contract_start": fake.pyfloat(min_value=0, max_value=365),
            "contract_end": fake.pyfloat(min_value=0, max_value=730),
            "signup": fake.date_time_between("-5y", "now").timestamp(),
            "city": fake.city(),
            "job": fake.job(),
            "distractor_num_1": fake.pyfloat(min_value=-3, max_value=3),
            "distractor_lit_1": fake.color_name(),
        }
        row["label"] = int(
            18 <= row["age"] <= 67
            and row["income"] >= 25000
            and row["contract_end"] > row["contract_start"]
            and row["city"] in served
            and row["debt"] / row["income"] <= 0.8
        )
        records.append(row)
    return rows / (time.perf_counter() - start)


def sdv_rows_per_second(python: str, rows: int) -> dict[str, float] | None:
    """Fit SDV's Gaussian copula on valid rows and time its sampling."""
    generator = load_generator()
    train = generator.sample_valid(10000, np.random.default_rng(0)).X
    with tempfile.TemporaryDirectory() as folder:
        # CSV, because the SDV environment need not have a Parquet engine.
        path = Path(folder) / "train.csv"
        train.to_csv(path, index=False)
        completed = subprocess.run(
            [python, str(HERE / "sdv_baseline.py"), str(path), str(rows)],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        log.error("SDV baseline failed: %s", completed.stderr.strip()[-2000:])
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def stream_parquet(rows: int, chunk_rows: int) -> dict[str, float]:
    """Run fakegen-generate for ``rows`` rows and return its peak RSS and time."""
    command = Path(sys.executable).with_name("fakegen-generate")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "table.parquet"
        start = time.perf_counter()
        completed = subprocess.run(
            [
                str(command),
                "--config-dir",
                str(HERE),
                "generator=generation",
                "constraint=generation",
                f"generator.rows={rows}",
                f"chunk_rows={chunk_rows}",
                f"output={output}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr)
        size = output.stat().st_size
    # ru_maxrss of waited-for children is in KiB on Linux.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"rss_mb": peak_kib / 1024, "seconds": seconds, "file_mb": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--faker-rows", type=int, default=20_000)
    parser.add_argument("--stream-rows", type=int, default=20_000_000)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--sdv-python", default=None)
    parser.add_argument("--sdv-rows", type=int, default=100_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    speed = time_generation(args.rows, args.repeats)
    ours = args.rows / speed["fakegen_s"]
    single = args.rows / speed["single_s"]
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| fakegen, {args.rows:,} rows, {speed['cores']} threads (default; "
        f"median of {args.repeats}) | {speed['fakegen_s']:.3f} s, "
        f"{ours:,.0f} rows/s |",
        f"| fakegen, {args.rows:,} rows, 1 thread | {speed['single_s']:.3f} s, "
        f"{single:,.0f} rows/s |",
        f"| NumPy, {args.rows * speed['columns']:,} float64 values "
        f"| {speed['numpy_s']:.3f} s |",
        f"| fakegen / NumPy time (ratio of medians) | {speed['ratio']:.1f}x |",
        f"| same, 1 thread | {speed['single_ratio']:.1f}x |",
    ]
    log.info("Timed generation")

    memory = measure_memory(args.rows)
    lines += [
        f"| peak traced memory while sampling | {memory['peak_mb']:.0f} MiB |",
        f"| final DataFrame and labels | {memory['final_mb']:.0f} MiB |",
        f"| peak / final | {memory['peak_mb'] / memory['final_mb']:.2f}x |",
    ]
    log.info("Measured memory")

    try:
        faker = faker_rows_per_second(args.faker_rows)
    except ImportError:
        log.warning("Faker is not installed; pip install 'fakegen[bench]'")
    else:
        lines += [
            f"| Faker loop, {args.faker_rows:,} rows | {faker:,.0f} rows/s |",
            f"| fakegen / Faker rows per second | {ours / faker:,.0f}x |",
            f"| same, 1 thread | {single / faker:,.0f}x |",
        ]
    if args.sdv_python:
        sdv = sdv_rows_per_second(args.sdv_python, args.sdv_rows)
        if sdv is not None:
            lines += [
                f"| SDV GaussianCopula sample, {args.sdv_rows:,} rows "
                f"| {sdv['rows_per_second']:,.0f} rows/s (fit {sdv['fit_s']:.1f} s) |",
                f"| fakegen / SDV rows per second "
                f"| {ours / sdv['rows_per_second']:,.1f}x |",
            ]

    stream = stream_parquet(args.stream_rows, args.chunk_rows)
    lines += [
        f"| fakegen-generate, {args.stream_rows:,} rows to Parquet "
        f"| {stream['seconds']:.1f} s, {stream['file_mb']:,.0f} MiB file |",
        f"| its peak RSS | {stream['rss_mb']:,.0f} MiB |",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
