"""Parse extracted text into a source's documents and blocks, with exact offsets. Never refuses readable text.

``parse_text`` works on text already extracted; ``parse_file`` reads a file of any supported format first.
See ``qa.ingest.documents`` for how documents are found, ``qa.ingest.layout`` for page furniture and
``qa.ingest.blocks`` for sections, paragraphs and tables.
"""

from __future__ import annotations

from pathlib import Path

from qa.errors import BqaError
from qa.ingest.blocks import BlockParser, ContentLine, prose_width
from qa.ingest.corpus import source_id_of
from qa.ingest.documents import DocStart, dateline_starts, document_meta, first_title, toc_starts
from qa.ingest.formats import extract
from qa.ingest.identity import source_identity
from qa.ingest.layout import furniture_lines, split_page_numbers
from qa.ingest.text import split_lines
from qa.ingest.toc import find_toc, parse_toc, tidy_title
from qa.types import Block, Document, ParsedSource


def _width(keys: list[str]) -> int:
    """The usual length of a full line: wrapped PDF text ≈ 30, one paragraph per line ≫ 100."""
    lengths = sorted(len(k) for k in keys if k)
    if not lengths:
        return 100
    return max(10, lengths[int(0.9 * (len(lengths) - 1))])


def cover_label(keys: list[str]) -> bool:
    """Whether the lines before the first title are a label printed above it, not front matter of their own: a
    line or two, no sentence (「保定市十六届人大七次会议文件（14）」, 「承德市十五届人大」 / 「七次会议文件（19）」)."""
    return 0 < len(keys) <= 2 and sum(map(len, keys)) <= 40 and not any(ch in k for k in keys for ch in "。；！？")


def parse_text(text: str, source: str, *, fmt: str = "txt", pages: tuple[int, ...] = (),
               source_id: str | None = None, documents: tuple[int, ...] = ()) -> ParsedSource:
    """One source's documents and blocks. ``documents``: where documents start when the format says so (a
    workbook's sheets), each titled by its first line; otherwise they are found in the text (目录, datelines)."""
    lines = split_page_numbers(split_lines(text))
    furniture = furniture_lines(lines, pages)
    nonblank = [i for i, ln in enumerate(lines) if ln.stripped.strip("\f")]
    if not nonblank:
        raise BqaError(f"{source}: the file has no text")
    cls = [ContentLine(lines[i], lines[i].compact.replace("\f", ""), furniture=i in furniture) for i in nonblank]
    content = [k for k, cl in enumerate(cls) if not cl.furniture]
    keys = [cls[k].key for k in content]
    sid = source_id or source_id_of(source)

    toc_entries = []
    starts: list[DocStart] = []
    toc_span = None if documents else find_toc(lines)
    toc_range = (0, 0)
    if toc_span:
        body_start = next((n for n, k in enumerate(content) if cls[k].line.start >= lines[toc_span[1] - 1].end), len(content))
        toc_range = (next(n for n, k in enumerate(content) if cls[k].line.start >= lines[toc_span[0]].start), body_start)
        body = "".join(keys[body_start:])
        toc_entries = parse_toc(lines[toc_span[0] + 1:toc_span[1]], lambda key: key in body)
        starts = toc_starts(keys, [e.title for e in toc_entries], body_start)
    if documents:  # the format's own documents (sheets): each from its first line, titled by it
        firsts = [next((n for n, k in enumerate(content) if cls[k].line.start >= at), None) for at in documents]
        starts = [DocStart(n, 1, tidy_title(keys[n])) for n in dict.fromkeys(f for f in firsts if f is not None)]
    elif len(starts) < 0.8 * len(toc_entries) or not starts:  # the 目录 does not account for the body
        taken = {st.index for st in starts}
        starts = sorted(starts + [st for st in dateline_starts(keys) if st.index not in taken and
                                  st.index >= toc_range[1]], key=lambda st: st.index)
    if not starts:
        starts = [first_title(keys, Path(source).stem)]
    for n, k in enumerate(content[toc_range[0]:toc_range[1]], start=toc_range[0]):
        if n > toc_range[0]:
            cls[k].toc = True

    front_keys = keys[:starts[0].index]
    spans: list[tuple[str, int, int, int, str]] = []  # (doc suffix, first cls index, end cls index, n_title, title)
    label = not toc_span and cover_label(front_keys)
    if starts[0].index > 0 and not label:
        spans.append(("00", 0, content[starts[0].index], 0, ""))
    for n, st in enumerate(starts):
        first_cls = content[st.index] if st.index < len(content) else len(cls)
        if n == 0 and (starts[0].index == 0 or label):
            first_cls = 0  # furniture, or a cover label, before the first title belongs to the first document
        end_cls = content[starts[n + 1].index] if n + 1 < len(starts) else len(cls)
        n_title = st.n_title + (len(front_keys) if n == 0 and label else 0)  # the label read as the title's
        spans.append((f"{n + 1:02d}", first_cls, end_cls, n_title, st.title))

    documents: list[Document] = []
    blocks: list[Block] = []
    pending: list[tuple[Document, list[ContentLine], int, int]] = []
    width, full_width = _width(keys), prose_width(keys)
    for suffix, a, b, n_title, title in spans:
        doc_lines = cls[a:b]
        if not doc_lines:
            continue
        doc_keys = [cl.key for cl in doc_lines if not cl.furniture]
        meta = document_meta([cl.line for cl in doc_lines if not cl.furniture][n_title:], doc_keys[n_title:]) \
            if n_title else None
        last = doc_lines[-1].line.content_span[1]
        doc = Document(
            doc_id=f"{sid}#{suffix}", source=source, title=title, speaker=meta.speaker if meta else None,
            role=meta.role if meta else None, meeting=meta.meeting if meta else None,
            date=meta.date if meta else None, start=doc_lines[0].line.content_span[0], end=last,
            organization=meta.organization if meta else None,
        )
        pending.append((doc, doc_lines, n_title, meta.n_meta if meta else 0))
        documents.append(doc)

    identity = source_identity(source, sid, fmt, front_keys or keys[:6], documents, toc_entries,
                               len(pages) or None)
    for n, (doc, doc_lines, n_title, n_meta) in enumerate(pending):
        if doc.doc_id.endswith("#00"):
            doc = Document(doc.doc_id, doc.source, identity.title, None, None, None, identity.date, doc.start, doc.end)
            documents[n] = doc
        blocks.extend(BlockParser(doc, doc_lines, text, width, full_width).parse(n_title, n_meta))
    return ParsedSource(source=identity, text=text, documents=tuple(documents), blocks=tuple(blocks), pages=pages)


def parse_file(path: Path, corpus_dir: Path | None = None, source_id: str | None = None) -> ParsedSource:
    """Read and parse one file; ``source`` is the path relative to ``corpus_dir`` when given."""
    path = Path(path)
    extracted = extract(path)
    if corpus_dir:
        source = Path(path).resolve().relative_to(Path(corpus_dir).resolve()).as_posix()
    else:
        source = path.name
    try:
        return parse_text(extracted.text, source, fmt=extracted.format, pages=extracted.pages, source_id=source_id,
                          documents=extracted.documents)
    except BqaError as err:
        raise BqaError(f"{path.name}: {err}") from None
