"""Where each document (report, resolution, list …) of a source starts, its title and its header lines.

Structure is used where it exists and never required:

1. a 目录 whose entries are found in the body (the entry's title on one to four consecutive lines);
2. else datelines ("——2026年1月20日在…会议上", "（2026年2月11日…通过）"), each closing a title of
   one to four short lines above it;
3. else the whole text is one document, titled by its first title-like line.

Lines before the first document are the front matter (cover, 目录): kept, as document ``#00``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.ingest.text import Line
from qa.ingest.toc import ENTRY_NUMBER, plain_title, squash, tidy_title

_CN_NUM = "一二三四五六七八九十百零〇"
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATELINE = re.compile(r"^(?:(?:——?|—|－|-)[（(]?|[（(](?:——?)?)\d{4}年\d{1,2}月\d{1,2}日")
_ADOPTED = re.compile(r"通过[）)]$")
_DATELINE_END = re.compile(r"(?:会议上|会上|通过[）)]?|[）)]|讲话|报告)$")
# a dateline a web page prints without its dash: 「2026年1月23日在三亚市第八届人民代表大会第七次会议上」, maybe wrapped
_SENTENCE_MARKS = "。；，,：:"  # a dateline holds none of them
_BARE_DATELINE = re.compile(rf"^\d{{4}}年\d{{1,2}}月\d{{1,2}}日在[^{_SENTENCE_MARKS}]*$")
_BARE_DATELINE_END = re.compile(r"(?:会议上|会上)$")
_DATE_ONLY = re.compile(r"[（(]\d{4}年\d{1,2}月\d{1,2}日[）)]")  # a release date alone: 「(2026年6月23日)」
_MEETING = re.compile(rf"([^\s\d年月日在（(—]*第[{_CN_NUM}]+届人民代表大会(?:常务委员会)?第[{_CN_NUM}]+次会议)")
_SPEAKER = re.compile(
    r"^(?P<role>\S.{0,40}?(?:长|主任|书记|委员|主席|负责人|召集人|总监|总经理|代表))\s+"
    r"(?P<name>[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,3})$"
)
_ORGANIZATION = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}(?:局|委员会|政府|厅|办公室|委|院|部|中心|调查队|常委会|人大|政协|公司)$")
_BARE_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
_NOT_NAME_END = tuple("市县区省州镇乡村局委会厅办处部院所")
_SALUTATIONS = ("各位", "同志", "主任")  # 各位代表：, 同志们：, 主任、各位副主任 …: the report's first words
_WEB_META = re.compile(r"^(?:来源|时间|日期|发布时间|发布日期|浏览|访问量|责任编辑|作者|字号|【字号|打印|分享|当前位置|您当前所在位置|"
                       r"您的位置|您现在的位置|所在位置)[：:]?")
_CLOSERS = tuple("。！？；：…，、")
_TITLE_END = re.compile(r"(?:报告|公报|决议|决定|名单|议程|公告|意见|办法|规划|纲要|说明|汇报|讲话|通知|方案|草案[）)]|表|目录)$")
# what a title may end with after its word: a note on its form, a footnote's mark (「…统计公报[1]」)
_TITLE_NOTE = re.compile(r"(?:[（(](?:书面|摘要|代拟稿|审议稿)[）)]|\[\d{1,2}\])$")
_TITLE_PREFIX_LINE = re.compile(r"(?:会议|人民政府|常务委员会|人民代表大会|常委会)$")
TITLE_MAX = 40  # characters of one title line
TITLE_LINES = 4


@dataclass(frozen=True)
class DocStart:
    index: int  # index into the content lines where the document starts (its first title line)
    n_title: int  # title lines
    title: str


@dataclass(frozen=True)
class DocMeta:
    n_meta: int  # header lines after the title: dateline, speaker, web metadata
    date: str | None
    meeting: str | None
    role: str | None
    speaker: str | None
    organization: str | None


def iso_date(text: str) -> str | None:
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def dateline_lines(keys: Sequence[str], j: int, limit: int | None = None) -> int:
    """How many lines (1 to 4) the dateline starting at ``keys[j]`` takes; 0 if no dateline starts there.

    With its dash or bracket (「——2026年1月20日在…」, 「（2026年2月11日…通过）」) a line starts a dateline and may wrap
    up to three short lines to its end (会议上, 通过）…; one line when no end is found). Without them only a whole
    dateline counts: a date, 在, and 会议上 or 会上 ending the same line or a short line within three — never a
    sentence that starts with a date."""
    end = min(len(keys), j + 4, len(keys) if limit is None else limit)
    key = keys[j]
    dashed = bool(_DATELINE.match(key))
    if not dashed and not (_BARE_DATELINE.match(key) and len(key) <= TITLE_MAX * 2):
        return 0
    stop = _DATELINE_END if dashed else _BARE_DATELINE_END
    joined, m = key, j + 1
    while not stop.search(joined) and m < end and len(keys[m]) <= TITLE_MAX \
            and (dashed or not any(ch in _SENTENCE_MARKS for ch in keys[m])):
        joined += keys[m]
        m += 1
    if stop.search(joined):
        return m - j
    return 1 if dashed else 0


def web_furniture(line: str) -> bool:
    """A web page's own line: its date, source, views, font size, breadcrumb (当前位置：首页 > …)."""
    return bool(_WEB_META.match(re.sub(r"\s+", "", line)))


def ends_as_title(text: str) -> bool:
    """Whether a line ends as a document's title does (…的报告, …统计公报, …的决议（摘要）)."""
    return bool(_TITLE_END.search(_TITLE_NOTE.sub("", re.sub(r"[\s\u200b\ufeff]+", "", text))))


def title_like(key: str) -> bool:
    """A short line that could be (part of) a title: no sentence punctuation, not a date or a number. A line up to
    twice as long is one when it ends as a title does (a web page prints 「关于楚雄市2025年地方财政预算执行情况和2026年
    地方财政预算草案的报告（书面）」 on one line)."""
    limit = TITLE_MAX * 2 if ends_as_title(key) else TITLE_MAX
    return (2 <= len(key) <= limit and not key.endswith(_CLOSERS) and not re.search(r"[。；，]", key)
            and not _DATELINE.match(key) and not re.fullmatch(r"[\d.,%\s—-]+", key)
            and not re.match(r"^(?:[-*•]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)])", key)
            and not key.endswith(("通过）", "通过)", "会议上")))


# ---------------------------------------------------------------------------------------------------
# 1. from the 目录


def toc_starts(keys: Sequence[str], titles: Sequence[str], first: int) -> list[DocStart]:
    """Each TOC title found in order in the body keys (one to four lines joined; exact, then fuzzy)."""
    starts: list[DocStart] = []
    pos = first
    for title in titles:
        want, plain = squash(title), plain_title(title)
        if not want:
            continue
        # the body prints a numbered entry's title (「一、…决议」) without the 目录's number (so is the document's title),
        # or with it
        hit = _find_title(keys, plain, pos) if plain and plain != want else None
        if hit is not None:
            title = tidy_title(ENTRY_NUMBER.sub("", title.strip()))
        elif (hit := _find_title(keys, want, pos)) is None:
            continue
        j, n = hit
        starts.append(DocStart(j, n, title))
        pos = j + n
    return starts


def _find_title(keys: Sequence[str], want: str, pos: int) -> tuple[int, int] | None:
    for j in range(pos, len(keys)):
        if keys[j] == want:
            return j, 1
    for j in range(pos, len(keys)):
        joined = ""
        for n in range(1, TITLE_LINES + 1):
            if j + n > len(keys):
                break
            joined += keys[j + n - 1]
            if joined == want:
                return j, n
            if len(joined) >= len(want):
                break
    best, best_ratio = None, 0.0
    for j in range(pos, len(keys)):
        joined = ""
        for n in range(1, TITLE_LINES + 1):
            if j + n > len(keys):
                break
            joined += keys[j + n - 1]
            if abs(len(joined) - len(want)) <= 3:
                r = difflib.SequenceMatcher(None, joined, want, autojunk=False).ratio()
                if r > best_ratio:
                    best, best_ratio = (j, n), r
            if len(joined) > len(want) + 3:
                break
    return best if best_ratio >= 0.88 else None


# ---------------------------------------------------------------------------------------------------
# 2. from datelines


def dateline_starts(keys: Sequence[str]) -> list[DocStart]:
    starts: list[DocStart] = []
    floor = 0
    for j in range(1, len(keys)):
        if not dateline_lines(keys, j):
            continue
        above: list[int] = []
        k = j - 1
        date_only = bool(_DATE_ONLY.fullmatch(keys[j]))
        # web-page lines between the title and its dateline; above a release date alone, the issuing bodies too
        # (a bulletin's 「平顶山市统计局 国家统计局平顶山调查队」 / 「(2026年6月23日)」)
        while k >= floor and j - k <= 3 and (_WEB_META.match(keys[k]) or (date_only and _ORGANIZATION.match(keys[k]))):
            k -= 1
        while k >= floor and len(above) < TITLE_LINES and title_like(keys[k]) and not _DATELINE.match(keys[k]) \
                and not _WEB_META.match(keys[k]):
            above.insert(0, k)
            k -= 1
        if not above:
            continue
        above = _trim_title(keys, above)
        title = tidy_title("".join(keys[i] for i in above))
        starts.append(DocStart(above[0], len(above), title))
        floor = j + 1
    return starts


def _trim_title(keys: Sequence[str], idx: list[int]) -> list[int]:
    """Keep the title from its 关于 line (with an issuing-body line right above it), when it has one; else, when
    the lines hold two whole titles (a saved page's title, then the body's own, wrapped: 「…统计公报」 /
    「2025年泉州市」 / 「国民经济和社会发展统计公报」), the last one."""
    for n, i in enumerate(idx):
        if "关于" in keys[i]:
            if n > 0 and _TITLE_PREFIX_LINE.search(keys[idx[n - 1]]):
                return idx[n - 1:]
            return idx[n:]
    for n in range(len(idx) - 1, 0, -1):
        first, last = "".join(keys[i] for i in idx[:n]), "".join(keys[i] for i in idx[n:])
        if ends_as_title(first) and ends_as_title(last) and _same_title(first, last):
            return idx[n:]
    return idx


def _same_title(a: str, b: str) -> bool:
    """Two printings of one title (「最新！2025年泉州市…统计公报」, 「2025年泉州市…统计公报[1]」), not a title wrapped
    after a word a title may end with (「…第十五个五年规划」 / 「和二〇三五年远景目标纲要」)."""
    a, b = (_TITLE_NOTE.sub("", x) for x in (a, b))
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


# ---------------------------------------------------------------------------------------------------
# 3. one document


def first_title(keys: Sequence[str], fallback: str) -> DocStart:
    """The first title-like line (joined with a short next line that completes it), else the file name."""
    for j, key in enumerate(keys[:30]):
        if title_like(key) and not _WEB_META.match(key) and not re.fullmatch(r"\d{4}年?", key):
            n = 1
            if (j + 1 < len(keys) and not ends_as_title(key) and title_like(keys[j + 1])
                    and ends_as_title(keys[j + 1]) and len(key) + len(keys[j + 1]) <= 60):
                n = 2
            return DocStart(j, n, tidy_title("".join(keys[j:j + n])))
    return DocStart(0, 0, fallback)


# ---------------------------------------------------------------------------------------------------
# header lines after a title


def document_meta(lines: Sequence[Line], keys: Sequence[str]) -> DocMeta:
    """Dateline, speaker/organisation and web-page metadata lines right after a title (``lines`` start after it)."""
    n, date, meeting, role, speaker, org, web_date = 0, None, None, None, None, None, None
    after_dateline = -1  # the line right after the dateline
    k = 0
    limit = min(len(keys), 8)
    while k < limit:
        key = keys[k]
        if date is None and (n_date := dateline_lines(keys, k, limit)):
            m = k + n_date
            joined = "".join(keys[k:m])
            date = iso_date(joined)
            mm = _MEETING.search(joined)
            meeting = mm.group(1) if mm else None
            k = n = after_dateline = m
            if _ADOPTED.search(joined):
                break  # 「（…会议通过）」: a resolution the meeting adopted; its text follows, no reporter or body line
            continue
        if speaker is None and (sm := _SPEAKER.match(lines[k].stripped)):
            role, speaker = re.sub(r"\s+", "", sm.group("role")), re.sub(r"\s+", "", sm.group("name"))
            k = n = k + 1
            continue
        if speaker is None and _ORGANIZATION.match(key):
            org = org or key
            k = n = k + 1
            continue
        if speaker is None and org is None and k == after_dateline and _bare_name(key) \
                and k + 1 < len(keys) and keys[k + 1].startswith(_SALUTATIONS):
            speaker = key  # 「廖  星  辉」 between the dateline and 「各位代表：」: the reporter, named without a role
            k = n = k + 1
            continue
        if _WEB_META.match(key) or (date is None and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", key)):
            if _WEB_META.match(key):
                web_date = web_date or _web_date(key) or iso_date(key)
            elif date is None:
                date = iso_date(key)
            k = n = k + 1
            continue
        break
    date = date or web_date
    if date is None:  # notices: "2025年6月24日…会议审议决定："
        for key in keys[:2]:
            if (d := iso_date(key)) and _MEETING.search(key):
                date, meeting = d, _MEETING.search(key).group(1)
                break
    return DocMeta(n, date, meeting, role, speaker, org)


def _bare_name(key: str) -> bool:
    """A person's name alone on its line: a known surname and one or two characters more (two after a surname of
    two), and not a place or an office (市, 县, 区, 局, 会 …)."""
    from qa.names import surnames  # the surname list, read when a dateline is followed by such a line

    if not _BARE_NAME.fullmatch(key) or key.endswith(_NOT_NAME_END):
        return False
    return (len(key) <= 3 and key[0] in surnames()) or (len(key) >= 3 and key[:2] in surnames())


def _web_date(key: str) -> str | None:
    m = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", key)
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None
