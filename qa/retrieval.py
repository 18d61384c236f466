"""Hybrid retrieval: dense and BM25 candidates fused by reciprocal rank, then cited passages."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from qa.embedders import Embedder
from qa.index.dense import search_dense
from qa.index.sparse import search_sparse
from qa.index.store import LoadedIndex
from qa.terms import expand_query
from qa.types import Passage

RRF_K = 60


@dataclass(frozen=True)
class RetrievalSettings:
    # BM25 is the sharper retriever on this kind of text (figures, exact terms): dense counts half.
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 0.5, "bm25": 1.0, "header": 1.0})
    candidates: int = 50  # taken from each retriever before fusion
    rrf_k: int = RRF_K
    scope_boost: float = 0.0  # bonus (in RRF units) for a passage matching the question's year/period


_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
# "Who gave/presented the report on X?" — answered by a document's header (title, dateline, speaker line).
_ASKS_REPORTER = re.compile(
    r"(由谁|谁(?:作|做|汇报|报告|代表)|哪位.{0,8}(?:作|做|汇报)|作报告的|报告人|汇报人)"
    r"|\b(?:who (?:gave|presented|delivered|reported|made)|presented by|delivered by|reported by|position|title of)\b",
    re.I,
)
_PERIODS = ("上半年", "下半年", "一季度", "二季度", "三季度", "四季度", "1—6月", "1-6月", "年末", "年底", "全年")


def query_scopes(question: str) -> list[str]:
    """Years and periods named in the question (2024年末 → 2024, 年末)."""
    q = re.sub(r"\s+", "", question)
    found = [m.group(1) for m in _YEAR.finditer(q)]
    found += [p for p in _PERIODS if p in q]
    return found


def rrf(rankings: dict[str, list[int]], weights: dict[str, float], k: int = RRF_K) -> list[tuple[int, float, dict]]:
    """Reciprocal rank fusion: score(d) = Σ_r w_r / (k + rank_r(d)); returns (id, score, {retriever: rank})."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, doc in enumerate(ids, start=1):
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
            ranks.setdefault(doc, {})[name] = rank
    order = sorted(scores, key=lambda d: (-scores[d], d))
    return [(d, scores[d], ranks[d]) for d in order]


class Retriever:
    """Searches a loaded index; stateless per query, safe to share between threads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: RetrievalSettings | None = None,
                 retrievers: Collection[str] = ("dense", "bm25")):
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self.retrievers = tuple(retrievers)

    def search(self, question: str, top_k: int = 5, doc_ids: Collection[str] | None = None) -> list[Passage]:
        n = self.settings.candidates if not doc_ids else len(self.index.chunks)
        rankings: dict[str, list[int]] = {}
        if "dense" in self.retrievers:
            qvec = self.embedder.embed_queries([question])[0]
            rankings["dense"] = [i for i, _ in search_dense(self.index.dense, qvec, n)]
        if "bm25" in self.retrievers:
            rankings["bm25"] = [i for i, _ in search_sparse(self.index.sparse, expand_query(question), n)]
        if "bm25" in self.retrievers and _ASKS_REPORTER.search(question):
            headers = [i for i, _ in search_sparse(self.index.sparse, expand_query(question), len(self.index.chunks))
                       if self.index.chunks[i].kind == "note" and self.index.chunks[i].chunk_id.endswith(":c0000")]
            rankings["header"] = headers[:n]
        if doc_ids:
            allowed = set(doc_ids)
            rankings = {r: [i for i in ids if self.index.chunks[i].doc_id in allowed] for r, ids in rankings.items()}
        fused = rrf(rankings, self.settings.weights, self.settings.rrf_k)
        if self.settings.scope_boost and (scopes := query_scopes(question)):
            fused = self._boost(fused, scopes)
        return [
            Passage(chunk=self.index.chunks[i], score=round(score, 6), rank=r, retrievers=ranks)
            for r, (i, score, ranks) in enumerate(fused[:top_k], start=1)
        ]

    def _boost(self, fused: list[tuple[int, float, dict]], scopes: list[str]) -> list[tuple[int, float, dict]]:
        out = []
        for i, score, ranks in fused:
            text = re.sub(r"\s+", "", self.index.chunks[i].embed_text)
            hits = sum(1 for s in scopes if s in text)
            out.append((i, score + self.settings.scope_boost * hits / len(scopes), ranks))
        return sorted(out, key=lambda x: (-x[1], x[0]))
