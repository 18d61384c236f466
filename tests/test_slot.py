"""The page's engine slot: the first build in the background, uploads into the corpus, the swap to a new engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import replace_model

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
    ("a.exe", b"MZ", "only PDF"), ("报告.rtf", b"{\\rtf1", "can be added; save it as .docx"), ("报告.wps", b"%PDF-1.4", "not a WPS"), ("a.doc", b"%PDF-1.4", "not a DOC"), ("a.ofd", b"%PDF-1.4", "not an OFD"), ("a.pdf", b"hello", "not a PDF"), ("a.docx", b"%PDF-1.4", "not a DOCX"),
    ("a.txt", b"\x00\x01\x02binary", "not a TXT"), ("a.txt", b"", "empty"),
    ("a.xlsx", b"%PDF-1.4", "not an XLSX"), ("a.xls", b"%PDF-1.4", "not an XLS"),
    ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"), "password-protected"),
])
def test_bad_uploads_are_refused_with_the_reason(tmp_path, corpus, name, data, why):
    with pytest.raises(BqaError, match=why):
        store_upload(corpus, _upload(tmp_path, name, data), name)
    assert not (corpus / "uploads").exists() or not any((corpus / "uploads").iterdir())


def test_workbooks_can_be_added(tmp_path, corpus):
    fixture = Path(__file__).resolve().parent / "fixtures" / "budget.xls"
    stored = store_upload(corpus, _upload(tmp_path, "预算表.xls", fixture.read_bytes()), "预算表.xls")
    assert stored.read_bytes() == fixture.read_bytes()
    page = store_upload(corpus, _upload(tmp_path, "export.xls", b"<html><table><tr><td>1</td></tr></table>"), "export.xls")
    assert page.name == "export.xls"  # a web page saved as .xls, as many sites export tables
    renamed = store_upload(tmp_path / "other", _upload(tmp_path, "旧表.xlsx", fixture.read_bytes()), "旧表.xlsx")
    assert renamed.name == "旧表.xlsx"  # an Excel 97–2003 workbook under the newer suffix: read as what it is


def test_wps_office_files_can_be_added(tmp_path, corpus):
    """WPS Office's own names: a WPS Writer .wps (Word's binary format) and an .et workbook are added as they are."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    doc = (fixtures / "psr-guide-part6-notes-wps.doc").read_bytes()
    assert store_upload(corpus, _upload(tmp_path, "通知.wps", doc), "通知.wps").read_bytes() == doc
    book = (fixtures / "budget.xls").read_bytes()
    assert store_upload(corpus, _upload(tmp_path, "预算表.et", book), "预算表.et").name == "预算表.et"


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
    assert f"{len(first.documents)} 份报告（1 个文件）" in status_markdown(slot, "zh")  # the reports of one bulletin
    assert f"{len(first.documents)} reports (1 file)." in status_markdown(slot, "en")
    slot.add_file(_upload(tmp_path, "青山县.txt", NEW.encode()), "青山县.txt")
    slot.build(wait=True)
    assert slot.engine is not first and slot.state.version == 2
    assert len(slot.engine.documents) == len(first.documents) + 1
    assert f"{len(first.documents) + 1} reports (2 files)" in status_markdown(slot, "en")
    result = slot.engine.ask("青山县上半年一般公共预算收入完成多少？")
    assert "青山县" in result.passages[0].chunk.doc_title
    assert "error" not in ask("青山县上半年一般公共预算收入完成多少？")


def test_an_unreadable_upload_is_named_as_not_read_not_as_a_failed_update(tmp_path, corpus):
    """A page trial: an empty workbook made the page say 「索引未能更新」 though the index was updated."""
    slot = EngineSlot(tmp_path / "index", corpus, embedder="fake")
    slot.build(wait=True)
    stored = slot.add_file(_upload(tmp_path, "空表.xlsx", b"PK\x03\x04 not really a workbook"), "空表.xlsx")
    slot.build(wait=True)
    assert slot.state.ready and slot.state.message == "" and stored.name in slot.state.skipped
    status = status_markdown(slot, "zh")
    assert "索引已就绪" in status and "未能读取、未收入索引的文件：uploads/空表.xlsx" in status and "未能更新" not in status
    assert "Files that could not be read and are not in the index: uploads/空表.xlsx" in status_markdown(slot, "en")


def test_the_same_file_uploaded_twice_is_kept_once(tmp_path, corpus):
    first = store_upload(corpus, _upload(tmp_path, "a.txt", NEW.encode()), "a.txt")
    with pytest.raises(BqaError, match="the same file is already in the corpus as a.txt") as err:
        store_upload(corpus, _upload(tmp_path, "copy of a.txt", NEW.encode()), "copy of a.txt")
    assert err.value.text("zh") == "copy of a.txt：同一文件已在公报库中（a.txt）"
    assert sorted(p.name for p in first.parent.iterdir()) == ["a.txt"]


@pytest.mark.parametrize(("name", "data", "zh"), [
    ("报告.rtf", b"{\\rtf1", "报告.rtf：只能加入 PDF、OFD、DOCX、DOC、WPS、XLSX、XLS、ET、TXT、MD 或 HTML 文件；请另存为 .docx"),
    ("报告.wps", b"{\\rtf1\\ansi", "报告.wps：这是以 .wps 命名的 RTF 文件；请在 Word 或 WPS 中打开并另存为 .docx"),
    ("报告.doc", b"{\\rtf1\\ansi", "报告.doc：这是以 .doc 命名的 RTF 文件；请在 Word 或 WPS 中打开并另存为 .docx"),
    ("报告.doc", b"%PDF-1.4", "报告.doc：内容不是 DOC 文件"),
    ("a.pdf", b"hello", "a.pdf：内容不是 PDF 文件"), ("a.txt", b"", "a.txt：文件是空的"),
])
def test_a_refused_upload_says_why_in_chinese_too(tmp_path, corpus, name, data, zh):
    with pytest.raises(BqaError) as err:
        store_upload(corpus, _upload(tmp_path, name, data), name)
    assert err.value.text("zh").startswith(zh)


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


def test_a_refit_is_read_at_the_next_question(fake_index, seed_corpus, data_copy):
    from qa.api import BulletinQA
    from qa.linear import LinearModel

    engine = BulletinQA.open(fake_index, seed_corpus, answer_threshold=0.7)
    slot = EngineSlot(None, None, engine=engine)
    assert slot.current() is engine  # nothing changed: the same engine
    replace_model(data_copy / "ranker.json", lambda raw: {**raw, "bias": raw["bias"] + 1.0})
    fresh = slot.current()
    assert fresh is not engine and slot.engine is fresh and slot.current() is fresh  # read once
    assert fresh.index is engine.index and fresh.embedder is engine.embedder  # the index is not loaded again
    assert fresh.retriever.ranker.bias == engine.retriever.ranker.bias + 1.0  # the new file
    assert fresh.answerer.threshold == 0.7  # the options kept
    assert not fresh.models_changed()
    own = BulletinQA.open(fake_index, seed_corpus, ranker=LinearModel.packaged("ranker"))
    replace_model(data_copy / "ranker.json", lambda raw: {**raw, "bias": raw["bias"] + 1.0})
    assert EngineSlot(None, None, engine=own).current() is own  # its own ranker: nothing of the package's changed
    _, ask = make_handlers(slot)
    before = slot.engine
    assert "error" not in ask("2025年本区地方政府债务限额是多少？")
    assert slot.engine is not before  # a page question reads the new files too


def test_a_refit_keeps_the_engines_own_models_options_and_tables(fake_index, seed_corpus, data_copy):
    from qa.api import BulletinQA
    from qa.linear import LinearModel

    ranker = LinearModel.packaged("ranker")
    engine = BulletinQA.open(fake_index, seed_corpus, ranker=ranker, mode="rrf", answer_first=False,
                             answer_threshold=0.3)
    engine.ask("2025年本区地方政府债务限额是多少？")
    replace_model(data_copy / "answer_model.json", lambda raw: {**raw, "bias": raw["bias"] + 2.0})
    fresh = EngineSlot(None, None, engine=engine).current()
    assert fresh is not engine and not fresh.models_changed()
    assert fresh.retriever.ranker is ranker and fresh.retriever.mode == "rrf" and fresh.answer_first is False
    assert fresh.answerer.threshold == 0.3 and fresh.answerer.model.bias == engine.answerer.model.bias + 2.0
    assert fresh.retriever.scorer is engine.retriever.scorer  # the index's tables are not made again
    assert engine.answerer.model.bias != fresh.answerer.model.bias  # the old engine is as it was


def test_model_files_that_cannot_be_read_leave_the_engine_and_are_tried_once(fake_index, seed_corpus, data_copy):
    from qa.api import BulletinQA

    said = []
    engine = BulletinQA.open(fake_index, seed_corpus)
    slot = EngineSlot(None, None, engine=engine, say=said.append)
    good = (data_copy / "ranker.json").read_text(encoding="utf-8")
    replace_model(data_copy / "ranker.json", lambda raw: {**raw, "features": raw["features"][:-1]})  # unreadable
    chat, ask = make_handlers(slot)
    for _ in range(3):
        assert slot.current() is engine
        assert "error" not in ask("2025年本区地方政府债务限额是多少？")
    _, messages, _, _ = chat("2025年本区地方政府债务限额是多少？", [], 5, [])
    assert messages[-1]["role"] == "assistant"
    assert len(said) == 1 and "cannot be read" in said[0]  # tried once: not again until the files change
    replace_model(data_copy / "ranker.json", lambda raw: json.loads(good))  # a refit of this code
    fresh = slot.current()
    assert fresh is not engine and not fresh.models_changed() and "read them again" in said[-1]


def test_a_builds_engine_that_read_the_files_before_a_refit_reads_them_again(fake_index, seed_corpus, data_copy):
    from qa.api import BulletinQA

    slot = EngineSlot(None, None, engine=BulletinQA.open(fake_index, seed_corpus))
    built = BulletinQA.open(fake_index, seed_corpus)  # a build opens its engine …
    replace_model(data_copy / "answer_confidence.json", lambda raw: {**raw, "threshold": 0.5})  # … a refit lands …
    slot.engine = built  # … and the build swaps it in
    now = slot.current()
    assert now is not built and not now.models_changed() and now.answerer.threshold == 0.5


def test_a_build_swapping_in_while_a_reload_waits_is_not_overwritten(fake_index, seed_corpus, data_copy):
    import threading

    from qa.api import BulletinQA

    slot = EngineSlot(None, None, engine=BulletinQA.open(fake_index, seed_corpus))
    replace_model(data_copy / "answer_confidence.json", lambda raw: {**raw, "threshold": 0.5})
    got = []
    with slot._swap:  # a build holds the swap: the question's reload waits for it …
        asking = threading.Thread(target=lambda: got.append(slot.current()))
        asking.start()
        asking.join(0.5)
        assert asking.is_alive()
        built = BulletinQA.open(fake_index, seed_corpus)  # … whose engine read the new files …
        slot.engine = built
    asking.join()
    assert got == [built] and slot.engine is built  # … and is what the question gets, not a reload of the old one


def test_a_log_that_fails_never_fails_a_question(fake_index, seed_corpus, data_copy):
    from qa.api import BulletinQA

    def broken(message):
        raise BrokenPipeError

    slot = EngineSlot(None, None, engine=BulletinQA.open(fake_index, seed_corpus), say=broken)
    replace_model(data_copy / "answer_confidence.json", lambda raw: {**raw, "threshold": 0.5})
    chat, _ = make_handlers(slot)
    _, messages, _, _ = chat("2025年本区地方政府债务限额是多少？", [], 5, [])
    assert messages[-1]["role"] == "assistant" and slot.engine.answerer.threshold == 0.5

