"""Spreadsheets as text: each visible sheet's rows as TAB-separated lines, numbers as the sheet shows them.

Budget and final-accounts tables (预算公开表, 决算表) are often published as .xlsx or .xls. A sheet becomes what
``qa.ingest.blocks`` reads as one table of its own (``sheet_lines``): its title (or, without one, the sheet's
name), its 单位： line, then one TAB-separated line per row, a merged cell once and then empty slots.

A number is written as its cell's format shows it (``format_number``): 0.053 in 0.0% as 5.3%, 12.3 in 0.00 as
12.30, thousands separators, scaling commas, a point put into the digits (0!.0000, yuan shown as 万元), the
format's own words (0.00"万元"), rounded half away from zero as Excel does; a date as 2025年1月15日.
Hidden sheets are left out (hidden rows and columns are not: read-only reading does not see them). openpyxl
(MIT) reads .xlsx/.xlsm, xlrd (BSD) reads .xls with its formats; a workbook under the other suffix, or a web
page saved as .xls (as many sites export tables), is read as what it is; an Excel 2003 XML workbook or a
password-protected one is refused with one line saying so.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal

from qa.errors import BqaError

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DECIMALS = re.compile(r"0\.(0+)")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')  # literal text, colours and conditions of a number format
_HAN = re.compile(r"[\u4e00-\u9fff]")
_GENERIC_NAME = re.compile(r"(?i)(?:sheet|工作表)\s*\d*")
_UNIT_LINE = re.compile(r"\s*(?:金额|计量)?单位[：:]")  # the table's unit line, as the block parser reads one
_KEY_VALUE = re.compile(r"\s*[^\s：:]{1,10}[：:]\s*\S")  # 单位：万元, 部门：某区教育局, 编制单位：…


def sheet_kind(data: bytes) -> str:
    """What a spreadsheet file's bytes are: xlsx (a zip), xls (an OLE file), encrypted (an OLE file holding an
    encrypted workbook), xml2003 (Excel 2003 XML), html (a page saved as .xls) or unknown."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        return "encrypted" if "EncryptionInfo".encode("utf-16-le") in data[:1 << 20] else "xls"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head and b"<workbook" in head:
        return "xml2003"
    if head.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "html"
    return "unknown"


def _literal_parts(fmt: str) -> list[tuple[bool, str]]:
    """A number format's section as (literal?, text) pieces: quoted text and escaped characters are literal, a
    bracket ([Red], [$¥-804], [>100]) is dropped, _x (a space as wide as x) and *x (fill) are dropped."""
    parts: list[tuple[bool, str]] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            end = fmt.find('"', i + 1)
            end = len(fmt) if end < 0 else end
            parts.append((True, fmt[i + 1:end]))
            i = end + 1
        elif ch in "\\!" and i + 1 < len(fmt):
            parts.append((True, fmt[i + 1]))
            i += 2
        elif ch == "[":
            end = fmt.find("]", i)
            i = len(fmt) if end < 0 else end + 1
        elif ch in "_*" and i + 1 < len(fmt):
            i += 2
        else:
            parts.append((False, ch))
            i += 1
    return parts


def _round_half_up(value: float, places: int) -> Decimal:
    """Rounded as Excel rounds what it shows: the decimal the cell holds (its shortest repr), half away from zero."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_number(value: float, number_format: str | None) -> str:
    """A cell's number as its format shows it: percent, decimals (0.00, 0.0#), thousands separators, scaling
    commas (#,##0, → thousands), a literal point between digits (0!.0000: yuan shown as 万元), an exponent, zero
    padding (000), the format's own text around the number (0.00"万元" → 12.30万元); plainly for General or text."""
    section = (number_format or "General").split(";")[0]
    parts = _literal_parts(section)
    code = "".join(c for lit, c in parts if not lit)
    if code.strip().lower() in ("general", "", "@") or not any(c in "0#?" for c in code) or "/" in code:
        return _plain(value)
    digits = [k for k, (lit, c) in enumerate(parts) if not lit and c in "0#?"]
    first, last = digits[0], digits[-1]
    prefix = "".join(c for lit, c in parts[:first] if lit or c in "$¥￥(-+ ")
    suffix = "".join(c for lit, c in parts[last + 1:] if lit or c in "%)元 ")
    body = parts[first:last + 1]
    scale = 0
    k = last + 1
    while k < len(parts) and not parts[k][0] and parts[k][1] == ",":  # #,##0, and #,##0.00,, scale by 1000s
        scale += 1
        k += 1
    tail = "".join(c for lit, c in parts[k:] if not lit)
    if "%" in code:
        value *= 100
    value /= 1000 ** scale
    if any(not lit and c in "eE" for lit, c in parts[last + 1:]) or any(not lit and c in "eE" for lit, c in body):
        mantissa = re.split(r"[eE]", "".join(c for lit, c in parts if not lit))[0]
        places = sum(1 for c in mantissa.partition(".")[2] if c in "0#?")
        return prefix + f"{value:.{places}E}" + suffix
    point = next((k for k, (lit, c) in enumerate(body) if not lit and c == "."), None)
    literal_point = next((k for k, (lit, c) in enumerate(body) if lit and c in ".．"), None)
    if point is None and literal_point is not None:  # 0!.0000: the number shown with a point put in its digits
        shift = sum(1 for lit, c in body[literal_point + 1:] if not lit and c in "0#?")
        whole = str(abs(int(_round_half_up(value, 0)))).rjust(shift + 1, "0")
        sign = "-" if value < 0 and int(whole) else ""
        return prefix + sign + whole[:-shift] + body[literal_point][1] + whole[-shift:] + suffix + tail.strip(",")
    int_part = body[:point] if point is not None else body
    dec_part = body[point + 1:] if point is not None else []
    min_places = sum(1 for lit, c in dec_part if not lit and c == "0")
    max_places = sum(1 for lit, c in dec_part if not lit and c in "0#?")
    grouped = any(not lit and c == "," for lit, c in int_part)
    min_int = sum(1 for lit, c in int_part if not lit and c == "0")
    number = _round_half_up(value, max_places)
    text = f"{abs(number):,.{max_places}f}" if grouped else f"{abs(number):.{max_places}f}"
    if max_places > min_places:
        whole, _, frac = text.partition(".")
        frac = frac[:min_places] + frac[min_places:].rstrip("0")
        text = whole + ("." + frac if frac else "")
    whole, dot, frac = text.partition(".")
    if min_int > 1:
        whole = whole.replace(",", "").zfill(min_int) if not grouped else whole
    elif min_int == 0 and whole == "0" and frac:
        whole = ""  # #.00 shows .50
    sign = "-" if number < 0 else ""
    return prefix + sign + whole + dot + frac + suffix


def _plain(value: float) -> str:
    """A General cell: as Excel shows it, an integer plainly and a fraction to at most ten significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if value != 0 and (abs(value) < 1e-4 or abs(value) >= 1e15):
        mantissa, _, exponent = f"{value:.5E}".partition("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    text = format(Decimal(repr(value)).quantize(Decimal(1).scaleb(-9), rounding=ROUND_HALF_UP).normalize(), "f")
    return text if text not in ("-0", "") else "0"


def _cell_text(value, number_format: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        code = "".join(c for lit, c in _literal_parts(number_format or "") if not lit).lower()
        if "y" in code and "d" not in code:  # yyyy"年"m"月": a month, not the first day of it
            return f"{value.year}年{value.month}月" if "m" in code else f"{value.year}年"
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, (dt.datetime, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (int, float)):
        return format_number(float(value), number_format)
    return " ".join(str(value).replace("\t", " ").split())  # a cell's own line breaks and tabs are spaces


def _has_title(first_rows: list[list[str]]) -> bool:
    """Whether a sheet's first rows hold its own title: a lone cell with Chinese in it that is no 单位： line."""
    for row in first_rows:
        filled = [c for c in row if c]
        if len(filled) == 1 and _HAN.search(filled[0]) and not _KEY_VALUE.match(filled[0]):
            return True
    return False


def sheet_lines(name: str, rows: list[list[str]], book: str = "") -> list[str]:
    """One sheet as lines the block parser reads as one table of its own.

    - Above the table (before its first row of two or more cells that are not all 部门：… notes): its title
      lines, then its 单位： line, then the table; the other notes of those rows (部门：某区教育局, 编制单位：…)
      after the table, so that nothing stands between a title and its rows. A sheet with no title row is
      headed by its name, so that its rows never go on the previous sheet's table.
    - In the table every row is TAB-separated, a row of one cell (一、工资福利支出) padded with empty cells, so
      that it stays a row of the table, not a heading that would end it.
    - An empty sheet says nothing, not even its name."""
    rows = [r[: max((i + 1 for i, c in enumerate(r) if c), default=0)] for r in rows]  # no trailing empty cells
    filled_rows = [r for r in rows if any(r)]
    if not filled_rows:
        return []
    sheet = name.strip() or "Sheet"
    if _GENERIC_NAME.fullmatch(sheet) and book:
        sheet = f"{book} {sheet}"  # Sheet2 alone names nothing in a list of reports: the workbook's name before it
    titles: list[str] = [] if _has_title(filled_rows[:3]) else [sheet]
    units: list[str] = []
    notes: list[str] = []
    body: list[list[str]] = []
    for row in rows:
        cells = [c for c in row if c]
        if not body:
            if not cells:
                continue
            if all(_KEY_VALUE.match(c) for c in cells):
                for c in cells:
                    (units if _UNIT_LINE.match(c) else notes).append(c)
                continue
            if len(cells) == 1:
                titles.append(cells[0])
                continue
        body.append(row)
    while body and not any(body[-1]):
        body.pop()
    width = max((len(r) for r in body), default=0)
    table: list[str] = []
    for row in body:
        if not any(row):
            if table and table[-1]:
                table.append("")
            continue
        # every row as wide as the table (a header row stacks on the one above only when as wide), a lone cell
        # at least three wide (two TABs make a row of one cell)
        table.append("\t".join(row + [""] * (max(width, 3 if sum(map(bool, row)) == 1 else 0) - len(row))))
    return [*titles, *units, *table, *([""] + notes if notes else [])]


# The built-in number formats a zh-CN Excel writes by id alone (ECMA-376 Part 1, 18.8.30, zh-cn): openpyxl knows
# only the locale-free ones and reads these as General, so a date printed 2025年1月15日 came out as 45672.
ZH_CN_BUILTIN_FORMATS = {
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"', 34: 'AM/PMh"时"mm"分"', 35: 'AM/PMh"时"mm"分"ss"秒"',
    36: 'yyyy"年"m"月"', 50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: 'm"月"d"日"', 55: 'AM/PMh"时"mm"分"', 56: 'AM/PMh"时"mm"分"ss"秒"', 57: 'yyyy"年"m"月"', 58: 'm"月"d"日"',
}


def _xlsx_sheets(data: bytes, name: str) -> list[tuple[str, list[list[str]]]]:
    import openpyxl
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    for key, code in ZH_CN_BUILTIN_FORMATS.items():  # ids openpyxl leaves undefined; writing is not affected
        BUILTIN_FORMATS.setdefault(key, code)

    try:
        with warnings.catch_warnings():  # "Data Validation extension is not supported…": not the reader's concern
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 — zipfile, XML or openpyxl's own errors: one line to the reader
        raise BqaError(f"{name}: not a readable Excel workbook ({type(err).__name__}); re-save it as .xlsx") from None
    try:
        sheets = []
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                continue
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # a file's stated size can be wrong (and would cut rows off): read all
            sheets.append((sheet.title, [[_cell_text(c.value, _format_of(c)) for c in row]
                                         for row in sheet.iter_rows()]))
        return sheets
    except Exception as err:  # noqa: BLE001 — a sheet damaged inside (its XML) fails only when it is read
        raise BqaError(f"{name}: a sheet of the workbook cannot be read ({type(err).__name__}); "
                       f"re-save it as .xlsx") from None
    finally:
        book.close()


def _format_of(cell) -> str | None:
    """A cell's number format; None (plain) where its style names a format the file does not define."""
    try:
        return getattr(cell, "number_format", None)
    except (IndexError, KeyError):
        return None


def _xls_sheets(data: bytes, name: str) -> list[tuple[str, list[list[str]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())  # its warnings are not ours to print (stdout is JSON)
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
    except Exception as err:  # noqa: BLE001 — a sheet damaged inside fails only when it is read
        raise BqaError(f"{name}: a sheet of the workbook cannot be read ({type(err).__name__}); "
                       f"re-save it as .xlsx") from None
    finally:
        book.release_resources()
    return sheets


def _xls_value(book, cell, number_format: str | None) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode), number_format)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_number(float(cell.value), None)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return _cell_text(bool(cell.value))
    return _cell_text(cell.value, number_format)


def spreadsheet_text(data: bytes, name: str) -> tuple[str, str, tuple[int, ...]]:
    """The text of a workbook (.xlsx, .xlsm, .xls), its kind and where each sheet's text starts (each sheet is a
    document of its own: its title names the passages cited from it); a saved web page is left to the caller."""
    kind = sheet_kind(data)
    if kind == "xlsx":
        sheets = _xlsx_sheets(data, name)
    elif kind == "xls":
        sheets = _xls_sheets(data, name)
    elif kind == "encrypted":
        raise BqaError(f"{name}: the workbook is password-protected; save a copy without a password")
    elif kind == "xml2003":
        raise BqaError(f"{name}: an Excel 2003 XML workbook, which is not read; re-save it as .xlsx")
    else:
        raise BqaError(f"{name}: not an Excel workbook (neither .xlsx nor .xls inside); re-save it as .xlsx")
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for title, rows in sheets:
        if body := sheet_lines(title, rows, book=name.rsplit(".", 1)[0]):
            starts.append(at)
            parts.append("\n".join(body) + "\n")
            at += len(parts[-1]) + 1  # a blank line between sheets
    text = "\n".join(parts)
    if not text.strip():
        raise BqaError(f"{name}: the workbook has no text in its visible sheets")
    return text, kind, tuple(starts)
