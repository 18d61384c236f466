"""Rank among listed items: 「哪一类增长最快」 over a sentence that lists three or more items, each with its change.

Statistical bulletins list a category's parts in one sentence, each with its own rate: 「分行业看，煤炭开采和洗选业
增加值增长18.6%，农副食品加工业下降1.0%，食品制造业增长4.6%……」. A question asking which part grew fastest (or
fell most, or is lowest) is answered by the part whose rate is the extreme one in the asked direction, a fall
counting as a negative rate. The answer is the winning item's name as printed, cited; its operands are the
winner's and the runner-up's clauses, verbatim. Each of the two is checked as any operand is: answered by the
fitted models as a figure question of its own (「化妆品类增长多少」) over the same passages, which must read that
clause's figure; the two confidences are the derived calibration's inputs (``Answerer.derived_probability``),
like a comparison's.

The question asks for a change's extreme (qa/query reads it: a change word right before the superlative). No answer
unless the list is whole and is the one asked about: the sentence says no other change after the list starts and the
clause before it none (a list that a 「拉动…1.2个百分点」 or a 分别 clause interrupts, or a 倍 item begins, is not read
as a whole), the words leading to it say at least one of the question's own terms (not a change word, not a year),
and one item stands alone at the top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from qa.answer.features import squash
from qa.lazy_regex import lazy
from qa.query import Lexicon, Query
from qa.query.lexicon import normalize
from qa.types import Answer, Operand, Passage

if TYPE_CHECKING:
    from qa.answer import Answerer

RANK_PASSAGES = 3  # the passages whose lists are read, best first
MIN_ITEMS = 3  # a list of two is a comparison
_CLAUSE_SPLIT = lazy(r"[，,；;：:]")
_SENTENCE_END = "。！？!?"
_LEAD = lazy(r"\s*(?:其中|另外|此外|同时|(?:分|从|按)[^，,：:；;\s]{1,6}?(?:来看|看|分))?\s*")
_BASE = r"(?:(?:比|较)(?:上年同期|去年同期|上年末|上年|去年|年初|上月|上季度|(?:19|20)\d{2}年)|同比|环比)"
# heading lines before a list's first item (「二、工业和建筑业」 then 「汽车制造业增长18.6%」) is no part of its name
_HEADING_LINE = lazy(r"(?:\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|第[一二三四五六七八九十]+[章节部分])[^\n]*\n)+")
_FIGURE = lazy(r"\d(?:[\d.,]*)\s*(?:%|％|倍|个百分点)")
_DIGITS = lazy(r"\d")


@dataclass(frozen=True)
class Item:
    label: tuple[int, int]  # the item's name, before its change (offsets in the source text)
    figure: tuple[int, int]  # its figure with its unit, which ends the item
    value: float  # signed: a fall is negative
    unit: str

    @property
    def clause(self) -> tuple[int, int]:
        """The whole item: name, change and figure."""
        return self.label[0], self.figure[1]


@cache
def _item_pattern() -> re.Pattern[str]:
    """A whole clause that is one listed item: its name, an optional base (比上年, 同比), a change verb (the rise and
    fall words of qa/data/query_words.tsv) and a percentage or points."""
    lex = Lexicon.default()
    rise = "|".join(p.regex.pattern for p in lex.polarity if p.label == "rise")
    fall = "|".join(p.regex.pattern for p in lex.polarity if p.label == "fall")
    return re.compile(rf"(?P<label>[^\s\d](?:[^\d]*?[^\s\d])?)\s*{_BASE}?\s*(?:(?P<fall>{fall})|(?:{rise}))"
                      rf"\s*了?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|％|个百分点)\s*", re.S)


def _sentences(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The whole sentences of ``text`` that ``text[lo:hi]`` touches (a passage may end inside a list)."""
    out = []
    a = max(text.rfind(ch, 0, lo + 1) for ch in _SENTENCE_END) + 1 if lo else 0
    while a < hi:
        ends = [e for e in (text.find(ch, a) for ch in _SENTENCE_END) if e >= 0]
        b = min(ends) if ends else len(text)
        out.append((a, b))
        a = b + 1
    return out


def _items(text: str, lo: int, hi: int) -> list[list[Item]]:
    """The lists of the sentences about ``text[lo:hi]``: a run of at least MIN_ITEMS item clauses in one unit, the
    clause before it no figure, and no figure of its sentence after its start outside it."""
    runs: list[list[Item]] = []
    for s_start, s_end in _sentences(text, lo, hi):
        clauses, a = [], s_start
        for b in [m.start() for m in _CLAUSE_SPLIT.finditer(text, s_start, s_end)] + [s_end]:
            clauses.append((a, b))
            a = b + 1
        k = 0
        while k < len(clauses):
            run, first = [], k  # the run's first clause
            while k < len(clauses):
                a, b = clauses[k]
                lead = _LEAD.match(text, a, b)
                at = lead.end() if lead else a
                heading = _HEADING_LINE.match(text, at, b)
                m = _item_pattern().fullmatch(text, heading.end() if heading else at, b)
                unit = m.group("unit").replace("％", "%") if m else ""
                if m is None or (run and run[-1].unit != unit) or (run and text[a:at].strip()):
                    break  # another unit, or a lead (其中, 分行业看): the items after it are the parts of what came before
                sign = -1.0 if m.group("fall") else 1.0
                run.append(Item((m.start("label"), m.end("label")), (m.start("num"), m.end("unit")),
                                sign * float(m.group("num")), unit))
                k += 1
            if len(run) >= MIN_ITEMS:
                # the clause before it says no change of its own (a 分别 clause, a 倍 item: the list goes on there);
                # a count (在41个行业大类中) or a caption's years may stand there
                # — unless the list opens with its lead (其中, 分行业看): what stands before is the whole of its parts
                led = bool(text[clauses[first][0]:run[0].clause[0]].strip())
                before_clean = first == 0 or led or not _FIGURE.search(text, *clauses[first - 1])
                after = sum(1 for _ in _FIGURE.finditer(text, run[0].clause[0], s_end))
                if before_clean and after == len(run):
                    runs.append(run)
            k += 0 if run else 1
    return runs


def _lead_text(text: str, run: list[Item]) -> str:
    """What leads to the list, squashed: its sentence before its first item and the sentence before that (「全市居民
    消费价格与上年同期持平。分类别看，」). The items' own words say nothing of which list it is."""
    start = run[0].clause[0]
    a = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    before = max(text.rfind(ch, 0, max(0, a - 1)) for ch in _SENTENCE_END) + 1
    return squash(text[before:start])


def _said(query: Query, lead: str, idf) -> float:
    """The question's own terms the lead says, each weighed by its rarity: not a year, not a change word (增长 is
    said of every list)."""
    lex = Lexicon.default()
    change = [p.regex for p in lex.polarity if p.label in ("rise", "fall")]
    total = 0.0
    for term in set(query.terms):
        t = squash(term)
        if not t or _DIGITS.search(t) or any(r.fullmatch(t) for r in change) or t not in lead:
            continue
        total += idf(term)
    return total


def _rank_at(passages: Sequence[Passage], source: str, at: int) -> int:
    """The passage that holds ``at`` (a list may run past its passage's end: then the best of the source's)."""
    return next((p.rank for p in passages if p.chunk.source == source and p.chunk.start <= at < p.chunk.end),
                min(p.rank for p in passages if p.chunk.source == source))


def wants_lowest(query: Query) -> bool:
    """Whether the rank asks for the lowest value: its last superlative is a low one (最低, 最慢, lowest), unless a
    fall turns it over (降幅最小: the mildest fall, the highest rate), or a high one that a fall turns over (降幅最大,
    下降最多, the largest decline, fell the most). A Chinese fall is the words right before the superlative (not the
    降 of 降水量增幅最大); an English one the two words before or after it, within its clause."""
    text = normalize(query.question)
    lex = Lexicon.default()
    found = [(m.start(), m.end(), p.label) for p in lex.superlatives if p.label in ("low", "high")
             for m in p.regex.finditer(text)]
    if not found:
        return False
    start, end, label = max(found)
    fall = [p.regex for p in lex.superlatives if p.label == "fall"]
    if query.language == "en":  # fell the most; the largest (consumer price) decline: as the rank row reads it
        before = re.split(r"[,;:.?!]", text[:start])[-1].split()[-2:]
        after = re.split(r"[,;:.?!]", text[end:])[0].split()[:3]
        near = [" ".join(before[i:]) for i in range(len(before))] + [" ".join(after[:i + 1]) for i in range(len(after))]
        turned = any(r.search(w) for r in fall for w in near)
    else:
        turned = any(r.search(text, 0, start) for r in fall)  # the fall row is anchored at its end ($)
    return (label == "low") != turned


def rank_with_operands(answerer: Answerer, query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
                       pages: Mapping[str, tuple[int, ...]]) -> tuple[Answer, float, float] | None:
    """The listed item the question asks for (the extreme rate in its direction) with its two operand confidences,
    or None."""
    from qa.answer import page_of
    from qa.answer.derived import figure_readings, operand_reading

    best: tuple[float, str, list[Item]] | None = None
    for p in passages[:RANK_PASSAGES]:
        c = p.chunk
        text = texts.get(c.source, "")
        for run in _items(text, c.start, c.end):
            said = _said(query, _lead_text(text, run), answerer.idf)
            if said > 0 and (best is None or said > best[0]):
                best = (said, c.source, run)
    if best is None:
        return None
    _, source, run = best
    text = texts[source]
    order = sorted(run, key=lambda i: i.value, reverse=not wants_lowest(query))
    if order[0].value == order[1].value:
        return None  # a tie names no one item
    winner, second = order[0], order[1]
    confidences = []
    for item in (winner, second):
        a, b = item.label
        sub, ranked = figure_readings(answerer, squash(text[a:item.figure[0]]) + "多少", passages, texts, "zh", query.places,
                               (item.unit,))
        k = next((k for k, c in enumerate(ranked) if c.source == source and c.start == item.figure[0]), None)
        if k is None:
            return None  # the figure question of this item does not read this clause's figure
        confidences.append(operand_reading(answerer, sub, ranked, k).probability)
    a, b = winner.label
    rank = _rank_at(passages, source, a)
    operands = tuple(Operand(text=text[x:y], source=source, start=x, end=y, value=i.value, unit=i.unit,
                             passage_rank=_rank_at(passages, source, x), page=page_of(pages, source, x))
                     for i in (winner, second) for x, y in [i.clause])
    answer = Answer(text=text[a:b], source=source, start=a, end=b, passage_rank=rank, kind="comparison",
                    probability=round(min(confidences), 4), display=squash(text[a:b]), operands=operands, value=None,
                    unit=winner.unit, page=page_of(pages, source, a))
    return answer, confidences[0], confidences[1]
