"""Build a table batch by batch and group by group, on several threads when large."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fakegen.columns import Column
from fakegen.constraints import Constraint
from fakegen.frame import Frame
from fakegen.solver import Placement, solve

#: Rows built together as one batch. Batches, not whole tables, go to the
#: threads, so the load spreads evenly. A batch's arrays also stay in the
#: processor's cache. On a 2-core machine with 2 MiB of L2 and 32 MiB of L3
#: cache, one million rows took about 20% less time on one thread in batches
#: of this size than as one batch. They also took less time than in batches of
#: 250,000, on one thread or two.
BATCH_ROWS = 125_000

#: Callable that gives, for a slice of rows and a random stream, each
#: constraint's per-row array of HOLD, BREAK or EITHER.
Requirements = Callable[[slice, np.random.Generator], Mapping[Constraint, np.ndarray]]


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
    requirements: Requirements,
    n_samples: int,
    rng: np.random.Generator,
    placement: Placement,
    *,
    workers: int | None = None,
) -> Frame:
    """Draw every column of ``schema`` and solve ``constraints``, batch by batch.

    ``requirements(rows, stream)`` returns, per constraint, what each row of
    the slice ``rows`` requires of it (HOLD, BREAK or EITHER), drawing any
    random choice from ``stream``.

    The rows are built in batches of BATCH_ROWS, on up to ``workers``
    threads (default: every core). Each batch, and each group of columns in
    it, draws from a stream of its own, spawned from ``rng`` in order, so the
    table is the same whatever the number of threads.
    """
    groups = column_groups(list(schema), constraints)
    batches = [
        slice(start, min(start + BATCH_ROWS, n_samples))
        for start in range(0, n_samples, BATCH_ROWS)
    ] or [slice(0, 0)]
    streams = rng.spawn(len(batches))

    def build(rows: slice, stream: np.random.Generator) -> dict[str, np.ndarray]:
        own, *group_streams = stream.spawn(1 + len(groups))
        required = requirements(rows, own)
        arrays = {}
        for group, group_stream in zip(groups, group_streams, strict=True):
            arrays.update(
                _build_group(schema, group, group_stream, rows, required, placement)
            )
        return arrays

    if len(batches) == 1:
        arrays = build(batches[0], streams[0])
        return Frame({name: arrays[name] for name in schema}, schema)

    table = {name: np.empty(n_samples, _table_dtype(c)) for name, c in schema.items()}

    def build_into_table(rows: slice, stream: np.random.Generator) -> None:
        for name, values in build(rows, stream).items():
            table[name][rows] = values

    workers = default_workers() if workers is None else workers
    workers = min(workers, len(batches))
    if workers == 1:
        for rows, stream in zip(batches, streams, strict=True):
            build_into_table(rows, stream)
    else:
        # Threads suffice: the work is NumPy operations on large arrays,
        # which release the GIL, and threads share the table without copies.
        with ThreadPoolExecutor(workers, thread_name_prefix="fakegen") as pool:
            list(pool.map(build_into_table, batches, streams))
    return Frame(table, schema)


def _table_dtype(column: Column) -> np.dtype:
    """Return the dtype of ``column`` in the assembled table.

    Literal codes go into the smallest integer type of their vocabulary,
    the one pandas gives a Categorical's codes, so turning the table into a
    DataFrame keeps them without a copy. Each batch's threads do the
    narrowing as they write their rows.
    """
    if not column.is_literal:
        return column.dtype
    size = len(column.values)
    if size < np.iinfo(np.int8).max:
        return np.dtype(np.int8)
    if size < np.iinfo(np.int16).max:
        return np.dtype(np.int16)
    return column.dtype


def _build_group(schema, group, stream, rows, required, placement):
    """Draw the columns of ``group`` for ``rows``, then repair them to meet its
    constraints; return the arrays by column name."""
    n_samples = rows.stop - rows.start
    arrays = {name: schema[name].draw(n_samples, stream) for name in group.names}
    if group.constraints:
        frame = Frame(arrays, schema)
        solve(frame, {c: required[c] for c in group.constraints}, stream, placement)
    return arrays
