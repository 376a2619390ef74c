"""Warning about a CSV file whose last row is shorter than its header."""

from __future__ import annotations

import re

import pytest

from conftest import DATA
from fakegen import csvtail
from fakegen.datafile import read_table

PENGUINS_TRAIN = DATA / "penguins" / "train.csv"

WHOLE = [
    pytest.param("a,b,c\n1,2,3\n4,5,6", id="no-final-line-break"),
    pytest.param("a,b,c\n1,2,3\n4,,\n", id="empty-fields-written-out"),
    pytest.param('a,b,c\n1,2,3\n4,5,"x\ny"\n', id="quoted-field-over-two-lines"),
    pytest.param("a,b,c\n1,2,3\n4,5,6\n\n\n", id="blank-lines-at-end"),
]

SHORT = [
    pytest.param("a,b,c\n1,2,3\n4,5\n", 3, 2, False, id="line-break-after-row"),
    pytest.param("a,b,c\r\n1,2,3\r\n4\r\n\r\n", 3, 1, False, id="crlf-blank-line"),
    pytest.param("a,b,c\n\n1,2,3\n4,5", 4, 2, True, id="blank-line-before-row"),
]


def test_read_table_warns_cut_off_last_row(tmp_path, caplog):
    text = PENGUINS_TRAIN.read_text(encoding="utf-8")
    assert text.endswith("\nChinstrap,Dream,50.2,18.7,198.0,3775.0,female,2009\n")
    path = tmp_path / "train.csv"
    # Cut the last row inside its bill length, as an interrupted copy would.
    path.write_text(text.removesuffix(".2,18.7,198.0,3775.0,female,2009\n"))

    with caplog.at_level("WARNING", logger="fakegen.csvtail"):
        frame = read_table(str(path), key="generator.train")

    assert len(frame) == 258
    message = (
        f"generator.train: line 259 of {path} has 3 of the header's 8 fields, so "
        "pandas reads the missing fields as empty. The row ends the file without "
        "a line break, so the file was probably cut off. Export the file again "
        "if it is incomplete, or write out the row's empty fields to keep it as "
        "it is"
    )
    assert re.search(re.escape(message), caplog.text), caplog.text
    assert len(caplog.records) == 1


@pytest.mark.parametrize(("content", "line", "n_fields", "cut_off"), SHORT)
def test_read_table_warns_short_last_row(
    tmp_path, caplog, content, line, n_fields, cut_off
):
    path = tmp_path / "table.csv"
    path.write_bytes(content.encode())

    with caplog.at_level("WARNING", logger="fakegen.csvtail"):
        read_table(str(path), key="generator.tests.holdout")

    message = (
        f"generator.tests.holdout: line {line} of {path} has {n_fields} of the "
        "header's 3 fields"
    )
    assert re.search(re.escape(message), caplog.text), caplog.text
    assert ("without a line break" in caplog.text) == cut_off


@pytest.mark.parametrize("content", WHOLE)
def test_read_table_whole_last_row_does_not_warn(tmp_path, caplog, content):
    path = tmp_path / "table.csv"
    path.write_bytes(content.encode())

    with caplog.at_level("WARNING", logger="fakegen.csvtail"):
        frame = read_table(str(path), key="generator.train")

    assert frame.shape == (2, 3)
    assert caplog.text == ""


def test_read_table_long_last_line(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(csvtail, "TAIL_BYTES", 4)
    path = tmp_path / "table.csv"
    path.write_text("name,city,age\nAnna,Oslo,31\nBjorn,Bergen\n", encoding="utf-8")

    with caplog.at_level("WARNING", logger="fakegen.csvtail"):
        read_table(str(path), key="generator.train")

    message = f"generator.train: line 3 of {path} has 2 of the header's 3 fields"
    assert re.search(re.escape(message), caplog.text), caplog.text
