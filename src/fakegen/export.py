"""The ``fakegen-generate`` command: write a synthetic table to CSV or Parquet.

It composes the generator and constraint groups of the experiment config and
writes the table chunk by chunk, so memory stays bounded by the chunk size
whatever the number of rows.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from fakegen.arguments import check_mode_flags, check_preset_arguments
from fakegen.checks import (
    CONSTRAINT_KEYS,
    GENERATOR_KEYS,
    check_generator_keys,
    check_keys,
    check_override_keys,
)
from fakegen.errors import ConfigError, FakegenError
from fakegen.generator import (
    CLEAN_LABEL,
    LABEL,
    SyntheticGenerator,
    make_generator,
)
from fakegen.interrupts import (
    exit_on_closed_pipe,
    exit_on_early_error,
    exit_status,
    stop_on_terminate,
)
from fakegen.memory import check_table_fits
from fakegen.paths import config_dir
from fakegen.presets import group_options, preset_body

log = logging.getLogger(__name__)

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Minimum rows per chunk. Each chunk becomes a Parquet row group, whose
#: metadata the writer keeps in memory until the file closes, so chunks of a
#: few rows made memory and file size grow far beyond the data's.
MIN_CHUNK_ROWS = 1000
# Rows of a CSV file written between two updates of the progress bar.
CSV_SLICE_ROWS = 100_000
CHUNK_REASON = (
    " Each chunk is one write, and in a Parquet file one row group; chunks of"
    " a few rows make the writes slow and a Parquet file's metadata outgrow"
    " its data."
)
#: Top-level keys of conf/generate.yaml, besides Hydra's own.
GENERATE_KEYS = (
    "generator",
    "constraint",
    "seed",
    "output",
    "chunk_rows",
    "clean_label",
)


def chunk_rng(seed: int, index: int) -> np.random.Generator:
    """Return the random stream of chunk ``index``, independent of other chunks."""
    return np.random.default_rng([seed, zlib.crc32(b"generate"), index])


def iter_chunks(
    generator: SyntheticGenerator,
    rows: int,
    *,
    chunk_rows: int,
    seed: int,
    clean_label: bool = False,
) -> Iterator[pd.DataFrame]:
    """Yield the table in chunks of ``chunk_rows`` rows, labels as last columns.

    Each chunk is sampled from its own random stream, so the table depends on
    ``seed`` and ``chunk_rows`` only, and each chunk has the configured class
    balance.
    """
    for index, start in enumerate(range(0, rows, chunk_rows)):
        n_samples = min(chunk_rows, rows - start)
        data = generator.sample(n_samples, chunk_rng(seed, index))
        frame = data.X
        frame[LABEL] = data.y
        if clean_label:
            frame[CLEAN_LABEL] = data.y_clean
        yield frame


def write_table(
    chunks: Iterator[pd.DataFrame],
    path: Path,
    *,
    on_rows: Callable[[int], None] | None = None,
    expected_rows: int | None = None,
) -> int:
    """Write ``chunks`` to ``path`` (format from its suffix); return the row count.

    The file appears under its name only once complete: chunks go to a
    temporary file beside it, renamed at the end. ``on_rows`` receives the
    number of rows written so far after each chunk, and after each slice of
    ``CSV_SLICE_ROWS`` rows of a CSV chunk. With ``expected_rows``, the size
    of the first chunk written predicts the file's size, and a disk without
    room for it raises ConfigError before the other chunks are generated.
    """
    kind = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The process id keeps two commands that write the same output apart:
    # each renames its own complete file, so the last to finish wins.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    total = 0
    writer = None
    try:
        for frame in chunks:
            if kind == "parquet":
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(partial, table.schema)
                writer.write_table(table)
                total += len(frame)
                if on_rows is not None:
                    on_rows(total)
                if expected_rows is not None and total == len(frame):
                    check_room(path, partial, total, expected_rows)
                continue
            # A CSV chunk of a million rows takes seconds to write, so it goes
            # out in slices and the progress bar moves within the chunk.
            for start in range(0, len(frame), CSV_SLICE_ROWS):
                piece = frame.iloc[start : start + CSV_SLICE_ROWS]
                mode = "a" if total else "w"
                piece.to_csv(partial, mode=mode, header=not total, index=False)
                total += len(piece)
                if on_rows is not None:
                    on_rows(total)
            if expected_rows is not None and total == len(frame):
                check_room(path, partial, total, expected_rows)
        if writer is not None:
            writer.close()
            writer = None
        os.replace(partial, path)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return total


def check_room(path: Path, partial: Path, written: int, expected_rows: int) -> None:
    """Raise ConfigError when the disk lacks room for the rest of the table.

    The bytes of the ``written`` rows in ``partial`` are scaled up to
    ``expected_rows``. The Parquet writer writes each chunk as a row group
    when it receives it, so the first chunk's bytes are on disk by then.
    """
    used = partial.stat().st_size
    needed = used / written * (expected_rows - written)
    free = shutil.disk_usage(partial.parent).free
    if needed > free:
        raise ConfigError(
            f"output is {str(path)!r}: the first {written} rows took "
            f"{used / 2**20:.1f} MiB, so all {expected_rows} rows need about "
            f"{(used + needed) / 2**30:.1f} GiB, but the disk has "
            f"{free / 2**30:.1f} GiB free. Write to a disk with more room, or "
            "lower generator.rows."
        )


def output_format(path: Path) -> str:
    """Return ``csv`` or ``parquet`` from the suffix of ``path``."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"output is {str(path)!r}; end the file name with .csv or .parquet "
            "to choose the format."
        )
    return kind


def check_output_path(path: Path) -> None:
    """Raise ConfigError when ``path`` is a folder or lies under a regular file."""
    if path.is_dir():
        raise ConfigError(
            f"output is {str(path)!r}, which is a folder; give a file path inside "
            f"it, such as output={path / 'table.parquet'}."
        )
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise ConfigError(
                f"output is {str(path)!r}, but {str(parent)!r} is a file, not a "
                "folder; choose an output path under a folder, or move the "
                "file away."
            )


def check_export_options(cfg: Mapping[str, Any]) -> tuple[int, int, int, bool]:
    """Return seed, rows, chunk_rows and clean_label, checked."""
    values = {}
    for key, minimum in (
        ("seed", 0),
        ("generator.rows", 1),
        ("chunk_rows", MIN_CHUNK_ROWS),
    ):
        node: Any = cfg
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, bool) or not isinstance(node, int) or node < minimum:
            raise ConfigError(
                f"{key} is {node!r}; give an integer of {minimum} or more."
                + (CHUNK_REASON if key == "chunk_rows" else "")
            )
        values[key] = node
    clean_label = cfg.get("clean_label", False)
    if not isinstance(clean_label, bool):
        raise ConfigError(f"clean_label is {clean_label!r}; use true or false.")
    return values["seed"], values["generator.rows"], values["chunk_rows"], clean_label


def export(cfg: Mapping[str, Any]) -> int:
    """Generate the table ``cfg`` describes and write it to ``cfg['output']``."""
    check_keys(cfg, GENERATE_KEYS, key="")
    generator_cfg = cfg.get("generator") or {}
    if generator_cfg.get("kind", "synthetic") != "synthetic":
        raise ConfigError(
            f"generator.kind is {generator_cfg.get('kind')!r}; fakegen-generate "
            "writes synthetic tables only. Choose a synthetic generator, such "
            "as generator=applicant."
        )
    check_generator_keys(generator_cfg, "synthetic", file_runs=False)
    check_keys(cfg.get("constraint") or {}, CONSTRAINT_KEYS, key="constraint")
    seed, rows, chunk_rows, clean_label = check_export_options(cfg)
    output = cfg.get("output")
    if not isinstance(output, str) or not output.strip():
        # Path("") reads as ".", which would name the wrong value in the message.
        raise ConfigError(
            f"output is {output!r}; give a file path that ends with .csv or "
            ".parquet, such as output=table.parquet."
        )
    path = Path(output)
    output_format(path)
    check_output_path(path)
    generator = make_generator(generator_cfg, cfg.get("constraint") or {})
    # One chunk is in memory at a time: its columns, the label and perhaps the
    # label before noise.
    check_table_fits(
        min(rows, chunk_rows),
        len(generator.columns) + 2,
        key="chunk_rows" if chunk_rows < rows else "generator.rows",
        advice="Lower chunk_rows; the file can still hold every row.",
    )
    chunks = iter_chunks(
        generator, rows, chunk_rows=chunk_rows, seed=seed, clean_label=clean_label
    )
    # The bar shows only for tables of several chunks; a one-chunk table
    # gives it nothing to show between start and end.
    with Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=rows <= chunk_rows,
    ) as progress:
        task = progress.add_task("generating", total=rows)
        try:
            written = write_table(
                chunks,
                path,
                on_rows=lambda done: progress.update(task, completed=done),
                expected_rows=rows,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            # os.replace names the file it could not replace as filename2.
            failed = exc.filename2 or exc.filename
            raise ConfigError(
                f"output is {str(path)!r}, but writing it failed ({reason}: "
                f"{failed}); choose a path you can write to, on a disk with room "
                "for the table."
            ) from exc
    log.info("Wrote rows=%d path=%s", written, path)
    return written


def run(cfg: DictConfig) -> None:
    """Run one export; errors the user can fix end it with one log line."""
    logging.basicConfig(
        level=logging.INFO,
        format="[%(asctime)s][%(levelname)s] %(message)s",
        stream=sys.stderr,
        force=True,
    )
    try:
        export(OmegaConf.to_container(cfg, resolve=True))
    except FakegenError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", exc)
        sys.exit(1)
    except MemoryError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        # write_table has removed its partial file on the way out.
        log.error(
            "Ran out of memory (%s); lower chunk_rows (now %s), since one chunk is "
            "in memory at a time.",
            exc,
            cfg.get("chunk_rows"),
        )
        sys.exit(1)


def check_generate_arguments(arguments: list[str]) -> None:
    """Raise ConfigError for a sweep, a group only fakegen reads, or a typo.

    Hydra would advise adding such an override with a plus sign, which this
    command then rejects as an unknown key.
    """
    check_mode_flags(arguments)
    read = {"constraint", "generator"}
    # Experiments live outside conf/, and the top-level key check below
    # rejects them.
    others = [group for group in group_options() if group != "experiment"]
    for argument in arguments:
        if argument in ("-m", "--multirun"):
            raise ConfigError(
                f"{argument} starts a sweep, whose jobs would all write the same "
                "output file; run fakegen-generate once per table, each with its "
                "own output=PATH."
            )
        if argument.startswith("-"):
            continue
        path, _, value = argument.lstrip("+~").partition("=")
        key = path.split(".", 1)[0]
        if path == "generator" and value in group_options()["generator"]:
            kind = preset_body("generator", value).get("kind", "synthetic")
            if kind != "synthetic":
                raise ConfigError(
                    f"{argument} reads a table from a file, and fakegen-generate "
                    "writes synthetic tables only. Choose a synthetic generator, "
                    "such as generator=applicant."
                )
        if key in others and key not in read:
            raise ConfigError(
                f"{argument} sets the {key} group, which only the fakegen command "
                "reads; fakegen-generate reads constraint and generator. Remove "
                "it."
            )
    # Plain typos, such as generator.nosie=1 or sed=1, as the fakegen command
    # checks them.
    sections = {
        "generator": GENERATOR_KEYS["synthetic"],
        "constraint": CONSTRAINT_KEYS,
    }
    check_override_keys(arguments, sections, top_level=(*GENERATE_KEYS, "hydra"))
    check_preset_arguments(arguments, config_name="generate")


def main() -> None:
    """Entry point of the ``fakegen-generate`` console script."""
    stop_on_terminate()
    try:
        check_generate_arguments(sys.argv[1:])
    except ConfigError as exc:
        exit_on_early_error(exc, log_format="[%(levelname)s] %(message)s")
    try:
        hydra.main(
            config_path=str(config_dir()), config_name="generate", version_base="1.3"
        )(run)()
    except BrokenPipeError:
        exit_on_closed_pipe()
    except KeyboardInterrupt as interrupt:
        # write_table removes its partial file on the way out, and any file
        # already at the output path is left as it was.
        log.error(
            "Interrupted; a table cut short is removed, and a file already at "
            "the output path is left as it was"
        )
        sys.exit(exit_status(interrupt))
