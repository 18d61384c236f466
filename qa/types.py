"""Typed records passed between the pipeline stages.

Offsets (``start``/``end``) are always character offsets into the decoded source text of
``source`` (for a UTF-8 ``.txt`` exactly ``Path(corpus / source).read_text(encoding="utf-8")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table_row", "list_item", "note"]


@dataclass(frozen=True)
class TocEntry:
    title: str
    speaker: str | None
    page: int | None


@dataclass(frozen=True)
class Bulletin:
    source: str  # path relative to the corpus folder
    title: str
    year: int | None
    issue: str | None  # e.g. 第三号
    serial: str | None  # e.g. 总第11号
    toc: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class Document:
    doc_id: str  # e.g. "hongkou-2025-03#06"
    source: str
    title: str
    speaker: str | None
    role: str | None
    meeting: str | None
    date: str | None  # ISO date, e.g. 2025-07-18
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    block_id: str
    doc_id: str
    section_path: tuple[str, ...]
    kind: BlockKind
    text: str  # for table rows: the retrieval text (caption｜header：cell …)
    start: int
    end: int
    table: str | None = None  # table caption for table rows and notes under a table
    cells: tuple[str, ...] = ()  # raw cells of a table row
    header: tuple[str, ...] = ()  # header cells of the row's table


@dataclass(frozen=True)
class ParsedBulletin:
    bulletin: Bulletin
    text: str  # the decoded source text all offsets point into
    documents: tuple[Document, ...]
    blocks: tuple[Block, ...]

    def blocks_of(self, doc_id: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.doc_id == doc_id)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    source: str
    doc_id: str
    doc_title: str
    section_path: tuple[str, ...]
    kind: BlockKind
    block_ids: tuple[str, ...]
    text: str  # what is shown and searched for answers
    embed_text: str  # text prefixed with its context, used for retrieval
    start: int
    end: int
    table: str | None = None
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return " ▸ ".join(self.section_path)


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float
    rank: int  # 1-based
    retrievers: dict[str, int] = field(default_factory=dict)  # retriever name -> its rank


@dataclass(frozen=True)
class Answer:
    text: str  # a verbatim slice of the source
    source: str
    start: int
    end: int
    passage_rank: int
    kind: str = "number"  # number | table_cell | entity | date | list | yes_no | text
    confidence: float = 0.0
    alternatives: tuple[Answer, ...] = ()
