"""Scoring rules and aggregates.

Passage hit
    A returned passage *hits* when it lies in the same source as one of the gold answer's spans and its
    ``[start, end)`` covers that span completely (derived items: one of the operands' spans), or when one of its
    copies does (the same text in another source, shown once: ``qa.retrieval.distinct_passages``). ``hit_rank`` is
    the rank of the first hitting passage among the first ``DEPTH`` (10), in raw retrieval order (before the
    answer's passage is moved first). hit@k is the share of answerable items with ``hit_rank <= k``; MRR@10.

Exact answer (answerable items), see ``judge``
    Texts are normalised (NFKC, whitespace and quotation marks removed, lower-cased). A span answer is
    correct when it contains the gold answer or a variant as a whole figure ("75台" does not match inside
    "175台"), and what is left contradicts nothing: no trap, no other digit, no more than
    ``max(12, len(gold))`` extra characters; or when it is the core of the gold answer — a whole part of it
    with all its figures and at least half its length ("1.2万" for "1.2 万居民"); or when it is a bare figure
    whose unit is stated apart (a table's 单位：万元) and equals the gold figure in the same measure to the
    precision the gold is written with ("1,013,500" in 万元 for "101.35 亿元"). A yes/no answer is correct only when its verdict is the gold
    verdict. A derived answer is correct when its computed value equals the gold value to the gold answer's
    precision (or its text matches as above); a comparison when it names the winner.

Shown answers
    precision = correct shown answers / all shown answers (a shown answer to an unanswerable question is
    wrong); coverage = answerable questions with a shown answer / answerable questions; abstention recall =
    abstained unanswerable / unanswerable; false-abstention rate = abstained answerable / answerable.
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
from qa.types import Passage

from .gold import GoldItem, Span

DEPTH = 10
HIT_KS = (1, 3, 5, 10)
EXTRA_CHARS = 12
_DIGIT = re.compile(r"\d")
_QUOTES = str.maketrans("", "", "《》“”\"'「」『』‘’〈〉")


def normalize(text: str) -> str:
    """NFKC, no whitespace, no quotation marks, lower case: 2025 年 6 月 and ２０２５年６月 compare equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace()).translate(_QUOTES).lower()


@dataclass(frozen=True)
class Prediction:
    """What a system showed: None text means it abstained."""

    text: str | None
    kind: str | None = None
    verdict: str | None = None
    value: float | None = None
    probability: float | None = None
    unit: str | None = None  # the unit a bare figure is stated in elsewhere (a table's 单位：万元)


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str  # correct | abstained | missing | trap | extra_figure | too_long | answered_unanswerable | wrong_verdict | wrong_value


def _whole_match(pred: str, gold: str) -> int:
    """Index of ``gold`` in ``pred`` where it is not part of a longer number, else -1."""
    start = 0
    while (at := pred.find(gold, start)) >= 0:
        before = pred[at - 1] if at > 0 else ""
        after = pred[at + len(gold)] if at + len(gold) < len(pred) else ""
        bad_before = gold[:1].isdigit() and before != "" and (before.isdigit() or before in ".,")
        bad_after = gold[-1:].isdigit() and after != "" and (
            after.isdigit() or (after in ".," and pred[at + len(gold) + 1:][:1].isdigit()))
        if not bad_before and not bad_after:
            return at
        start = at + 1
    return -1


def _span_verdict(item: GoldItem, answer_text: str) -> Verdict:
    pred = normalize(answer_text)
    trap = normalize(item.trap) if item.trap else None
    golds = sorted({normalize(g) for g in item.answers if normalize(g)}, key=len, reverse=True)
    found = next(((g, at) for g in golds if (at := _whole_match(pred, g)) >= 0), None)
    if found is None:
        if any(_core_of(pred, g) for g in golds) and not (trap and trap in pred):
            return Verdict(True, "correct")
        return Verdict(False, "trap" if trap and trap in pred else "missing")
    gold, at = found
    rest = pred[:at] + "\x00" + pred[at + len(gold):]
    if trap and trap not in gold and trap in rest:
        return Verdict(False, "trap")
    if _DIGIT.search(rest):
        return Verdict(False, "extra_figure")
    if len(rest) - 1 > max(EXTRA_CHARS, len(gold)):
        return Verdict(False, "too_long")
    return Verdict(True, "correct")


def _core_of(pred: str, gold: str) -> bool:
    """``pred`` is the core of ``gold``: a whole part of it with every one of its figures and at least half its
    length ("1.2万" of "1.2万居民", "8类" of "8类问题", "监察委员会" of "区监察委员会")."""
    if len(pred) < 2 or len(pred) * 2 < len(gold) or _whole_match(gold, pred) < 0:
        return False
    return re.findall(r"\d+(?:\.\d+)?", pred) == re.findall(r"\d+(?:\.\d+)?", gold)


def _value_close(item: GoldItem, value: float) -> bool:
    if item.value is None:
        return False
    m = re.search(r"\.(\d+)", item.answer or "")
    tol = 0.5 * 10 ** -(len(m.group(1)) if m else 0)
    return abs(value - item.value) <= tol * 1.0001


def judge(item: GoldItem, pred: Prediction) -> Verdict:
    """Is ``pred`` right for ``item``? For an unanswerable item: right iff abstained."""
    if not item.answerable:
        return Verdict(True, "correct") if pred.text is None else Verdict(False, "answered_unanswerable")
    if pred.text is None:
        return Verdict(False, "abstained")
    if item.type == "yes_no" and item.verdict:
        if pred.verdict == item.verdict:
            return Verdict(True, "correct")
        return Verdict(False, "wrong_verdict")
    if item.type == "derived" and pred.value is not None:
        if _value_close(item, pred.value):
            return Verdict(True, "correct")
        return Verdict(False, "wrong_value")
    if item.type == "comparison" and item.operands:
        names = [normalize(g) for g in item.answers]
        return Verdict(True, "correct") if any(n and n in normalize(pred.text) for n in names) else \
            Verdict(False, "missing")
    verdict = _span_verdict(item, pred.text)
    if not verdict.correct and verdict.reason == "missing" and _same_amount(item, pred):
        return Verdict(True, "correct")
    return verdict


_BARE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
_FIGURE = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?)(\D{0,6})")
_SCALES = (("万亿", 1e12), ("亿", 1e8), ("千万", 1e7), ("百万", 1e6), ("万", 1e4), ("千", 1e3))


def _scaled(number: str, unit: str) -> tuple[float, str, float]:
    """(value in the base unit, base unit, the written unit's factor): 101.35, 亿元 -> (1.0135e10, 元, 1e8)."""
    value = float(number.replace(",", ""))
    for prefix, factor in _SCALES:
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return value * factor, unit[len(prefix):], factor
    return value, unit, 1.0


def _same_amount(item: GoldItem, pred: Prediction) -> bool:
    """A bare figure whose unit is stated apart (a cell of a table in 万元) is the gold figure written in another
    unit of the same measure: 1,013,500 (万元) for 101.35 亿元, to the precision the gold is written with."""
    if not pred.unit or not pred.text or not _BARE.fullmatch(normalize(pred.text)):
        return False
    value, base, _ = _scaled(normalize(pred.text), normalize(pred.unit))
    for gold in item.answers:
        m = _FIGURE.fullmatch(normalize(gold or ""))
        if not m or not m.group(2):
            continue
        want, gold_base, factor = _scaled(m.group(1), m.group(2))
        decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
        if gold_base == base and abs(value - want) <= 0.5 * 10 ** -decimals * factor * 1.0001:
            return True
    return False


def judge_answer(item: GoldItem, answer_text: str | None) -> Verdict:
    """``judge`` for a plain text answer (None = abstained)."""
    return judge(item, Prediction(answer_text))


def is_trap_answer(item: GoldItem, pred: Prediction) -> bool:
    if not item.trap or pred.text is None:
        return False
    return normalize(item.trap) in normalize(pred.text) and judge(item, pred).reason in ("trap", "answered_unanswerable")


Place = tuple[str, int, int]  # (source, start, end)


def places(passage: Passage) -> tuple[Place, ...]:
    """Where a passage's text lies: its own chunk, then its copies in other sources."""
    return tuple((c.source, c.start, c.end) for c in (passage.chunk, *passage.copies))


def hit_rank(passages: Iterable[Sequence[Place]], spans: Sequence[Span], depth: int = DEPTH) -> int | None:
    """1-based rank of the first passage (the places of its text: ``places``) covering one of ``spans``;
    None if none does."""
    for rank, where in enumerate(passages, start=1):
        if rank > depth:
            break
        if any(s.covered_by(source, start, end) for s in spans for source, start, end in where):
            return rank
    return None


@dataclass(frozen=True)
class Outcome:
    """One question answered by one system."""

    item: GoldItem
    hit_rank: int | None
    verdict: Verdict
    prediction: Prediction
    latency_ms: float
    passage_chars: tuple[int, ...]

    @property
    def abstained(self) -> bool:
        return self.prediction.text is None

    @property
    def answer_text(self) -> str | None:
        return self.prediction.text


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
    shown = [o for o in outcomes if not o.abstained]
    trap = [o for o in outcomes if o.item.trap]
    out: dict = {"n": len(outcomes), "n_answerable": len(ans), "n_unanswerable": len(una), "n_shown": len(shown)}
    for k in HIT_KS:
        out[f"hit@{k}"] = _share([o.hit_rank is not None and o.hit_rank <= k for o in ans])
    out["mrr"] = round(sum(1 / o.hit_rank for o in ans if o.hit_rank) / len(ans), 4) if ans else None
    out["answer_accuracy"] = _share([o.verdict.correct for o in ans])
    out["precision"] = _share([o.verdict.correct for o in shown])
    out["coverage"] = _share([not o.abstained for o in ans])
    out["end_to_end_accuracy"] = _share([o.verdict.correct for o in outcomes])
    out["abstention_recall"] = _share([o.abstained for o in una])
    out["false_abstention_rate"] = _share([o.abstained for o in ans])
    out["trap_rate"] = _share([is_trap_answer(o.item, o.prediction) for o in trap])
    lengths = [n for o in outcomes for n in o.passage_chars]
    out["median_passage_chars"] = statistics.median(lengths) if lengths else None
    latencies = [o.latency_ms for o in outcomes]
    out["latency_p50_ms"] = _percentile(latencies, 50)
    out["latency_p95_ms"] = _percentile(latencies, 95)
    return out


def summarize_by(outcomes: Sequence[Outcome], key: str) -> dict[str, dict]:
    """``summarize`` per value of a gold field (``type``, ``lang``, ``group``)."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(str(getattr(o.item, key)), []).append(o)
    return {value: summarize(group) for value, group in sorted(groups.items())}


def curve(outcomes: Sequence[Outcome], correct_if_shown: Sequence[bool], probs: Sequence[float | None],
          fixed: Sequence[bool | None] | None = None, steps: int = 50, at: float | None = None) -> list[dict]:
    """Precision and coverage of shown answers as the answer threshold on the best single reading's probability
    moves.

    ``correct_if_shown[i]``: whether outcome i's reading would be right if shown; ``probs[i]`` its probability
    (None: no reading). ``fixed[i]`` (if given and not None): the question is not answered by a single reading
    and its shown-or-not does not move with this threshold (a derived answer, shown from its own threshold, or a
    question that combines figures and gets none), so every point counts it as it is. ``at``: one more point, at
    the fitted answer threshold (marked ``"fitted": True``): exactly what is shown.
    """
    points = []
    answerable = [o.item.answerable for o in outcomes]
    n_ans = sum(answerable) or 1
    fixed = list(fixed) if fixed is not None else [None] * len(probs)
    grid = [k / steps for k in range(steps + 1)]
    for t in sorted(set(grid) | ({at} if at is not None else set())):
        shown = [i for i, p in enumerate(probs)
                 if (fixed[i] if fixed[i] is not None else p is not None and p >= t)]
        correct = sum(1 for i in shown if correct_if_shown[i])
        point = {"threshold": round(t, 3), "coverage": round(sum(1 for i in shown if answerable[i]) / n_ans, 4),
                 "precision": round(correct / len(shown), 4) if shown else None, "shown": len(shown)}
        points.append({**point, "fitted": True} if t == at else point)
    return points


# --- the gate -------------------------------------------------------------------------------------

GATE_MIN = ("hit@1", "hit@5", "answer_accuracy", "precision", "coverage", "abstention_recall")
GATE_MAX = ("false_abstention_rate",)


@dataclass(frozen=True)
class Gate:
    split: str
    minimum: Mapping[str, float]
    maximum: Mapping[str, float]


def load_gate(path: Path) -> Gate:
    """Thresholds JSON: {"split": "held-out", "min": {figure: value}, "max": {figure: value}}."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BqaError(f"gate file {path} does not exist; see eval/thresholds.json for the format") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BqaError(f"gate file {path} is not valid JSON ({err}); see eval/thresholds.json for the format") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("min", {}), dict) or not isinstance(raw.get("max", {}), dict):
        raise BqaError(f'gate file {path} must be an object with "min" and "max" objects of figure: value')
    allowed = set(GATE_MIN) | set(GATE_MAX) | {f"hit@{k}" for k in HIT_KS} | {"mrr", "end_to_end_accuracy"}
    for side in ("min", "max"):
        for key, value in raw.get(side, {}).items():
            if key not in allowed:
                raise BqaError(f"gate file {path}: unknown figure {key!r} in {side}; choose from {', '.join(sorted(allowed))}")
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise BqaError(f"gate file {path}: {side}.{key} must be a finite number, got {value!r}")
    split = raw.get("split", "held-out")
    if not isinstance(split, str):
        raise BqaError(f"gate file {path}: split must be a string")
    return Gate(split, raw.get("min", {}), raw.get("max", {}))


def check_gate(gate: Gate, metrics: Mapping) -> list[str]:
    """One line per figure on the wrong side of its threshold (empty when the gate passes)."""
    try:
        figures = metrics[gate.split]["overall"]
    except KeyError:
        raise BqaError(f"the gate needs split {gate.split!r}, which this run did not evaluate") from None
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
