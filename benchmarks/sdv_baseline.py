"""SDV baseline of the generation benchmark, run in an environment with SDV.

Usage: ``python sdv_baseline.py TRAIN.csv ROWS``. It fits a Gaussian
copula on the valid rows in TRAIN, with the column-versus-column rule
contract_end > contract_start as an SDV constraint, samples ROWS rows and
prints one JSON line with the fit time and the sampling rate.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from sdv.cag import Inequality
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer


def main() -> None:
    path, rows = sys.argv[1], int(sys.argv[2])
    train = pd.read_csv(path)
    metadata = Metadata.detect_from_dataframes({"table": train})
    synthesizer = GaussianCopulaSynthesizer(metadata)
    # SDV 2.0 has no single-column threshold or membership constraint; those
    # rules hold in the training rows and the copula learns them only
    # approximately, so SDV does less work per row than fakegen.
    synthesizer.add_constraints(
        [
            Inequality(
                low_column_name="contract_start",
                high_column_name="contract_end",
                strict_boundaries=True,
            )
        ]
    )
    start = time.perf_counter()
    synthesizer.fit({"table": train})
    fit_seconds = time.perf_counter() - start

    start = time.perf_counter()
    sample = synthesizer.sample(num_rows=rows)
    seconds = time.perf_counter() - start
    if isinstance(sample, dict):
        sample = next(iter(sample.values()))
    assert len(sample) == rows, len(sample)
    result = {"fit_s": fit_seconds, "rows_per_second": rows / seconds}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
