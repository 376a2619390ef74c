"""Draw and solve the independent column groups of a table, in parallel when large."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fakegen.columns import Column
from fakegen.constraints import Constraint
from fakegen.frame import Frame
from fakegen.solver import Placement, solve

#: Tables with fewer rows are built on the calling thread. Below this size,
#: by estimate, a group takes about as long as handing it to a worker thread.
PARALLEL_ROWS = 50_000


@dataclass(frozen=True)
class ColumnGroup:
    """Columns that no constraint outside the group reads, and those constraints.

    A column that no constraint mentions forms a group of its own.
    """

    names: tuple[str, ...]
    constraints: tuple[Constraint, ...]


def column_groups(
    columns: Sequence[str], constraints: Sequence[Constraint]
) -> list[ColumnGroup]:
    """Split ``columns`` into groups joined by the constraints that share them.

    Groups and the columns in each keep the order of ``columns``, and the
    constraints in each keep the order of ``constraints``, so the split is the
    same for the same config.
    """
    # Union-find over column names: each constraint joins its columns.
    parent = {name: name for name in columns}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for constraint in constraints:
        first, *rest = constraint.columns
        for name in rest:
            parent[root(name)] = root(first)
    members: dict[str, list[str]] = {}
    for name in columns:
        members.setdefault(root(name), []).append(name)
    return [
        ColumnGroup(
            tuple(names),
            tuple(c for c in constraints if root(c.columns[0]) == root(names[0])),
        )
        for names in members.values()
    ]


def default_workers() -> int:
    """Return the number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # os.sched_getaffinity exists on Linux only
        return os.cpu_count() or 1


def build_frame(
    schema: Mapping[str, Column],
    constraints: Sequence[Constraint],
    requirements: Callable[[], Mapping[Constraint, np.ndarray]],
    n_samples: int,
    rng: np.random.Generator,
    placement: Placement,
    *,
    workers: int | None = None,
) -> Frame:
    """Draw every column of ``schema`` and solve ``constraints`` group by group.

    ``requirements`` returns, per constraint, what each row requires of it
    (HOLD, BREAK or EITHER). It runs once, on the calling thread, while worker
    threads already draw columns, because the draws do not depend on it.

    Each group draws and repairs its columns from a stream of its own, spawned
    from ``rng`` in group order, so the table is the same whatever the number
    of ``workers`` (default: every core) and the order they finish in.
    """
    groups = column_groups(list(schema), constraints)
    streams = rng.spawn(len(groups))
    workers = default_workers() if workers is None else workers
    if n_samples < PARALLEL_ROWS:
        workers = 1
    workers = min(workers, len(groups))

    if workers == 1:
        required = requirements()
        built = [
            _build_group(schema, group, stream, n_samples, lambda: required, placement)
            for group, stream in zip(groups, streams, strict=True)
        ]
    else:
        built = _build_in_threads(
            schema, groups, streams, n_samples, requirements, placement, workers
        )
    arrays = {name: array for frame in built for name, array in frame.arrays.items()}
    return Frame({name: arrays[name] for name in schema}, schema)


def _build_group(schema, group, stream, n_samples, requirements, placement) -> Frame:
    """Draw the columns of ``group``, then repair them to meet its constraints."""
    arrays = {name: schema[name].draw(n_samples, stream) for name in group.names}
    frame = Frame(arrays, schema)
    if group.constraints:
        required = requirements()
        solve(frame, {c: required[c] for c in group.constraints}, stream, placement)
    return frame


def _build_in_threads(
    schema, groups, streams, n_samples, requirements, placement, workers
) -> list[Frame]:
    """Build ``groups`` on ``workers`` threads; return their frames in group order.

    Threads suffice: the work is NumPy operations on large arrays, which
    release the GIL, and threads share the arrays instead of copying them.
    """
    # Start the groups with the most constraints and columns first, so a long
    # group does not begin last and leave the other threads idle.
    order = sorted(
        range(len(groups)),
        key=lambda i: (-len(groups[i].constraints), -len(groups[i].names), i),
    )
    required: Future = Future()
    with ThreadPoolExecutor(workers, thread_name_prefix="fakegen") as pool:
        futures = {
            i: pool.submit(
                _build_group,
                schema,
                groups[i],
                streams[i],
                n_samples,
                required.result,
                placement,
            )
            for i in order
        }
        try:
            required.set_result(requirements())
        except BaseException as exc:
            # Release the threads waiting for the requirements, then fail.
            required.set_exception(exc)
            raise
        return [futures[i].result() for i in range(len(groups))]
