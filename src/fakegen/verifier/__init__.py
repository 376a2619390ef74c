"""Score a fitted model on targeted test suites built from the ground truth."""

from fakegen.verifier.files import verify_files
from fakegen.verifier.options import (
    RESERVED_SUITES,
    VerifierOptions,
    check_suite_names,
    check_verifier_options,
    stream_rng,
)
from fakegen.verifier.report import Verification
from fakegen.verifier.synthetic import verify_synthetic
from fakegen.verifier.verdicts import LEARNED, NOT_LEARNED, PARTIAL, decide_verdict

__all__ = [
    "LEARNED",
    "NOT_LEARNED",
    "PARTIAL",
    "RESERVED_SUITES",
    "Verification",
    "VerifierOptions",
    "check_suite_names",
    "check_verifier_options",
    "decide_verdict",
    "stream_rng",
    "verify_files",
    "verify_synthetic",
]
