"""Blocks → retrieval chunks: one paragraph a chunk, long ones split at sentence ends, table rows alone.

Every chunk keeps the source span it covers (the citation), the gaps inside it (page furniture), the pages
it lies on, and its context (document title ▸ section ▸ table), which retrieval matches separately. The
dense embedding text carries only the nearest heading (or table caption) before the text: the document
title is the same for hundreds of chunks and would dominate short ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from qa.chunk_settings import ChunkSettings
from qa.ingest.places import place_cores
from qa.ingest.text import align
from qa.lazy_regex import lazy
from qa.names import person_spans
from qa.terms import is_word
from qa.types import Block, Chunk, Document, ParsedSource, Source, Span

_SENTENCE_END = lazy(r"(?<=[。！？；!?;])")
# Salutations and closing formulas: in every report, so they only add noise to retrieval.
_BOILERPLATE = lazy(r"^(?:主任、.{0,12}委员：|各位代表：|以上(?:报告|情况)[^。]{0,12}。|特此(?:公告|报告)。)$")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentences, never ended inside brackets: 「余额197.88亿元（一般债务136.66亿元，占比69.1%；专项债务…）」 is one."""
    bounds, last = [], 0
    for m in _SENTENCE_END.finditer(text):
        inside = text[last:m.start()]
        if m.start() > last and inside.count("（") + inside.count("(") <= inside.count("）") + inside.count(")"):
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


def romanize(name: str) -> str:
    """黄海滨 → Huang Haibin (surname, then given name), for matching English questions."""
    from pypinyin import lazy_pinyin

    syllables = [p.capitalize() for p in lazy_pinyin(name)]
    return " ".join([syllables[0], "".join(syllables[1:]).capitalize()]) if len(syllables) > 1 else name


def _two_words(name: str) -> bool:
    """A four-character span the name finder took for a name that is two dictionary words (关于大会, 文化创意)."""
    return len(name) == 4 and is_word(name[:2]) and is_word(name[2:])


def romanized_names(sources: Iterable[Source], documents: Iterable[Document], texts: Iterable[str]) -> dict[str, str]:
    """Pinyin of the corpus's people (the speakers of its documents and tables of contents, and every name its
    texts give next to a title, a role or a verb of office: 任命宣一洲为…) and of its places (their cores, 石嘴山).
    Computed with the build and stored with the index, so an English question naming any of them needs no
    pypinyin (≈ 0.35 s to load)."""
    sources = list(sources)
    people = {d.speaker for d in documents if d.speaker}
    people |= {e.speaker for s in sources for e in s.toc if e.speaker and len(e.speaker) <= 4}
    found = {text[a:b] for text in texts for a, b in person_spans(text)}
    people |= {name for name in found if not _two_words(name)}
    places = {core for s in sources for core in place_cores(s.place)}
    return {name: romanize(name) for name in sorted(people | places)}


class _Chunker:
    def __init__(self, parsed: ParsedSource, doc: Document, settings: ChunkSettings):
        self.parsed = parsed
        self.doc = doc
        self.settings = settings
        self.chunks: list[Chunk] = []

    def _embed_text(self, block: Block, text: str) -> str:
        mode = self.settings.embed_context
        if mode == "none":
            return _capped(text, self.settings.embed_chars)
        if mode == "full":
            parts = [self.doc.title, *block.section_path]
        else:
            parts = [block.table or (block.section_path[-1] if block.section_path else self.doc.title)]
        context = " ▸ ".join(p for p in parts if p)
        return _capped(f"{context}\n{text}" if context and context not in text[:len(context) + 2] else text,
                       self.settings.embed_chars)

    def make(self, blocks: Sequence[Block], text: str, start: int, end: int, gaps: Sequence[Span] = (),
             cells: tuple[str, ...] | None = None, cell_spans: tuple[Span, ...] | None = None,
             is_header: bool = False) -> Chunk:
        first = blocks[0]
        return Chunk(
            chunk_id=f"{self.doc.doc_id}:c{len(self.chunks):04d}", source=self.doc.source, doc_id=self.doc.doc_id,
            doc_title=self.doc.title, section_path=first.section_path, kind=first.kind,
            block_ids=tuple(b.block_id for b in blocks), text=text, embed_text=self._embed_text(first, text),
            start=start, end=end, gaps=tuple(sorted(set(gaps))), table=first.table,
            cells=first.cells if cells is None else cells,
            cell_spans=first.cell_spans if cell_spans is None else cell_spans, header=first.header,
            page_start=self.parsed.page_of(start), page_end=self.parsed.page_of(max(start, end - 1)),
            is_header=is_header,
        )

    def add(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)

    def joined(self, blocks: Sequence[Block], is_header: bool = False, sep: str = "\n") -> Chunk:
        """One chunk of several consecutive blocks; non-blank source between them becomes a gap."""
        gaps: list[Span] = []
        for a, b in zip(blocks, blocks[1:], strict=False):
            gaps.extend(a.gaps)
            if self.parsed.text[a.end:b.start].strip():
                gaps.append((a.end, b.start))
        gaps.extend(blocks[-1].gaps)
        text = sep.join(b.text for b in blocks)
        return self.make(blocks, text, blocks[0].start, blocks[-1].end, gaps, is_header=is_header)

    def header(self, blocks: Sequence[Block]) -> int:
        """Title, dateline and speaker line as one chunk: who reported what, when; with the body too when that is
        short and prose only. Returns blocks used."""
        meta = [blocks[0]]
        for b in blocks[1:]:
            if b.kind == "furniture":
                continue
            if b.kind != "note" or b.section_path:
                break
            meta.append(b)
        used = blocks.index(meta[-1]) + 1
        body = [b for b in blocks[used:] if b.kind != "furniture"]
        short = bool(body) and all(b.kind in ("paragraph", "list_item", "note") for b in body) \
            and sum(len(b.text) + 1 for b in body) <= self.settings.join_max
        if short:  # a short document (任命名单, 公告, 决议) is one passage: who was appointed, and when and by whom
            chunk = replace(self.joined([*meta, *body]), kind="paragraph")
            used = len(blocks)
        else:
            chunk = replace(self.joined(meta, is_header=True, sep=" "), kind="note")
        if self.doc.speaker:  # English questions name people in pinyin ("Huang Haibin")
            chunk = replace(chunk, embed_text=f"{chunk.embed_text} ({romanize(self.doc.speaker)})")
        self.add(chunk)
        return used

    def long_paragraph(self, block: Block) -> None:
        offsets = align(self.parsed.text, block.start, block.end, block.text, block.gaps)
        for s, e in split_long(block.text, self.settings):
            a, b = offsets[s], offsets[e - 1] + 1
            gaps = [g for g in block.gaps if a <= g[0] < b]
            self.add(self.make([block], block.text[s:e], a, b, gaps))

    def long_row(self, block: Block) -> None:
        """A long two-cell table row as several chunks: the row label and header kept, the cell cut at sentences."""
        from qa.ingest.blocks import clean_cell  # the block parser is imported by builds only
        if len(block.cells) != 2 or len(block.cell_spans) != 2:
            self.add(self.make([block], block.text, block.start, block.end, block.gaps))
            return
        cs, ce = block.cell_spans[1]
        cell = self.parsed.text[cs:ce]
        label = f"{block.table}｜{block.header[0] if block.header else ''}：{block.cells[0]}｜"
        column = f"{block.header[1]}：" if len(block.header) > 1 else ""
        for s, e in split_long(cell, self.settings):
            shown = clean_cell(cell[s:e])
            if not shown.strip():
                continue
            piece = (block.cells[0], shown)
            spans = (block.cell_spans[0], (cs + s, cs + e))
            self.add(self.make([block], f"{label}{column}{shown}", cs + s, cs + e, cells=piece, cell_spans=spans))

    def run(self, blocks: Sequence[Block]) -> list[Chunk]:
        blocks = [b for b in blocks]
        if not any(b.kind != "furniture" for b in blocks):
            return []
        first = next(k for k, b in enumerate(blocks) if b.kind != "furniture")
        used = first + self.header(blocks[first:])
        pending: list[Block] = []  # short paragraphs / list items waiting to be joined
        s = self.settings

        def flush() -> None:
            if pending:
                self.add(self.joined(pending))
                pending.clear()

        bare: Block | None = None  # the last heading, while no block has come under it

        def close(heading: Block | None) -> None:
            """A heading with nothing under it (「1.一般公共预算收入1052.5亿元，增长…」 before its sibling) stands in no
            passage's section path: it is a passage of its own, or its words and figures are found nowhere."""
            if heading is not None and not heading.table:  # a table's caption and heads are in its rows' text
                self.add(self.make([heading], heading.text, heading.start, heading.end, heading.gaps))

        for block in blocks[used:]:
            if block.kind == "furniture":
                continue
            if block.kind == "heading":
                flush()
                if bare is not None and bare.text not in block.section_path[:-1]:
                    close(bare)  # a sibling or a higher heading follows it
                bare = block
                continue
            bare = None
            if _BOILERPLATE.match(block.text):
                continue
            joinable = block.kind in ("paragraph", "list_item", "note") and len(block.text) < s.join_below
            if joinable:
                same = pending and pending[-1].section_path == block.section_path and pending[-1].table == block.table
                size = sum(len(b.text) + 1 for b in pending) + len(block.text)
                if not same or size > s.join_max:
                    flush()
                pending.append(block)
                continue
            flush()
            if block.kind == "table_row":
                if len(block.text) > s.max_chars:
                    self.long_row(block)
                else:
                    self.add(self.make([block], block.text, block.start, block.end, block.gaps))
            elif len(block.text) <= s.max_chars:
                self.add(self.make([block], block.text, block.start, block.end, block.gaps))
            else:
                self.long_paragraph(block)
        flush()
        close(bare)
        return self.chunks


def chunk_document(parsed: ParsedSource, doc: Document, settings: ChunkSettings) -> list[Chunk]:
    chunks = _Chunker(parsed, doc, settings).run(parsed.blocks_of(doc.doc_id))
    return table_windows(chunks, settings.table_window, settings.embed_chars) if settings.table_window > 0 else chunks


_HEADS_CHARS = 120  # a wide table's column heads (one per city…) are cut: the rows' names must stay in the text
_NAMING = lazy(r"[^\W\d_]")  # a letter or Han character: a cell that names its row, not a number
_FIGURE_MARKS = lazy(r"[\s\d.,，%％()（）+\-—–~～/]")
_UNIT_CHARS = 4  # what a figure's cell may hold besides digits and marks: 万元, 个百分点


def _name_cells(chunk: Chunk) -> list[int]:
    """The cells that name a table row: its label cells with words in them, else its first cell with words (the
    name after a 科目编码)."""
    labels = [k for k in chunk.label_columns if k < len(chunk.cells) and _NAMING.search(chunk.cells[k])]
    return labels or [k for k, cell in enumerate(chunk.cells) if _NAMING.search(cell)][:1]


def _row_name(chunk: Chunk) -> str:
    """What a table row is called ("" if no cell has words)."""
    return " ".join(chunk.cells[k] for k in _name_cells(chunk))


def _figures_only(chunk: Chunk) -> bool:
    """Whether a table row is a name and figures (预算数 1,234｜完成 98.5%): its other cells hold no words.

    A row whose cells hold prose (a 专栏 box's 完成情况, a piece of a long cell) keeps its own dense text."""
    if chunk.kind != "table_row" or not chunk.cells:
        return False
    names = set(_name_cells(chunk))
    return all(len(_FIGURE_MARKS.sub("", cell)) <= _UNIT_CHARS for k, cell in enumerate(chunk.cells) if k not in names)


def _capped(text: str, cap: int) -> str:
    """What of an embedded text is embedded: its first ``cap`` characters (ChunkSettings.embed_chars; 0: all)."""
    return text[:cap] if cap > 0 else text


def table_windows(chunks: list[Chunk], size: int, cap: int = 0) -> list[Chunk]:
    """Consecutive figure rows of one table share one dense text: the caption, the column heads, the rows' names.

    A question finds such a row by what the row is called and the table it stands in; its figures are matched
    by BM25 and read by the answer stage. Embedding ``size`` rows as one text (the caption once, no figures)
    embeds a table in a fraction of the characters: the build is embedding-bound. Rows with words in their
    cells, and every other chunk, keep their own text.
    """
    out = list(chunks)
    k = 0
    while k < len(out):
        c = out[k]
        if not _figures_only(c):
            k += 1
            continue
        run = k + 1
        while run < len(out) and run - k < size and out[run].table == c.table and _figures_only(out[run]):
            run += 1
        rows = out[k:run]
        context = c.table or (c.section_path[-1] if c.section_path else c.doc_title)
        header = next((r.header for r in rows if any(h.strip() for h in r.header[1:])), ())
        heads = "、".join(h for h in dict.fromkeys(header[1:]) if h.strip())[:_HEADS_CHARS]
        names = "；".join(n for n in dict.fromkeys(_row_name(r) for r in rows) if n)
        text = "｜".join(p for p in (context, heads) if p) + "\n" + names
        text = _capped(text, cap)
        out[k:run] = [replace(r, embed_text=text) for r in rows]
        k = run
    return out


def window_chunks(parsed: ParsedSource, doc: Document, settings: ChunkSettings) -> list[Chunk]:
    """The framework-tutorial baseline: fixed windows over the document's raw text, no structure."""
    out = []
    step = settings.window - settings.window_overlap
    for n, s in enumerate(range(doc.start, doc.end, step)):
        e = min(s + settings.window, doc.end)
        text = parsed.text[s:e]
        out.append(Chunk(chunk_id=f"{doc.doc_id}:w{n:04d}", source=doc.source, doc_id=doc.doc_id,
                         doc_title=doc.title, section_path=(), kind="paragraph", block_ids=(), text=text,
                         embed_text=text, start=s, end=e, page_start=parsed.page_of(s),
                         page_end=parsed.page_of(max(s, e - 1))))
        if e >= doc.end:
            break
    return out


def chunk_sources(parsed: Iterable[ParsedSource], settings: ChunkSettings | None = None) -> list[Chunk]:
    settings = settings or ChunkSettings()
    make = window_chunks if settings.mode == "window" else chunk_document
    out: list[Chunk] = []
    for p in parsed:
        for doc in p.documents:
            out.extend(make(p, doc, settings))
    return out
