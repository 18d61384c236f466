"""The parser on the real seed bulletin, and on bad input."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.corpus import load_corpus
from qa.errors import BqaError
from qa.parse import parse_file, parse_text
from qa.reading import read_source
from qa.toc import squash

SEED = Path(__file__).resolve().parents[1] / "corpus" / "hongkou-2025-03.txt"


def ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def seed():
    return parse_file(SEED)


def test_header_and_toc():
    b = seed().bulletin
    assert b.title == "上海市虹口区人民代表大会常务委员会公报"
    assert (b.year, b.issue, b.serial) == (2025, "第三号", "总第11号")
    assert len(b.toc) == 28
    jiang = [e for e in b.toc if e.speaker == "姜靖"]
    assert [e.page for e in jiang] == [37, 43]  # wrapped entries keep their speaker and page
    assert b.toc[16].title.endswith("审计工作报告") and b.toc[17].speaker == "尧云"  # not wrongly joined


def test_28_documents_match_toc_in_order_without_overlap():
    p = seed()
    docs = p.documents
    assert len(docs) == 28
    for doc, entry in zip(docs, p.bulletin.toc, strict=True):
        assert doc.title == entry.title
        first_line = p.text[doc.start:].split("\n", 1)[0]
        assert squash(first_line) == squash(doc.title) or doc.title.endswith("任命名单")  # body typo 任名单
    for a, b in zip(docs, docs[1:], strict=False):
        assert a.end <= b.start
    assert docs[3].doc_id != docs[26].doc_id and docs[23].doc_id != docs[24].doc_id  # same-title pairs stay apart


def test_document_metadata():
    by_title = {d.title: d for d in seed().documents}
    anti = by_title["关于整治群众身边不正之风和腐败问题工作情况的报告"]
    assert (anti.role, anti.speaker, anti.date) == ("区监委主任", "姜勇", "2025-07-18")
    assert anti.meeting == "上海市虹口区第十七届人民代表大会常务委员会第三十二次会议"
    fin = next(d for d in seed().documents if d.title.startswith("关于虹口区 2024 年财政决算和"))
    assert (fin.role, fin.speaker) == ("区财政局局长", "姜靖")
    agenda = seed().documents[0]
    assert agenda.date == "2025-06-24" and agenda.speaker is None


def test_block_text_equals_source_and_blocks_do_not_overlap():
    p = seed()
    last_end = -1
    for blk in p.blocks:
        src = p.text[blk.start:blk.end]
        assert blk.start >= last_end
        last_end = blk.end
        if blk.kind == "table_row":
            plain = ws(re.sub(r"<[^>]*>|●", "", src))
            for cell in blk.cells:
                assert all(piece in plain for piece in re.split(r"[；。]", ws(cell))), blk.block_id
        elif blk.kind != "heading" or not blk.cells:
            assert ws(src) == ws(blk.text), blk.block_id


def test_coverage_of_body():
    p = seed()
    covered = bytearray(len(p.text))
    for blk in p.blocks:
        covered[blk.start:blk.end] = b"\x01" * (blk.end - blk.start)
    body = [i for i in range(p.documents[0].start, len(p.text)) if not p.text[i].isspace()]
    assert sum(covered[i] for i in body) / len(body) >= 0.99


def test_page_break_merged():
    p = seed()
    blk = next(b for b in p.blocks if "董某擅自挪" in b.text)
    assert blk.kind == "paragraph" and "董某擅自挪用学生专项经费" in blk.text
    assert "\n" in p.text[blk.start:blk.end]  # spans both parts of the source


def test_table_rows_carry_caption_and_header():
    p = seed()
    row = next(b for b in p.blocks if b.kind == "table_row" and "地区生产总值增长率" in b.cells[0])
    assert row.text == ("表一 2025年上半年虹口区主要经济社会指标完成情况｜指标名称：地区生产总值增长率｜单位：%｜"
                        "全年计划目标：5.5｜上半年完成情况：7.8（一季度）")
    cont = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "房屋征收及城市更新")
    assert cont.table == row.table and cont.header == row.header  # the (续表) part reuses the header
    assert p.text[row.start:row.end] == "地区生产总值增长率\t%\t5.5\t7.8（一季度）"


def test_12345_table_2024_row():
    row = next(b for b in seed().blocks if b.kind == "table_row" and b.cells[0].startswith("2024"))
    assert row.table == "近三年市级考核情况"
    assert "有效受理量：49787" in row.text and "全市排名：6" in row.text


def test_html_cells_become_plain_items():
    rows = [b for b in seed().blocks if b.kind == "table_row" and "<ul" in seed().text[b.start:b.end]]
    assert rows and all("<" not in b.text and "●" not in b.text for b in rows)


def test_note_attached_to_table():
    note = next(b for b in seed().blocks if b.kind == "note" and b.text.startswith("注："))
    assert note.table and note.table.startswith("表一")


def test_audit_sections_nest():
    blk = next(b for b in seed().blocks if b.kind == "heading" and b.text == "1. 政府债券资金使用管理有待加强。")
    assert blk.section_path == ("一、财政管理审计情况", "（一）区本级预算执行和其他财政收支审计情况",
                                "1. 政府债券资金使用管理有待加强。")


def test_yi_shi_stays_inside_paragraph():
    blk = next(b for b in seed().blocks if b.text.startswith("一是统一思想高度重视"))
    assert blk.kind == "paragraph" and "二是" in blk.text


# --- bad input -------------------------------------------------------------------------------


def test_missing_file():
    with pytest.raises(BqaError, match="no such file"):
        read_source(Path("/nonexistent/x.txt"))


def test_empty_file(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("  \n", encoding="utf-8")
    with pytest.raises(BqaError, match="empty.txt: the file is empty"):
        read_source(f)


def test_binary_file(tmp_path):
    f = tmp_path / "blob.txt"
    f.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(BqaError, match="binary"):
        read_source(f)


def test_unknown_extension(tmp_path):
    f = tmp_path / "report.pdf"
    f.write_bytes(b"%PDF-1.4")
    with pytest.raises(BqaError, match="unsupported file type .pdf"):
        read_source(f)


def test_gbk_file_is_decoded(tmp_path):
    f = tmp_path / "gbk.txt"
    f.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    src = read_source(f)
    assert src.encoding == "gb18030" and src.text == SEED.read_text(encoding="utf-8")
    assert len(parse_file(f).documents) == 28


def test_not_utf8_nor_gbk(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("Überweisung café".encode("latin-1") * 50)
    with pytest.raises(BqaError, match="not valid UTF-8"):
        read_source(f)


def test_bom_and_windows_newlines_keep_offsets(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    f = tmp_path / "crlf.txt"
    f.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    p = parse_file(f)
    assert p.text == f.read_text(encoding="utf-8")
    assert len(p.documents) == 28
    blk = next(b for b in p.blocks if "留置37人" in b.text)
    assert "留置37人" in p.text[blk.start:blk.end]


def test_no_toc_falls_back_to_headings():
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("关于整治群众身边不正之风和腐败问题 工作情况的报告\n\n——"):]
    p = parse_text(body, "no-toc.txt")
    assert len(p.documents) >= 15
    assert p.documents[0].speaker == "姜勇"


def test_text_without_documents(tmp_path):
    with pytest.raises(BqaError, match="no 目录 and no document titles"):
        parse_text("只是一段话，没有标题。\n\n第二段。", "plain.txt")


def test_corpus_skips_bad_files_with_named_warnings(tmp_path):
    (tmp_path / "good.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    loaded = load_corpus(tmp_path)
    assert len(loaded.bulletins) == 1
    assert any("empty.txt" in w for w in loaded.warnings) and any("notes.docx" in w for w in loaded.warnings)


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_corpus_list_json():
    result = CliRunner().invoke(main, ["corpus", "list", "--json", "--corpus", str(SEED.parent)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 28
    assert set(rows[0]) == {"source", "doc_id", "title", "speaker", "role", "date", "start", "end", "n_blocks"}
    assert rows[5]["speaker"] == "姜勇" and rows[5]["source"] == "hongkou-2025-03.txt"


def test_cli_corpus_show_and_bad_id():
    runner = CliRunner()
    ok = runner.invoke(main, ["corpus", "show", "hongkou-2025-03#17", "--corpus", str(SEED.parent)])
    assert ok.exit_code == 0 and "1. 政府债券资金使用管理有待加强。" in ok.output
    bad = runner.invoke(main, ["corpus", "show", "nope", "--corpus", str(SEED.parent)])
    assert bad.exit_code == 1 and "no document 'nope'" in bad.output and "Traceback" not in bad.output


def test_cli_missing_corpus(tmp_path):
    result = CliRunner().invoke(main, ["corpus", "list", "--corpus", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "does not exist" in result.output
