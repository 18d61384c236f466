"""Word 97–2003 binary documents (``.doc``, also as WPS saves them): the main text, paragraphs and table rows.

Many People's Congress sites still publish their bulletins and reports as ``.doc``. The file is an OLE compound
file (read with ``olefile``, BSD); its text is read as [MS-DOC] lays it out:

- the File Information Block (FIB) at the start of the ``WordDocument`` stream gives the length of the main
  document's text (``ccpText``), which of ``0Table``/``1Table`` holds the tables of the file, and where in it the
  piece table (``Clx``) and the paragraphs' property pages (``PlcBtePapx``) stand;
- the piece table maps the text's characters to the bytes that hold them: UTF-16 pieces, or "compressed" pieces
  of one byte a character (cp1252);
- the paragraphs' properties say which paragraph mark ends a table row (``sprmPFTtp``).

What is returned is the main text only (no headers, footers, footnotes or text boxes): a paragraph per line; a
table row per line with TAB-separated cells (a cell of several paragraphs joined by spaces); a field (a page
number, a table of contents' entry, a hyperlink) as its shown result, not its code; pictures and drawn objects
left out; manual line breaks and page breaks as line ends. Nothing is guessed: a file that is not a Word
document, or is encrypted, or whose tables do not parse, raises ``BqaError`` naming the reason.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from qa.errors import BqaError

_WORD_IDENT = 0xA5EC
_FC_CLX, _FC_PLCF_BTE_PAPX = 33, 13  # their (fc, lcb) pair's index in FibRgFcLcb97
_SPRM_TTP, _SPRM_INNER_TTP = 0x2417, 0x244C  # paragraph mark ends a table row (outer table / nested table)
_SPRM_IN_TABLE = 0x2416  # the paragraph is in a table's cell
# the paragraph's properties are too many for its page: they stand in the Data stream (0x6646; 0x6645 in older
# readers' tables, read alike)
_SPRM_HUGE_PAPX = (0x6646, 0x6645)
_HUGE_MAX = 0x3FA2  # the longest property list the Data stream holds for one paragraph
_MIN_NFIB = 106  # Word 97's nFib is 0x00C1; below 106 (Word 6, Word 95) the file is laid out otherwise
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# a one-byte ("compressed") piece's bytes are Latin-1 but for these 27, which are cp1252's ([MS-DOC] FcCompressed)
_COMPRESSED = {b: bytes([b]).decode("cp1252") for b in (*range(0x82, 0x8D), *range(0x91, 0x9D), 0x9F)}
_CELL, _PARAGRAPH = "\x07", "\r"
_DROPPED = dict.fromkeys(map(ord, "\x01\x02\x03\x04\x05\x06\x08\x1f"))  # pictures, drawn objects, note marks
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"


def doc_text(data: bytes, name: str) -> str:
    """The text of a Word 97–2003 document's main story, lines as described above."""
    import io

    import olefile

    if not olefile.isOleFile(io.BytesIO(data)):
        raise BqaError(f"{name}: not a Word 97–2003 document (no OLE compound file); re-save it from Word as .docx")
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("WordDocument"):
                raise BqaError(f"{name}: not a Word document (no WordDocument stream); re-save it from Word as .docx")
            word = ole.openstream("WordDocument").read()
            fib = _fib(word, name)
            table_name = "1Table" if fib.which_table else "0Table"
            if not ole.exists(table_name):
                raise BqaError(f"{name}: a damaged Word document (no {table_name} stream); re-save it as .docx")
            table = ole.openstream(table_name).read()
            extra = ole.openstream("Data").read() if ole.exists("Data") else b""
    except struct.error:
        raise BqaError(f"{name}: a damaged Word document (its file information does not parse); re-save it as .docx") from None
    except (OSError, ValueError) as err:  # olefile's errors on a damaged compound file
        raise BqaError(f"{name}: not a readable Word document ({type(err).__name__}); re-save it as .docx") from None
    try:
        pieces = _pieces(table, fib.clx, name)
        chars, fcs = _characters(word, pieces, fib.ccp_text)
        if chars is None:
            raise BqaError(f"{name}: a damaged Word document (its text is cut short); re-save it as .docx")
        row_ends, in_table = _table_marks(word, table, extra, fib.bte_papx)
    except (IndexError, struct.error, UnicodeDecodeError):
        raise BqaError(f"{name}: a damaged Word document (its text tables do not parse); re-save it as .docx") from None
    return _lines(chars, fcs, row_ends, in_table)


@dataclass(frozen=True)
class _Fib:
    """What the File Information Block says that the text needs."""

    ccp_text: int  # characters of the main document's text
    which_table: bool  # the tables stand in 1Table (else 0Table)
    clx: tuple[int, int]  # (offset, length) of the piece table in the table stream
    bte_papx: tuple[int, int]  # (offset, length) of the paragraphs' property page table


def _fib(word: bytes, name: str) -> _Fib:
    if len(word) < 0x22 or struct.unpack_from("<H", word, 0)[0] != _WORD_IDENT:
        raise BqaError(f"{name}: not a Word 97–2003 document (an older or another format); re-save it as .docx")
    if struct.unpack_from("<H", word, 2)[0] < _MIN_NFIB:
        raise BqaError(f"{name}: a Word document older than Word 97 (Word 6 or 95); re-save it as .docx")
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if flags & 0x0100:
        raise BqaError(f"{name}: the Word document is encrypted; save a copy without a password")
    at = 0x20
    csw = struct.unpack_from("<H", word, at)[0]
    at += 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, at)[0]
    lw = at + 2
    ccp_text = struct.unpack_from("<i", word, lw + 3 * 4)[0]
    at = lw + 4 * cslw
    cb_rg_fc_lcb = struct.unpack_from("<H", word, at)[0]
    rg = at + 2
    if cb_rg_fc_lcb <= _FC_CLX:
        raise BqaError(f"{name}: a Word document older than Word 97; re-save it as .docx")

    def pair(k: int) -> tuple[int, int]:
        fc, lcb = struct.unpack_from("<II", word, rg + 8 * k)
        return fc, lcb

    return _Fib(max(ccp_text, 0), bool(flags & 0x0200), pair(_FC_CLX), pair(_FC_PLCF_BTE_PAPX))


def _pieces(table: bytes, clx: tuple[int, int], name: str) -> list[tuple[int, int, int, bool]]:
    """(first character, end character, first byte, compressed) of each piece of the piece table."""
    at, end = clx[0], clx[0] + clx[1]
    while at < end and table[at] == 0x01:  # Prc: property modifiers the text does not need
        size = struct.unpack_from("<h", table, at + 1)[0]
        if size < 0:
            raise BqaError(f"{name}: a damaged Word document (its piece table does not parse); re-save it as .docx")
        at += 3 + size
    if at >= end or table[at] != 0x02:
        raise BqaError(f"{name}: a damaged Word document (no piece table); re-save it as .docx")
    lcb = struct.unpack_from("<I", table, at + 1)[0]
    plc = at + 5
    n = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", table, plc)
    if n < 1 or cps[0] != 0 or any(a >= b for a, b in zip(cps, cps[1:], strict=False)):
        # pieces that overlap could name the same bytes again and again (a small file of gigabytes of text)
        raise BqaError(f"{name}: a damaged Word document (its piece table does not parse); re-save it as .docx")
    out = []
    for k in range(n):
        fc = struct.unpack_from("<I", table, plc + 4 * (n + 1) + 8 * k + 2)[0]
        compressed = bool(fc & 0x40000000)
        start = (fc & 0x3FFFFFFF) // 2 if compressed else fc
        out.append((cps[k], cps[k + 1], start, compressed))
    return out


def _characters(word: bytes, pieces: list[tuple[int, int, int, bool]], ccp_text: int) -> tuple[str | None, array]:
    """The main text's characters and, for each, the byte of the WordDocument stream just after it (where the
    paragraph property pages say a paragraph ends); ``None`` when the stream ends before the text does."""
    chars: list[str] = []
    ends = array("I")
    ccp_text = min(ccp_text, len(word))  # a character takes one byte at least
    if not pieces or pieces[-1][1] < ccp_text:  # the pieces end before the main text does
        return None, ends
    for cp0, cp1, fc, compressed in pieces:
        if cp0 >= ccp_text:
            break
        n = min(cp1, ccp_text) - cp0
        if fc + n * (1 if compressed else 2) > len(word):
            return None, ends
        if compressed:
            chars.append(word[fc:fc + n].decode("latin-1").translate(_COMPRESSED))
            ends.extend(range(fc + 1, fc + n + 1))
        else:  # a character outside the BMP (a rare name's 𠀀) is two UTF-16 units, four bytes
            part = word[fc:fc + 2 * n].decode("utf-16-le", "surrogatepass")
            at = fc
            for ch in part:
                at += 4 if ord(ch) > 0xFFFF else 2
                ends.append(at)
            chars.append(_LONE_SURROGATE.sub("\ufffd", part))
    return "".join(chars), ends


def _table_marks(word: bytes, table: bytes, extra: bytes, bte: tuple[int, int]) -> tuple[set[int], set[int]]:
    """The bytes (in the WordDocument stream) of the paragraph marks that end a table row (sprmPFTtp or
    sprmPFInnerTtp set) and of those of paragraphs in a table's cell (sprmPFInTable), read from the paragraphs'
    property pages (PapxFkp), or for a paragraph of many properties (a row's end, with its table's definition)
    from the Data stream (``extra``). A paragraph is known by the byte after its mark."""
    fc, lcb = bte
    if lcb < 8:
        return set(), set()
    n = (lcb - 4) // 8
    pns = struct.unpack_from(f"<{n}I", table, fc + 4 * (n + 1))
    ends: set[int] = set()
    cells: set[int] = set()
    huge: dict[int, dict[int, bytes]] = {}  # a Data-stream property list, read once however many name it
    for pn in dict.fromkeys(pn & 0x3FFFFF for pn in pns):  # each page once
        page = word[pn * 512:pn * 512 + 512]
        if len(page) < 512:
            continue
        crun = page[511]
        bounds = struct.unpack_from(f"<{crun + 1}I", page, 0)
        for k in range(crun):
            offset = page[4 * (crun + 1) + 13 * k] * 2
            sprms = _paragraph_sprms(page, offset) if offset else {}
            for sprm in _SPRM_HUGE_PAPX:
                if len(sprms.get(sprm, b"")) == 4:
                    at = struct.unpack_from("<I", sprms[sprm])[0]
                    if at not in huge and at + 2 <= len(extra):
                        size = min(_HUGE_MAX, struct.unpack_from("<H", extra, at)[0])
                        huge[at] = dict(_sprms(extra[at + 2:at + 2 + size]))
                    sprms |= huge.get(at, {})
            marks = (bounds[k + 1],)  # the byte after the paragraph's mark, as the characters' ends are kept
            if any(sprms.get(s, b"")[:1] == b"\x01" for s in (_SPRM_TTP, _SPRM_INNER_TTP)):
                ends.update(marks)
            if sprms.get(_SPRM_IN_TABLE, b"")[:1] == b"\x01":
                cells.update(marks)
    return ends, cells


def _paragraph_sprms(page: bytes, offset: int) -> dict[int, bytes]:
    cb = page[offset]
    if cb == 0:
        size, at = 2 * page[offset + 1], offset + 2
    else:
        size, at = 2 * cb - 1, offset + 1
    return dict(_sprms(page[at + 2:at + size]))  # after the paragraph's style index


def _sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    at = 0
    while at + 2 <= len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, at)[0]
        at += 2
        spra = sprm >> 13
        if spra in (0, 1):
            size = 1
        elif spra in (2, 4, 5):
            size = 2
        elif spra == 3:
            size = 4
        elif spra == 7:
            size = 3
        else:  # variable: its first byte (two for sprmTDefTable) says how long
            if sprm == 0xD608:
                size = struct.unpack_from("<H", grpprl, at)[0] + 1
            else:
                size = grpprl[at] + 1 if at < len(grpprl) else 0
        yield sprm, grpprl[at:at + size]
        at += size


def _shown(text: str) -> list[bool]:
    """Which characters are shown: a field (a page number, a table of contents' entry, a hyperlink, a form field)
    shows its result, between its separator and its end, never its code; nested fields too, and a result that
    runs over paragraph marks (a form field holding a title of two lines)."""
    shown = []
    stack: list[bool] = []  # per open field: whether its result (after the separator) is being read
    for ch in text:
        if ch == _FIELD_BEGIN:
            stack.append(False)
            shown.append(False)
        elif ch == _FIELD_SEPARATOR and stack:
            stack[-1] = True
            shown.append(False)
        elif ch == _FIELD_END and stack:
            stack.pop()
            shown.append(False)
        else:
            shown.append(all(stack) and ch not in (_FIELD_SEPARATOR, _FIELD_END))
    return shown


def _lines(chars: str, fcs: array, row_ends: set[int], in_table: set[int]) -> str:
    """Paragraphs as lines and table rows as TAB-separated lines: a cell mark (\\x07) ends a cell unless the
    paragraph properties say it ends a row; the paragraphs of one cell are joined by spaces, and a paragraph that
    is in no table ends a row whose end was missed (the rest of the document is not one line)."""
    shown = _shown(chars)
    lines: list[str] = []
    cells: list[str] = []
    current: list[str] = []
    run: list[str] = []
    for k, ch in enumerate(chars):
        if not shown[k]:
            continue
        if ch not in (_CELL, _PARAGRAPH):
            run.append(ch)
            continue
        piece, run = _clean("".join(run)), []
        if ch == _CELL:
            if fcs[k] in row_ends:  # the row's end mark: the row is complete
                lines.append("\t".join(cells))
                cells = []
            else:
                current.append(piece)
                cells.append(" ".join(" ".join(current).split()))
                current = []
        elif fcs[k] in in_table or ((cells or current) and not in_table):  # a paragraph of a cell: the cell goes on
            current.append(piece)
        else:
            if cells or current:  # the row's end mark was not read: the row ends before this paragraph
                lines.append("\t".join([*cells, " ".join(" ".join(current).split())]).rstrip("\t"))
                cells, current = [], []
            lines.append(piece)
    tail = _clean("".join(run))
    if cells or current:
        lines.append("\t".join([*cells, " ".join([*current, tail]).strip()]))
    elif tail:
        lines.append(tail)
    return "\n".join(lines)


def _clean(text: str) -> str:
    text = text.translate(_DROPPED).replace("\x0b", "\n").replace("\x0c", "\n").replace("\x0e", "\n")
    text = text.replace("\x1e", "-")
    return text.replace("\x00", "").rstrip()
