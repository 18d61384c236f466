"""Candidate answer spans in running text: figures with their unit, dates, names, lists, clauses.

Every span is a verbatim slice of the raw source text: ``start``/``end`` are absolute offsets and
``text == source[start:end]``. Alongside each span we keep the words around it that say what the
figure is (``own``: the words right before it in its clause; ``after``; the clause; the sentence
so far), which the scorer matches against the question.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

SpanKind = str  # number | date | entity | list | text | yes_no | table_cell


@dataclass(frozen=True)
class Span:
    kind: SpanKind
    start: int  # absolute offsets into the source text
    end: int
    text: str
    own: str = ""  # words naming what the span is (term right before it / row label + header)
    after: str = ""  # words right after it, up to the next figure or clause end
    clause: str = ""
    sentence: str = ""
    before: str = ""  # the sentence up to the span: where its year, period and scope are set
    prev: str = ""  # the previous clause, when the span's own words are only a predicate (同比增长)
    unit: str | None = None
    value: str = ""  # normalised text for de-duplication (494.90 亿元 == 494.9亿元)
    action: str | None = None  # 任命 / 免去 for names from appointment lists
    prior: float = 1.0  # how likely a span of its shape answers at all (see the generators)


_UNITS = sorted(
    [
        "万亿元",
        "亿元",
        "万元",
        "元",
        "万平方米",
        "平方米",
        "平方公里",
        "公里",
        "千米",
        "米",
        "公顷",
        "亩",
        "万人次",
        "人次",
        "万人",
        "人",
        "名",
        "万件",
        "件",
        "个百分点",
        "万个",
        "个",
        "万家",
        "家",
        "万户",
        "户",
        "台",
        "套",
        "辆",
        "项",
        "万起",
        "起",
        "万次",
        "次",
        "场",
        "所",
        "条",
        "处",
        "座",
        "栋",
        "幢",
        "间",
        "张",
        "份",
        "批",
        "例",
        "宗",
        "轮",
        "期",
        "支",
        "位",
        "层",
        "岁",
        "天",
        "小时",
        "分钟",
        "万吨",
        "吨",
        "千瓦",
        "兆瓦",
        "倍",
        "分",
        "万",
        "亿",
        "微克/立方米",
        "毫克/立方米",
        "%",
        "％",
        "‰",
    ],
    key=len,
    reverse=True,
)
_UNIT = "|".join(re.escape(u) for u in _UNITS)
NUMBER_RE = re.compile(
    r"(?P<rank>第\s*)?(?P<cmp>[<＜>＞≤≥]\s*)?(?<![\d.．A-Za-z〔\[])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    rf"(?:\s*(?P<approx>余|多))?\s*(?P<unit>{_UNIT})?(?![\d〕\]])"
)
_NOT_A_FIGURE = re.compile(r"\s*(?:年|月|日|号|时|届|[—\-–~]\s*\d|〕)")
_DATE_TAIL = r"(?:\s*[—\-–~至到]\s*(?:(?:19|20)\d{2}\s*年\s*)?(?:\d{1,2}\s*月\s*)?\d{1,2}\s*日)?"
_MONTH_PART = r"(?:\s*(?:[—\-–~至到]\s*\d{1,2}\s*月|底|初|中旬|上旬|下旬))"  # 3月—7月, 8月底
_DATE_SUFFIX = r"(?:底前|前|起|以来)?"
DATE_RE = re.compile(
    r"(?<!\d)(?:(?:今年|(?:19|20)\d{2}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日" + _DATE_TAIL +
    r"|(?:今年|(?:19|20)\d{2}\s*年\s*)\d{1,2}\s*月" + _MONTH_PART + "?"
    r"|\d{1,2}\s*月" + _MONTH_PART +  # a bare month only as a range or with 底/初
    r"|(?:19|20)\d{2}\s*年\s*(?=起|以来))" + _DATE_SUFFIX
)
DATE_RANGE = re.compile(r"[—\-–~至到]")
_DATE_AFTER = 30  # what happened on a date is often told after it, even past the clause
_NAME = r"[\u4e00-\u9fff]{2,4}?"
APPOINT_RE = re.compile(rf"任命(?P<name>{_NAME})同志为(?P<role>[^；;。\n]+?)(?=[；;。\n]|$)")
REMOVE_RE = re.compile(rf"免去(?P<name>{_NAME})同志的(?P<role>[^；;。\n]+?职务)")
COMRADE_RE = re.compile(
    r"(?P<role>接受|由|副主任|主任|书记|局长|区长|委员|院长|组长|代表|、|和|及)"
    r"(?P<name>(?!负责|有关|相关|各位|广大|领导)[\u4e00-\u9fff]{2,3}?)同志(?P<tail>[^，。；\n]{0,30})"
)
# "区财政局局长姜靖受区人民政府委托所作的报告": a post, then the name, then who sent them
DELEGATE_RE = re.compile(
    r"(?P<role>局长|主任|区长|书记|院长|检察长|主任委员)(?P<name>[\u4e00-\u9fff]{2,3}?)(?=受|代表[\u4e00-\u9fff]{0,10}所作|所作)"
)
SPEAKER_RE = re.compile(
    r"(?m)^[ \t　]*(?P<role>[\u4e00-\u9fff（）()、，]{1,40}?(?:主任委员|主任|局长|区长|书记|院长|检察长|委员|组长|主席))"
    r"[ \t　]+(?P<name>[\u4e00-\u9fff](?:[ 　]?[\u4e00-\u9fff]){1,3})[ \t　]*$"
)
_SENTENCE_END = re.compile(r"[。！？!?]")
_CLAUSE_END = re.compile(r"[，；。！？,;!?\n]")
_OWN_STOP = "、（(：:，；。！？,;!?\n"
# words before a figure that only say how it changed, leaving the subject to the previous clause
_PREDICATE_ONLY = re.compile(
    r"\s*(?:同比|环比|比上年|较上年|比去年|较去年)?(?:增长|下降|增加|减少|提高|降低|上升|增幅|降幅|增速)?\s*"
    r"(?:了|为|达|达到|至)?\s*$|\s*(?:完成|占|为|达)(?:年初|全年|调整)?(?:预算|目标|计划)?(?:的|比例为)?\s*$|"
    r"\s*占[\u4e00-\u9fff]{1,10}?(?:的)?(?:比重|比例)?(?:为|达)?\s*$"  # 占全区资产总额: the subject comes before
)
_AFTER_MAX = 8  # words further on belong to the clause, not to the figure
_AFTER_STOP = re.compile(r"[\d、（(：:]")
_FIGURE = re.compile(rf"\d+(?:\.\d+)?\s*(?:{_UNIT})?")
_NEGATION = re.compile(r"未|没有|不予|不得|尚未|暂未|不再|无法|否决|不同意|不批准|^\s*(?:无|暂无)\s*$|为零|零增长")


class Segments:
    """Sentence and clause boundaries of one raw passage, for O(log n) look-ups."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.sent_ends = [m.end() for m in _SENTENCE_END.finditer(raw)] + [len(raw)]
        self.clause_ends = [m.start() for m in _CLAUSE_END.finditer(raw)] + [len(raw)]

    def sentence(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.sent_ends, pos)
        start = self.sent_ends[i - 1] if i > 0 else 0
        end = self.sent_ends[i] if i < len(self.sent_ends) else len(self.raw)
        return start, end

    def clause(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_left(self.clause_ends, start)
        c_start = self.clause_ends[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(self.clause_ends, end)
        c_end = self.clause_ends[j] if j < len(self.clause_ends) else len(self.raw)
        return c_start, max(c_end, end)

    def context(self, start: int, end: int, own_floor: int = 0) -> dict[str, str]:
        raw = self.raw
        c_start, c_end = self.clause(start, end)
        s_start, s_end = self.sentence(start)
        lo = max(c_start, own_floor)
        k = start - 1
        while k >= lo:
            if raw[k] in _OWN_STOP:
                # "房屋保障（13.39%）": step over a bracket or colon right before the figure
                if raw[k] in "（(：:" and not raw[k + 1 : start].strip():
                    k -= 1
                    continue
                lo = k + 1
                break
            k -= 1
        own = raw[lo:start]
        nxt = _AFTER_STOP.search(raw, end, c_end)
        return {
            "own": own,
            "after": raw[end : min(nxt.start() if nxt else c_end, end + _AFTER_MAX)],
            "prev": self._subject_clause(c_start, s_start) if _PREDICATE_ONLY.match(own) else "",
            "clause": raw[c_start:c_end],
            "sentence": raw[s_start:s_end],
            "before": raw[s_start:start],
        }

    def _subject_clause(self, c_start: int, s_start: int) -> str:
        """The nearest earlier clause of the sentence that names a subject, not just a change."""
        for _ in range(3):
            if c_start - 1 <= s_start:
                return ""
            p_start, _ = self.clause(c_start - 1, c_start - 1)
            p_start = max(p_start, s_start)
            text = self.raw[p_start : c_start - 1]
            if not _PREDICATE_ONLY.match(_FIGURE.sub("", text)):
                return text
            c_start = p_start
        return ""


def normalise_number(num: str, unit: str | None) -> str:
    value = num.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return f"{value}{unit or ''}"


def _counter_tail(raw: str, pos: int, counter: str) -> tuple[int, int]:
    """How many characters of the question's counter (艘次, 个部门, 类问题) follow ``pos``, and
    where they end."""
    while pos < len(raw) and raw[pos] in " \u3000":
        pos += 1
    if raw.startswith("个", pos) and not counter.startswith("个"):
        pos += 1  # 47个批次 for 多少批次
    n = 0
    while n < len(counter) and pos + n < len(raw) and raw[pos + n] == counter[n]:
        n += 1
    return n, pos + n


def number_spans(raw: str, base: int, seg: Segments, counter: str = "") -> list[Span]:
    """Figures with their unit. ``counter`` is the measure word the question asked for after
    多少/几 (艘次, 个部门): a figure followed by it is read with it as its unit (37 艘次, 8 个部门)."""
    spans: list[Span] = []
    floor = 0
    for m in NUMBER_RE.finditer(raw):
        unit = m.group("unit")
        end = m.end()
        if counter and not m.group("rank"):
            n, tail_end = _counter_tail(raw, m.end("num"), counter)
            if n and n >= len(unit or "") and (n > len(unit or "") or tail_end > end):
                unit, end = counter[:n], tail_end
        if m.group("rank") and unit not in ("位", "名"):
            continue
        if not unit and _NOT_A_FIGURE.match(raw, m.end("num")):
            continue
        if not unit and "." not in m.group("num"):
            continue  # bare integers in prose are ids, codes and list numbers far more often than answers
        start = m.start("rank") if m.group("rank") else m.start("cmp") if m.group("cmp") else m.start("num")
        while end > start and raw[end - 1].isspace():
            end -= 1
        ctx = seg.context(start, end, floor)
        floor = end
        spans.append(
            Span(
                "number",
                base + start,
                base + end,
                raw[start:end],
                unit=unit,
                value=normalise_number(m.group("num"), unit),
                **ctx,
            )
        )
    if counter:
        spans += _numeral_spans(raw, base, seg, counter)
    return spans


def _numeral_spans(raw: str, base: int, seg: Segments, counter: str) -> list[Span]:
    """五个方面, 三类问题: a Chinese numeral directly followed by the counter the question asked for."""
    head = counter[: 2 if counter.startswith("个") and len(counter) > 1 else 1]
    spans = []
    for m in re.finditer(r"[一二两三四五六七八九十]{1,3}(?=" + re.escape(head) + ")", raw):
        if m.start() > 0 and raw[m.start() - 1] in "第之":
            continue
        n, end = _counter_tail(raw, m.end(), counter)
        spans.append(
            Span("number", base + m.start(), base + end, raw[m.start() : end], unit=counter[:n],
                 value=raw[m.start() : end], **seg.context(m.start(), end))
        )
    return spans


_ORDINAL = re.compile(r"第\s*(?:[一二两三四五六七八九十百]{1,4}|\d{1,3})\s*(?P<counter>[届次位名号批期轮])")


def ordinal_spans(raw: str, base: int, seg: Segments, counter: str = "") -> list[Span]:
    """第七届, 第六位: the ordinal a 第几 question asks for, in the counter it named when it did."""
    spans = []
    for m in _ORDINAL.finditer(raw):
        if counter and counter[0] in "届次位名号批期轮" and m.group("counter") != counter[0]:
            continue
        spans.append(
            Span("number", base + m.start(), base + m.end(), m.group(0), unit=m.group("counter"),
                 value=re.sub(r"\s+", "", m.group(0)), **seg.context(m.start(), m.end()))
        )
    return spans


def date_spans(raw: str, base: int, seg: Segments) -> list[Span]:
    spans = []
    for m in DATE_RE.finditer(raw):
        if m.group(0)[-1] == "月" and raw[m.end() : m.end() + 1].isdigit():
            continue
        ctx = seg.context(m.start(), m.end())
        _, s_end = seg.sentence(m.start())
        ctx["after"] = raw[m.end() : min(s_end, m.end() + _DATE_AFTER)]
        spans.append(
            Span(
                "date",
                base + m.start(),
                base + m.end(),
                m.group(0),
                value=re.sub(r"\s+", "", m.group(0)),
                **ctx,
            )
        )
    return spans


def name_spans(raw: str, base: int, seg: Segments, doc_title: str = "") -> list[Span]:
    """People: appointment and removal lists, comrades named with a role, report speakers."""
    spans: list[Span] = []
    seen: set[int] = set()
    for pattern, action in ((APPOINT_RE, "任命"), (REMOVE_RE, "免去")):
        for m in pattern.finditer(raw):
            ctx = seg.context(m.start(), m.end())
            s, e = m.span("name")
            seen.add(s)
            spans.append(
                Span(
                    "entity",
                    base + s,
                    base + e,
                    m.group("name"),
                    own=m.group(0),
                    clause=ctx["clause"],
                    sentence=ctx["sentence"],
                    before=ctx["before"],
                    value=m.group("name"),
                    action=action,
                )
            )
    for m in COMRADE_RE.finditer(raw):
        s, e = m.span("name")
        if s in seen or any(s < x < e for x in seen):
            continue
        ctx = seg.context(s, e)
        spans.append(
            Span(
                "entity",
                base + s,
                base + e,
                m.group("name"),
                own=ctx["own"] + m.group(0),
                after=m.group("tail"),
                clause=ctx["clause"],
                sentence=ctx["sentence"],
                before=ctx["before"],
                value=m.group("name"),
            )
        )
    for m in DELEGATE_RE.finditer(raw):
        s, e = m.span("name")
        if s in seen:
            continue
        seen.add(s)
        ctx = seg.context(s, e)
        spans.append(
            Span("entity", base + s, base + e, m.group("name"), own=ctx["own"] + m.group(0) + " 报告 作",
                 after=raw[e : e + 20], clause=ctx["clause"], sentence=ctx["sentence"], before=ctx["before"],
                 value=m.group("name"))
        )
    for m in SPEAKER_RE.finditer(raw):
        s, e = m.span("name")
        spans.append(
            Span(
                "entity",
                base + s,
                base + e,
                m.group("name"),
                own=m.group("role") + " 报告 作",
                clause=doc_title,
                sentence=doc_title,
                value=re.sub(r"\s+", "", m.group("name")),
            )
        )
    return spans


@functools.lru_cache(maxsize=16)
def _speakers(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(name start, name end, role, the compacted 300 characters before) of every speaker line."""
    return tuple(
        (m.start("name"), m.end("name"), m.group("role"), _compact(text[max(0, m.start() - 300) : m.start()]))
        for m in SPEAKER_RE.finditer(text)
    )


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def speaker_span(text: str, before: int, doc_title: str, question: str) -> Span | None:
    """Who delivered the report a passage belongs to: the speaker line under its title, found in
    the source text before the passage (the line itself is rarely retrieved)."""
    title = _compact(doc_title)
    if len(title) < 4:
        return None
    found = None
    for entry in _speakers(text):
        if entry[0] >= before:
            break
        if title in entry[3]:
            found = entry
    if found is None:
        return None
    s, e, role, _ = found
    own = f"{role} 报告 作" + (f" {doc_title}" if title in _compact(question) else "")
    return Span(
        "entity", s, e, text[s:e], own=own, clause=doc_title, sentence=doc_title, value=_compact(text[s:e])
    )


def role_spans(raw: str, base: int, seg: Segments) -> list[Span]:
    """The post in an appointment or removal (for "X被任命为什么职务"), or on a speaker line."""
    spans = []
    for m in SPEAKER_RE.finditer(raw):
        s, e = m.span("role")
        ctx = seg.context(s, e)
        spans.append(Span("entity", base + s, base + e, raw[s:e], own=m.group(0), clause=ctx["clause"],
                          sentence=ctx["sentence"], value=_compact(m.group("name"))))
    for pattern, action in ((APPOINT_RE, "任命"), (REMOVE_RE, "免去")):
        for m in pattern.finditer(raw):
            s, e = m.span("role")
            if action == "免去" and raw[s:e].endswith("职务"):
                e -= 2
            ctx = seg.context(m.start(), m.end())
            spans.append(
                Span(
                    "entity",
                    base + s,
                    base + e,
                    raw[s:e],
                    own=m.group(0),
                    clause=ctx["clause"],
                    sentence=ctx["sentence"],
                    before=ctx["before"],
                    value=m.group("name"),
                    action=action,
                )
            )
    return spans


def _term_mask(text: str, terms: tuple[str, ...]) -> list[bool]:
    marked = [False] * len(text)
    for term in terms:
        at = text.find(term)
        while at >= 0:
            for k in range(at, at + len(term)):
                marked[k] = True
            at = text.find(term, at + 1)
    return marked


def _trim_to_items(raw: str, s: int, e: int, terms: tuple[str, ...]) -> tuple[int, int]:
    """Cut what the question already says from the ends of an enumeration: the words before its
    first item up to the last question term there (…收入实现|“开门红”), and the words after its
    last item from the first question term there (嘉定区|考察 12345 热线) — unless that term opens
    the item itself (“半年红”)."""
    if not terms:
        return s, e
    text = raw[s:e]
    marked = _term_mask(text, terms)
    first, last = text.find("、"), text.rfind("、")
    if first < 0:
        return s, e
    head = [i for i in range(first) if marked[i]]
    lo = head[-1] + 1 if head else 0
    tail = [i for i in range(last + 1, len(text)) if marked[i]]
    hi = len(text)
    if tail and len(text[last + 1 : tail[0]].strip(_EDGE + "“”《》")) >= 2:
        hi = tail[0]
    while lo < hi and text[lo] in _EDGE:
        lo += 1
    while hi > lo and text[hi - 1] in _EDGE + "赴对向在从" and not _closes_open(text[lo:hi]):
        hi -= 1
    return (s + lo, s + hi) if hi - lo >= 4 else (s, e)


_PAIRS = {"）": "（", ")": "(", "”": "“", "》": "《", "」": "「"}


def _closes_open(text: str) -> bool:
    """Whether ``text`` ends in the bracket closing one it opened: 绿化市容（2.1%）keeps its ）."""
    opener = _PAIRS.get(text[-1:])
    return bool(opener) and text.count(opener) >= text.count(text[-1])


_QUOTE_RUN = re.compile(r"(?:[“《][^“”《》\n]{1,30}[”》]\s*[、和及与]?\s*){2,}")


def list_spans(raw: str, base: int, seg: Segments, terms: tuple[str, ...] = ()) -> list[Span]:
    """Runs of appointments/removals of the same kind, 、-enumerations within a clause and runs
    of quoted titles (“小区管理”“美丽家园”, 《预算法》和《……条例》)."""
    spans: list[Span] = []
    for pattern, action in ((APPOINT_RE, "任命"), (REMOVE_RE, "免去")):
        matches = list(pattern.finditer(raw))
        if len(matches) >= 2:
            s, e = matches[0].start(), matches[-1].end()
            names = "、".join(m.group("name") for m in matches)
            spans.append(
                Span(
                    "list",
                    base + s,
                    base + e,
                    raw[s:e],
                    own=raw[s:e],
                    clause=raw[s:e],
                    sentence=raw[s:e],
                    before="",
                    value=names,
                    action=action,
                )
            )
    for m in re.finditer(r"[^，；。！？,;!?\n]*、[^，；。！？,;!?\n]*", raw):
        c_start, c_end = m.span()
        first = raw.index("、", c_start)
        head = raw[c_start:first]
        cut = max(
            (head.rfind(w) + len(w) for w in ("是", "为", "：", ":", "包括", "在", "有") if w in head),
            default=0,
        )
        s = c_start + cut if cut else max(c_start, first - 16)
        e = c_end
        stop = raw.find("等", raw.rfind("、", c_start, c_end), c_end)
        if stop != -1:
            e = stop
        while s < e and raw[s].isspace():
            s += 1
        whole = raw[s:e]
        s, e = _trim_to_items(raw, s, e, terms)
        overlap = item_overlap(raw[s:e] if "、" in raw[s:e] else whole, terms)
        if e - s < 4:
            continue
        ctx = seg.context(s, e)
        spans.append(
            Span(
                "list",
                base + s,
                base + e,
                raw[s:e],
                own=head,
                after=raw[e:c_end],
                clause=ctx["clause"],
                sentence=ctx["sentence"],
                before=ctx["before"],
                value=raw[s:e],
                prior=1.0 - 0.5 * overlap,
            )
        )
    for m in _QUOTE_RUN.finditer(raw):
        s, e = m.start(), m.end()
        while e > s and raw[e - 1] in " \u3000、和及与":
            e -= 1
        ctx = seg.context(s, e)
        spans.append(Span("list", base + s, base + e, raw[s:e], value=raw[s:e], **ctx))
    return spans


def item_overlap(text: str, terms: tuple[str, ...]) -> float:
    """Share of an enumeration's items that repeat terms of the question (the items asked for
    are new to it; an enumeration of what the question already names is context, not answer)."""
    items = [i for i in re.split(r"[、，,]|和|及|与", text) if i.strip()]
    if len(items) < 2:
        return 0.0
    return sum(any(t in i for t in terms) for i in items) / len(items)


# words that settle a yes/no question: a decision, a whole, a none, a not-yet
VERDICT = re.compile(
    r"决定(?:批准|同意|接受|任命|免去)|同意|可行|全部|均为|均是|都是|均已|全面|无|没有|为零|零增长|未|不[予得再]|尚未|暂未|暂无|已经|已"
)
_VERDICT_ONLY = re.compile(r"(?:无|有|没有|暂无|是|否|不是|未|尚未)")
_VERDICT_CORE = re.compile(r"(?:决定|同意|建议)[^，；。《“]{0,14}?(?:批准|同意|通过|可行)")
VERDICT_PRIOR = 1.2
_YES_NO_MAX = 24  # a deciding clause longer than this is trimmed to its verdict


def clause_spans(raw: str, base: int, seg: Segments, kind: SpanKind) -> list[Span]:
    """Whole sentences (kind "text") or clauses (kind "yes_no") as fall-back answers.

    A yes/no clause carries the clause before it (its subject: 再融资债券额度为14.19亿元，全部为一般债券)
    and is preferred when it holds a verdict (决定批准, 全部为, 无, 暂未); a one-word verdict (无。)
    is a clause too, and a long deciding clause is also offered trimmed to its verdict (建议……批准)."""
    spans = []
    bounds = (
        list(zip([0, *seg.sent_ends[:-1]], seg.sent_ends, strict=True))
        if kind == "text"
        else _clauses(raw)
    )
    prev_text = ""
    for s, e in bounds:
        while s < e and (raw[s].isspace() or raw[s] in "，；。,;-•●"):
            s += 1
        while e > s and raw[e - 1].isspace():
            e -= 1
        text = raw[s:e]
        short_verdict = kind == "yes_no" and bool(_VERDICT_ONLY.fullmatch(text))
        if e - s < 4 and not short_verdict:
            if text:
                prev_text = text
            continue
        s_start, s_end = seg.sentence(s)
        prior = 1.0
        if kind == "yes_no":
            prior = 0.8 if re.search(r"\d", text) else 1.0
            prior *= VERDICT_PRIOR if VERDICT.search(text) else 1.0
        verdict = kind == "yes_no" and VERDICT.search(text) is not None
        core = _VERDICT_CORE.search(text) if kind == "yes_no" and len(text) > _YES_NO_MAX else None
        prior *= 0.7 if core else 1.0  # too long to be the answer; its verdict is offered below
        common = dict(sentence=raw[s_start:s_end], prev=prev_text if verdict or core else "")
        spans.append(
            Span(kind, base + s, base + e, text, own=text, clause=text, before=raw[s_start:s], value=text,
                 prior=prior, **common)
        )
        if core:
            # a decision outweighs a recommendation (建议……批准 is only the committee's advice)
            weight = 1.0 if core.group().startswith("建议") else 1.3
            cs, ce = s + core.start(), s + core.end()
            spans.append(
                Span(kind, base + cs, base + ce, raw[cs:ce], own=text, clause=text, before=raw[s_start:cs],
                     value=raw[cs:ce], prior=weight, **common)
            )
        prev_text = text
    return spans


def _clauses(raw: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _CLAUSE_END.finditer(raw):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(raw)))
    return out


def is_negative(text: str) -> bool:
    return bool(_NEGATION.search(text))


_PHRASE_CLAUSE = re.compile(r"[^，；。！？,;!?\n：:]+")
# names with a fixed shape: document numbers (沪财债〔2025〕25 号) and sessions (区十七届人大七次会议)
_NAMED = re.compile(
    r"[\u4e00-\u9fff]{1,6}〔\s*\d{4}\s*〕\s*\d+\s*号"
    r"|区?[一二三四五六七八九十]+届人大(?:常委会)?第?[一二三四五六七八九十]+次(?:会议)?"
)
_QUOTED = re.compile(r"“[^“”\n]{1,40}”|《[^《》\n]{1,40}》|「[^「」\n]{1,40}」|‘[^‘’\n]{1,40}’")
_EDGE = " \u3000　、，,。（）()：:的是为了在对"


def _question_mask(text: str, question: str) -> list[bool]:
    """Which characters of ``text`` lie in a two-character run that also occurs in the question."""
    marked = [False] * len(text)
    for i in range(len(text) - 1):
        pair = text[i : i + 2]
        if not pair.isspace() and pair in question:
            marked[i] = marked[i + 1] = True
    return marked


def _novel_part(text: str, question: str) -> tuple[int, int] | None:
    """The longest run of ``text`` the question does not already say, with the short head noun
    right after it (查处[公职人员……宴请问题]: 问题 comes from the question, but belongs to the answer)."""
    marked = _question_mask(text, question)
    n = len(text)
    best, best_len = None, 1
    i = 0
    while i < n:
        if marked[i]:
            i += 1
            continue
        j = i
        while j < n and not marked[j]:
            j += 1
        s, e = i, j
        while s < e and text[s] in _EDGE:
            s += 1
        while e > s and text[e - 1] in _EDGE:
            e -= 1
        if e - s > best_len:
            k = j
            while k < n and marked[k]:
                k += 1
            best, best_len = (s, k if 2 <= k - j <= 4 else e), e - s
        i = j
    return best


def phrase_spans(raw: str, base: int, seg: Segments, question: str, kind: SpanKind) -> list[Span]:
    """Short phrases naming a thing: quoted titles and names (“1号听”, 《……清单》) the question
    does not itself quote, and the part of each clause the question does not already say."""
    spans: list[Span] = []
    for m in _PHRASE_CLAUSE.finditer(raw):
        c_start, c_end = m.span()
        clause = raw[c_start:c_end]
        if len(clause.strip()) < 2:
            continue
        found = _novel_part(clause, question)
        bounds = [] if found is None else [(c_start + found[0], c_start + found[1], False)]
        bounds += [
            (c_start + q.start(), c_start + q.end(), True)
            for pattern in (_QUOTED, _NAMED)
            for q in pattern.finditer(clause)
            if q.group(0)[1:-1] not in question
        ]
        for s, e, quoted in bounds:
            ctx = seg.context(s, e)
            ctx["own"] = ctx["own"] or ctx["clause"][: max(0, s - c_start)]
            # a quoted name or title is likelier the thing asked for than a bare phrase
            spans.append(Span(kind, base + s, base + e, raw[s:e], value=raw[s:e], prior=1.0 if quoted else 0.9,
                              **ctx))
    return spans


_FIG = r"\d+(?:,\d{3})*(?:\.\d+)?\s*(?:" + _UNIT + r")?"
CHANGE_RE = re.compile(
    r"(?:由|从)[^，。；;\n]{0,20}?" + _FIG + r"[^，。；;\n\d]{0,12}?"
    r"(?:调整为|调增为|调减为|调整至|上升至|上升到|下降至|下降到|增加到|增加至|减少到|减少至|增至|降至|提高到|提高至|"
    r"提升至|提升到|升至|升到|降到|扩大到|扩大至|缩小到|缩小至)[^，。；;\n\d]{0,6}?" + _FIG
)


def change_spans(raw: str, base: int, seg: Segments) -> list[Span]:
    """A figure's before and after in one span: 由266.67亿元调整为282.36亿元, 从去年94%上升至今年97%."""
    spans = []
    for m in CHANGE_RE.finditer(raw):
        s, e = m.span()
        first = re.search(r"\d", raw[s:e])
        s = s + first.start() if first and raw[s] not in "由从" else s
        ctx = seg.context(s, e)
        unit = re.search(rf"({_UNIT})$", raw[s:e].rstrip())
        spans.append(Span("number", base + s, base + e, raw[s:e], unit=unit.group(1) if unit else None,
                          value=re.sub(r"\s+", "", raw[s:e]), **ctx))
    return spans
