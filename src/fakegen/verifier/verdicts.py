"""Verdicts per constraint, with the reason in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fakegen.verifier.options import VerifierOptions

LEARNED, PARTIAL, NOT_LEARNED = "learned", "partial", "not_learned"
_RANK = {LEARNED: 2, PARTIAL: 1, NOT_LEARNED: 0}


def decide_verdict(score: float, options: VerifierOptions) -> str:
    """Map a suite score to ``learned``, ``partial`` or ``not_learned``."""
    if score >= options.learned:
        return LEARNED
    if score >= options.partial:
        return PARTIAL
    return NOT_LEARNED


def judge_constraint(
    evidence: Sequence[Mapping[str, Any]],
    options: VerifierOptions,
    *,
    notes: Sequence[str] = (),
) -> tuple[str, str]:
    """Return the verdict and its reason from the scores that decide it.

    Each entry of ``evidence`` is a scored suite row with a ``label`` (such
    as ``"constraint suite accuracy"``); the verdict is the lowest level any
    of them reaches. A score that falls short names the threshold, the gap
    and whether its 95% interval still reaches the threshold, which means a
    larger suite could change the verdict. ``notes`` are appended as they are.
    """
    levels = [decide_verdict(row["score"], options) for row in evidence]
    verdict = min(levels, key=_RANK.__getitem__)
    parts = []
    for row, level in zip(evidence, levels, strict=True):
        parts.append(_describe(row, level, options))
    reason = f"{verdict}: " + "; ".join(parts) + "."
    if notes:
        reason += " " + " ".join(notes)
    return verdict, reason


def _describe(row: Mapping[str, Any], level: str, options: VerifierOptions) -> str:
    unit = row.get("unit", "rows")
    if row["rows"] == 1:
        unit = unit.removesuffix("s")
    text = (
        f"{row['label']} {row['score']:.3f} "
        f"(95% interval {row['low']:.3f} to {row['high']:.3f}, "
        f"{row['rows']} {unit})"
    )
    if level == LEARNED:
        return f"{text} reaches the learned threshold {options.learned:g}"
    threshold = options.learned if level == PARTIAL else options.partial
    name = "learned" if level == PARTIAL else "partial"
    text += (
        f" is {threshold - row['score']:.3f} below the {name} threshold {threshold:g}"
    )
    if row["high"] >= threshold:
        text += ", though its interval reaches it"
    return text
