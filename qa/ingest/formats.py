"""Reading a corpus file into text: plain text (UTF-8, UTF-16, GBK), PDF, OFD, DOCX, DOC, Excel workbooks and saved
web pages.

The text returned is what every offset points into. For a UTF-8 ``.txt`` it equals
``Path(path).read_text(encoding="utf-8")`` exactly (universal newlines, a BOM kept as U+FEFF). For the
other formats it is the extracted text, which the index stores (``texts.jsonl.gz``):

- PDF (pdfplumber): each page's text in reading order, ruled tables as TAB-separated rows (a cell that stacks
  several rows is split by text line, words placed by the table's rulings); pages separated
  by a form feed; ``pages`` holds each page's start.
- OFD (GB/T 33190, ``qa.ingest.ofd``): each page's text in reading order, the text of its template pages with
  it; pages separated by a form feed as for PDF.
- DOCX (python-docx): paragraphs and tables in body order, a table row per line with TAB-separated cells.
- DOC (Word 97–2003, also as WPS saves it; ``qa.ingest.word97`` with olefile): the main text, paragraphs and
  table rows as for DOCX. A ``.doc`` that is another format under that name, as sites serve them (a DOCX, a
  saved web page), is read as what it is.
- XLSX, XLSM, XLS (``qa.ingest.sheets``: openpyxl, xlrd): each visible sheet's rows as TAB-separated lines,
  numbers as their cells' formats show them; an ``.xls`` that is a saved web page is read as one.
- WPS and ET (Kingsoft WPS Office's own names, common on government sites): WPS Writer's ``.wps`` is the Word
  97–2003 binary format with extensions of its own, read as a DOC (or as the DOCX or web page it may be); its
  spreadsheet's ``.et`` as an XLS or XLSX. A ``.wps`` of Microsoft Works (an OLE file with no WordDocument stream)
  is refused with what to do.
- HTML (readability-lxml for the main content, then ``qa.ingest.html``): block elements start lines,
  table rows become TAB-separated lines; navigation, menus and footers are left out.

Every failure is a ``BqaError`` naming the file and the reason.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BqaError
from qa.han import han_count

TEXT_SUFFIXES = (".txt", ".md")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")  # .et: WPS Office's spreadsheet, an XLS or XLSX inside
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".ofd", ".docx", ".doc", ".wps", ".html", ".htm", *SHEET_SUFFIXES)
SUPPORTED_NAMES = "txt, md, pdf, ofd, docx, doc, wps, html, xlsx, xls, et"
MAX_BYTES = 200 * 1024 * 1024
# What to do with the formats bulletins also come in that are not read: each said with the unsupported type
CONVERT_HINTS = {
    ".rtf": "save it as .docx", ".odt": "save it as .docx", ".ods": "save it as .xlsx",
    ".ppt": "export it as PDF", ".pptx": "export it as PDF",
}


CONVERT_HINTS_ZH = {
    ".rtf": "请另存为 .docx", ".odt": "请另存为 .docx",
    ".ods": "请另存为 .xlsx", ".ppt": "请导出为 PDF", ".pptx": "请导出为 PDF",
}


def unsupported(suffix: str) -> str:
    """Why a file type is not read, with what to do where that is known."""
    hint = CONVERT_HINTS.get(suffix.lower())
    return f"unsupported file type {suffix or '(none)'}; " + (hint if hint else f"supported: {SUPPORTED_NAMES}")


@dataclass(frozen=True)
class Extracted:
    """The text extracted from one file, its format, encoding and page starts."""

    text: str
    format: str  # txt | md | pdf | ofd | docx | doc | html | xlsx | xls
    encoding: str | None = None  # for text formats: utf-8, utf-16, gb18030
    pages: tuple[int, ...] = ()  # start offset of every page (paged formats and text with form feeds)
    documents: tuple[int, ...] = ()  # where each document starts, when the format says (a workbook's sheets)


def _universal_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.05


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode text bytes: a UTF-16/32 BOM, else UTF-8, else GB18030 (a superset of GBK/GB2312)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = None
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise BqaError(f"{name}: starts like {encoding.upper()} text but does not decode; re-save it as UTF-8") from None
        if not text.strip():
            raise BqaError(f"{name}: the file is empty; add text or remove it from the corpus")
        return _universal_newlines(text), encoding
    if not data.strip():
        raise BqaError(f"{name}: the file is empty; add text or remove it from the corpus")
    if _looks_binary(data):
        raise BqaError(f"{name}: looks like a binary file, not text; supported: {SUPPORTED_NAMES}")
    try:
        return _universal_newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise BqaError(f"{name}: not valid UTF-8 (byte {utf8_error.start}) nor GBK/GB18030; re-save it as UTF-8") from None
    han = han_count(text)
    if han < max(1, len(text) // 20):
        raise BqaError(f"{name}: not valid UTF-8 and does not read as GBK Chinese text; re-save it as UTF-8")
    return _universal_newlines(text), "gb18030"


def form_feed_pages(text: str) -> tuple[int, ...]:
    """Page starts of a text whose pages are separated by form feeds (empty when it has none)."""
    if "\f" not in text:
        return ()
    starts, at = [0], text.find("\f")
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\f", at + 1)
    if starts[-1] >= len(text.rstrip()):  # a trailing form feed starts no page
        starts.pop()
    return tuple(starts)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BqaError(f"{path.name}: {size / 2**20:.0f} MB is larger than the {MAX_BYTES // 2**20} MB limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise BqaError(f"{path}: the file disappeared while reading") from None
    except PermissionError:
        raise BqaError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise BqaError(f"{path}: is a folder, expected a file") from None


def extract(path: Path) -> Extracted:
    """Read one corpus file, raising BqaError with one line naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        raise BqaError(f"{path}: no such file")
    if path.is_dir():
        raise BqaError(f"{path}: is a folder, expected a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BqaError(f"{path.name}: {unsupported(path.suffix)}")
    data = _read_bytes(path)
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_bytes(data, path.name)
        return Extracted(text, suffix[1:], encoding, form_feed_pages(text))
    if not data.strip():
        raise BqaError(f"{path.name}: the file is empty; add text or remove it from the corpus")
    if suffix == ".pdf":
        return _pdf(data, path.name)
    if suffix == ".ofd":
        from qa.ingest.ofd import ofd_text

        text, pages = ofd_text(data, path.name)
        return Extracted(text, "ofd", None, pages)
    if suffix == ".docx":
        return _docx(data, path.name)
    if suffix == ".doc":
        return _doc(data, path.name)
    if suffix == ".wps":
        return _wps(data, path.name)
    if suffix in SHEET_SUFFIXES:
        from qa.ingest.sheets import sheet_kind, spreadsheet_text

        if sheet_kind(data) == "html":  # a web page saved with an .xls name, as many sites export tables
            return _html(data, path.name)
        text, kind, sheets = spreadsheet_text(data, path.name)
        return Extracted(text, kind, documents=sheets)
    return _html(data, path.name)


def _pdf(data: bytes, name: str) -> Extracted:
    """Each page's text in reading order (pdfplumber); ruled tables become TAB-separated rows, empty cells kept."""
    import io

    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    if not data.startswith(b"%PDF"):
        raise BqaError(f"{name}: not a PDF file (no %PDF header)")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFSyntaxError as err:
        raise BqaError(f"{name}: cannot open the PDF: {_damage(data, str(err))}") from None
    except Exception as err:  # pdfminer raises many types for encrypted or broken files
        reason = "it is password-protected" if "password" in str(err).lower() or "encrypt" in type(err).__name__.lower() \
            else _damage(data, type(err).__name__)
        raise BqaError(f"{name}: cannot open the PDF: {reason}") from None
    pages = []
    try:
        with pdf:
            for page in pdf.pages:
                pages.append(_universal_newlines(_page_text(page)).replace("\f", "\n").rstrip())
                page.flush_cache()
    except Exception as err:
        raise BqaError(f"{name}: cannot read the PDF: it is damaged ({type(err).__name__})") from None
    text, starts = joined_pages(pages)
    if not any(ch.isalnum() for ch in text):
        raise BqaError(f"{name}: the PDF has no text layer (scanned pages?); run OCR on it first, e.g. ocrmypdf")
    if unmapped_share(text) > 0.2:
        raise BqaError(f"{name}: the PDF's text does not decode (its fonts map glyphs to no characters: "
                       "(cid:…) codes); run OCR on it first, e.g. ocrmypdf --force-ocr",
                       zh=f"{name}：PDF 的文字层无法解码（字体未映射到字符，只有 (cid:…) 编码）；请先对其做 OCR，"
                          "例如 ocrmypdf --force-ocr")
    return Extracted(text, "pdf", None, starts)


_UNMAPPED = re.compile(r"\(cid:\d+\)|[\ue000-\uf8ff]")


def unmapped_share(text: str) -> float:
    """The share of a PDF's text that is glyphs its fonts map to no character: pdfminer's (cid:N) codes and
    private-use characters. 淮安's report, set in a font with no Unicode map, is 60 % of them (and no Chinese)."""
    solid = sum(not ch.isspace() for ch in text)
    return sum(len(m.group()) for m in _UNMAPPED.finditer(text)) / solid if solid else 0.0


def _damage(data: bytes, detail: str) -> str:
    """Why a PDF cannot be opened: cut short (no end-of-file marker, as an interrupted download leaves it) or
    damaged otherwise."""
    if b"%%EOF" not in data[-2048:]:
        return "it is cut short (no end-of-file marker: an interrupted download?); download it again"
    return f"it is damaged ({detail})"


def joined_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """The pages of a paged format (PDF, OFD) as one text, "\\n\\f" between them, and where each starts."""
    starts, pos = [], 0
    for text in pages:
        starts.append(pos)
        pos += len(text) + 2
    return "\n\f".join(pages), tuple(starts)


_CJK = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
_NUM_LINE = re.compile(r"^-?[\d,]+(\.\d+)?%?$")


def _join_cell(cell: str | None) -> str:
    """A wrapped table cell as one line: no space between two Chinese fragments, one otherwise."""
    out = ""
    for part in (p.strip() for p in (cell or "").split("\n")):
        if not part:
            continue
        if out and not (re.match(f"[{_CJK}]", part[0]) and re.match(f"[{_CJK}]", out[-1])):
            out += " "
        out += part
    return out.replace("\t", " ")


def _trusted(rows: list[list[str | None]]) -> bool:
    """A ruled table whose cells each hold one value; several numbers stacked in a cell mean unseparated rows."""
    return not any(sum(1 for ln in (c or "").split("\n") if _NUM_LINE.match(ln.strip())) >= 2 for row in rows for c in row)


def _ruled_lines(page, table) -> list[str]:
    """A ruled table whose cells stack several rows: one TAB row per text line, each word in its ruled column."""
    edges = sorted({round(cell[0], 1) for cell in table.cells})
    lines: list[list[dict]] = []
    for word in sorted(page.crop(table.bbox).extract_words(), key=lambda w: (w["top"], w["x0"])):
        mid = (word["top"] + word["bottom"]) / 2
        if lines and lines[-1][0]["top"] <= mid <= lines[-1][0]["bottom"]:
            lines[-1].append(word)
        else:
            lines.append([word])
    out = []
    for line in lines:
        cells = [""] * len(edges)
        for word in sorted(line, key=lambda w: w["x0"]):
            col = max(0, bisect_right(edges, (word["x0"] + word["x1"]) / 2) - 1)
            cells[col] = _join_cell(f"{cells[col]}\n{word['text']}")
        out.append("\t".join(cells))
    return out


def _line_keys(words: list[dict]) -> set[int]:
    return {round((w["top"] + w["bottom"]) / 4) for w in words}  # a text line's middle, to 2 points


def partly_ruled(page, table) -> bool:
    """Whether a ruled table has words beside it on most of its lines: its rules cover some columns only (the
    row labels, or the last column, printed outside them). Read as such, its figures lose their row names, so its
    page is read as text lines instead, which the layout reader splits into columns."""
    x0, top, x1, bottom = table.bbox
    band = page.crop((page.bbox[0], max(top, page.bbox[1]), page.bbox[2], min(bottom, page.bbox[3])))
    words = band.extract_words()
    beside = [w for w in words if w["x1"] <= x0 + 1 or w["x0"] >= x1 - 1]
    inside = [w for w in words if w["x0"] > x0 - 1 and w["x1"] < x1 + 1]
    lines = _line_keys(inside)
    return len(beside) >= 3 and len(_line_keys(beside) & lines) * 2 >= len(lines)


def _page_text(page) -> str:
    items, boxes = [], []  # (top, order, line)
    for table in page.find_tables():
        if partly_ruled(page, table):
            continue
        rows = table.extract()
        top = table.bbox[1]
        if _trusted(rows):
            items += [(top, i, "\t".join(_join_cell(c) for c in row)) for i, row in enumerate(rows)]
        else:
            items += [(top, i, row) for i, row in enumerate(_ruled_lines(page, table))]
        boxes.append(table.bbox)

    def outside(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and t0 <= y <= b1 for x0, t0, x1, b1 in boxes)

    rest = page.filter(outside) if boxes else page
    items += [(line["top"], 0, line["text"]) for line in rest.extract_text_lines()]
    items.sort(key=lambda it: (it[0], it[1]))
    return "\n".join(t for _, _, t in items)


def _docx(data: bytes, name: str) -> Extracted:
    import io
    import zipfile

    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise BqaError(f"{name}: not a readable DOCX file ({type(err).__name__}); re-save it from Word as .docx") from None
    lines: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            lines += ["\t".join(c.replace("\t", " ") for c in row) for row in _docx_rows(item)]
            lines.append("")
        else:
            lines.append(item.text)
    text = _universal_newlines("\n".join(lines)).strip("\n")
    if not text.strip():
        raise BqaError(f"{name}: the DOCX has no text")
    return Extracted(text + "\n", "docx")


def doc_kind(head: bytes) -> str | None:
    """What a file named .doc is, from its first bytes: a Word 97–2003 document (an OLE compound file), or what
    sites also serve under that name: a DOCX, a saved web page, a single-file web page (MHT: Word's 单个文件网页),
    an RTF file, a Word 2003 XML document; None for anything else. The corpus reader and the upload check ask
    this one function, so what one accepts the other reads."""
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "word97"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"{\\rtf"):
        return "rtf"
    if text.startswith(b"mime-version:") or (text.startswith(b"from:") and b"multipart/related" in text):
        return "mht"
    if b"<w:worddocument" in text or b'progid="word.document"' in text:
        return "wordml"
    if text.startswith(b"<!doctype html") or b"<html" in text:
        return "html"
    return None


def doc_refusal(kind: str | None, suffix: str = ".doc") -> BqaError | None:
    """Why a file named .doc (or ``suffix``: .wps) of this ``doc_kind`` is not read and what to do, in both
    languages (None: it is read); the corpus reader and the upload check say the same."""
    what = {"rtf": ("an RTF file", "RTF 文件"), "wordml": ("a Word 2003 XML document", "Word 2003 XML 文档")}.get(kind or "")
    if what is None:
        return None
    return BqaError(f"{what[0]} named {suffix}; open it in Word or WPS and save it as .docx",
                    zh=f"这是以 {suffix} 命名的 {what[1]}；请在 Word 或 WPS 中打开并另存为 .docx")


def _doc(data: bytes, name: str, suffix: str = ".doc") -> Extracted:
    """A Word 97–2003 document, or what sites serve under its name (``doc_kind``)."""
    kind = doc_kind(data)
    if kind == "docx":
        return _docx(data, name)
    if kind == "html":
        return _html(data, name)
    if kind == "mht":
        return _html(_mht_page(data, name), name)
    if refused := doc_refusal(kind, suffix):
        raise BqaError(f"{name}: {refused}", zh=f"{name}：{refused.text('zh')}")
    from qa.ingest.word97 import doc_text

    text = _universal_newlines(doc_text(data, name)).strip("\n")
    if not text.strip():
        raise BqaError(f"{name}: the Word document has no text")
    return Extracted(text + "\n", "doc")


def works_document(data: bytes) -> bool:
    """Whether an OLE compound file holds no Word text (no WordDocument stream): a Microsoft Works ``.wps``, not
    WPS Writer's (which is Word's binary format with extensions of its own)."""
    import io

    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return not ole.exists("WordDocument")
    except Exception:  # noqa: BLE001 — not an OLE file olefile can open: the Word reader says what is wrong
        return False


def wps_refusal(name: str) -> BqaError:
    return BqaError(f"{name}: not a WPS Writer document (no Word text in it: a Microsoft Works file?); "
                    "open it and save it as .docx",
                    zh=f"{name}：不是 WPS 文字文档（其中没有 Word 正文，可能是 Microsoft Works 文件）；请打开后另存为 .docx")


def _wps(data: bytes, name: str) -> Extracted:
    """A WPS Writer document: Word 97–2003's binary format with Kingsoft's extensions (read as a DOC, the
    extensions left out), or a DOCX or web page under that name, as a .doc may be."""
    if doc_kind(data) == "word97" and works_document(data):
        raise wps_refusal(name)
    return _doc(data, name, ".wps")


def _mht_page(data: bytes, name: str) -> bytes:
    """The web page of a single-file web page (MHT, as Word saves one): its first text/html part, decoded from
    its transfer encoding and written back in UTF-8 with a charset the HTML reader honours."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            raw = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                page = raw.decode(charset, errors="replace")
            except LookupError:
                page = raw.decode("gb18030", errors="replace")
            return ('<meta charset="utf-8">' + page).encode("utf-8")
    raise BqaError(f"{name}: a single-file web page (MHT) with no web page in it; save it as .docx")


def _docx_rows(table) -> list[list[str]]:
    """One entry per grid column: a merged cell once (then empty slots), a vertical-merge continuation empty."""
    from docx.oxml.ns import qn
    from docx.table import _Cell

    rows = []
    for tr in table._tbl.tr_lst:
        cells: list[str] = []
        for tc in tr.tc_lst:
            props = tc.tcPr
            vmerge = props.find(qn("w:vMerge")) if props is not None else None
            if vmerge is not None and vmerge.get(qn("w:val")) != "restart":
                text = ""
            else:
                text = " ".join(p.text.strip() for p in _Cell(tc, table).paragraphs if p.text.strip())
            cells.append(text)
            cells.extend([""] * (tc.grid_span - 1))
        rows.append(cells)
    return rows


def _html(data: bytes, name: str) -> Extracted:
    from qa.ingest.html import html_to_text

    text = html_to_text(data)
    if not text.strip():
        raise BqaError(f"{name}: the page has no readable main text")
    return Extracted(text, "html")
