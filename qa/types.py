"""Typed records passed between the pipeline stages.

Offsets (``start``/``end``) are always character offsets into the extracted text of ``source``: for a
UTF-8 ``.txt`` exactly ``Path(corpus / source).read_text(encoding="utf-8")``; for PDF, OFD, DOCX, DOC, Excel and HTML the
text the ingest stage extracted, which the index stores (``texts.jsonl.gz``). A block's or chunk's ``text`` is
the *repaired* text (layout spaces, line wraps and page furniture taken out); ``gaps`` names the source
ranges inside ``[start, end)`` that were taken out beyond whitespace, so every character of ``text`` maps
back to one source offset (``qa.ingest.text.align``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table_row", "list_item", "note", "furniture"]
Span = tuple[int, int]


@dataclass(frozen=True)
class TocEntry:
    """One line of a bulletin's table of contents: a title, who gave it, and its page."""

    title: str
    speaker: str | None
    page: int | None


@dataclass(frozen=True)
class Source:
    """One file of the corpus and what its text says about itself."""

    source: str  # path relative to the corpus folder, with "/" separators
    source_id: str  # stable id: the relative path without its suffix (unique in a corpus)
    title: str  # the bulletin's / report's own title, else the file name
    format: str  # txt | md | pdf | docx | html
    place: str | None = None  # 虹口区, 广东省 …
    issuer: str | None = None  # the body that issued it, where the text names one
    issue: str | None = None  # 第三号, 第10期
    serial: str | None = None  # 总第11号
    year: int | None = None
    date: str | None = None  # ISO date of the issue or of the first dated document
    n_pages: int | None = None  # paged sources (PDF, text with form feeds)
    toc: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class Document:
    """One document of a bulletin (a report, a resolution, an appointment list) and where it lies in the source."""

    doc_id: str  # e.g. "hongkou-2025-03#06"; "#00" is the front matter before the first document
    source: str
    title: str
    speaker: str | None
    role: str | None
    meeting: str | None
    date: str | None  # ISO date, e.g. 2025-07-18
    start: int
    end: int
    organization: str | None = None  # the reporting body when no person is named (石嘴山市财政局)


@dataclass(frozen=True)
class Block:
    """A heading, paragraph, table row, list item or note of a document, with its section path and source span."""

    block_id: str
    doc_id: str
    section_path: tuple[str, ...]
    kind: BlockKind
    text: str  # repaired text; for table rows the retrieval text (caption｜label｜header：cell …)
    start: int
    end: int
    gaps: tuple[Span, ...] = ()  # source ranges inside [start, end) left out of text (page furniture)
    table: str | None = None  # table caption for table rows and notes under a table
    cells: tuple[str, ...] = ()  # cells of a table row, repaired (first = row label)
    cell_spans: tuple[Span, ...] = ()  # source span of each cell
    header: tuple[str, ...] = ()  # column names of the row's table, one per cell where known


@dataclass(frozen=True)
class ParsedSource:
    """What the ingest stage makes of one source file: its text, documents and blocks."""

    source: Source
    text: str  # the extracted text all offsets point into
    documents: tuple[Document, ...]
    blocks: tuple[Block, ...]
    pages: tuple[int, ...] = ()  # start offset of each page (paged sources only)

    def blocks_of(self, doc_id: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.doc_id == doc_id)

    def page_of(self, offset: int) -> int | None:
        """1-based page holding ``offset`` (None for unpaged sources)."""
        if not self.pages:
            return None
        from bisect import bisect_right

        return max(1, bisect_right(self.pages, offset))


@dataclass(frozen=True)
class Chunk:
    """A passage as indexed and searched: its repaired text, the text embedded, its place and its source span."""

    chunk_id: str
    source: str
    doc_id: str
    doc_title: str
    section_path: tuple[str, ...]
    kind: BlockKind
    block_ids: tuple[str, ...]
    text: str  # what is shown and searched for answers (repaired text)
    embed_text: str  # text with its context, used by the dense retriever
    start: int
    end: int
    gaps: tuple[Span, ...] = ()
    table: str | None = None
    cells: tuple[str, ...] = ()
    cell_spans: tuple[Span, ...] = ()
    header: tuple[str, ...] = ()
    page_start: int | None = None
    page_end: int | None = None
    is_header: bool = False  # the document's title/dateline/speaker chunk

    @property
    def section(self) -> str:
        return " ▸ ".join(self.section_path)

    @property
    def label_columns(self) -> tuple[int, ...]:
        """The columns of a table row that name it: the first, and any column headed like the first (tables
        set side by side: 项目 | 预算数 | 决算数 | 项目 | 预算数 | 决算数)."""
        if not self.header or not self.header[0].split():
            return (0,) if self.cells else ()
        name = self.header[0].split()[-1]
        return tuple(k for k, h in enumerate(self.header) if k == 0 or (h.split() and h.split()[-1] == name))

    def label_of(self, column: int) -> str:
        """The row label of a cell: the cell of the nearest label column at or before it."""
        k = max((c for c in self.label_columns if c <= column), default=0)
        return self.cells[k] if k < len(self.cells) else ""

    @property
    def labels(self) -> tuple[str, ...]:
        """The row's labels (one per table set side by side)."""
        return tuple(self.cells[k] for k in self.label_columns if k < len(self.cells) and self.cells[k].strip())

    @property
    def context(self) -> str:
        """Document title ▸ section path (▸ table caption): matched separately from the text."""
        parts = [self.doc_title, *self.section_path]
        if self.table and self.table not in parts:
            parts.append(self.table)
        return " ▸ ".join(p for p in parts if p)


@dataclass(frozen=True)
class Passage:
    """A chunk as a search returned it: its fused score, rank, and each retriever's rank."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    retrievers: dict[str, int] = field(default_factory=dict)  # retriever name -> its rank
    copies: tuple[Chunk, ...] = ()  # the same text in other sources (a report's PDF and its text), ranked lower


@dataclass(frozen=True)
class Operand:
    """A verbatim figure a derived answer was computed from, cited like any answer."""

    text: str  # the source slice
    source: str
    start: int
    end: int
    value: float  # in ``unit``
    unit: str
    passage_rank: int
    page: int | None = None


@dataclass(frozen=True)
class Answer:
    """The answer shown: a cited source slice (or a derived result with its operands) and its probability."""

    text: str  # a verbatim slice of the source (derived answers: the computed result)
    source: str
    start: int
    end: int
    passage_rank: int
    kind: str  # number | table_cell | date | person | entity | list | yes_no | derived | comparison
    probability: float  # the answer model's estimate that this answer is right
    display: str = ""  # the slice as read (layout spaces and line breaks removed)
    verdict: str | None = None  # yes_no: "yes" | "no"
    operands: tuple[Operand, ...] = ()  # derived and comparison answers
    value: float | None = None  # derived: the computed number in ``unit``
    unit: str | None = None  # derived: the unit of ``value``; a table cell: the unit its table states (万元)
    page: int | None = None
    alternatives: tuple[Answer, ...] = ()
