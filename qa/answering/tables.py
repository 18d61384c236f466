"""Table rows: one candidate per value cell, described by its row label and column header, so
the scorer picks the cell by row × column (the 2023 row; 上半年完成情况 vs 全年计划目标)."""

from __future__ import annotations

import dataclasses
import re

from qa.types import Chunk

from .spans import Segments, Span, date_spans, name_spans, normalise_number, number_spans

_LONG_CELL = re.compile(r"<[a-zA-Z/]|●|•")
_UNIT_IN_HEADER = re.compile(r"[（(]\s*([^）)]{1,8})\s*[）)]")
_UNIT_IN_CELL = re.compile(
    r"\d\s*(万亿元|亿元|万元|元|万平方米|平方米|公顷|个百分点|人次|人|件|个|家|户|%|％)"
)


def _tab_bounds(raw: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for part in raw.split("\t"):
        s, e = pos, pos + len(part)
        while s < e and raw[s].isspace():
            s += 1
        while e > s and raw[e - 1].isspace():
            e -= 1
        out.append((s, e))
        pos += len(part) + 1
    return out


def locate_cells(raw: str, cells: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of each cell's stripped text inside the raw row; (-1, -1) when not found.

    A cell the chunker cleaned (HTML lists, bullets) is not found verbatim; it then takes the
    tab-separated field at its position in the raw row, when the row has as many fields."""
    tabs = _tab_bounds(raw)
    if not cells:
        return tabs
    out, cursor = [], 0
    for i, cell in enumerate(cells):
        needle = cell.strip()
        at = raw.find(needle, cursor) if needle else -1
        if at == -1:
            if len(tabs) == len(cells) and tabs[i][0] >= cursor and tabs[i][1] > tabs[i][0]:
                out.append(tabs[i])
                cursor = tabs[i][1]
            else:
                out.append((-1, -1))
            continue
        out.append((at, at + len(needle)))
        cursor = at + len(needle)
    return out


def table_spans(chunk: Chunk, raw: str, base: int, want: frozenset[str], counter: str = "") -> list[Span]:
    bounds = locate_cells(raw, chunk.cells)
    cells = [raw[s:e] if s >= 0 else "" for s, e in bounds]
    header = list(chunk.header) + [""] * max(0, len(cells) - len(chunk.header))
    if not cells:
        return []
    unit_col = next((i for i, h in enumerate(header) if "单位" in h and h.strip() == "单位"), None)
    row_unit = cells[unit_col].strip() if unit_col is not None and unit_col < len(cells) else None
    label_cols = [0]
    label = cells[0]
    caption = chunk.table or ""
    row_text = "｜".join(cells)
    header_text = " ".join(header)
    spans: list[Span] = []
    for i, ((s, e), cell) in enumerate(zip(bounds, cells, strict=True)):
        if s < 0 or not cell or i in label_cols or i == unit_col or not re.search(r"[\w<>＜＞]", cell):
            continue  # an empty cell (—, /) says there is no figure, it is not one
        col = header[i] if i < len(header) else ""
        if _LONG_CELL.search(cell) or len(cell) > 60:
            spans.extend(_inner_spans(cell, base + s, want, f"{label} {col}", counter))
            continue
        if "number" not in want and "table_cell" not in want:
            continue
        unit = row_unit or _unit_of(col, cell)
        num = re.search(r"\d+(?:\.\d+)?", cell)
        value = normalise_number(num.group(0), None) if num and len(cell) <= 12 else cell
        spans.append(
            Span(
                "table_cell",
                base + s,
                base + e,
                cell,
                own=f"{label} {col}",
                after="",
                clause=row_text,
                sentence=f"{caption} {header_text}",
                before=f"{label} {col}",
                unit=unit,
                value=value,
            )
        )
    return spans


def _unit_of(col: str, cell: str) -> str | None:
    m = _UNIT_IN_CELL.search(cell) or _UNIT_IN_HEADER.search(col)
    if m:
        return m.group(1)
    return None


def _inner_spans(cell: str, base: int, want: frozenset[str], label: str, counter: str = "") -> list[Span]:
    """Figures and names inside a long (HTML or bulleted) cell, read like running text."""
    seg = Segments(cell)
    spans: list[Span] = []
    if "number" in want:
        spans += number_spans(cell, base, seg, counter)
    if "date" in want:
        spans += date_spans(cell, base, seg)
    if "entity" in want:
        spans += name_spans(cell, base, seg)
    return [dataclasses.replace(sp, sentence=f"{sp.sentence} {label}") for sp in spans]
