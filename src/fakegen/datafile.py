"""Load the user's own training and test tables from CSV, Parquet or SQLite."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import to_absolute_path

from fakegen.errors import ConfigError, DataFileError
from fakegen.generator import Dataset

log = logging.getLogger(__name__)

SUFFIXES = {
    ".csv": "CSV",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".sqlite": "SQLite",
    ".db": "SQLite",
}


@dataclass
class FileData:
    """The user's training table and named test tables, with their labels."""

    train: Dataset
    tests: dict[str, Dataset]
    classes: list[Any]


def read_table(path: str, *, key: str, table: str | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet or SQLite file into a DataFrame.

    Relative paths are resolved against the directory ``fakegen`` was started
    from. Errors name ``key``, the config entry that gave the path.
    """
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{key} is {path!r}; give the path of a data file.")
    resolved = Path(to_absolute_path(path))
    suffix = resolved.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataFileError(
            f"{key} is {path!r}, a {suffix or 'suffix-less'} file; fakegen reads "
            f"{', '.join(sorted(SUFFIXES))} files. Convert it or rename it."
        )
    if not resolved.is_file():
        raise DataFileError(
            f"{key} is {path!r}, but {resolved} does not exist. Relative paths "
            "are resolved against the directory fakegen was started from."
        )
    try:
        frame = _read(resolved, suffix, table)
    except (ValueError, OSError, sqlite3.Error, UnicodeDecodeError) as exc:
        raise DataFileError(
            f"{key}: cannot read {resolved} as {SUFFIXES[suffix]}: {exc}. Check "
            "that the file is complete and of that format."
        ) from exc
    if frame.empty:
        raise DataFileError(f"{key}: {resolved} holds no rows.")
    log.info("Read %s rows=%d columns=%d", resolved.name, len(frame), frame.shape[1])
    return frame


def _read(path: Path, suffix: str, table: str | None) -> pd.DataFrame:
    if SUFFIXES[suffix] == "CSV":
        return pd.read_csv(path)
    if SUFFIXES[suffix] == "Parquet":
        return pd.read_parquet(path)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        if table is None and len(tables) == 1:
            table = tables[0]
        if table not in tables:
            raise ValueError(
                f"table {table!r} not found; the file has tables {tables}, so set "
                "generator.table"
            )
        # The name was checked against sqlite_master above, so quoting it is safe.
        return pd.read_sql_query(f'SELECT * FROM "{table}"', connection)


def load_file_data(cfg: Mapping[str, Any]) -> FileData:
    """Load ``generator.train`` and every ``generator.tests`` entry with labels."""
    label = cfg.get("label")
    if not isinstance(label, str) or not label:
        raise ConfigError(
            f"generator.label is {label!r}; name the label column of your table."
        )
    table = cfg.get("table")
    train_frame = read_table(cfg.get("train"), key="generator.train", table=table)
    tests_cfg = cfg.get("tests") or {}
    if not isinstance(tests_cfg, Mapping):
        raise ConfigError(
            f"generator.tests is {tests_cfg!r}; give a mapping of test name to path."
        )
    test_frames = {
        str(name): read_table(path, key=f"generator.tests.{name}", table=table)
        for name, path in tests_cfg.items()
    }

    drop = list(cfg.get("drop") or [])
    features = _feature_columns(train_frame, label, drop)
    positive = cfg.get("positive")
    train, classes = _to_dataset(
        train_frame, label, features, positive, "generator.train"
    )
    tests = {}
    for name, frame in test_frames.items():
        key = f"generator.tests.{name}"
        missing = [c for c in [*features, label] if c not in frame.columns]
        if missing:
            raise DataFileError(
                f"{key} lacks column {missing[0]!r}, which the training file has. "
                "Give test files the same columns as the training file."
            )
        tests[name], _ = _to_dataset(frame, label, features, positive, key, classes)
    return FileData(train=train, tests=tests, classes=classes)


def _feature_columns(frame: pd.DataFrame, label: str, drop: list[str]) -> list[str]:
    if label not in frame.columns:
        raise DataFileError(
            f"generator.label is {label!r}, but the training file has no such "
            f"column; its columns are {', '.join(map(str, frame.columns))}."
        )
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise ConfigError(
            f"generator.drop names {unknown[0]!r}, which the training file lacks."
        )
    features = [c for c in frame.columns if c != label and c not in drop]
    if not features:
        raise DataFileError(
            "The training file has no feature column besides the label."
        )
    return features


def _to_dataset(frame, label, features, positive, key, classes=None):
    """Split a frame into features and encoded labels, dropping unlabelled rows."""
    unlabelled = frame[label].isna()
    if unlabelled.any():
        log.warning(
            "Dropped %d rows of %s with no value in label column %r",
            int(unlabelled.sum()),
            key,
            label,
        )
        frame = frame.loc[~unlabelled]
    raw = frame[label]
    if positive is not None:
        if classes is None and not (raw.astype(str) == str(positive)).any():
            raise ConfigError(
                f"generator.positive is {positive!r}, but label column {label!r} "
                f"never takes it; its values are {sorted(raw.astype(str).unique())}."
            )
        y = (raw.astype(str) == str(positive)).to_numpy().astype(np.int64)
        classes = [f"not {positive}", str(positive)]
    else:
        if classes is None:
            classes = sorted(raw.unique().tolist(), key=str)
        lookup = {value: code for code, value in enumerate(classes)}
        codes = raw.map(lookup)
        if codes.isna().any():
            unseen = raw[codes.isna()].iloc[0]
            raise DataFileError(
                f"{key} has label {unseen!r}, which the training file never uses."
            )
        y = codes.to_numpy().astype(np.int64)
    X = frame[features].reset_index(drop=True)
    return Dataset(X=X, y=y, y_clean=y), classes
