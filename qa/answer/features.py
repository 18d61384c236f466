"""The feature record of a candidate answer: how the question's words, years, periods, scopes and units
sit around it, where its passage ranked, and what kind of span it is. Conflicts are features too; the
fitted model (``qa.answer.model``) weighs them, no factor is set by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.generators import Hit, Segment, clause_bounds, sentence_bounds
from qa.query import Intent, Lexicon, Query
from qa.query.lexicon import squash
from qa.types import Chunk

KINDS = ("number", "table_cell", "date", "person", "entity", "list", "yes_no")
FEATURES = (
    "p_score", "p_rr",
    *(f"k_{k}" for k in KINDS),
    "clause_cov", "sent_cov", "pass_cov", "before_cov", "after_cov", "adjacent", "near",
    "year_agree", "year_conflict", "period_agree", "period_conflict", "scope_agree", "scope_conflict",
    "unit_match", "unit_conflict", "is_pct", "wants_pct", "money", "wants_money",
    "echo", "label_cov", "col_cov", "col_year_agree", "col_year_conflict",
    "negated", "support", "first_in_clause", "has_unit", "log_len", "en", "verdict_clear", "is_header",
    "primary", "weak_intent", "place_match", "place_conflict", "has_digit",
)
ALLOWED: dict[Intent, tuple[str, ...]] = {  # which kinds may answer which intent (the first ones fit it best)
    Intent.FIGURE: ("number", "table_cell", "date"),
    Intent.DERIVED: ("number", "table_cell"),
    Intent.COMPARISON: ("number", "table_cell", "entity"),
    Intent.DATE: ("date", "table_cell", "number"),
    Intent.PERSON: ("person", "entity"),
    Intent.ENTITY: ("entity", "person", "list", "table_cell", "number", "date"),
    Intent.LIST: ("list", "entity"),
    Intent.YES_NO: ("yes_no",),
}
PRIMARY: dict[Intent, tuple[str, ...]] = {
    Intent.FIGURE: ("number", "table_cell"), Intent.DERIVED: ("number", "table_cell"),
    Intent.COMPARISON: ("number", "table_cell"), Intent.DATE: ("date",), Intent.PERSON: ("person",),
    Intent.ENTITY: ("entity", "person"), Intent.LIST: ("list",), Intent.YES_NO: ("yes_no",),
}
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_NEGATION = re.compile(r"未|没有|尚未|暂未|不|无")
_MONEY = re.compile(r"元$")
_PCT = ("%", "‰", "个百分点", "百分点", "成")


@dataclass(frozen=True)
class Context:
    """What the features need of one query, computed once."""

    query: Query
    terms: tuple[tuple[str, float], ...]  # (squashed term, idf weight)
    total: float
    question_key: str
    lexicon: Lexicon
    places: Mapping[str, frozenset[str]]  # source -> the places it is about

    @classmethod
    def of(cls, query: Query, idf: Callable[[str], float], places: Mapping[str, frozenset[str]] | None = None,
           lexicon: Lexicon | None = None) -> Context:
        terms = tuple((squash(t), w) for t in query.terms if (w := max(idf(t.lower()), 0.0)) > 0)
        return cls(query, terms, sum(w for _, w in terms) or 1.0, squash(query.question), lexicon or Lexicon.default(),
                   places or {})

    def coverage(self, text: str) -> float:
        key = squash(text)
        return sum(w for t, w in self.terms if t in key) / self.total


def _years(text: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(text)}


def _last_year(text: str) -> int | None:
    found = _YEAR.findall(text)
    return int(found[-1]) if found else None


def _unit_class(unit: str) -> str:
    if not unit:
        return ""
    if unit in _PCT:
        return "%"
    if _MONEY.search(unit):
        return "money"
    return unit.lstrip("万亿千")


def verdict_of(lex: Lexicon, question: str, clause: str) -> tuple[str, bool]:
    """(yes|no, clear): the question's predicate direction against the clause's."""

    def direction(text: str) -> int:
        found = lex.find(lex.polarity, text)
        neg, pos = "negative" in found, "positive" in found
        if neg and not pos:
            return -1
        if pos and not neg:
            return 1
        if neg and pos:
            return -1 if re.search(r"(?:未|没有|尚未|暂未|不)(?:能)?(?:完成|实现|达到|超过|出台|建成)", text) else 1
        return 0

    q = question  # the yes/no cue words themselves are no predicate
    for p in lex.intents:
        if p.label == "yes_no":
            q = p.regex.sub(" ", q)
    q_dir, c_dir = direction(q), direction(clause)
    if q_dir == 0:
        negated = bool(_NEGATION.search(clause))
        return ("no" if negated else "yes"), c_dir != 0 or negated
    if c_dir == 0:
        return "yes", False
    return ("yes" if q_dir == c_dir else "no"), True


def candidate_features(ctx: Context, chunk: Chunk, seg: Segment, hit: Hit, passage_rank: int, passage_score: float,
                       support: int, first_in_clause: bool, verdict_clear: bool) -> np.ndarray:
    q = ctx.query
    text = seg.text
    a, b = hit.start, hit.end
    ca, cb = clause_bounds(text, a, b)
    sa, sb = sentence_bounds(text, a, b)
    clause, sentence = text[ca:cb], text[sa:sb]
    context = chunk.context
    is_cell = seg.column is not None
    label = chunk.cells[0] if is_cell and chunk.cells else ""
    column = chunk.header[seg.column] if is_cell and seg.column is not None and seg.column < len(chunk.header) else ""
    span = text[a:b]
    # where the question's words are, relative to the candidate
    before = text[max(sa, a - 15):a]
    near = 0.0
    for t, w in ctx.terms:
        if w < 1.0 or len(t) < 2:
            continue
        for m in re.finditer(re.escape(t), squash(sentence)):
            d = abs(m.start() - (a - sa))
            near = max(near, 1.0 / (1.0 + d / 10.0))
    lead_key = squash(text[max(ca, a - 12):a])
    top_w = max((w for _, w in ctx.terms), default=1.0) or 1.0
    adjacent = max((w for t, w in ctx.terms if t and lead_key.endswith(t) or (t and t in lead_key[-(len(t) + 4):])),
                   default=0.0) / top_w
    after = text[b:min(cb, b + 10)]
    years = set(q.years)
    lead = text[sa:a]
    last = _last_year(lead) or _last_year(label)
    col_years = _years(column)
    y_agree = float(bool(years) and (last in years or bool(years & _years(sentence + label + column))))
    y_conflict = float(bool(years) and last is not None and last not in years and not (years & col_years))
    periods = set(q.periods)
    found_periods = set(ctx.lexicon.find(ctx.lexicon.periods, clause + label + column))
    p_agree = float(bool(periods & found_periods))
    p_conflict = float(bool(periods) and bool(found_periods) and not (periods & found_periods))
    families = q.scope_families
    s_agree = s_conflict = 0.0
    if families:
        hits = set(ctx.lexicon.find(ctx.lexicon.scopes, sentence + "▸" + label + column + "▸" + context))
        s_agree = len(hits & set(q.scopes)) / len(q.scopes)
        near_hits = set(ctx.lexicon.find(ctx.lexicon.scopes, clause + label + column))
        for fam, labels in families.items():
            mine = {h.split(":")[1] for h in near_hits if h.startswith(fam + ":")}
            if mine and not (mine & labels):
                s_conflict += 1.0
    unit = hit.unit
    cls = _unit_class(unit)
    wanted = {_unit_class(u) for u in q.units}
    unit_match = float(bool(cls) and cls in wanted)
    unit_conflict = float(bool(cls) and bool(wanted) and cls not in wanted)
    kinds = [float(hit.kind == k) for k in KINDS]
    mine = ctx.places.get(chunk.source, frozenset())
    p_match = float(bool(q.places) and bool(mine & set(q.places)))
    p_conflict = float(bool(q.places) and bool(mine) and not p_match)
    return np.array([
        passage_score, 1.0 / passage_rank, *kinds,
        ctx.coverage(clause), ctx.coverage(sentence), ctx.coverage(chunk.text + "▸" + context), ctx.coverage(before),
        ctx.coverage(after), adjacent, near, y_agree, y_conflict, p_agree, p_conflict, s_agree, s_conflict,
        unit_match, unit_conflict, float(cls == "%"), float("%" in wanted), float(cls == "money"),
        float("money" in wanted), float(len(squash(span)) >= 2 and squash(span) in ctx.question_key),
        ctx.coverage(label), ctx.coverage(column), float(bool(years & col_years)),
        float(bool(years) and bool(col_years) and not (years & col_years)),
        float(bool(_NEGATION.search(clause))), math.log1p(support), float(first_in_clause), float(bool(unit)),
        math.log1p(len(span)) / 4.0, float(q.language == "en"), float(verdict_clear), float(chunk.is_header),
        float(hit.kind in PRIMARY[q.intent]), float(q.intent is Intent.ENTITY), p_match, p_conflict,
        float(any(ch.isdigit() for ch in span)),
    ], dtype=np.float32)


def first_numbers(hits: Sequence[Hit], text: str) -> set[tuple[int, int]]:
    """The first figure of each clause."""
    seen: set[tuple[int, int]] = set()
    firsts = set()
    for h in sorted((h for h in hits if h.kind in ("number", "table_cell")), key=lambda h: h.start):
        c = clause_bounds(text, h.start, h.end)
        if c not in seen:
            seen.add(c)
            firsts.add((h.start, h.end))
    return firsts
