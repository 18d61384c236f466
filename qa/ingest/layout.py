"""Page furniture: page numbers, running headers and footers, recognised so they stay out of the text.

A page is delimited by form feeds where the source has them (PDF, ``pdftotext`` output), else by the
decorated page-number lines themselves ("— 8 —"). Recognised as furniture:

- decorated page numbers anywhere ("— 8 —", "- 8 -", "第 8 页", "第8页 共20页"), also where the layout put
  one on a line of content, three or more spaces apart ("— 135 —   横琴合作区总收入  81 …": see
  ``split_page_numbers``);
- a bare number alone on the first or last line of a page;
- a short line that recurs at the top or bottom of at least three pages and a fifth of them, once its digits
  are ignored ("深圳市人民政府公报 2026年第10期"), unless it reads like a caption or a numbered heading;
  its first occurrence stays content (a title or a table header that repeats on every page).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

from qa.ingest.text import Line

_DECORATED = re.compile(
    r"^(?:[-—–－─_~·•]+\d{1,4}[-—–－─_~·•]+|第\d{1,4}页(?:[，,/]?共\d{1,4}页)?|\d{1,4}/\d{1,4}页?)$"
)
_BARE = re.compile(r"^\d{1,4}$")
_NOT_HEADER = re.compile(r"^(?:表|附表|单位|续表|[（(]续|专栏|图|注|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．])")
EDGE_LINES = 2  # lines at the top and at the bottom of a page looked at for running headers
MIN_PAGES = 3
MIN_SHARE = 0.2
_SPACE = r"[ \t\u3000]"
_NUMBER = r"[-—–－]{1,2} ?\d{1,4} ?[-—–－]{1,2}"  # "— 135 —", "-8-"
_NUMBER_FIRST = re.compile(rf"^({_SPACE}*\f*{_SPACE}*{_NUMBER})({_SPACE}{{3,}})(\S.*)$")
_NUMBER_LAST = re.compile(rf"^(.*\S)({_SPACE}{{3,}})({_NUMBER}{_SPACE}*\f*)$")


def split_page_numbers(lines: Sequence[Line]) -> list[Line]:
    """Lines where a decorated page number shares its line with content become two lines (same offsets)."""
    out: list[Line] = []
    for ln in lines:
        m = _NUMBER_FIRST.match(ln.text) or _NUMBER_LAST.match(ln.text)
        if m is None:
            out.append(ln)
            continue
        cut = ln.start + m.end(1)
        out.append(Line(m.group(1), ln.start, cut))
        out.append(Line(ln.text[m.end(1):], cut, ln.end))
    return out


def _key(compact: str) -> str:
    return re.sub(r"\d+", "#", compact)


def _page_of_lines(lines: Sequence[Line], page_starts: Sequence[int], compacts: Sequence[str]) -> list[int]:
    if page_starts:
        return [max(0, bisect_right(page_starts, ln.start + (len(ln.text) - len(ln.text.lstrip("\f")))) - 1)
                for ln in lines]
    page, out = 0, []
    for c in compacts:  # no form feeds: a decorated page number closes its page
        out.append(page)
        if _DECORATED.match(c):
            page += 1
    return out


def furniture_lines(lines: Sequence[Line], page_starts: Sequence[int] = ()) -> set[int]:
    """Indices of the lines that are page furniture."""
    compacts = [ln.compact.replace("\f", "") for ln in lines]
    found = {i for i, c in enumerate(compacts) if _DECORATED.match(c)}
    pages = _page_of_lines(lines, page_starts, compacts)
    by_page: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(compacts):
        if c and i not in found:
            by_page[pages[i]].append(i)
    paged = bool(page_starts) or bool(found)
    if not paged:
        return found
    edges: dict[int, list[int]] = {}
    for page, idx in by_page.items():
        edge = idx[:EDGE_LINES] + idx[-EDGE_LINES:]
        edges[page] = sorted(set(edge))
        if page_starts:
            for i in (idx[0], idx[-1]):
                if _BARE.match(compacts[i]):
                    found.add(i)
    n_pages = len(by_page)
    seen: dict[str, set[int]] = defaultdict(set)
    for page, idx in edges.items():
        for i in idx:
            c = compacts[i]
            if 4 <= len(c) <= 60 and not _NOT_HEADER.match(c) and not c.endswith(("。", "；", "，")):
                seen[_key(c)].add(page)
    running = {k for k, pg in seen.items() if len(pg) >= MIN_PAGES and len(pg) >= MIN_SHARE * n_pages}
    first_seen: set[str] = set()  # the first occurrence is content (a title, a table's own header)
    for page in sorted(edges):
        for i in edges[page]:
            key = _key(compacts[i])
            if key in running:
                if key in first_seen:
                    found.add(i)
                first_seen.add(key)
    return found
