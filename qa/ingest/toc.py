"""A table of contents (目录): where it is, and its entries (title, speaker, page).

Entries come in many shapes: "title<TAB>speaker (12)", "title………speaker （12）", "2.1    title", "第一部分
title"; a title may wrap onto the next line. The TOC starts at a line reading 目录/目次 and ends where the
body starts: at a page break, at a line that repeats the first entry (or begins it, with the line after it, as the
body wraps it), or at a line that reads like body text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.ingest.text import Line, display_width, repair
from qa.types import TocEntry

_PAGE_REF = re.compile(r"(?:[（(]\s*(\d{1,4})\s*[）)]|(?<=[\s.…·])(\d{1,4}))\s*$")
_LEADER = re.compile(r"(?:\.{2,}|…+|·{2,}|-{3,}|—{3,})")
_LEADER_CHARS = " \t\n\r\f\u3000.…·"
_HAN = "\u4e00-\u9fff"
_NAME = re.compile(rf"^(?P<role>.*?)\s*(?P<name>[{_HAN}](?:\s?[{_HAN}]){{1,3}})$")
MAX_TOC_LINES = 300
BODY_TITLE_MIN = 8  # characters of a body line that begins the first entry's title, to read it as the body's start
_SUB_ENTRY = re.compile(r"^(?:[①-⑳]|\d{1,2}[）)]|附件|附表|表[一二三四五六七八九十\d])")  # numbered otherwise: its own entry
ENTRY_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[、.．](?!\d)|[（(][一二三四五六七八九十\d]+[）)])")


def squash(text: str) -> str:
    """Whitespace-insensitive key: the repaired text without spaces and dot leaders."""
    return re.sub(r"\s+", "", repair(text).rstrip(_LEADER_CHARS))


def tidy_title(text: str) -> str:
    """A title without dot leaders and layout spaces."""
    return repair(text.strip().rstrip(_LEADER_CHARS)).strip()


def find_toc(lines: Sequence[Line], limit: int = 400) -> tuple[int, int] | None:
    """(index of the 目录 line, index of the first line after the TOC), or None."""
    for i, ln in enumerate(lines[:limit]):
        if squash(ln.text) not in ("目录", "目次"):
            continue
        first_key, last, styled, page_break = None, i, False, False
        for j in range(i + 1, min(len(lines), i + MAX_TOC_LINES)):
            t = lines[j].text
            key = squash(t)
            page_break = page_break or t.lstrip(" \t").startswith("\f")
            if not key:
                page_break = page_break or "\f" in t
                continue
            entry_like = _entry_like(t)
            if first_key and not entry_like and not _entry_follows(lines, j) \
                    and (key == first_key or (len(first_key) >= 6 and key.startswith(first_key))
                         or _begins_entry(key, lines, j, first_key)):
                break  # the body starts with the first entry (its title may wrap at another place than the entry);
                # a later entry wrapped where the first one was is followed by the rest of itself, with its page
            if not entry_like and (len(key) > 60 or key.endswith(("。", "；", "："))):
                break
            if styled and not entry_like and page_break:
                break  # a new page that does not go on with page-referenced entries
            styled = styled or entry_like
            first_key = first_key or _entry_title_key(t)
            last = j
            page_break = t.rstrip(" \t").endswith("\f")
        return (i, last + 1) if last > i else None
    return None


def _entry_like(text: str) -> bool:
    """A 目录 line: a TAB, a page number at its end or dot leaders."""
    return bool("\t" in text.strip() or _PAGE_REF.search(text.strip()) or _LEADER.search(text))


def _next_text(lines: Sequence[Line], j: int) -> str | None:
    """The next line with text after line j (within three lines), as written."""
    return next((ln.text for ln in lines[j + 1:j + 4] if squash(ln.text)), None)


def _entry_follows(lines: Sequence[Line], j: int) -> bool:
    """The next line with text after line j is a 目录 line."""
    nxt = _next_text(lines, j)
    return nxt is not None and _entry_like(nxt)


def _begins_entry(key: str, lines: Sequence[Line], j: int, first_key: str) -> bool:
    """Line j and the next line begin the first entry's title as the body prints it, wrapped elsewhere than the
    目录's line (「中卫市第五届人民代表大会第六次会议」 + 「关于2025年…的决议」 for the entry 「一、中卫市…会议关于2025年全」);
    a later entry that shares the first one's opening words (「…第七次会议关于深圳市」 + 「2025年预算…」) goes on
    otherwise."""
    if len(key) < BODY_TITLE_MIN or not first_key.startswith(key):
        return False
    nxt = squash(_next_text(lines, j) or "")
    joined = key + nxt
    return joined.startswith(first_key) or (first_key.startswith(joined) and bool(nxt))


def plain_title(title: str) -> str:
    """An entry's title as the body prints it, squashed: without the 目录's own numbering (「一、」「1.」) before it."""
    return ENTRY_NUMBER.sub("", squash(title))


def _entry_title_key(text: str) -> str:
    title, _, _, _ = split_entry(text)
    return plain_title(title)


def split_entry(text: str) -> tuple[str, str | None, int | None, bool]:
    """(title part, speaker, page, open): ``open`` when the entry has no page reference (it may wrap)."""
    s = text.strip().strip("\f").strip()
    page = None
    if m := _PAGE_REF.search(s):
        page = int(m.group(1) or m.group(2))
        s = s[: m.start()].rstrip()
    if text.lstrip(" \f\u3000").startswith("\t"):  # "\t姜 靖 (37)": only the trailer of a wrapped entry
        title, rest = "", s
    elif "\t" in s:
        title, _, rest = s.partition("\t")
        rest = rest.strip()
    elif m := _LEADER.search(s):
        title, rest = s[: m.start()], _LEADER.sub(" ", s[m.end():]).strip()
    else:
        title, rest = s, ""
    speaker = None
    if rest and (m := _NAME.match(rest)):
        speaker = re.sub(r"\s+", "", m.group("name"))
    elif rest:
        speaker = re.sub(r"\s+", "", rest)
    return title.strip(), speaker, page, page is None and not rest


@dataclass
class _Raw:
    title: str
    speaker: str | None
    page: int | None
    open: bool
    last: str = ""  # its last line's title part


def parse_toc(lines: Sequence[Line], is_title: Callable[[str], bool]) -> list[TocEntry]:
    """TOC entries; ``is_title(key)`` tells whether a squashed title occurs in the body.

    A wrapped line is joined to the previous open entry when the joined title is found in the body, or neither
    part alone is, or the entry is numbered (「一、」) and the line is not.
    """
    raws: list[_Raw] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        title, speaker, page, is_open = split_entry(ln.text)
        if raws and raws[-1].open:
            prev = raws[-1]
            if not title:  # "\t姜 靖 (37)": the trailer of the previous entry
                prev.speaker, prev.page, prev.open = speaker, page, is_open
                continue
            joined = plain_title(prev.title + title)
            # an unnumbered line after an open numbered entry's full line (「二、关于…和2026年全市」 + 「预算草案的报告」,
            # maybe with the entry's page) goes on with it; a group's heading (「一、会议文件」) is narrower than the title
            # under it, and a line numbered otherwise (「表一…」 under 「三、附表」) is an entry of its own
            numbered = (bool(ENTRY_NUMBER.match(squash(prev.title))) and not ENTRY_NUMBER.match(squash(title))
                        and not _SUB_ENTRY.match(squash(title)) and display_width(prev.last.strip()) + 2 >= display_width(title.strip()))
            if is_title(joined) or numbered or not (is_title(plain_title(prev.title)) or is_title(plain_title(title))):
                prev.title = prev.title + title
                prev.speaker, prev.page, prev.open = speaker, page, is_open
                prev.last = title
                continue
            prev.open = False
        if title:
            raws.append(_Raw(title, speaker, page, is_open, last=title))
    return [TocEntry(tidy_title(r.title), r.speaker, r.page) for r in raws]
