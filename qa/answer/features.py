"""The feature record of a candidate answer: how the question's words, years, periods, scopes and units
sit around it, where its passage ranked, and what kind of span it is. Conflicts are features too; the
fitted model (``qa.answer.model``) weighs them, no factor is set by hand.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from qa.answer.generators import CLAUSE_END, SENT_END, Hit, Segment, clause_bounds, function_lead, list_joint
from qa.answer.respectively import aligned, fit_of
from qa.answer.rows import cell_roles, run_roles
from qa.answer.values import FIGURE_KINDS
from qa.lazy_regex import LazyRegex, lazy
from qa.names import ROLE
from qa.query import Intent, Lexicon, Query, sense_forms, term_weights
from qa.query.analyze import COUNT_ROLES
from qa.query.lexicon import normalize, squash
from qa.types import Chunk

KINDS = ("number", "table_cell", "date", "person", "entity", "list", "yes_no")
# Scope families said of one figure rather than of a stretch of text: what a total includes (含/不含) is in force
# in its own sentence only, where a region or a budget said once holds until another is said
SENTENCE_FAMILIES = frozenset({"incl"})
FEATURES = (
    "p_score", "p_rr",
    *(f"k_{k}" for k in KINDS),
    "clause_cov", "sent_cov", "pass_cov", "before_cov", "after_cov", "adjacent", "near",
    "year_agree", "year_conflict", "period_agree", "period_conflict", "scope_agree", "scope_conflict",
    "unit_match", "unit_conflict", "is_pct", "wants_pct", "money", "wants_money",
    "echo", "label_cov", "col_cov", "col_year_agree", "col_year_conflict",
    "negated", "support", "first_in_clause", "has_unit", "log_len", "en", "verdict_clear", "is_header",
    "primary", "weak_intent", "place_match", "place_conflict", "has_digit", "form_match", "form_miss", "own_cov",
    "counter_match", "counter_conflict", "verdict_figure", "count_match", "count_miss",
    "titled", "lead_echo", "table_match", "table_miss", "quote_match", "role_match", "role_conflict",
    "list_spread", "resp_match", "resp_conflict", "head_match", "head_miss", "head_echo", "function_lead",
    "change_match", "change_conflict", "amount_match", "amount_conflict", "lead_scope_agree", "lead_scope_conflict",
    # an English question's clause, own-words and passage coverage again, apart: its Chinese terms are glosses and
    # dictionary words, fewer of them said where its answer stands, so the model may weigh them on their own: the
    # same values as clause_cov, own_cov and pass_cov for an English question, 0 for a Chinese one (fit split, leave
    # one document out, three seed sets, against the code with the English question forms and top_pass_cov: best
    # reading right 421.7 -> 421.0 of 619, within the draw; answers shown 157 -> 176, right 150.3 -> 167.3; English
    # shown 7.3 -> 14.7, right 7.3 -> 13.7)
    "en_clause_cov", "en_own_cov", "en_pass_cov",
    # the years of the nearest heading (or table caption) that names any, for a candidate whose own sentence, row
    # and column name none: 「一、2025年预算执行情况 … 城镇新增就业9791人」 is a 2025 figure
    "section_year_agree", "section_year_conflict",
    # the period in force at a figure: the last one its statement says before it, else its cell's or heading's
    # (「上半年，全区新设立企业1556户」: 上半年, though the figure's clause names none)
    "lead_period_agree", "lead_period_conflict",
    # a Chinese question of several clauses asks in one of them (「…新增专项债券额度中，转贷给益阳高新区的是多少？」,
    # 「…社会保险基金预算中，财政补助收入是多少？」): the share of that clause's term weight the figure's own words
    # hold (Context.focus_terms); 0 when no other clause has terms of its own (its own_cov says the same), for an
    # English question and for a comparison
    "focus_own_cov",
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
    Intent.REASON: (),  # a reason is a clause or more, not a span: the passages are the answer
}
# An entity question's person candidates count as primary although no fit-split entity question (67) has a
# person for its answer: making them secondary was tried on 3 December 2026 and lost 3 fit questions (409 -> 406
# with nine seeds), not kept.
PRIMARY: dict[Intent, tuple[str, ...]] = {
    Intent.FIGURE: ("number", "table_cell"), Intent.DERIVED: ("number", "table_cell"),
    Intent.COMPARISON: ("number", "table_cell"), Intent.DATE: ("date",), Intent.PERSON: ("person",),
    Intent.ENTITY: ("entity", "person"), Intent.LIST: ("list",), Intent.YES_NO: ("yes_no",), Intent.REASON: (),
}
_YEAR = lazy(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TITLE_BEFORE = lazy(rf"{ROLE}\s*$")  # 区财政局局长 姜靖
_DIGIT = lazy(r"\d")
_QUESTION_CLAUSE_END = lazy(r"(?<!\d),|,(?!\d)|[:;]|\.{3,}")  # (a question is NFKC-normalised: ，：；… are ,:;...)
_BRACKETED = lazy(r"（[^（）]*）|\([^()]*\)|“[^“”]*”|《[^《》]*》|「[^「」]*」|\"[^\"]*\"")
# a list's or a table row's number (or 其中) before its words: 「七、社会保障和就业支出」 and 「其中：税收收入」 echo a
# question that names the row
_ENUMERATION = lazy(r"^(?:其中[:：]?|[一二三四五六七八九十]+[、)）]|[（(](?:[一二三四五六七八九十]+|\d{1,2})[）)]"
                    r"|\d{1,2}(?:[.、．](?!\d)|[)）])|[\u2460-\u2473])")
_DAY, _MONTH, _YEAR_FORM = (re.compile(p) for p in (r"\d\s*日|\d{4}-\d{1,2}-\d{1,2}", r"\d\s*月", r"(?:19|20)\d{2}\s*年"))
_KIND_FLAGS = {k: tuple(float(k == j) for j in KINDS) for k in KINDS}  # the k_* features of each kind
_NO_KIND = (0.0,) * len(KINDS)


@dataclass(frozen=True)
class Asked:
    """What ``candidate_features`` reads of the query for every candidate, worked out once per query."""

    years: frozenset[int]
    periods: frozenset[str]
    forms: frozenset[str]
    places: frozenset[str]
    top_w: float  # the heaviest term's weight (1.0 when there is none)
    wanted: frozenset[str]  # the unit classes the question's units accept
    counted: frozenset[str]  # the unit classes of what it counts in so many words (几处, 多少万元)


def _stem(county: str) -> str:
    """A county's name as a text may say it short: without its 县, 区 or 旗 (新蔡县 → 新蔡), an autonomous county's
    first two characters (长阳土家族自治县 → 长阳)."""
    return county[:2] if "自治" in county else county[:-1]


@dataclass(frozen=True)
class Context:
    """What the features need of one query, computed once."""

    query: Query
    terms: tuple[tuple[str, float], ...]  # (squashed term, idf weight)
    total: float
    # the question squashed, the names it gives and, for an English question, its Chinese terms (an answer that repeats
    # them is an echo)
    question_key: str
    lexicon: Lexicon
    places: Mapping[str, frozenset[str]]  # source -> the places it is about
    quotes: tuple[str, ...] = ()  # what the question quotes (“2025年债务余额”, “上半年完成情况”), squashed
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # term -> its other forms: 财经委全体会议 ->
    # 财政经济委员会全体会议 (qa/data/abbreviations.tsv)
    asked_ends: tuple[LazyRegex, ...] = ()  # how names of the kind asked for end (qa/data/query_words.tsv)
    named: tuple[str, ...] = ()  # things of the kind asked for that the question itself names (…副区长之前…职务)
    glossed: frozenset[str] = frozenset()  # an English question's Chinese terms, squashed (see glossed_echo)
    # coverage and term positions of texts seen before (many candidates share a clause, sentence or passage)
    _seen: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, query: Query, idf: Callable[[str], float], places: Mapping[str, frozenset[str]] | None = None,
           lexicon: Lexicon | None = None) -> Context:
        terms = tuple(term_weights(query, idf))
        # what the question itself says: an English question's people are its Chinese names too (Xuan Yizhou: 宣一洲)
        # and its Chinese terms (the glossary's and the dictionary's words for its words): 监察委员会 to "Which body did
        # the supervisory commission report to?" repeats the question
        glossed = query.terms if query.language == "en" else ()
        said = "▸".join([squash(query.question), *(squash(e) for e in (*query.entities, *glossed))])
        lex = lexicon or Lexicon.default()
        ends = tuple(lex.head_ends[h] for h in query.heads if h in lex.head_ends)
        named = tuple(t for t, _ in terms if len(t) >= 2 and head_fits(ends, t, "entity")
                      and not any(p.regex.fullmatch(t) for p in lex.heads)) if ends else ()
        # a kind the word list does not know ends as the question names it (哪座铁矿: …铁矿); the word itself is no
        # name the question gives (head_echo)
        ends = ends or tuple(lazy(re.escape(w) + "$") for w in query.head_words)
        return cls(query, terms, sum(w for _, w in terms) or 1.0, said, lex, places or {},
                   tuple(squash(q) for q in query.quotes),
                   _merged(sense_forms(query, terms), other_forms(terms, query.variants)), ends, named,
                   frozenset(k for e in glossed if (k := squash(e)) and not any(c.isdigit() for c in k)))

    def asked(self) -> Asked:
        """The query's years, periods, forms, places, heaviest term and unit classes, worked out once."""
        found = self._seen.get("asked")
        if found is None:
            q, lex = self.query, self.lexicon
            found = self._seen["asked"] = Asked(
                frozenset(q.years), frozenset(q.periods), frozenset(q.forms), frozenset(q.places),
                max((w for _, w in self.terms), default=1.0) or 1.0, lex.wanted_classes(q.units),
                frozenset(c for u in q.counters if (c := lex.unit_class(u))))
        return found

    def subunit_conflict(self, source: str, near: str, said: str) -> float:
        """1.0 when the question names a county or district (``Query.subunits``) that ``source`` is not about (新蔡县
        in a city's report; a source whose places are unknown is about any) and the candidate's own words (``near``:
        its sentence up to it, its row label and column) say a region of another level (全市, 市本级, 全省; the region
        labels holding 县 or 区 are the county's or district's own: 全县, 县本级, 市县, and 全区 also where it means an
        autonomous region) while its sentence, label and column (``said``) do not name the county, in full or by its
        stem (新蔡县, 新蔡; 长阳土家族自治县, 长阳): the city's 139.3亿元 (「汇总全市…实际完成139.3亿元」) to
        「2018年新蔡县一般公共预算收入完成了多少」."""
        asked = self._seen.get(("subunits", source))
        if asked is None:
            own = self.places.get(source, frozenset())
            asked = self._seen[("subunits", source)] = tuple(
                (u, stem) for u in self.query.subunits if own and (stem := _stem(u)) not in own and u not in own)
        if not asked or any(u in said or stem in said for u, stem in asked):
            return 0.0
        levels = {u[-1] for u, _ in asked}  # 县 | 区: the region labels that hold it are the county's own level
        return float(any(not levels & set(label) for label in self.regions(near)))

    def regions(self, text: str) -> list[str]:
        """The region scopes ``text`` says (全市, 市本级, 全县…), whatever the question's scope families."""
        return [h.partition(":")[2] for h in self.lexicon.find_scopes(text, ("region",))]

    def passage(self, chunk: Chunk) -> tuple[str, float]:
        """(the chunk's context, the coverage of its text and context), once per chunk (``Chunk.context`` is built
        anew on every read)."""
        found = self._seen.get(("passage", id(chunk)))
        if found is None or found[0] is not chunk:  # the chunk is kept with its entry: its id is not reused
            context = chunk.context
            found = self._seen[("passage", id(chunk))] = (chunk, context, self.coverage(chunk.text + "▸" + context))
        return found[1], found[2]

    def focus_coverage(self, text: str) -> float:
        """The share of the term weight of the question's asking clause (``focus_terms``) that ``text`` holds; 0
        when the question has no such clause apart from the rest."""
        focus = self.focus_terms()
        if not focus:
            return 0.0
        return self._weight_said(squash(text), only=focus) / self._focus_weight()

    def _focus_weight(self) -> float:
        found = self._seen.get("focus_weight")
        if found is None:
            found = self._seen["focus_weight"] = sum(w for t, w in self.terms if t in self.focus_terms())
        return found

    def focus_terms(self) -> frozenset[str]:
        """The terms of a Chinese question's asking clause — the last clause that says an asking word (多少, 哪,
        是否…: ``Lexicon.ask_zh``), else its last — with a clause of no term of its own joined to the one before it
        (「…转贷给益阳高新区的，是多少？」), when another clause has terms the asking one does not say; else none (one
        clause, an English question, a comparison, whose asking clause names its criterion: 哪个增长更快). Commas inside
        brackets and quotes (（不含南湖新区，高新区）, “稳中有进，进中向好”) and inside numbers (1,234) part no clauses."""
        found = self._seen.get("focus")
        if found is None:
            found = frozenset()
            if self.query.language == "zh" and self.query.intent is not Intent.COMPARISON:
                found = self._asking_terms(self.query.question)
            self._seen["focus"] = found
        return found

    def _asking_terms(self, question: str) -> frozenset[str]:
        flat = _BRACKETED.sub(lambda m: m.group()[0] + "_" * (len(m.group()) - 2) + m.group()[-1], question)
        cuts = [0, *(m.end() for m in _QUESTION_CLAUSE_END.finditer(flat)), len(question) + 1]
        clauses = [question[a:b - 1] for a, b in zip(cuts, cuts[1:], strict=False) if b - 1 > a]
        keys = [squash(c) for c in clauses]
        terms = [t for t, _ in self.terms if t]
        merged: list[list[int]] = []  # clause indices, a clause of no term joined to the one before it
        for i, k in enumerate(keys):
            if merged and not any(t in k for t in terms):
                merged[-1].append(i)
            else:
                merged.append([i])
        if len(merged) < 2:
            return frozenset()
        asking = [g for g in merged if any(self.lexicon.ask_zh.search(clauses[i]) for i in g)]
        group = (asking or merged)[-1]
        key = "".join(keys[i] for i in group)
        rest = "".join(keys[i] for g in merged if g is not group for i in g)
        mine = frozenset(t for t in terms if t in key)
        return mine if mine and any(t in rest and t not in key for t in terms) else frozenset()

    def coverage(self, text: str) -> float:
        """The share of the question's term weight that ``text`` holds."""
        found = self._seen.get(("cov", text))
        if found is None:
            found = self._seen[("cov", text)] = self._share_said(squash(text))
        return found

    def _share_said(self, key: str, skip: frozenset[str] = frozenset()) -> float:
        """The share of the question's term weight that the squashed ``key`` holds, terms in ``skip`` left out."""
        return self._weight_said(key, skip) / self.total

    def _weight_said(self, key: str, skip: frozenset[str] = frozenset(), only: frozenset[str] | None = None) -> float:
        """The weight of the question's terms (of ``only``, when given; not of ``skip``) that the squashed ``key``
        says, in any of their forms."""
        return sum(w for t, w, forms in self._term_forms()  # sum(), as total is summed
                   if t not in skip and (only is None or t in only) and (t in key or (forms and any(f in key for f in forms))))

    def name_tables(self, captions: Iterable[str | None]) -> None:
        """Read which of the question's terms name a table (``table_name_terms``) against each caption of the
        passages read; ``column_coverage`` leaves them out for every table's columns, not just the named one's."""
        question = squash(self.query.question)
        terms = [t for t, _ in self.terms]
        naming: set[str] = set()
        for caption in dict.fromkeys(c for c in captions if c):
            naming |= table_name_terms(question, squash(normalize(caption)), terms)
        self._seen["table_name_terms"] = frozenset(naming)

    def column_coverage(self, column: str) -> float:
        """``coverage`` of a table column's name by the question's terms other than those it says only in naming a
        table (``name_tables``): 「在2025年石嘴山市政府债务限额和余额情况表（表十二）中，平罗县“2025年债务余额”合计是多少？」
        says 限额 in the table's name alone, so a 2025年债务限额 column is no closer to it than a 2025年债务余额
        column."""
        naming = self._seen.get("table_name_terms")
        if not naming:
            return self.coverage(column)
        found = self._seen.get(("col", column))
        if found is None:
            found = self._seen[("col", column)] = self._share_said(squash(column), naming)
        return found

    def _term_forms(self) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
        """Each term, its weight and its other forms, looked up once (``coverage`` reads them for every text)."""
        found = self._seen.get("term_forms")
        if found is None:
            found = self._seen["term_forms"] = tuple((t, w, self.forms.get(t, ())) for t, w in self.terms)
        return found

    def find(self, category: str, text: str) -> frozenset[str]:
        """The labels of one lexicon category (periods, scopes) that ``text`` names."""
        found = self._seen.get((category, text))
        if found is None:
            found = self._seen[(category, text)] = frozenset(
                self.lexicon.find_scopes(text, self.query.scope_families) if category == "scopes"
                else self.lexicon.find(getattr(self.lexicon, category), text))
        return found

    def scope_in_force(self, text: str, a: int, heading: str, sentence_start: int = 0) -> tuple[float, float]:
        """(share of the question's scope families whose scope in force at ``a`` is one it asks, number of families
        whose scope in force is another). The scope in force is the last one of its family said before ``a`` in
        ``text`` (whitespace removed: a line may wrap inside 市本级), else those ``heading`` (the table's labels, the
        section path) says: 「全市…法定债务余额【197.88亿元】…。自治区下达市本级…余额【72.12亿元】」 puts 全市 in
        force at the first figure and 市本级 at the second, though neither's clause names a scope. A scope of the
        SENTENCE_FAMILIES is in force in its own statement only (from ``sentence_start``, ``statement_start``):
        「支出（含上级补助）…。」 says nothing of what the next statement's debt limit includes."""
        families = self.query.scope_families
        found = self._seen.get(("scope_spans", text))
        if found is None:  # per family, the ends and names of its scopes in the normalised text, in order
            key = squash(text)
            by_family: dict[str, tuple[list[int], list[str]]] = {fam: ([], []) for fam in families}
            for _, end, lab in self.lexicon.scope_spans(key, families):
                fam, _, name = lab.partition(":")
                by_family[fam][0].append(end)
                by_family[fam][1].append(name)
            # NFKC lengthens a few characters (「…」 is three there): then positions are counted in its form
            found = self._seen[("scope_spans", text)] = (by_family, len(normalize(key)) != len(key))
        by_family, lengthened = found

        def offset(i: int) -> int:  # text[:i]'s length in the form the scope ends are counted in
            return len(normalize(squash(text[:i])) if lengthened else squash(text[:i]))

        at = offset(a)
        since = offset(sentence_start) if SENTENCE_FAMILIES & families.keys() else 0  # only when a family asks
        agree = conflict = 0.0
        for fam, labels in families.items():
            ends, names = by_family[fam]
            k = bisect_right(ends, at)
            if k and fam in SENTENCE_FAMILIES and ends[k - 1] <= since:
                k = 0  # said in an earlier sentence: not in force here
            mine = {names[k - 1]} if k else {lab.partition(":")[2] for lab in self.find("scopes", heading)
                                             if lab.startswith(fam + ":")}
            if mine & labels:
                agree += 1.0
            elif mine:
                conflict += 1.0
        return agree / len(families), conflict

    def period_in_force(self, text: str, a: int, heading: str) -> frozenset[str]:
        """The period labels in force at ``a``: those of the last period said in its statement before it (from
        the last 。！？, ``statement_start``), else those ``heading`` names (the cell's labels, the section path)."""
        found = self._seen.get(("period_spans", text))
        if found is None:  # (end, label) of every period said in the text, in order of their ends
            key = normalize(text)
            spans = sorted((m.end(), pat.label) for pat in self.lexicon.periods for m in pat.regex.finditer(key))
            found = self._seen[("period_spans", text)] = ([e for e, _ in spans], [lab for _, lab in spans],
                                                          len(key) != len(text))
        ends, labels, changed = found
        at, since = a, statement_start(text, a)
        if changed:  # NFKC changed the text's length: positions counted in its form
            at, since = len(normalize(text[:a])), len(normalize(text[:since]))
        k = bisect_right(ends, at)
        if k and ends[k - 1] > since:
            last = ends[k - 1]
            return frozenset(lab for e, lab in zip(ends[:k], labels[:k], strict=True) if e == last)
        return self.find("periods", heading)

    def bounds(self, unit: str, text: str, a: int, b: int) -> tuple[int, int]:
        """``clause_bounds`` / ``sentence_bounds`` of a span, from the text's marks found once."""
        marks = self._seen.get((unit, text))
        if marks is None:
            pattern = CLAUSE_END if unit == "clause" else SENT_END
            found = [m.span() for m in pattern.finditer(text)]
            marks = self._seen[(unit, text)] = ([s for s, _ in found], [e for _, e in found])
        starts, ends = marks
        k = bisect_right(ends, a)
        s = ends[k - 1] if k else 0
        if unit == "clause" and a >= 2 and text[a - 1] == "," and _DIGIT.match(text, a - 2) and _DIGIT.match(text, a):
            s = a  # a search that stops at a sees no digit after this comma (clause_bounds' own reading)
        j = bisect_left(starts, b)
        if j < len(starts):
            return s, (starts[j] if unit == "clause" else ends[j])
        return s, len(text)

    def term_starts(self, sentence: str) -> tuple[int, ...]:
        """Where the question's weighty terms (idf ≥ 1, two characters or more) start in the squashed sentence,
        in order."""
        found = self._seen.get(("starts", sentence))
        if found is None:
            key = squash(sentence)
            found = self._seen[("starts", sentence)] = tuple(sorted(
                i for t, w in self.terms if w >= 1.0 and len(t) >= 2 for i in _occurrences(t, key)))
        return found

    def nearness(self, sentence: str, at: int) -> float:
        """1 / (1 + d / 10) for the distance d from ``at`` to the nearest start of a weighty term in the sentence
        (``term_starts``); 0 when there is none."""
        starts = self.term_starts(sentence)
        if not starts:
            return 0.0
        k = bisect_left(starts, at)
        d = min(abs(starts[j] - at) for j in (k - 1, k) if 0 <= j < len(starts))
        return 1.0 / (1.0 + d / 10.0)


TABLE_NAME_MIN = 6  # characters of a stretch naming a table (表 and a word before it at the least: 收支情况表)


def table_name_terms(question: str, caption: str, terms: Sequence[str]) -> frozenset[str]:
    """The ``terms`` that ``question`` says only inside stretches it shares with ``caption`` that name the table: each
    as long as it goes, at least ``TABLE_NAME_MIN`` characters, and holding 表 (the question says the caption's
    words through to 表). A phrase a question merely shares with a caption is no table's name: 政府债务限额 in
    「平罗县2025年政府债务限额是多少？」 asks for the limit's column."""
    inside = [False] * len(question)
    for i in range(len(question)):  # from every start: a stretch may begin inside a shorter one
        j = i
        while j < len(question) and question[i:j + 1] in caption:
            j += 1
        if j - i >= TABLE_NAME_MIN and "表" in question[i:j]:
            inside[i:j] = [True] * (j - i)
    return frozenset(t for t in terms if t and (at := list(_occurrences(t, question)))
                     and all(all(inside[k:k + len(t)]) for k in at))


def _occurrences(term: str, text: str) -> Iterator[int]:
    """Where ``term`` (not empty) starts in ``text``, each occurrence after the end of the one before (as
    ``re.finditer`` reads them)."""
    i = text.find(term)
    while i >= 0:
        yield i
        i = text.find(term, i + len(term))


def _years(text: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(text)}


_YEAR_SAID = lazy(r"(?<!\d)((?:19|20)\d{2})(?=\s*年)")  # said as a year, 2025年 or 2025年度: not 〔2020〕, 〔2022〕3号 or 2000万元
_SENTENCE_LIKE = lazy(r"[，,。；;%％]")  # an explanatory note parsed as a heading says no section's year
MAX_HEADING_YEAR_CHARS = 40


def section_years(chunk: Chunk) -> set[int]:
    """The years named by the table caption, else by the deepest section heading that names any: a year said as a
    year (2025年), in a part that reads as a heading, not as a sentence (a note parsed as a heading, 「3.工伤保险基金
    收入增长37.8%，…2023年5月1日恢复…」, is none)."""
    for part in reversed((*chunk.section_path, chunk.table or "")):
        if len(part) > MAX_HEADING_YEAR_CHARS or _SENTENCE_LIKE.search(part):
            continue
        if found := {int(y) for y in _YEAR_SAID.findall(part)}:
            return found
    return set()


def asked_years(query: Query) -> frozenset[int]:
    """The years a question asks about: a Chinese question's said as years (2025年), an English question's all."""
    if query.language == "en":
        return frozenset(query.years)
    return frozenset(int(y) for y in _YEAR_SAID.findall(query.question)) & frozenset(query.years)


def names_another_year(chunk: Chunk, years: Iterable[int]) -> bool:
    """Does the passage name years — in its text or its context (title ▸ headings ▸ caption) — and none of ``years``?
    Its figures are then another year's: 「2024年，区一般公共预算收入决算数为2088207万元」 to a question on 2023. A
    passage that names no year at all says nothing against it (a report titled 「第一部分财政决算报告」, a sentence under
    a heading without one). On the fit split (the models of 2f54995, the best reading of the 647 questions that name a
    year), 18 best readings came from passages naming other years only, and none was right (399 of the other
    629 were)."""
    said = chunk.text + "▸" + chunk.context  # read as written (「2.3 2022年…表」 squashed is 2.32022年) and squashed
    found = _years(said) | _years(squash(said))  # (a PDF's 「2 0 2 2 年」)
    return bool(found) and not (set(years) & found)


def _last_year(text: str) -> int | None:
    found = _YEAR.findall(text)
    return int(found[-1]) if found else None


def item_count(text: str, kind: str) -> int:
    """How many items a span names: a list's items (at 、, and at one 和/及/与 that joins two items in its last
    item, not one inside a word: 中华人民共和国), else one."""
    if kind != "list":
        return 1
    parts = [p for p in text.split("、") if p.strip()]
    if not parts:
        return 1
    joint = list_joint(parts[-1])
    two = bool(joint and parts[-1][:joint.start()].strip() and parts[-1][joint.end():].strip())
    return len(parts) + int(two)


def list_spread(text: str) -> float:
    """How unlike a list's items are in length: log(longest / shortest). Items of one enumeration run parallel
    (车船税、环境保护税、契税); a reading that took in the clause's lead-in or predicate has one long item
    (车船税、环境保护税、契税等税种按属地化原则下划至各区)."""
    parts = [p for p in text.split("、") if p.strip()]
    joint = list_joint(parts[-1]) if parts else None
    if joint and parts[-1][:joint.start()].strip() and parts[-1][joint.end():].strip():
        parts[-1:] = [parts[-1][:joint.start()], parts[-1][joint.end():]]
    lengths = [len(squash(p)) for p in parts]
    if len(lengths) < 2 or min(lengths) == 0:
        return 0.0
    return math.log(max(lengths) / min(lengths))


def form_of(text: str, kind: str, unit: str) -> str:
    """The form of a span, as the question's ``forms`` name them: day, month or year for a date, ordinal for
    第2位; "" otherwise."""
    if unit == "第" or text.startswith("第"):
        return "ordinal"
    if kind not in ("date", "table_cell"):
        return ""
    if _DAY.search(text):
        return "day"
    if _MONTH.search(text):
        return "month"
    if _YEAR_FORM.search(text):
        return "year"
    return ""


_NAME_TAIL = lazy(r"(?:[（(][^（）()]*[）)]|[”’」』》\"'])+$")  # 《…条例》, …决定（草案）: read without them
_ITEM_SPLIT = lazy(r"[、，,；;]")  # a list's items (not at 和: 社会和谐 is one item)


def glossed_echo(key: str, glossed: frozenset[str], ends: Sequence[LazyRegex] = ()) -> bool:
    """Whether a squashed span only says an English question's own words back, in its Chinese terms (``glossed``):
    the terms run end to end over the whole span, or over all of it but an ending of the kind asked for. "Which
    key investment-promotion events…" (重点, 招商; events: 活动) is not answered by 「重点招商活动」, the words the
    passage names them with; in a Chinese question that span is in the question itself (``echo``). The question's
    figures are no terms here (1, 5%: glued together they make 555 or 11%); ``echo`` reads them where they stand."""
    if not glossed or not key:
        return False
    # with its ending taken off, at least two characters of terms: not 省 of 省政府 ("which provincial body")
    keys = [key] + [key[:m.start()] for e in ends if (m := e.search(key)) and m.start() >= 2]
    longest = max(map(len, glossed))
    return any(covered_end_to_end(k, glossed.__contains__, longest=longest) for k in keys)


def covered_end_to_end(key: str, is_piece: Callable[[str], bool], shortest: int = 1, longest: int = 0) -> bool:
    """Whether ``key`` is pieces end to end, each of ``shortest`` to ``longest`` characters (any length for 0) for
    which ``is_piece`` holds: the glossed terms of an English question (``glossed_echo``), the words a question says
    (``qa.answer._said_back``)."""
    longest = longest or len(key)
    reached = [0]  # the ends of key's prefixes that are pieces end to end
    for i in range(1, len(key) + 1):
        if i - reached[-1] > longest:  # no piece reaches i from a reached end: nor any end after it
            break
        if any(i - j >= shortest and is_piece(key[j:i]) for j in reached if i - j <= longest):
            reached.append(i)
    return reached[-1] == len(key)


def head_fits(ends: Sequence[LazyRegex], span: str, kind: str) -> bool:
    """Whether the span names a thing of the kind asked for (any of ``ends``, from the lexicon's head endings):
    区监察委员会 for 哪个机关, 驻马店南方钢铁有限责任公司 for 哪家企业; a list when one of its items does. A
    one-character ending ends a name of three characters or more (市审计局), not a word of two (全部, 市场, 增长)."""
    key = squash(span).removesuffix("等")
    items = _ITEM_SPLIT.split(key) if kind == "list" else [key]
    for item in items:
        item = _NAME_TAIL.sub("", item.removesuffix("等"))
        if any((m := e.search(item)) and (len(m.group()) > 1 or len(item) >= 3) for e in ends):
            return True
    return False


_CHANGE_GAP = r"[^\d，,。；;：:！？!?]"  # words between a change's verb or 由 and its figure: no other figure
_CHANGE_YEAR = r"(?:\d{4}年(?:末|底|初)?的?)?"  # 从2020年的【2.83万亿元】提高到…


@cache
def _change_patterns(verb: str) -> tuple[re.Pattern[str], ...]:
    """(new value's lead, old value's lead, old value's tail, amount's lead, a clause ending with an amount) for the
    change verbs ``verb`` (a regex). The amount's lead admits only 了, 率/幅/速/幅度, 为/是/达 and 约/近/超 between
    the verb and the figure: a wider gap read 新增【债务限额529亿元】 and 增加【值…】 as amounts."""
    amount = rf"(?<!新)(?:{verb})了?(?:幅度|[率幅速])?(?:为|是|达到?|了)?(?:约|近|超过?|逾)?"
    return (re.compile(rf"(?:{verb})(?:到|至|为){_CHANGE_YEAR}{_CHANGE_GAP}{{0,8}}$"
                       rf"|(?:{verb})后{_CHANGE_GAP}{{0,12}}(?:为|是|达){_CHANGE_GAP}{{0,4}}$"),
            re.compile(rf"[由从]{_CHANGE_YEAR}{_CHANGE_GAP}{{0,10}}$"),
            re.compile(rf"{_CHANGE_GAP}{{0,6}}(?:{verb})(?:到|至|为)"),
            re.compile(rf"{amount}$"),
            re.compile(rf"{amount}\d[\d.,]*{_CHANGE_GAP}{{0,6}}[，,]$"))  # 增长5.2%，… / 提高了20元，…


_REACHED = lazy(r"达到?")


def role_agreement(roles: frozenset[str], asked: Sequence[str]) -> tuple[float, float]:
    """(match, conflict) of a figure's roles with the question's, in two dimensions apart: which figure of a row
    (done, plan, growth…) and what a count takes in (new, aggregate). A conflict needs both to name a role of the
    same dimension: a table cell, which has no count role, does not conflict with 新增 (「新增专项债券」 is a row of
    done and plan cells); a match needs no conflict in the other."""
    conflict = match = False
    wanted_all = frozenset(asked)
    for mine, wanted in ((roles - COUNT_ROLES, wanted_all - COUNT_ROLES), (roles & COUNT_ROLES, wanted_all & COUNT_ROLES)):
        if mine and wanted:
            match |= bool(mine & wanted)
            conflict |= not mine & wanted
    return float(match and not conflict), float(conflict)


def change_role(verbs: LazyRegex, text: str, a: int, b: int, ca: int, cb: int) -> str:
    """"to" for the new value of a change (提高到每生每年【600元】, 调整后的支出预算为【16.07亿元】, 提高20元，达到【220元】),
    "from" for the old one (由每生每年【500元】提高到…, 从年初预算的【3037.37亿元】调整为…), "by" for its amount
    (比上年增加【76亿元】, 同比增长了【7.8%】, 增幅为【5%】), "" otherwise; read within the figure's clause (达到: and the
    clause before), whitespace removed (济南's 「从  2020年的  2.83万亿元提高到  2025年的  1.67万亿元」)."""
    new_lead, old_lead, old_tail, amount_lead, amount_before = _change_patterns(verbs.checked_pattern)
    lead = re.sub(r"\s", "", text[max(ca, a - 24):a])
    if new_lead.search(lead):
        return "to"
    if old_lead.search(lead) and old_tail.match(re.sub(r"\s", "", text[b:min(cb, b + 16)])):
        return "from"
    if amount_lead.search(lead):
        return "by"
    if _REACHED.fullmatch(lead) and amount_before.search(re.sub(r"\s", "", text[max(0, ca - 32):ca])):
        return "to"  # what the change reached, in the clause after its amount
    return ""


_WRAPPED_CLAUSE_END = lazy(r"[，。！？；!?;：:]|(?<!\d),|,(?!\d)")  # CLAUSE_END without the line break


def wrapped_clause_bounds(text: str, a: int, b: int, reach: int = 200) -> tuple[int, int]:
    """The clause of ``text[a:b]`` read across wrapped lines (a PDF's 「比年初预算数⏎减少 1.3 亿元」 is one clause),
    within ``reach`` characters either side."""
    s = max((m.end() for m in _WRAPPED_CLAUSE_END.finditer(text, max(0, a - reach), a)), default=max(0, a - reach))
    m = _WRAPPED_CLAUSE_END.search(text, b, b + reach)
    return s, (m.start() if m else min(len(text), b + reach))


def change_amount_clause(verbs: LazyRegex, text: str, a: int, b: int) -> tuple[int, int] | None:
    """The clause of ``text[a:b]``, read across wrapped lines, when the figure is the amount of a change it states
    (``change_role`` "by": 比上年增加【76亿元】, 增长【7.8%】); None otherwise."""
    ca, cb = wrapped_clause_bounds(text, a, b)
    return (ca, cb) if change_role(verbs, text, a, b, ca, cb) == "by" else None


def candidate_features(ctx: Context, chunk: Chunk, seg: Segment, hit: Hit, passage_rank: int, passage_score: float,
                       support: int, first_in_clause: bool, verdict_clear: bool, own_start: int,
                       verdict_figure: bool) -> np.ndarray:
    q = ctx.query
    text = seg.text
    a, b = hit.start, hit.end
    ca, cb = ctx.bounds("clause", text, a, b)
    sa, sb = ctx.bounds("sentence", text, a, b)
    clause, sentence = text[ca:cb], text[sa:sb]
    context, pass_cov = ctx.passage(chunk)
    asked = ctx.asked()
    is_cell = seg.column is not None
    label = chunk.label_of(seg.column) if is_cell and chunk.cells else ""
    column = chunk.header[seg.column] if is_cell and seg.column is not None and seg.column < len(chunk.header) else ""
    span = text[a:b]
    # where the question's words are, relative to the candidate
    before = text[max(sa, a - 15):a]
    near = ctx.nearness(sentence, a - sa)
    lead_key = squash(text[max(ca, a - 12):a])
    top_w = asked.top_w
    adjacent = max((w for t, w in ctx.terms if t and lead_key.endswith(t) or (t and t in lead_key[-(len(t) + 4):])),
                   default=0.0) / top_w
    after = text[b:min(cb, b + 10)]
    years = asked.years
    if years:  # the years the candidate's own words say are read when the question names one
        last = _last_year(text[sa:a]) or _last_year(label)
        col_years, said_years = _years(column), _years(sentence + label + column)
    else:
        last, col_years, said_years = None, set(), set()
    y_agree = float(bool(years) and (last in years or bool(years & said_years)))
    y_conflict = float(bool(years) and last is not None and last not in years and not (years & col_years))
    heading_years = section_years(chunk) if years and not said_years else set()  # its own words name no year
    sec_agree = float(bool(years & heading_years))
    sec_conflict = float(bool(heading_years) and not years & heading_years)
    periods = asked.periods
    found_periods = ctx.find("periods", clause + label + column) if periods else frozenset()  # read when asked
    p_agree = float(bool(periods & found_periods))
    p_conflict = float(bool(periods) and bool(found_periods) and not (periods & found_periods))
    in_force = ctx.period_in_force(text, a, label + "▸" + column + "▸" + context) if periods else frozenset()
    lead_p_agree = float(bool(periods & in_force))
    lead_p_conflict = float(bool(in_force) and not periods & in_force)
    families = q.scope_families
    s_agree = s_conflict = 0.0
    if families:
        hits = set(ctx.find("scopes", sentence + "▸" + label + column + "▸" + context))
        s_agree = len(hits & set(q.scopes)) / len(q.scopes)
        near_hits = set(ctx.find("scopes", clause + label + column))
        for fam, labels in families.items():
            mine = {h.split(":")[1] for h in near_hits if h.startswith(fam + ":")}
            if mine and not (mine & labels):
                s_conflict += 1.0
    if q.subunits and "region" not in families:  # a region the question asks is read above
        s_conflict += ctx.subunit_conflict(chunk.source, text[sa:b] + "▸" + label + column, sentence + label + column)
    lead_agree, lead_conflict = ctx.scope_in_force(text, a, label + column + "▸" + context, statement_start(text, a)) \
        if families else (0.0, 0.0)
    unit = hit.unit
    cls = ctx.lexicon.unit_class(unit)
    wanted = asked.wanted
    unit_match = float(bool(cls) and cls in wanted)
    unit_conflict = float(bool(cls) and bool(wanted) and cls not in wanted)
    counted = asked.counted  # asked in so many words: 几处, 多少万元
    counter_match = float(bool(cls) and cls in counted)
    counter_conflict = float(bool(counted) and cls not in counted and hit.kind in FIGURE_KINDS)
    kinds = _KIND_FLAGS.get(hit.kind, _NO_KIND)
    own = text[max(sa, own_start):a]  # the figure's own words: since the figure before it, within its sentence
    wanted_forms = asked.forms
    form = form_of(span, hit.kind, unit) if wanted_forms else ""  # read when the question asks for a form
    form_match = float(form in wanted_forms)
    form_miss = float(bool(wanted_forms) and form not in wanted_forms)
    mine = ctx.places.get(chunk.source, frozenset())
    place_match = float(bool(q.places) and bool(mine & asked.places))
    place_conflict = float(bool(q.places) and bool(mine) and not place_match)
    n_items = item_count(span, hit.kind) if q.items else 0
    titled = hit.kind == "person" and bool(_TITLE_BEFORE.search(text, max(0, a - 8), a))
    roles: frozenset[str] = frozenset()
    if q.roles and hit.kind in FIGURE_KINDS:  # what the figure is in its row: done, plan, growth…
        roles = cell_roles(chunk.cells, seg.column) if is_cell and chunk.cells else run_roles(text, a, b)
        if not roles and not is_cell:  # prose, or a run of numbers that gave none: what its own words call it
            roles = ctx.lexicon.figure_roles(own)  # (预算为 X，实际完成 Y)
    resp = (0.0, 0.0)
    if hit.kind == "number" and "别" in text[min(ca, max(0, a - 200)):a]:  # 分别: the item the figure belongs to,
        # its clause read whole across wrapped lines first (a line break may cut it anywhere), else as far as one
        wa = max((m.end() for m in _WRAPPED_CLAUSE_END.finditer(text, max(0, a - 200), a)), default=None)
        end = _WRAPPED_CLAUSE_END.search(text, b, b + 200)
        found = aligned(text[wa:end.start()].replace("\n", " "), a - wa) if wa is not None and end is not None \
            else None
        resp = fit_of(found or aligned(clause, a - ca), ctx.question_key + "|" + "|".join(q.terms))
    role_match, role_conflict = role_agreement(roles, q.roles)
    ends = ctx.asked_ends
    head_match = float(bool(ends) and head_fits(ends, span, hit.kind))
    # 【虹口区副区长】 to 在被任命为副区长之前担任什么职务: a name the question itself gives
    head_echo = bool(ctx.named) and _NAME_TAIL.sub("", squash(span)).endswith(ctx.named)
    change = change_role(ctx.lexicon.change_verbs, text, a, b, ca, cb) if q.change and hit.kind == "number" else ""
    lead2 = squash(text[max(0, a - 6):a])[-2:]  # the two characters right before it, as the question has them:
    lead_echo = len(lead2) == 2 and lead2.isalpha() and lead2 in ctx.question_key  # 留置【37人】, 任命【宣一洲】
    clause_cov, own_cov = ctx.coverage(clause), ctx.coverage(own)
    span_key = squash(span)
    echo_key = _ENUMERATION.sub("", span_key)
    echo_key = echo_key if len(echo_key) >= 2 else span_key  # （2025） is no numbered empty label
    return np.array([
        passage_score, 1.0 / passage_rank, *kinds,
        clause_cov, ctx.coverage(sentence), pass_cov, ctx.coverage(before),
        ctx.coverage(after), adjacent, near, y_agree, y_conflict, p_agree, p_conflict, s_agree, s_conflict,
        unit_match, unit_conflict, float(cls == "%"), float("%" in wanted), float(cls == "money"),
        float("money" in wanted), float(len(echo_key) >= 2 and (echo_key in ctx.question_key
                                                               or glossed_echo(echo_key, ctx.glossed, ends))),
        ctx.coverage(label), ctx.column_coverage(column), float(bool(years & col_years)),
        float(bool(years) and bool(col_years) and not (years & col_years)),
        float(bool(ctx.lexicon.negation.search(clause))), math.log1p(support), float(first_in_clause), float(bool(unit)),
        math.log1p(len(span)) / 4.0, float(q.language == "en"), float(verdict_clear), float(chunk.is_header),
        float(hit.kind in PRIMARY[q.intent]), float(q.intent is Intent.ENTITY), place_match, place_conflict,
        float(any(ch.isdigit() for ch in span)), form_match, form_miss,
        own_cov, counter_match, counter_conflict, float(verdict_figure),
        float(bool(q.items) and n_items == q.items), float(bool(q.items) and n_items != q.items),
        float(titled), float(lead_echo), float(q.table and is_cell), float(q.table and not is_cell),
        float(any(k in squash(label + "▸" + column + "▸" + clause) for k in ctx.quotes)), role_match, role_conflict,
        list_spread(span) if hit.kind == "list" else 0.0, *resp, head_match, float(bool(ends) and not head_match),
        float(head_echo), float(hit.kind in ("list", "entity") and function_lead(text, a, b) > a),
        float(q.change != "by" and change in ("to", "from") and change == q.change),
        float(q.change in ("to", "from") and change in ("to", "from", "by") and change != q.change),  # 提高【20元】
        # is not what 提高到了多少 asks (fit split: top candidate right 397 -> 399 when the amount joined)
        # the amount of a change asked for (增加了多少): a figure that is one, and one that is none (a level, or
        # a change's end). Apart from the two above: sharing them lost two questions asking for a new value.
        float(q.change == "by" and change == "by"), float(q.change == "by" and hit.kind == "number" and change != "by"),
        lead_agree, lead_conflict,
        *((clause_cov, own_cov, pass_cov) if q.language == "en" else (0.0, 0.0, 0.0)),
        sec_agree, sec_conflict, lead_p_agree, lead_p_conflict, ctx.focus_coverage(own),
    ], dtype=np.float32)


def _merged(*maps: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Each term's forms from every map, in order, without repeats."""
    out: dict[str, tuple[str, ...]] = {}
    for forms in maps:
        for t, more in forms.items():
            out[t] = tuple(dict.fromkeys([*out.get(t, ()), *more]))
    return out


def other_forms(terms: Sequence[tuple[str, float]], variants: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each term's other forms: the term with a short form said in full or a full form said short, one pair at a
    time and all at once (人大常委会: 人民代表大会常委会, 人大常务委员会, 人民代表大会常务委员会)."""
    out = {}
    for t, _ in terms:
        swaps = [(full, short) if full in t else (short, full) for short, full in variants if short in t or full in t]
        forms = {t.replace(a, b) for a, b in swaps}
        whole = t
        for a, b in swaps:
            whole = whole.replace(a, b)
        forms.add(whole)
        if forms - {t}:
            out[t] = tuple(sorted(forms - {t}))
    return out


def start_after(text: str, a: int, ends: str) -> int:
    """Where the stretch holding ``text[a]`` begins: right after the last of ``ends`` before ``a``, else 0."""
    return max(text.rfind(ch, 0, a) for ch in ends) + 1


def statement_start(text: str, a: int) -> int:
    """Where the statement holding ``text[a]`` begins: after the last full stop (。！？) before it. A line break (a
    wrapped line) or a 分号 does not end what a 含/不含 said before it holds for (SENTENCE_FAMILIES)."""
    return start_after(text, a, "。！？!?")


def own_starts(hits: Sequence[Hit], text: str) -> dict[tuple[int, int], int]:
    """Where each figure's own words begin: at the end of the figure or date before it (its sentence's start
    is applied by the feature). "非税收入23.56亿元，同比增长2.03%，非税占收入比重为19.64%": 19.64%'s own words are
    "，非税占收入比重为", not the sentence's."""
    ends = sorted({h.end for h in hits if h.kind in ("number", "table_cell", "date")})
    out = {}
    for h in hits:
        k = bisect_right(ends, h.start)
        out[(h.start, h.end)] = ends[k - 1] if k else 0
    return out


def first_numbers(hits: Sequence[Hit], text: str) -> set[tuple[int, int]]:
    """The first figure of each clause."""
    seen: set[tuple[int, int]] = set()
    firsts = set()
    for h in sorted((h for h in hits if h.kind in FIGURE_KINDS), key=lambda h: h.start):
        c = clause_bounds(text, h.start, h.end)
        if c not in seen:
            seen.add(c)
            firsts.add((h.start, h.end))
    return firsts
