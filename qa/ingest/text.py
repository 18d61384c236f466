"""Lines of an extracted text, the repaired reading of a span, and the map back to exact offsets.

Repair only ever *removes* characters of the source, so a repaired text is a subsequence of its source
span and every character keeps one source offset:

- whitespace between two characters of which one is not ASCII (Chinese text, full-width punctuation) is
  removed: layout spaces ("关  于  济  南"), line wraps inside a sentence, a break between a number and
  its unit ("7470\\n亿元");
- whitespace between two ASCII characters is kept as one space ("PM 2.5", "171493 146764");
- ranges named as ``gaps`` (page footers, running headers between the two halves of a paragraph) are
  skipped whole.

``align`` recovers, for each character of a repaired text, its source offset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.types import Span

_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


@dataclass(frozen=True)
class Line:
    """One line of the source: its raw text (no newline, form feeds included) and offsets."""

    text: str
    start: int
    end: int

    @property
    def stripped(self) -> str:
        return self.text.strip().strip(_INVISIBLE).strip()

    @property
    def compact(self) -> str:
        return repair(self.text)

    @property
    def content_span(self) -> Span:
        """Source span of the line without surrounding whitespace (and BOM/zero-width characters)."""
        s = self.stripped
        if not s:
            return self.start, self.start
        lead = self.text.find(s)
        return self.start + lead, self.start + lead + len(s)


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(Line(raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return lines


_ANY_SPACE = re.compile(rf"[\s{re.escape(''.join(_INVISIBLE))}]")


def _is_space(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE


def _ascii(ch: str) -> bool:
    return ch < "\x80" and not ch.isspace()


def display_width(text: str) -> float:
    """A line's width in Chinese characters: an ASCII character (a digit, a Latin letter) is half of one."""
    return sum(0.5 if c.isascii() else 1.0 for c in text)


def repair(text: str, gaps: Sequence[Span] = (), offset: int = 0) -> str:
    """The reading of ``text`` (which starts at source offset ``offset``) with layout noise removed."""
    out: list[str] = []
    pending_space = False
    gi, n_gaps = 0, len(gaps)
    i, n = 0, len(text)
    while i < n:
        pos = offset + i
        while gi < n_gaps and gaps[gi][1] <= pos:
            gi += 1
        if gi < n_gaps and gaps[gi][0] <= pos:
            i = gaps[gi][1] - offset
            pending_space = True
            continue
        ch = text[i]
        if _is_space(ch):
            pending_space = True
        else:
            if pending_space and out and _ascii(out[-1]) and _ascii(ch):
                out.append(" ")
            out.append(ch)
            pending_space = False
        i += 1
    return "".join(out)


def align(source: str, start: int, end: int, text: str, gaps: Sequence[Span] = ()) -> list[int]:
    """Source offset of every character of ``text``, a repaired reading of ``source[start:end]``.

    Whitespace in ``text`` stands for a run of source whitespace, or for nothing where a gap or the next
    block follows directly. Raises ValueError when ``text`` is not such a reading (a bug upstream).
    """
    if not gaps and source.startswith(text, start) and start + len(text) <= end and not _ANY_SPACE.search(text):
        return list(range(start, start + len(text)))  # the text is the source as it stands
    out: list[int] = []
    pos, gi = start, 0
    gaps = sorted(gaps)

    def skip_gaps(p: int) -> int:
        nonlocal gi
        while True:
            while gi < len(gaps) and gaps[gi][1] <= p:
                gi += 1
            if gi < len(gaps) and gaps[gi][0] <= p < gaps[gi][1]:
                p = gaps[gi][1]
                continue
            return p

    for ch in text:
        pos = skip_gaps(pos)
        if _is_space(ch):
            out.append(min(pos, end))
            while pos < end and _is_space(source[pos]):
                pos = skip_gaps(pos + 1)
            continue
        while True:
            if pos >= end:
                raise ValueError(f"text does not follow its source span [{start}, {end}) at {ch!r}")
            src = source[pos]
            if src == ch:
                break
            if not _is_space(src):
                raise ValueError(f"text does not follow its source at offset {pos}: {src!r} ≠ {ch!r}")
            pos = skip_gaps(pos + 1)
        out.append(pos)
        pos += 1
    return out


def source_span(source: str, start: int, end: int, text: str, gaps: Sequence[Span], a: int, b: int) -> Span:
    """Source offsets of ``text[a:b]`` (end exclusive)."""
    offsets = align(source, start, end, text, gaps)
    return offsets[a], offsets[b - 1] + 1
