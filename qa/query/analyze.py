"""Question analysis: the question becomes a typed ``Query`` once; retrieval and answering read only that.

    >>> q = analyze("2025年全市一般公共预算收入是多少？")
    >>> q.intent, q.years, q.scopes
    (<Intent.FIGURE: 'figure'>, (2025,), ('region:全市', 'budget:一般公共预算', 'measure:收入'))

English questions get the Chinese terms of the glossary (and the Chinese names of the people and places
of the corpus, when a ``NameMap`` is given), so both languages reach the same passages and spans.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from qa import regex_cache
from qa.han import han_count, is_han
from qa.ingest.places import place_cores
from qa.lazy_regex import lazy
from qa.query.dictionary import lookup
from qa.query.lexicon import AREA, COUNT, Lexicon, gloss_form, normalize, squash
from qa.terms import any_word, stopwords, tokenize, units
from qa.terms import words as cut_words


class Intent(StrEnum):
    FIGURE = "figure"
    PERSON = "person"
    ENTITY = "entity"
    DATE = "date"
    LIST = "list"
    YES_NO = "yes_no"
    COMPARISON = "comparison"
    DERIVED = "derived"
    REASON = "reason"  # why something happened or is so: no span kind answers it (the passages only)


class Operation(StrEnum):
    DIFFERENCE = "difference"
    SUM = "sum"
    SHARE = "share"
    RATIO = "ratio"
    CHANGE = "change"
    COMPARE = "compare"
    RANK = "rank"  # which of the items listed is the extreme one (qa.answer.rank)


INTENT_ORDER = ("reason", "comparison", "yes_no", "person", "date", "list", "entity", "figure", "list_plural", "other")
_LABEL_INTENT = {"other": Intent.ENTITY, "list_plural": Intent.LIST}  # cue labels that are no intent's own name
_YEAR = lazy(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_QUOTED = lazy(r"[《“\"「『]([^》”\"」』]{2,40})[》”\"」』]")
RATE_ROLES = frozenset({"growth", "rate_done"})  # row roles that are rates (qa.answer.rows)
COUNT_ROLES = frozenset({"new", "aggregate"})  # what a count or amount takes in: the year's additions or all
_HAN_RUN = lazy(r"[\u4e00-\u9fff]+")  # the Chinese an English question quotes: (审减率), “三通一码”
_PLACE = lazy(r"([\u4e00-\u9fff]{2,6}?(?:省|市|县|区|自治区|州))")
_ASCII_WORD = lazy(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_LATIN_WORD = lazy(r"(?<![A-Za-z0-9.&])[A-Za-z][A-Za-z0-9.&]*[A-Za-z0-9]|(?<![A-Za-z0-9])[A-Za-z](?![A-Za-z0-9])")  # GDP, PM2.5, R&D
# where a Chinese question says what it asks for, with its measure word (哪家, 哪一所); 为什么 asks why, though
# 任命为什么职务 and 评为什么称号 ask for a post and a title
_ASKED_ZH = lazy(r"哪一?[个家所座条位项种类次部份些]?|(?<!(?<![命评成作称选])为)什么|何处|何种")
_ASKED_BEFORE_ZH = lazy(r"[是为]哪(?:一?[个家所座条位项种类次部份些]|几[个家项])?(?=[？?，,。]|$)")  # …大学是哪一所
_NAMED_BEFORE_ZH = lazy(r"(?:叫什么(?:名字|名称)?|的?(?:名称|全称)是什么)(?=[？?，,。]|$)")  # …交通枢纽项目叫什么
_ASKED_EN = lazy(r"(?<![a-z])(?:which|what|where)(?![a-z])"  # up to the verb or preposition that ends it
                       r"(?:\s+(?!(?:did|does|do|in|on|at|for|by|from|to|with)(?![a-z]))[a-z'\-]+){0,6}")
HEAD_WINDOW = 5  # characters after 哪家 / 什么 (or before 是哪) the asked kind is looked for in


_SYLLABLE_MARK = re.compile(r"(?<=[a-z])['’‘`](?=[aeo])")


@dataclass(frozen=True)
class NameMap:
    """The corpus's people and places: romanised names → their Chinese spelling, and the places' Chinese
    names (cores, without 省/市/区); built once per index."""

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "huang haibin" -> ("黄海滨",)
    places: tuple[str, ...] = ()  # "石嘴山", "虹口" …

    def __post_init__(self) -> None:  # lookups by the question's words, not a loop over the corpus's names
        object.__setattr__(self, "_rank", {key: i for i, key in enumerate(self.names)})
        object.__setattr__(self, "_words", max((len(k.split()) for k in self.names), default=0))
        object.__setattr__(self, "_lengths", sorted({len(p) for p in self.places}))
        object.__setattr__(self, "_place_rank", {p: i for i, p in enumerate(self.places)})

    def find(self, text: str) -> tuple[str, ...]:
        # pinyin's syllable mark is no word break: Xi'an, Xi’an are xian (西安), Chang'an changan; -'s is kept apart
        words = re.findall(r"[a-z]+", _SYLLABLE_MARK.sub("", normalize(text)))
        keys = {" ".join(words[i:i + n]) for n in range(1, self._words + 1) for i in range(len(words) - n + 1)}
        out: list[str] = []
        for key in sorted((k for k in keys if k in self._rank), key=self._rank.__getitem__):
            out += [v for v in self.names[key] if v not in out]
        return tuple(out)

    def places_in(self, text: str) -> list[str]:
        """The corpus's places that occur in ``text``, in the map's order."""
        found = {text[i:i + n] for n in self._lengths for i in range(len(text) - n + 1)}
        return sorted((p for p in found if p in self._place_rank), key=self._place_rank.__getitem__)


@dataclass(frozen=True)
class Query:
    """A question analysed once: what retrieval and answering read of it, nothing else re-reads the raw text."""

    question: str  # as asked (cleaned of control characters, NFKC-normalised)
    language: str  # "zh" | "en"
    intent: Intent
    operation: Operation | None
    terms: tuple[str, ...]  # Chinese content terms (English questions: their glosses and names)
    english_terms: tuple[str, ...]  # content words of an English question
    years: tuple[int, ...]
    periods: tuple[str, ...]
    scopes: tuple[str, ...]  # "family:label"
    units: tuple[str, ...]  # units the answer is expected to carry
    forms: tuple[str, ...]  # day | month | year | ordinal: the form of answer asked for
    counters: tuple[str, ...]  # the measure words the question counts in, as written (几处 -> 处)
    entities: tuple[str, ...]  # quoted names, places, people named in the question
    search_text: str  # what the retrievers read
    places: tuple[str, ...] = ()  # places of the corpus the question names (cores: 石嘴山, 虹口)
    # the counties, districts and banners a question names (新蔡县, 大武口区; qa/data/counties.txt), an English one by
    # their pinyin before County, District or Banner (Shapotou District: 沙坡头区)
    subunits: tuple[str, ...] = ()
    # the provinces, prefectures and county-level cities the question names (qa/data/places.txt) that are not the
    # corpus's places nor hold one, as cores (成都; Chengdu, Xi'an: 西安): one no loaded bulletin mentions gets no answer
    other_places: tuple[str, ...] = ()
    items: int | None = None  # how many items a list question asks for (哪两家 -> 2), when it says
    table: bool = False  # the question says its answer stands in a table (表一中…, 一栏, column)
    variants: tuple[tuple[str, str], ...] = ()  # (short form, full form) pairs the question says one form of
    quotes: tuple[str, ...] = ()  # what the question quotes (“2025年债务余额”, 《…》)
    roles: tuple[str, ...] = ()  # which number of a table row it asks for (qa.answer.rows): done, plan, growth…
    heads: tuple[str, ...] = ()  # the kind of thing an entity or list question asks for: organ, firm, venue…
    # the kinds of report the question names (调研, 审计…; qa/data/query_words.tsv, report_kind) when it asks about a
    # report (谁作的…调研报告, "who presented the audit report"); None when it asks about none
    reports: tuple[str, ...] | None = None
    # the word a Chinese entity question names its thing with, as written (哪座铁矿 -> 铁矿, 国家植物园是哪个 ->
    # 国家植物园): the answer's name may end with it (阜新查马屯铁矿)
    head_words: tuple[str, ...] = ()
    change: str = ""  # "to" (提高到多少, 调整后), "from" (调整前, 原来) or "by" (增加了多少, 增幅): which value of a change
    # what the amount of a change asked for is measured from, when the question names a base other than the year before
    # (比年初预算减少了多少 -> 年初预算, 比2010年增加了多少 -> 2010年); "" for none
    base: str = ""
    # what the dense retriever embeds: the question as asked. An English question's Chinese glossary and dictionary
    # terms are for BM25 and the features: embedded with it they doubled its embedding time (50 -> 27 ms p50
    # without) for no better ranking (fit split, leave one document out, three seed sets: best reading right 414.7
    # -> 413.7 of 619, hit@1 450 -> 451; the draws spread 410-417). "" (a Query made by hand): search_text.
    dense_text: str = ""
    # the general dictionary's words for one English word or phrase, most common first, when it gives several (spend:
    # 消费 出手 支出): one of them said is the word said, so they count once in the term weights, as the first one
    # the index holds, the others its forms. Counted apart, a word of three senses weighed three times and a passage
    # saying one of them covered a third of it (fit split, leave one document out, three seed sets: English hit@1
    # 70 -> 77 of 124, best reading right 413.7 -> 421.3 of 619, answers shown 130.3 -> 152.7 with 124.3 -> 145 right).
    # Their places were tried as the terms' too (the features adjacent and near): best reading the same, 135 shown.
    senses: tuple[tuple[str, ...], ...] = ()

    @property
    def scope_families(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for s in self.scopes:
            family, _, label = s.partition(":")
            out.setdefault(family, set()).add(label)
        return out


@cache
def _count_re() -> re.Pattern[str]:
    """几处, 多少万元, and a magnitude before a measure word that qa/data/units.txt does not list with one: 多少万辆
    counts in 万辆 (a count of 辆), not in 万. A measure word that begins the name of a currency is none: 多少亿人民币
    and 多少万日元 count in 亿 and 万 (no class), not in 亿人 (people) or 万日 (days)."""
    return regex_cache.compile(rf"(?:几|多少)((?:万|亿|千)?(?:{'|'.join(re.escape(u) for u in units())}))(?!民币|[元币])")


_HOW_MANY = lazy(r"(?<![a-z])how many(?: (?![\d,.]+%?(?:\s|$))[^\s?!,;:()]+){0,5}")


def _how_many_words(text: str) -> str:
    """"how many" and up to five words after it, up to a number or a punctuation mark: where an English count
    question names what it counts ("how many accompanying-care workers", "by how many percentage points")."""
    m = _HOW_MANY.search(normalize(text))
    return m.group() if m else ""


def _counted_units(text: str) -> list[str]:
    """The measure word a question counts in: 几处 -> 处, 多少万元 -> 万元 (words of qa/data/units.txt)."""
    return [m.group(1) for m in _count_re().finditer(text)]


def _said_whole(key: str, form: str) -> bool:
    """Whether ``form`` stands in ``key`` somewhere without straddling two words, that is without a dictionary word
    (two to four characters) that begins before it and ends inside it and another that begins inside it and ends
    after it: the 国企 of 中国|企业, the 人大 of 老年人|大学 and 个人|大病 are none; 区监委, 人大常委会 and 市人代会上 are."""
    at = key.find(form)
    while at >= 0:
        a, b = at, at + len(form)
        before = any_word([key[x:y] for x in range(max(0, a - 3), a) for y in range(a + 1, b) if 2 <= y - x <= 4])
        after = any_word([key[x:y] for x in range(a + 1, b) for y in range(b + 1, min(len(key), x + 4) + 1)
                          if y - x >= 2])
        if not (before and after):
            return True
        at = key.find(form, at + 1)
    return False


def term_weights(query: Query, idf: Callable[[str], float]) -> list[tuple[str, float]]:
    """(squashed term, weight) for the question's terms: the term's idf in the index, or for a word the index
    only holds as single characters (网办率), the mean idf of its characters; terms of no weight are left out.
    Of the dictionary's senses of one English word (``Query.senses``) only the first of weight counts: the
    others are its forms (``sense_forms``)."""
    group_of = {t: k for k, group in enumerate(query.senses) for t in group}
    counted: set[int] = set()
    out = []
    for t in query.terms:
        k = group_of.get(t)
        if k in counted:
            continue
        w = idf(t.lower())
        if w <= 0 and len(t) > 1 and all(is_han(ch) for ch in t):
            w = sum(max(idf(ch), 0.0) for ch in t) / len(t)
        if w > 0:
            out.append((squash(t), w))
            if k is not None:
                counted.add(k)
    return out


def sense_forms(query: Query, terms: Sequence[tuple[str, float]]) -> dict[str, tuple[str, ...]]:
    """Each counted term of ``term_weights`` that stands for a group of senses -> the group's other words."""
    counted = {t for t, _ in terms}
    out = {}
    for group in query.senses:
        keys = [squash(t) for t in group]
        rep = next((t for t in keys if t in counted), None)
        if rep is not None:
            out[rep] = tuple(dict.fromkeys([*out.get(rep, ()), *(t for t in keys if t != rep)]))
    return out


def _words(text: str) -> list[str]:
    """Content terms of a Chinese question: the tokens of two or more characters (and numbers), and each run of
    single characters the tokenizer could not join (网/办/率 -> 网办率) as one word."""
    tokens = tokenize(text)
    out, run = [], []

    def flush() -> None:
        if len(run) > 1 and "".join(run) in text:
            out.append("".join(run))
        run.clear()

    for t in tokens:
        if len(t) == 1 and is_han(t):
            if run and "".join(run) + t not in text:
                flush()
            run.append(t)
            continue
        flush()
        if len(t) > 1 or t.isdigit():
            out.append(t)
    flush()
    return out


def asked_change(lex: Lexicon, text: str) -> str:
    """Which value of a change the question asks for: "from" (调整前, 原来, before the adjustment) outranks "to"
    (提高到, 调整后, raised to), since a question naming the old value names the change too, and both outrank "by"
    (增加了多少, 增幅, by how much: the amount of the change); "" for none."""
    said = lex.find(lex.changes, text)
    return next((role for role in ("from", "to", "by") if role in said), "")


def asked_base(lex: Lexicon, text: str) -> str:
    """What the amount of a change asked for is measured from, as the question names it (比年初预算减少了多少 ->
    年初预算, 实际完成数比调整预算少多少 -> 调整预算), or "" when it names none or the year before (比上年, 同比, 较上年同期):
    a printed change (比上年增长5.6%) answers those."""
    m = lex.operand_base.search(normalize(text))
    base = m.group(1).strip() if m else ""
    if not base or lex.operand_prior.fullmatch(base):
        return ""
    said = _YEAR_IN_BASE.search(base)
    if said is not None:  # 比2024年末 in a question about 2025 (or with no year of its own: the document's) is 比上年末
        years = {int(y) for y in _YEAR_IN_BASE.findall(text[:m.start()] + text[m.end():])}
        if not years or int(said.group(1)) + 1 in years:
            return ""
    return base


_YEAR_IN_BASE = lazy(r"((?:19|20)\d{2})\s*年")


def asked_heads(lex: Lexicon, text: str) -> tuple[str, ...]:
    """The kinds of thing a question asks for (``head`` words of qa/data/query_words.tsv): the head word nearest
    after each 哪家 / 什么 / which (within HEAD_WINDOW characters, or up to six English words before a verb or a
    preposition), or nearest before 是哪, or right before 叫什么 / 名称是什么 (点名的交通枢纽项目叫什么 -> project):
    哪家钢铁企业获发了… -> firm, 由哪个单位向市人代会提交 -> organ (not the meeting further on), 职业技术大学是哪一所
    -> school, in which department -> organ."""
    t = normalize(text)
    # from the character before the question word (在哪里 asks for a venue, 从哪里来 does not)
    windows = [(t[max(0, m.start() - 1):m.end() + HEAD_WINDOW], False, False) for m in _ASKED_ZH.finditer(t)]
    windows += [(t[max(0, m.start() - 2 * HEAD_WINDOW):m.start()], True, False) for m in _ASKED_BEFORE_ZH.finditer(t)]
    windows += [(t[max(0, m.start() - 2 * HEAD_WINDOW):m.start()], True, True) for m in _NAMED_BEFORE_ZH.finditer(t)]
    out: list[str] = []
    for window, before, adjacent in windows:  # the nearest head word, the longest where two start together (会议室)
        found = [(len(window) - m.end() if before else m.start(), -len(m.group()), p.label) for p in lex.heads
                 for m in p.regex.finditer(window)]
        if found and not (adjacent and min(found)[0]):  # 叫什么: the word right before it (not 欧阳街道的民意收集平台)
            out.append(min(found)[2])
    for m in _ASKED_EN.finditer(t.replace("’", "'")):  # NFKC keeps the typographic apostrophe
        if (label := _english_head(lex, m.group())) is not None:
            out.append(label)
    return tuple(dict.fromkeys(out))


# an English noun phrase after which/what ends before its verb: a form of be or have, a modal, a word ending in -ed
# before a determiner or a preposition (or the phrase's end), or any word before a determiner (which company built
# the ring road: built); or at its of (which session of the committee: a session)
_EN_DETERMINER = r"(?:the|a|an|its|their|this|these|those)"
_EN_PHRASE_END = lazy(
    r"\s(?:is|are|was|were|has|have|had|will|would|can|could|should|must|may|shall|might|of)(?![a-z'\-])"
    rf"|\s[a-z]+ed(?=\s+(?:{_EN_DETERMINER}|in|on|at|for|by|from|to|with|into|over|under)(?![a-z'\-])|\s*$)"
    rf"|\s[a-z'\-]+(?=\s+{_EN_DETERMINER}(?![a-z'\-]))")


def _english_head(lex: Lexicon, window: str) -> str | None:
    """The kind an English which/what/where phrase asks for: where itself (a venue); else the phrase's last head word
    before its verb or its of (English names the thing last: which two district state-owned enterprise groups ->
    firm, not county), or a head word that owns another (which county's sewage plant -> county); else, with none
    there (what is Huang Haibin's position), the head word nearest after the question word. "Kind of" and "(one) of
    the" open no phrase (what kind of fund supported the project: a fund, no kind the word list knows; which of the
    committees: a committee); a phrase that says its thing with no head word asks for none (not the project after
    its verb)."""
    asked, space, rest = window.partition(" ")
    window = asked + space + _without_openers(rest)
    found = [(m.start(), m.end(), p.label) for p in lex.heads for m in p.regex.finditer(window)]
    if not found:
        return None
    first = min(found, key=lambda f: (f[0], f[0] - f[1]))
    if first[0] == 0:  # the question word itself: where
        return first[2]
    end = m.start() if (m := _EN_PHRASE_END.search(window)) else len(window)
    phrase = [f for f in found if f[1] <= end]
    if not phrase:  # with words of its own before the end (what kind of fund supported…) the phrase names no kind
        return None if window[len(asked):end].strip() else first[2]
    owner = [f for f in phrase if window.startswith("'", f[1])]  # county's, districts'
    if not owner and (own := _EN_OWNER.search(window, 0, end)) and own.start() < max(f[0] for f in phrase):
        return None  # which hospital's emergency department: the owner, of no kind the word list knows, is asked
    return min(owner)[2] if owner else max(phrase, key=lambda f: (f[1], f[1] - f[0]))[2]


_EN_OWNER = lazy(r"(?<![a-z])[a-z][a-z\-]*'s?(?![a-z])")  # an owner's word: hospital's, villages'


# a word that ends a head word's run: a function word of one character, or punctuation (哪座铁矿【的】…)
_HEAD_STOP = frozenset("的是在由被对为把将与和及了获有向从到以并，。？?！!、,（()“”\"'：:；;")
# which one of things with names (not 什么, 哪类, 哪种, 哪次: a description, a class, a time), after its noun or before
_ASKED_NAME_ZH = lazy(r"哪一?[个家所座条位项部份]")
_ASKED_NAME_BEFORE_ZH = lazy(r"[是为]哪一?[个家所座条位项部份]?(?=[？?，,。]|$)")  # …国家植物园是哪个
HEAD_WORD_WINDOW = 8  # characters after 哪座 (or before 是哪) a head word is read in


# what an English which/what phrase may open with before the thing it names (what kind of loan -> loan)
_EN_CLASS_OF = lazy(r"^(?:kinds?|types?|sorts?|forms?|class(?:es)?|categor(?:y|ies))\s+of\s+")


def _without_openers(phrase: str) -> str:
    """The words after which/what without their opening "(one) of the" and "kind of" (which of the banks, what kind
    of loan): what the thing asked is named by."""
    return _EN_CLASS_OF.sub("", _EN_ONE_OF.sub("", phrase, count=1), count=1)


def asked_head_words_en(lex: Lexicon, text: str) -> tuple[str, ...]:
    """The endings of the thing an English question asks for, where no ``head`` row knows its kind: the ``head_word``
    row of the noun that ends the phrase after which/what (which bank opened -> 银行, which national pilot did … win
    -> 试点, what kind of loan -> 贷款, which of the banks -> 银行), as ``asked_head_words`` reads 哪家银行 -> 银行. The
    phrase ends before its verb, its of or its owner's 's (which county's plant: the county), and at its first word
    in -ed after the first (which hospital received funding: hospital). A row's noun that does not end it is a
    modifier (which bank branch, which station master, which tax-free zone) and gives none."""
    t = gloss_form(text)
    out: list[str] = []
    for m in _ASKED_EN.finditer(t):
        asked, _, window = m.group().partition(" ")
        if asked == "where":
            continue
        window = " " + _without_openers(window)
        e = _EN_PHRASE_END.search(window)
        words = window[:e.start() if e else len(window)].split()
        owner = next((i for i, w in enumerate(words) if w.endswith(("'", "'s"))), None)
        if owner is not None:  # which county's plant, which years' budget: the owner is the thing asked
            words = [*words[:owner], words[owner].removesuffix("'s").removesuffix("'")]
        words = words[:next((i for i, w in enumerate(words) if i and _EN_PAST.fullmatch(w)), len(words))]
        if words and (label := next(_head_word_labels(lex, " ".join(words)), None)):
            out += label.split("|")
    return tuple(dict.fromkeys(out))


# which (one) of the banks: the banks are asked; a word in -ed ends the phrase (its verb: received, provided; not
# the -eed of speed, high-speed railways)
_EN_ONE_OF = lazy(r"^(?:one\s+)?of\s+(?:the|these|those)\s+")
_EN_PAST = lazy(r"[a-z]+[^e\W]ed")


def _head_word_labels(lex: Lexicon, phrase: str) -> Iterator[str]:
    """The ``head_word`` labels whose noun ends ``phrase`` (their patterns are anchored at the end)."""
    return (p.label for p in lex.head_words_en if p.regex.search(phrase))


def asked_head_words(lex: Lexicon, text: str) -> tuple[str, ...]:
    """The words a Chinese question names the thing it asks for with, as written: after 哪座 / 哪家 / 哪个, the word
    that follows when a function word or punctuation comes right after it (哪座铁矿的… -> 铁矿, 哪家医院（系） -> 医院;
    not 哪个代表工作小组: no one word); before 是哪 / 为哪, the words back to a function word or punctuation
    (要争创的国家植物园是哪个 -> 国家植物园, 新增的省级以上开发区是哪个 -> 省级以上开发区). Words of two Chinese
    characters or more that are no function word, change verb or break word (关于, 增长, 建设). ``analyze`` reads them
    only for a question of a kind the word list does not know (not 哪家企业, 哪家钢铁企业: its ``head`` rows, whose
    names its endings and generators read)."""
    t = normalize(text)
    out: list[str] = []
    for m in _ASKED_NAME_ZH.finditer(t):
        run = [w for w in cut_words(t[m.end():m.end() + HEAD_WORD_WINDOW]) if not w.isspace()]
        if len(run) >= 2 and run[1] in _HEAD_STOP or len(run) == 1:
            out.append(run[0])
    for m in _ASKED_NAME_BEFORE_ZH.finditer(t):
        back = [w for w in cut_words(t[max(0, m.start() - HEAD_WORD_WINDOW):m.start()]) if not w.isspace()]
        k = len(back)
        while k and back[k - 1] not in _HEAD_STOP:
            k -= 1
        if k or m.start() <= HEAD_WORD_WINDOW:  # back to a stop, or to the question's start
            out.append("".join(back[k:]))
    stop = stopwords()
    return tuple(dict.fromkeys(
        w for w in out if len(w) >= 2 and _HAN_RUN.fullmatch(w) and w not in stop
        and w not in lex.break_words and not lex.change_verbs.fullmatch(w)))



def language_of(text: str) -> str:
    han = han_count(text)
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "en" if latin > 2 * han else "zh"


def _intent(lex: Lexicon, text: str, operation: Operation | None) -> Intent:
    found = set(lex.find(lex.intents, text))
    if "reason" in found:  # 为什么收入下降了？ asks for the cause, not a figure, a comparison or whether it fell
        return Intent.REASON
    if operation is Operation.COMPARE:
        return Intent.COMPARISON
    if "yes_no" in found and "comparison" in found:
        return Intent.YES_NO
    for name in INTENT_ORDER:
        if name in found:
            if name == "figure" and operation is Operation.RANK:  # 哪个行业增加值增速最高: a 行业 is asked
                return Intent.ENTITY
            if name == "figure" and operation is not None:
                return Intent.DERIVED
            return _LABEL_INTENT.get(name) or Intent(name)
    if operation is Operation.RANK:
        return Intent.ENTITY
    return Intent.DERIVED if operation is not None else Intent.FIGURE


_CLAUSE_END = frozenset("，,；;。？?！!：:")


def _total_of_items(lex: Lexicon, text: str) -> bool:
    """Whether a total word (合计, 一共) asks for a sum: the question joins items before it in its clause (一般债务和
    专项债务合计, 两项合计), or in the clause before the one it begins (A和B，合计是多少). Else it names a printed
    total: 章丘区的债务余额合计, （本年收入合计）, 全区一共处置了多少件. Joining words are whole words: 和平区 joins
    nothing, and neither do the 和 of a name (社会保障和就业支出合计, 批发和零售业: words of qa/data/userdict.txt;
    交通运输、仓储和邮政业: the name_zh row of qa/data/query_words.tsv) or of a title (《关于2024年决算和2025年预算执行
    情况的报告》中的收入合计). A bracketed aside or a title is read on its own and its clause goes on after it (A和B（含
    再融资）合计). No items are joined by a join inside a table's name (限额及余额明细表中), before 相比 (与上年相比),
    after a total word of its own clause (收入合计和支出合计), nor when the total's own clause says 分别 or 各 after
    its items (A和B合计分别是多少, A和B，合计各是多少: each item's own total); an each word elsewhere asks for something
    else (各区县A和B合计, A和B各有多少，合计多少)."""
    totals = [p.regex for p in lex.operations if p.label == "total"]
    # a name joined by 、 is one word (◇, no join); 交通运输 、仓储 is that name too
    cut = cut_words(lex.operand_names.sub("◇", _SPACED_COMMA.sub("、", text)))
    joined = before = labelled = False  # a join in this clause; in the clause before it; a total word before a join
    start = True
    last_join = clause_start = 0  # where the last join word and this clause are
    outer: list[tuple[bool, bool, bool, bool]] = []  # the clauses a bracket interrupts
    for i, w in enumerate(cut):
        if w in ("(", "《"):  # an aside, or a title: one name (the text is NFKC: （） are ASCII)
            outer.append((joined, before, labelled, start))
            joined = before = labelled = False
            start = True
            continue
        if w in (")", "》"):
            if outer:
                joined, before, labelled, start = outer.pop()
            continue
        if w in _CLAUSE_END:
            joined, before, labelled, start = False, joined, False, True
            clause_start = i + 1
            continue
        if any(t.search(w) for t in totals):  # a word holding a total word: 合计, 总计有
            if joined and not labelled:
                return not _each_in_clause(lex, cut, last_join + 1, i)
            if start and before:
                return not _each_in_clause(lex, cut, clause_start, i)
            labelled = labelled or not joined
        elif lex.operand_unjoins.fullmatch(w):
            joined = False
        elif lex.operand_joins.fullmatch(w):
            joined, last_join = True, i
        start = False
    return False


_SPACED_COMMA = lazy(r"\s*、\s*")
_TOTALS = ("total", "total_en")  # the total words of each language: a sum only of items joined


def _joins_items_en(lex: Lexicon, text: str) -> bool:
    """Whether an English total word (combined, in total) asks for a sum: the question joins items anywhere (and,
    plus, both, the two…; join_en), not inside a glossary phrase (social security and employment, revenue and
    expenditure: one term, as 收支 is one word), and no each word (respectively, each) asks for each item's own."""
    t = " ".join(gloss_form(text).split())
    for key, _ in lex.gloss(text):
        if " " in key:
            t = re.sub(rf"(?<![a-z0-9]){re.escape(key)}", " ", t)
    return bool(lex.operand_joins_en.search(t)) and not lex.operand_each_en.search(t)


def _each_in_clause(lex: Lexicon, cut: list[str], start: int, total: int) -> bool:
    """Whether an each word stands in ``cut`` from ``start`` to the end of its clause: 分别 anywhere there, 各 after
    the total word at ``total`` (合计各是多少; 市本级和各区县债务合计 sums)."""
    for i, w in enumerate(cut[start:], start):
        if w in _CLAUSE_END:
            return False
        if lex.operand_each.fullmatch(w) or (i > total and lex.operand_each_after.fullmatch(w)):
            return True
    return False


def _strip_cues(lex: Lexicon, text: str) -> str:
    """The question without its cue words; the words in a cue's gap (占…比例) are the question's and stay."""
    return lex.cues.sub(lambda m: " " + " ".join(g for g in m.groups() if g) + " ", normalize(text))


def analyze(question: str, lexicon: Lexicon | None = None, names: NameMap | None = None) -> Query:
    lex = lexicon or Lexicon.default()
    text = unicodedata.normalize("NFKC", question).strip()
    lang = language_of(text)
    found = lex.find(lex.operations, text)
    compares = "comparison" in lex.find(lex.intents, text)
    # a total is a sum of the items joined before it; never the whole of a share or ratio, nor what a comparison
    # compares (税收和非税收入合计的比重, 高新区和起步区的收入合计哪个更多)
    summed = (not {"share", "ratio"} & set(found) and not compares
              and (("total" in found and _total_of_items(lex, text))
                   or ("total_en" in found and _joins_items_en(lex, text))))
    ops = ["sum" if op in _TOTALS else op for op in found if op not in _TOTALS or summed]
    ops = list(dict.fromkeys(ops))
    if "rank" in ops and lex.rank_not.search(text):  # 哪个区增速最高，增速是多少: the figure is asked
        ops.remove("rank")
    operation = Operation(ops[0]) if ops else None
    if operation is None and compares:
        operation = Operation.COMPARE
    intent = _intent(lex, text, operation)
    if operation is Operation.RANK and intent is not Intent.ENTITY:  # 哪一年增速最高 asks a date, 哪一类增长最快的原因 a
        operation, intent = None, _intent(lex, text, None)  # reason, 是否超过30% a verdict: no listed item answers them
    years = tuple(dict.fromkeys(int(y) for y in _YEAR.findall(text)))
    periods = tuple(lex.find(lex.periods, text))
    scopes = tuple(lex.find_scopes(text))
    roles = lex.find(lex.roles, text)
    if set(roles) & RATE_ROLES:  # a rate asked for outranks the values it is computed from
        roles = [r for r in roles if r in RATE_ROLES]
    elif "prior" in roles:  # 上年决算数: the prior year's figure, whatever stage names it
        roles = [r for r in roles if r not in ("done", "plan", *COUNT_ROLES)]
    if operation is not None:  # 新增专项债券中，市级比区县级多多少: 新增 names the items combined, not the figure
        roles = [r for r in roles if r not in COUNT_ROLES]
    counters = tuple(dict.fromkeys(_counted_units(text)))
    units = tuple(dict.fromkeys([*lex.find(lex.units, text), *counters]))
    if COUNT in units:  # an English "how many": what its next words name (people, kilometres, billion yuan), or a
        # count; a unit after a number qualifies what is counted (how many villages have over 100 households)
        named = [u for u in lex.find(lex.units, _how_many_words(text)) if u not in lex.any_classes]
        units = tuple(named) or (COUNT,)
    if AREA in units and len(units) > 1:  # another unit named: 面积增长了多少 asks for a rate, 面积是多少亩 for 亩
        units = tuple(u for u in units if u != AREA)
    forms = tuple(lex.find(lex.forms, text))
    counts = lex.find(lex.counts, text)
    quotes = tuple(dict.fromkeys(m.group(1) for m in _QUOTED.finditer(text)))
    entities = list(quotes)
    english_terms: tuple[str, ...] = ()
    senses: list[tuple[str, ...]] = []
    subunits: tuple[str, ...] = ()
    if lang == "en":
        glossed = lex.gloss(text)
        zh_terms = [t for _, terms in glossed for t in terms]
        people = names.find(text) if names else ()
        subunits = tuple(lex.english_counties(text))  # Shapotou District: 沙坡头区, a term and a subunit as in Chinese
        entities += [*people, *subunits]
        zh_terms += [*people, *subunits]
        zh_terms += [t for t in tokenize(text) if re.search(r"\d", t)]
        zh_terms += [w for run in _HAN_RUN.findall(text) if len(run) > 1 for w in (run, *_words(run))]
        glossed_words = {w for k, _ in glossed for w in k.split()}
        stop = lex.english_stop
        en_text = normalize(text).replace("\u2019", "'")  # Fuzhou’s as Fuzhou's: no lone "s"
        english_terms = tuple(dict.fromkeys(
            w.removesuffix("'s") for w in _ASCII_WORD.findall(en_text)
            if w.removesuffix("'s") not in stop and w not in glossed_words))
        words = [w.removesuffix("'s") for w in _ASCII_WORD.findall(re.sub(r"[-_]", " ", en_text))]
        own = set(zh_terms)
        for _, found in lookup(words, stop=stop.__contains__, index=lex.dictionary, particle=lex.particles.__contains__,
                               taken=[k for k, w in enumerate(words) if w in glossed_words]):
            zh_terms += found  # words the glossary lacks, from the dictionary (securities: 有价证券)
            alone = tuple(w for w in found if w not in own)
            if len(alone) > 1:
                senses.append(alone)
            own.update(found)  # a word an earlier English word gave is that word's (grow, develop: 发展)
        terms = tuple(dict.fromkeys(zh_terms))
        search = " ".join([text, *terms])
    else:
        entities += [m.group(1) for m in _PLACE.finditer(re.sub(r"\d+年?", " ", text))
                     if not re.match(r"[全本各该年]", m.group(1))]
        subunits = tuple(dict.fromkeys(lex.counties_in(_QUOTED.sub(" ", text))))  # a quoted name is a title
        # 合计 of one item: the label of its row or column (a whole word a table prints, role total: not 一共, nor
        # the 合计 inside 综合计划)
        labels = [p.regex for p in lex.roles if p.label == "total"]
        printed = [w for w in cut_words(text) if any(r.fullmatch(w) for r in labels)] if "total" in found and not summed else []
        # a Latin word of a Chinese question (GDP, CPI, PM2.5) brings the glossary's Chinese terms, which the
        # bulletins print (地区生产总值): without them the question's words never reach the figure's clause. The word
        # stays a term too (dropping it, as an English question's glossed words are, was tried: fit split 412 shown,
        # 399 right with it, 412 / 398 without)
        latin = " ".join(_LATIN_WORD.findall(text))
        glossed = [t for _, found in lex.gloss(latin) for t in found] if latin else []
        terms = tuple(dict.fromkeys([*_words(_strip_cues(lex, text)), *printed, *glossed]))
        search = text
    key = squash(text if lang == "zh" else " ".join(terms))  # where the question says its forms
    variants = lex.variants_in(key) if lang == "en" else tuple(
        pair for pair in lex.variants_in(key) if any(_said_whole(key, form) for form in pair))
    said = [form for pair in variants for form in pair if form in key]
    terms += tuple(f for f in dict.fromkeys(said) if not any(f in squash(t) for t in terms))  # 财经委, though cut
    places: list[str] = []
    if names is not None:
        places = names.places_in(text)
        if lang == "en":
            places += [core for full in names.find(text) for core in place_cores(full) if core in names.places]
    # the places named that the corpus is not about, nor one that holds one of its places (Hunan: 岳阳's province)
    other_places = [p for p in lex.places_named(text, english=lang == "en")
                    if p not in places and not any(lex.holds(p, c) for c in places)]
    if lang == "en" and places:  # Fuzhou is 福州 where the corpus is about 福州, not also 抚州
        homophones = {c for cores in lex.places[0].values() if set(cores) & set(places) for c in cores}
        other_places = [p for p in other_places if p not in homophones]
    if lang == "en":  # Xi'an is 西安: a passage about another place does not say it, as for a Chinese question
        terms += tuple(p for p in other_places if not any(p in squash(x) for x in terms))
    heads = asked_heads(lex, text) if intent in (Intent.ENTITY, Intent.LIST) else ()
    return Query(question=text, language=lang, intent=intent, operation=operation, terms=terms,
                 english_terms=english_terms, years=years, periods=periods, scopes=scopes, units=units, forms=forms,
                 counters=counters,
                 entities=tuple(dict.fromkeys(entities)), search_text=search, places=tuple(dict.fromkeys(places)),
                 items=int(counts[0]) if counts and intent is Intent.LIST else None,
                 table=bool(lex.table_cue.search(normalize(text))), quotes=quotes, roles=tuple(roles),
                 variants=variants,
                 heads=heads,
                 head_words=() if intent is not Intent.ENTITY or heads else asked_head_words(lex, text)
                 if lang == "zh" else asked_head_words_en(lex, text),
                 change=(change := asked_change(lex, text)), dense_text=text, senses=tuple(senses),
                 base=asked_base(lex, text) if change == "by" and lang == "zh" else "", subunits=subunits,
                 other_places=tuple(other_places),
                 reports=tuple(lex.find(lex.report_kinds, text)) if lex.report_asked.search(normalize(text)) else None)
