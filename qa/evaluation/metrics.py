"""Scoring rules and aggregates.

Passage hit
    A returned passage *hits* when it lies in the same source as one of the gold answer's spans and
    its ``[start, end)`` covers that span completely (the answer span is the answer's occurrence inside
    each occurrence of the evidence). ``hit_rank`` is the rank of the first hitting passage among the
    first ``DEPTH`` (10), in the order the system returns them; hit@k is the share of answerable items with ``hit_rank <= k``; MRR is the mean
    of ``1 / hit_rank`` (0 when no passage in the first 10 hits), i.e. MRR@10.

Exact answer (answerable items), see ``judge_answer``
    Both texts are normalised (NFKC, whitespace removed, lower-cased). The answer is correct when it was
    given (not an abstention), contains the gold answer or one of its variants, and what is left around
    that match contradicts nothing: it does not contain the trap figure, contains no other digit, and is
    no longer than ``max(12, len(gold))`` characters (a span, not a passage).

Abstention
    precision = unanswerable among the abstained; recall = abstained among the unanswerable;
    false-abstention rate = abstained among the answerable.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BqaError

from .gold import GoldItem, Span

DEPTH = 10  # passages looked at for hit@k and MRR
HIT_KS = (1, 3, 5, 10)
EXTRA_CHARS = 12  # characters an answer may carry beyond the gold answer (or the gold's own length if longer)
_DIGIT = re.compile(r"\d")


def normalize(text: str) -> str:
    """NFKC, no whitespace, lower case: 2025 年 6 月 and ２０２５年６月 compare equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace()).lower()


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str  # correct | abstained | missing | trap | extra_figure | too_long | answered_unanswerable


def judge_answer(item: GoldItem, answer_text: str | None) -> Verdict:
    """Is ``answer_text`` (None = abstained) right for ``item``? For an unanswerable item: right iff abstained."""
    if not item.answerable:
        return Verdict(True, "correct") if answer_text is None else Verdict(False, "answered_unanswerable")
    if answer_text is None:
        return Verdict(False, "abstained")
    pred = normalize(answer_text)
    trap = normalize(item.trap) if item.trap else None
    golds = sorted({normalize(g) for g in item.answers if normalize(g)}, key=len, reverse=True)
    gold = next((g for g in golds if g in pred), None)
    if gold is None:
        return Verdict(False, "trap" if trap and trap in pred else "missing")
    at = pred.index(gold)
    rest = pred[:at] + "\x00" + pred[at + len(gold):]  # \x00 keeps the two sides from joining
    if trap and trap not in gold and trap in rest:
        return Verdict(False, "trap")
    if _DIGIT.search(rest):
        return Verdict(False, "extra_figure")
    if len(rest) - 1 > max(EXTRA_CHARS, len(gold)):
        return Verdict(False, "too_long")
    return Verdict(True, "correct")


def is_trap_answer(item: GoldItem, answer_text: str | None) -> bool:
    """The answer given is (essentially) the confusable wrong figure."""
    if not item.trap or answer_text is None:
        return False
    return normalize(item.trap) in normalize(answer_text) and judge_answer(item, answer_text).reason in (
        "trap", "answered_unanswerable")


def hit_rank(passages: Iterable[tuple[str, int, int]], spans: Sequence[Span], depth: int = DEPTH) -> int | None:
    """1-based rank of the first (source, start, end) passage covering one of ``spans``; None if none does."""
    for rank, (source, start, end) in enumerate(passages, start=1):
        if rank > depth:
            break
        if any(s.covered_by(source, start, end) for s in spans):
            return rank
    return None


@dataclass(frozen=True)
class Outcome:
    """One question answered by one system."""

    item: GoldItem
    hit_rank: int | None
    verdict: Verdict
    abstained: bool
    answer_text: str | None
    confidence: float | None
    latency_ms: float
    passage_chars: tuple[int, ...]  # source span length (end - start) of each returned passage


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 1)


def summarize(outcomes: Sequence[Outcome]) -> dict:
    """The figures of one system on one group of items (None where a figure has no denominator)."""
    ans = [o for o in outcomes if o.item.answerable]
    una = [o for o in outcomes if not o.item.answerable]
    abst = [o for o in outcomes if o.abstained]
    trap = [o for o in outcomes if o.item.trap]
    out: dict = {"n": len(outcomes), "n_answerable": len(ans), "n_unanswerable": len(una), "n_trap": len(trap)}
    for k in HIT_KS:
        out[f"hit@{k}"] = _share([o.hit_rank is not None and o.hit_rank <= k for o in ans])
    out["mrr"] = round(sum(1 / o.hit_rank for o in ans if o.hit_rank) / len(ans), 4) if ans else None
    out["answer_accuracy"] = _share([o.verdict.correct for o in ans])
    out["answer_accuracy_given_hit@5"] = _share([o.verdict.correct for o in ans if o.hit_rank and o.hit_rank <= 5])
    out["end_to_end_accuracy"] = _share([o.verdict.correct for o in outcomes])
    out["abstention_precision"] = _share([not o.item.answerable for o in abst])
    out["abstention_recall"] = _share([o.abstained for o in una])
    out["false_abstention_rate"] = _share([o.abstained for o in ans])
    out["trap_accuracy"] = _share([o.verdict.correct for o in trap])
    out["trap_rate"] = _share([is_trap_answer(o.item, o.answer_text) for o in trap])
    lengths = [n for o in outcomes for n in o.passage_chars]
    out["median_passage_chars"] = statistics.median(lengths) if lengths else None
    latencies = [o.latency_ms for o in outcomes]
    out["latency_p50_ms"] = _percentile(latencies, 50)
    out["latency_p95_ms"] = _percentile(latencies, 95)
    return out


def summarize_by(outcomes: Sequence[Outcome], key: str) -> dict[str, dict]:
    """``summarize`` per value of a gold field (``type`` or ``lang``)."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(getattr(o.item, key), []).append(o)
    return {value: summarize(group) for value, group in sorted(groups.items())}


# --- the gate -------------------------------------------------------------------------------------

GATE_MIN = ("hit@1", "hit@5", "answer_accuracy", "abstention_recall")
GATE_MAX = ("false_abstention_rate",)


@dataclass(frozen=True)
class Gate:
    system: str
    split: str
    minimum: Mapping[str, float]
    maximum: Mapping[str, float]


def load_gate(path: Path) -> Gate:
    """Thresholds JSON: {"system": "full", "split": "gold", "min": {figure: value}, "max": {figure: value}}."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BqaError(f"gate file {path} does not exist; see eval/thresholds.json for the format") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BqaError(f"gate file {path} is not valid JSON ({err}); see eval/thresholds.json for the format") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("min", {}), dict) or not isinstance(raw.get("max", {}), dict):
        raise BqaError(f'gate file {path} must be an object with "min" and "max" objects of figure: value')
    allowed = set(GATE_MIN) | set(GATE_MAX) | {f"hit@{k}" for k in HIT_KS} | {"mrr", "trap_accuracy", "end_to_end_accuracy"}
    for side in ("min", "max"):
        for key, value in raw.get(side, {}).items():
            if key not in allowed:
                raise BqaError(f"gate file {path}: unknown figure {key!r} in {side}; choose from {', '.join(sorted(allowed))}")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise BqaError(f"gate file {path}: {side}.{key} must be a number, got {value!r}")
    return Gate(raw.get("system", "full"), raw.get("split", "gold"), raw.get("min", {}), raw.get("max", {}))


def check_gate(gate: Gate, metrics: Mapping) -> list[str]:
    """One line per figure on the wrong side of its threshold (empty when the gate passes)."""
    try:
        figures = metrics[gate.system][gate.split]["overall"]
    except KeyError:
        raise BqaError(f"the gate needs system {gate.system!r} on split {gate.split!r}, which this run did not evaluate; "
                       f"run with --systems {gate.system} and the {gate.split} gold file") from None
    failures = []
    for key, floor in gate.minimum.items():
        value = figures.get(key)
        if value is None or value < floor:
            failures.append(f"{key} {_fmt(value)} < {floor}")
    for key, ceiling in gate.maximum.items():
        value = figures.get(key)
        if value is None or value > ceiling:
            failures.append(f"{key} {_fmt(value)} > {ceiling}")
    return failures


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
