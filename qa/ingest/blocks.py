"""The lines of one document → blocks: headings, paragraphs, list items, notes, table rows, page furniture.

Sections are numbered 第一部分 ▸ 一、 ▸ （一） ▸ 1. ▸ (1); a short unpunctuated line between finished
paragraphs is a heading that lost its number. A paragraph is re-joined across line wraps and page breaks
(the furniture between its halves becomes a gap). Tables are read where their columns can be recovered:

- TAB-separated rows (web pages, DOCX, the seed bulletin): the first row after a caption is the header;
- rows of a label followed by numbers separated by spaces (PDF text): inside a table started by a caption
  (表6, 2.5 …表, 专栏三) or a 单位： line, or two such rows in a row; the lines between the caption and the
  first row are the header, whose columns are recovered when its lines split into as many parts as there
  are numbers.

Where columns cannot be recovered the lines stay paragraphs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from qa.ingest.text import Line, display_width, repair
from qa.types import Block, BlockKind, Document, Span

_CN_NUM = "一二三四五六七八九十百零〇"
_LEVEL3_NUMBERED = re.compile(r"^(\d{1,2})[.．、](?!\d)")  # 「1.」「2、」: level 3's numbering (the number its group)
_HEADING_LEVELS = (
    (0, re.compile(rf"^(?:第[{_CN_NUM}\d]+(?:部分|章|篇)|附件\d*[：:]?$|附\s*表$)")),
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3, _LEVEL3_NUMBERED),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
)
_LEVEL3_SPACED = re.compile(r"^\d{1,2}\s+[\u4e00-\u9fff]")  # "1 总体情况": a number, a space, words
# … not a figure spaced from its unit or counter word, which then ends a clause or the line ("79 万元，", "30 个，",
# "12 公里"), nor a line that goes on as a sentence (a clause break in it); "1 个人所得税" and "3 名城保护" are headings
_SPACED_FIGURE = re.compile(r"^\d{1,2}\s+(?:余|多)?(?:(?:[万亿千百]*(?:元|美元|人次|人|户|吨|亩|平方米|平方公里|公里|公顷|千瓦时"
                            r"|千瓦|辆|套|家|项|个|名|次|件|批|所|座|条|处|台|周年)|%|％|‰|个百分点|倍)(?:[，。、；：）)\d]|$)"
                            r"|[万亿]+(?:元|人|吨|亩|平方米|千瓦)|平方米|平方公里|公里|公顷|个百分点|[%％‰])")  # 「15 万元用于…」
# a numbered term and its definition, a sentence after a colon: a glossary entry (名词解释), content rather than a
# heading: 「26.治安“三张图”：治安态势感知图、风险隐患图、可用资源图。」 (a heading ends at its colon, if it has one)
_DEFINITION = re.compile(r"[：:][^：:]{4,}。$")
_CLOSERS = tuple("。！？；：…”’）)」』】!?;:")
_ITEM_ENDS = ("。", "；")  # how a note's numbered item (a sentence) ends
_WRAPPED_DEFINITION = re.compile(r"[：:][^：:]{4,}$")  # a term's colon with the definition going on after it
_CAPTION = re.compile(rf"^(?:(?:附表|表|专栏|图)\s*[{_CN_NUM}\d]+(?:[-—.．]\d+)?|\d{{1,2}}\.\d{{1,2}}(?= ?\S*表)|表格)")
def _tabbed(raw: str) -> bool:
    """A line of TAB-separated cells (web pages, DOCX, workbooks, ruled PDF tables)."""
    return "\t" in raw.strip("\t\n \f") or raw.count("\t") >= 2


_TABLE_TITLE = re.compile(r"[\u4e00-\u9fff]{2}[表单](?:[（(][^）)]{1,12}[)）])?$")  # …收入预算表, …明细表（草案）
_CONTINUED = re.compile(r"^[（(]续表?[）)]$|^续表$")
_NOTE = re.compile(r"^(?:注|说明|备注|资料来源)\s*\d*[：:]")
_UNIT = re.compile(r"^(?:单位|金额单位|计量单位)[：:]")
_NUM_CELL = re.compile(r"^[-−–]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[%％‰]?$")
_UNIT_LEAD = re.compile(r"[亿万千百元%％‰个倍户项家次件吨台辆套所座条]|人次|人[，。、）)]|公里|平方")
_EMPTY_CELL = re.compile(r"^(?:[-—–/／…]{1,3}|－)$")
_HTML_TAG = re.compile(r"<[^>]*>")
# a line that starts with a unit and goes on as a sentence: the number ending the line above belongs to it
_UNIT_NEXT = re.compile(r"^(?:[亿万千百]?(?:元|美元|人次|人|户|吨|亩|平方米|平方公里|公里|千瓦时|千瓦|辆|套|家|项|个)|%|％|‰|个百分点|倍)"
                        r"[，。、；：）)]")
# a heading's last word (「关于2024年省对市县税收返还及转移支付情况的说明」, as wide as a line of prose)
_TITLE_WORD_END = re.compile(r"(?:说明|情况|报告|决议|决定|意见|办法|方案|规划|纲要|公告|通知|名单|议程)$")
PROSE_LINES = 50  # wrapped prose lines needed to read a page's full line width
FULL_LINE_SLACK = 3  # a line this close to the full width is full: a paragraph's first line is indented by two, and
# a justified line may hold one character fewer
TABLE_LOOKAHEAD = 8  # content lines looked ahead for the next row before a label-only line ends a table
LABEL_MAX = 40
MAX_HEADER_ROWS = 4  # rows a TAB table's header may take (group ▸ column ▸ sub-column, and one more)


@dataclass
class ContentLine:
    """A non-blank line of the document, with its repaired text and whether it is page furniture."""

    line: Line
    key: str
    furniture: bool = False
    toc: bool = False


def heading_level(key: str, raw: str = "") -> int | None:
    for level, pattern in _HEADING_LEVELS:
        if pattern.match(key):
            return level
    spaced = raw.strip()
    if spaced and _LEVEL3_SPACED.match(spaced) and not _SPACED_FIGURE.match(spaced) \
            and not re.search(r"[，；。,;]", spaced):  # 「28 个指标开展综合评价，总体看，…」: a wrapped sentence
        return 3
    return None


def prose_width(keys: Sequence[str]) -> float | None:
    """The printed width of a full line of wrapped prose, in Chinese characters: the most common width (with the
    widths one either side) of the unnumbered lines that hold a clause break (，、。) and run on to the next line.
    None when lines are whole paragraphs or no width stands out (fewer than PROSE_LINES such lines, or the
    commonest width holds under a fifth of them)."""
    widths = Counter(round(display_width(k)) for k in keys
                     if k and not k.endswith(_CLOSERS + ("，", "、")) and re.search(r"[，、。]", k[:-1])
                     and heading_level(k) is None)  # 「一、教育支出」 is a table's label, no prose
    n = sum(widths.values())
    if n < PROSE_LINES:
        return None
    near = {w: widths[w - 1] + widths[w] + widths[w + 1] for w in widths}  # a justified line is one wider or narrower
    width = max(near, key=lambda w: (near[w], widths[w]))
    return float(width) if near[width] >= n / 5 else None


def clean_cell(cell: str) -> str:
    """A table cell as plain text: HTML tags dropped, ● bullets become items separated by ；."""
    text = _HTML_TAG.sub(" ", cell)
    items = [re.sub(r"\s+", " ", it).strip() for it in re.split(r"[●•▪]", text)]
    items = [repair(it) if not it.isascii() else it for it in items if it]
    return "".join(it if it[-1] in "。；！？;" else it + "；" for it in items[:-1]) + (items[-1] if items else "")


def _tokens(line: Line) -> list[tuple[str, Span]]:
    """The line's words (runs of non-space characters) with their source spans."""
    return [(m.group(), (line.start + m.start(), line.start + m.end())) for m in re.finditer(r"\S+", line.text)]


def numeric_row(line: Line, source: str) -> list[tuple[str, Span]] | None:
    """[label, value, value …] with source spans when the line is a label followed by numbers, else None."""
    tokens = _tokens(line)
    k = len(tokens)
    while k > 0 and (_NUM_CELL.match(tokens[k - 1][0]) or _EMPTY_CELL.match(tokens[k - 1][0])):
        k -= 1
    values = tokens[k:]
    if not values or not any(_NUM_CELL.match(v) for v, _ in values) or k == 0:
        return None
    span = (tokens[0][1][0], tokens[k - 1][1][1])
    label = repair(source[span[0]:span[1]]).strip("\f")
    if (not label or len(label) > LABEL_MAX or re.search(r"[。；，：:]$|[。；，]", label)
            or not re.search(r"[\u4e00-\u9fffA-Za-z]", label)):
        return None
    return [(label, span)] + values


def two_panels(line: Line, source: str) -> tuple[list[tuple[str, Span]], list[tuple[str, Span]]] | None:
    """A line of two tables printed side by side (收入 | 支出 in a 收支平衡表: 「一般公共预算总收入 8360187 11662851
    一般公共预算总支出 8360187 11662851」): the left table's row and the right one's, with as many figures (two or
    more) or none (「二、上级补助收入 3915848 4786011 二、补助下级支出」); None for any other line. ``numeric_row``
    reads the first as one row whose label ends where the last figures begin."""
    tokens = _tokens(line)
    numeric = [bool(_NUM_CELL.match(t) or _EMPTY_CELL.match(t)) for t, _ in tokens]
    first = next((k for k, n in enumerate(numeric) if n), 0)
    second = next((k for k in range(first, len(tokens)) if not numeric[k]), None)
    third = next((k for k in range(second, len(tokens)) if numeric[k]), len(tokens)) if second else None
    if not first or second is None or any(not n for n in numeric[third:]) or second - first < 2 \
            or len(tokens) - third not in (0, second - first) \
            or not any(_NUM_CELL.match(t) for t, _ in tokens[first:second]):
        return None  # each half's figures in the same columns, two or more: 「（一）夯实 12345 热线工作基础」 is a heading
    labels = [(repair(source[tokens[x][1][0]:tokens[y - 1][1][1]]), (tokens[x][1][0], tokens[y - 1][1][1]))
              for x, y in ((0, first), (second, third))]
    if not all(len(re.findall(r"[\u4e00-\u9fff]", lab)) >= 2 and not lab[0].isdigit() and len(lab) <= LABEL_MAX
               and not re.search(r"[。；，：:]", lab) for lab, _ in labels) or _UNIT_LEAD.match(labels[1][0]):
        return None  # 「…债务收入 776.21 亿元（新增一般债券收入 287.25」 is a wrapped sentence: a unit follows its figure
    return [labels[0], *tokens[first:second]], [labels[1], *tokens[third:]]


def values_only(line: Line) -> list[tuple[str, Span]] | None:
    """The cells of a line of numbers only (a row whose label is on the line above), else None."""
    tokens = _tokens(line)
    if len(tokens) < 2 or not all(_NUM_CELL.match(t) or _EMPTY_CELL.match(t) for t, _ in tokens):
        return None
    return tokens if sum(bool(_NUM_CELL.match(t)) for t, _ in tokens) >= 2 else None


def header_columns(lines: Sequence[Line], n_values: int) -> tuple[str, ...]:
    """Column names of a space-aligned table: header lines that split into ``n_values`` parts, stacked. A line
    of fewer parts above them names groups of columns when the names below start each group again: 「地方政府债务限额
    地方政府债务余额」 over 「合计 一般债务 专项债务 合计 一般债务 专项债务」 gives 地方政府债务余额合计 for the fourth,
    「2025年执行数 2026年预算数」 over 「金额 金额 增长%」 gives 2026年预算数增长% for the third."""
    stacked: list[list[str]] = []
    groups: list[list[str]] = []  # lines of fewer parts, before the first full one
    for ln in lines:
        text = ln.text.strip().strip("\f")
        parts = [repair(p) for p in re.split(r"\s{2,}|\t", text) if p.strip()]
        words = text.split()
        if len(parts) == 1 and len(words) in (n_values + 1, 2 * (n_values + 1)) and all(
                re.search(r"[\u4e00-\u9fff]", w) and not re.search(r"\d{3}", w) for w in words):
            parts = words  # a PDF's text line parts its words by one space: 「收入分类 预算数 执行数 占预算的%」
        merged: list[str] = []
        for part in parts:  # a spaced-out word ("项  目") is one part
            if merged and len(part) == 1 and len(merged[-1]) <= 3 and re.match(r"[\u4e00-\u9fff]", part) \
                    and re.match(r"[\u4e00-\u9fff]+$", merged[-1]):
                merged[-1] += part
            else:
                merged.append(part)
        parts = merged
        if len(parts) == 2 * (n_values + 1) and parts[:n_values + 1] == parts[n_values + 1:]:
            parts = parts[:n_values + 1]  # two tables side by side, one header each: 「项目 预算数 执行数 项目 预算数 执行数」
        if len(parts) == n_values + 1:
            parts = parts[1:]
        if len(parts) == n_values:
            stacked.append(parts)
        elif not stacked and 1 < len(parts) < n_values and not any(re.search(r"[：:]|单位", p) for p in parts):
            groups.append(parts)  # (a line that says 单位：万元 or 2025年12月31日 beside it names no columns)
    if not stacked:
        return ()
    if groups:  # only the line right above the names: a line above it would be spread over groups, not names
        spread = _spread(groups[-1], stacked[0])
        if spread:
            stacked.insert(0, spread)
    return tuple("".join(col) for col in zip(*stacked, strict=True))


def _spread(groups: Sequence[str], names: Sequence[str]) -> list[str] | None:
    """Each group name over its columns, when the first column's name starts as many groups below as there are
    group names (合计 一般债务 专项债务 | 合计 一般债务 专项债务; 金额 | 金额 增长%); else None."""
    starts = [k for k, name in enumerate(names) if name == names[0]]
    if len(starts) != len(groups):
        return None
    ends = [*starts[1:], len(names)]
    return [g for g, a, b in zip(groups, starts, ends, strict=True) for _ in range(a, b)]


MAX_SHIFT = 3  # characters a laid-out number may stand off its column's right edge
CONFIRM_SHIFT = 0  # two full rows whose numbers end within this many characters of each other set the columns


def column_of(source: str, pos: int) -> int:
    """Where ``pos`` stands in its printed line: characters from the line's start, form feeds not counted (a
    page number split off the line's front still counts, as it stood in the layout)."""
    start = source.rfind("\n", 0, pos) + 1
    return pos - start - source.count("\f", start, pos)


def place_values(edges: Sequence[int], anchors: Sequence[int], percent: Sequence[bool] = (),
                 columns_percent: Sequence[bool] = ()) -> list[int] | None:
    """The value column of each number of a laid-out row that lost its empty cells: the order-keeping match of
    the numbers' right edges (laid-out numbers are right-aligned) to the columns' that strays least, when every
    number stands within MAX_SHIFT characters of its column (and less than a third of the narrowest gap between
    columns) and a number with a % sign only goes to a column of them (and one without, to one without) — else
    None (the numbers are taken in order, as before).
    "车船税            104" under "契税  33,500  38,087  113.7  80.7": 104 is the second value, not the first."""
    if not edges or len(edges) >= len(anchors):
        return None
    gaps = [b - a for a, b in pairwise(anchors)]
    limit = min(MAX_SHIFT, (min(gaps) - 1) // 3) if gaps else MAX_SHIFT
    if limit < 1:
        return None
    fits = None
    if percent and columns_percent:
        def fits(i: int, j: int) -> bool:
            return percent[i] == columns_percent[j]
    return monotone_match(edges, anchors, [limit] * len(anchors), fits)


def monotone_match(points: Sequence[float], targets: Sequence[float], limits: Sequence[float],
                   fits: Callable[[int, int], bool] | None = None, skip: float | None = None) -> list[int | None] | None:
    """For points and targets in left-to-right order, the target of each point (each target taken once, the
    order kept) that minimises the summed distance, no point farther from its target than that target's limit
    (and ``fits(i, j)`` where given). With ``skip``, a point may go unplaced (None) at that cost; without, None
    when not every point can be placed."""
    n, m = len(points), len(targets)
    inf = float("inf")
    drop = inf if skip is None else skip
    cost = [[inf] * (m + 1) for _ in range(n + 1)]  # cost[i][j]: the first i points on the first j targets
    for j in range(m + 1):
        cost[0][j] = 0.0
    for i in range(1, n + 1):
        cost[i][0] = cost[i - 1][0] + drop
        for j in range(1, m + 1):
            d = abs(points[i - 1] - targets[j - 1])
            ok = d <= limits[j - 1] and (fits is None or fits(i - 1, j - 1))
            cost[i][j] = min(cost[i][j - 1], cost[i - 1][j] + drop, cost[i - 1][j - 1] + (d if ok else inf))
    if cost[n][m] == inf:
        return None
    out: list[int | None] = []
    i, j = n, m
    while i > 0:  # walk back along a best path
        if j > 0 and cost[i][j] == cost[i][j - 1]:
            j -= 1
        elif cost[i][j] == cost[i - 1][j] + drop:
            out.append(None)
            i -= 1
        else:
            out.append(j - 1)
            i, j = i - 1, j - 1
    return out[::-1]


def _header_parts(source: str, line: Line) -> list[tuple[str, float, float]]:
    """The words of a laid-out header line with where they stand in the printed line (``column_of``): parts
    parted by two spaces or more, or by one between two Chinese words ("决算数为 决算数为" heads two columns); a
    spaced-out word of up to four characters ("项   目", "预 算 科 目") is one part."""
    out: list[list] = []  # [text, start, end, spaced-out]
    for m in re.finditer(r"[^\s\f]+", line.text):
        text = m.group()
        a, b = column_of(source, line.start + m.start()), column_of(source, line.start + m.end())
        gap = a - out[-1][2] if out else 0
        single = len(text) == 1 and re.match(r"[\u4e00-\u9fff]", text) is not None
        if out and gap == 1 and not (_HAN_WORD.fullmatch(text) and _HAN_WORD.fullmatch(out[-1][0])):
            out[-1][0] += " " + text
            out[-1][2], out[-1][3] = b, False
        elif out and single and out[-1][3] and gap <= 4 and len(out[-1][0]) <= 3:
            out[-1][0] += text
            out[-1][2] = b
        else:
            out.append([text, a, b, single])
    return [(repair(t), a, b) for t, a, b, _ in out]


_LONE_HAN = re.compile(r"[\u4e00-\u9fff]")
HEADER_SKIP = 100.0  # what leaving a header word unplaced costs (characters of distance): any placement is better
# the end of a table's title: …决算情况表, …表（按功能分类）, or its wrapped bracket alone: （按功能分类） (not （亿元）)
_TITLE_PART = re.compile(r"..表(?:[（(][^）)]*[)）])?$|^[（(][\u4e00-\u9fff]{4,}[)）]$")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff][^\s]*[\u4e00-\u9fff%％]")  # two characters or more, Chinese at both ends (数的%)


def header_by_position(source: str, lines: Sequence[Line], centers: Sequence[float],
                       label_center: float) -> tuple[str, ...]:
    """Column names of a laid-out table by where each header word stands. The targets are the label column
    (``label_center``, the middle of the first full row's label column) and each value column (``centers``, the middle of a
    full row's numbers); the words of one header line go to distinct targets in their order, each no farther
    than the nearest other target is (a header word may stand well left of right-aligned numbers), the nearest
    over the whole line;
    a word that fits no column, or is wider than two (a title, a group's name), is left out. Words on the label column (项目,
    预算科目) are no column's; a column's words are stacked from the top line down. Empty when fewer than half
    the value columns get a name (a header not laid out)."""
    if not centers:
        return ()
    targets = [label_center, *centers]
    limits = []
    for k, t in enumerate(targets):
        near = [abs(t - o) for o in (targets[k - 1] if k else None, targets[k + 1] if k + 1 < len(targets) else None)
                if o is not None]
        limits.append(max(2.0, min(near)) if near else 6.0)
    pitch = min((b - a for a, b in pairwise(targets)), default=12.0)
    names: list[list[str]] = [[] for _ in centers]
    for ln in lines:
        # a word wider than two columns is a title or a group's name over several columns, one that ends in 表 a
        # wrapped title's last line (…决算情况表), a lone character half of a widely spaced word (项      目):
        # no column's own
        parts = [p for p in _header_parts(source, ln) if p[2] - p[1] <= 2 * pitch + 2 and not _TITLE_PART.search(p[0])
                 and not _LONE_HAN.fullmatch(p[0])]
        where = monotone_match([(a + b) / 2 for _, a, b in parts], targets, limits, skip=HEADER_SKIP)
        for (text, _, _), k in zip(parts, where or (), strict=False):
            if k:  # neither unplaced (None) nor on the label column (0)
                names[k - 1].append(text)
    if 2 * sum(bool(n) for n in names) < len(centers):
        return ()
    return tuple("".join(n) for n in names)


def _fields(columns: Sequence[str], values: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """A space table row's text after its label, and its header: 预算数：860｜决算数：5,473 when the table's
    columns name each value (an empty cell left out), else the values in order."""
    if columns and len(columns) == len(values):
        return "｜".join(f"{h}：{v}" for h, v in zip(columns, values, strict=True) if v), ("", *columns)
    return " ".join(v for v in values if v), ()


def _continues_header(columns: Sequence[str], cells: Sequence[str]) -> bool:
    """A row right under a TAB table's header that is more header (PDF tables with 一般公共预算收入 ▸ 完成数
    ▸ 金额 on three rows): as many cells, no figure and no dash, at least two names, and each name under an
    empty header cell or under one that spans the empty cells after it. A row of names under a full header
    (姓名 | 职务 then 张三 | 局长) is data."""
    if len(cells) != len(columns):
        return False
    named = [(k, c.strip()) for k, c in enumerate(cells) if c.strip()]
    if len(named) < 2 or any(_NUM_CELL.match(c) or _EMPTY_CELL.match(c) for _, c in named):
        return False

    def spans(k: int) -> bool:
        return k + 1 < len(columns) and not columns[k + 1].strip()

    return all(not columns[k].strip() or spans(k) for k, _ in named)


def stack_header(columns: Sequence[str], cells: Sequence[str]) -> tuple[str, ...]:
    """Each column's name with the row below stacked under it; an empty header cell continues the name to
    its left (a cell spanning several columns), as far as the row below names columns."""
    filled, last = [], ""
    for k, (top, low) in enumerate(zip(columns, cells, strict=True)):
        top = top.strip()
        if top or k == 0:
            last = top
        elif low.strip():
            top = last
        else:
            last = ""
        filled.append(" ".join(p for p in (top, low.strip()) if p))
    return tuple(filled)


@dataclass
class _Table:
    caption: str
    header_lines: list[Line] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # one per value column (space tables), or per cell (tab tables)
    rows: int = 0
    tabbed: bool = False
    header_only: bool = True  # no data row yet: a further header row may stack under the first
    header_keys: list[str] = field(default_factory=list)  # each header row as written: a repeat is no data
    anchors: tuple[int, ...] = ()  # space tables: where each value column's numbers end in their printed line
    centers: tuple[float, ...] = ()  # … where their middle is, and which hold a % sign (of the rows that set them)
    percent: tuple[bool, ...] = ()
    fullest: tuple[int, ...] = ()  # the numbers' right edges of the fullest row not yet confirmed by another
    fullest_widths: tuple[int, ...] = ()  # … and where its label ends and how wide its numbers are


@dataclass(frozen=True)
class _Span:
    """Where a block of whole or cut lines starts and ends, the furniture lines inside it, their spans, its text."""

    start: int
    end: int
    furniture: tuple[ContentLine, ...]
    gaps: tuple[Span, ...]
    text: str


class BlockParser:
    """Turns the content lines of one document into blocks."""

    def __init__(self, doc: Document, lines: Sequence[ContentLine], source: str, width: int,
                 full_width: float | None = None):
        self.doc = doc
        self.lines = list(lines)
        self.source = source
        self.width = width  # the usual length of a wrapped line (large when lines are whole paragraphs)
        self.full_width = full_width  # the printed width of a full line of wrapped prose (prose_width), if any
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []
        self.table: _Table | None = None
        self.merged_breaks = 0
        self.kinds: list[str] = []

    # -- output ---------------------------------------------------------------------------------------

    def _add(self, kind: BlockKind, text: str, start: int, end: int, **extra) -> None:
        self.blocks.append(Block(
            block_id=f"{self.doc.doc_id}:{len(self.blocks):04d}", doc_id=self.doc.doc_id,
            section_path=tuple(t for _, t in self.path), kind=kind, text=text, start=start, end=end, **extra,
        ))

    def _line_block(self, kind: BlockKind, cl: ContentLine, **extra) -> None:
        s, e = cl.line.content_span
        self._add(kind, cl.key, s, e, **extra)

    # -- classification ---------------------------------------------------------------------------------

    def _kind(self, i: int) -> str:
        cl = self.lines[i]
        key, raw = cl.key, cl.line.text
        if cl.furniture:
            return "furniture"
        if cl.toc:
            return "toc"
        if _tabbed(raw):
            return "tab_row"
        if raw.strip().startswith(("- ", "* ", "• ")):
            return "list"
        if _CONTINUED.match(key):
            return "continued"
        if _NOTE.match(key):
            return "note"
        if _UNIT.match(key) and len(key) <= 30:
            return "unit"
        if _CAPTION.match(key) and len(key) <= 60 and "。" not in key:
            return "caption"
        if _TABLE_TITLE.search(key) and len(key) <= 60 and "。" not in key and self._after_break(i) \
                and self._table_follows(i):
            return "caption"  # 「2025年一般公共预算收入表」 alone (no 表N), over its unit line or rows
        if self._unit_follows(i):  # a sentence wrapped between a number and its unit
            return "paragraph"
        if numeric_row(cl.line, self.source) or two_panels(cl.line, self.source):
            return "num_row"
        if values_only(cl.line):
            return "values"
        level = heading_level(key, raw)
        if level == 3 and self._note_item(i):
            return "note"
        if level == 3 and not _LEVEL3_NUMBERED.match(key) and self.full_width is not None \
                and display_width(key) >= self.full_width - FULL_LINE_SLACK:
            level = None  # 「30 个项目列入…」 as wide as the prose: a sentence wrapped after its number, no 「1 总体情况」
        if level is not None and len(key) <= 60 and "。" not in key[:-1] and not key.endswith(("，", "、", ",")) \
                and not _DEFINITION.search(key) and not self._wrapped_definition(i, key):
            return "heading"
        return "paragraph"

    def _note_item(self, i: int) -> bool:
        """Whether line ``i``, numbered 「n.」, goes on numbering a note: 「注：1.本公报未包括…」 then 「2.本公报所列数据为
        初步统计数，…」 and 「3.…」 are the note's items, not headings (a statistical bulletin's closing notes). Only a
        sentence (ending 。 or ；) on the lines right after the note's items is one: 「2.政府性基金预算收支情况」 after a
        note, or a numbered sentence after a paragraph, is a heading as before."""
        m = _LEVEL3_NUMBERED.match(self.lines[i].key)
        if m is None or not self.lines[i].key.endswith(_ITEM_ENDS):
            return False
        wanted = int(m.group(1)) - 1
        for j in range(i - 1, -1, -1):
            key = self.lines[j].key
            if self.lines[j].furniture or not key:
                continue
            if _NOTE.match(key):
                return re.match(rf"{_NOTE.pattern}\s*{wanted}[.．、](?!\d)", key) is not None
            prev = _LEVEL3_NUMBERED.match(key)
            if prev is None or int(prev.group(1)) != wanted or not key.endswith(_ITEM_ENDS):
                return False  # the items are consecutive sentences, each numbered one more
            wanted -= 1
        return False

    def _wrapped_definition(self, i: int, key: str) -> bool:
        """A numbered term and the start of its definition, wrapped by a PDF's lines: 「8.公物仓：是对行政事业单位
        长期闲置、低效运转的资产实」 + 「行统一管理…的运作平台。」, a glossary (名词解释) entry (``_DEFINITION`` reads one
        that fits on its line). The line is full: the prose line it runs into is no wider. A heading with a subtitle
        after its colon (「二、主要任务：稳增长、促改革、惠民生」) is followed by a wider line of text, or by a table."""
        if key.endswith(_CLOSERS) or not _WRAPPED_DEFINITION.search(key):
            return False
        j = self._next_content(i)
        if j is None:
            return False
        nxt, line = self.lines[j].key, self.lines[j].line
        if heading_level(nxt) is not None or _CAPTION.match(nxt) or _UNIT.match(nxt) or _NOTE.match(nxt) \
                or "\t" in line.text or numeric_row(line, self.source) or values_only(line):
            return False
        return display_width(nxt) <= display_width(key) + 3  # the slack of a line's end (a closing mark, a digit)

    def _unit_follows(self, i: int) -> bool:
        """The line ends with a number whose unit starts the next line ("…收入 287.25" + "亿元、…")."""
        if not re.search(r"[\d亿万千百]$", self.lines[i].key):
            return False
        j = self._next_content(i)
        return j is not None and bool(_UNIT_NEXT.match(self.lines[j].key))

    def _after_break(self, i: int) -> bool:
        """The line starts the text or follows a blank line (not the wrapped end of a caption above it)."""
        j = i - 1
        while j >= 0 and self.lines[j].furniture:
            j -= 1
        return j < 0 or self.source.count("\n", self.lines[j].line.end, self.lines[i].line.start) >= 2

    def _table_follows(self, i: int) -> bool:
        """TAB-separated rows follow, next or after the table's unit line (单位：万元)."""
        j = self._next_content(i)
        if j is not None and _UNIT.match(self.lines[j].key) and len(self.lines[j].key) <= 30:
            j = self._next_content(j)
        return j is not None and not self.lines[j].toc and _tabbed(self.lines[j].line.text)

    def _next_content(self, i: int) -> int | None:
        j = i + 1
        while j < len(self.lines) and self.lines[j].furniture:
            j += 1
        return j if j < len(self.lines) else None

    # -- the walk -----------------------------------------------------------------------------------------

    def parse(self, n_title: int, n_meta: int) -> list[Block]:
        i = 0
        content_seen = 0
        self.kinds = kinds = [self._kind(j) for j in range(len(self.lines))]
        while i < len(self.lines) and content_seen < n_title + n_meta:
            cl = self.lines[i]
            if cl.furniture:
                self._line_block("furniture", cl)
            elif content_seen < n_title:
                last, taken = i, 1
                while taken < n_title and last + 1 < len(self.lines):
                    last += 1
                    taken += not self.lines[last].furniture
                self._joined("heading", i, last)
                content_seen += taken
                i = last + 1
                continue
            else:
                self._line_block("note", cl)
                content_seen += 1
            i += 1
        while i < len(self.lines):
            kind = kinds[i]
            if kind == "furniture":
                self._line_block("furniture", self.lines[i])
                i += 1
                continue
            nxt_i = self._next_content(i)
            nxt = kinds[nxt_i] if nxt_i is not None else None
            if self.table and not self.table.tabbed and kind in ("paragraph", "heading", "num_row", "values"):
                kind = self._in_space_table(i, kind)
            elif kind == "values":
                kind = "paragraph"
            elif kind == "num_row":  # outside a table, two rows in a row start one
                after = self._next_content(nxt_i) if nxt_i is not None else None
                if nxt == "num_row" or (after is not None and kinds[after] == "num_row"):
                    self.table = _Table(caption=self._section_caption())
                else:
                    kind = "paragraph"
            if kind == "paragraph" and self._table_follows(i) and len(self.lines[i].key) <= 60 \
                    and not self.lines[i].key.endswith(_CLOSERS):
                kind = "caption"  # a short line over TAB rows, or over their unit line and then the rows
            if kind in ("paragraph", "heading", "list", "toc"):
                self.table = None
            i = getattr(self, f"_on_{kind}")(i)
        return self.blocks

    # -- kinds ----------------------------------------------------------------------------------------------

    def _in_space_table(self, i: int, kind: str) -> str:
        """A line inside a space-aligned table: a data row, a header line, a label-only row, or the table's end."""
        t = self.table
        cl = self.lines[i]
        if kind in ("num_row", "values"):
            return kind
        if len(cl.key) <= 30 and not cl.key.endswith(_CLOSERS) and self._table_goes_on(i):
            return "table_header" if t.rows == 0 else "table_label"
        if t.rows == 0 and len(cl.key) <= 60 and not cl.key.endswith(("。", "；")):
            return "table_header"
        return kind

    def _table_goes_on(self, i: int) -> bool:
        """A row follows within a few short lines (before any sentence, caption or unit line)."""
        j = self._next_content(i)
        for _ in range(TABLE_LOOKAHEAD):
            if j is None:
                return False
            kind = self.kinds[j]
            if kind in ("num_row", "values"):
                return True
            if kind in ("caption", "unit", "tab_row", "toc") or len(self.lines[j].key) > 40 \
                    or self.lines[j].key.endswith(("。", "；")):
                return False
            j = self._next_content(j)
        return False

    def _section_caption(self) -> str:
        return self.path[-1][1] if self.path else self.doc.title

    def _on_toc(self, i: int) -> int:
        self._line_block("list_item", self.lines[i])
        return i + 1

    def _on_list(self, i: int) -> int:
        cl = self.lines[i]
        s, e = cl.line.content_span
        body = cl.line.stripped[1:].lstrip()
        s = e - len(body)
        self._add("list_item", repair(body), s, e)
        return i + 1

    def _on_continued(self, i: int) -> int:
        self._line_block("heading", self.lines[i], table=self.table.caption if self.table else None)
        if self.table and self.table.tabbed:
            self.table.rows = 0  # the header row may repeat after (续表)
        elif self.table:
            self.table.header_lines = []
        return i + 1

    def _on_note(self, i: int) -> int:
        cl = self.lines[i]
        self._line_block("note", cl, table=self.table.caption if self.table else None)
        return i + 1

    def _on_unit(self, i: int) -> int:
        cl = self.lines[i]
        if self.table is None:
            self.table = _Table(caption=self._section_caption())
        if cl.key not in self.table.caption:
            self.table.caption = f"{self.table.caption}（{cl.key}）"
        self._line_block("heading", cl, table=self.table.caption)
        return i + 1

    def _on_caption(self, i: int) -> int:
        cl = self.lines[i]
        first, j = i, self._next_content(i)
        # "表6" alone, with the table's title on the next line (…草案表（代编） too)
        title_next = j is not None and (self.kinds[j] == "paragraph"
                                        or self.kinds[j] == "caption" and not _CAPTION.match(self.lines[j].key))
        if len(cl.key) <= 8 and title_next and len(self.lines[j].key) <= 60 \
                and (not self.lines[j].key.endswith(_CLOSERS) or _TITLE_PART.search(self.lines[j].key)):
            i = j
        gaps = [c.line.content_span for c in self.lines[first:i + 1] if c.furniture]
        a, b = self.lines[first].line.content_span[0], self.lines[i].line.content_span[1]
        keys = repair(self.source[a:b], gaps, a)
        caption = re.sub(r"^((?:表|专栏|附表)\s*[一二三四五六七八九十\d]+)\s*[：:]\s*", r"\1 ", keys)
        self.table = _Table(caption=caption)
        self._joined("heading", first, i, table=caption)
        return i + 1

    def _on_heading(self, i: int) -> int:
        cl = self.lines[i]
        level = heading_level(cl.key, cl.line.text) or 1
        j = self._wraps_to(i)
        if j is None:
            self._heading(cl, level)
            return i + 1
        # the heading ends at the next line's first 。: 「（一）精准发力，…展现新」 + 「作为。」, and a paragraph may go on
        # after it on that line (「深化产业财源培植，…」) or on the next
        a, b = self.lines[j].line.content_span
        cut = self.source.index("。", a, b) + 1
        rest = len(self.source[cut:b]) - len(self.source[cut:b].lstrip())
        after = self._next_content(j)
        if cut + rest >= b and (after is None or self.kinds[after] != "paragraph"):
            return self._merge_paragraph(i)  # a numbered note with no text under it (表 notes): a paragraph
        span = self._span(i, j, end=cut)
        self.path = [(lv, t) for lv, t in self.path if lv < level]
        self.path.append((level, span.text))  # the heading is in its own section path
        self.table = None
        self._add_span("heading", span)
        if cut + rest >= b:
            return j + 1
        return self._merge_paragraph(j, start=cut + rest)

    def _wraps_to(self, i: int) -> int | None:
        """The next line, when a numbered heading runs on to it: the heading fills the page's prose width, ends
        with no closing mark, and the next line, unnumbered prose, ends its sentence (。). A heading that happens to
        fill its line and is followed by a paragraph with a lead sentence (「（三）…新质生产力加速壮大」 + 「支持平台
        建设。…」, two of the 82 joins on the corpora) is joined with that sentence: the text shows no difference."""
        key = self.lines[i].key
        if self.full_width is None or key.endswith(_CLOSERS) or display_width(key) < self.full_width - FULL_LINE_SLACK \
                or _TITLE_WORD_END.search(key):
            return None
        j = self._next_content(i)
        if j is None or self.kinds[j] != "paragraph" or "。" not in self.lines[j].key \
                or heading_level(self.lines[j].key, self.lines[j].line.text) is not None:  # 「1.…情况。」 starts its own
            return None
        return j

    def _heading(self, cl: ContentLine, level: int) -> None:
        self.path = [(lv, t) for lv, t in self.path if lv < level]
        self.path.append((level, cl.key))
        self.table = None
        self._line_block("heading", cl)

    def _on_table_header(self, i: int) -> int:
        cl = self.lines[i]
        self.table.header_lines.append(cl.line)
        self._line_block("heading", cl, table=self.table.caption)
        return i + 1

    def _on_table_label(self, i: int) -> int:
        self._label_row(self.lines[i].key, *self.lines[i].line.content_span)
        return i + 1

    def _label_row(self, label: str, s: int, e: int) -> None:
        """A table row of its label only (its figures on the next line, or none)."""
        t = self.table
        self._add("table_row", f"{t.caption}｜{label}", s, e, table=t.caption, cells=(label,),
                  cell_spans=((s, e),), header=("",) + t.columns if t.columns else ())

    def _on_values(self, i: int) -> int:
        """Numbers whose row label is the line above (a wrapped PDF row): one row of both lines."""
        cl = self.lines[i]
        values = values_only(cl.line)
        prev = self.blocks[-1] if self.blocks else None
        if prev is not None and prev.table == self.table.caption and prev.kind in ("table_row", "heading") \
                and len(prev.cells) <= 1 and len(prev.text.rsplit("｜", 1)[-1]) <= LABEL_MAX:
            self.blocks.pop()
            label_span = prev.cell_spans[0] if prev.cell_spans else (prev.start, prev.end)
            label = prev.cells[0] if prev.cells else prev.text
            if prev.kind == "heading" and self.table.header_lines:
                self.table.header_lines.pop()
            return self._row(i, [(label, label_span)] + values, start=prev.start)
        return self._row(i, [("", (cl.line.content_span[0], cl.line.content_span[0]))] + values)

    def _on_num_row(self, i: int) -> int:
        panels = two_panels(self.lines[i].line, self.source)
        if panels is None:
            return self._row(i, numeric_row(self.lines[i].line, self.source))
        left, right = panels
        self._row(i, left, end=left[-1][1][1])
        if len(right) > 1:
            return self._row(i, right, start=right[0][1][0])
        self._label_row(right[0][0], *right[0][1])
        return i + 1

    def _row(self, i: int, row: list[tuple[str, Span]], start: int | None = None, end: int | None = None) -> int:
        cl = self.lines[i]
        t = self.table
        if t.rows == 0 and not t.columns:
            t.columns = header_columns(t.header_lines, len(row) - 1)
        t.rows += 1
        label = row[0][0]
        row, grown = self._placed(t, row)
        if grown and t.header_lines:  # two full rows set the columns: name them by where the header words stand
            # the label column runs from where the label starts to where the values start
            label_center = (column_of(self.source, row[0][1][0]) + column_of(self.source, row[1][1][0])) / 2
            named = header_by_position(self.source, t.header_lines, t.centers, label_center)
            if named:
                t.columns = named
                self._rename_rows(t)
        values = [v for v, _ in row[1:]]
        fields, header = _fields(t.columns, values)
        s, e = cl.line.content_span
        s, e = s if start is None else start, e if end is None else end
        gaps = tuple(c.line.content_span for c in self.lines if c.furniture and s <= c.line.start < e)
        self._add("table_row", f"{t.caption}｜{label}｜{fields}", s, e, table=t.caption, gaps=gaps,
                  cells=(label, *values), cell_spans=tuple(sp for _, sp in row), header=header)
        return i + 1

    def _rename_rows(self, t: _Table) -> None:
        """The table's rows read before its columns were set (its first full row) get their names too."""
        for k in range(len(self.blocks) - 1, -1, -1):
            b = self.blocks[k]
            if b.table != t.caption or b.kind not in ("table_row", "heading"):
                break
            if b.kind == "table_row" and len(b.cells) - 1 == len(t.columns) and len(b.cells) > 1:
                fields, header = _fields(t.columns, list(b.cells[1:]))
                self.blocks[k] = replace(b, text=f"{t.caption}｜{b.cells[0]}｜{fields}", header=header)

    def _placed(self, t: _Table, row: list[tuple[str, Span]]) -> tuple[list[tuple[str, Span]], bool]:
        """A laid-out row with an empty cell for each value column it lost (pdftotext -layout prints an empty cell
        as spaces): its numbers placed by where they end in their printed line (``place_values``). The columns
        are set by two rows with the most numbers so far whose numbers end within CONFIRM_SHIFT characters of
        each other though their label or numbers differ in width (a table that is not laid out in columns never
        has them: its rows are read in order); the flag says this row set them."""
        values = row[1:]
        if not values or any("\t" in self.source[a:b] for _, (a, b) in values) or "\t" in self.source[
                row[0][1][1]:values[0][1][0]]:
            return row, False
        edges = [column_of(self.source, b) for _, (_, b) in values]
        if edges != sorted(edges):
            return row, False
        if len(edges) > len(t.anchors):
            # the words and numbers of the two rows differ in width, yet their numbers end together: laid out in
            # columns (rows parted by two spaces line up only when their words happen to be as wide); a row whose
            # cells are all parted by two spaces or less is no evidence of columns (济南's tables)
            starts = [column_of(self.source, a) for _, (a, _) in values]
            label_end = column_of(self.source, row[0][1][1])
            lead = [starts[0] - label_end] if "\n" not in self.source[row[0][1][1]:values[0][1][0]] else []
            if max([*lead, *(s - e for e, s in zip(edges, starts[1:], strict=False))], default=0) < 3:
                return row, False
            widths = (label_end, *(b - a for _, (a, b) in values))
            if len(edges) == len(t.fullest) and widths != t.fullest_widths and all(
                    abs(x - y) <= CONFIRM_SHIFT for x, y in zip(edges, t.fullest, strict=True)):
                t.anchors = tuple(edges)
                t.centers = tuple((a + e) / 2 for a, e in zip(starts, edges, strict=True))
                t.percent = tuple(v.endswith(("%", "％")) for v, _ in values)
                t.fullest = ()
                return row, True
            if len(edges) >= len(t.fullest):
                t.fullest, t.fullest_widths = tuple(edges), widths
            return row, False
        where = place_values(edges, t.anchors, [v.endswith(("%", "％")) for v, _ in values], t.percent)
        if where is None:
            return row, False
        cells: list[tuple[str, Span]] = []
        it = iter(values)
        at = row[0][1][1]
        for k in range(len(t.anchors)):
            if k in where:
                cell = next(it)
                at = cell[1][1]
                cells.append(cell)
            else:
                cells.append(("", (at, at)))  # an empty cell: a zero-width span where the row's text has got to
        return [row[0], *cells], False

    def _on_tab_row(self, i: int) -> int:
        cl = self.lines[i]
        raw = cl.line.text
        cells, spans, pos = [], [], cl.line.start
        for part in raw.split("\t"):
            stripped = part.strip().strip("\f")
            lead = part.find(stripped) if stripped else 0
            cells.append(clean_cell(part))
            spans.append((pos + lead, pos + lead + len(stripped)))
            pos += len(part) + 1
        s, e = cl.line.content_span
        # an empty cell before or after the row's text (leading/trailing TABs) is placed at the row's edge
        cells_t, spans_t = tuple(cells), tuple((min(max(a, s), e), min(max(b, s), e)) for a, b in spans)
        if self.table is None or not self.table.tabbed:
            caption = self.table.caption if self.table and self.table.rows == 0 else self._section_caption()
            self.table = _Table(caption=caption, tabbed=True)
        t = self.table
        key = re.sub(r"\s+", "", "".join(cells_t))
        if t.rows == 0 and not t.columns:
            t.columns = cells_t
            t.rows = 1
            t.header_keys = [key]
            self._add("heading", " | ".join(cells_t), s, e, table=t.caption, cells=cells_t, cell_spans=spans_t,
                      header=cells_t)
            return i + 1
        if t.rows == 1 and t.header_only and len(t.header_keys) < MAX_HEADER_ROWS \
                and _continues_header(t.columns, cells_t):
            t.columns = stack_header(t.columns, cells_t)
            t.header_keys.append(key)
            self._add("heading", " | ".join(cells_t), s, e, table=t.caption, cells=cells_t, cell_spans=spans_t,
                      header=t.columns)
            return i + 1
        if key in t.header_keys:
            t.rows = max(t.rows, 1)  # a header row repeated after (续表) or on a new page
            self._add("heading", " | ".join(cells_t), s, e, table=t.caption, cells=cells_t, cell_spans=spans_t,
                      header=t.columns)
            return i + 1
        t.rows += 1
        t.header_only = False
        # a row short of the header lost its trailing empty cells (stripped line ends): its cells are the first columns
        labels = t.columns[:len(cells_t)] if len(cells_t) <= len(t.columns) \
            else tuple(f"列{k + 1}" for k in range(len(cells_t)))
        fields = "｜".join(f"{repair(h)}：{c}" for h, c in zip(labels, cells_t, strict=True) if c)
        self._add("table_row", f"{t.caption}｜{fields}", s, e, table=t.caption, cells=cells_t, cell_spans=spans_t,
                  header=t.columns)
        return i + 1

    def _unnumbered_heading(self, i: int, prev_closed: bool, nxt: str | None) -> bool:
        key = self.lines[i].key
        limit = min(30, int(self.width * 0.85))
        if len(key) > limit or key.endswith(_CLOSERS) or re.search(r"[，。；、,;]", key) or self._unit_follows(i) \
                or heading_level(key, self.lines[i].line.text) is not None:  # numbered, and read as no heading
            return False
        if self.full_width is not None and display_width(key) >= self.full_width - FULL_LINE_SLACK \
                and not _TITLE_WORD_END.search(key):
            return False  # as wide as the page's prose, and cut mid-phrase: an indented paragraph's first line
        return prev_closed and nxt == "paragraph"

    def _on_paragraph(self, i: int) -> int:
        prev = self.blocks[-1] if self.blocks else None
        prev_closed = prev is not None and prev.kind == "paragraph" and prev.text.endswith(_CLOSERS)
        nxt_i = self._next_content(i)
        nxt = self.kinds[nxt_i] if nxt_i is not None else None
        if self._unnumbered_heading(i, prev_closed, nxt):
            self._heading(self.lines[i], (self.path[-1][0] + 1) if self.path else 1)
            return i + 1
        return self._merge_paragraph(i)

    def _merge_paragraph(self, i: int, start: int | None = None) -> int:
        """One paragraph from line i (from ``start`` in it) through the lines its sentence runs on to."""
        j = i
        while not self.lines[j].key.endswith(_CLOSERS):
            n = self._next_content(j)
            if n is None or self.kinds[n] != "paragraph":
                break
            j = n
            self.merged_breaks += 1
        self._joined("paragraph", i, j, start=start)
        return j + 1

    def _joined(self, kind: BlockKind, first_i: int, last_i: int, start: int | None = None, end: int | None = None,
                **extra) -> None:
        """One block from the content lines first_i..last_i (from ``start`` in the first, to ``end`` in the last);
        furniture between them becomes gaps."""
        self._add_span(kind, self._span(first_i, last_i, start, end), **extra)

    def _span(self, first_i: int, last_i: int, start: int | None = None, end: int | None = None) -> _Span:
        s, _ = self.lines[first_i].line.content_span
        _, e = self.lines[last_i].line.content_span
        s, e = start if start is not None else s, end if end is not None else e
        inside = tuple(cl for cl in self.lines[first_i:last_i + 1] if cl.furniture)
        gaps = tuple(cl.line.content_span for cl in inside)
        return _Span(s, e, inside, gaps, repair(self.source[s:e], gaps, s))

    def _add_span(self, kind: BlockKind, span: _Span, **extra) -> None:
        self._add(kind, span.text, span.start, span.end, gaps=span.gaps, **extra)
        for cl in span.furniture:  # the furniture itself is recorded (inside the block's gaps)
            self._line_block("furniture", cl)
