"""Derived answers: a comparison, difference, sum, ratio or share computed from two cited figures.

The question is split into its two operands ("一般债务和专项债务哪个多" → 一般债务 | 专项债务; "2025年比2024年
增加多少" → the same item in two years). Each operand is answered like a figure question of its own over the
same passages, by the same fitted model; the derived answer is computed from the two verbatim spans, with
their units reconciled (元/万元/亿元; %; 个百分点). Units that cannot be reconciled mean no derived answer.
Its probability is the fitted calibration of the two operands' probabilities (``Answerer.derived_probability``).
A share of a whole (占…比重) of 100 % or more is no derived answer: a part is less than its whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from qa.answer.features import FEATURES, change_amount_clause, squash, start_after, wrapped_clause_bounds
from qa.answer.values import FIGURE_KINDS, value_of
from qa.han import HAN
from qa.lazy_regex import lazy
from qa.query import Intent, Lexicon, Operation, Query, analyze
from qa.query.lexicon import normalize
from qa.terms import word_counts
from qa.types import Answer, Operand, Passage

if TYPE_CHECKING:
    from qa.answer import Answerer, Candidate

_WHICH = lazy(r"[，,]?\s*哪(?:个|一个|项|一项|块|一块|类|一类)?(?=[\u4e00-\u9fff])")
_YEAR_LEAD = lazy(r"(?:截至)?((?:19|20)\d{2})年[末底初]?")
# a share of a whole (占…比重, what share, what proportion): less than the whole. "What percentage of the budget"
# may ask for a completion rate, which can pass 100 %
_PART_OF_WHOLE = lazy(r"占|比重|(?<![a-z])(?:share|proportion)(?![a-z])")
POINTS = ("个百分点", " percentage points")


def operand_questions(query: Query) -> tuple[str, str] | None:
    """The two operand questions of a derived question, or None when it has no two operands."""
    text = query.question
    years = sorted(set(query.years))
    two_years = len(years) == 2 and query.operation in (Operation.DIFFERENCE, Operation.CHANGE, Operation.COMPARE)
    if query.language == "zh" and (than := _than_split(text)):
        if two_years and not (str(years[1]) in than[0] and str(years[0]) in than[1]):
            than = than[::-1] if str(years[1]) in than[1] and str(years[0]) in than[0] else None
        if than:
            return than  # a change is later − earlier: with two years the later comes first
    if two_years:
        later = re.sub(rf"{years[0]}\s*年?", "", text)  # the question about the later year
        earlier = re.sub(rf"{years[1]}\s*年?", "", text)
        return later, earlier
    lex = Lexicon.default()
    lang = "en" if query.language == "en" else "zh"
    if lang == "en" and (after := _colon_parts(lex, text)):  # "In X, which was larger: A or B?"
        setting, a, b = after
        sides = tuple(" ".join(w for w in (setting, p) if w) for p in (a, b))
        return tuple(" ".join([*(str(y) for y in years if str(y) not in side), side])
                     for side in sides)  # type: ignore[return-value]
    predicate = ""
    if lang == "zh":  # 进口和出口哪个增长更快: 增长 is both operands'
        text, predicate = _which_split(text)
    if query.operation is Operation.SHARE and (within := (_share_within if lang == "zh" else _share_of_en)(text)):
        parts = list(within)
    else:
        parts = _split_operands(lex, lang, lex.operand_cues[lang].sub(" " if lang == "en" else "", text))
    if len(parts) != 2 or not all(len(p) >= 2 for p in parts):
        return None
    if lang == "zh":
        parts = [_unhedged(lex, p) for p in parts]
        if not all(len(p) >= 2 for p in parts):
            return None
        parts[0] = _shared_tail(parts[0], parts[1])
        parts = [p + predicate for p in parts]
    shared = " ".join(str(y) for y in years) + " " if query.language == "en" and years else \
        "".join(f"{y}年" for y in years)
    return tuple(p if any(str(y) in p for y in years) else f"{shared}{p}" for p in parts)  # type: ignore[return-value]


def _unhedged(lex: Lexicon, part: str) -> str:
    """An operand without the words hedging the figure asked for at its end (地区生产总值【大约】, 地方收入【约】占…),
    unless the hedge ends a common word of the dictionary (签约, 节约); an operand that is a hedge alone is none."""
    while (m := _hedge_end(lex.operand_hedge.pattern).search(part)) and (
            m.start() == 0 or word_counts([part[m.start() - 1:m.end()]])[0] < _COMMON_WORD):
        part = part[:m.start()]
    return part


# how often a word must stand in the dictionary to count as one when a hedge may end it: the words that end with 约
# (签约 440, 集约 43, 履约 35) stand far more often than the dictionary's fragments of text (费约, 金约, 口约: 2-7)
_COMMON_WORD = 20


@cache
def _hedge_end(hedge: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{hedge})$")


def _split_operands(lex: Lexicon, lang: str, core: str) -> list[str]:
    """The two sides of a derived question (its cue words gone), parted at its first split word. In English the
    first of or/than/and/versus/compared comes first, then exceed/surpass, then "of": a side may say "which exceeded
    the plan" or "at the end of the plan", and "of" also joins a noun to its own phrase."""
    found = list(lex.operand_splits[lang].finditer(core))
    if not found:
        return [core.strip()]
    if lang == "en":
        at = min(found, key=lambda m: _split_tier(m.group()))  # min: the first of a tier
    else:  # the first join whose two sides end alike, else the first split word
        at = next((m for m in found if m.group() in _JOINS and _parallel(core[:m.start()], core[m.end():])), found[0])
    return [core[:at.start()].strip(), core[at.end():].strip()]


_JOINS = frozenset("和与及同跟")  # the split words that join two things of one kind (not 比, 占, 是, 距离: a share's
# item and whole may end alike, 第二产业增加值 | 地区生产总值)


_LAST_HAN = lazy(rf"([{HAN}])[^{HAN}]*$")


def _parallel(first: str, second: str) -> bool:
    """Whether two sides of a Chinese question joined by 和/与/及/同/跟 end alike, as two things of one kind do
    (交通运输、仓储和邮政业 | 金融业; 医疗卫生与计划生育支出 | 农林水支出): a join inside a name is no place to
    part them."""
    a, b = _LAST_HAN.search(first), _LAST_HAN.search(second)
    return bool(a and b) and a.group(1) == b.group(1)


def _split_tier(word: str) -> int:
    w = word.lower()
    return 2 if w == "of" else 1 if w.startswith(("exceed", "surpass")) else 0


_SHARE_WITHIN = lazy(
    r"^(?P<whole>.+?)(?:当中|之中|中|里)[，,、\s]*(?P<part>[^，,。？?]+?)(?:约|大约)?所?占(?:比|了)?"
    r"(?:多大|多少|几成|百分之几)?的?(?:比重|比例|份额|百分比)?(?:是|为|有|达到)?(?:多少|多大|几成)?[？?。\s]*$")


def _share_within(text: str) -> tuple[str, str] | None:
    """(the part, the whole) of a share asked of a whole first and its part after: 「一般公共预算收入中，税收收入占
    多大比重」 → (一般公共预算收入税收收入, 一般公共预算收入). Nothing follows 占 there, so splitting at 占 would leave
    no whole. The part keeps the whole's words: they say where to find it."""
    m = _SHARE_WITHIN.match(normalize(text).strip())
    if m is None or len(m.group("part")) < 2 or len(m.group("whole")) < 2:
        return None
    whole = re.sub(r"^(?:在|按)", "", m.group("whole")).strip("，, ")
    return f"{whole}{m.group('part')}", whole


_SHARE_OF_EN = lazy(
    r"^(?:.*?,\s*)?what (?:share|percentage|proportion|part|fraction) of (?P<whole>.+?) "
    r"(?:came from|went to|was spent on|was made up of|did|had|has|have|was|were|is|are) (?P<part>.+?)"
    r"(?: (?:account for|make up|represent|reach|reached|come from|go to))?\s*\??$", re.IGNORECASE)


def _share_of_en(text: str) -> tuple[str, str] | None:
    """(the part, the whole) of "what share of WHOLE came from / went to / did … PART (account for)": the whole
    is named first here ("In 2025, what share of Jinan's revenue came from taxes?"). The part keeps the whole's
    words: they say where to find it."""
    m = _SHARE_OF_EN.match(text.strip())  # as written: a place keeps its capital (Jinan)
    if m is None or len(m.group("part")) < 3 or len(m.group("whole")) < 3:
        return None
    return f"{m.group('part')} in {m.group('whole')}", m.group("whole")


def _colon_parts(lex: Lexicon, text: str) -> tuple[str, str, str] | None:
    """An English comparison that names its two sides after a colon ("In Fuxin's 2025 budget revenue, which was
    larger: tax revenue or non-tax revenue?"): (its setting — the words before "which", one leading preposition
    dropped; side one; side two). The sides part at "or" (a side's name may say "and" or "of")."""
    head, colon, tail = text.rpartition(":")
    which = re.search(r"\bwhich\b", head, re.IGNORECASE)
    if not colon or which is None:
        return None
    sides = [" ".join(lex.operand_cues["en"].sub(" ", p).split()) for p in re.split(r"\bor\b", tail, maxsplit=1)]
    if len(sides) != 2 or not all(len(p) >= 2 for p in sides):
        return None
    setting = re.sub(r"^(?:in|for|among|within|of)\s+", "", head[:which.start()].strip(" ,"), flags=re.IGNORECASE)
    return setting, sides[0], sides[1]


_YEAR_WORD = lazy(r"(?:19|20)\d{2}\s*年[末底初]?")
_QUALIFIER_FAMILIES = ("stage", "region")  # the scope kinds a side after 比 may name instead of an item


def _than_split(text: str) -> tuple[str, str] | None:
    """A 比 question's two sides: 「石嘴山2026年全市一般公共预算收入预计比2025年实际完成数多多少」 →
    石嘴山2026年全市一般公共预算收入预计 | 2025年石嘴山全市一般公共预算收入实际完成数.

    Only when the side after 比 says what differs and no item of its own: a year, a stage, a level, a period or
    a plan-or-outcome word, and at most two characters besides them (实际增速, 区县级, 年初支出预算). It then
    takes the first side's item without the first side's words of those kinds (its year, stage, level, period)
    and without its plan-or-outcome words (预计, 目标): those are what a 比 compares. None otherwise
    (进口比出口, 税收收入比非税收入, 立案人数比留置人数 are split as any two operands)."""
    lex = Lexicon.default()
    m = lex.operand_than.search(text)
    if not m:
        return None
    first = text[:m.start()].strip(" ，,")
    tail = lex.operand_than_tail.search(text, m.end())
    second = text[m.end():tail.start() if tail else len(text)].strip(" ，,")
    if len(first) < 2 or len(second) < 2:
        return None
    own_year = _YEAR_WORD.search(second)
    named = _families(lex, second)
    families = named & set(_QUALIFIER_FAMILIES)
    period = bool(lex.find(lex.periods, second))
    qualified = bool(own_year or families or period or lex.operand_plan_words.search(second))
    shared = named & _families(lex, first)  # 支出 on both sides is no own item
    if not qualified or len(_without(lex, second, (*_QUALIFIER_FAMILIES, *shared), True)) > 2:
        return None
    item = lex.operand_plan_words.sub("", first)
    if own_year:
        item = _YEAR_WORD.sub("", item)
    item = _EMPTY_BRACKETS.sub("", _without(lex, item, ("stage", *families), period, keep=True))
    rest = _YEAR_WORD.sub("", second).strip() if own_year else second
    if not own_year and squash(rest) in squash(item):  # the second side adds nothing to the first's words
        return None
    return first, f"{own_year.group() if own_year else ''}{item}{rest}"


_EMPTY_BRACKETS = lazy(r"[(（]\s*[)）]")


def _families(lex: Lexicon, text: str) -> set[str]:
    """The kinds of scope ``text`` names (stage, region, measure…)."""
    return {label.split(":")[0] for label in lex.find_scopes(text)}


def _without(lex: Lexicon, text: str, families: Sequence[str], periods: bool, keep: bool = False) -> str:
    """``text`` without its scope words of ``families`` and (with ``periods``) its period words, the longest
    first (调整预算数 before 预算数); without its years and plan-or-outcome words too, and squashed, unless
    ``keep``."""
    words = _words(tuple(sorted(families)), periods)
    if keep:
        return words.sub("", text)
    out = words.sub("", _YEAR_WORD.sub("", normalize(text)))
    return re.sub(r"[\s的,，()（）]", "", lex.operand_plan_words.sub("", out))


@cache
def _words(families: tuple[str, ...], periods: bool) -> re.Pattern[str]:
    from qa.query.lexicon import _alternatives

    lex = Lexicon.default()
    patterns = [p for p in lex.scopes if p.label.split(":")[0] in families] + (list(lex.periods) if periods else [])
    alternatives = {a for p in patterns for a in _alternatives(p.regex.pattern) if a and not a.isascii()}
    return re.compile("|".join(sorted(alternatives, key=lambda a: (-len(a), a))) or r"(?!)")


_FALL_BEFORE = lazy(r"(?:下降|减少|回落|下滑|降低|收窄|负增长)\s*$")


def _signed(value: tuple[float, str, float], text: str, start: int) -> tuple[float, str, float]:
    """A rate said as a fall (下降3.5%) is negative."""
    return (-abs(value[0]), *value[1:]) if _FALL_BEFORE.search(text, max(0, start - 6), start) else value


def _which_split(text: str) -> tuple[str, str]:
    """A comparison question cut at its 哪个 (哪一项, 哪一块…): the operands before it, and what is asked of both
    after it without the comparative (进口和出口哪个增长更快 → 进口和出口, 增长)."""
    which = _WHICH.search(text)
    if not which:
        return text, ""
    rest = Lexicon.default().operand_cues["zh"].sub("", text[which.end():])
    return text[:which.start()], _COMPARATIVE_TAIL.sub("", rest).strip()


def _names(first: str, second: str, predicate: str = "") -> list[str]:
    """How a comparison names its two operands: without the year both start with (2025年末) and, for the first,
    without the setting before its 中 that the second does not repeat (2025年阜新全市“三保”支出中保基本民生 →
    保基本民生), as 「专项债务更多」 reads; the operands as asked when that leaves no two distinct names."""
    names = []
    leads = [_YEAR_LEAD.match(first), _YEAR_LEAD.match(second)]
    shared = all(leads) and leads[0].group(1) == leads[1].group(1)
    for k, text in enumerate((first, second)):
        name = text.strip()
        if predicate and name.endswith(predicate) and len(name) - len(predicate) >= 2:
            name = name[:-len(predicate)]
        if shared and len(name) - leads[k].end() >= 2:
            name = name[leads[k].end():]
        setting = _SETTING.search(name) if k == 0 and "中" not in second else None
        if setting and len(name) - setting.end() >= 2:
            name = name[setting.end():]
        names.append(name)
    if names[0] == names[1] or any(len(n) < 2 for n in names):
        return [first.strip(), second.strip()]
    return names


_COMPARATIVE_TAIL = lazy(r"[得地]?(?:[更较]?[多少大小高低快慢])?[？?。！!\s]*$")
_SETTING = lazy(r"^.*[\u4e00-\u9fff”]{2}中(?![的等])")


def _own_words(first: str, second: str) -> tuple[str, str]:
    """The last word (two characters or more) each operand says and the other does not: 2025年江西城镇居民人均
    可支配收入 | 2025年农村居民人均可支配收入 → 城镇居民 | 农村居民; 货物进口总额 | 货物出口总额 → 进口 | 出口;
    "" where there is none."""
    from qa.terms import tokenize

    words = [[w for w in tokenize(t) if len(w) >= 2 and not w.isdigit()] for t in (first, second)]
    own = [[w for w in mine if w not in other and w not in theirs]
           for mine, other, theirs in ((words[0], second, words[1]), (words[1], first, words[0]))]
    return (own[0][-1] if own[0] else ""), (own[1][-1] if own[1] else "")


def _own_glosses(first: str, second: str) -> tuple[str, str]:
    """An English comparison's own words: the first Chinese term each side's glossary phrases give that the other
    side's do not ("… tax revenue" | "… non-tax revenue" → 税收收入 | 非税收入)."""
    lex = Lexicon.default()
    terms = [[t for _, ts in lex.gloss(side) for t in ts] for side in (first, second)]
    own = [next((t for t in mine if t not in theirs), "") for mine, theirs in ((terms[0], terms[1]), (terms[1], terms[0]))]
    return own[0], own[1]


_NAME_REACH = 40  # how far before its figure an operand's term is looked for


def _printed_name(term: str, side: str, text: str, at: int) -> str:
    """An English comparison's operand as its document names it: its own term (``_own_glosses``) with the other
    Chinese terms of its side's glossary phrases that the text prints right after it, before the figure at ``at``
    ("social security and employment spending": 社会保障和就业 + 支出 → 「社会保障和就业支出94.1亿元」's 社会保障和就业支出;
    "tax revenue": 税收收入, not 「税收收入完成」), read with the text's spaces closed up (a PDF's 「就  业  支  出」).
    ``term`` itself where the text does not print it there."""
    before = "".join(text[max(0, at - _NAME_REACH):at].split())
    i = before.rfind(term)
    if i < 0:
        return term
    glosses = sorted({t for _, ts in Lexicon.default().gloss(side) for t in ts if t != term}, key=len, reverse=True)
    end = i + len(term)
    while nxt := next((t for t in glosses if before.startswith(t, end)), None):
        end += len(nxt)
    return before[i:end]


def _shared_tail(first: str, second: str) -> str:
    """The first operand with what the second says after their common head word: 城镇居民 | 农村居民人均可支配收入
    → 城镇居民人均可支配收入; 集成电路出口 | 锂电池出口增长 → 集成电路出口增长 (the two share 居民, 出口)."""
    head = first[-2:]
    if len(first) < 3 or not re.fullmatch(r"[\u4e00-\u9fff]{2}", head):
        return first
    k = second.find(head, 1)
    return first + second[k + 2:] if k > 0 and k + 2 < len(second) else first


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


def figure_readings(answerer: Answerer, question: str, passages: Sequence[Passage], texts: Mapping[str, str],
             language: str, places: tuple[str, ...], units: tuple[str, ...] = (), own: str = ""
             ) -> tuple[Query, list[Candidate]]:
    """An operand's sub-question and its figure readings, best first."""
    from qa.answer import candidates_for

    sub = replace(analyze(question), intent=Intent.FIGURE, operation=None, language=language, places=places)
    if units:
        sub = replace(sub, units=units)
    if own:  # what tells this operand from the other (城镇 | 农村) is asked for like a quoted name
        sub = replace(sub, quotes=(*sub.quotes, own))
    ranked = answerer.score(candidates_for(sub, passages, texts, answerer.idf, answerer.places))
    lex = Lexicon.default()
    wanted = lex.wanted_classes(units)
    years = set(sub.years)
    ranked = [c for c in ranked if c.kind in FIGURE_KINDS and value_of(c.display, c.unit)
              and _fits(c) and (not units or lex.unit_class(c.unit) in wanted)
              and not (years and (y := _inherited_year(texts.get(c.source, ""), c.start)) is not None
                       and y not in years)]
    if own:  # an operand's figure is said of it: first one that a 分别 clause gives to the operand's item
        # (城镇、农村居民…分别增长4.3%、5.7%: 4.3% is 城镇's), then a figure of prose (a table's cells share
        # their row's label) whose label says the operand's own word (其中：基本民生
        # 47.36亿元), then one whose sentence says it
        rest = _rest_grams(question, own)

        def said_of(c: Candidate) -> int:
            text = texts.get(c.source, "")
            if c.features[_RESP_MATCH] and any(g in _clause_at(text, c.start) for g in rest):
                return 0  # …about what the operand asks (城镇、农村新增就业分别…: not their income)
            if c.kind == "number" and own in _label_at(text, c.start, own):
                return 1
            return 2 if own in squash(_sentence_at(text, c.start)) else 3

        ranked.sort(key=said_of)  # stable
    return sub, ranked


_GOES_ON = lazy(r"^\s*其中")  # a sentence that goes on from the one before it: its parts


def _inherited_year(text: str, start: int) -> int | None:
    """The year a figure's sentence takes from the sentence before it when it goes on from that one and says none
    itself before the figure: 「截至 2024 年末，本区实际政府债务余额 354.78 亿元……。其中：一般债务余额 97.28 亿元」 →
    2024 (the operand check reads only a figure's own sentence). None otherwise."""
    a = _sentence_start(text, start)
    if not _GOES_ON.match(text[a:start]) or _YEAR_WORD.search(text[a:start]):
        return None
    said = _YEAR_WORD.findall(text[_sentence_start(text, max(0, a - 1)):a])
    return int(said[-1][:4]) if said else None


def _said_years(text: str, start: int) -> set[int]:
    """The years a prose figure's sentence says before it, else the one it takes from the sentence before."""
    said = {int(y[:4]) for y in _YEAR_WORD.findall(text[_sentence_start(text, start):start])}
    inherited = _inherited_year(text, start) if not said else None
    return said or ({inherited} if inherited is not None else set())


def _other_years(a: Candidate, b: Candidate, texts: Mapping[str, str]) -> bool:
    """Whether the two operands are figures of different years: each a figure of prose whose sentence says its
    years before it, and no year said by both. A table's cells take their years from its headers: never."""
    if a.kind != "number" or b.kind != "number":
        return False
    ya, yb = (_said_years(texts.get(c.source, ""), c.start) for c in (a, b))
    return bool(ya) and bool(yb) and not ya & yb


_RESP_MATCH = FEATURES.index("resp_match")
_GRAM = 4  # an operand's other words are found in a clause by any four characters in a row of them


def _rest_grams(question: str, own: str) -> set[str]:
    """The four-character runs of an operand question without its own word, years and digits."""
    rest = re.sub(r"\d+年?", "|", squash(question).replace(squash(own), "|") if own else squash(question))
    return {part[i:i + _GRAM] for part in rest.split("|") for i in range(len(part) - _GRAM + 1)}


def _clause_at(text: str, start: int) -> str:
    """Squashed, across line breaks."""
    a = max(text.rfind(ch, max(0, start - 200), start) for ch in "。；！？，,：:") + 1
    ends = [e for e in (text.find(ch, start, start + 200) for ch in "。；！？，,") if e >= 0]
    return squash(text[max(a, start - 200):min(ends) if ends else start + 200])


SAME_STATEMENT_CHARS = 20  # a figure printed after the same this many characters (squashed) is the same statement …
SAME_STATEMENT_MIN = 8  # … or after as many as both have, if that is at least this many


def _same(x: Candidate, y: Candidate, texts: Mapping[str, str]) -> bool:
    """The same figure: the same place, or the same statement printed twice (a report and its PDF print 「预计全市
    一般公共预算收入30.19亿元」 alike; a summary may repeat a sentence). An equal value printed after other words
    may be a true tie (增长5.0% in both years)."""
    if (x.source, x.start) == (y.source, y.start):
        return True
    if squash(x.text) != squash(y.text):
        return False
    bx, by = (squash(texts.get(c.source, "")[max(0, c.start - 3 * SAME_STATEMENT_CHARS):c.start]) for c in (x, y))
    width = min(SAME_STATEMENT_CHARS, len(bx), len(by))  # squashed: a line wrapped or spaced otherwise is alike
    return width >= SAME_STATEMENT_MIN and bx[-width:] == by[-width:]


def operand_reading(answerer: Answerer, sub: Query, ranked: list[Candidate], k: int) -> Candidate:
    """The ``k``-th reading as the operand, with the confidence it has as the best one (a lower reading's
    margin over the others is negative, so its confidence is low)."""
    order = [ranked[k], *ranked[:k], *ranked[k + 1:]]
    return replace(ranked[k], probability=answerer.confidence_of(sub, order))


def _pair(answerer: Answerer, first: tuple[Query, list[Candidate]], second: tuple[Query, list[Candidate]],
          texts: Mapping[str, str]) -> tuple[Candidate, Candidate] | None:
    """The two operands: each one's best reading, unless both are the same figure (one place, or one statement
    printed twice); then the better-scored of the two pairs that keep one operand's best and take the other's
    next distinct reading."""
    (sa, ra), (sb, rb) = first, second
    if not ra or not rb:
        return None
    if not _same(ra[0], rb[0], texts):
        return operand_reading(answerer, sa, ra, 0), operand_reading(answerer, sb, rb, 0)
    options = []
    if (kb := next((k for k, c in enumerate(rb) if not _same(c, ra[0], texts)), None)) is not None:
        options.append((ra[0].score + rb[kb].score, 0, kb))
    if (ka := next((k for k, c in enumerate(ra) if not _same(c, rb[0], texts)), None)) is not None:
        options.append((ra[ka].score + rb[0].score, ka, 0))
    if not options:
        return None
    _, ka, kb = max(options)
    return operand_reading(answerer, sa, ra, ka), operand_reading(answerer, sb, rb, kb)


LABEL_CHARS = 8  # a figure's own label: within its clause, the word asked for and at most this many more characters


def _label_at(text: str, start: int, word: str) -> str:
    """The words before a figure since the clause's start, an 、 or the figure before it; squashed: spaced-out and
    wrapped PDF text (区  县\n级  使  用) says its words as any other."""
    window = text[max(0, start - 200):start]
    cut = max(max(window.rfind(ch) for ch in "。；！？，,：:、"), max((m.end() for m in re.finditer(r"\d", window)),
                                                              default=-1) - 1)
    return squash(window[cut + 1:])[-(len(word) + LABEL_CHARS):]


_SENTENCE_ENDS = "。；！？\n"


def _sentence_start(text: str, start: int) -> int:
    return start_after(text, start, _SENTENCE_ENDS)


def _sentence_at(text: str, start: int) -> str:
    a = _sentence_start(text, start)
    ends = [e for e in (text.find(ch, start) for ch in _SENTENCE_ENDS) if e >= 0]
    return text[a:min(ends) if ends else len(text)]


def derive(answerer: Answerer, query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
           pages: Mapping[str, tuple[int, ...]]) -> Answer | None:
    """The derived answer, with its calibrated probability (``Answerer.derived_probability``), or None."""
    found = derive_with_operands(answerer, query, passages, texts, pages)
    if found is None:
        return None
    answer, p_first, p_second = found
    return replace(answer, probability=round(answerer.derived_probability(p_first, p_second), 4))


def derive_with_operands(answerer: Answerer, query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
                         pages: Mapping[str, tuple[int, ...]]) -> tuple[Answer, float, float] | None:
    """The derived answer (its probability the smaller of its operands') and its two operands' confidences,
    which the derived answers' calibration is fitted on (``bqa eval --fit``)."""
    from qa.answer import page_of

    if query.operation is Operation.RANK:
        from qa.answer.rank import rank_with_operands

        return rank_with_operands(answerer, query, passages, texts, pages)
    ops = operand_questions(query)
    if ops is None:
        return None
    # which grew faster, or which one's growth rate or share is higher (a rate named between 哪个 and the
    # comparative), compares rates: each operand is a percentage
    asked_rate = Lexicon.default().operand_rate_asked.search(normalize(query.question))
    rates = ("%",) if query.operation is Operation.COMPARE and asked_rate else ()
    own = ("", "")
    if len(set(query.years)) < 2:
        own = _own_words(*ops) if query.language == "zh" else _own_glosses(*ops)
    if own[0] == own[1]:
        own = ("", "")
    pair = _pair(answerer, *(figure_readings(answerer, q, passages, texts, query.language, query.places, rates, w)
                             for q, w in zip(ops, own, strict=True)), texts)
    if pair is None:
        return None
    a, b = pair
    if len(set(query.years)) < 2 and _other_years(a, b, texts):
        return None  # 「一般债务和专项债务哪个多」 is not answered by 2024's 一般债务 and 2025's 专项债务
    va, vb = value_of(a.display, a.unit), value_of(b.display, b.unit)
    if rates and va and vb:  # 下降3.5% is a rate of −3.5%
        va, vb = (_signed(v, texts.get(c.source, ""), c.start) for v, c in ((va, a), (vb, b)))
    if va is None or vb is None or va[1] != vb[1]:
        return None  # units that cannot be reconciled
    if query.operation is Operation.CHANGE and len(set(query.years)) < 2 and any(change_amount_clause(
            Lexicon.default().change_verbs, texts.get(c.source, ""), c.start, c.end) for c in (a, b)):
        # 「第一产业投资比上年增长了多少」 over 「第一产业投资增长54.0%」: the growth asked is printed; the other operand
        # (全部投资增长2.9%) is no earlier value of it, and 54.0% − 2.9% no answer (fit split: the four changes
        # computed from a growth, none right). Two years asked compare two growths (增速比2024年提高了多少).
        return None
    if query.operation is Operation.SHARE and va[1] == "%" and not _shares_of_one_whole(a, b, texts):
        # a share of a whole is one amount over another: two rates make none (「研发经费支出占营业收入比重达1.26%」
        # over 「增长4.5%」 gave 28.00%; fit split: the two shares computed from rates wrong, the twelve from amounts
        # right) — unless both are shares of one whole (现代服务业 and 第三产业, each 占GDP比重: a share of a share)
        return None
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
            colon = _colon_parts(Lexicon.default(), query.question) if query.language == "en" else None
            names = _names(*ops, _which_split(query.question)[1]) if query.language == "zh" \
                else list(colon[1:]) if colon else [o.strip() for o in ops]
            if query.language == "en" and all(own):  # the document's own term beside the question's words
                names = [f"{name} ({_printed_name(term, side, texts.get(c.source, ''), c.start)})"
                         for name, term, side, c in zip(names, own, ops, (a, b), strict=True)]
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
        out_unit = (POINTS[query.language == "en"]) if va[1] == "%" else unit  # two rates differ by points
        text, kind = f"{_fmt(value, decimals)}{out_unit}", "derived"
    elif op is Operation.SUM:
        value = (x + y) / scale
        text, kind, out_unit = f"{_fmt(value, decimals)}{unit}", "derived", unit
    elif op is Operation.SHARE:
        if y == 0:
            return None
        value = 100.0 * x / y
        if not 0 <= value < 100 and _PART_OF_WHOLE.search(normalize(query.question)):
            return None  # a part read as its whole or more: one of the operands is not what was asked
        text, kind, out_unit = f"{value:.2f}%", "derived", "%"  # as reports print shares (19.64%)
    elif op is Operation.RATIO:
        if y == 0:
            return None
        value = x / y
        text, kind, out_unit = f"{value:.2f}倍", "derived", "倍"
    else:
        return None
    first = a if a.passage_rank <= b.passage_rank else b
    answer = Answer(text=text, source=first.source, start=first.start, end=first.end,
                    passage_rank=first.passage_rank, kind=kind, probability=round(min(a.probability, b.probability), 4),
                    display=text, operands=operands, value=None if value is None else round(value, 6), unit=out_unit,
                    page=page_of(pages, first.source, first.start))
    return answer, a.probability, b.probability


_WHOLE = lazy(r"占(?!比)(.{2,20}?)(?:的)?(?:比重|比例|份额)?(?:为|达到?|约|超过|突破)?$")  # 占比 names no whole


def _shares_of_one_whole(a: Candidate, b: Candidate, texts: Mapping[str, str]) -> bool:
    """Whether two percentages are each the share of the same whole their own clauses name (「第三产业占GDP比重59.0%」,
    「现代服务业占GDP比重35.4%」): one over the other is then a share of a share."""
    wholes = []
    for c in (a, b):
        text = texts.get(c.source, "")
        ca, _ = wrapped_clause_bounds(text, c.start, c.end)
        m = _WHOLE.search(squash(text[ca:c.start]))
        wholes.append(m.group(1) if m else None)
    return wholes[0] is not None and wholes[0] == wholes[1]


def answer_key(answer: Answer) -> str:
    return squash(answer.text)
