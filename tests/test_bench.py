"""`bqa bench`: the scale corpus, --scale and --ann on tiny sizes, and per-question work that does not grow with
the corpus (counted, never timed)."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa.api import BulletinQA
from qa.bench.ann import AnnSpec, compare, run_ann, synthesise
from qa.bench.corpus import scale_corpus
from qa.cli import main
from qa.embedders import make_embedder
from qa.errors import BqaError
from qa.index.dense import EXACT_FILTER_MAX, FLAT_MAX, build_dense, load_dense, save_dense, search_dense
from qa.index.store import build_index, load_index
from qa.ingest import load_corpus
from qa.retrieval.features import DENSE_N

SEED = Path(__file__).resolve().parents[1] / "corpus"
SEED_NAME = "hongkou-2025-03.txt"
OLD_KEYS = {"embedder", "chunks", "build_s", "bare_embedding_s", "build_over_bare_embedding", "unchanged_rebuild_s",
            "up_to_date_check_s", "questions", "query_p50_ms", "query_p95_ms", "bare_query_embedding_p50_ms",
            "query_over_bare_embedding", "peak_rss_mb"}
_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[int, Path]:
    """The seed at 1× and 3×, each indexed with the fake embedder."""
    root = tmp_path_factory.mktemp("scale")
    out = {}
    for factor in (1, 3):
        scale_corpus(SEED, root / f"corpus-{factor}", factor)
        build_index(root / f"corpus-{factor}", root / f"index-{factor}", "fake")
        out[factor] = root / f"index-{factor}"
    return out


# --- the scale corpus -------------------------------------------------------------------------------------


def test_scale_copies_are_distinct_documents_with_altered_figures_names_places_and_years(corpora):
    corpus = corpora[3].parent / "corpus-3"
    by_name = {s.source.source: s for s in load_corpus(corpus).sources}
    assert len(by_name) == 3 and SEED_NAME in by_name
    seed = by_name.pop(SEED_NAME)
    seed_text = seed.text
    seed_people = {d.speaker for d in seed.documents if d.speaker}
    seed_figures = Counter(_DECIMAL.findall(seed_text))
    places, years, titles = {seed.source.place}, {seed.source.year}, {seed.source.title}
    for copy in by_name.values():
        assert len(copy.documents) == len(seed.documents)  # the same layout parses the same
        assert len(copy.blocks) == len(seed.blocks)
        assert copy.text != seed_text
        assert not seed_people & {d.speaker for d in copy.documents if d.speaker}
        figures = Counter(_DECIMAL.findall(copy.text))
        assert sum(figures.values()) == sum(seed_figures.values())  # every decimal figure is still there …
        assert sum((figures & seed_figures).values()) < 0.2 * sum(seed_figures.values())  # … with another value
        assert "留置37人" in seed_text and "留置37人" not in copy.text
        places.add(copy.source.place)
        years.add(copy.source.year)
        titles.add(copy.source.title)
    assert len(places) == len(years) == len(titles) == 3


def test_scale_corpus_is_deterministic(tmp_path, corpora):
    again = scale_corpus(SEED, tmp_path, 3)
    assert [p.read_bytes() for p in again] == [(corpora[3].parent / "corpus-3" / p.name).read_bytes() for p in again]
    with pytest.raises(ValueError, match="factor"):
        scale_corpus(SEED, tmp_path / "none", 0)


# --- bqa bench ----------------------------------------------------------------------------------------------


def test_bench_keeps_its_keys_and_adds_the_interleaved_runs():
    result = CliRunner().invoke(main, ["bench", "--embedder", "fake", "--repeats", "2", "--questions", "3", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures.keys() >= OLD_KEYS | {"repeats", "build_s_runs", "bare_embedding_s_runs"}
    assert figures["repeats"] == 2 and len(figures["build_s_runs"]) == len(figures["bare_embedding_s_runs"]) == 2
    assert figures["query_samples"] == 6 and figures["questions"] == 3
    assert figures["busy_query_p95_ms"] >= figures["busy_query_p50_ms"] > 0
    assert figures["first_question_ms"] > 0 and figures["second_question_ms"] > 0
    assert figures["first_over_second_question"] == pytest.approx(
        figures["first_question_ms"] / figures["second_question_ms"], abs=0.01)
    shown = CliRunner().invoke(main, ["bench", "--embedder", "fake", "--repeats", "1", "--questions", "2"])
    assert shown.exit_code == 0 and "first question of a warmed-up engine" in shown.output


def test_first_question_probe_runs_in_new_processes_and_says_when_it_fails(fake_index, tmp_path):
    from qa.bench.process import first_question_figures
    from qa.errors import BqaError

    f = first_question_figures(fake_index, ("区监委留置了多少人？", "What is the 2025 debt limit?"), 2)
    assert f["first_question_ms"] > 0 and f["second_question_ms"] > 0
    with pytest.raises(BqaError, match="first-question probe failed"):
        first_question_figures(tmp_path / "no-index", ("a", "b"), 1)


def test_process_figures_compare_cold_and_warm_ask(real_index, seed_corpus, monkeypatch):
    import shutil
    import tempfile

    from qa.bench.process import cli_figures

    short = Path(tempfile.mkdtemp(prefix="bq", dir="/tmp"))  # a socket's path must stay under 108 bytes
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    try:
        f = cli_figures(real_index, seed_corpus, repeats=1)
        assert not list(short.iterdir())  # the daemon's runtime directory is gone with its socket
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert f["warm_ask_s"] < f["cold_ask_s"]  # the warm path answered (a fallback would be as slow as cold)
    assert f["cold_ask_over_bare_model"] > 0 and f["index_up_to_date_over_import_model"] > 0
    assert f["cold_ask_en_over_bare_model"] > 0 and f["bare_model_en_process_s"] > 0


def test_bench_scale_on_a_tiny_factor_prints_every_figure():
    runner = CliRunner()
    args = ["bench", "--scale", "--scale-factors", "1,2", "--embedder", "fake", "--repeats", "1", "--questions", "2"]
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [r["factor"] for r in rows] == [1, 2]
    for r in rows:
        assert r.keys() >= {"bulletins", "documents", "chunks", "build_s", "disk_bytes", "load_s", "rss_loaded_mb",
                            "query_p50_ms", "query_p95_ms", "filtered_query_p50_ms", "rebuild_one_changed_s"}
        assert r["rebuild_one_changed_s"] > 0
        assert r["disk_bytes"] > 0 and r["load_s"] > 0 and r["rss_loaded_mb"] > 0
    assert rows[1]["chunks"] == 2 * rows[0]["chunks"] and rows[1]["bulletins"] == 2
    for r in rows:  # the build's bytes, file by file, at the model's width: 384 float32 a chunk in vectors.npy
        assert r["build_bytes"] == sum(r["files"].values()) and 0 < r["text_bytes"] < r["build_bytes"]
        assert r["files"]["vectors.npy"] >= r["chunks"] * 384 * 4 and "chunks.jsonl.gz" in r["files"]
    million = json.loads(result.stdout)["per_million"]
    assert 0 < million["beyond_text"] < million["all"]
    shown = runner.invoke(main, args)
    assert shown.exit_code == 0 and "beyond the text" in shown.output and "B/chunk" in shown.output
    assert "1 file changed s" in shown.output
    bad = runner.invoke(main, ["bench", "--scale", "--scale-factors", "1,x"])
    assert bad.exit_code == 1 and "--scale-factors must be whole numbers" in bad.output


def test_bytes_at_a_million_chunks_follow_the_slope_of_the_two_largest_sizes():
    from qa.bench.scale import per_million

    rows = [{"chunks": 10, "build_bytes": 99_999, "text_bytes": 0, "files": {}},  # the smallest size is not read
            {"chunks": 1000, "build_bytes": 3_000_000, "text_bytes": 1_000_000, "files": {}},
            {"chunks": 2000, "build_bytes": 5_000_000, "text_bytes": 1_800_000, "files": {}}]
    assert per_million(rows) == {"dense": 0.0, "all": 2001.0, "beyond_text": 1200.8}
    # an exact index of 1,536 bytes a chunk at the smaller size, an IVF one of 800 at the larger: the dense index is
    # taken at the larger size's bytes a chunk, not extrapolated across the change of kind
    rows[1] = {**rows[1], "build_bytes": 3_000_000 + 1536 * 1000, "files": {"vectors.npy": 1536 * 1000}}
    rows[2] = {**rows[2], "build_bytes": 5_000_000 + 800 * 2000, "files": {"dense.faiss": 800 * 2000}}
    assert per_million(rows) == {"dense": 800.0, "all": 2801.0, "beyond_text": 2000.8}
    assert per_million(rows[:1]) is None and per_million([rows[1], rows[1]]) is None


# --- --ann ---------------------------------------------------------------------------------------------------


def test_ann_comparison_on_a_small_size_scores_recall_against_exact_search():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 32)).astype(np.float32)
    base = centres[rng.integers(0, 40, 400)] + 0.3 * rng.normal(size=(400, 32)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[:30] + 0.2 * rng.normal(size=(30, 32)).astype(np.float32)
    specs = (AnnSpec("flat", "Flat"), AnnSpec("hnsw", "HNSW8,Flat", "efSearch", (4, 64)),
             AnnSpec("ivf", "IVF{nlist},SQ8", "nprobe", (1, 1024)))
    out = run_ann(base, queries, (1500,), specs, latency_queries=10)
    rows = {(r["index"].split(",")[0], r["setting"]): r for r in out["rows"]}
    assert all(0.0 <= r["recall_at_10"] <= 1.0 and r["p50_ms"] >= 0 for r in out["rows"])
    assert rows[("Flat", "exact")]["recall_at_10"] == 1.0
    assert rows[("Flat", "exact")]["bytes_per_vector"] == pytest.approx(4 * 32, rel=0.01)
    ivf = [r for (name, _), r in rows.items() if name.startswith("IVF")]
    assert ivf[0]["recall_at_10"] <= ivf[1]["recall_at_10"]  # more lists probed, more found
    assert out["realism"]["noise"] in {float(k) for k in out["realism"]["synthetic_nn_cos_q25_q50_q75"]}


def test_synthesised_vectors_are_unit_length_and_stay_near_the_real_ones():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(200, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    x = synthesise(base, 1000, noise=0.2)
    assert x.shape == (1000, 16) and np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert np.median((x @ base.T).max(axis=1)) > 0.8  # near a real vector, not uniform noise
    assert compare(x, base[:5], (AnnSpec("flat", "Flat"),), latency_queries=2)[0].recall_at_10 == 1.0


# --- per-question work does not grow with the corpus ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_filtered_dense_search_returns_the_exact_nearest_allowed_vectors(kind):
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(64, 16)).astype(np.float32)  # clustered, as passages are
    x = centres[rng.integers(0, 64, EXACT_FILTER_MAX * 3)] + 0.3 * rng.normal(size=(EXACT_FILTER_MAX * 3, 16))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    index, _ = build_dense(x, kind)
    q = x[7] + 0.05
    for share in (0.01, 0.6):  # searched over its own vectors, then inside FAISS with a selector
        allowed = rng.random(len(x)) < share
        ids = np.flatnonzero(allowed)
        expected = ids[np.argsort(-(x[ids] @ q), kind="stable")][:10]
        found = [i for i, _ in search_dense(index, q, 10, allowed)]
        assert all(allowed[found]) and len(found) == 10
        assert set(found) == set(expected) if kind == "flat" else len(set(found) & set(expected)) >= 8


def test_dense_index_is_exact_up_to_the_switch_over_then_ivf_that_reads_vectors_back(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(FLAT_MAX + 1, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    assert build_dense(x[:FLAT_MAX])[1] == "flat"
    index, chosen = build_dense(x)
    assert chosen == "ivf"
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    assert loaded.nprobe == index.nprobe > 1
    assert np.allclose(loaded.reconstruct_batch(np.array([5, 70])), x[[5, 70]], atol=0.02)  # 8-bit codes
    assert search_dense(loaded, x[70], 1)[0][0] == 70


class _Counting:
    """Counts, under ``name``, every pass over the collection it is mixed into."""

    def __init__(self, items, counts, name):
        super().__init__(items)
        self._counts, self._name = counts, name

    def __iter__(self):
        self._counts[self._name] += 1
        return super().__iter__()


class _Counted(_Counting, list):
    pass


class _CountedDict(_Counting, dict):
    def values(self):
        self._counts[self._name] += 1
        return super().values()

    def items(self):
        self._counts[self._name] += 1
        return super().items()


class _Dense:
    """The FAISS index, recording how many results each search asks for."""

    def __init__(self, index, asked):
        self._index, self._asked = index, asked

    def search(self, x, k, **kwargs):
        self._asked.append(k)
        return self._index.search(x, k, **kwargs)

    def __getattr__(self, name):
        return getattr(self._index, name)


QUESTIONS = ["区监委留置了多少人？", "2025年本区地方政府债务限额是多少？",
             "What is the district's 2025 local government debt limit?", "What did Huang Haibin report on?"]


def _ask_everything(engine: BulletinQA, doc: str) -> None:
    for q in QUESTIONS:
        for kwargs in ({}, {"doc_ids": [doc]}, {"years": [2025]}, {"sources": [SEED_NAME]}):
            result = engine.ask(q, **kwargs)
            for p in result.passages:
                engine.context(p.chunk.source, p.chunk.start, p.chunk.end)


def test_questions_never_loop_over_the_corpus(corpora):
    engine = BulletinQA(load_index(corpora[3]), make_embedder("fake"))
    engine.warm_up()  # what is built once, on first use (the pinyin name map), is not per-question work
    doc = next(d for d in engine.index.documents if d.endswith("#14"))
    counts: Counter[str] = Counter()
    asked: list[int] = []
    index = engine.index
    index.chunks = _Counted(index.chunks, counts, "chunks")
    index.documents = _CountedDict(index.documents, counts, "documents")
    index.sources = _CountedDict(index.sources, counts, "sources")
    index.dense = _Dense(index.dense, asked)
    _ask_everything(engine, doc)
    assert counts == Counter(), "a question iterated over every chunk, document or source"
    assert asked and max(asked) <= DENSE_N, "the dense index was asked for more than the pool's share"


LINES_PER_ADDED_CHUNK = 4  # per question; which passages the fake embedder retrieves moves the count by about 1.5


def _lines_per_added_chunk(corpora) -> float:
    """Lines of qa/ (and of this file) executed per question for each chunk the 3× corpus adds to the 1×."""
    roots = (str(Path(__file__).resolve().parents[1] / "qa"), str(Path(__file__).resolve()))
    lines, chunks = {}, {}
    for factor in (1, 3):
        engine = BulletinQA(load_index(corpora[factor]), make_embedder("fake"))
        doc = next(d for d in engine.index.documents if d.endswith("#14"))
        _ask_everything(engine, doc)  # warm: regexes, jieba
        count = [0]

        def tracer(frame, event, arg, count=count):
            if not frame.f_code.co_filename.startswith(roots):
                return None
            if event == "line":
                count[0] += 1
            return tracer

        sys.settrace(tracer)
        try:
            _ask_everything(engine, doc)
        finally:
            sys.settrace(None)
        lines[factor], chunks[factor] = count[0], len(engine.index.chunks)
    return (lines[3] - lines[1]) / (len(QUESTIONS) * 4) / (chunks[3] - chunks[1])


def test_python_work_per_question_does_not_grow_with_the_corpus(corpora, monkeypatch):
    """Lines executed for the same questions at 1× and 3× the corpus (a count, not a time): fewer than
    LINES_PER_ADDED_CHUNK more per question for each added chunk (1.5 on 4 December). The count also moves with the
    passages retrieved (more candidates here, fewer there: up to about 1.5 lines per chunk either way with the fake
    embedder), so the bound is checked against a loop over the chunks: context() scanning every chunk, as it once
    did, gives about 8."""
    assert _lines_per_added_chunk(corpora) < LINES_PER_ADDED_CHUNK

    def scanning_context(self, source, start, end, around=1):
        for c in self.index.chunks:  # the old way: every chunk of the corpus, for each passage shown
            if c.source == source and c.start <= start and c.end >= end:
                return self.index.texts[source][c.start:c.end]
        return self.index.texts[source][start:end]

    monkeypatch.setattr(BulletinQA, "context", scanning_context)
    assert _lines_per_added_chunk(corpora) > LINES_PER_ADDED_CHUNK


def test_an_opened_index_holds_the_vectors_once_memory_mapped(corpora, monkeypatch):
    """The vectors are never read into memory to answer: an exact index maps vectors.npy (no FAISS copy)."""
    opened: list[tuple[str, object]] = []
    real_load = np.load

    def recording_load(path, *args, **kwargs):
        opened.append((str(path), kwargs.get("mmap_mode")))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(np, "load", recording_load)
    engine = BulletinQA(load_index(corpora[1]), make_embedder("fake"))
    engine.ask(QUESTIONS[0])
    vectors = [mode for path, mode in opened if path.endswith("vectors.npy")]
    assert vectors == ["r"], opened
    assert engine.index.manifest.dense_index == "flat" and isinstance(engine.index.dense.vectors, np.memmap)


def test_an_exact_index_is_the_vectors_file_searched_without_faiss(tmp_path):
    """A flat build writes no dense.faiss: its index is vectors.npy, memory-mapped, and a search gives the
    exact nearest vectors, best first, ties by id, as a brute-force scan does."""
    from qa.index.dense import ExactIndex

    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x[11] = x[10]  # a tie
    index, chosen = build_dense(x, "flat")
    assert chosen == "flat" and isinstance(index, ExactIndex)
    save_dense(index, tmp_path / "dense.faiss")
    assert not (tmp_path / "dense.faiss").exists()
    np.save(tmp_path / "vectors.npy", x, allow_pickle=False)
    loaded = load_dense(tmp_path / "vectors.npy")
    assert isinstance(loaded.vectors, np.memmap) and (loaded.d, loaded.ntotal) == (16, 300)
    q = x[10] + 0.01 * rng.normal(size=16).astype(np.float32)
    expected = sorted(range(300), key=lambda i: (-float(x[i] @ q), i))[:8]
    found = search_dense(loaded, q, 8)
    assert [i for i, _ in found] == expected and found[0][0] == 10 and found[1][0] == 11
    assert np.allclose([s for _, s in found], [float(x[i] @ q) for i in expected], atol=1e-5)
    assert np.array_equal(loaded.reconstruct_batch(np.array([3, 7])), x[[3, 7]])
    allowed = np.zeros(300, dtype=bool)
    allowed[[10, 11, 40, 41]] = True
    assert [i for i, _ in search_dense(loaded, q, 3, allowed)] == sorted(
        np.flatnonzero(allowed), key=lambda i: (-float(x[i] @ q), i))[:3]
    for damaged in (b"", (tmp_path / "vectors.npy").read_bytes()[:500]):
        (tmp_path / "vectors.npy").write_bytes(damaged)
        with pytest.raises(BqaError, match="vectors.npy is unreadable"):
            load_dense(tmp_path / "vectors.npy")


def test_top_k_breaks_ties_by_index_at_the_kth_value_too():
    from qa.index.dense import _top

    rng = np.random.default_rng(5)
    for _ in range(300):
        sims = rng.integers(0, 4, size=int(rng.integers(1, 25))).astype(np.float32)
        k = int(rng.integers(1, 10))
        assert list(_top(sims, k)) == sorted(range(len(sims)), key=lambda i: (-sims[i], i))[:k]
