"""Candidate answers: well-formed spans of a passage, each from a generator of the registry.

A generator reads a ``Segment`` (a passage's repaired text, or one table cell, with the source offset of
every character) and yields ``(start, end, kind, unit)`` spans of that text: a figure always with its unit
and qualifier, a date as a whole date, a name as a whole name, a list as its whole enumeration, a clause for
yes/no questions. A new kind of answer is one generator function and one ``GENERATORS`` entry (the kind it
yields: a question that takes no such kind does not run it; a kind whose spans remove another's, as a date removes
the numbers inside it, is run with it in ``generate``). Which span answers the question is decided by the fitted
model (``qa.answer.model``), never here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from qa import regex_cache
from qa.han import HAN, is_han
from qa.ingest.text import align, repair
from qa.lazy_regex import lazy
from qa.names import person_spans
from qa.query import Lexicon
from qa.terms import any_word, is_word, normalize, units, words
from qa.types import Chunk

_NUM = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CN_NUM = "一二两三四五六七八九十百千"
_PREFIX = r"(?:约|近|超过|超|逾|将近|不足|不到)"
_SUFFIX = r"(?:左右|以上|以下|余|多)"
# punctuation, and the bullets and brackets of a layout (●失业保险基金, 【区监察委员会】): no name starts or ends
# across them (the middle dot may stand inside one: 阿卜杜·…)
_PUNCT = "，。；：！？、（）()《》“”\"'「」,;:!?\n●•▪■□◆◇〔〕【】［］〈〉…"
_DASH = "—–―"  # a layout's dash (——区审计局…), or a hyphen between two characters of a name (HK366—01地块, 1—6月)
_LIST_LEAD = lazy(r"^(?:(?:[一二三四五六七八九十]+、|\d+[.、．])[ \u3000]*)?(?:补选|包括|涉及|主要有|主要是|分别是|分别为|有|是|为|即)?")
_CELL_MARKUP = lazy(r"<[^>]*>|[●•▪]")  # HTML tags and bullets inside a table cell are not text
SENT_END = lazy(r"[。！？；!?;\n]")
CLAUSE_END = lazy(r"[，。！？；!?;：:\n]|(?<!\d),|,(?!\d)")


@cache
def _number_re() -> re.Pattern[str]:
    unit = "|".join(re.escape(u) for u in units())
    counted = "|".join(re.escape(u) for u in units() if len(u) > 1)  # 47个批次 counts in 批次 (not 7个项|目)
    one = rf"{_NUM}(?:万亿|亿|万|千)?(?:个(?:{counted})|{unit})?"
    # a range: 5-10, 5 — 10, 3至5万元; a dash after a space and before a digit is the sign of the next figure
    # (164 -100.0 is two cells of a table row)
    to = r"(?:\s*[~至到]\s*|[-—–]\s*|\s+[-—–]\s+)"
    # a number glued to Latin letters is part of a name, not a figure: 5G, G20, C919, PM2.5 (a unit it ends with,
    # 5km, is read before the letters are looked at)
    return regex_cache.compile(rf"(?<![\d.,A-Za-z]){_PREFIX}?(?P<n>{one}(?:{to}{one})?){_SUFFIX}?(?![\dA-Za-z])")


@cache
def _cn_count_re() -> re.Pattern[str]:
    return regex_cache.compile(rf"(?<![{_CN_NUM}第])[{_CN_NUM}]{{1,4}}(?:个|项|件|家|名|次|批|类|条|所|年|位|座|大|种|方面)")


_SP = r"[ \u3000]?"  # the space a PDF's text may leave beside 年, 月 and 日 (2024 年 11 月)
_RANGE_MARK = "—\\-–－～至~"  # between the two ends of a span: 24日—25日, 7月至12月
_TO = rf"[ \u3000]*[{_RANGE_MARK}][ \u3000]*"
_DAYS = rf"(?:{_TO}(?:\d{{1,2}}{_SP}月{_SP})?\d{{1,2}}{_SP}日)?"  # the end of a span of days
_DATE_RE = lazy(
    rf"\d{{4}}{_SP}年{_SP}\d{{1,2}}{_SP}月{_SP}\d{{1,2}}{_SP}日{_DAYS}"
    rf"|\d{{4}}{_SP}年{_SP}\d{{1,2}}(?:{_SP}月)?(?:{_TO}\d{{1,2}})?{_SP}月(?:份)?(?!\d|{_SP}\d{{1,2}}{_SP}日)"  # 7-12月份
    rf"|(?<![\d年])(?<!年[ \u3000])\d{{1,2}}{_SP}月{_SP}\d{{1,2}}{_SP}日{_DAYS}"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|(?<!\d)(?:19|20)\d{{2}}[{_RANGE_MARK}](?:19|20)\d{{2}}{_SP}年(?:度)?"  # 2023—2025年: a span of years
    rf"|(?<!\d)(?:19|20)\d{{2}}{_SP}年(?!{_SP}\d{{0,2}}{_SP}月)(?:度)?"
)
_DATE_TAIL = lazy(r"(?:起|以来|底|末|初|前|后)")
_ORDINAL_RE = lazy(r"第[\d一二三四五六七八九十]{1,3}(?:位|名|届|批|次|个|条|项)?")
_QUOTED = lazy(r"[《“「\"]([^》”」\"\n]{2,40})[》”」\"]")
# an item: no layout dash or bullet (——, ●), a dash only as a hyphen (1—6月)
# an item's characters, a hyphen between two of them, or a bracketed word after one (闽江（福州段）干流, 因公出国（境）费,
# 房屋保障（13.39%）): a bracket opens no item and holds no 、, comma, second bracket or an enumerator alone (（二十六）)
_LIST_ITEM = r"(?:[^，。；：！？、,;:!?()（）\n\s—–―●•▪■□◆◇…]|(?<=\w)[—–―](?=\w)|(?<=\w)[（(](?![一二三四五六七八九十\d]{1,3}[）)])[^（）()、，。；：\n]{1,10}[）)]){1,24}"
_LIST_RE = lazy(rf"{_LIST_ITEM}(?:、[ \u3000]?{_LIST_ITEM})+(?:(?:和|及|以及|与|、[ \u3000]?){_LIST_ITEM})?"
                rf"|{_LIST_ITEM}(?:和|及|以及|与){_LIST_ITEM}")  # (a page's text may leave a space after 、)


@dataclass(frozen=True)
class Segment:
    """Text a generator reads, with the source offset of each character and where it sits in its table."""

    text: str
    offsets: tuple[int, ...]
    column: int | None = None  # table cells: the column index (0 = row label)

    def source_span(self, a: int, b: int) -> tuple[int, int]:
        return self.offsets[a], self.offsets[b - 1] + 1


@dataclass(frozen=True)
class Hit:
    """A candidate span a generator found in a segment: where it is, its kind and its unit."""

    start: int  # in the segment's text
    end: int
    kind: str  # number | table_cell | date | person | entity | list | yes_no
    unit: str = ""


Generator = Callable[[Segment], Iterator[Hit]]


@lru_cache(maxsize=4096)
def unit_of(text: str) -> str:
    """The unit a figure is written with ("494.9亿元" → 亿元, "7.3%" → %), "" for a bare number."""
    m = re.search(rf"{_NUM}(万亿|亿|万|千)?([^\d\s]*)$", re.sub(rf"{_SUFFIX}$", "", text))
    if not m:
        return ""
    tail = m.group(2) or ""
    unit = next((u for u in units() if tail.startswith(u)), "")
    if unit == "个":  # 47个批次 counts in 批次
        unit = next((u for u in units() if len(u) > 1 and tail[1:].startswith(u)), unit)
    read = (m.group(1) or "") + unit
    whole = next((u for u in units() if ((m.group(1) or "") + tail).startswith(u)), "")
    return whole if len(whole) > len(read) else read  # 1200000千瓦: 千瓦, not 千 and 瓦


_UNIT_COLUMN = lazy(r"(?:计量)?单\s*位")
_RATE_HEADER = lazy(r"[%％（(]|增长|增减|增幅|增速|比上年|同比|比重|占比")
_PERCENT_HEADER = lazy(r"[%％]\s*$")
_WORD_CHAR = lazy(r"\w")


def column_unit(chunk: Chunk, column: int | None) -> str:
    """The unit a bare table value is in: its column header's "(%)" / "（亿元）", else the row's own 单位
    column (指标名称 | 单位 | 全年计划目标: 户), else the caption's 单位."""
    header = chunk.header[column] if column is not None and column < len(chunk.header) else ""
    known = set(units())
    if column is not None and not _UNIT_COLUMN.fullmatch(header.strip()):
        own = [chunk.cells[k].strip() for k, h in enumerate(chunk.header[:len(chunk.cells)])
               if k != column and _UNIT_COLUMN.fullmatch(h.split()[-1] if h.split() else "")]
        if own and own[-1] in known and not _RATE_HEADER.search(header):  # 比上年增长 is no 亿元
            return own[-1]
    if _PERCENT_HEADER.search(header):  # 增减% / 完成预算数%: before a unit its spanning parent gives (完成数（万元）)
        return "%"
    for m in re.finditer(r"[（(]\s*([^（）()\s]{1,4})\s*[）)]", header):
        unit = m.group(1).replace("％", "%")
        if unit in known:
            return unit
    if m := re.search(r"单位[：:]\s*([^\s）)，,]{1,4})", chunk.table or ""):
        return m.group(1) if m.group(1) in known else ""
    return ""


_PAGE_BEFORE = lazy(r"(?:[(（]|[.…·．]{2,})\s*$")  # "报告王浩(12)", "报告 ……… 12": a contents line
_PAGE_AFTER = lazy(r"\s*[)）]?[ \t]*(?:\n|$)")
_SENTENCE_MARK = lazy(r"[，。；：,;:]")
_HAN_CHAR = lazy(rf"[{HAN}]")


def page_reference(text: str, a: int, b: int) -> bool:
    """A bare number of one to three digits that ends a contents line (a title of six characters or more, no
    sentence punctuation) after an opening bracket or dot leaders: the page it points to, never a figure.
    "留置（12）" after a colon, "合计 …… 35" and a table cell's "(12)" stay figures."""
    if re.fullmatch(r"\d{1,3}", text[a:b]) is None or _PAGE_AFTER.match(text, b) is None:
        return False
    if text[a - 1:a] in "(（" and text[b:b + 1] not in ")）":
        return False
    lead = _PAGE_BEFORE.search(text, max(0, a - 12), a)
    if lead is None:
        return False
    line = text[text.rfind("\n", 0, lead.start()) + 1:lead.start()]
    return _SENTENCE_MARK.search(line) is None and len(_HAN_CHAR.findall(line)) >= 6


def numbers(seg: Segment) -> Iterator[Hit]:
    for m in _number_re().finditer(seg.text):
        a, b = m.span()
        text = m.group()
        if seg.column is None and page_reference(seg.text, a, b):
            continue
        if re.fullmatch(r"(?:19|20)\d{2}\s*[-—–~至到]\s*(?:19|20)\d{2}年?", m.group("n")):
            continue  # a span of years is a period
        if text.endswith("年") and seg.text[b:b + 1] in "均度底末初内":  # 2.5年均: the unit is not 年
            b -= 1
            text = text[:-1]
        if re.fullmatch(r"(?:19|20)\d{2}(?:年.*)?", m.group("n")) and re.match(r"\s*年", seg.text[m.end("n") - 1:b + 1]):
            continue  # a year is a date
        yield Hit(a, b, "number", unit_of(text))
    for m in _cn_count_re().finditer(seg.text):
        ordinal = names_a_session(seg.text, m.start(), m.end())
        yield Hit(m.start(), m.end(), "number", "第" if ordinal else m.group()[-1])
    for m in _ORDINAL_RE.finditer(seg.text):
        yield Hit(m.start(), m.end(), "number", "第")


def names_a_session(text: str, a: int, b: int) -> bool:
    """Whether a count of times (六次) names a congress's session, an ordinal without its 第: 省十三届人大【六次】会议,
    十二届市委五次、【六次】全会 — its term (届) and body right before it, 会议 or 全会 right after it (the lexicon's
    ``session_body`` and ``session_end``) —, not how many meetings were held (区十七届人大常委会共召开十二次会议)."""
    if text[b - 1] != "次":
        return False
    lex = Lexicon.default()  # (session_body is anchored at its end: searched up to the count's start)
    return lex.session_end.match(text, b) is not None and lex.session_body.search(text, max(0, a - 40), a) is not None


def dates(seg: Segment) -> Iterator[Hit]:
    for m in _DATE_RE.finditer(seg.text):
        yield Hit(m.start(), m.end(), "date")
        if tail := _DATE_TAIL.match(seg.text, m.end()):
            yield Hit(m.start(), tail.end(), "date")


@lru_cache(maxsize=64)
def _person_spans(text: str) -> tuple[tuple[int, int], ...]:
    """``person_spans`` of a segment, read once for both generators that need them (people, posts)."""
    return tuple(person_spans(text))


def people(seg: Segment) -> Iterator[Hit]:
    """Names (a known surname and one to three more characters) next to a title, a role or a verb of office."""
    for a, b in _person_spans(seg.text):
        yield Hit(a, b, "person")


MAX_NAME = 18  # an organisation's or a thing's name is shorter than this


def entities(seg: Segment) -> Iterator[Hit]:
    text = seg.text
    for m in _QUOTED.finditer(text):
        yield Hit(m.start(1), m.end(1), "entity")
    for m in Lexicon.default().org_suffix.finditer(text):
        b = m.end()
        after = text[b:b + 2]
        if after[:1] in ("员", "长", "局", "托") or (after[:1] == "委" and (after == "委员" or not is_word(after))):
            continue  # 政协委员, 民政局局长, the 委 of 委托: not an organisation's end (市人民政府委托 is)
        a = name_start(text, m.start(), b)
        if b - a >= 3:
            yield Hit(a, b, "entity")


def _layout_dash(text: str, i: int) -> bool:
    """A dash of a layout (——, or one at a line's start or after a space), not a hyphen (HK366—01, 1—6月)."""
    if text[i] not in _DASH:
        return False
    return not (i > 0 and text[i - 1].isalnum() and text[i + 1:i + 2].isalnum())


def name_start(text: str, a: int, b: int) -> int:
    """Where a name that ends at ``b`` (its ending starts at ``a``) starts: back to punctuation, a line's start, a
    space or a break word (的, 在, 推进…) that makes no word with the character after it (not the 受 of 受理中心, the 在
    of 在建项目), within MAX_NAME characters; with no such boundary in reach, the first place after it where no word
    or number is split (not 委|经济工作会议); ``b`` for none. A break word that makes one word with the ending
    (``compound``: 建设项目) is the name's, with at least two characters of the name before it (金塘冲水库建设项目; not
    建设项目 alone, whose start stays the ending's)."""
    lex = Lexicon.default()
    ending = a
    joined = compound(text, a, b, lex)  # the start of the compound word, before which a break word is one outright

    def bound(at: int) -> bool:
        if at == 0 or text[at - 1] in _PUNCT or text[at - 1].isspace() or _layout_dash(text, at - 1):
            return True
        if not text[:at].endswith(lex.break_words):
            return False
        return at == joined or (at != ending or joined < 0) and not is_word(text[at - 1:at + 1])

    while b - a < MAX_NAME and not bound(a):
        a -= 1
    if not bound(a):
        a = next((x for x in range(a, b - 2) if _word_free(text, x)), b)
    if joined >= 0 and a > joined - 2:
        return ending  # nothing of a name before the compound word: read as before it, the break word a bound
    return a


def compound(text: str, at: int, b: int, lex: Lexicon) -> int:
    """Where the compound word starts that a break word of ``Lexicon.break_joins`` (建设, 实施) makes right before a
    name's ending (``at`` to ``b``), when the two make one word of the dictionary (建设项目, 实施方案, 建设厅); -1 for
    none."""
    for word in lex.break_joins:
        start = at - len(word)
        if start >= 0 and text.startswith(word, start) and is_word(text[start:b]):
            return start
    return -1


def headed(seg: Segment, heads: Collection[str], said: str) -> Iterator[Hit]:
    """Names that end with the word the question names its thing with (``Query.head_words``: 哪座铁矿 -> 阜新查马屯铁矿,
    国家植物园是哪个 -> 庐山国家植物园), which no organisation's ending may mark: from where a name may start
    (``name_start``), and past the Chinese words the question itself says there (``said``: 争创庐山国家植物园 ->
    庐山国家植物园; one step, not past the place after them: 同意深圳市…委员会 -> 深圳市…委员会); each with at least two
    characters before the word, starting with a Chinese character and no figure before the word (not 新增16家企业,
    2.企业, ●…), and ending where no word goes on (not 民营企业|家)."""
    text = seg.text
    for word in heads:
        at = text.find(word)
        while at >= 0:
            b = at + len(word)
            if b == len(text) or _word_free(text, b):
                yield from (Hit(a, b, "entity") for a in _name_starts(text, at, b, said)
                            if _HAN_CHAR.match(text, a) and not _DIGIT.search(text, a, at))
            at = text.find(word, at + 1)


def _name_starts(text: str, at: int, b: int, said: str) -> Iterator[int]:
    """The starts of a name whose ending runs from ``at`` to ``b`` (``headed``), at least two characters before it
    (before the compound word it makes with a break word: 建设项目 alone is no name)."""
    start = name_start(text, at, b)  # b for none: no start before at
    joined = compound(text, at, b, Lexicon.default())
    head = joined if joined >= 0 and start < joined else at
    if head - start >= 2:
        yield start
    if start >= at or text[start:start + 2] not in said:
        return
    cut = start
    for w in words(text[start:at]):
        if len(w) < 2 or w not in said or not _HAN_ONLY.fullmatch(text, cut, cut + len(w)) or \
                normalize(text[cut:cut + len(w)]) != w:
            break
        cut += len(w)
        if head - cut >= 2 and _word_free(text, cut):
            yield cut
            return


_HAN_ONLY = lazy(rf"[{HAN}]+")
_DIGIT = lazy(r"\d")


def posts(seg: Segment) -> Iterator[Hit]:
    """A post written right before its holder's name, as one span: 区数据局局长 黄海滨 (a report's byline),
    主持人为区人大常委会主任张佳东: back from the name to punctuation, a line's start or anything not a Chinese
    character (——, 1.), then on past the last post lead (为, 由, 听取了…) that makes no word with the character after
    it (not the 经 of 区经济委员会), when what is left ends as a post does (局长, 主任…)."""
    text = seg.text
    lex = Lexicon.default()
    post = lex.head_ends["post"]
    for a, _ in _person_spans(text):
        b = a
        while b > 0 and text[b - 1] in " \t\u3000":
            b -= 1
        start = b  # a post's own words may hold 和 (区发展和改革委员会主任), so no break word stops this
        while b - start < MAX_NAME and start > 0 and _HAN_CHAR.match(text, start - 1):
            start -= 1
        if start > 0 and _HAN_CHAR.match(text, start - 1):
            continue  # no start within reach
        for m in lex.post_leads.finditer(text, start, b):
            if not is_word(text[m.end() - 1:m.end() + 1]):
                start = max(start, m.end())
        if b - start >= 3 and post.search(text, start, b):
            yield Hit(start, b, "entity")


def county_names(seg: Segment) -> Iterator[Hit]:
    """The counties, districts and banners a passage names, whole (莱芜区, 彰武县: qa/data/counties.txt), which
    no organisation's ending marks; none that starts inside a word (the 山城区 of 中山城区, the 海港区 of 沿海港区)."""
    text = seg.text
    for a, b in Lexicon.default().county_spans(text):
        if a == 0 or not _HAN_CHAR.match(text, a - 1) or _word_free(text, a):
            yield Hit(a, b, "entity")


_DOC_NUMBER = lazy(rf"[{HAN}]{{1,8}}\s*[〔\[［(（]\s*(?:19|20)\d{{2}}\s*[〕\]］)）]\s*\d{{1,4}}\s*号")
_QUOTED_RUN = lazy(r"(?:[“「\"][^”」\"\n，。；]{1,20}[”」\"][\s、和及与]{0,3}){2,}")


def documents(seg: Segment) -> Iterator[Hit]:
    """A document number as one span: 沪财债〔2025〕25号, 虹府发〔2018〕17号."""
    for m in _DOC_NUMBER.finditer(seg.text):
        code = m.group()
        bracket = re.search(r"[〔\[［(（]", code).start()
        # 根据区政府印发的沪财债〔2025〕25号: the number starts after the last lead word before its bracket
        cut = max((x.end() for x in Lexicon.default().document_leads.finditer(code, 0, bracket)), default=0)
        if cut < bracket:
            yield Hit(m.start() + cut, m.end(), "entity")


_WHOSE_POST = lazy(r"[^，。；\s]{1,8}?同志的\s*(.+?)\s*(?:的)?职务$")


def complements(seg: Segment) -> Iterator[Hit]:
    """What a clause says something is, was appointed to, was rated: the words after 为/是/任命为/获评… up to the
    clause's end ("考核等次为优秀" → 优秀; "任命为区数据局局长" → 区数据局局长), two to twenty-four characters."""
    text = seg.text
    for m in Lexicon.default().complement_leads.finditer(text):
        if m.start() and is_word(text[m.start() - 1:m.end()]):  # 作为, 认为, 但是: the lead is part of a word
            continue
        if m.start() and text[m.start() - 1] in _CN_NUM:  # 一是…, 二是…: an enumeration, not a complement
            continue
        if is_word(text[m.end() - 1:m.end() + 1]) and len(m.group()) == 1:  # 为民, 是否: so is the next character
            continue
        a = m.end()
        b = a
        while b < len(text) and b - a < 25 and not CLAUSE_END.match(text, b) and text[b] not in "（(":
            b += 1
        span = text[a:b].strip()
        a2 = text.index(span, a) if span else a
        if whose := _WHOSE_POST.match(span):  # 免去罗翌弘同志的虹口区规划和自然资源局局长职务: the post alone
            a2, span = a2 + whose.start(1), whose.group(1)
        if 2 <= len(span) <= 24 and not re.fullmatch(r"[\d.,%\s]+.{0,2}", span):
            yield Hit(a2, a2 + len(span), "entity")


def lists(seg: Segment) -> Iterator[Hit]:
    for m in _QUOTED_RUN.finditer(seg.text):  # “小区管理”“美丽家园”“市场秩序”
        yield Hit(m.start(), m.end() - (len(m.group()) - len(m.group().rstrip("、和及与 "))), "list")
    for m in _LIST_RE.finditer(seg.text):
        for end in (m.end(), *_list_stops(seg.text, m.start(), m.end())):
            yield from (h for h in _lists_in(seg.text, m.start(), end) if _whole_reading(seg.text, h.start, h.end))


def _whole_reading(text: str, a: int, b: int) -> bool:
    """Whether the list reading text[a:b] is whole wherever it was cut: its brackets closed (not 房屋（含车库, 闽江（福州段
    cut by a 等, a count or an item's length), no space at its edges (十一、 城乡社区支出) and no number cut
    (（债券资金）1.|50亿元: the item pattern's length limit)."""
    depth = 0
    for ch in text[a:b]:
        depth += ch in "（("
        depth -= ch in "）)"
        if depth < 0:
            return False
    if depth or text[a].isspace() or text[b - 1].isspace():
        return False
    return not (a > 0 and text[a - 1].isdigit() and text[a].isdigit()) and \
        not (b < len(text) and text[b].isdigit() and (text[b - 1].isdigit() or text[b - 1] == "."))


def _lists_in(text: str, a: int, b: int) -> Iterator[Hit]:
    """The readings of the enumeration text[a:b]: whole, without its lead-in words, trimmed (``_trimmed_list``)."""
    yield Hit(a, b, "list")
    lead = _LIST_LEAD.match(text[a:b])  # (anchored at ^: matched on the slice)
    start = a + (lead.end() if lead else 0)
    if lead and start > a and b - start >= 4:  # without "二、补选" before the items
        yield Hit(start, b, "list")
    yield from _trimmed_list(text, start, b)
    cut = function_lead(text, start, b)
    if cut > start:  # without the clause's 将/赴/的 before the first item: 将手机、平板 → 手机、平板
        yield Hit(cut, b, "list")
        yield from _trimmed_list(text, cut, b)
    inner = inner_lead(text, start, b)
    if inner > max(start, cut):  # 重点针对银行账户清理、… → 银行账户清理、…; 组织代表赴徐汇区、… → 徐汇区、…
        yield Hit(inner, b, "list")
        yield from _trimmed_list(text, inner, b)


def _list_stops(text: str, a: int, b: int) -> list[int]:
    """Where an enumeration the list pattern ran past ends, after its second item at the earliest: before a 分别
    that says what each item did (新一代信息技术产业、新能源汽车产业|分别增长17.8%、16.9%: the pattern read the figures
    as items too), or before a count of its items in Chinese numerals (哈萨克斯坦、吉尔吉斯斯坦|两国机票、住宿费; a
    count in digits is cut in the last item, ``_trimmed_list``), where the cut splits no word and leaves no function
    word at the end (…发展改革委将|分别, 党的|二十大). A count stops the list only after a last item of its own, half
    as long as the others at least, with no joint in it, in a list whose other items hold no count (not 中央|八项规定,
    残疾人|两项补贴 after 和, 学校两所、医院|三家)."""
    second = text.find("、", a, b)
    if second < 0:
        return []
    out = []
    for pattern in (_RESPECTIVELY, _HAN_COUNT):
        m = pattern.search(text, second + 2, b)
        if not m:
            continue
        at, edge = m.start(), text[m.start() - 1]
        if not is_han(edge) or edge in _STOP_EDGE or edge in _BEFORE_COUNT or not _word_free(text, at):
            continue
        if pattern is _HAN_COUNT:
            last = text.rfind("、", a, at) + 1
            others = [len(x) for x in text[a:last - 1].split("、")]
            if at - last < max(2, sum(others) / len(others) / 2) or _LIST_JOINT.search(text, last, at) \
                    or _HAN_COUNT.search(text, a, last) or _holds_figure(text, a, last):
                continue
        out.append(at)
    return sorted(set(out))


_STOP_EDGE = "等和及与的将已并或也要均都在对"  # no list ends with these before its 分别 or count


_LIST_JOINT = lazy(r"以及|和|及|与")


@cache
def _break_words_by_first() -> dict[str, tuple[str, ...]]:
    """The lexicon's break words by their first character, longest first."""
    out: dict[str, tuple[str, ...]] = {}
    for word in sorted(Lexicon.default().break_words, key=len, reverse=True):
        if word:
            out[word[0]] = (*out.get(word[0], ()), word)
    return out


def function_lead(text: str, a: int, b: int) -> int:
    """Where a list's first item starts after a word its name never reaches back across (the lexicon's break
    words: 将, 的, 赴, 对…) that the clause put before it, when the rest of that item is two characters or more
    and the cut splits no dictionary word (在建项目 keeps its 在); ``a`` when there is none."""
    first_end = text.find("、", a, b)
    first_end = b if first_end < 0 else first_end
    for word in _break_words_by_first().get(text[a:a + 1], ()):
        cut = a + len(word)
        if text.startswith(word, a) and first_end - cut >= 2 and _word_free(text, cut):
            return cut
    return a


def inner_lead(text: str, a: int, b: int) -> int:
    """Where a list's first item starts after the last break word of two characters or more (or 赴) said inside
    it (组织开展|中卫市工业园区管委会, 重点针对|银行账户清理, 组织代表赴|徐汇区), when that item is half again as long
    as the list's other items, or as its middle ones (a clause's verb, not a name's word: 市城市建设投资集团 keeps its
    建设), three characters or more of it are left (not 市政府投资项目建设|中心) and the cut splits no dictionary word;
    ``a`` when there is none or the list has no 、."""
    first_end = text.find("、", a, b)
    if first_end < 0:  # 推进城乡建设和完善基础设施: items joined by 和 alone are no place to look for a verb
        return a
    others = [len(x) for x in text[first_end + 1:b].split("、")]
    middle = others[:-1] or others  # the last may carry the clause's predicate (…党校4个部门开展评价), or be short
    if first_end - a <= 1.5 * min(sum(others) / len(others), sum(middle) / len(middle)):
        return a
    best = a
    for at in range(a + 1, first_end - 2):
        for word in _break_words_by_first().get(text[at], ()):
            if (len(word) >= 2 or word == "赴") and text.startswith(word, at):
                cut = at + len(word)
                whole = not (is_word(text[at - 1:cut]) or is_word(text[at:cut + 1]))  # not the 赴 of 赴法
                if whole and first_end - cut >= 3 and _word_free(text, cut) and text[cut] not in _PUNCT:
                    best = max(best, cut)
                break
    return best


def _outside_words(pattern: re.Pattern[str], text: str, a: int, b: int) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` in text[a:b] that are no part of a dictionary word with the character before
    or after them (the 和 of 共和国, the 等 of 高等)."""
    for m in pattern.finditer(text, a, b):
        if not (is_word(text[max(0, m.start() - 1):m.end()]) or is_word(text[m.start():m.end() + 1])):
            yield m


def list_joint(text: str) -> re.Match[str] | None:
    """The first 和/及/与/以及 of ``text`` that joins two items, not one inside a word (共和国, 普及, 参与)."""
    return next(_outside_words(_LIST_JOINT, text, 0, len(text)), None)


def _word_free(text: str, at: int) -> bool:
    """No number and no dictionary word of two to four characters runs across the boundary between text[at-1]
    and text[at] (国有|企业 is cut inside 国有企业)."""
    if text[at - 1].isdigit() or text[at].isdigit():
        return False
    return not any_word([text[a:b] for a in range(max(0, at - 3), at)
                         for b in range(at + 1, min(len(text), a + 4) + 1) if b - a >= 2])


def _clean_cut(text: str, at: int, inside: int) -> bool:
    """A cut between text[at-1] and text[at] that splits no word or number, and leaves no punctuation or joint
    at the edge of the span (``inside``: the index of its edge character)."""
    edge = text[inside]
    return edge not in _PUNCT and edge not in _DASH and edge not in "等和及与" and _word_free(text, at)


_ETC = lazy("等")
_RESPECTIVELY = lazy("分别")
_HAN_COUNT = lazy(r"[两二三四五六七八九十]+(?:个|家|项|类|所|条|名|位|座|处|种|批|国|大)")
_COUNT = lazy(r"\d+(?:个|家|项|类|所|条|名|位|座|处|种|批)")  # how many items a list had: 4个部门
_BEFORE_COUNT = "第约共计近超逾余数全合总各达为加增属有"  # 约20个, 共3个, 各1所, 达12所, 分别为3所, 增加12所, 下属12个,
# 共有: the count's own word, not the item's end


def _count_cut(text: str, at: int, before: tuple[int, int], joint: re.Match[str] | None) -> bool:
    """Whether the last item may end before the count at ``at``: after a character of a name (not 约/共/第, a
    joint, 等 or punctuation), past the item's 和/及 (中小学5所和医院两家 keeps 医院), and only in a list whose
    other items hold no figure (学校15所、医院3家、养老院12个: each item's own quantity; ``before``: the span of the
    list before its last item, or before the part of it after its 和; a year said there is the clause's date)."""
    edge = text[at - 1]
    if not is_han(edge) or edge in "等和及与" or edge in _BEFORE_COUNT:
        return False  # (punctuation and dashes are no Han characters)
    if joint is not None and at < joint.end():
        return False
    return not _holds_figure(text, *before)


_YEAR_SAID = lazy(r"(?:19|20)\d{2}\s*年")


def _holds_figure(text: str, a: int, b: int) -> bool:
    """Whether text[a:b] holds a digit other than a year's (2025年组织开展…: the clause's date, no item's quantity)."""
    return bool(_DIGIT.search(_YEAR_SAID.sub("", text[a:b])))


def _etc_cut(text: str, a: int, b: int) -> int:
    """Where the first 等 of text[a+1:b] that is no part of a word (高等, 中等, 等级) begins; -1 if none does."""
    return next((m.start() for m in _outside_words(_ETC, text, a + 1, b)), -1)


def _trimmed_list(text: str, a: int, b: int) -> Iterator[Hit]:
    """The enumeration without the words the regex took in around it: the first item may carry the clause's
    lead-in (通过责任规划师、…) and the last its predicate (…、契税等税种按属地化原则下划至各区). The last item is cut at
    a 等 that is no part of a word (not 高等); an outer item much longer than the inner ones is cut to their
    length (±1) where the cut splits no dictionary word or number and leaves no punctuation or joint at the edge.
    The last item is read both whole and after its first 和/及 (信访组及保卫组等6个工作组, but 万欣和 is a name; with
    the word-aware ``list_joint`` here instead, the fit split's top candidate was right for 274 of 457, not 284). Which reading answers is the model's choice."""
    parts = [(x.start() + a, x.end() + a) for x in re.finditer(r"[^、]+", text[a:b])]
    if len(parts) < 2:
        return
    lasts = [parts[-1]]
    joint = _LIST_JOINT.search(text, *parts[-1])  # any joint: a reading too many costs nothing, the model chooses
    if joint and parts[-1][0] < joint.start() and joint.end() < parts[-1][1]:
        lasts.append((joint.end(), parts[-1][1]))
    first_s, first_e = parts[0]
    starts, ends = {first_s}, {parts[-1][1]}
    for k, (last_s, last_e) in enumerate(lasts):
        inner = [e - s for s, e in parts[1:-1]] + ([joint.start() - parts[-1][0]] if k else [])
        mean = sum(inner) / len(inner) if inner else min(first_e - first_s, last_e - last_s)
        cut = _etc_cut(text, last_s, last_e)
        if cut > last_s:
            ends.add(cut)
        count = _COUNT.search(text, last_s + 2, last_e)
        if count and _count_cut(text, count.start(), (parts[0][0], last_s), joint if k == 0 else None):
            ends.add(count.start())  # …、中共中卫市委党校|4个部门开展
        for n in {round(mean) - 1, round(mean), round(mean) + 1}:
            if n < 2:
                continue
            s, e = first_e - n, last_s + n
            if first_e - first_s > 1.5 * mean and s > first_s and _clean_cut(text, s, s):
                starts.add(s)
            if k == 0 and joint and e < joint.end():
                continue  # the whole last item is not cut before its 和/及: 信访组|及保卫组
            if last_e - last_s > 1.5 * mean and e < last_e and _clean_cut(text, e, e - 1):
                ends.add(e)
    for s in starts:
        for e in ends:
            if (s, e) != (first_s, parts[-1][1]):
                yield Hit(s, e, "list")


def clauses(seg: Segment) -> Iterator[Hit]:
    """Sentences (split at 。；) and their clauses (split at ，) as the deciding spans of yes/no questions."""
    for pattern in (SENT_END, CLAUSE_END):
        a = 0
        for m in pattern.finditer(seg.text + "\n"):
            b = m.start()
            if b - a >= 4:
                yield Hit(a, b, "yes_no")
            a = m.end()


def cells(seg: Segment) -> Iterator[Hit]:
    """A short table cell is itself an answer (a value, or a row label)."""
    text = seg.text.strip()
    # a cell that only repeats the unit, or only marks an empty value (—, -, /), is no answer
    if text and len(text) <= 24 and text not in units() and _WORD_CHAR.search(text):
        a = seg.text.find(text)
        kind = "table_cell" if seg.column else "entity"
        yield Hit(a, a + len(text), kind, unit_of(text) if kind == "table_cell" else "")


GENERATORS: dict[str, tuple[str, Generator]] = {  # name: (the kind of span it yields, the generator)
    "number": ("number", numbers),
    "date": ("date", dates),
    "person": ("person", people),
    "entity": ("entity", entities),
    "document": ("entity", documents),
    "post": ("entity", posts),
    "county": ("entity", county_names),
    "complement": ("entity", complements),
    "list": ("list", lists),
    "yes_no": ("yes_no", clauses),
}
CELL_GENERATORS: dict[str, Generator] = {"table_cell": cells}  # a cell: table_cell, or entity for a row label


def segments(chunk: Chunk, source: str) -> list[Segment]:
    """The segments of a passage: its text, or each cell of a table row."""
    if chunk.kind == "table_row" and chunk.cell_spans:
        out = []
        for k, (s, e) in enumerate(chunk.cell_spans):
            gaps = [m.span() for m in _CELL_MARKUP.finditer(source, s, e)]
            text = repair(source[s:e], gaps, s)
            try:
                offs = align(source, s, e, text, gaps)
            except ValueError:
                continue
            if text:
                out.append(Segment(text, tuple(offs), column=k))
        return out
    try:
        offs = align(source, chunk.start, chunk.end, chunk.text, chunk.gaps)
    except ValueError:
        return []
    return [Segment(chunk.text, tuple(offs))]


def generate(seg: Segment, kinds: Collection[str] | None = None, heads: Collection[str] = (),
             said: str = "") -> list[Hit]:
    """The candidate spans of ``seg``; with ``kinds``, at least those of these kinds (the generators of other kinds
    are not run, but dates are whenever numbers are asked: a number inside a date is none); with ``heads`` (the
    words an entity question names its thing with) and ``said`` (the question), the names ending with them."""
    hits: list[Hit] = []
    if seg.column is not None:
        for gen in CELL_GENERATORS.values():
            hits.extend(gen(seg))
        if len(seg.text) <= 24:
            return hits
    wanted = None if kinds is None else {*kinds, *(("date",) if "number" in kinds else ())}
    for kind, gen in GENERATORS.values():
        if wanted is None or kind in wanted:
            hits.extend(gen(seg))
    if heads and (wanted is None or "entity" in wanted):
        hits.extend(headed(seg, heads, said))
    date_spans = [(h.start, h.end) for h in hits if h.kind == "date"]
    seen, out = set(), []
    for h in hits:
        if h.kind == "number" and any(a <= h.start and h.end <= b for a, b in date_spans):
            continue  # "6月" inside "2025年6月24日" is part of a date, not a figure
        if h.kind == "list" and "了" in seg.text[h.start:h.end]:
            continue  # a clause with its verb (只有市本级和确山县编制了…, 提出了…), not an enumeration
        if h.end > h.start and (h.start, h.end, h.kind) not in seen:
            seen.add((h.start, h.end, h.kind))
            out.append(h)
    return out


def sentence_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    s = max((m.end() for m in SENT_END.finditer(text, 0, a)), default=0)
    m = SENT_END.search(text, b)
    return s, (m.end() if m else len(text))


def clause_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    s = max((m.end() for m in CLAUSE_END.finditer(text, 0, a)), default=0)
    m = CLAUSE_END.search(text, b)
    return s, (m.start() if m else len(text))
