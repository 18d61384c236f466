"""Parse a bulletin's text into documents and blocks with exact source offsets.

``parse_text`` does the work on decoded text; ``parse_file`` reads a file first. The structure
follows the bulletin: the 目录 names the documents, each document opens with its title, a
dateline and a speaker line, then sections numbered 一、 ▸ （一） ▸ 1. ▸ (1), paragraphs
(re-joined where a page break split a sentence), lists and tab-separated tables.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import BqaError
from qa.reading import read_source
from qa.toc import Line, TocEntry, find_toc, parse_header, parse_toc, split_lines, squash, tidy_title
from qa.types import Block, BlockKind, Bulletin, Document, ParsedBulletin

_CN_NUM = "一二三四五六七八九十百"
_HEADING_LEVELS = (
    (1, re.compile(rf"^[{_CN_NUM}]+\s*、")),
    (2, re.compile(rf"^[（(]\s*[{_CN_NUM}]+\s*[）)]")),
    (3, re.compile(r"^\d{1,2}\s*(?:[.．、](?!\d)|\s(?=[\u4e00-\u9fff]))")),
    (4, re.compile(r"^[（(]\s*\d{1,2}\s*[）)]")),
)
_CLOSERS = set("。！？；：…”’）)」』】!?;:")
_CAPTION = re.compile(rf"^(?:表\s*[{_CN_NUM}\d]+|专栏\s*[{_CN_NUM}\d]+|附表\s*\d*)\s*[：:]?")
_CONTINUED = re.compile(r"^[（(]\s*续\s*表\s*[）)]$")
_NOTE = re.compile(r"^(?:注|说明|备注)\s*[：:]")
_DATELINE_START = re.compile(r"^(?:——|—|[（(]\s*\d{4}\s*年)")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MEETING = re.compile(rf"([^\s\d年月日在（(]*第[{_CN_NUM}]+届人民代表大会(?:常务委员会)?第[{_CN_NUM}]+次会议)")
_ROLE_WORDS = "主任|局长|书记|委员|主席|区长|组长|院长|检察长|秘书长|部长|处长|庭长|召集人|负责人"
_SPEAKER = re.compile(
    rf"^(?P<role>\S.{{1,40}}?(?:{_ROLE_WORDS}))\s+(?P<name>[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){{1,3}})$"
)
_TITLE_FALLBACK = re.compile(r"(?:报告|议程|公告\s*第.{1,3}号|名单|决议|决定|意见)$")
_HTML_TAG = re.compile(r"<[^>]*>")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff\d])[ \u3000]+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[ \u3000]+(?=\d)")


def heading_level(text: str) -> int | None:
    for level, pattern in _HEADING_LEVELS:
        if pattern.match(text):
            return level
    return None


def clean_cell(cell: str) -> str:
    """A table cell as plain text: HTML tags dropped, ● bullets become items separated by ；."""
    text = _HTML_TAG.sub(" ", cell)
    items = [re.sub(r"\s+", " ", it).strip() for it in re.split(r"[●•▪]", text)]
    items = [it for it in items if it]
    return "".join(it if it[-1] in "。；！？;" else it + "；" for it in items[:-1]) + (items[-1] if items else "")


def compact(text: str) -> str:
    """Remove the spaces the extraction put between Chinese characters and numbers (2025 年 → 2025年)."""
    return _CJK_SPACE.sub("", text)


@dataclass
class _Para:
    kind: BlockKind
    parts: list[Line] = field(default_factory=list)
    level: int | None = None

    @property
    def text(self) -> str:
        return "".join(p.stripped for p in self.parts)


def _kind_of(line: Line) -> str:
    """A first guess from the line alone: table, list, continued, note, caption, heading or paragraph."""
    s = line.stripped
    if "\t" in line.text.strip("\t\n ") or line.text.count("\t") >= 2:
        return "table"
    if s.startswith(("- ", "* ", "• ")):
        return "list"
    if _CONTINUED.match(s):
        return "continued"
    if _NOTE.match(s):
        return "note"
    if _CAPTION.match(s) and len(s) <= 60 and "。" not in s:
        return "caption"
    level = heading_level(s)
    if level is not None and len(s) <= 60 and "。" not in s[:-1]:
        return "heading"
    return "paragraph"


class _DocumentParser:
    """Turns the lines of one document into blocks."""

    def __init__(self, doc: Document, lines: Sequence[Line]):
        self.doc = doc
        self.lines = [ln for ln in lines if ln.stripped]
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []  # (level, heading text)
        self.table: str | None = None
        self.header: tuple[str, ...] = ()
        self.expect_header = False
        self.merged_breaks = 0

    def _add(self, kind: BlockKind, text: str, start: int, end: int, **extra) -> None:
        self.blocks.append(
            Block(
                block_id=f"{self.doc.doc_id}:{len(self.blocks):04d}",
                doc_id=self.doc.doc_id,
                section_path=tuple(t for _, t in self.path),
                kind=kind,
                text=text,
                start=start,
                end=end,
                **extra,
            )
        )

    def _span(self, line: Line) -> tuple[int, int]:
        lead = len(line.text) - len(line.text.lstrip().lstrip("\ufeff").lstrip())
        return line.start + lead, line.start + len(line.text.rstrip())

    def parse(self, n_meta: int) -> list[Block]:
        for ln in self.lines[:n_meta]:
            s, e = self._span(ln)
            kind: BlockKind = "heading" if not self.blocks else "note"
            self._add(kind, ln.stripped, s, e)
        i, lines = n_meta, self.lines
        prev_kind = "heading"
        prev_closed = True
        while i < len(lines):
            ln = lines[i]
            kind = _kind_of(ln)
            nxt = _kind_of(lines[i + 1]) if i + 1 < len(lines) else None
            if kind == "paragraph" and nxt == "table" and len(ln.stripped) <= 60 and ln.stripped[-1] not in _CLOSERS:
                kind = "caption"
            if kind == "table":
                self._table_row(ln)
            elif kind == "caption":
                self._caption(ln)
            elif kind == "continued":
                s, e = self._span(ln)
                self._add("heading", ln.stripped, s, e, table=self.table)
                self.expect_header = True
            elif kind == "note":
                s, e = self._span(ln)
                table = self.table if prev_kind in ("table", "note") else None
                self._add("note", ln.stripped, s, e, table=table)
            elif kind == "list":
                s, e = self._span(ln)
                s += len(ln.stripped) - len(ln.stripped[1:].lstrip())
                self._add("list_item", ln.stripped[1:].lstrip(), s, e)
            elif kind == "heading":
                self._heading(ln, heading_level(ln.stripped) or 1)
            elif self._unnumbered_heading(ln, prev_kind, prev_closed, nxt):
                level = 2 if self.path else 1
                self._heading(ln, level)
                kind = "heading"
            else:
                i = self._paragraph(i)
                prev_kind, prev_closed = "paragraph", self.blocks[-1].text[-1:] in _CLOSERS
                i += 1
                continue
            if kind != "table":
                self.expect_header = kind in ("caption", "continued")
            prev_kind, prev_closed = kind, True
            i += 1
        return self.blocks

    @staticmethod
    def _unnumbered_heading(ln: Line, prev_kind: str, prev_closed: bool, nxt: str | None) -> bool:
        """A short line without punctuation after a finished paragraph: a heading that lost its number."""
        s = ln.stripped
        if len(s) > 30 or s[-1] in _CLOSERS or re.search(r"[，。；、,;]", s):
            return False
        return prev_kind == "paragraph" and prev_closed and nxt == "paragraph"

    def _heading(self, ln: Line, level: int) -> None:
        self.path = [(lv, t) for lv, t in self.path if lv < level]
        self.path.append((level, ln.stripped))
        self.table = None
        s, e = self._span(ln)
        self._add("heading", ln.stripped, s, e)

    def _caption(self, ln: Line) -> None:
        self.table = re.sub(r"^((?:表|专栏)\s*[一二三四五六七八九十\d]+)\s*[：:]\s*", r"\1 ", compact(ln.stripped))
        self.header = ()
        s, e = self._span(ln)
        self._add("heading", ln.stripped, s, e, table=self.table)

    def _table_row(self, ln: Line) -> None:
        cells = tuple(clean_cell(c) for c in ln.text.strip("\n").split("\t"))
        s, e = self._span(ln)
        if self.table is None:
            self.table = compact(self.path[-1][1]) if self.path else "表格"
            self.header, self.expect_header = (), True
        if self.expect_header:
            self.expect_header = False
            if self.header and squash("".join(cells)) == squash("".join(self.header)):
                self._add("heading", " | ".join(cells), s, e, table=self.table, cells=cells, header=self.header)
                return
            if not self.header:
                self.header = cells
                self._add("heading", " | ".join(cells), s, e, table=self.table, cells=cells, header=cells)
                return
        labels = self.header if len(self.header) == len(cells) else tuple(f"列{k + 1}" for k in range(len(cells)))
        fields = "｜".join(f"{compact(h)}：{c}" for h, c in zip(labels, cells, strict=True) if c)
        self._add("table_row", f"{self.table}｜{fields}", s, e, table=self.table, cells=cells, header=self.header)

    def _paragraph(self, i: int) -> int:
        """One paragraph from line i, joined with following lines where a page break split it."""
        parts = [self.lines[i]]
        while parts[-1].stripped[-1] not in _CLOSERS and i + 1 < len(self.lines):
            nxt = self.lines[i + 1]
            if _kind_of(nxt) != "paragraph":
                break
            parts.append(nxt)
            i += 1
        self.merged_breaks += len(parts) - 1
        s, _ = self._span(parts[0])
        _, e = self._span(parts[-1])
        self._add("paragraph", "".join(p.stripped for p in parts), s, e)
        return i


def _find_doc_starts(lines: Sequence[Line], first: int, toc: Sequence[TocEntry]) -> list[int]:
    """Line index of each TOC entry's title in the body, in order (exact, then fuzzy match)."""
    keys = [squash(ln.text) for ln in lines]
    starts: list[int] = []
    pos = first
    for entry in toc:
        want = squash(entry.title)
        hit = next((j for j in range(pos, len(lines)) if keys[j] == want), None)
        if hit is None:
            best, best_ratio = None, 0.0
            for j in range(pos, len(lines)):
                k = keys[j]
                if k and abs(len(k) - len(want)) <= 3:
                    r = difflib.SequenceMatcher(None, k, want).ratio()
                    if r > best_ratio:
                        best, best_ratio = j, r
            hit = best if best_ratio >= 0.88 else None
        if hit is None:
            raise BqaError(f"the 目录 entry 「{entry.title}」 was not found in the body; check the file")
        starts.append(hit)
        pos = hit + 1
    return starts


def _fallback_starts(lines: Sequence[Line], first: int) -> list[tuple[int, str]]:
    """Without a 目录: titles are short lines ending like a title and followed by a dateline."""
    found = []
    for j in range(first, len(lines)):
        s = lines[j].stripped
        if not s or len(s) > 90 or s[-1] in _CLOSERS or not _TITLE_FALLBACK.search(s):
            continue
        after = [ln.stripped for ln in lines[j + 1 : j + 6] if ln.stripped][:2]
        if any(_DATELINE_START.match(a) or _DATE.search(a) for a in after):
            found.append((j, tidy_title(s)))
    return found


def _meta(lines: Sequence[Line]) -> tuple[int, str | None, str | None, str | None, str | None]:
    """How many lines after the title are dateline/speaker, and date, meeting, role, speaker."""
    nonblank = [ln for ln in lines if ln.stripped][:6]
    n, date, meeting, role, speaker = 1, None, None, None, None
    k = 1
    if k < len(nonblank) and _DATELINE_START.match(nonblank[k].stripped):
        joined = nonblank[k].stripped
        n = k + 1
        while not re.search(r"(?:会议上|通过\s*[）)]|[）)])$", joined) and n < len(nonblank) and n <= 3:
            joined += nonblank[n].stripped
            n += 1
        k = n
        m = _DATE.search(joined)
        if m:
            date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        m = _MEETING.search(re.sub(r"\s+", "", joined))
        meeting = m.group(1) if m else None
    if k < len(nonblank) and (m := _SPEAKER.match(nonblank[k].stripped)):
        role, speaker = m.group("role").strip(), re.sub(r"\s+", "", m.group("name"))
        k += 1
        n = k
    if date is None:  # notices: "2025年6月24日…会议审议决定："
        for ln in nonblank[1:3]:
            if m := _DATE.search(ln.stripped):
                date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
                mm = _MEETING.search(re.sub(r"\s+", "", ln.stripped))
                meeting = meeting or (mm.group(1) if mm else None)
                break
    return n, date, meeting, role, speaker


def parse_text(text: str, source: str) -> ParsedBulletin:
    lines = split_lines(text)
    if not any(ln.stripped for ln in lines):
        raise BqaError(f"{source}: the file has no text")
    toc_span = find_toc(lines)
    stem = Path(source).stem
    if toc_span:
        header = parse_header(lines, toc_span[0])
        body_keys = {squash(ln.text) for ln in lines[toc_span[1] :] if ln.stripped}
        toc = parse_toc(lines[toc_span[0] + 1 : toc_span[1]], lambda k: k in body_keys)
        starts = list(zip(_find_doc_starts(lines, toc_span[1], toc), [e.title for e in toc], strict=True))
    else:
        toc = []
        found = _fallback_starts(lines, 0)
        header = parse_header(lines, found[0][0] if found else 10)
        starts = found
    if not starts:
        raise BqaError(f"{source}: found no 目录 and no document titles; is this a bulletin?")
    bulletin = Bulletin(source=source, title=header.title, year=header.year, issue=header.issue,
                        serial=header.serial, toc=tuple(toc))
    documents, blocks = [], []
    for n, (li, title) in enumerate(starts):
        end_li = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        doc_lines = lines[li:end_li]
        last = max(j for j, ln in enumerate(doc_lines) if ln.stripped)
        n_meta, date, meeting, role, speaker = _meta(doc_lines)
        doc = Document(
            doc_id=f"{stem}#{n + 1:02d}", source=source, title=title, speaker=speaker, role=role,
            meeting=meeting, date=date, start=lines[li].start,
            end=doc_lines[last].start + len(doc_lines[last].text.rstrip()),
        )
        documents.append(doc)
        blocks.extend(_DocumentParser(doc, doc_lines).parse(n_meta))
    return ParsedBulletin(bulletin=bulletin, text=text, documents=tuple(documents), blocks=tuple(blocks))


def parse_file(path: Path, corpus_dir: Path | None = None) -> ParsedBulletin:
    """Read and parse one bulletin; ``source`` is the path relative to ``corpus_dir`` when given."""
    src = read_source(Path(path))
    source = str(Path(path).resolve().relative_to(corpus_dir.resolve())) if corpus_dir else Path(path).name
    try:
        return parse_text(src.text, source)
    except BqaError as err:
        raise BqaError(f"{Path(path).name}: {err}") from None
