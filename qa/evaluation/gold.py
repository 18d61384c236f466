"""Gold Q&A items: load, validate, and locate each evidence (and the answer inside it) in the corpus.

The schema is ``eval/GOLD.md``'s. Evidence is matched whitespace-insensitively: texts and evidence are
compared with all whitespace removed, and a match is mapped back to offsets in the original text. Every
occurrence of an evidence counts as a place where the answer is; the answer's own span is its occurrence(s)
inside each. An item whose evidence (or whose answer inside the evidence) cannot be found is an error,
never skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BqaError

QUESTION_TYPES = ("number", "table_cell", "entity", "date", "list", "yes_no", "comparison", "derived",
                  "unanswerable")
OPERATIONS = ("difference", "sum", "ratio", "share", "change", "compare")
LANGS = ("zh", "en")
EVIDENCE_CHARS = (10, 120)
KEYS = {"id", "source", "page", "question", "answer", "answer_variants", "evidence", "operands", "derived",
        "verdict", "doc_title", "type", "trap", "trap_note", "lang"}


@dataclass(frozen=True)
class Span:
    source: str
    start: int
    end: int

    def covered_by(self, source: str, start: int, end: int) -> bool:
        return source == self.source and start <= self.start and self.end <= end

    def overlaps(self, source: str, start: int, end: int) -> bool:
        return source == self.source and start < self.end and self.start < end


@dataclass(frozen=True)
class GoldOperand:
    text: str
    evidence: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answer: str | None
    answer_variants: tuple[str, ...]
    evidence: str | None
    doc_title: str | None
    type: str
    lang: str
    trap: str | None = None
    source: str | None = None
    page: int | None = None
    verdict: str | None = None
    operation: str | None = None
    value: float | None = None
    unit: str | None = None
    operands: tuple[GoldOperand, ...] = ()
    split: str = "gold"
    group: str = ""
    raw: Mapping | None = None  # the line as read, echoed into predictions.jsonl

    @property
    def answerable(self) -> bool:
        return self.answer is not None

    @property
    def answers(self) -> tuple[str, ...]:
        """The gold answer followed by its variants (empty when unanswerable)."""
        return () if self.answer is None else (self.answer, *self.answer_variants)


@dataclass(frozen=True)
class LocatedItem:
    item: GoldItem
    evidence_spans: tuple[Span, ...]  # every occurrence of the evidence (and of the operands' evidence)
    answer_spans: tuple[Span, ...]  # the answer's occurrence(s) inside those (operands for derived items)


def _problems(row: object) -> list[str]:
    if not isinstance(row, dict):
        return ["not a JSON object"]
    out = []
    extra = set(row) - KEYS
    if extra:
        out.append(f"unknown keys {sorted(extra)}")
    for key in ("id", "question", "type", "lang"):
        if not isinstance(row.get(key), str) or not row.get(key).strip():
            out.append(f"{key} must be a non-empty string")
    kind = row.get("type")
    if kind not in QUESTION_TYPES:
        out.append(f"type {kind!r} is not one of {', '.join(QUESTION_TYPES)}")
    if row.get("lang") not in LANGS:
        out.append(f"lang {row.get('lang')!r} is not one of {', '.join(LANGS)}")
    variants = row.get("answer_variants", [])
    if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
        out.append("answer_variants must be a list of non-empty strings")
    for key in ("trap", "trap_note", "source", "doc_title"):
        if row.get(key) is not None and not (isinstance(row[key], str) and row[key].strip()):
            out.append(f"{key} must be a non-empty string when given")
    if row.get("page") is not None and (not isinstance(row["page"], int) or isinstance(row["page"], bool) or row["page"] < 1):
        out.append("page must be a positive integer")
    answer, evidence = row.get("answer"), row.get("evidence")
    if kind == "unanswerable":
        if answer is not None or evidence is not None:
            out.append("an unanswerable item has answer and evidence null")
        return out
    if not isinstance(answer, str) or not answer.strip():
        out.append("answer must be a non-empty string (null only for type unanswerable)")
    if not isinstance(evidence, str) or not evidence.strip():
        out.append("evidence must be a non-empty string (null only for type unanswerable)")
    elif not EVIDENCE_CHARS[0] <= len(evidence) <= EVIDENCE_CHARS[1]:
        out.append(f"evidence has {len(evidence)} characters; the schema allows {EVIDENCE_CHARS[0]}–{EVIDENCE_CHARS[1]}")
    if kind == "yes_no" and "verdict" in row and row["verdict"] not in ("yes", "no"):
        out.append("verdict must be yes or no")
    if kind == "derived" or (kind == "comparison" and ("derived" in row or "operands" in row)):
        d = row.get("derived")
        if not isinstance(d, dict) or d.get("op") not in OPERATIONS:
            out.append(f"derived must be an object with op in {', '.join(OPERATIONS)}")
        elif kind == "derived" and (not isinstance(d.get("value"), int | float) or not math.isfinite(d["value"])):
            out.append("derived.value must be a finite number")
        ops = row.get("operands")
        if not isinstance(ops, list) or not ops or not all(
                isinstance(o, dict) and isinstance(o.get("text"), str) and isinstance(o.get("evidence"), str) for o in ops):
            out.append("operands must be a list of {text, evidence}")
    return out


def load_gold(path: Path, split: str | None = None) -> list[GoldItem]:
    """The items of one JSONL gold file; BqaError naming every bad line and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise BqaError(f"gold file {path} does not exist; pass --gold FILE (JSONL, one question per line)")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise BqaError(f"gold file {path} is not UTF-8 (byte {err.start}); re-save it as UTF-8") from None
    except OSError as err:
        raise BqaError(f"gold file {path}: {err.strerror or err}") from None
    split = split or path.stem
    items, bad = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            bad.append(f"line {n}: not JSON ({getattr(err, 'msg', 'too deeply nested')})")
            continue
        problems = _problems(row)
        if problems:
            ident = row.get("id") if isinstance(row, dict) else None
            bad.append(f"line {n} ({ident or 'no id'}): {'; '.join(problems)}")
            continue
        d = row.get("derived") or {}
        items.append(GoldItem(
            id=row["id"], question=row["question"], answer=row.get("answer"),
            answer_variants=tuple(row.get("answer_variants") or ()), evidence=row.get("evidence"),
            doc_title=row.get("doc_title"), type=row["type"], lang=row["lang"], trap=row.get("trap"),
            source=row.get("source"), page=row.get("page"), verdict=row.get("verdict"), operation=d.get("op"),
            value=d.get("value"), unit=d.get("unit"),
            operands=tuple(GoldOperand(o["text"], o["evidence"]) for o in row.get("operands") or ()),
            split=split, raw=row,
        ))
    if bad:
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise BqaError(f"{path}: {len(bad)} invalid gold line(s): {' | '.join(bad[:10])}{more}")
    if not items:
        raise BqaError(f"gold file {path} has no items")
    return items


def check_unique_ids(items: Iterable[GoldItem]) -> None:
    seen: dict[str, str] = {}
    dupes = []
    for it in items:
        if it.id in seen:
            dupes.append(f"{it.id} ({seen[it.id]}, {it.split})")
        seen[it.id] = it.split
    if dupes:
        raise BqaError(f"duplicate gold ids: {', '.join(dupes)}; every id must be unique across the gold files")


def compact(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


class CompactText:
    """A text with its whitespace removed, and the original offset of every remaining character."""

    def __init__(self, text: str):
        self.offsets = [i for i, ch in enumerate(text) if not ch.isspace()]
        self.text = "".join(text[i] for i in self.offsets)

    def find_all(self, needle: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        """Occurrences of ``needle`` (whitespace ignored) as (start, end) in *compact* coordinates."""
        key = compact(needle)
        hi = len(self.text) if hi is None else hi
        out, at = [], self.text.find(key, lo, hi) if key else -1
        while at >= 0:
            out.append((at, at + len(key)))
            at = self.text.find(key, at + 1, hi)
        return out

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Compact (start, end) → offsets in the original text (end exclusive)."""
        return self.offsets[start], self.offsets[end - 1] + 1


def locate(texts: Mapping[str, str], needle: str) -> list[Span]:
    """Every whitespace-insensitive occurrence of ``needle`` in the texts, as original-offset spans."""
    out = []
    for source, text in texts.items():
        ct = CompactText(text)
        out += [Span(source, *ct.original(s, e)) for s, e in ct.find_all(needle)]
    return out


def _find(compacted: Mapping[str, CompactText], evidence: str, answers: Sequence[str]) -> tuple[list[Span], list[Span]]:
    found_ev, found_ans = [], []
    for source, ct in compacted.items():
        for s, e in ct.find_all(evidence):
            found_ev.append(Span(source, *ct.original(s, e)))
            for candidate in answers:  # the answer itself, else the first variant found
                inside = ct.find_all(candidate, s, e)
                if inside:
                    found_ans += [Span(source, *ct.original(a, b)) for a, b in inside]
                    break
    return found_ev, found_ans


def locate_items(items: Sequence[GoldItem], texts: Mapping[str, str]) -> list[LocatedItem]:
    """Evidence and answer spans of every item; BqaError listing the ids whose evidence is not in the corpus.

    For derived and comparison items the answer spans are the operands' spans (what a passage must hold);
    a comparison without operands (the seed's older items) is located like a span answer.
    """
    compacted = {source: CompactText(text) for source, text in texts.items()}
    located, missing, no_answer = [], [], []
    for it in items:
        if not it.answerable:
            located.append(LocatedItem(it, (), ()))
            continue
        if it.type in ("derived", "comparison") and it.operands:
            evidence, answers = [], []
            for op in it.operands:
                ev, ans = _find(compacted, op.evidence, [op.text])
                if not ev:
                    missing.append(it.id)
                evidence += ev
                answers += ans
            if it.id not in missing and not answers:
                no_answer.append(it.id)
            elif it.id not in missing:
                located.append(LocatedItem(it, tuple(evidence), tuple(dict.fromkeys(answers))))
            continue
        evidence, answers = _find(compacted, it.evidence, it.answers)
        if not evidence:
            missing.append(it.id)
        elif not answers:
            no_answer.append(it.id)
        else:
            located.append(LocatedItem(it, tuple(evidence), tuple(dict.fromkeys(answers))))
    problems = []
    if missing:
        problems.append(f"{len(set(missing))} gold item(s) whose evidence is not in the corpus (whitespace ignored): "
                        f"{', '.join(dict.fromkeys(missing))}")
    if no_answer:
        problems.append(f"{len(no_answer)} gold item(s) whose answer (or any variant) is not inside its evidence: "
                        f"{', '.join(no_answer)}")
    if problems:
        raise BqaError("; ".join(problems) + "; fix the gold file(s) — evidence must be a verbatim span of the corpus")
    return located
