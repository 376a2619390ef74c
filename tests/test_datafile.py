"""Loading the user's own tables: formats, labels, missing values, broken files."""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, assert_failed_before_data, load_results
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


def test_every_label_empty_is_named(tmp_path, penguins):
    penguins["species"] = None
    penguins.to_csv(tmp_path / "train.csv", index=False)
    cfg = {"train": str(tmp_path / "train.csv"), "label": "species", "positive": "A"}

    message = "and its label column 'species' has no value in any row"
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data(cfg)


def test_empty_feature_column_left_out(fakegen, tmp_path, penguins):
    penguins["notes"] = np.nan
    penguins.to_csv(tmp_path / "train.csv", index=False)
    penguins.sample(frac=0.3, random_state=0).to_csv(tmp_path / "test.csv", index=False)

    completed = fakegen(
        "generator=file",
        "generator.train=train.csv",
        "+generator.tests.sample=test.csv",
        "generator.label=sex",
        "tracker=none",
        "verifier.figures=false",
    )

    assert completed.returncode == 0, completed.stderr
    warnings = [line for line in completed.stderr.splitlines() if "notes" in line]
    assert len(warnings) == 1, completed.stderr
    assert warnings[0].endswith(
        "Left out column 'notes' of train.csv: no training row has a value there. "
        "List it in generator.drop to leave it out without this warning."
    )
    # The column never reaches scikit-learn's imputer, so it does not warn.
    assert "Skipping features without any observed values" not in completed.stderr
    assert "notes" not in load_results(tmp_path / "run")["dataset"]["columns"]


def test_every_feature_column_empty_is_named(tmp_path):
    frame = pd.DataFrame({"a": [np.nan] * 4, "b": [np.nan] * 4, "y": [0, 1, 0, 1]})
    frame.to_csv(tmp_path / "train.csv", index=False)
    path = str(tmp_path / "train.csv")

    message = (
        f"generator.train is {path!r}, whose feature columns (a, b) have no value "
        "in any row; fill them in, or pick a training file with values."
    )
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data({"train": path, "label": "y"})


def test_test_file_without_labels_is_named(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    penguins.assign(species=None).to_csv(tmp_path / "test.csv", index=False)
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "tests": {"t": str(tmp_path / "test.csv")},
        "label": "species",
    }

    message = (
        f"generator.tests.t is {str(tmp_path / 'test.csv')!r}, and its label "
        "column 'species' has no value in any row; a test file is scored on its "
        "labels, so fill them in or remove the entry."
    )
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data(cfg)


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
    pytest.param("header.csv", b"a,b,c\n", "contains no rows", id="header-only-csv"),
    pytest.param(
        "cut.parquet", b"PAR1\x00\x01garbage", "cannot read", id="broken-parquet"
    ),
    pytest.param(
        "noise.sqlite", b"not a database at all", "cannot read", id="broken-sqlite"
    ),
    pytest.param("data.xlsx", b"", "fakegen reads", id="unsupported-suffix"),
    pytest.param(
        "latin.csv",
        "stadt,y\nK\u00f6ln,1\n".encode("latin-1"),
        "is not UTF-8 text (invalid start byte); save it as UTF-8, such as with "
        "CSV UTF-8 in a spreadsheet's Save As.",
        id="latin-1-csv",
    ),
    pytest.param(
        "semicolons.csv",
        b"age;city;y\n30;Rome;1\n",
        "reads as one column, 'age;city;y', because fakegen reads comma-separated "
        "values and its header uses ';'; save the file with commas between values.",
        id="semicolon-csv",
    ),
    pytest.param(
        "twice.csv",
        b"age,city,age,y\n30,Rome,31,1\n",
        "names column 'age' more than once in its header; give each column its "
        "own name.",
        id="repeated-column",
    ),
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


@pytest.fixture
def small_files(tmp_path):
    """Write tables that each break one rule of generator=file, in ``tmp_path``."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    frame["y"] = (frame["x"] > 0).astype(int)
    frame.to_csv(tmp_path / "ok.csv", index=False)
    frame.assign(y=1).to_csv(tmp_path / "one.csv", index=False)
    frame.assign(y=np.nan).to_csv(tmp_path / "unlabelled.csv", index=False)
    text = frame.head(20).astype({"x": object})
    text.loc[3, "x"] = "abc"
    text.to_csv(tmp_path / "text.csv", index=False)
    frame.head(20).assign(y=5).to_csv(tmp_path / "newlabel.csv", index=False)
    sqlite3.connect(tmp_path / "empty.sqlite").close()
    frame.to_parquet(tmp_path / "parquet.csv")
    write_sqlite(frame, tmp_path / "sqlite.csv", table="rows")
    (tmp_path / "folder").mkdir()
    return tmp_path


FILE_MISTAKES = [
    pytest.param(
        ["generator.train=one.csv"],
        "generator.train is 'one.csv', and its label column 'y' has only the "
        "value 1; a classifier needs rows of two classes or more",
        id="one-class",
    ),
    pytest.param(
        ["generator.train=unlabelled.csv"],
        "generator.train is 'unlabelled.csv', and its label column 'y' has no "
        "value in any row; a classifier needs rows of two classes or more",
        id="empty-label",
    ),
    pytest.param(
        ["generator.train=ok.csv", "+generator.tests.holdout=text.csv"],
        "generator.tests.holdout has 'abc' in column 'x', which is numeric in the "
        "training file; replace it with a number or leave the cell empty.",
        id="text-in-numeric-test-column",
    ),
    pytest.param(
        ["generator.train=ok.csv", "+generator.tests.holdout=newlabel.csv"],
        "generator.tests.holdout has label 5, which the training file never uses;",
        id="new-test-label",
    ),
    pytest.param(
        ["generator.train=empty.sqlite"],
        "empty.sqlite is an SQLite file that contains no table; give a file with "
        "the table to read.",
        id="sqlite-without-table",
    ),
    pytest.param(
        ["generator.train=ok.csv", "generator.table=nope"],
        "generator.table is 'nope', but generator.table applies to SQLite files "
        "only and no file given is one; remove it with ~generator.table.",
        id="table-with-csv",
    ),
    pytest.param(
        [],
        "generator.train is missing; set generator.train=PATH.",
        id="missing-train",
    ),
    pytest.param(
        ["generator.train=parquet.csv"],
        "generator.train: DIR/parquet.csv is a Parquet file with a .csv name. Give "
        "it a .parquet name, such as parquet.parquet, and set generator.train to "
        "the new path.",
        id="parquet-named-csv",
    ),
    pytest.param(
        ["generator.train=ok.csv", "+generator.tests.holdout=sqlite.csv"],
        "generator.tests.holdout: DIR/sqlite.csv is an SQLite file with a .csv "
        "name. Give it a .sqlite name, such as sqlite.sqlite, and set "
        "generator.tests.holdout to the new path.",
        id="sqlite-test-file-named-csv",
    ),
    pytest.param(
        ["generator.train=folder"],
        "generator.train is 'folder', a directory; give the path of a data file in it.",
        id="directory",
    ),
    pytest.param(
        ["generator.train=ok.csv", "constraint=threshold"],
        "constraint.constraints is set (income_floor), but constraint.constraints "
        "applies to synthetic tables; declare constraints over your columns in "
        "verifier.constraints, and use constraint=none.",
        id="synthetic-constraints",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), FILE_MISTAKES)
def test_fakegen_file_mistake_fails_in_one_line(
    fakegen, small_files, overrides, message
):
    completed = fakegen(
        "generator=file", "generator.label=y", "tracker=none", *overrides
    )

    assert completed.returncode == 1
    message = message.replace("DIR/", f"{small_files}/")
    assert re.search(re.escape(message), completed.stderr), completed.stderr
    assert "Traceback" not in completed.stderr


RESERVED_NAMES = (
    "train, test, in_distribution, boundary, extrapolation, invariance, "
    "counterfactual, unseen_literals"
)


@pytest.mark.parametrize("name", ["train", "boundary", "counterfactual"])
def test_reserved_test_name_fails_before_reading(fakegen, small_files, name):
    completed = fakegen(
        "generator=file",
        "generator.train=ok.csv",
        "generator.label=y",
        "tracker=none",
        f"+generator.tests.{name}=ok.csv",
    )
    message = (
        f"generator.tests.{name} is 'ok.csv', but {name!r} is reserved because the "
        "results table and the verifier's own test suites use the names "
        f"{RESERVED_NAMES}. Rename the test table, such as to "
        f"generator.tests.{name}_file."
    )

    assert_failed_before_data(completed, small_files / "run", message)
    # The check comes before any file is read, let alone a model trained.
    assert "Read ok.csv" not in completed.stderr


def test_fakegen_file_selects_no_constraints(fakegen, small_files):
    completed = fakegen(
        "generator=file", "generator.train=ok.csv", "generator.label=y", "tracker=none"
    )

    assert completed.returncode == 0, completed.stderr
    results = load_results(small_files / "run")
    assert results["choices"]["constraint"] == "none"
    assert results["config"]["constraint"]["constraints"] == {}


def test_load_file_data_warns_numeric_column_with_text(tmp_path, caplog):
    values = [str(v) for v in range(40)]
    values[5] = "oops"
    frame = pd.DataFrame({"x": values, "y": [0, 1] * 20})
    frame.to_csv(tmp_path / "train.csv", index=False)
    cfg = {"train": str(tmp_path / "train.csv"), "label": "y"}

    with caplog.at_level("WARNING", logger="fakegen.datafile"):
        data = load_file_data(cfg)

    assert not pd.api.types.is_numeric_dtype(data.train.X["x"])
    message = (
        "Column 'x' of generator.train is mostly numbers but has text in 1 of 40 "
        "filled cells (first 'oops'), so it is encoded as literals with 40 "
        "distinct values"
    )
    assert re.search(re.escape(message), caplog.text)


def test_load_file_data_literal_column_does_not_warn(tmp_path, caplog):
    frame = pd.DataFrame({"city": ["Rome", "Oslo", "12"] * 10, "y": [0, 1, 1] * 10})
    frame.to_csv(tmp_path / "train.csv", index=False)
    cfg = {"train": str(tmp_path / "train.csv"), "label": "y"}

    with caplog.at_level("WARNING", logger="fakegen.datafile"):
        load_file_data(cfg)

    assert "mostly numbers" not in caplog.text


def test_read_table_sqlite_unknown_table_lists_tables(tmp_path, penguins):
    path = tmp_path / "data.sqlite"
    write_sqlite(penguins, path, "penguins")

    message = "generator.table is 'nope', but"
    with pytest.raises(DataFileError, match=re.escape(message)) as info:
        read_table(str(path), key="generator.train", table="nope")

    assert str(info.value).endswith("set generator.table to one of penguins.")


@pytest.mark.parametrize("suffix", [".sqlite", ".parquet"])
def test_numbers_stored_as_text_are_read_as_numbers(tmp_path, penguins, suffix):
    text = penguins.astype({"bill_length_mm": str, "body_mass_g": str})
    text = text.replace({"nan": None})
    path = tmp_path / f"train{suffix}"
    if suffix == ".sqlite":
        write_sqlite(text, path)
    else:
        text.to_parquet(path)

    data = load_file_data({"train": str(path), "label": "species"})

    assert pd.api.types.is_float_dtype(data.train.X["bill_length_mm"])
    assert pd.api.types.is_float_dtype(data.train.X["body_mass_g"])
    assert data.train.X["bill_length_mm"].isna().sum() == 2


def test_continuous_label_is_rejected(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    cfg = {"train": str(tmp_path / "train.csv"), "label": "body_mass_g"}

    message = (
        "generator.label is 'body_mass_g', a column with 94 distinct values; "
        "fakegen trains classifiers and accepts at most 50 classes."
    )
    with pytest.raises(DataFileError, match=re.escape(message)):
        load_file_data(cfg)


def test_dropping_label_is_rejected(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "label": "species",
        "drop": ["species"],
    }

    message = "generator.drop names 'species', the label column"
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_file_data(cfg)


def sqlite_split(tmp_path, penguins) -> str:
    """Write the first 200 rows as table train and the rest as table heldout."""
    path = tmp_path / "split.sqlite"
    write_sqlite(penguins.iloc[:200], path, "train")
    write_sqlite(penguins.iloc[200:], path, "heldout")
    return str(path)


def test_test_file_reads_its_own_sqlite_table(tmp_path, penguins, caplog):
    path = sqlite_split(tmp_path, penguins)
    cfg = {
        "train": path,
        "table": "train",
        "tests": {"h": {"path": path, "table": "heldout"}},
        "label": "species",
        "positive": "Adelie",
    }

    data = load_file_data(cfg)

    assert len(data.train.y) == 200
    assert len(data.tests["h"].y) == len(penguins) - 200
    assert "reads the training table itself" not in caplog.text


def test_test_entry_without_table_names_its_key(tmp_path, penguins):
    penguins.to_csv(tmp_path / "train.csv", index=False)
    path = tmp_path / "data.sqlite"
    write_sqlite(penguins, path, "penguins")
    write_sqlite(penguins.head(3), path, "other")
    cfg = {
        "train": str(tmp_path / "train.csv"),
        "tests": {"t": {"path": str(path)}},
        "label": "species",
    }

    with pytest.raises(DataFileError, match=re.escape("set generator.tests.t.table")):
        load_file_data(cfg)


def test_test_file_of_training_csv_warns_without_table(tmp_path, penguins, caplog):
    path = str(tmp_path / "train.csv")
    penguins.to_csv(path, index=False)
    cfg = {"train": path, "tests": {"h": path}, "label": "species"}

    load_file_data(cfg)

    assert (
        f"generator.tests.h reads the training table itself ({path}), so its "
        "scores measure fit, not generalisation; give it another file\n" in caplog.text
    )


def test_test_file_of_training_table_warns(tmp_path, penguins, caplog):
    path = sqlite_split(tmp_path, penguins)
    cfg = {"train": path, "table": "train", "tests": {"h": path}, "label": "species"}
    cfg["positive"] = "Adelie"

    data = load_file_data(cfg)

    assert len(data.tests["h"].y) == 200
    message = (
        f"generator.tests.h reads the training table itself ({path}, table train), "
        "so its scores measure fit, not generalisation"
    )
    assert message in caplog.text


@pytest.mark.parametrize(
    ("entry", "error", "message"),
    [
        (
            {"pth": "x.sqlite"},
            ConfigError,
            "generator.tests.h.pth is not a known key. Did you mean "
            "generator.tests.h.path?",
        ),
        (
            {"table": "heldout"},
            ConfigError,
            "generator.tests.h.path is missing; give the file, such as "
            "generator.tests.h={path: data.sqlite, table: heldout}.",
        ),
        (
            {"path": "SPLIT", "table": "nope"},
            DataFileError,
            "generator.tests.h.table is 'nope', but ",
        ),
    ],
    ids=["mistyped-key", "no-path", "unknown-table"],
)
def test_test_file_table_mistakes_named(tmp_path, penguins, entry, error, message):
    path = sqlite_split(tmp_path, penguins)
    # SPLIT stands for the SQLite file that this test writes.
    entry = {key: path if value == "SPLIT" else value for key, value in entry.items()}
    cfg = {"train": path, "table": "train", "tests": {"h": entry}, "label": "species"}
    cfg["positive"] = "Adelie"

    with pytest.raises(error, match=re.escape(message)):
        load_file_data(cfg)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"label": "specie"},
            "generator.label is 'specie', but the training file has no such "
            "column. Did you mean species?",
        ),
        (
            {"label": "species", "positive": "Adelei"},
            "generator.positive is 'Adelei', but label column 'species' never "
            "takes it. Did you mean Adelie?",
        ),
        (
            {"label": "species", "drop": ["islnd"]},
            "generator.drop names 'islnd', which the training file lacks. Did you "
            "mean island? Its columns are ",
        ),
    ],
    ids=["label", "positive", "drop"],
)
def test_file_setting_typo_suggests_closest(tmp_path, penguins, changes, message):
    penguins.to_csv(tmp_path / "train.csv", index=False)

    with pytest.raises((ConfigError, DataFileError), match=re.escape(message)):
        load_file_data({"train": str(tmp_path / "train.csv"), **changes})


def test_test_file_missing_values_warn_once(fakegen, tmp_path, penguins):
    train = penguins.dropna().sample(frac=0.7, random_state=0)
    rest = penguins.dropna().drop(train.index)
    train.to_csv(tmp_path / "train.csv", index=False)
    gaps = rest.head(40).copy()
    gaps.loc[gaps.index[:3], "bill_length_mm"] = np.nan
    gaps.loc[gaps.index[5:10], "island"] = np.nan
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    rest.tail(40).to_csv(tmp_path / "full.csv", index=False)

    completed = fakegen(
        "generator=file",
        "generator.train=train.csv",
        "+generator.tests.gaps=gaps.csv",
        "+generator.tests.full=full.csv",
        "generator.label=species",
        "tracker=none",
        "verifier.figures=false",
    )

    assert completed.returncode == 0, completed.stderr
    warnings = [
        line
        for line in completed.stderr.splitlines()
        if "Imputing missing values of" in line
    ]
    assert len(warnings) == 1, completed.stderr
    median = train["bill_length_mm"].median()
    mode = train["island"].mode().iloc[0]
    message = (
        "[WARNING] - Imputing missing values of generator.tests.gaps (gaps.csv) "
        f"with training values strategy=median bill_length_mm=3 fill={median:.6g}; "
        f"strategy=most_frequent island=5 fill={mode!r}"
    )
    assert re.search(re.escape(message) + "$", warnings[0]), warnings[0]
    results = load_results(tmp_path / "run")
    assert results["status"] == "completed"
