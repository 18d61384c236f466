"""The bulletin header (title, year, issue) and its table of contents (目录)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.types import TocEntry

_PAGE = re.compile(r"^(?P<speaker>.*?)\s*[（(]\s*(?P<page>\d{1,3})\s*[）)]\s*$")
_LEADER = re.compile(r"(?:\.{2,}|…+|·{2,}|\s)+$")
_ISSUE = re.compile(r"(第[一二三四五六七八九十\d]+号)\s*[（(]\s*(总第\s*\d+\s*号)\s*[）)]")
_ISSUE_ONLY = re.compile(r"第[一二三四五六七八九十\d]+号")
_YEAR = re.compile(r"^\s*((?:19|20)\d{2})\s*年?\s*$")
_HAN = "\u4e00-\u9fff"


@dataclass(frozen=True)
class Line:
    """One line of the source: its text (without newline) and offsets."""

    text: str
    start: int
    end: int

    @property
    def stripped(self) -> str:
        return self.text.strip().lstrip("\ufeff").strip()


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(Line(raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return lines


def squash(text: str) -> str:
    """Whitespace-insensitive key: no whitespace, no dot leaders."""
    return re.sub(r"\s+", "", _LEADER.sub("", text)).replace("\ufeff", "")


def tidy_title(text: str) -> str:
    """Drop dot leaders and the spaces that line wrapping left between Chinese characters."""
    text = _LEADER.sub("", text.strip())
    text = re.sub(r"\s+", " ", text)
    return re.sub(rf"(?<=[{_HAN}《》“”（）、])\s+(?=[{_HAN}《》“”（）、])", "", text)


@dataclass(frozen=True)
class Header:
    title: str
    year: int | None
    issue: str | None
    serial: str | None


def parse_header(lines: Sequence[Line], stop: int) -> Header:
    """Title, year and issue from the lines before the TOC (or the first ``stop`` lines)."""
    nonblank = [ln.stripped for ln in lines[:stop] if ln.stripped]
    title = tidy_title(nonblank[0]) if nonblank else ""
    year = issue = serial = None
    for text in nonblank[:8]:
        if year is None and (m := _YEAR.match(text)):
            year = int(m.group(1))
        if issue is None and (m := _ISSUE.search(text)):
            issue, serial = m.group(1), re.sub(r"\s+", "", m.group(2))
        elif issue is None and (m := _ISSUE_ONLY.fullmatch(text)):
            issue = m.group(0)
    return Header(title=title, year=year, issue=issue, serial=serial)


def find_toc(lines: Sequence[Line]) -> tuple[int, int] | None:
    """(index of the 目录 line, index of the first line after the TOC), or None."""
    for i, ln in enumerate(lines[:200]):
        if squash(ln.text) in ("目录", "目次"):
            j = i + 1
            last = i
            while j < len(lines):
                t = lines[j].text
                if t.strip():
                    if "\t" in t or _PAGE.match(t.strip()) or re.search(r"\.{3,}", t):
                        last = j
                    else:
                        break
                j += 1
            return (i, last + 1) if last > i else None
    return None


@dataclass
class _Raw:
    title: str
    speaker: str | None
    page: int | None
    open: bool  # no speaker/page yet: the title may wrap onto the next line


def _split_entry(text: str) -> tuple[str, str | None, int | None, bool]:
    left, _, right = text.rpartition("\t") if "\t" in text else (text, "", "")
    if not left and not right:
        left, right = text, ""
    m = _PAGE.match(right.strip()) if right.strip() else _PAGE.match(left.strip())
    if m and right.strip():
        speaker = re.sub(r"\s+", "", m.group("speaker")) or None
        return left.strip(), speaker, int(m.group("page")), False
    if m and not right.strip():  # "title (12)" with no tab
        return m.group("speaker").strip(), None, int(m.group("page")), False
    return left.strip(), None, None, True


def parse_toc(lines: Sequence[Line], is_title: Callable[[str], bool]) -> list[TocEntry]:
    """TOC entries; ``is_title(key)`` tells whether a squashed title occurs as a body heading.

    Entries wrap over two lines (the first ends with an empty tab field); a wrapped line is
    joined only when the joined title is found in the body, or neither part alone is.
    """
    raws: list[_Raw] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        title, speaker, page, is_open = _split_entry(ln.text)
        if raws and raws[-1].open:
            prev = raws[-1]
            if not title:  # "\t姜 靖 (37)": the trailer of the previous entry
                prev.speaker, prev.page, prev.open = speaker, page, is_open
                continue
            joined = squash(prev.title + title)
            if is_title(joined) or not (is_title(squash(prev.title)) or is_title(squash(title))):
                prev.title = prev.title + title
                prev.speaker, prev.page, prev.open = speaker, page, is_open
                continue
            prev.open = False
        if title:
            raws.append(_Raw(title, speaker, page, is_open))
    return [TocEntry(tidy_title(r.title), r.speaker, r.page) for r in raws]
