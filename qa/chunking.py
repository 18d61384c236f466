"""Blocks → retrieval chunks: one paragraph a chunk, long ones split at sentence ends, table rows alone.

Every chunk keeps the source offsets it covers (the citation) and an ``embed_text`` prefixed
with its context (document title ▸ section path), so words in a heading help the text under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

from qa.parse import clean_cell
from qa.types import Block, Chunk, Document, ParsedBulletin

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
# Salutations and closing formulas: in every report, so they only add noise to retrieval.
_BOILERPLATE = re.compile(r"^(?:主任、副主任、各位委员：|以上(?:报告|情况)[^。]{0,12}。|特此(?:公告|报告)。)$")


@dataclass(frozen=True)
class ChunkSettings:
    mode: Literal["structure", "window"] = "structure"  # "window": the plain fixed-window baseline
    window: int = 500  # window mode: characters per window …
    window_overlap: int = 50  # … and overlap between windows
    max_chars: int = 300  # a paragraph longer than this is split at sentence ends
    overlap_chars: int = 60  # up to this much of the previous piece's last sentence repeats
    join_below: int = 80  # neighbouring paragraphs shorter than this may join …
    join_max: int = 240  # … into a chunk of at most this size

    def to_dict(self) -> dict:
        return asdict(self)


def text_offsets(source: str, start: int, text: str) -> list[int]:
    """For each character of ``text`` (its source minus line-break whitespace), its source offset."""
    out, pos = [], start
    for ch in text:
        while source[pos] != ch:
            if not source[pos].isspace():
                raise ValueError(f"block text does not follow its source at offset {pos}")
            pos += 1
        out.append(pos)
        pos += 1
    return out


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, last = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > last:
            bounds.append((last, m.start()))
            last = m.start()
    if last < len(text):
        bounds.append((last, len(text)))
    return bounds


def split_long(text: str, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Pieces (start, end) of ``text``, each about ``max_chars``, cut at sentence ends with overlap."""
    if len(text) <= settings.max_chars:
        return [(0, len(text))]
    sents = []
    for s, e in _sentences(text):  # a very long sentence is cut at commas, then hard
        while e - s > settings.max_chars:
            cut = text.rfind("，", s + settings.max_chars // 2, s + settings.max_chars)
            cut = cut + 1 if cut > 0 else s + settings.max_chars
            sents.append((s, cut))
            s = cut
        sents.append((s, e))
    pieces, cur = [], [sents[0]]
    for sent in sents[1:]:
        if sent[1] - cur[0][0] > settings.max_chars:
            pieces.append((cur[0][0], cur[-1][1]))
            last = cur[-1]
            cur = [last] if last[1] - last[0] <= settings.overlap_chars else []
            cur.append(sent)
        else:
            cur.append(sent)
    pieces.append((cur[0][0], cur[-1][1]))
    return pieces


def _context(doc: Document, block: Block) -> str:
    parts = [doc.title, *block.section_path]
    return " ▸ ".join(p for p in parts if p)


def _make(doc: Document, blocks: Sequence[Block], text: str, start: int, end: int, n: int) -> Chunk:
    first = blocks[0]
    context = _context(doc, first)
    return Chunk(
        chunk_id=f"{doc.doc_id}:c{n:04d}",
        source=doc.source,
        doc_id=doc.doc_id,
        doc_title=doc.title,
        section_path=first.section_path,
        kind=first.kind,
        block_ids=tuple(b.block_id for b in blocks),
        text=text,
        embed_text=f"{context}\n{text}",
        start=start,
        end=end,
        table=first.table,
        cells=first.cells,
        header=first.header,
    )


def _header_chunk(doc: Document, blocks: Sequence[Block], n: int) -> Chunk:
    """Title, dateline and speaker line as one chunk: who reported what, when."""
    meta = [blocks[0]]
    for b in blocks[1:]:
        if b.kind != "note" or b.section_path:
            break
        meta.append(b)
    text = " ".join(b.text for b in meta)
    chunk = _make(doc, meta, text, meta[0].start, meta[-1].end, n)
    if doc.speaker:  # English questions name people in pinyin ("Huang Haibin")
        chunk = replace(chunk, kind="note", embed_text=f"{chunk.embed_text} ({romanize(doc.speaker)})")
    return replace(chunk, kind="note")


def romanize(name: str) -> str:
    """黄海滨 → Huang Haibin (surname, then given name), for matching English questions."""
    from pypinyin import lazy_pinyin

    syllables = [p.capitalize() for p in lazy_pinyin(name)]
    return " ".join([syllables[0], "".join(syllables[1:]).capitalize()]) if len(syllables) > 1 else name


def _table_pieces(parsed: ParsedBulletin, doc: Document, block: Block, settings: ChunkSettings, n: int) -> list[Chunk]:
    """A long table row as several chunks: the row label and header kept, the long cell cut at sentences."""
    raw = parsed.text[block.start:block.end]
    first_tab = raw.find("\t")
    if first_tab < 0 or len(block.cells) != 2:
        return [_make(doc, [block], block.text, block.start, block.end, n)]
    body_start = first_tab + 1
    cell = raw[body_start:]
    label = f"{block.table}｜{block.header[0] if block.header else ''}：{block.cells[0]}｜"
    column = f"{block.header[1]}：" if len(block.header) > 1 else ""
    out = []
    for s, e in split_long(cell, settings):
        shown = clean_cell(cell[s:e])
        if not shown.strip():
            continue
        text = f"{label}{column}{shown}"
        chunk = _make(doc, [block], text, block.start + body_start + s, block.start + body_start + e, n + len(out))
        out.append(chunk)
    return out


def chunk_document(parsed: ParsedBulletin, doc: Document, settings: ChunkSettings) -> list[Chunk]:
    blocks = parsed.blocks_of(doc.doc_id)
    if not blocks:
        return []
    chunks = [_header_chunk(doc, blocks, 0)]
    n_meta = len(chunks[0].block_ids)
    pending: list[Block] = []  # short paragraphs / list items waiting to be joined

    def flush() -> None:
        if pending:
            text = "\n".join(b.text for b in pending)
            chunks.append(_make(doc, pending, text, pending[0].start, pending[-1].end, len(chunks)))
            pending.clear()

    for block in blocks[n_meta:]:
        if block.kind == "heading":
            flush()
            continue
        if _BOILERPLATE.match(block.text):
            continue
        joinable = block.kind in ("paragraph", "list_item", "note") and len(block.text) < settings.join_below
        if joinable:
            same = pending and pending[-1].section_path == block.section_path and pending[-1].table == block.table
            size = sum(len(b.text) + 1 for b in pending) + len(block.text)
            if not same or size > settings.join_max:
                flush()
            pending.append(block)
            continue
        flush()
        if block.kind == "table_row" and len(block.text) > settings.max_chars:
            chunks.extend(_table_pieces(parsed, doc, block, settings, len(chunks)))
            continue
        if block.kind == "table_row" or len(block.text) <= settings.max_chars:
            chunks.append(_make(doc, [block], block.text, block.start, block.end, len(chunks)))
            continue
        offsets = text_offsets(parsed.text, block.start, block.text)
        for s, e in split_long(block.text, settings):
            piece = block.text[s:e]
            chunks.append(_make(doc, [block], piece, offsets[s], offsets[e - 1] + 1, len(chunks)))
    flush()
    return chunks


def window_chunks(parsed: ParsedBulletin, doc: Document, settings: ChunkSettings) -> list[Chunk]:
    """The framework-tutorial baseline: fixed windows over the document's raw text, no structure."""
    out = []
    step = settings.window - settings.window_overlap
    for n, s in enumerate(range(doc.start, doc.end, step)):
        e = min(s + settings.window, doc.end)
        text = parsed.text[s:e]
        out.append(Chunk(chunk_id=f"{doc.doc_id}:w{n:04d}", source=doc.source, doc_id=doc.doc_id,
                         doc_title=doc.title, section_path=(), kind="paragraph", block_ids=(), text=text,
                         embed_text=text, start=s, end=e))
        if e >= doc.end:
            break
    return out


def chunk_bulletins(parsed: Iterable[ParsedBulletin], settings: ChunkSettings | None = None) -> list[Chunk]:
    settings = settings or ChunkSettings()
    make = window_chunks if settings.mode == "window" else chunk_document
    out: list[Chunk] = []
    for p in parsed:
        for doc in p.documents:
            out.extend(make(p, doc, settings))
    return out
