"""OFD documents (GB/T 33190, 版式文档, the format of Chinese official electronic documents): each page's text in
reading order.

An OFD file is a ZIP of XML parts (read with the standard library: ``zipfile`` and ``xml.etree``). ``OFD.xml``
names each document's root (``DocRoot``, e.g. ``Doc_0/Document.xml``), which lists its pages and template pages
(``BaseLoc``); a page's ``Content.xml`` holds its text as ``TextObject`` elements: a box (``Boundary``, in mm), an
optional transform (``CTM``), a font size, and ``TextCode`` runs placed at ``X``/``Y`` in the box, each character
after the first moved by ``DeltaX``/``DeltaY`` (``g n v`` repeats ``v`` n times). A page also shows the text of
the template pages it names (an invoice's labels, a document's running header).

Every character is placed on the page (the transform applied to its X/Y, then the box's corner added; Y is the
baseline); characters are gathered into lines by their baselines (within 0.4 of the font size), each line read
left to right, a space where a gap of more than half a character separates two runs; lines top to bottom. Pages are
separated by a form feed, as PDF pages are (``Extracted.pages``). Invisible objects are left out; seals, pictures
and annotations carry no text here. Not read as a person would: vertical or rotated text (one character a line),
two columns side by side (their lines interleave), text inside composite objects of the resources (not followed).

Every part is counted as it unpacks (a ZIP's declared sizes may lie) and refused past the limits below; only stored
and deflated parts are read; XML that declares a document type (entities) is refused, which OFD never needs; the
characters placed are counted against a budget (a page may name one template many times, pages one part).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from qa.errors import BqaError
from qa.ingest.formats import joined_pages

MAX_PART_BYTES = 64 * 1024 * 1024  # one XML part unpacked (counted as it unpacks: a ZIP's declared sizes may lie)
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # every part read, unpacked
MAX_CHARS = 5_000_000  # characters placed, templates counted once per page that shows them
_LINE_TOLERANCE = 0.4  # of the font size: characters whose baselines differ less are on one line
_GAP = 0.5  # of the font size: a wider gap between two characters of a line is a space
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Char:
    x: float
    y: float
    text: str
    size: float
    advance: float  # how far the next character of its run starts (its width, as the run spaces it)


def ofd_text(data: bytes, name: str) -> tuple[str, tuple[int, ...]]:
    """The text of every page of every document in the file, pages separated by "\\n\\f", and each page's start."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, NotImplementedError, OSError, EOFError):
        raise BqaError(f"{name}: not a readable OFD file (not a ZIP archive or a damaged one); export it as PDF") from None
    with archive:
        try:
            pages = _pages(_Parts(archive, name))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError,
                KeyError) as err:  # a damaged archive's part: zipfile's, zlib's and the XML reader's own errors
            raise BqaError(f"{name}: a damaged OFD file ({type(err).__name__}); export it as PDF") from None
    if not any(p.strip() for p in pages):
        raise BqaError(f"{name}: the OFD has no text (scanned pages?); run OCR on it or export it as PDF")
    return joined_pages(pages)


def _pages(reader: _Parts) -> list[str]:
    root = reader.xml("OFD.xml")
    if root is None:
        raise BqaError(f"{reader.name}: not an OFD file (no OFD.xml); export it as PDF")
    pages: list[str] = []
    for doc_root in _children_text(root, "DocRoot"):
        pages += _document_pages(reader, doc_root)
    return pages


class _Parts:
    """The archive's XML parts by their path, read once each, whatever slashes or case the file's paths use."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.archive, self.name = archive, name
        self._paths = {info.filename.replace("\\", "/").lstrip("/").lower(): info.filename
                       for info in archive.infolist()}
        self._cache: dict[str, ElementTree.Element | None] = {}
        self.total = 0  # bytes unpacked so far, every part counted as it is read
        self.chars = 0  # characters placed so far

    def xml(self, path: str) -> ElementTree.Element | None:
        key = posixpath.normpath(path.replace("\\", "/").lstrip("/")).lower()
        if key not in self._cache:
            self._cache[key] = self._parse(key)
        return self._cache[key]

    def _parse(self, key: str) -> ElementTree.Element | None:
        real = self._paths.get(key)
        if real is None:
            return None
        info = self.archive.getinfo(real)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BqaError(f"{self.name}: {real} uses an unusual compression; export it as PDF")
        raw = bytearray()
        with self.archive.open(info) as member:
            while chunk := member.read(1 << 20):
                raw += chunk
                self.total += len(chunk)
                if len(raw) > MAX_PART_BYTES or self.total > MAX_TOTAL_BYTES:
                    raise BqaError(f"{self.name}: {real} unpacks to more than its limits; export it as PDF")
        try:
            parser = ElementTree.XMLParser(target=_NoDoctype(self.name, real))
            parser.feed(bytes(raw))
            return parser.close()
        except ElementTree.ParseError as err:
            raise BqaError(f"{self.name}: {real} is not well-formed XML ({err}); export it as PDF") from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _named(root: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    """The elements of ``root`` (itself and below) of this local name, whatever their namespace."""
    return (e for e in root.iter() if _local(e.tag) == name)


def _children_text(root: ElementTree.Element, name: str) -> list[str]:
    return [(e.text or "").strip() for e in _named(root, name) if (e.text or "").strip()]


def _resolve(base: str, loc: str) -> str:
    loc = loc.replace("\\", "/")
    return loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc)


def _document_pages(reader: _Parts, doc_root: str) -> list[str]:
    document = reader.xml(doc_root)
    if document is None:
        raise BqaError(f"{reader.name}: its document {doc_root} is missing; export it as PDF")
    base = posixpath.dirname(doc_root.replace("\\", "/").lstrip("/"))
    templates = {e.get("ID"): _resolve(base, e.get("BaseLoc", "")) for e in _named(document, "TemplatePage")
                 if e.get("BaseLoc")}
    out = []
    for page in (e for e in _named(document, "Page") if e.get("BaseLoc")):
        content_path = _resolve(base, page.get("BaseLoc", ""))
        content = reader.xml(content_path)
        if content is None:
            out.append("")
            continue
        chars: list[_Char] = []
        for template_id in dict.fromkeys(e.get("TemplateID") for e in _named(content, "Template")):
            template = reader.xml(templates.get(template_id, ""))
            if template is not None:
                chars += _page_chars(template, reader)
        chars += _page_chars(content, reader)
        out.append(_lines(chars))
    return out


def _numbers(value: str | None) -> list[float]:
    return [float(v) for v in _NUMBER.findall(value or "")]


def _deltas(value: str | None, limit: int) -> list[float]:
    """A DeltaX or DeltaY list, its "g n v" groups spelt out, no longer than ``limit`` (the gaps between a run's
    characters)."""
    out: list[float] = []
    tokens = (value or "").split()
    k = 0
    while k < len(tokens) and len(out) < limit:
        if tokens[k] == "g" and k + 2 < len(tokens):
            try:
                n, v = int(float(tokens[k + 1])), float(tokens[k + 2])
            except (ValueError, OverflowError):
                return out
            out += [v] * max(0, min(n, limit - len(out)))
            k += 3
        else:
            try:
                out.append(float(tokens[k]))
            except ValueError:
                return out
            k += 1
    return out


def _hidden(element: ElementTree.Element) -> bool:
    return element.get("Visible", "true").strip().lower() == "false"


def _page_chars(page: ElementTree.Element, reader: _Parts) -> list[_Char]:
    chars: list[_Char] = []
    stack = [page]
    while stack:  # depth first, leaving out whatever is inside an invisible object
        element = stack.pop()
        if _hidden(element):
            continue
        if _local(element.tag) == "TextObject":
            chars += _object_chars(element, reader)
            continue
        stack.extend(reversed(list(element)))
    return chars


def _object_chars(obj: ElementTree.Element, reader: _Parts) -> list[_Char]:
    box = _numbers(obj.get("Boundary"))
    bx, by = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
    ctm = _numbers(obj.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    scale = abs(a * d - b * c) ** 0.5 or 1.0
    size = (_numbers(obj.get("Size")) or [3.5])[0] * scale
    out = []
    x0 = y0 = 0.0
    for code in _named(obj, "TextCode"):
        text = code.text or ""
        x0, y0 = (_numbers(code.get("X")) or [x0])[0], (_numbers(code.get("Y")) or [y0])[0]
        if not text:
            continue
        reader.chars += len(text)
        if reader.chars > MAX_CHARS:
            raise BqaError(f"{reader.name}: more than {MAX_CHARS} characters placed; export it as PDF")
        x, y = x0, y0
        n = len(text) - 1
        dx, dy = _deltas(code.get("DeltaX"), n), _deltas(code.get("DeltaY"), n)
        dx += dx[-1:] * (n - len(dx))
        dy += dy[-1:] * (n - len(dy))
        for k, ch in enumerate(text):
            width = size / scale * (1.0 if ord(ch) > 0x2E7F else 0.5)
            step = dx[k] if k < len(dx) else width
            px, py = a * x + c * y + e + bx, b * x + d * y + f + by
            out.append(_Char(px, py, ch, size, (abs(step) if k < n else width) * scale))
            x += dx[k] if k < len(dx) else step
            y += dy[k] if k < len(dy) else 0.0
    return out


def _lines(chars: list[_Char]) -> str:
    """Characters gathered into lines by baseline, each line left to right, lines top to bottom."""
    lines: list[list[_Char]] = []
    for ch in sorted(chars, key=lambda c: (c.y, c.x)):
        if lines and abs(ch.y - lines[-1][0].y) <= _LINE_TOLERANCE * max(ch.size, lines[-1][0].size):
            lines[-1].append(ch)
        else:
            lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda c: c.x)
        parts, end = [], None
        for ch in line:
            if end is not None and ch.x - end > _GAP * ch.size and parts and not parts[-1].isspace():
                parts.append(" ")
            parts.append(ch.text)
            end = ch.x + ch.advance
        out.append("".join(parts).strip())
    return "\n".join(t for t in out if t)


class _NoDoctype(ElementTree.TreeBuilder):
    """A tree builder that refuses a document type (entities, whatever the part's encoding or where it stands)."""

    def __init__(self, name: str, part: str):
        super().__init__()
        self.name, self.part = name, part

    def doctype(self, *args: object) -> None:
        raise BqaError(f"{self.name}: {self.part} declares a document type, which an OFD part never needs; not read")
