"""Read the run record of a W&B offline run file, to check its group and name."""

from __future__ import annotations

from pathlib import Path

from wandb.proto import wandb_internal_pb2

# An offline .wandb file is a LevelDB-style log: a 7-byte file header, then
# 32 KiB blocks of chunks, each with a 7-byte header (CRC, length, type).
FILE_HEADER = 7
BLOCK = 32 * 1024
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def read_records(path: Path) -> list[wandb_internal_pb2.Record]:
    """Parse every record of the offline run file ``path``."""
    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    records, pending, offset = [], b"", FILE_HEADER
    while offset + CHUNK_HEADER <= len(data):
        left_in_block = BLOCK - offset % BLOCK
        if left_in_block < CHUNK_HEADER:
            offset += left_in_block
            continue
        length = int.from_bytes(data[offset + 4 : offset + 6], "little")
        kind = data[offset + 6]
        payload = data[offset + CHUNK_HEADER : offset + CHUNK_HEADER + length]
        offset += CHUNK_HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = payload if kind in (FULL, FIRST) else pending + payload
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
    return records


def run_record(run_folder: Path) -> wandb_internal_pb2.RunRecord:
    """Return the run record (name, group, job type) of an offline run folder."""
    (path,) = Path(run_folder).glob("run-*.wandb")
    for record in read_records(path):
        if record.WhichOneof("record_type") == "run":
            return record.run
    raise AssertionError(f"{path} holds no run record")
