"""The page's engine slot: the first build in the background, uploads into the corpus, the swap to a new engine."""

from __future__ import annotations

import shutil

import pytest

from qa.app import make_handlers, status_markdown
from qa.errors import BqaError
from qa.slot import MAX_UPLOAD_BYTES, EngineSlot, safe_name, store_upload

NEW = "关于青山县2025年上半年财政预算执行情况的报告\n\n一、一般公共预算执行情况\n\n上半年，全县一般公共预算收入完成8.76亿元。\n"


@pytest.fixture
def corpus(tmp_path, seed_corpus):
    folder = tmp_path / "corpus"
    shutil.copytree(seed_corpus, folder)
    return folder


def _upload(tmp_path, name: str, data: bytes):
    src = tmp_path / "incoming" / name
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(data)
    return src


@pytest.mark.parametrize(("raw", "clean"), [
    ("报告.txt", "报告.txt"), ("../../etc/passwd.txt", "passwd.txt"), ("C:\\x\\a.PDF", "a.pdf"),
    (".hidden.txt", "hidden.txt"), ("a\x1b[31mb.txt", "a_31mb.txt"), ("...", "upload"),
])
def test_safe_name_keeps_only_a_plain_file_name(raw, clean):
    assert safe_name(raw) == clean


def test_upload_is_written_into_the_corpus_and_never_overwrites(tmp_path, corpus):
    first = store_upload(corpus, _upload(tmp_path, "a.txt", NEW.encode()), "a.txt")
    second = store_upload(corpus, _upload(tmp_path, "a.txt", b"other"), "a.txt")
    assert first == corpus / "uploads" / "a.txt" and second == corpus / "uploads" / "a-2.txt"
    assert first.read_text(encoding="utf-8") == NEW and second.read_bytes() == b"other"
    assert [p.name for p in (corpus / "uploads").iterdir() if p.name.startswith(".")] == []  # no temp left


@pytest.mark.parametrize(("name", "data", "why"), [
    ("a.exe", b"MZ", "only PDF"), ("a.pdf", b"hello", "not a PDF"), ("a.docx", b"%PDF-1.4", "not a DOCX"),
    ("a.txt", b"\x00\x01\x02binary", "not a TXT"), ("a.txt", b"", "empty"),
])
def test_bad_uploads_are_refused_with_the_reason(tmp_path, corpus, name, data, why):
    with pytest.raises(BqaError, match=why):
        store_upload(corpus, _upload(tmp_path, name, data), name)
    assert not (corpus / "uploads").exists() or not any((corpus / "uploads").iterdir())


def test_oversized_upload_is_refused(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr("qa.slot.MAX_UPLOAD_BYTES", 10)
    with pytest.raises(BqaError, match="over the"):
        store_upload(corpus, _upload(tmp_path, "a.txt", b"x" * 11), "a.txt")
    assert MAX_UPLOAD_BYTES >= 2**20


def test_first_build_in_the_background_then_an_upload_swaps_the_engine(tmp_path, corpus):
    slot = EngineSlot(tmp_path / "index", corpus, embedder="fake")
    chat, ask = make_handlers(slot)
    assert "还在建立" in chat("区监委留置了多少人？", [], 5, [])[1][-1]["content"]
    assert "still being built" in ask("What is the 2025 debt limit?")["error"]
    slot.build(wait=True)
    assert slot.state.ready and not slot.state.building and slot.state.version == 1
    first = slot.engine
    assert "29" in status_markdown(slot, "zh") or str(len(first.documents)) in status_markdown(slot, "zh")
    slot.add_file(_upload(tmp_path, "青山县.txt", NEW.encode()), "青山县.txt")
    slot.build(wait=True)
    assert slot.engine is not first and slot.state.version == 2
    assert len(slot.engine.documents) == len(first.documents) + 1
    result = slot.engine.ask("青山县上半年一般公共预算收入完成多少？")
    assert "青山县" in result.passages[0].chunk.doc_title
    assert "error" not in ask("青山县上半年一般公共预算收入完成多少？")


def test_a_failed_build_keeps_the_old_engine_and_says_why(tmp_path, corpus, monkeypatch):
    slot = EngineSlot(tmp_path / "index", corpus, embedder="fake")
    slot.build(wait=True)
    engine = slot.engine

    def broken(*args, **kwargs):
        raise BqaError("disk full")

    monkeypatch.setattr("qa.index.store.build_index", broken)
    slot.build(wait=True)
    assert slot.engine is engine and slot.state.ready and "disk full" in slot.state.message
    assert "disk full" in status_markdown(slot, "en")


def test_an_engine_alone_cannot_build(fake_index):
    from qa.api import BulletinQA

    slot = EngineSlot(None, None, engine=BulletinQA.open(fake_index, build_if_missing=False))
    with pytest.raises(BqaError, match="nothing to build"):
        slot.build()
