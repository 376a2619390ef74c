"""Load the user's own training and test tables from CSV, Parquet or SQLite."""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import to_absolute_path

from fakegen.checks import check_keys, suggestion
from fakegen.csvtail import warn_short_last_row
from fakegen.errors import ConfigError, DataFileError
from fakegen.generator import Dataset
from fakegen.verifier.options import RESERVED_SUITES

log = logging.getLogger(__name__)

# More distinct labels than this means a continuous or identifier column was
# named as the label by mistake; per-class metrics would mean nothing.
MAX_CLASSES = 50

SUFFIXES = {
    ".csv": "CSV",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".sqlite": "SQLite",
    ".db": "SQLite",
}
#: File signatures (magic bytes) of the binary formats fakegen reads, each with
#: the format's name as a message uses it and the suffix to rename the file to.
SIGNATURES = {
    b"PAR1": ("a Parquet", ".parquet"),
    b"SQLite format 3\x00": ("an SQLite", ".sqlite"),
}
#: Test table names the results table uses for its own rows. The verifier's
#: suite names (RESERVED_SUITES) are reserved too.
RESERVED_TEST_NAMES = ("train", "test")
#: Share of non-missing values that must read as numbers before a text column
#: is reported as a numeric column with stray text.
NUMERIC_SHARE = 0.5


@dataclass
class FileData:
    """The user's training table and named test tables, with their labels."""

    train: Dataset
    tests: dict[str, Dataset]
    classes: list[Any]
    #: Test table name to the path its ``generator.tests`` entry gives.
    test_paths: dict[str, str] = field(default_factory=dict)


def read_table(
    path: str,
    *,
    key: str,
    table: str | None = None,
    table_key: str = "generator.table",
) -> pd.DataFrame:
    """Read a CSV, Parquet or SQLite file into a DataFrame.

    Relative paths are resolved against the directory ``fakegen`` was started
    from. Errors name ``key``, the config entry that gave the path, and
    ``table_key``, the one that chose the SQLite table.
    """
    if path == "???":
        raise ConfigError(
            f"{key} is missing; set {key}=PATH to a CSV, Parquet or SQLite file."
        )
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{key} is {path!r}; give the path of a data file.")
    resolved = Path(to_absolute_path(path))
    if resolved.is_dir():
        raise DataFileError(
            f"{key} is {path!r}, a directory; give the path of a data file in it."
        )
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
        frame = _read(resolved, suffix, table, key=key, table_key=table_key)
    except DataFileError:
        raise
    except UnicodeDecodeError as exc:
        raise DataFileError(
            # pandas decodes in blocks, so the error's byte offset is not the
            # file's and would mislead.
            f"{key}: {resolved} is not UTF-8 text ({exc.reason}); save it as "
            "UTF-8, such as with CSV UTF-8 in a spreadsheet's Save As."
        ) from exc
    except (ValueError, OSError, sqlite3.Error) as exc:
        raise DataFileError(
            f"{key}: cannot read {resolved} as {SUFFIXES[suffix]}: "
            f"{str(exc).rstrip('.')}. Check that the file is complete and of "
            "that format."
        ) from exc
    if frame.empty:
        raise DataFileError(f"{key}: {resolved} contains no rows.")
    log.info("Read %s rows=%d columns=%d", resolved.name, len(frame), frame.shape[1])
    return frame


def _read(
    path: Path, suffix: str, table: str | None, *, key: str, table_key: str
) -> pd.DataFrame:
    if SUFFIXES[suffix] == "CSV":
        _check_signature(path, key=key)
        frame = pd.read_csv(path)
        _check_csv_header(path, frame, key=key)
        warn_short_last_row(path, frame, key=key)
        return frame
    if SUFFIXES[suffix] == "Parquet":
        return pd.read_parquet(path)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        if not tables:
            raise DataFileError(
                f"{key}: {path} is an SQLite file that contains no table; give a "
                "file with the table to read."
            )
        if table is None and len(tables) == 1:
            table = tables[0]
        if table is None:
            raise DataFileError(
                f"{key}: {path} contains the tables {', '.join(tables)}; set "
                f"{table_key} to the one to read."
            )
        if table not in tables:
            raise DataFileError(
                f"{table_key} is {table!r}, but {path} has no such table; set "
                f"{table_key} to one of {', '.join(tables)}."
            )
        # The name was checked against sqlite_master above, so quoting it is safe.
        return pd.read_sql_query(f'SELECT * FROM "{table}"', connection)


def heldout_sources(
    tests: Mapping[str, Any], table: str | None
) -> dict[str, tuple[Any, str | None, str]]:
    """Return each test table's path, SQLite table and the key that chose it.

    An entry is a path, read with ``generator.table``, or a mapping with
    ``path`` and ``table``, for a test table in another table of an SQLite
    file, such as ``{path: data.sqlite, table: heldout}``.
    """
    sources = {}
    for name, entry in tests.items():
        key = f"generator.tests.{name}"
        if isinstance(entry, Mapping):
            check_keys(entry, ("path", "table"), key=key)
            if entry.get("path") is None:
                raise ConfigError(
                    f"{key}.path is missing; give the file, such as "
                    f"{key}={{path: data.sqlite, table: heldout}}."
                )
            # Without its own table the entry reads generator.table, but the
            # key to set is still the entry's own.
            sources[str(name)] = (
                entry.get("path"),
                entry.get("table", table),
                f"{key}.table",
            )
        else:
            sources[str(name)] = (entry, table, "generator.table")
    return sources


def check_file_config(
    generator: Mapping[str, Any], constraint: Mapping[str, Any]
) -> None:
    """Check the ``generator`` group of a ``generator=file`` run before any reading.

    Parameters
    ----------
    generator : mapping
        The ``generator`` group, with ``kind: file``.
    constraint : mapping
        The ``constraint`` group, which must declare no constraints, because
        they describe columns of the synthetic table.

    Raises
    ------
    ConfigError
        For constraints under ``constraint.constraints``, a missing
        ``generator.train`` or ``generator.label``, a test table with a reserved
        name, or ``generator.table`` without an SQLite file.
    """
    declared = constraint.get("constraints") or {}
    if declared:
        raise ConfigError(
            f"constraint.constraints is set ({', '.join(map(str, declared))}), but "
            "constraint.constraints applies to synthetic tables; declare "
            "constraints over your columns in verifier.constraints, and use "
            "constraint=none."
        )
    for key in ("train", "label"):
        if generator.get(key) == "???":
            what = "PATH" if key == "train" else "COLUMN"
            raise ConfigError(
                f"generator.{key} is missing; set generator.{key}={what}."
            )

    tests = generator.get("tests") or {}
    if not isinstance(tests, Mapping):
        raise ConfigError(
            f"generator.tests is {tests!r}; give a mapping of test name to path."
        )
    reserved = (*RESERVED_TEST_NAMES, *RESERVED_SUITES)
    for name, entry in tests.items():
        if name in reserved:
            raise ConfigError(
                f"generator.tests.{name} is {entry!r}, but {name!r} is reserved "
                "because the results table and the verifier's own test suites use "
                f"the names {', '.join(reserved)}. Rename the test table, such as "
                f"to generator.tests.{name}_file."
            )

    table = generator.get("table")
    sources = heldout_sources(tests, table)
    paths = [generator.get("train"), *(path for path, _, _ in sources.values())]
    suffixes = [Path(str(path)).suffix.lower() for path in paths]
    if table is not None and not any(SUFFIXES.get(s) == "SQLite" for s in suffixes):
        raise ConfigError(
            f"generator.table is {table!r}, but generator.table applies to SQLite "
            "files only and no file given is one; remove it with ~generator.table."
        )


def _warn_same_table(
    train_path: str, table: str | None, sources: Mapping[str, tuple]
) -> None:
    """Warn about a test table that is the training table itself."""
    train = (Path(to_absolute_path(train_path)).resolve(), table)
    for name, (path, test_table, _) in sources.items():
        if (Path(to_absolute_path(str(path))).resolve(), test_table) != train:
            continue
        where = f"{path}, table {test_table}" if test_table else str(path)
        fix = "give it another file"
        if SUFFIXES.get(Path(str(path)).suffix.lower()) == "SQLite":
            fix += (
                f", or another table of the file with generator.tests.{name}="
                f"{{path: {path}, table: NAME}}"
            )
        log.warning(
            "generator.tests.%s reads the training table itself (%s), so its "
            "scores measure fit, not generalisation; %s",
            name,
            where,
            fix,
        )


def _check_signature(path: Path, *, key: str) -> None:
    """Reject a Parquet or SQLite file named as CSV, which would not decode as text."""
    with open(path, "rb") as stream:
        head = stream.read(max(map(len, SIGNATURES)))
    for signature, (kind, suffix) in SIGNATURES.items():
        if head.startswith(signature):
            raise DataFileError(
                f"{key}: {path} is {kind} file with a {path.suffix} name. Give it "
                f"a {suffix} name, such as {path.with_suffix(suffix).name}, and "
                f"set {key} to the new path."
            )


def _check_csv_header(path: Path, frame: pd.DataFrame, *, key: str) -> None:
    """Reject a repeated column name and a header split by another delimiter.

    pandas renames a repeated name (``a``, ``a.1``) and reads a file split by
    semicolons as one column, and both lead to confusing errors later.
    """
    with open(path, encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream), [])
    repeated = [name for name, count in Counter(header).items() if count > 1]
    if repeated:
        raise DataFileError(
            f"{key}: {path} names column {repeated[0]!r} more than once in its "
            "header; give each column its own name."
        )
    if frame.shape[1] != 1:
        return
    name = str(frame.columns[0])
    for delimiter in (";", "\t", "|"):
        if delimiter in name:
            raise DataFileError(
                f"{key}: {path} reads as one column, {name[:60]!r}, because "
                f"fakegen reads comma-separated values and its header uses "
                f"{delimiter!r}; save the file with commas between values."
            )


def load_file_data(cfg: Mapping[str, Any]) -> FileData:
    """Load ``generator.train`` and every ``generator.tests`` entry with labels."""
    label = cfg.get("label")
    if not isinstance(label, str) or not label or label == "???":
        raise ConfigError(
            f"generator.label is {label!r}; name the label column of your table."
        )
    table = cfg.get("table")
    train_path = cfg.get("train")
    train_frame = read_table(train_path, key="generator.train", table=table)
    tests_cfg = cfg.get("tests") or {}
    if not isinstance(tests_cfg, Mapping):
        raise ConfigError(
            f"generator.tests is {tests_cfg!r}; give a mapping of test name to path."
        )
    sources = heldout_sources(tests_cfg, table)
    test_frames = {
        name: read_table(
            path, key=f"generator.tests.{name}", table=test_table, table_key=table_key
        )
        for name, (path, test_table, table_key) in sources.items()
    }
    _warn_same_table(train_path, table, sources)

    drop = list(cfg.get("drop") or [])
    features = _drop_empty_columns(
        train_frame, _feature_columns(train_frame, label, drop), train_path
    )
    train_frame = _parse_numeric_text(train_frame, features, "generator.train")
    test_frames = {
        name: _parse_numeric_text(frame, features, f"generator.tests.{name}")
        for name, frame in test_frames.items()
    }
    _warn_stray_text(train_frame[features])
    positive = cfg.get("positive")
    train, classes = _to_dataset(
        train_frame, label, features, positive, "generator.train"
    )
    _check_two_classes(train.y, classes, path=train_path, label=label)
    numeric = [c for c in features if _is_numeric(train_frame[c])]
    tests = {}
    for name, frame in test_frames.items():
        key = f"generator.tests.{name}"
        missing = [c for c in [*features, label] if c not in frame.columns]
        if missing:
            raise DataFileError(
                f"{key} lacks column {missing[0]!r}, which the training file has. "
                "Give test files the same columns as the training file."
            )
        _check_numbers(frame, numeric, key)
        tests[name], _ = _to_dataset(frame, label, features, positive, key, classes)
        if len(tests[name].y) == 0:
            raise DataFileError(
                f"{key} is {str(sources[name][0])!r}, and its label column "
                f"{label!r} has no value in any row; a test file is scored on its "
                "labels, so fill them in or remove the entry."
            )
    test_paths = {name: str(path) for name, (path, _, _) in sources.items()}
    return FileData(train=train, tests=tests, classes=classes, test_paths=test_paths)


def _is_numeric(values: pd.Series) -> bool:
    dtype = values.dtype
    return pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)


def _check_numbers(frame: pd.DataFrame, numeric: list[str], key: str) -> None:
    """Raise for the first value of a test table that is text in a numeric column."""
    for column in numeric:
        if _is_numeric(frame[column]):
            continue
        values = frame[column]
        parsed = pd.to_numeric(values, errors="coerce")
        bad = values[parsed.isna() & values.notna()]
        if not bad.empty:
            raise DataFileError(
                f"{key} has {bad.iloc[0]!r} in column {column!r}, which is numeric "
                "in the training file; replace it with a number or leave the cell "
                "empty."
            )


def _parse_numeric_text(
    frame: pd.DataFrame, features: list[str], key: str
) -> pd.DataFrame:
    """Turn text columns whose every filled cell is a number into numbers.

    SQLite columns without a declared type, and Parquet files written from
    text, store numbers as strings. Encoding them as literals would give each
    distinct number its own category.
    """
    converted = {}
    for column in features:
        if column not in frame.columns or _is_numeric(frame[column]):
            continue
        values = frame[column]
        filled = values.notna()
        parsed = pd.to_numeric(values, errors="coerce")
        if filled.any() and parsed[filled].notna().all():
            converted[column] = parsed
    if converted:
        log.info(
            "Read numbers stored as text in %s as numbers: %s",
            key,
            ", ".join(map(str, converted)),
        )
        frame = frame.assign(**converted)
    return frame


def _warn_stray_text(X: pd.DataFrame) -> None:
    """Warn about text columns whose values are mostly numbers.

    Such a column is encoded as literals, so each distinct number becomes its
    own category. Usually a few cells contain a typo or a missing-value marker.
    """
    for column in X.columns:
        values = X[column].dropna()
        if _is_numeric(values) or values.empty:
            continue
        parsed = pd.to_numeric(values, errors="coerce")
        n_numbers = int(parsed.notna().sum())
        if n_numbers and n_numbers >= NUMERIC_SHARE * len(values):
            stray = values[parsed.isna()]
            log.warning(
                "Column %r of generator.train is mostly numbers but has text in %d "
                "of %d filled cells (first %r), so it is encoded as literals with %d "
                "distinct values; fix those cells or leave them empty to keep the "
                "column numeric",
                column,
                len(stray),
                len(values),
                stray.iloc[0],
                values.nunique(),
            )


def _check_two_classes(y: np.ndarray, classes: list[Any], *, path: str, label: str):
    """Raise unless the training labels contain two classes, as a classifier needs."""
    present = np.unique(y)
    if len(present) >= 2:
        return
    if len(present):
        found = f"only the value {classes[present[0]]!r}"
    else:
        found = "no value in any row"
    raise DataFileError(
        f"generator.train is {path!r}, and its label column {label!r} has {found}; "
        "a classifier needs rows of two classes or more, so add rows of another "
        "class or set generator.label to another column."
    )


def _feature_columns(frame: pd.DataFrame, label: str, drop: list[str]) -> list[str]:
    if label not in frame.columns:
        columns = list(map(str, frame.columns))
        raise DataFileError(
            f"generator.label is {label!r}, but the training file has no such "
            f"column. {suggestion(label, columns)}Its columns are "
            f"{', '.join(columns)}."
        )
    if label in drop:
        raise ConfigError(
            f"generator.drop names {label!r}, the label column; the label is "
            "never a feature, so remove it from generator.drop."
        )
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        columns = list(map(str, frame.columns))
        raise ConfigError(
            f"generator.drop names {unknown[0]!r}, which the training file lacks. "
            f"{suggestion(unknown[0], columns)}Its columns are {', '.join(columns)}."
        )
    features = [c for c in frame.columns if c != label and c not in drop]
    if not features:
        raise DataFileError(
            "The training file has no feature column besides the label."
        )
    return features


def _drop_empty_columns(
    frame: pd.DataFrame, features: list[str], path: Any
) -> list[str]:
    """Leave out the feature columns that have no value in any training row.

    Such a column carries nothing to learn, and scikit-learn's imputers warn
    about it at every fit and transform.
    """
    empty = [c for c in features if frame[c].isna().all()]
    if not empty:
        return features
    filled = [c for c in features if c not in empty]
    if not filled:
        raise DataFileError(
            f"generator.train is {str(path)!r}, whose feature columns "
            f"({', '.join(map(str, empty))}) have no value in any row; fill "
            "them in, or pick a training file with values."
        )
    log.warning(
        "Left out column%s %s of %s: no training row has a value there. List "
        "%s in generator.drop to leave %s out without this warning.",
        "s" if len(empty) > 1 else "",
        ", ".join(map(repr, empty)),
        path,
        "them" if len(empty) > 1 else "it",
        "them" if len(empty) > 1 else "it",
    )
    return filled


def _check_class_count(classes: list[Any], label: str) -> None:
    """Reject a label column that looks like a measurement, not a class."""
    if len(classes) <= MAX_CLASSES:
        return
    raise DataFileError(
        f"generator.label is {label!r}, a column with {len(classes)} distinct "
        f"values; fakegen trains classifiers and accepts at most {MAX_CLASSES} "
        "classes. Pick a class column, or set generator.positive to one value "
        "to predict that value against the rest."
    )


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
        # With no label left at all, the check for two classes gives the cause.
        matched = (raw.astype(str) == str(positive)).any()
        if classes is None and len(raw) and not matched:
            values = sorted(raw.astype(str).unique())
            raise ConfigError(
                f"generator.positive is {positive!r}, but label column {label!r} "
                f"never takes it. {suggestion(positive, values)}Its values are "
                f"{values}."
            )
        y = (raw.astype(str) == str(positive)).to_numpy().astype(np.int64)
        classes = [f"not {positive}", str(positive)]
    else:
        if classes is None:
            classes = sorted(raw.unique().tolist(), key=str)
            _check_class_count(classes, label)
        lookup = {value: code for code, value in enumerate(classes)}
        codes = raw.map(lookup)
        if codes.isna().any():
            unseen = raw[codes.isna()].iloc[0]
            if isinstance(unseen, np.generic):
                unseen = unseen.item()
            raise DataFileError(
                f"{key} has label {unseen!r}, which the training file never uses; "
                "drop those rows or add rows of that class to the training file."
            )
        y = codes.to_numpy().astype(np.int64)
    X = frame[features].reset_index(drop=True)
    return Dataset(X=X, y=y, y_clean=y), classes
