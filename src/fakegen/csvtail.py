"""Detect a CSV file whose last row was cut off, from the end of the file alone."""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

#: Bytes read from the end of the file per step while looking for its last line.
TAIL_BYTES = 64 * 1024


def warn_short_last_row(path: Path, frame: pd.DataFrame, *, key: str) -> None:
    """Warn when the last line of a CSV file has fewer fields than the header.

    pandas fills the missing fields of a short row with NaN, so a file cut off
    in the middle of its last row reads without error. Only the end of the
    file is read again, and the whole file is scanned for line breaks only to
    number a short line. A short line whose row pandas did not end with NaN,
    such as the last line of a quoted field that spans lines, is not reported.

    Parameters
    ----------
    path : Path
        The CSV file ``frame`` was read from.
    frame : DataFrame
        The table pandas read from ``path``.
    key : str
        The config entry that gave the path, named in the warning.
    """
    line, trailing_breaks = _last_line(path)
    n_fields = len(next(csv.reader([line]), []))
    n_columns = frame.shape[1]
    if not line or n_fields >= n_columns or frame.empty:
        return
    if not frame.iloc[-1, n_fields:].isna().all():
        return
    cause = (
        "The row ends the file without a line break, so the file was probably cut off. "
        if trailing_breaks == 0
        else ""
    )
    log.warning(
        "%s: line %d of %s has %d of the header's %d fields, so pandas reads "
        "the missing fields as empty. %sExport the file again if it is "
        "incomplete, or write out the row's empty fields to keep it as it is",
        key,
        _count_line_breaks(path) - trailing_breaks + 1,
        path,
        n_fields,
        n_columns,
        cause,
    )


def _last_line(path: Path) -> tuple[str, int]:
    """Return the last non-blank line of ``path`` and the line breaks after it."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        tail = b""
        start = size
        while start > 0:
            start = max(0, start - TAIL_BYTES)
            handle.seek(start)
            tail = handle.read(size - start)
            # A line break before the last line's text shows that line is whole.
            if b"\n" in tail.rstrip(b"\r\n"):
                break
    body = tail.rstrip(b"\r\n")
    trailing_breaks = tail[len(body) :].count(b"\n")
    lines = body.splitlines()
    last = lines[-1] if lines else b""
    return last.decode("utf-8", errors="replace"), trailing_breaks


def _count_line_breaks(path: Path) -> int:
    """Count the line breaks of ``path`` in byte chunks, without parsing it."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            count += chunk.count(b"\n")
    return count
