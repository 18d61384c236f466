"""Derived answers: a comparison, difference, sum, ratio or share computed from two cited figures.

The question is split into its two operands ("一般债务和专项债务哪个多" → 一般债务 | 专项债务; "2025年比2024年
增加多少" → the same item in two years). Each operand is answered like a figure question of its own over the
same passages, by the same fitted model; the derived answer is computed from the two verbatim spans, with
their units reconciled (元/万元/亿元; %; 个百分点). Units that cannot be reconciled mean no derived answer.
Its probability is the smaller of the two operands' probabilities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from qa.answer.features import FEATURES, squash
from qa.query import Intent, Lexicon, Operation, Query, analyze
from qa.query.lexicon import normalize
from qa.types import Answer, Operand, Passage

if TYPE_CHECKING:
    from qa.answer import Answerer, Candidate

_YEAR_LEAD = re.compile(r"(?:截至)?((?:19|20)\d{2})年[末底初]?")
_RATE = re.compile(r"[更较][快慢]|\b(?:faster|slower)\b")
_MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
_NUMBER = re.compile(r"[-−]?\d[\d,]*(?:\.\d+)?")


def operand_questions(query: Query) -> tuple[str, str] | None:
    """The two operand questions of a derived question, or None when it has no two operands."""
    text = query.question
    years = sorted(set(query.years))
    if len(years) == 2 and query.operation in (Operation.DIFFERENCE, Operation.CHANGE, Operation.COMPARE):
        later = re.sub(rf"{years[0]}\s*年?", "", text)  # the question about the later year
        earlier = re.sub(rf"{years[1]}\s*年?", "", text)
        return later, earlier  # a change is later − earlier
    lex = Lexicon.default()
    lang = "en" if query.language == "en" else "zh"
    core = lex.operand_cues[lang].sub(" " if lang == "en" else "", text)
    parts = [p.strip() for p in lex.operand_splits[lang].split(core, maxsplit=1)]
    if len(parts) != 2 or not all(len(p) >= 2 for p in parts):
        return None
    if lang == "zh":
        parts[0] = _shared_tail(parts[0], parts[1])
    shared = " ".join(str(y) for y in years) + " " if query.language == "en" and years else \
        "".join(f"{y}年" for y in years)
    return tuple(p if any(str(y) in p for y in years) else f"{shared}{p}" for p in parts)  # type: ignore[return-value]


def _names(first: str, second: str) -> list[str]:
    """How a comparison names its two operands: without what they share at the start (the year, the place)
    and without the question's setting before a 中 or a comma (2025年阜新全市“三保”支出中保基本民生 → 保基本民生),
    as 「专项债务更多」 reads."""
    k = 0
    while k < min(len(first), len(second)) and first[k] == second[k]:
        k += 1
    shared_year = set(_YEAR_LEAD.findall(first)) & set(_YEAR_LEAD.findall(second))
    out = []
    for text in (first, second):
        name = text[k:].strip() if len(text) - k >= 2 else text.strip()
        m = re.search(r"[中，,]([^中，,]{2,})$", name)
        name = m.group(1) if m else name
        lead = _YEAR_LEAD.match(name)
        if lead and lead.group(1) in shared_year and len(name) - lead.end() >= 2:  # the year both are of
            name = name[lead.end():]
        out.append(name)
    return out


def _own_words(first: str, second: str) -> tuple[str, str]:
    """The last word of what each operand says that the other does not (their common start and end cut
    off): 2025年江西城镇居民人均可支配收入 | 2025年农村居民人均可支配收入 → 城镇 | 农村; "" where it is
    shorter than two characters."""
    from qa.terms import tokenize

    k = 0
    while k < min(len(first), len(second)) and first[k] == second[k]:
        k += 1
    j = 0
    while j < min(len(first), len(second)) - k and first[-1 - j] == second[-1 - j]:
        j += 1
    out = []
    for text in (first[k:len(first) - j], second[k:len(second) - j]):
        words = [w for w in tokenize(text) if len(w) >= 2]
        out.append(words[-1] if words else "")
    return out[0], out[1]


def _shared_tail(first: str, second: str) -> str:
    """The first operand with what the second says after their common head word: 城镇居民 | 农村居民人均可支配收入
    → 城镇居民人均可支配收入; 集成电路出口 | 锂电池出口增长 → 集成电路出口增长 (the two share 居民, 出口)."""
    head = first[-2:]
    if len(first) < 3 or not re.fullmatch(r"[\u4e00-\u9fff]{2}", head):
        return first
    k = second.find(head, 1)
    return first + second[k + 2:] if k > 0 and k + 2 < len(second) else first


def value_of(text: str, unit: str) -> tuple[float, str, float] | None:
    """(value in a base unit, base unit, factor from the written unit to the base) of a figure:
    亿元/万元/元 → 元, 万人 → 人, % stays %."""
    m = _NUMBER.search(text)
    if not m:
        return None
    value = float(m.group().replace(",", "").replace("−", "-"))
    for mag, factor in _MAGNITUDE.items():
        if unit.startswith(mag):
            return value * factor, unit[len(mag):], factor
    return value, unit, 1.0


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "") if decimals else f"{round(value):d}"


def _decimals(text: str) -> int:
    m = re.search(r"\.(\d+)", text)
    return len(m.group(1)) if m else 0


def _comparative(query: Query) -> tuple[str, bool]:
    """The question's own comparative (更快, larger) and whether it asks for the smaller of the two."""
    text = normalize(query.question)
    found = min(((m.start(), m.group(), p.label) for p in Lexicon.default().comparatives
                 if (m := p.regex.search(text))), default=None)
    less = found is not None and found[2] == "less"
    if query.language == "en":
        return (found[1] if found else "larger"), less
    if found and found[1][0] in "更较":
        return "更" + found[1][1], less
    return ("更少" if less else "更多"), less


_CONFLICTS = tuple(FEATURES.index(f) for f in ("year_conflict", "scope_conflict"))


def _fits(c: Candidate) -> bool:
    """An operand is not of another year or scope than its question asks (a derived answer from another
    year's figure is wrong however well the figure reads). A year said only in a table's caption or the
    document's title is no conflict."""
    return not any(c.features[k] > 0 for k in _CONFLICTS)


def _best_figure(answerer: Answerer, question: str, passages: Sequence[Passage], texts: Mapping[str, str],
                 language: str, places: tuple[str, ...], units: tuple[str, ...] = (), own: str = "") -> Candidate | None:
    from qa.answer import candidates_for

    sub = replace(analyze(question), intent=Intent.FIGURE, operation=None, language=language, places=places)
    if units:
        sub = replace(sub, units=units)
    if own:  # what tells this operand from the other (城镇 | 农村) is asked for like a quoted name
        sub = replace(sub, quotes=(*sub.quotes, own))
    ranked = answerer.score(candidates_for(sub, passages, texts, answerer.idf, answerer.places))
    ranked = [c for c in ranked if c.kind in ("number", "table_cell") and value_of(c.display, c.unit)
              and _fits(c)]
    if not ranked:
        return None
    return replace(ranked[0], probability=answerer.confidence_of(sub, ranked))


def derive(answerer: Answerer, query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
           pages: Mapping[str, tuple[int, ...]]) -> Answer | None:
    from qa.answer import page_of

    ops = operand_questions(query)
    if ops is None:
        return None
    # which grew faster compares rates: each operand is a percentage
    rates = ("%",) if query.operation is Operation.COMPARE and _RATE.search(normalize(query.question)) else ()
    own = _own_words(*ops) if query.language == "zh" else ("", "")
    a = _best_figure(answerer, ops[0], passages, texts, query.language, query.places, rates, own[0])
    b = _best_figure(answerer, ops[1], passages, texts, query.language, query.places, rates, own[1])
    if a is None or b is None or (a.source, a.start) == (b.source, b.start):
        return None
    va, vb = value_of(a.display, a.unit), value_of(b.display, b.unit)
    if va is None or vb is None or va[1] != vb[1]:
        return None  # units that cannot be reconciled
    unit, scale = a.unit, va[2]  # results are given in the first operand's unit
    op = query.operation
    decimals = max(_decimals(a.display), _decimals(b.display))
    operands = tuple(
        Operand(text=c.text, source=c.source, start=c.start, end=c.end, value=v[0] / v[2], unit=c.unit,
                passage_rank=c.passage_rank, page=page_of(pages, c.source, c.start))
        for c, v in ((a, va), (b, vb)))
    x, y = va[0], vb[0]
    if op is Operation.COMPARE:
        years = sorted(set(query.years), reverse=True)
        if len(years) == 2:  # the same item in two years (operand_questions puts the later first)
            names = [f"{y}年" if query.language == "zh" else str(y) for y in years]
        else:
            names = _names(*ops) if query.language == "zh" else [o.strip() for o in ops]
        word, want_less = _comparative(query)
        winner = 0 if x >= y else 1
        if want_less:
            winner = 1 - winner
        big, small = (a.display, b.display) if winner == 0 else (b.display, a.display)
        sign = "<" if want_less else ">"
        if query.language == "en":
            text = f"{names[winner]} is {word}: {big} {sign} {small}"
        else:
            text = f"{names[winner]}{word}：{big} {sign} {small}"
        kind, value, out_unit = "comparison", None, unit
    elif op in (Operation.DIFFERENCE, Operation.CHANGE):
        value = (x - y) / scale
        if op is Operation.DIFFERENCE:
            value = abs(value)
        text, kind, out_unit = f"{_fmt(value, decimals)}{unit}", "derived", unit
    elif op is Operation.SUM:
        value = (x + y) / scale
        text, kind, out_unit = f"{_fmt(value, decimals)}{unit}", "derived", unit
    elif op is Operation.SHARE:
        if y == 0:
            return None
        value = 100.0 * x / y
        text, kind, out_unit = f"{value:.2f}%", "derived", "%"  # as reports print shares (19.64%)
    elif op is Operation.RATIO:
        if y == 0:
            return None
        value = x / y
        text, kind, out_unit = f"{value:.2f}倍", "derived", "倍"
    else:
        return None
    first = a if a.passage_rank <= b.passage_rank else b
    return Answer(text=text, source=first.source, start=first.start, end=first.end, passage_rank=first.passage_rank,
                  kind=kind, probability=round(min(a.probability, b.probability), 4), display=text,
                  operands=operands, value=None if value is None else round(value, 6), unit=out_unit,
                  page=page_of(pages, first.source, first.start))


def answer_key(answer: Answer) -> str:
    return squash(answer.text)
