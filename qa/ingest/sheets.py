"""Spreadsheets as text: each visible sheet's rows as TAB-separated lines, numbers as the sheet shows them.

Budget and final-accounts tables (预算公开表, 决算表) are often published as .xlsx or .xls. A sheet becomes what
``qa.ingest.blocks`` reads as a table: its title and unit lines (「2025年一般公共预算收入表」, 「单位：万元」) as
lines of their own, then one TAB-separated line per row, a merged cell once and then empty slots. A sheet's
name is said first, as a line of its own, when the sheet has no title row and its name says something (not Sheet1).

A number is written as its cell's format shows it: a percent format as a percentage (0.053 in 0.0% → 5.3%),
a fixed number of decimals kept (12.30), thousands separators where the format has them; a date as 2025年1月15日.
Hidden sheets are left out. openpyxl (MIT) reads .xlsx/.xlsm, xlrd (BSD) reads .xls with its formats; an
``.xls`` that is really a workbook of the newer kind, or a saved web page (as many sites export them), is read as
what it is.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from qa.errors import BqaError

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DECIMALS = re.compile(r"0\.(0+)")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')  # literal text, colours and conditions of a number format
_GENERIC_NAME = re.compile(r"(?i)sheet\s*\d*|工作表\s*\d*")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_UNIT_LINE = re.compile(r"\s*(?:计量)?单位[：:]")


def sheet_kind(data: bytes) -> str:
    """What a spreadsheet file's bytes are: xlsx (a zip), xls (an OLE file) or html (a page saved as .xls)."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        return "xls"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "html"
    return "unknown"


def format_number(value: float, number_format: str | None) -> str:
    """A cell's number as its format shows it (percent, fixed decimals, thousands separators), else plainly."""
    fmt = _QUOTED.sub("", (number_format or "General").split(";")[0])
    if fmt.lower() != "general" and "0" in fmt:
        found = _DECIMALS.search(fmt)
        places = len(found.group(1)) if found else 0
        if "%" in fmt:
            return f"{value * 100:.{places}f}%"
        return f"{value:,.{places}f}" if "," in fmt else f"{value:.{places}f}"
    if float(value).is_integer():
        return str(int(value))
    text = f"{round(value, 6):f}".rstrip("0").rstrip(".")  # the float's noise (0.30000000000000004) is no digit
    return text if text not in ("", "-0") else "0"


def _cell_text(value, number_format: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, (dt.datetime, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float)):
        return format_number(float(value), number_format)
    return " ".join(str(value).replace("\t", " ").split())  # a cell's own line breaks and tabs are spaces


def _names_itself(name: str) -> bool:
    return bool(_HAN.search(name)) and not _GENERIC_NAME.fullmatch(name.strip())


def _has_title(first_rows: list[list[str]]) -> bool:
    """Whether a sheet's first rows hold its own title: a lone cell with Chinese in it that is no unit line."""
    for row in first_rows:
        filled = [c for c in row if c]
        if len(filled) == 1 and _HAN.search(filled[0]) and not _UNIT_LINE.match(filled[0]):
            return True
    return False


def sheet_lines(name: str, rows: list[list[str]]) -> list[str]:
    """One sheet as lines: its name if it says more than its rows, a lone cell as a line, other rows TAB-joined,
    runs of empty rows as one blank line."""
    rows = [r[: max((i + 1 for i, c in enumerate(r) if c), default=0)] for r in rows]  # no trailing empty cells
    lines: list[str] = []
    if _names_itself(name) and not _has_title([r for r in rows if any(r)][:3]):
        lines += [name.strip(), ""]  # a line of its own: a title of the sheet, not a wrapped part of its first row
    for row in rows:
        filled = [c for c in row if c]
        if not filled:
            if lines and lines[-1]:
                lines.append("")
        elif len(filled) == 1:
            lines.append(filled[0])
        else:
            lines.append("\t".join(row))
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _xlsx_sheets(data: bytes, name: str) -> list[tuple[str, list[list[str]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 — zipfile, XML or openpyxl's own errors: one line to the reader
        raise BqaError(f"{name}: not a readable Excel workbook ({type(err).__name__}); re-save it as .xlsx") from None
    try:
        return [(sheet.title, [[_cell_text(c.value, getattr(c, "number_format", None)) for c in row]
                               for row in sheet.iter_rows()])
                for sheet in book.worksheets if sheet.sheet_state == "visible"]
    finally:
        book.close()


def _xls_sheets(data: bytes, name: str) -> list[tuple[str, list[list[str]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as err:  # noqa: BLE001 — a damaged file fails anywhere inside xlrd; it is one line to the reader
        raise BqaError(f"{name}: not a readable Excel 97–2003 workbook ({type(err).__name__}); "
                       f"re-save it as .xlsx") from None
    sheets = []
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.visibility != 0:
                continue
            rows = []
            for r in range(sheet.nrows):
                cells = []
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if cell.xf_index is not None else None
                    cells.append(_xls_value(book, cell, fmt.format_str if fmt is not None else None))
                rows.append(cells)
            sheets.append((sheet.name, rows))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets


def _xls_value(book, cell, number_format: str | None) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_number(float(cell.value), None)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return _cell_text(bool(cell.value))
    return _cell_text(cell.value, number_format)


def spreadsheet_text(data: bytes, name: str) -> tuple[str, str]:
    """The text of a workbook (.xlsx, .xlsm, .xls) and its kind; a saved web page is left to the caller."""
    kind = sheet_kind(data)
    if kind == "xlsx":
        sheets = _xlsx_sheets(data, name)
    elif kind == "xls":
        sheets = _xls_sheets(data, name)
    else:
        raise BqaError(f"{name}: not an Excel workbook (neither .xlsx nor .xls inside); re-save it as .xlsx")
    lines: list[str] = []
    for title, rows in sheets:
        body = sheet_lines(title, rows)
        if body:
            lines += [*body, ""]
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        raise BqaError(f"{name}: the workbook has no text in its visible sheets")
    return text + "\n", kind
