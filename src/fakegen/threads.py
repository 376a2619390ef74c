"""Limit the threads of the BLAS library (OpenBLAS, MKL) while a run fits and scores.

The tables here have a few dozen encoded columns, where OpenBLAS's threads
cost more than they save. They also spin while they wait for a core that
another process holds. On a 2-core machine, fitting the default logistic
regression took 0.034 s with one thread, 0.131 s with two, and 0.281 s with
two beside a busy process (benchmarks/blas_threads.py, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from fakegen.errors import ConfigError


def check_blas_threads(value: Any) -> int | None:
    """Return ``blas_threads`` if it is null or a positive integer, else raise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"blas_threads is {value!r}; give a number of threads of 1 or more, "
            "or null to keep the BLAS library's default of one per core."
        )
    return value


@contextmanager
def limit_blas_threads(threads: int | None) -> Iterator[None]:
    """Cap every loaded BLAS library at ``threads`` threads; None changes nothing."""
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def blas_threads_in_use() -> int | None:
    """Return the most threads a loaded BLAS library uses now, or None if none is."""
    counts = [
        info["num_threads"]
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return max(counts, default=None)
