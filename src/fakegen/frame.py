"""A column store for generation, and readers that accept it or a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from fakegen.columns import CODE_DTYPE, Column

#: Input type of constraints and expressions: a pandas DataFrame or a :class:`Frame`.
Table = Any


class Frame:
    """Columns as NumPy arrays, with literal columns held as vocabulary codes.

    The generator repairs rows in place many times before it hands out a table;
    plain arrays make each repair a fancy-indexed write instead of a pandas
    column rebuild, and integer codes make literal checks integer comparisons.

    Parameters
    ----------
    arrays : dict of str to ndarray
        One array per column, all of the same length. Literal columns hold
        ``int32`` codes into their column's vocabulary.
    schema : mapping of str to Column
        The column definitions, used to decode literal codes.
    """

    def __init__(self, arrays: dict[str, np.ndarray], schema: Mapping[str, Column]):
        self.arrays = arrays
        self.schema = schema

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values()))) if self.arrays else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def take(self, rows: np.ndarray, names: Iterable[str] | None = None) -> Frame:
        """Return a frame of ``rows`` of the columns ``names`` (default: every one)."""
        names = self.arrays if names is None else names
        return Frame({name: self.arrays[name][rows] for name in names}, self.schema)

    def to_pandas(self) -> pd.DataFrame:
        """Return a DataFrame; literal columns become Categoricals over their codes."""
        data = {}
        for name, values in self.arrays.items():
            column = self.schema[name]
            if column.is_literal:
                data[name] = pd.Categorical.from_codes(
                    values, categories=list(column.values), validate=False
                )
            else:
                data[name] = values
        # copy=False keeps the arrays as they are instead of consolidating them
        # into one 2-D block, which would double peak memory for large tables.
        return pd.DataFrame(data, copy=False)


def take_rows(df: Table, rows: np.ndarray, names: Iterable[str]) -> Table:
    """Return the rows ``rows`` of columns ``names``, as a Frame or DataFrame."""
    if isinstance(df, Frame):
        return df.take(rows, names)
    return df.iloc[rows][list(names)]


def read_numbers(df: Table, name: str) -> np.ndarray:
    """Return column ``name`` of ``df`` as a NumPy array of numbers."""
    if isinstance(df, Frame):
        return df.arrays[name]
    return df[name].to_numpy()


def read_codes(df: Table, column: Column) -> np.ndarray:
    """Return a literal column as codes into ``column.values``, -1 where unknown."""
    if isinstance(df, Frame):
        return df.arrays[column.name]
    series = df[column.name]
    if isinstance(series.dtype, pd.CategoricalDtype) and list(
        series.cat.categories
    ) == list(column.values):
        return series.cat.codes.to_numpy()
    return pd.Index(column.values).get_indexer(series.astype(object)).astype(CODE_DTYPE)


def read_literal(df: Table, name: str) -> np.ndarray:
    """Return literal column ``name`` as an object array of strings."""
    if isinstance(df, Frame):
        vocabulary = np.asarray(df.schema[name].values, dtype=object)
        return vocabulary[df.arrays[name]]
    return np.asarray(df[name], dtype=object)


def assign(df: Table, name: str, rows: np.ndarray, values: Any) -> None:
    """Write numeric ``values`` into column ``name`` at integer positions ``rows``."""
    if isinstance(df, Frame):
        df.arrays[name][rows] = values
        return
    column = df[name].to_numpy(copy=True)
    column[rows] = values
    df[name] = column


def assign_codes(df: Table, column: Column, rows: np.ndarray, codes: Any) -> None:
    """Write literal values, given as codes into ``column.values``, at ``rows``."""
    if isinstance(df, Frame):
        df.arrays[column.name][rows] = codes
        return
    vocabulary = np.asarray(column.values, dtype=object)
    values = np.asarray(df[column.name], dtype=object).copy()
    values[rows] = vocabulary[np.asarray(codes)]
    current = df[column.name].dtype
    categories = list(column.values)
    if isinstance(current, pd.CategoricalDtype):
        # Keep categories the caller added, such as literals unseen in training.
        extra = [c for c in current.categories if c not in set(categories)]
        categories += extra
    df[column.name] = pd.Categorical(values, categories=categories)
