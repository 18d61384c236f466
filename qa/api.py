"""The Python API: open an index once, ask many questions.

    >>> from qa.api import BulletinQA
    >>> qa = BulletinQA.open()                      # the repo's corpus/ and index/ by default
    >>> result = qa.ask("区监委留置了多少人？")
    >>> result.answer.text, result.to_json()["passages"][0]["doc_title"]
"""

from __future__ import annotations

import dataclasses
import re
import time
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from qa.answering import extract_answer
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index.store import LoadedIndex, ensure_index, load_index
from qa.paths import default_corpus, default_index
from qa.retrieval import RetrievalSettings, Retriever
from qa.types import Answer, Passage

MAX_QUESTION_CHARS = 1000
MAX_TOP_K = 50
READ_DEPTH = 10  # passages the answer extractor reads, whatever top-k is shown


def answer_first(passages: list[Passage], answer: Answer) -> tuple[list[Passage], Answer]:
    """Move the passage the answer was read from to rank 1 (the reader's evidence comes first)."""
    order = [answer.passage_rank] + [p.rank for p in passages if p.rank != answer.passage_rank]
    new_rank = {old: new for new, old in enumerate(order, start=1)}
    by_rank = {p.rank: p for p in passages}
    moved = [dataclasses.replace(by_rank[old], rank=new_rank[old]) for old in order if old in by_rank]
    alts = tuple(dataclasses.replace(a, passage_rank=new_rank.get(a.passage_rank, a.passage_rank))
                 for a in answer.alternatives)
    return moved, dataclasses.replace(answer, passage_rank=1, alternatives=alts)


def clean_question(question: object) -> str:
    """The question with control characters removed; BqaError when nothing askable is left."""
    if not isinstance(question, str):
        raise BqaError("the question must be text")
    if len(question) > MAX_QUESTION_CHARS:
        raise BqaError(f"the question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise BqaError("the question is empty; ask something like 区监委留置了多少人？")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise BqaError("the question has no words or numbers in it; ask something like 区监委留置了多少人？")
    return text


@dataclass(frozen=True)
class AskResult:
    question: str
    answer: Answer | None
    abstained: bool
    message: str | None
    passages: tuple[Passage, ...]
    latency_ms: float

    def to_json(self, qid: object = None) -> dict:
        """The stable JSON contract of ``bqa ask --json`` (plus a few documented extra keys)."""
        answer = None
        if self.answer is not None:
            a = self.answer
            answer = {
                "text": a.text, "source": a.source, "start": a.start, "end": a.end,
                "kind": a.kind, "passage_rank": a.passage_rank, "confidence": round(a.confidence, 3),
                "alternatives": [
                    {"text": x.text, "source": x.source, "start": x.start, "end": x.end, "passage_rank": x.passage_rank}
                    for x in a.alternatives
                ],
            }
        out = {"id": qid, "question": self.question, "answer": answer, "abstained": self.abstained}
        if self.message:
            out["message"] = self.message
        out["passages"] = [passage_json(p) for p in self.passages]
        out["latency_ms"] = round(self.latency_ms, 1)
        return out


def passage_json(p: Passage) -> dict:
    c = p.chunk
    return {
        "rank": p.rank, "source": c.source, "start": c.start, "end": c.end, "doc_title": c.doc_title,
        "section": c.section, "text": c.text, "score": p.score, "doc_id": c.doc_id, "kind": c.kind,
        "retrievers": p.retrievers,
    }


class BulletinQA:
    """An opened index with its embedder; ``ask`` is safe to call from several threads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: RetrievalSettings | None = None,
                 retrievers: Collection[str] = ("dense", "bm25"), answer_threshold: float | None = None,
                 answer_first: bool = True):
        self.index = index
        self.answer_first = answer_first
        self.embedder = embedder
        self.retriever = Retriever(index, embedder, settings, retrievers)
        self.answer_threshold = answer_threshold

    @classmethod
    def open(cls, index_dir: Path | None = None, corpus_dir: Path | None = None, embedder: str | None = None,
             build_if_missing: bool = True, show_progress: bool = False,
             notify: Callable[[str], None] | None = None, **kwargs) -> BulletinQA:
        index_dir = Path(index_dir) if index_dir else default_index()
        corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus()
        if build_if_missing:
            index = ensure_index(corpus_dir, index_dir, embedder, show_progress=show_progress, notify=notify)
        else:
            index = load_index(index_dir, expect_embedder=embedder)
        return cls(index, make_embedder(index.manifest["embedder"]["name"]), **kwargs)

    @property
    def documents(self) -> list[tuple[str, str]]:
        """(doc_id, title) of every indexed document, in corpus order."""
        seen: dict[str, str] = {}
        for c in self.index.chunks:
            seen.setdefault(c.doc_id, c.doc_title)
        return list(seen.items())

    def ask(self, question: str, top_k: int = 5, doc_ids: Collection[str] | None = None) -> AskResult:
        t0 = time.perf_counter()
        text = clean_question(question)
        if not 1 <= int(top_k) <= MAX_TOP_K:
            raise BqaError(f"top-k must be between 1 and {MAX_TOP_K}, got {top_k}")
        passages = self.retriever.search(text, top_k=max(top_k, READ_DEPTH), doc_ids=doc_ids)
        extraction = extract_answer(text, passages, self.index.texts, threshold=self.answer_threshold)
        answer = extraction.answer
        if answer is not None and self.answer_first:
            passages, answer = answer_first(passages, answer)
        return AskResult(
            question=text,
            answer=answer,
            abstained=extraction.abstained,
            message=extraction.message,
            passages=tuple(passages[:top_k]),
            latency_ms=(time.perf_counter() - t0) * 1000,
        )

    def context(self, source: str, start: int, end: int, around: int = 1) -> str:
        """The passage at (start, end) with ``around`` neighbouring chunks of the same document each side."""
        chunks = [c for c in self.index.chunks if c.source == source]
        hit = next((k for k, c in enumerate(chunks) if c.start <= start and c.end >= end), None)
        if hit is None:
            return self.index.texts[source][start:end]
        doc = chunks[hit].doc_id
        lo = hit
        while lo > 0 and hit - lo < around and chunks[lo - 1].doc_id == doc:
            lo -= 1
        hi = hit
        while hi + 1 < len(chunks) and hi - hit < around and chunks[hi + 1].doc_id == doc:
            hi += 1
        return self.index.texts[source][min(c.start for c in chunks[lo:hi + 1]):max(c.end for c in chunks[lo:hi + 1])]
