"""Loading the user's own tables: formats, labels, missing values, broken files."""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, load_results
from fakegen.datafile import load_file_data, read_table
from fakegen.errors import ConfigError, DataFileError

PENGUINS = DATA / "penguins" / "penguins.csv"


@pytest.fixture
def penguins() -> pd.DataFrame:
    return pd.read_csv(PENGUINS)


def write_sqlite(frame: pd.DataFrame, path, table: str = "penguins") -> None:
    with sqlite3.connect(path) as connection:
        frame.to_sql(table, connection, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sqlite"])
def test_read_table_reads_each_format(tmp_path, penguins, suffix):
    path = tmp_path / f"penguins{suffix}"
    if suffix == ".csv":
        penguins.to_csv(path, index=False)
    elif suffix == ".parquet":
        penguins.to_parquet(path)
    else:
        write_sqlite(penguins, path)

    frame = read_table(str(path), key="generator.train")

    assert frame.shape == (344, 8)
    assert list(frame.columns) == list(penguins.columns)
    assert frame["bill_length_mm"].isna().sum() == 2


def test_load_file_data_encodes_positive_label(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    penguins.head(50).to_parquet(tmp_path / "test.parquet")
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "tests": {"first50": str(tmp_path / "test.parquet")},
        "label": "species",
        "positive": "Gentoo",
        "drop": ["year"],
    }

    data = load_file_data(cfg)

    assert data.classes == ["not Gentoo", "Gentoo"]
    assert data.train.y.sum() == (penguins["species"] == "Gentoo").sum()
    assert "species" not in data.train.X.columns
    assert "year" not in data.train.X.columns
    assert list(data.tests) == ["first50"]
    assert data.tests["first50"].y.tolist() == [0] * 50


def test_load_file_data_keeps_every_class(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)

    data = load_file_data({"train": str(tmp_path / "train.csv"), "label": "species"})

    assert data.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert np.bincount(data.train.y).tolist() == [152, 68, 124]


def test_load_file_data_drops_unlabelled_rows(tmp_path, penguins, caplog):
    penguins.loc[[0, 1, 2], "species"] = None
    penguins.to_csv(tmp_path / "train.csv", index=False)

    data = load_file_data({"train": str(tmp_path / "train.csv"), "label": "species"})

    assert len(data.train.y) == 341
    assert (
        "Dropped 3 rows of generator.train with no value in label column" in caplog.text
    )


def test_sqlite_with_several_tables_needs_table(tmp_path, penguins):
    path = tmp_path / "data.sqlite"
    write_sqlite(penguins, path, "penguins")
    write_sqlite(penguins.head(3), path, "other")

    with pytest.raises(DataFileError, match=re.escape("set generator.table")):
        read_table(str(path), key="generator.train")

    frame = read_table(str(path), key="generator.train", table="other")
    assert len(frame) == 3


BROKEN = [
    pytest.param("empty.csv", b"", "cannot read", id="empty-csv"),
    pytest.param("header.csv", b"a,b,c\n", "holds no rows", id="header-only-csv"),
    pytest.param(
        "cut.parquet", b"PAR1\x00\x01garbage", "cannot read", id="broken-parquet"
    ),
    pytest.param(
        "noise.sqlite", b"not a database at all", "cannot read", id="broken-sqlite"
    ),
    pytest.param("data.xlsx", b"", "fakegen reads", id="unsupported-suffix"),
]


@pytest.mark.parametrize(("name", "content", "message"), BROKEN)
def test_read_table_rejects_broken_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(DataFileError, match=re.escape(message)) as info:
        read_table(str(path), key="generator.tests.holdout")

    assert str(info.value).startswith("generator.tests.holdout")


def test_missing_label_column_lists_columns(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)

    message = "generator.label is 'kind', but the training file has no such column"
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data({"train": str(tmp_path / "train.csv"), "label": "kind"})


def test_test_file_missing_column_is_named(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    penguins.drop(columns="island").to_csv(tmp_path / "test.csv", index=False)
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "tests": {"holdout": str(tmp_path / "test.csv")},
        "label": "species",
    }

    message = "generator.tests.holdout lacks column 'island'"
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data(cfg)


def test_unknown_positive_label_is_named(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "label": "species",
        "positive": "Emperor",
    }

    message = (
        "generator.positive is 'Emperor', but label column 'species' never takes it"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_file_data(cfg)


def test_file_run_through_command(fakegen, tmp_path, penguins):
    penguins.to_parquet(tmp_path / "train.parquet")
    penguins.sample(frac=0.3, random_state=0).to_csv(tmp_path / "test.csv", index=False)

    completed = fakegen(
        "generator=file",
        "constraint=none",
        "generator.train=train.parquet",
        "+generator.tests.sample=test.csv",
        "generator.label=sex",
        "tracker=none",
    )

    assert completed.returncode == 0, completed.stderr
    results = load_results(tmp_path / "run")
    assert results["status"] == "completed"
    assert results["name"] == "file-logreg-seed0"
    assert results["dataset"]["rows"] == 333
    assert "suite/sample/accuracy" in results["metrics"]
