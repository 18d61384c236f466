"""The ingest stage (qa.ingest): the seed bulletin, every dev-corpus file, generated DOCX/HTML/PDF files,
multi-file corpora, bad input and the `bqa corpus` commands. No embedding model."""

from __future__ import annotations

import json
import os
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa.ingest.parse as ingest_parse
from qa.cli import main
from qa.errors import BqaError
from qa.ingest import load_corpus, parse_file, parse_text, scan_corpus
from qa.ingest.blocks import clean_cell, heading_level
from qa.ingest.formats import extract
from qa.ingest.text import align
from qa.ingest.toc import squash
from qa.types import Chunk, ParsedSource

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "corpus" / "hongkou-2025-03.txt"
DEV = REPO / "eval" / "dev-corpus"
DEV_FILES = sorted(DEV.glob("*.txt")) + sorted((DEV / "pdf").glob("*.pdf")) + sorted(DEV.glob("*.pdf")) \
    + sorted(DEV.glob("*.doc"))
PDF_FILES = [f for f in DEV_FILES if f.suffix == ".pdf"]
TABLE_FILES = [f for f in DEV_FILES if f.name.split("-")[0] != "pingdingshan" and f.suffix == ".pdf" or  # prose only
               f.name.split("-")[0] in ("guangdong", "heilongjiang", "jinan", "shizuishan", "fuzhou", "wanzai", "hotan")]

HAN = "\u4e00-\u9fff"
DECORATED_PAGE = re.compile(r"^\s*[-—–－]+\s*(\d{1,4})\s*[-—–－]+\s*$")  # "— 8 —" alone on its line
WRAPPED_UNIT = re.compile(r"(\d+(?:\.\d+)?)[ \t\u3000]*\n[ \t\u3000]*([亿万])[ \u3000]*元[ \u3000]*[，、。；]")


def ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def parsed(path: Path) -> ParsedSource:
    """Each file is parsed once per session (the two big PDFs take a few seconds)."""
    return parse_file(path, path.parent)


def seed() -> ParsedSource:
    return parsed(SEED)


def by_name(name: str) -> ParsedSource:
    return parsed(next(f for f in DEV_FILES if f.name.startswith(name)))


def file_id(path: Path) -> str:
    return path.name


def has_cells(blk) -> bool:
    """Table rows, and the header lines of TAB tables (their text joins the cells with " | ")."""
    return blk.kind == "table_row" or bool(blk.cells)


def covered(p: ParsedSource) -> float:
    """Share of the non-blank characters of the text that lie inside some block's [start, end)."""
    inside = bytearray(len(p.text))
    for blk in p.blocks:
        inside[blk.start:blk.end] = b"\x01" * (blk.end - blk.start)
    nonblank = [i for i, ch in enumerate(p.text) if not ch.isspace()]
    return sum(inside[i] for i in nonblank) / len(nonblank)


# --- the seed bulletin ---------------------------------------------------------------------------------


def test_seed_identity_and_toc():
    s = seed().source
    assert s.title == "上海市虹口区人民代表大会常务委员会公报"
    assert (s.year, s.issue, s.serial, s.place, s.format) == (2025, "第三号", "总第11号", "上海市虹口区", "txt")
    assert s.source == "hongkou-2025-03.txt" and s.source_id == "hongkou-2025-03" and s.n_pages is None
    assert len(s.toc) == 28
    jiang = [e for e in s.toc if e.speaker == "姜靖"]
    assert [e.page for e in jiang] == [37, 43]  # wrapped entries keep their speaker and page
    assert s.toc[16].title.endswith("审计工作报告") and s.toc[17].speaker == "尧云"  # not wrongly joined


def test_seed_front_matter_is_document_00_with_searchable_toc():
    p = seed()
    front = p.documents[0]
    assert front.doc_id == "hongkou-2025-03#00" and front.title == p.source.title
    assert front.end < p.documents[1].start and "目 录" in p.text[front.start:front.end]
    items = [b for b in p.blocks_of(front.doc_id) if b.kind == "list_item"]
    joined = squash("".join(b.text for b in items))
    assert all(squash(e.title) in joined for e in p.source.toc)  # every TOC entry is a searchable block
    assert all(blk.doc_id == front.doc_id for blk in items)


def test_seed_28_documents_match_toc_in_order():
    p = seed()
    docs = p.documents[1:]
    assert len(docs) == 28
    assert [d.doc_id for d in docs] == [f"hongkou-2025-03#{n:02d}" for n in range(1, 29)]
    for doc, entry in zip(docs, p.source.toc, strict=True):
        assert doc.title == entry.title
        first_line = p.text[doc.start:].split("\n", 1)[0]
        assert p.text[doc.start - 1] == "\n"  # a document starts at the start of its title line
        assert squash(first_line) == squash(doc.title) or doc.title.endswith("任命名单")  # body typo 任名单
        assert squash(first_line)[:12] == squash(doc.title)[:12]
    for a, b in zip(p.documents, p.documents[1:], strict=False):
        assert a.end <= b.start and not p.text[a.end:b.start].strip()  # documents tile the text in order
    assert not p.text[p.documents[-1].end:].strip()
    assert docs[3].doc_id != docs[26].doc_id and docs[23].doc_id != docs[24].doc_id  # same-title pairs stay apart


def test_seed_document_metadata():
    docs = seed().documents
    by_title = {d.title: d for d in docs}
    anti = by_title["关于整治群众身边不正之风和腐败问题工作情况的报告"]
    assert (anti.role, anti.speaker, anti.date) == ("区监委主任", "姜勇", "2025-07-18")
    assert anti.meeting == "上海市虹口区第十七届人民代表大会常务委员会第三十二次会议"
    fin = next(d for d in docs if d.title.startswith("关于虹口区2024年财政决算和"))
    assert (fin.role, fin.speaker) == ("区财政局局长", "姜靖")
    agenda = docs[1]
    assert agenda.date == "2025-06-24" and agenda.speaker is None
    assert sum(d.speaker is not None for d in docs) >= 15


def test_seed_blocks_follow_their_source_and_do_not_overlap():
    p = seed()
    last_end = -1
    for blk in p.blocks:
        src = p.text[blk.start:blk.end]
        assert blk.start >= last_end, blk.block_id
        last_end = blk.end
        if blk.kind == "table_row":
            plain = ws(re.sub(r"<[^>]*>|●", "", src))
            for cell in blk.cells:
                assert all(piece in plain for piece in re.split(r"[；。]", ws(cell))), blk.block_id
        elif not blk.cells:
            assert ws(src) == ws(blk.text), blk.block_id


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
    assert row.header == ("指标名称", "单位", "全年计划目标", "上半年完成情况")
    cont = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "房屋征收及城市更新")
    assert cont.table == row.table and cont.header == row.header  # the (续表) part reuses the header
    assert any(b.kind == "heading" and re.fullmatch(r"[（(]续表?[）)]", b.text) and b.table == row.table
               for b in p.blocks)
    assert p.text[row.start:row.end] == "地区生产总值增长率\t%\t5.5\t7.8（一季度）"
    assert [p.text[s:e] for s, e in row.cell_spans] == list(row.cells)


def test_12345_table_2024_row():
    row = next(b for b in seed().blocks if b.kind == "table_row" and b.cells[0].startswith("2024"))
    assert row.table == "近三年市级考核情况"
    assert "有效受理量：49787" in row.text and "全市排名：6" in row.text


def test_html_cells_become_plain_items():
    p = seed()
    rows = [b for b in p.blocks if b.kind == "table_row" and "<ul" in p.text[b.start:b.end]]
    assert rows and all("<" not in b.text and "●" not in b.text for b in rows)
    assert all(ws(c) == ws(clean_cell(p.text[s:e])) for b in rows for c, (s, e) in zip(b.cells, b.cell_spans,
                                                                                      strict=True))


def test_note_attached_to_table():
    note = next(b for b in seed().blocks if b.kind == "note" and b.text.startswith("注："))
    assert note.table and note.table.startswith("表一")


def test_audit_sections_nest():
    blk = next(b for b in seed().blocks if b.kind == "heading" and b.text == "1.政府债券资金使用管理有待加强。")
    assert blk.section_path == ("一、财政管理审计情况", "（一）区本级预算执行和其他财政收支审计情况",
                                "1.政府债券资金使用管理有待加强。")


def test_a_glossary_entry_is_content_and_a_numbered_heading_stays_a_heading():
    """「26.治安“三张图”：治安态势感知图、风险隐患图、可用资源图。」 defines a term: it is searched like any
    paragraph (as a heading it stood only in the next passages' section path, and nothing after it was indexed);
    「1.政府债券资金使用管理有待加强。」 and 「1.全市一般公共预算收支情况：」 stay headings."""
    text = ("关于政府工作的报告\n\n一、工作回顾\n\n1.全市一般公共预算收支情况：\n\n全市收入100亿元，增长5%。\n\n"
            "2.政府债券资金使用管理有待加强。\n\n个别项目资金闲置。\n\n名词解释\n\n"
            "25.“三保”：保基本民生、保工资、保运转。\n26.治安“三张图”：治安态势感知图、风险隐患图、可用资源图。\n")
    p = parse_text(text, "glossary.txt")
    kinds = {b.text: b.kind for b in p.blocks}
    assert kinds["1.全市一般公共预算收支情况："] == "heading" and kinds["2.政府债券资金使用管理有待加强。"] == "heading"
    said = " ".join(b.text for b in p.blocks if b.kind == "paragraph")
    assert "治安态势感知图、风险隐患图、可用资源图" in said and "保基本民生、保工资、保运转" in said


def test_a_glossary_entry_wrapped_by_a_pdf_is_content_and_no_section_of_what_follows():
    """A PDF's lines wrap a glossary entry anywhere: 「8.公物仓：是对行政事业单位长期闲置、低效运转的资产实」 goes on in
    「行统一管理、统一调配、统一处置的运作平台。」. Read as a heading (numbered, or as a heading that lost its number,
    as 「9.再融资债券：是指一种地方政府为了偿还到期的债券本金」 was after a closed paragraph), it was the section of every table after it (55
    such on the dev corpus's glossaries: Guangdong, Jinan, Shizuishan)."""
    wide = "全市一般公共预算收入完成100亿元，增长5%，税收收入完成80亿元，增长6%，非税收入20亿元。"  # the
    # lines of a report's tables are wider than its prose's: a usual line width of 36 or more, as the PDF's
    text = ("关于预算执行情况的报告\n一、工作回顾\n" + "\n".join([wide] * 8) + "\n附件\n名词解释\n"
            "7.“三公”经费：公务接待费、因公出国（境）费、车辆购置\n及运行维护费。\n"
            "8.公物仓：是对行政事业单位长期闲置、低效运转的资产实\n行统一管理、统一调配、统一处置的运作平台。\n"
            "9.再融资债券：是指一种地方政府为了偿还到期的债券本金\n而发行的债券，分为两种类型。\n"
            "表十二 2025年政府债务限额和余额情况表\n单位：万元\n地区 债务限额 债务余额\n平罗县 697,686 649,347\n")
    p = parse_text(text, "wrapped.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    assert not any(h.startswith(("7.", "8.", "9.")) for h in headings), headings
    said = "".join(b.text for b in p.blocks if b.kind == "paragraph")
    assert "公物仓：是对行政事业单位长期闲置、低效运转的资产实行统一管理" in said
    assert "再融资债券：是指一种地方政府为了偿还到期的债券本金而发行的债券" in said
    row = next(b for b in p.blocks if b.kind == "table_row")
    assert not any("公物仓" in part for part in row.section_path), row.section_path


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_heading_with_a_subtitle_after_its_colon_stays_a_heading(wrapped):
    """「二、主要任务：稳增长、促改革、惠民生」 is a heading: the text after it is wider than it (a PDF's full lines, or
    a paragraph on one line), or a table follows."""
    body = ("全面实施零基预算，推进预算和绩效管理一体化，加强财政资源统筹，提高资金使用效益，保障重点支出需要。"
            "全年安排资金20亿元。")
    if wrapped:
        body = "\n".join(body[k:k + 26] for k in range(0, len(body), 26))
    text = ("关于预算执行情况的报告\n第一部分：2025年预算执行情况\n" + body + "\n"
            "二、主要任务：稳增长、促改革、惠民生\n" + body + "\n"
            "3.推进预算管理改革：全面实施零基预算\n" + body + "\n"
            "4.全市一般公共预算：收入完成86.5亿元\n单位：万元\n项目 预算数 决算数\n税收收入 100 120\n")
    p = parse_text(text, "headings.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    for heading in ("第一部分：2025年预算执行情况", "二、主要任务：稳增长、促改革、惠民生", "3.推进预算管理改革：全面实施零基预算",
                    "4.全市一般公共预算：收入完成86.5亿元"):
        assert heading in headings, (heading, headings)


def test_a_notes_numbered_items_are_the_note_not_headings():
    """A statistical bulletin closes with 「注：1.…」 and then 「2.…」 「3.…」: those go on numbering the note, so they are
    note lines, not headings that would make the source list under them a section of its own. A numbered line that
    does not go on a note's numbering (another number, or no note before it) is a heading as before."""
    text = ("2025年某市国民经济和社会发展统计公报\n十二、资源和环境\n全年空气质量优良天数比例97.5%。\n"
            "注：1.本公报未包括某某列岛。\n2.本公报所列数据为初步统计数，部分合计数由于单位取舍不同而产生的计算误差，均不做机械调整。\n"
            "3.本公报地区生产总值按现价计算，增长速度按可比价格计算。\n资料来源：\n本公报财政数据来自市财政局。\n")
    p = parse_text(text, "notes.txt")
    kinds = {b.text.split("本公报")[0]: b.kind for b in p.blocks if "本公报" in b.text}
    assert kinds == {"注：1.": "note", "2.": "note", "3.": "note", "": "paragraph"}, kinds
    assert not any(b.kind == "heading" and b.text.startswith(("2.", "3.")) for b in p.blocks)
    other = text.replace("注：1.本公报未包括某某列岛。", "注：本公报未包括某某列岛。").replace("3.本公报", "4.本公报")
    headings = [b.text for b in parse_text(other, "notes2.txt").blocks if b.kind == "heading"]
    assert any(h.startswith("4.本公报") for h in headings)  # no note numbering it goes on: read as before

    # headings after a note stay headings: a one-item note, a two-item one, a note with paragraphs between
    for text, heading in (
            ("1.一般公共预算收支情况\n全年收入100亿元。\n注：1.上述数据为快报数。\n2.政府性基金预算收支情况\n全年收入50亿元。\n"
             "3.国有资本经营预算收支情况\n全年收入5亿元。\n", "3.国有资本经营预算收支情况"),
            ("2.一般公共预算支出\n全年支出100亿元。\n注：1.含上级补助。\n2.含结转。\n3.政府性基金预算收支\n全年收入50亿元。\n",
             "3.政府性基金预算收支"),
            ("注：1.本项含上级补助收入。\n全年收入100亿元。\n全年支出90亿元。\n2.政府性基金预算收支情况。\n全年收入50亿元。\n",
             "2.政府性基金预算收支情况。")):
        blocks = parse_text("关于预算执行情况的报告\n" + text, "budget.txt").blocks
        assert any(b.kind == "heading" and b.text == heading for b in blocks), [(b.kind, b.text) for b in blocks]
    blocks = parse_text("关于预算执行情况的报告\n" + "1.一般公共预算收支情况\n全年收入100亿元。\n注：1.上述数据为快报数。\n"
                        "2.政府性基金预算收支情况\n全年收入50亿元。\n", "budget.txt").blocks
    assert any(b.kind == "heading" and b.text == "2.政府性基金预算收支情况" for b in blocks)


_PROSE = ("2025年全市一般公共预算收入完成1000.35亿元，同比增长5.2%，其中税收收入完成800.12亿元，"
          "同比增长6.3%，非税收入完成200.23亿元，同比下降1.1%，2025年全市收入质量稳步提升，"
          "财政运行总体平稳，重点支出得到有效保障。")  # a paragraph of a report; digits: its lines are longer than wide


def _wrapped(text: str, width: int = 24) -> str:
    """``text`` cut into a PDF's lines ``width`` Chinese characters wide (a digit is half of one), its first line
    indented by two (so two narrower)."""
    lines, line, room = [], "", width - 2
    for ch in text:
        w = 0.5 if ch.isascii() else 1.0
        if room < w:
            lines.append(line)
            line, room = "", width
        line, room = line + ch, room - w
    return "\n".join([*lines, line])


def test_a_paragraph_s_first_line_as_wide_as_the_page_is_no_heading():
    """A PDF's prose wraps where the line is full, so a paragraph's first line (indented by two characters) may hold
    no punctuation: 「社会保障和就业支出主要用于保障机关事业单位养」 + 「老金待遇、…」 was read as a heading and was the
    section of the paragraphs after it (Yueyang; Guangdong's 「广东省2024年预算执行情况已向省十四届人大三次会」). A
    short line between paragraphs (「主要支出方向」) is still one."""
    paragraphs = [_wrapped(_PROSE) for _ in range(20)]
    first = "社会保障和就业支出主要用于保障机关事业单位养老金待遇、城乡居民基础养老金补助，以及稳定就业创业等。"
    long_heading = "关于2024年省对市县税收返还及转移支付情况的说明"  # as wide as a paragraph's first line
    text = ("关于预算执行情况的报告\n" + "\n".join(paragraphs[:8]) + "\n主要支出方向\n" + "\n".join(paragraphs[8:10])
            + "\n" + _wrapped(first) + "\n" + "\n".join(paragraphs[10:16]) + f"\n{long_heading}\n"
            + "\n".join(paragraphs[16:]) + "\n")
    p = parse_text(text, "wrapped-prose.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    assert "主要支出方向" in headings and long_heading in headings, headings  # a heading's last word: 说明
    assert not any(h.startswith("社会保障和就业支出") for h in headings), headings
    said = next(b for b in p.blocks if b.kind == "paragraph" and "养老金待遇" in b.text)
    assert said.text.startswith("社会保障和就业支出主要用于保障机关事业单位养老金待遇")
    after = [b for b in p.blocks if b.kind == "paragraph" and said.start < b.start < p.text.index(long_heading)]
    assert after and all(b.section_path[-1] == "主要支出方向" for b in after)


def test_a_numbered_heading_wrapped_by_a_pdf_ends_at_its_sentence_s_end():
    """「（一）精准发力，在巩固拓展可持续财源上展现新」 fills its line and goes on in 「作为。深化产业财源培植，…」: the
    heading is 「…展现新作为。」 and the paragraph starts after it (it was cut at 新, and its paragraph began 作为。); a
    heading wrapped onto a line of its own ends there; a numbered line after a full heading starts its own."""
    body = "\n".join(_wrapped(_PROSE) for _ in range(20))
    text = ("关于预算执行情况的报告\n三、扎实做好2026年预算执行工作\n" + body + "\n"
            "（一）精准发力，在巩固拓展可持续财源上展现新\n\f— 8 —\n作为。深化产业财源培植，实施产业财源壮大行动。\n"
            "（二）以兜牢基本民生保障为底线，着力增进民生\n福祉。\n坚持民生为大，办好民生实事。\n"
            "（三）省十件民生实事和省人大提前介入项目执行情况\n1.省十件民生实事执行情况。全年投入资金100亿元。\n"
            "（四）全市一般公共预算收入和支出的执行情况\n全年收入完成100亿元。支出完成200亿元。\n"
            "3.企业所得税收入决算数为调整预算的95.8%，主要是受企业\n利润不及预期影响。\n"
            "4.个人所得税收入决算数为调整预算的92.4%，主要是受专项\n附加扣除政策影响。\n")
    p = parse_text(text, "run-in.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    assert "（一）精准发力，在巩固拓展可持续财源上展现新作为。" in headings, headings
    assert "（二）以兜牢基本民生保障为底线，着力增进民生福祉。" in headings, headings
    assert "（三）省十件民生实事和省人大提前介入项目执行情况" in headings, headings
    assert "（四）全市一般公共预算收入和支出的执行情况" in headings, headings  # a heading's word ends it: no run-on
    first = next(b for b in p.blocks if "深化产业财源培植" in b.text)
    assert first.kind == "paragraph" and first.text.startswith("深化产业财源培植")
    assert first.section_path[-1] == "（一）精准发力，在巩固拓展可持续财源上展现新作为。"  # not the page footer
    assert p.text[first.start:first.end].startswith("深化")
    heading = next(b for b in p.blocks if b.kind == "heading" and b.text.startswith("（一）"))
    assert heading.section_path[-1] == heading.text  # in its own section, as a one-line heading is
    second = next(b for b in p.blocks if b.text.startswith("坚持民生为大"))
    assert second.section_path[-1] == "（二）以兜牢基本民生保障为底线，着力增进民生福祉。"
    notes = [b for b in p.blocks if b.text.startswith(("3.企业所得税", "4.个人所得税"))]  # nothing under them:
    assert [b.kind for b in notes] == ["paragraph", "paragraph"], notes  # content, searchable, not bare headings
    assert notes[0].text.endswith("利润不及预期影响。")


def test_a_figure_spaced_from_its_unit_at_a_line_s_start_is_no_numbered_heading():
    """「79 万元，上年结转专项资金支出 12 万元。」 and 「30 个，涉及单位…」 start lines of a PDF's prose (a number
    spaced from its unit): no heading 79 or 30; 「1 总体情况」 still is one."""
    text = ("关于预算执行情况的报告\n1 总体情况\n国有资本经营预算全口径收入292万元，其中：提前下达国有企业退休人员社会化管理补助\n"
            "79 万元，上年结转专项资金支出 12 万元。\n2 重点工作\n开展重点绩效评价项目\n"
            "30 个，涉及单位或机构 10 家；聚焦乡村振兴资金使用。\n")
    p = parse_text(text, "spaced.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    assert "1总体情况" in headings and "2重点工作" in headings, headings
    assert not any(h.startswith(("79", "30")) for h in headings), headings


def test_a_number_spaced_from_a_full_line_of_prose_is_no_heading():
    """「30 个项目列入省重点项目…」 as wide as the page's prose: a sentence wrapped after its number (a heading's
    「1 总体情况」 is short)."""
    body = "\n".join(_wrapped(_PROSE) for _ in range(20))
    text = ("关于预算执行情况的报告\n1 总体情况\n" + body + "\n全年新增重点项目\n30 个项目列入省重点项目建设计划并获得专项资\n"
            "金支持。\n2 重点工作\n" + body + "\n")
    p = parse_text(text, "spaced-full.txt")
    headings = [b.text for b in p.blocks if b.kind == "heading"]
    assert "1总体情况" in headings and "2重点工作" in headings, headings
    assert not any(h.startswith("30") for h in headings), headings


@pytest.mark.parametrize(("raw", "level"), [
    ("1 总体情况", 3), ("1 个人所得税", 3), ("3 名城保护", 3), ("2 台账管理", 3), ("1 年度预算执行情况", 3),
    ("79 万元，上年结转专项资金支出 12 万元。", None), ("30 个，涉及单位或机构 10 家", None), ("12 公里", None),
    ("20 余个", None), ("35 周年", None), ("28 个指标开展综合评价，总体看，该专项资金", None),
])
def test_a_number_spaced_from_words_is_a_heading_unless_it_is_a_figure_or_a_sentence(raw, level):
    assert heading_level(raw.replace(" ", ""), raw) == level


@pytest.mark.parametrize(("toc", "titles"), [
    # a group's heading (一、会议文件) over entries with their own page numbers: no entry is joined to it
    ("一、会议文件\n某市人民政府工作报告（3）\n关于某市2025年预算执行情况和2026年预算草案的报告（15）\n二、市政府令\n"
     "某市公共资源交易管理办法（30）\n",
     ["某市人民政府工作报告", "关于某市2025年预算执行情况和2026年预算草案的报告", "某市公共资源交易管理办法"]),
])
def test_a_toc_s_group_headings_take_no_entry(toc, titles):
    body = ("某市人民政府工作报告\n——2026年1月20日在某市第七届人民代表大会第七次会议上\n各位代表：现在，我代表市人民政府，"
            "向大会报告工作。\n关于某市2025年预算执行情况和2026年预算草案的报告\n——2026年1月20日在某市第七届人民代表大会第七次会议上\n"
            "各位代表：现将预算草案提请审议。\n某市公共资源交易管理办法\n第一条　为了规范公共资源交易活动，制定本办法。\n")
    p = parse_text("某市人民政府公报\n目录\n" + toc + "\f" + body, "group-toc.txt")  # the body on a new page
    assert [d.title for d in p.documents if not d.doc_id.endswith("#00")] == titles


@pytest.mark.parametrize(("toc", "body", "titles"), [
    # the continuation line carries the entry's page; the body says 与 where the 目录 says 和
    ("一、某市人民政府工作报告……………………（3）\n二、关于某市2025年预算执行情况和2026年预算草案\n"
     "的报告…………………………………………（15）\n三、某市公共资源交易管理办法……………（30）\n",
     "某市人民政府工作报告\n——2026年1月20日在某市第七届人民代表大会第七次会议上\n各位代表：现在，我代表市人民政府报告工作。\n"
     "关于某市2025年预算执行情况与2026年预算草案的报告\n——2026年1月20日在某市第七届人民代表大会第七次会议上\n"
     "各位代表：现将预算草案提请审议。\n某市公共资源交易管理办法\n第一条　为了规范公共资源交易活动，制定本办法。\n",
     ["某市人民政府工作报告", "关于某市2025年预算执行情况和2026年预算草案的报告", "某市公共资源交易管理办法"]),
    # an entry over three lines
    ("一、某市第五届人民代表大会第六次会议关于2025年全\n市及市本级预算执行情况和2026年全市及市本级预\n算的决议\n"
     "二、关于2025年全市及市本级预算执行情况和2026年全市\n及市本级预算草案的报告\n",
     "某市第五届人民代表大会第六次会议\n关于2025年全市及市本级预算执行情况与2026年全市及市本级预算的决议\n"
     "（2026年1月21日某市第五届人民代表大会第六次会议通过）\n会议批准2026年全市及市本级预算。\n"
     "关于2025年全市及市本级预算执行情况和2026年全市及市本级预算（草案）的报告\n各位代表：现将预算草案提请审议。\n",
     ["某市第五届人民代表大会第六次会议关于2025年全市及市本级预算执行情况和2026年全市及市本级预算的决议",
      "关于2025年全市及市本级预算执行情况和2026年全市及市本级预算草案的报告"]),
])
def test_a_numbered_toc_entry_keeps_its_wrapped_lines(toc, body, titles):
    p = parse_text("某市人民代表大会常务委员会公报\n目录\n" + toc + "\f" + body, "wrapped-entries.txt")
    assert [d.title for d in p.documents if not d.doc_id.endswith("#00")] == titles


def test_the_tables_listed_under_a_numbered_toc_entry_are_entries_of_their_own():
    from qa.ingest.text import split_lines
    from qa.ingest.toc import parse_toc

    lines = split_lines("三、附表（2026年全市及市本级预算草案的有关表格）\n表一 全市一般公共预算收入明细表\n"
                        "表二 全市一般公共预算支出明细表\n")
    printed = {"表一全市一般公共预算收入明细表", "表二全市一般公共预算支出明细表"}  # the body prints the tables
    titles = [e.title for e in parse_toc(lines, lambda key: key in printed)]
    assert titles == ["三、附表（2026年全市及市本级预算草案的有关表格）", "表一全市一般公共预算收入明细表",
                      "表二全市一般公共预算支出明细表"]


def test_a_prose_width_is_read_past_a_table_s_numbered_labels():
    """「一、教育支出」 rows of a table hold 、 but are no prose: a table-heavy PDF's prose width is still read."""
    from qa.ingest.blocks import prose_width

    prose = ["全市一般公共预算收入完成一百亿元，同比增长百分之其中"] * 30  # 26 wide, running on
    prose += ["收入完成八十亿元，增长百分之六，非税收入完成二十亿元下"] * 25  # 27 wide: a justified neighbour
    prose += ["收入完成八十亿元，增长百分之六，非税收入完成二十亿"] * 25  # 25 wide
    prose += ["甲，" + "乙" * (w - 2) for w in range(10, 20) for _ in range(10)]  # shorter ones: 26 alone is no fifth
    labels = [f"{n}、教育支出、科技支出" for n in "一二三四五六七八九十"] * 25  # 11 wide, 250 of them
    assert [len(prose[0]), len(prose[30]), len(prose[55])] == [26, 27, 25]
    assert prose_width(prose + labels) == 26.0


@pytest.mark.parametrize("first_wrap", ["关于深圳市人民政府\n工作报告的决议", "关于深圳市\n人民政府工作报告的决议"])
def test_a_later_toc_entry_sharing_the_first_one_s_opening_words_is_no_body(first_wrap):
    """「…第七次会议关于深圳市」 wraps a later entry of the 目录; it begins (or is) the first entry's first line, but
    the line after it is an entry's (「2025年预算…的决议（59）」): the 目录 goes on (four documents, not two or three)."""
    text = ("深圳市人民政府公报\n目  录\n深圳市第七届人民代表大会第七次会议" + first_wrap + "…………（1）\n"
            "政府工作报告……深圳市市长  覃伟中  （2）\n深圳市第七届人民代表大会第七次会议关于深圳市\n"
            "2025年预算执行情况和2026年预算的决议……（59）\n关于深圳市2025年预算执行情况和2026年预算草案的报告……深圳市财政局局长  赵忠良  （60）\n"
            "深圳市第七届人民代表大会第七次会议关于深圳市人民政府工作报告的决议\n（2026年2月11日深圳市第七届人民代表大会第七次会议通过）\n"
            "会议决定批准这个报告。\n政府工作报告\n——2026年2月9日在深圳市第七届人民代表大会第七次会议上\n深圳市市长　覃伟中\n"
            "各位代表：现在，我代表市人民政府，向大会报告工作，请予审议。\n"
            "深圳市第七届人民代表大会第七次会议关于深圳市2025年预算执行情况和2026年预算的决议\n"
            "（2026年2月11日深圳市第七届人民代表大会第七次会议通过）\n会议决定批准2026年市本级预算。\n"
            "关于深圳市2025年预算执行情况和2026年预算草案的报告\n——2026年2月9日在深圳市第七届人民代表大会第七次会议上\n"
            "各位代表：受市人民政府委托，现将预算草案提请审议。\n")
    p = parse_text(text, "shared-opening.txt")
    docs = [d for d in p.documents if not d.doc_id.endswith("#00")]
    assert len(docs) == 4, [d.title for d in docs]
    assert docs[-1].title == "关于深圳市2025年预算执行情况和2026年预算草案的报告"


def test_a_toc_s_numbered_wrapped_entries_find_their_documents():
    """A 目录 without page numbers numbers its entries (「一、」「二、」) and wraps them at other places than the body
    does (Zhongwei): the body starts at the first title as the body prints it, and each document is found by its
    title without the 目录's number — the resolution and the report, not three pieces titled by their second lines."""
    text = ("某市2026年政府预算信息公开\n目 录\n一、某市第五届人民代表大会第六次会议关于 2025 年全\n"
            "市预算执行情况和 2026 年全市预算的决议\n二、关于 2025 年全市预算执行情况和 2026 年全市\n预算草案的报告\n"
            "某市第五届人民代表大会第六次会议\n关于 2025 年全市预算执行情况和 2026 年全市预算的决议\n"
            "（2026 年 1 月 21 日某市第五届人民代表大会第六次会议通过）\n会议决定，批准 2026 年市本级预算。\n"
            "2025 年全市预算执行情况和 2026 年\n全市预算草案的报告\n各位代表：\n现将预算草案提请会议审议。\n")
    p = parse_text(text, "toc-numbered.txt")
    titles = [d.title for d in p.documents if not d.doc_id.endswith("#00")]
    assert titles == ["某市第五届人民代表大会第六次会议关于2025年全市预算执行情况和2026年全市预算的决议",
                      "关于2025年全市预算执行情况和2026年全市预算草案的报告"], titles
    resolution = p.documents[1]
    assert resolution.date == "2026-01-21" and "批准" in p.text[resolution.start:resolution.end]


@pytest.mark.parametrize(("line", "after", "speaker", "organization"), [
    ("廖  星  辉", "各位代表：", "廖星辉", None),  # a PDF's spaced name, alone under the dateline (Yueyang)
    ("欧阳明", "各位代表：", "欧阳明", None),
    ("市  财  政  局", "各位代表：", None, "市财政局"),  # a body, not a person
    ("前言", "各位代表：", None, None),  # no surname
    ("安全生产", "各位代表：", None, None),  # a surname (安) and three more: a name needs a surname of two
    ("高新区", "各位代表：", None, None),  # a surname (高), but a place
    ("廖星辉", "一、总体情况", None, None),  # the report does not begin after it: a heading, not its reporter
])
def test_a_name_alone_under_the_dateline_is_the_reporter(line, after, speaker, organization):
    """「——2025年12月27日在岳阳市第九届人民代表大会第六次会议上」 then 「廖  星  辉」 then 「各位代表：」: the reporter, named
    without a role, was read as the start of the text (「廖星辉各位代表：」), so "who delivered the report?" had no answer."""
    text = ("关于岳阳市2025年预算执行情况与2026年预算草案的报告\n——2025年12月27日在岳阳市第九届人民代表大会第六次会议上\n"
            f"{line}\n{after}\n受市人民政府委托，现提出2025年预算执行情况，请予审查。\n")
    doc = parse_text(text, "reporter.txt").documents[0]
    assert (doc.speaker, doc.organization, doc.role) == (speaker, organization, None)
    assert doc.date == "2025-12-27"


def test_a_resolution_s_adoption_line_is_followed_by_its_text():
    """「（2026年1月21日中卫市第五届人民代表大会第六次会议通过）」 then 「中卫市第五届人民代表大会第六次会议审查了市人民政府」:
    the resolution's first line, wrapped after 政府, was read as the issuing body (and became the source's issuer),
    and its sentence lost its start."""
    text = ("中卫市第五届人民代表大会第六次会议关于2025年预算执行情况的决议\n"
            "（2026年1月21日中卫市第五届人民代表大会第六次会议通过）\n中卫市第五届人民代表大会第六次会议审查了市人民政府\n"
            "提出的预算执行情况的报告，会议决定批准这个报告。\n")
    p = parse_text(text, "resolution.txt")
    doc = p.documents[0]
    assert (doc.organization, doc.speaker, doc.date) == (None, None, "2026-01-21")
    body = next(b for b in p.blocks if b.kind == "paragraph")
    assert body.text.startswith("中卫市第五届人民代表大会第六次会议审查了市人民政府提出的")


def test_a_name_under_a_date_that_is_no_dateline_is_no_reporter():
    text = "某区人大常委会公报\n2026年3月20日\n金融\n各位代表：\n现将报告如下。\n"
    assert parse_text(text, "date.txt").documents[0].speaker is None


def test_yi_shi_stays_inside_paragraph():
    blk = next(b for b in seed().blocks if b.text.startswith("一是统一思想高度重视"))
    assert blk.kind == "paragraph" and "二是" in blk.text


def test_no_toc_falls_back_to_datelines():
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("关于整治群众身边不正之风和腐败问题 工作情况的报告\n\n——"):]
    p = parse_text(body, "no-toc.txt")
    assert len(p.documents) >= 15 and not p.documents[0].doc_id.endswith("#00")
    assert p.documents[0].speaker == "姜勇" and p.documents[0].start == 0


def test_text_without_structure_is_one_document_of_paragraphs():
    plain = parse_text("只是一段话，没有标题。\n\n第二段，也没有。", "notes/plain.txt")
    assert [d.doc_id for d in plain.documents] == ["notes/plain#01"]
    assert plain.documents[0].title == "plain" == plain.source.title  # the file name
    assert [b.kind for b in plain.blocks] == ["paragraph", "paragraph"] and covered(plain) == 1.0
    titled = parse_text("\n年度工作小结\n\n一段话在这里\n折了行，没有标题。\n", "x.md", fmt="md")
    assert titled.documents[0].title == "年度工作小结" and titled.source.format == "md"
    assert [b.kind for b in titled.blocks] == ["heading", "paragraph"]
    assert titled.blocks[1].text == "一段话在这里折了行，没有标题。"  # a line wrap inside a sentence is read through


# --- every dev-corpus file -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*DEV_FILES, SEED], ids=file_id)
def test_every_file_is_covered_by_blocks(path):
    p = parsed(path)
    assert p.documents and p.blocks
    assert covered(p) >= 0.99
    assert len({b.block_id for b in p.blocks}) == len(p.blocks)
    doc_of = {d.doc_id: d for d in p.documents}
    for a, b in zip(p.documents, p.documents[1:], strict=False):
        assert a.end <= b.start
    for blk in p.blocks:
        doc = doc_of[blk.doc_id]
        assert doc.start <= blk.start <= blk.end <= doc.end, blk.block_id
        assert all(blk.start <= s <= e <= blk.end for s, e in blk.gaps), blk.block_id


@pytest.mark.parametrize("path", [*DEV_FILES, SEED], ids=file_id)
def test_every_block_is_a_repaired_reading_of_its_span(path):
    p = parsed(path)
    furniture = [(b.start, b.end) for b in p.blocks if b.kind == "furniture"]
    for blk in p.blocks:
        if has_cells(blk):
            continue
        offsets = align(p.text, blk.start, blk.end, blk.text, blk.gaps)  # raises when it is not
        assert len(offsets) == len(blk.text)
        assert not re.search(rf"[{HAN}]\s+[{HAN}]", blk.text), blk.block_id  # "关  于" read as a word
        if blk.kind in ("paragraph", "list_item"):
            assert not re.search(r"[-—–－]\d{1,4}[-—–－]", blk.text), blk.block_id  # no "— 8 —" inside
            assert not any(s <= o < e for o in offsets for s, e in furniture), blk.block_id


@pytest.mark.parametrize("path", TABLE_FILES, ids=file_id)
def test_table_rows_cells_map_to_source(path):
    p = parsed(path)
    rows = [b for b in p.blocks if b.kind == "table_row"]
    assert len([b for b in rows if len(b.cells) >= 2]) >= 5
    assert all(b.table for b in rows)
    assert any(b.header and any(b.header) for b in rows)  # some rows know their columns
    for blk in (b for b in p.blocks if b.cells):
        assert len(blk.cell_spans) == len(blk.cells), blk.block_id
        if blk.kind == "table_row" and len(blk.cells) <= len(blk.header):  # a row short of trailing empty cells
            assert "｜列1：" not in blk.text, blk.block_id
        for cell, (s, e) in zip(blk.cells, blk.cell_spans, strict=True):
            assert blk.start <= s <= e <= blk.end, blk.block_id
            src = p.text[s:e]
            assert ws(cell) in (ws(src), ws(clean_cell(src))), (blk.block_id, cell, src)


def test_numbers_are_rejoined_with_their_units():
    """"…债券收入 287.25\\n亿元、…": the number and its unit are read together in one paragraph."""
    seen = 0
    for path in DEV_FILES:
        p = parsed(path)
        for m in WRAPPED_UNIT.finditer(p.text):
            blk = next(b for b in p.blocks if b.start <= m.start() < b.end)
            if blk.table:  # a note cell inside a table
                continue
            seen += 1
            assert blk.kind == "paragraph" and f"{m.group(1)}{m.group(2)}元" in blk.text, (path.name, blk.text)
    assert seen >= 20


@pytest.mark.parametrize("name", ["heilongjiang-2022", "heilongjiang_2022.pdf"])
def test_numbered_table_captions(name):
    """"2.1 2022年黑龙江省财政收支决算总表" captions its table (not the section heading above it)."""
    p = by_name(name)
    row = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "全省收入合计")
    assert row.table.startswith("2.1 2022年黑龙江省财政收支决算总表")
    captions = {b.table for b in p.blocks if b.kind == "table_row"}
    assert len({c for c in captions if re.match(r"[23]\.\d{1,2} 2022年", c)}) >= 30


def test_pdf_ruled_table_with_stacked_cells_keeps_its_columns():
    """xiamen: each ruled cell stacks several rows; words are placed in the column their ruling gives."""
    p = by_name("xiamen")
    rows = [b for b in p.blocks if b.kind == "table_row"]
    assert len(rows) == 16 and all(b.header == ("项目", "预算数", "执行数") for b in rows)
    for b in rows:
        assert len(b.cells) <= 3 and sum(bool(c) for c in b.cells[1:]) == 1, b.cells  # one figure, in its column
    budget = next(b for b in rows if b.cells[0] == "二、2025年末地方政府一般债务余额限额")
    actual = next(b for b in rows if b.cells[0] == "一、2024年末地方政府一般债务余额实际数")
    assert budget.cells[1] and not budget.cells[2] and actual.cells[2] and not actual.cells[1]
    assert "｜预算数：" in budget.text and "｜执行数：" in actual.text


def test_layout_text_header_does_not_shift_columns():
    """A laid-out header's words are placed over the columns they stand over, the label column's (预算科目) left
    out, though the header's lines split into more or fewer parts than the row has values."""
    p = by_name("heilongjiang-2022")
    row = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "全省收入合计")
    assert "预算科目" not in row.header[1:]
    taxes = [b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "车船税"]
    assert taxes and all(b.header[1:4] == ("预算数", "调整预算数", "决算数") for b in taxes)
    assert all("｜决算数：" in b.text for b in taxes)


_TWO_TABLES = """附表二
2025年全市一般公共收支预算平衡情况
单位：万元
项目 预算数 执行数 项目 预算数 执行数
一般公共预算总收入 8360187 11662851 一般公共预算总支出 8360187 11662851
一、一般公共预算收入 3308167 3270591 一、一般公共预算支出 8149267 9957732
二、上级补助收入 3915848 4786011 二、补助下级支出
"""


def test_two_tables_printed_side_by_side_are_read_as_two_rows_a_line():
    """A 收支平衡表 prints the 收入 table and the 支出 table side by side: each line is a row of each, and the
    header names each half's columns (保定's 附表二; 广东's 横琴 tables and 石嘴山's 表十三 too, by spaces). One
    row had been read with the left half's label and figures as its label: 「一般公共预算总收入8360187
    11662851一般公共预算总支出」."""
    p = parse_text(_TWO_TABLES, "report.txt")
    rows = {b.cells[0]: b for b in p.blocks if b.kind == "table_row"}
    assert rows["一般公共预算总收入"].cells[1:] == ("8360187", "11662851")
    assert rows["一、一般公共预算支出"].cells[1:] == ("8149267", "9957732")
    assert rows["二、上级补助收入"].cells[1:] == ("3915848", "4786011")
    assert "一般公共预算总收入｜预算数：8360187｜执行数：11662851" in rows["一般公共预算总收入"].text
    left, right = rows["一、一般公共预算收入"], rows["一、一般公共预算支出"]
    assert p.text[left.start:left.end] == "一、一般公共预算收入 3308167 3270591"  # each row's span is its own half
    assert p.text[right.start:right.end] == "一、一般公共预算支出 8149267 9957732"
    assert all(p.text[a:b] == cell for r in rows.values() for cell, (a, b) in zip(r.cells, r.cell_spans, strict=True))


def test_a_header_whose_names_are_parted_by_one_space_names_the_columns():
    """A PDF's text line parts words by one space (保定's 附表一, read as text since its rules enclose only the
    amounts): 「收入分类 预算数 执行数 占预算的%」 names the three columns."""
    p = parse_text("附表一\n2025年全市一般公共收入预算执行情况\n单位：万元\n收入分类 预算数 执行数 占预算的%\n"
                   "合计 3308167 3270591 98.9\n一、税收收入 1843890 1760417 95.5\n", "report.txt")
    row = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "一、税收收入")
    assert row.header[1:] == ("预算数", "执行数", "占预算的%") and "｜执行数：1760417｜" in row.text


def test_a_label_with_a_figure_inside_is_no_second_table():
    """The control: a label that holds figures but no second label after them (济南's bond rows: 「…工程10000
    3月10日 2.25% 30」) stays one row."""
    p = parse_text("表1 2025年新增债券发行情况\n单位：万元\n项目 金额 利率 期限\n"
                   "济南轨道交通工程 10000 3月10日 2.25% 30\n济南环线工程 20000 4月1日 2.10% 20\n", "bonds.txt")
    rows = [b for b in p.blocks if b.kind == "table_row"]
    assert len(rows) == 2 and rows[0].cells[-2:] == ("2.25%", "30")


def test_a_laid_out_row_keeps_its_empty_cells():
    """pdftotext -layout prints an empty cell as spaces: the numbers keep the columns they stand in."""
    p = by_name("guangdong")
    row = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "车船税" and "横琴" in (b.table or ""))
    assert row.cells == ("车船税", "", "104", "", "")
    assert row.header[2] == "2024年决算数" and "｜2024年决算数：104" in row.text
    assert row.cell_spans[1] == (row.cell_spans[0][1], row.cell_spans[0][1])  # an empty cell is a zero-width span


@pytest.mark.parametrize(("edges", "anchors", "placed"), [
    ([40], [30, 40, 51, 60], [1]),
    ([18, 49], [18, 29, 38, 49], [0, 3]),
    ([19, 50], [18, 29, 38, 49], [0, 3]),  # a character off its column
    ([24], [18, 29, 38, 49], None),  # between two columns: taken in order, as before
    ([18, 29, 38, 49], [18, 29, 38, 49], None),  # a full row needs no placing
    ([10], [9, 11, 13], None),  # columns too close to tell
])
def test_place_values(edges, anchors, placed):
    from qa.ingest.blocks import place_values
    assert place_values(edges, anchors) == placed


def test_a_percentage_is_placed_only_in_a_column_of_percentages():
    from qa.ingest.blocks import place_values
    columns = [False, False, True]  # 预算数 | 决算数 | 为预算的%
    assert place_values([31], [9, 20, 31], [True], columns) == [2]
    assert place_values([20], [9, 20, 31], [True], columns) is None  # a % under an amount: read in order
    assert place_values([20], [9, 20, 31], [False], columns) == [1]


def test_laid_out_headers_keep_the_first_column_and_two_space_tables_stay_in_order():
    """The review's cases: 横琴 表5's first value column keeps its name (the label column's 项目 is no column's);
    济南's tables, parted by two spaces and not laid out in columns, are read in order as before."""
    g = by_name("guangdong")
    row = next(b for b in g.blocks if b.kind == "table_row" and b.cells[0] == "行政运行"
               and "横琴粤澳深度合作区本级一般公共预算支出决算表" in (b.table or ""))
    assert row.header[1:] == ("2024年预算数", "2024年决算数")
    j = by_name("jinan")
    row = next(b for b in j.blocks if b.kind == "table_row" and b.cells[0] == "一、社会保险基金本年收支结余合计"
               and "表30" in (b.table or ""))
    assert row.header[1:] == ("2025年执行数", "占结余合计%") and row.cells[1:] == ("69950", "100.00")


def test_header_by_position_gives_each_word_of_a_line_its_own_column():
    from qa.ingest.blocks import header_by_position
    from qa.ingest.text import Line
    head = ["        项   目                       决算数为 决算数为",
            "                  预算数    决算数      预算数的%  上年数的%",
            "           2024年省级一般公共预算收入决算表（按功能分类）"]  # a title's wrapped line: no column's
    row = "  罚没收入       321,490   545,798     169.8%   125.2%"
    source = "\n".join([*head, row])
    lines, at = [], 0
    for text in head:
        lines.append(Line(text, at, at + len(text)))
        at += len(text) + 1
    cells = list(re.finditer(r"\S+", row))
    centers = [(m.start() + m.end()) / 2 for m in cells[1:]]
    label = (cells[0].start() + cells[1].start()) / 2  # the label column: from the label to the first value
    assert header_by_position(source, lines, centers, label) == ("预算数", "决算数", "决算数为预算数的%", "决算数为上年数的%")
    assert header_by_position(source, lines[2:], centers, label) == ()  # no word of the title: not laid out
    assert header_by_position(source, [Line(head[1][:21], 0, 21)], centers, label) == ()  # one name of four


@pytest.mark.parametrize("path", PDF_FILES, ids=file_id)
def test_pdf_sources_are_paged(path):
    import pdfplumber

    p = parsed(path)
    with pdfplumber.open(path) as pdf:
        n_pages = len(pdf.pages)
    assert p.source.format == "pdf" and p.source.n_pages == n_pages == len(p.pages)
    assert p.pages[0] == 0 and all(p.text[start - 1] == "\f" for start in p.pages[1:])
    assert [p.page_of(start) for start in p.pages] == list(range(1, n_pages + 1))
    pages = [p.page_of(b.start) for b in p.blocks]
    assert all(1 <= n <= n_pages for n in pages) and pages == sorted(pages)
    assert p.page_of(len(p.text) - 1) == n_pages


@pytest.mark.parametrize("path", [f for f in DEV_FILES if DECORATED_PAGE.search(
    f.read_text(encoding="utf-8") if f.suffix == ".txt" else "")] + [DEV / "pdf" / "shizuishan_2025.pdf"], ids=file_id)
def test_page_footers_are_furniture(path):
    p = parsed(path)
    furniture = [b for b in p.blocks if b.kind == "furniture"]
    spans = [(b.start, b.end) for b in furniture]
    footers = [m for m in re.finditer(r"(?m)^.*$", p.text) if DECORATED_PAGE.match(m.group())]
    assert len(footers) >= 20
    for m in footers:
        s, e = m.start() + len(m.group()) - len(m.group().lstrip()), m.end() - (len(m.group()) - len(m.group().rstrip()))
        assert (s, e) in spans, (path.name, m.group())
    if p.pages:  # a PDF's printed page number grows with its page
        numbered = [(int(DECORATED_PAGE.match(b.text).group(1)), p.page_of(b.start)) for b in furniture
                    if DECORATED_PAGE.match(b.text)]
        assert numbered == sorted(numbered) and len({n - page for n, page in numbered}) == 1


def test_shenzhen_gazette_front_matter_toc_and_running_headers():
    p = by_name("shenzhen")
    s = p.source
    assert (s.title, s.place, s.year, s.issue, s.serial) == ("深圳市人民政府公报", "深圳市", 2026, "第10期", "总第1409期")
    front = p.documents[0]
    assert front.doc_id.endswith("#00") and front.title == s.title
    items = [b for b in p.blocks_of(front.doc_id) if b.kind == "list_item"]
    joined = squash("".join(b.text for b in items))
    assert len(items) >= 10 and all(squash(e.title) in joined for e in s.toc)
    titled = [e for e in s.toc if e.page is not None]
    assert [d.title for d in p.documents[1:]] == [e.title for e in titled]
    report = next(d for d in p.documents if d.title == "政府工作报告")
    assert report.speaker == "覃伟中" and report.date == "2026-02-09"
    running = [b for b in p.blocks if b.kind == "furniture" and b.text.startswith("深圳市人民政府公报")]
    assert len(running) >= 30
    assert not any("深圳市人民政府公报2026年第10期" in b.text for b in p.blocks if b.kind == "paragraph"
                   and b.doc_id != front.doc_id)


def test_spaced_out_characters_are_read_as_words():
    p = by_name("jinan")
    title_block = p.blocks_of(p.documents[0].doc_id)[0]
    assert re.search(rf"[{HAN}]  +[{HAN}]", p.text[title_block.start:title_block.end])  # "关  于  济  南"
    assert p.documents[0].title == title_block.text == "关于济南市2025年预算执行情况与2026年预算草案的报告"
    assert p.source.title == p.documents[0].title


@pytest.mark.parametrize(("name", "place", "year"), [
    ("guangdong", "广东省", 2024),
    ("heilongjiang-2022", "黑龙江省", 2022),
    ("jinan", "济南市", 2025),
    ("shizuishan_2025.pdf", "石嘴山市", 2025),
    ("wanzai", "万载县", 2015),
    ("zhumadian", "驻马店市", 2018),
    ("fuzhou", "福州市", 2025),
    ("hotan", "和田地区", 2025),  # 「2025年度和田地区…」: not 度和田地区
])
def test_source_identity(name, place, year):
    s = by_name(name).source
    assert (s.place, s.year) == (place, year)
    assert place in s.title or place in (s.issuer or "")


def test_documents_found_by_dateline_carry_date_and_reporting_body():
    p = by_name("shizuishan-2025")
    doc = p.documents[0]  # the cover label above the title (「市十五届人大五次」 / 「会议文件（十二）」) is the report's
    title = next(b for b in p.blocks_of(doc.doc_id) if b.kind != "furniture")
    assert doc.start == 0 and "会议文件（十二）" in title.text and not doc.doc_id.endswith("#00")
    assert doc.title == "关于2025年全市及市本级预算执行情况和2026年全市及市本级预算（草案）的报告"
    assert (doc.date, doc.organization) == ("2026-01-20", "石嘴山市财政局")
    assert doc.meeting is None or "人民代表大会" in doc.meeting


_REPORT = ("关于保定市2025年预算执行情况和2026年预算草案的报告\n——2026年2月4日在保定市第十六届\n人民代表大会第七次会议上\n"
           "各位代表：\n受市政府委托，向大会提交报告，请予审议。\n一、2025年预算执行情况\n全市一般公共预算收入327.1亿元。\n")


@pytest.mark.parametrize("cover", ["保定市十六届人大七次会议文件（14）\n", "承德市十五届人大\n七次会议文件（19）\n"])
def test_a_cover_label_above_the_title_is_the_report_s(cover):
    """保定, 承德, 岳阳, 洛阳, 石嘴山: a congress session's label printed above the report's title was a document
    of its own, with the report's title, beside the report (two entries of one title in the document list)."""
    p = parse_text(cover + _REPORT, "report.txt")
    assert len(p.documents) == 1
    doc = p.documents[0]
    assert doc.title == "关于保定市2025年预算执行情况和2026年预算草案的报告" and doc.date == "2026-02-04" and doc.start == 0
    assert any("会议文件" in b.text for b in p.blocks_of(doc.doc_id))


@pytest.mark.parametrize("front", [
    "保定市人民代表大会常务委员会公报\n2026年第1号\n总第98号\n",  # three lines: a masthead
    "本期公报刊登市十六届人大七次会议通过的决议和报告。\n",  # a sentence
])
def test_front_matter_that_is_no_cover_label_stays_a_document_of_its_own(front):
    p = parse_text(front + _REPORT, "report.txt")
    assert [d.doc_id[-3:] for d in p.documents] == ["#00", "#01"]


# --- DOCX and saved web pages ------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("关于石嘴山市2025年预算执行情况的报告", level=1)
    d.add_paragraph("——2026年1月20日在市第十五届人民代表大会第五次会议上")
    d.add_paragraph("一、2025年预算执行情况")
    d.add_paragraph("全市一般公共预算收入29.23亿元，为预算的99.7%，同比增长3.1%。")
    d.add_paragraph("表1 2025年全市一般公共预算收支情况表")
    rows = [["项目", "预算数", "执行数"], ["税收收入", "209,180", "214,543"], ["非税收入", "", ""],
            ["其中：罚没收入", "1,200", "1,350"], ["合计", "300,000", "310,000"]]
    table = d.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2)).text = "未列入预算"  # a cell merged across two columns
    table.cell(3, 0).merge(table.cell(4, 0))  # and one merged down two rows
    d.add_paragraph("二、2026年预算草案")
    d.add_paragraph("2026年全市一般公共预算收入预计30.5亿元。")
    d.save(path)
    return path


def test_docx_paragraphs_and_tables_in_body_order(tmp_path):
    p = parse_file(make_docx(tmp_path / "report.docx"), tmp_path)
    assert p.source.format == "docx" and p.source.source_id == "report"
    doc = p.documents[0]
    assert doc.title == "关于石嘴山市2025年预算执行情况的报告" and doc.date == "2026-01-20"
    kinds = [(b.kind, b.text) for b in p.blocks]
    order = [kinds.index(k) for k in [("paragraph", "全市一般公共预算收入29.23亿元，为预算的99.7%，同比增长3.1%。"),
                                      ("heading", "二、2026年预算草案"),
                                      ("paragraph", "2026年全市一般公共预算收入预计30.5亿元。")]]
    rows = [b for b in p.blocks if b.kind == "table_row"]
    first_row, last_row = p.blocks.index(rows[0]), p.blocks.index(rows[-1])
    assert order[0] < first_row < last_row < order[1] < order[2]  # the table sits where it is in the body
    assert [r.cells for r in rows] == [("税收收入", "209,180", "214,543"), ("非税收入", "未列入预算", ""),
                                       ("其中：罚没收入合计", "1,200", "1,350"), ("", "300,000", "310,000")]
    assert all(r.table == "表1 2025年全市一般公共预算收支情况表" and r.header == ("项目", "预算数", "执行数")
               for r in rows)
    assert rows[0].text.endswith("｜项目：税收收入｜预算数：209,180｜执行数：214,543")
    assert "预算数：未列入预算" in rows[1].text and "执行数" not in rows[1].text
    for r in rows:
        assert [ws(p.text[s:e]) for s, e in r.cell_spans] == [ws(c) for c in r.cells]


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_word_97_document_is_read_as_paragraphs_and_table_rows(tmp_path):
    """A real .doc (Word 2016, code page 936): its main text in order, form fields as what they show (no FORMTEXT
    code), a table's rows as TAB-separated lines (one a row: the row's end is read from the paragraph properties,
    some of them in the Data stream), and every block's offsets exact in the extracted text."""
    shutil.copy(FIXTURES / "psr-guide-part1-draft.doc", tmp_path / "guide.doc")
    p = parse_file(tmp_path / "guide.doc", tmp_path)
    assert p.source.format == "doc" and p.source.source_id == "guide"
    text = p.text
    assert "核电厂定期安全评价\n第1部分：通用要求" in text and "FORMTEXT" not in text and "\x13" not in text
    assert not set(text) & set("\x01\x07\x08\x14\x15\r")
    rows = [line for line in text.split("\n") if line.count("\t") >= 13]
    assert len(rows) == 15 and rows[0].split("\t")[1:4] == ["SF1", "SF2", "SF3"]
    assert rows[1].startswith("接受输入的安全要素\tSF1\t\t×\t×")  # a row per line, its empty cells kept
    assert all(len(r.split("\t")) == 16 for r in rows[1:])
    for b in p.blocks:
        assert text[b.start:b.end].strip() and b.start < b.end <= len(text)


def test_wps_office_files_under_their_own_names_are_read_as_what_they_are(tmp_path):
    """WPS Writer's .wps is Word's binary format with extensions, WPS's .et an Excel workbook: a government site's
    .wps reads as the same document saved as .doc, an .et as the same workbook as .xls; a Microsoft Works .wps (an
    OLE file with no Word text) is refused in one line saying what to do, in both languages."""
    from word97_files import ole

    shutil.copy(FIXTURES / "psr-guide-part6-notes-wps.doc", tmp_path / "notes.wps")
    as_wps, as_doc = extract(tmp_path / "notes.wps"), extract(FIXTURES / "psr-guide-part6-notes-wps.doc")
    assert as_wps.text == as_doc.text and "项目编号为“能源20210673”" in as_wps.text
    parsed = parse_file(tmp_path / "notes.wps", tmp_path)
    assert parsed.source.format == "doc" and parsed.blocks and parsed.text == as_doc.text
    shutil.copy(FIXTURES / "budget.xls", tmp_path / "budget.et")
    assert extract(tmp_path / "budget.et").text == extract(FIXTURES / "budget.xls").text
    (tmp_path / "works.wps").write_bytes(ole([("CONTENTS", b"works text" * 50), ("MatOST", b"\0" * 64)]))
    with pytest.raises(BqaError, match=r"works.wps: not a WPS Writer document .*save it as .docx") as err:
        extract(tmp_path / "works.wps")
    assert "\n" not in str(err.value) and err.value.text("zh").startswith("works.wps：不是 WPS 文字文档")
    files, skipped = scan_corpus(tmp_path)
    assert sorted(f.source for f in files) == ["budget.et", "notes.wps", "works.wps"] and not skipped


def test_word_97_documents_of_wps_and_of_one_byte_pieces_are_read():
    from qa.ingest.formats import extract

    wps = extract(FIXTURES / "psr-guide-part6-notes-wps.doc")  # WPS Office's save (code page 1200)
    assert wps.format == "doc" and "核电厂定期安全评价指南 第6部分：构筑物、系统和设备的实际状态" in wps.text
    assert "项目编号为“能源20210673”" in wps.text
    mac = extract(FIXTURES / "word-mac-english.doc")  # English text, one byte a character
    assert mac.text.startswith("I love word documents. They are lovely.")
    assert "http://hipsum.co" in mac.text and "HYPERLINK" not in mac.text


def _read_or_refused_in_one_line(path: Path) -> bool:
    """Whether a spoilt file was refused (with one line naming it) rather than read."""
    from qa.ingest.formats import extract

    try:
        extract(path)
    except BqaError as err:
        assert str(err).startswith(f"{path.name}: ") and "\n" not in str(err)
        return True
    return False


def test_a_damaged_word_97_document_is_one_error_naming_it(tmp_path):
    """Cut short or with bytes overwritten, a .doc is read or refused with one line naming it, never a traceback
    (olefile's and struct's errors, a negative length in the piece table, a piece claiming more than the file)."""
    import random

    from qa.ingest.formats import extract

    data = (FIXTURES / "psr-guide-part1-draft.doc").read_bytes()
    (tmp_path / "cut.doc").write_bytes(data[:100_000])
    with pytest.raises(BqaError, match=r"^cut\.doc: .*re-save it"):
        extract(tmp_path / "cut.doc")
    rng = random.Random(7)
    refused = 0
    for k in range(30):
        spoilt = bytearray(data)
        for _ in range(200):
            spoilt[rng.randrange(512, len(spoilt))] = rng.randrange(256)
        (tmp_path / f"s{k}.doc").write_bytes(bytes(spoilt))
        refused += _read_or_refused_in_one_line(tmp_path / f"s{k}.doc")
    assert refused  # some are refused; the rest are read


@pytest.mark.parametrize("compressed", [True, False])
def test_a_word_97_table_keeps_its_rows_in_either_kind_of_piece(compressed):
    """A row's end is found by the byte after its mark, in one-byte pieces as in UTF-16 ones (the byte before it,
    in a one-byte piece, is the last cell's mark: every row lost its last cell)."""
    from word97_files import table_doc

    from qa.ingest.word97 import doc_text

    assert doc_text(table_doc(compressed), "t.doc") == "Intro\na\tb\nc\td\nAfter"


def test_a_character_outside_the_bmp_keeps_the_rows_after_it():
    """𠀀 (CJK Extension B, common in names) is two UTF-16 units: the characters after it keep their bytes."""
    from word97_files import table_doc

    from qa.ingest.word97 import doc_text

    assert doc_text(table_doc(False, first="姓名：\U00020000丽"), "t.doc") == "姓名：\U00020000丽\na\tb\nc\td\nAfter"


def test_a_missed_row_end_ends_the_row_at_the_next_paragraph_of_no_table():
    from word97_files import IN_TABLE, table_doc

    from qa.ingest.word97 import doc_text

    assert doc_text(table_doc(True, row_end=IN_TABLE), "t.doc").split("\n")[-1] == "After"  # not in the row


def test_a_crafted_word_97_file_costs_no_more_than_its_size(monkeypatch):
    """Pieces that name the same bytes again (gigabytes of text from a small file) are refused; a property page
    named many times, each paragraph pointing into the Data stream, is read once (counted, not timed)."""
    import struct

    from word97_files import doc, ole

    import qa.ingest.word97 as word97

    word = bytearray(b"A" * 4096)
    struct.pack_into("<HH", word, 0, 0xA5EC, 0xC1)
    struct.pack_into("<H", word, 0x0A, 0)  # not encrypted, 0Table
    struct.pack_into("<H", word, 0x20, 14)
    struct.pack_into("<H", word, 0x3E, 22)
    struct.pack_into("<i", word, 0x40 + 12, 0x7FFFFFFF)
    struct.pack_into("<H", word, 0x98, 0x5D)
    n = 300
    plc = struct.pack(f"<{n + 1}I", *([0] * (n + 1))) + struct.pack("<HIH", 0, 0x40000000, 0) * n  # all overlap
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", word, 0x9A + 8 * 33, 0, len(clx))
    with pytest.raises(BqaError, match="piece table does not parse"):
        word97.doc_text(ole([("WordDocument", bytes(word)), ("0Table", clx)]), "bomb.doc")

    calls = []
    real = word97._sprms
    monkeypatch.setattr(word97, "_sprms", lambda grpprl: calls.append(len(grpprl)) or real(grpprl))
    huge = struct.pack("<HI", 0x6646, 0)  # every paragraph's properties at offset 0 of the Data stream
    paragraphs = [(f"p{k}\r", huge) for k in range(30)]
    data = doc(paragraphs, extra=struct.pack("<H", 0xFFFF) + b"\x16\x24\x00" * 21845)
    assert word97.doc_text(data, "many.doc").split("\n")[:2] == ["p0", "p1"]
    assert sum(size > 1000 for size in calls) == 1  # the 64 KB list, read once (clamped), not once a paragraph


def test_an_older_or_cut_word_document_says_so():
    from word97_files import doc

    from qa.ingest.word97 import doc_text

    with pytest.raises(BqaError, match="older than Word 97"):
        doc_text(doc([("Hello\r", None)], nfib=0x65), "old.doc")
    with pytest.raises(BqaError, match="its text is cut short"):
        doc_text(doc([("Hello\r", None)], ccp=40_000), "cut.doc")


def test_an_ofd_document_is_read_page_by_page_in_reading_order(tmp_path):
    """A real OFD (GB/T 33190) official notice of two pages: its lines in reading order, pages as form feeds with
    their starts, and every block's offsets exact in the extracted text."""
    shutil.copy(FIXTURES / "ofdrw-notice.ofd", tmp_path / "notice.ofd")
    p = parse_file(tmp_path / "notice.ofd", tmp_path)
    assert p.source.format == "ofd" and len(p.pages) == 2 and p.text[p.pages[1] - 1] == "\f"
    lines = p.text.split("\n")
    assert lines[1:4] == ["路卫发〔2011〕76号", "关于同意张阿三同志辞职的批复", "区中医院："]
    assert "张阿三，男，1978年2月出生，籍贯江西新建，2001年9月参" in lines
    for b in p.blocks:
        assert p.text[b.start:b.end].strip() and b.start < b.end <= len(p.text)


def test_an_ofd_page_shows_its_template_pages_text():
    """An invoice's labels stand on its template page, the values on the page: one line holds both."""
    from qa.ingest.formats import extract

    out = extract(FIXTURES / "ofdrw-invoice-template.ofd")
    assert out.format == "ofd" and len(out.pages) == 5
    assert "重庆增值税电子普通发票 发票代码：050001700111" in out.text.split("\n")
    assert "价税合计（大写） 壹万零陆佰圆整 （小写）¥10600.00" in out.text


def test_a_damaged_or_hostile_ofd_is_one_error_naming_it(tmp_path, monkeypatch):
    """Cut short or with bytes overwritten, an OFD is read or refused with one line naming it; a part that would
    unpack past the limit, or XML that declares a document type (entities), is refused before it is parsed."""
    import random
    import zipfile

    import qa.ingest.ofd as ofd
    from qa.ingest.formats import extract

    data = (FIXTURES / "ofdrw-notice.ofd").read_bytes()
    rng = random.Random(11)
    refused = 0
    for k in range(60):
        spoilt = bytearray(data)
        for _ in range(rng.choice([1, 5, 50])):
            spoilt[rng.randrange(len(spoilt))] = rng.randrange(256)
        if k % 3 == 0:
            spoilt = spoilt[:rng.randrange(len(spoilt))]
        (tmp_path / f"s{k}.ofd").write_bytes(bytes(spoilt))
        refused += _read_or_refused_in_one_line(tmp_path / f"s{k}.ofd")
    assert refused
    with zipfile.ZipFile(tmp_path / "entities.ofd", "w") as z:
        z.writestr("OFD.xml", '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><ofd:OFD xmlns:ofd="x">&x;</ofd:OFD>')
    with pytest.raises(BqaError, match="declares a document type"):
        extract(tmp_path / "entities.ofd")
    monkeypatch.setattr(ofd, "MAX_PART_BYTES", 1000)
    with pytest.raises(BqaError, match="unpacks to more than its limits"):
        extract(FIXTURES / "ofdrw-notice.ofd")


_OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _ofd(objects: str, *, compression: int = 0, page: str | None = None, encoding: str = "utf-8") -> bytes:
    """A one-page OFD whose page holds ``objects`` (TextObject elements), built with zipfile."""
    import io
    import zipfile

    parts = {
        "OFD.xml": f'<ofd:OFD {_OFD_NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<ofd:Document {_OFD_NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
                              "</ofd:Pages></ofd:Document>",
        "Doc_0/Pages/Page_0/Content.xml": page or f'<ofd:Page {_OFD_NS}><ofd:Content><ofd:Layer ID="2">{objects}'
                                                  "</ofd:Layer></ofd:Content></ofd:Page>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression or zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, xml.encode(encoding) if name.endswith("Content.xml") else xml.encode("utf-8"))
    return out.getvalue()


def _text_object(x: float, y: float, text: str, code: str = "", size: float = 5) -> str:
    return (f'<ofd:TextObject ID="9" Boundary="{x} {y} 200 20" Font="1" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" {code}>{text}</ofd:TextCode></ofd:TextObject>')


def test_ofd_characters_are_placed_as_the_specification_and_ofdrw_place_them():
    """A DeltaX shorter than its text repeats its last value; one entry too many is no character's width; a
    TextCode without X or Y keeps the previous one's; "g n v" groups are spelt out no further than the text."""
    from qa.ingest.ofd import ofd_text

    short = _text_object(0, 0, "一二三四五六七八九十", 'DeltaX="4"') + _text_object(40, 0, "备注")
    assert ofd_text(_ofd(short), "a.ofd")[0] == "一二三四五六七八九十备注"  # not 一二三四五六七八九备十注
    extra = _text_object(0, 0, "10000.00", 'DeltaX="g 7 1.5875 -11.1125"') + _text_object(20, 0, "6%")
    assert ofd_text(_ofd(extra), "b.ofd")[0] == "10000.00 6%"  # the last delta is no width swallowing the gap
    carried = ('<ofd:TextObject ID="9" Boundary="0 0 200 20" Size="5"><ofd:TextCode X="0" Y="8">第一部分</ofd:TextCode>'
               '<ofd:TextCode X="20">继续</ofd:TextCode></ofd:TextObject>' + _text_object(0, -10, "上一行"))
    assert ofd_text(_ofd(carried), "c.ofd")[0] == "上一行\n第一部分继续"
    huge = _text_object(0, 0, "你好", 'DeltaX="' + "g 100000 1 " * 1000 + '"') + _text_object(0, 20, "再见", 'DeltaX="g inf 5"')
    assert ofd_text(_ofd(huge), "d.ofd")[0] == "你好\n再见"


def test_an_ofd_that_lies_or_declares_entities_is_refused_before_it_costs_anything(monkeypatch):
    """A part is counted as it unpacks (a ZIP's declared sizes may lie), compressions other than stored and
    deflated are refused, a document type is refused in any encoding, and a page naming one template many times
    or many pages naming one part place their characters within a budget."""
    import zipfile

    import qa.ingest.ofd as ofd

    with pytest.raises(BqaError, match="uses an unusual compression"):
        ofd.ofd_text(_ofd(_text_object(0, 0, "你好"), compression=zipfile.ZIP_BZIP2), "b.ofd")
    entity = (f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE p [<!ENTITY e "实体文字">]><ofd:Page {_OFD_NS}>'
              f'<ofd:Content><ofd:Layer ID="2">{_text_object(0, 0, "&e;")}</ofd:Layer></ofd:Content></ofd:Page>')
    with pytest.raises(BqaError, match="declares a document type"):
        ofd.ofd_text(_ofd("", page=entity, encoding="utf-16"), "e.ofd")
    monkeypatch.setattr(ofd, "MAX_PART_BYTES", 300)
    with pytest.raises(BqaError, match="unpacks to more than its limits"):
        ofd.ofd_text(_ofd(_text_object(0, 0, "字" * 200)), "big.ofd")
    monkeypatch.setattr(ofd, "MAX_PART_BYTES", 64 * 2**20)
    monkeypatch.setattr(ofd, "MAX_CHARS", 1000)
    many = f'<ofd:Page {_OFD_NS}><ofd:Content><ofd:Layer ID="2">' + _text_object(0, 0, "字" * 400) * 3 + \
        "</ofd:Layer></ofd:Content></ofd:Page>"
    with pytest.raises(BqaError, match="more than 1000 characters placed"):
        ofd.ofd_text(_ofd("", page=many), "many.ofd")


def test_a_doc_that_is_another_format_is_read_as_what_it_is(tmp_path):
    """Sites serve DOCX files, saved web pages and Word's single-file web pages (MHT) under a .doc name; an RTF
    or a Word 2003 XML document named so is refused saying what to do, and the upload check agrees with the
    reader on each (one function, ``doc_kind``, decides)."""
    from qa.ingest.formats import doc_kind, extract
    from qa.slot import _looks_like

    mht = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\n"
           "Content-Type: text/html; charset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           "<html><body><p>") .encode("ascii")
    body = "2025年全区一般公共预算收入完成100.5亿元，比上年增长3.2%。" * 3
    import quopri

    mht += quopri.encodestring(body.encode("gb2312")) + b"</p></body></html>\r\n--B--\r\n"
    (tmp_path / "mht.doc").write_bytes(mht)
    assert "全区一般公共预算收入完成100.5亿元" in extract(tmp_path / "mht.doc").text
    spaced = b" " * 2000 + b"<html><body><p>" + ("正文" * 80).encode("utf-8") + b"</p></body></html>"
    (tmp_path / "spaced.doc").write_bytes(spaced)  # a page's <html past the first kilobyte, spaces before it
    assert "正文正文" in extract(tmp_path / "spaced.doc").text
    wordml = b'<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument>x</w:wordDocument>'
    (tmp_path / "xml.doc").write_bytes(wordml)
    with pytest.raises(BqaError, match="a Word 2003 XML document named .doc; open it in Word or WPS"):
        extract(tmp_path / "xml.doc")
    for data, kind in ((mht, "mht"), (spaced, "html"), (wordml, "wordml"), (b"{\\rtf1 x}", "rtf"), (b"%PDF-1.4", None)):
        assert doc_kind(data) == kind
        if kind in ("mht", "html"):
            assert _looks_like(".doc", data[:8192])  # the upload check takes what the reader reads

    shutil.copy(make_docx(tmp_path / "report.docx"), tmp_path / "really-docx.doc")
    assert "全市一般公共预算收入29.23亿元" in extract(tmp_path / "really-docx.doc").text
    (tmp_path / "page.doc").write_text("<html><body><article><h1>关于2025年预算执行情况的报告</h1><p>"
                                      + "全区一般公共预算收入完成12.3亿元，增长5%。" * 20 + "</p></article></body></html>",
                                      encoding="utf-8")
    assert "全区一般公共预算收入完成12.3亿元" in extract(tmp_path / "page.doc").text


def make_xlsx(path: Path) -> Path:
    """A budget workbook of the newer kind: a merged title and a unit line over a table with number formats, a
    second sheet with a title of its own, a hidden sheet."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    first.title = "表1"
    first.append(["2025年某区一般公共预算收入预算表"])
    first.merge_cells("A1:D1")
    first.append([None, None, None, "单位：万元"])
    first.append(["项目", "2024年执行数", "2025年预算数", "增长%"])
    first.append(["一、税收收入", 1234567.89, 1300000, 0.053])
    first.append(["其中：增值税", 456789, 480000, None])
    first.append(["合计", 1333333.29, 1390000.0, 0.0425])
    first["D4"].number_format = first["D6"].number_format = "0.0%"
    first["B6"].number_format = "#,##0.00"
    second = book.create_sheet("支出")
    second.append(["2025年某区一般公共预算支出预算表"])
    second.append(["单位：万元"])
    second.append(["科目名称", "预算数"])
    second.append(["教育支出", 234567.0])
    second.append(["填报日期", datetime.datetime(2025, 1, 15)])
    second.append(["所属期", datetime.datetime(2025, 3, 1)])
    second["B6"].number_format = 'yyyy"年"m"月"'  # a month, not its first day
    hidden = book.create_sheet("草稿")
    hidden.append(["隐藏的数字", 999])
    hidden.sheet_state = "hidden"
    book.save(path)
    return path


def test_an_xlsx_workbook_is_read_as_its_tables(tmp_path):
    p = parse_file(make_xlsx(tmp_path / "budget.xlsx"), tmp_path)
    assert p.source.format == "xlsx" and "隐藏的数字" not in p.text and "999" not in p.text
    rows = {b.cells[0]: b for b in p.blocks if b.kind == "table_row"}
    assert rows["一、税收收入"].cells == ("一、税收收入", "1234567.89", "1300000", "5.3%")  # as the sheet shows it
    assert rows["合计"].cells == ("合计", "1,333,333.29", "1390000", "4.3%")  # 4.25 rounded as Excel does
    assert rows["其中：增值税"].cells == ("其中：增值税", "456789", "480000", "")  # as wide as the table
    assert rows["一、税收收入"].table == "2025年某区一般公共预算收入预算表（单位：万元）"
    assert rows["一、税收收入"].header == ("项目", "2024年执行数", "2025年预算数", "增长%")
    assert rows["教育支出"].table == "2025年某区一般公共预算支出预算表（单位：万元）"  # each sheet its own caption
    assert rows["填报日期"].cells == ("填报日期", "2025年1月15日")
    assert rows["所属期"].cells == ("所属期", "2025年3月")
    for r in rows.values():
        assert [p.text[s:e] for s, e in r.cell_spans] == list(r.cells)  # every cell where it is in the text
    assert "表1" not in p.text  # a sheet with a title of its own is not named twice


def _workbook(path: Path, sheets: dict, merged: dict | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def _rows(path: Path) -> dict:
    return {b.cells[0]: b for b in parse_file(path, path.parent).blocks if b.kind == "table_row"}


def test_each_sheet_is_a_table_of_its_own_whatever_its_title(tmp_path):
    """A fresh-eyes review's cases: a sheet with no title and a generic name, a title that does not end in 表,
    a section row of one cell, a 部门：… note beside the unit, a header on two rows under a merged cell."""
    rows = _rows(_workbook(tmp_path / "budget.xlsx", {
        "收入": [["2025年一般公共预算收入表"], ["单位：万元"], ["项目", "预算数"], ["税收收入", 5000]],
        "Sheet2": [["项目", "人数"], ["在职人员", 120]],
        "三公": [["2025年“三公”经费支出情况"], ["单位：元"], ["项目", "预算数"], ["公务接待费", 18000]],
        "空表": [],
        "基本支出": [["2025年基本支出表"], ["单位：万元"], ["科目", "预算数"], ["一、工资福利支出"], ["基本工资", 1200.5]],
        "部门": [["2025年部门收支总表"], ["部门：某区教育局", None, "单位：万元"], ["项目", "预算数", "执行数"],
               ["一般公共预算拨款收入", 12345.67, 12000]],
        "支出": [["2025年支出表"], ["单位：万元"], ["科目", "基本支出", None, "项目支出"],
               [None, "人员经费", "公用经费", None], ["教育支出", 5000, 1500, 2500]],
    }, merged={"支出": ["B3:C3"]}))
    assert rows["税收收入"].table == "2025年一般公共预算收入表（单位：万元）"
    assert rows["在职人员"].table == "budget Sheet2" and rows["在职人员"].header == ("项目", "人数")  # not 收入's
    assert rows["公务接待费"].table == "2025年“三公”经费支出情况（单位：元）"
    parsed = parse_file(tmp_path / "budget.xlsx", tmp_path)
    assert "空表" not in parsed.text  # an empty sheet says nothing
    titles = [d.title for d in parsed.documents]  # each sheet a report of its own, cited by its own title
    assert titles == ["2025年一般公共预算收入表", "budget Sheet2", "2025年“三公”经费支出情况", "2025年基本支出表",
                      "2025年部门收支总表", "2025年支出表"]
    assert {b.doc_id for b in parsed.blocks if b.kind == "table_row" and b.cells[0] == "公务接待费"} == {"budget#03"}
    assert rows["一、工资福利支出"].table == rows["基本工资"].table == "2025年基本支出表（单位：万元）"
    assert rows["基本工资"].text.endswith("｜科目：基本工资｜预算数：1200.5")  # the section row kept the table
    assert rows["一般公共预算拨款收入"].table == "2025年部门收支总表（单位：万元）"
    assert rows["一般公共预算拨款收入"].header == ("项目", "预算数", "执行数")
    assert rows["教育支出"].header == ("科目", "基本支出 人员经费", "基本支出 公用经费", "项目支出")


def test_a_sheet_is_read_whole_though_its_file_states_a_smaller_size(tmp_path):
    import zipfile

    made = _workbook(tmp_path / "made.xlsx", {"债务": [["2025年债务表"], ["项目", "余额"], ["一般债务", 120.5]]})
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(stale, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
            dst.writestr(item, data)
    assert "一般债务\t120.5" in extract(stale).text


def test_a_date_in_a_zh_cn_built_in_format_is_a_date(tmp_path):
    """zh-CN Excel stores 2025年1月15日 as built-in format 31 with no format code: openpyxl alone reads a number."""
    import datetime
    import zipfile

    made = _workbook(tmp_path / "made.xlsx", {"进度": [["项目", "开工日期", "所属月份"],
                                                      ["道路改造", datetime.datetime(2025, 1, 15), datetime.datetime(2025, 3, 1)]]})
    import openpyxl

    book = openpyxl.load_workbook(made)
    book["进度"]["B2"].number_format = 'yyyy"年"m"月"d"日"'
    book["进度"]["C2"].number_format = 'yyyy"年"m"月"'
    book.save(made)
    built_in = tmp_path / "zh.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(built_in, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/styles.xml":  # the two custom formats become the built-in ids 31 and 57
                data = re.sub(rb'<numFmts count="\d+">.*?</numFmts>', b"", data, flags=re.S)
                data = data.replace(b'numFmtId="165"', b'numFmtId="31"').replace(b'numFmtId="166"', b'numFmtId="57"')
            dst.writestr(item, data)
    assert "道路改造\t2025年1月15日\t2025年3月" in extract(built_in).text
    broken = tmp_path / "broken.xlsx"  # a cell's style names a custom format the file does not define
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/styles.xml":
                data = re.sub(rb'<numFmts count="\d+">.*?</numFmts>', b"", data, flags=re.S)
            dst.writestr(item, data)
    assert "道路改造\t" in extract(broken).text  # read, its cells in plain form: no traceback
    torn = tmp_path / "torn.xlsx"  # a sheet's XML cut off: one line, not a traceback
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(torn, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    with pytest.raises(BqaError, match="torn.xlsx: a sheet of the workbook cannot be read"):
        extract(torn)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("old.xls", ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                 "<Worksheet><Table><Row><Cell><Data>项目</Data></Cell></Row></Table></Worksheet></Workbook>").encode(),
     "old.xls: an Excel 2003 XML workbook"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100) + "EncryptionInfo".encode("utf-16-le"),
     "locked.xlsx: the workbook is password-protected"),
])
def test_workbooks_that_are_not_read_say_why(tmp_path, name, data, message):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(BqaError, match=message):
        extract(f)


def test_a_damaged_xls_says_so_on_one_line_and_prints_nothing(tmp_path, capsys):
    f = tmp_path / "cut.xls"
    f.write_bytes((REPO / "tests" / "fixtures" / "budget.xls").read_bytes()[:3000])
    with pytest.raises(BqaError, match="cut.xls: not a readable Excel 97–2003 workbook"):
        extract(f)
    assert capsys.readouterr().out == ""  # xlrd's own warnings would break `bqa corpus list --json`


def test_an_xls_workbook_is_read_with_its_formats():
    p = parse_file(REPO / "tests" / "fixtures" / "budget.xls", REPO / "tests" / "fixtures")
    assert p.source.format == "xls" and "草稿" not in p.text and "999" not in p.text  # the hidden sheet
    rows = {b.cells[0]: b for b in p.blocks if b.kind == "table_row"}
    assert rows["国有土地使用权出让收入"].cells == ("国有土地使用权出让收入", "52,000.00", "48,360.50", "93.0%")
    assert rows["城市基础设施配套费收入"].cells == ("城市基础设施配套费收入", "3100", "3410", "110.0%")
    assert rows["国有土地使用权出让收入"].table == "2025年某县政府性基金预算收入执行情况表（单位：万元）"
    assert rows["专项债务"].cells == ("专项债务", "62.60") and rows["一般债务"].cells == ("一般债务", "15.69")
    assert rows["专项债务"].table == "表3政府债务限额表（单位：亿元）"  # a sheet with no title row: its name
    assert rows["批准日期"].cells == ("批准日期", "2025年3月28日")


def test_an_xls_that_is_a_saved_web_page_is_read_as_one(tmp_path):
    page = ("<html><head><meta charset='utf-8'></head><body><table><tr><td>项目</td><td>预算数</td></tr>"
            "<tr><td>教育支出</td><td>234567</td></tr></table></body></html>")
    f = tmp_path / "export.xls"
    f.write_bytes(page.encode("utf-8"))
    p = parse_file(f, tmp_path)
    assert p.source.format == "html" and "教育支出\t234567" in p.text


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (0.053, "0.0%", "5.3%"), (0.5, "0%", "50%"), (1234567.891, "#,##0.00", "1,234,567.89"), (12.3, "0.00", "12.30"),
    (1300000.0, "General", "1300000"), (0.1 + 0.2, "General", "0.3"), (-8.9, None, "-8.9"),
    (12.5, '"¥"#,##0.00;[Red]-"¥"#,##0.00', "¥12.50"), (42.0, "@", "42"), (-0.0000001, "General", "-1E-07"),
    # what Excel shows (a fresh-eyes review's cases): scaling commas, a point put into the digits (yuan as 万元),
    # an exponent, rounding half away from zero, the format's own words, zero padding, optional decimals
    (12345678, "#,##0,", "12,346"), (123456789, "#,##0.00,,", "123.46"), (12345678, "0!.0000", "1234.5678"),
    (12345678, '0"."0000', "1234.5678"), (1.23e-5, "0.00E+00", "1.23E-05"), (1234.5, "#,##0", "1,235"),
    (0.0525, "0.0%", "5.3%"), (12345678.905, "#,##0.00", "12,345,678.91"), (12.3, '0.00"万元"', "12.30万元"),
    (56, '0"人"', "56人"), (7, "000", "007"), (3.14159, "#,##0.0#", "3.14"), (3.1, "0.0#", "3.1"),
    (-1234.5, "#,##0.00_);[Red](#,##0.00)", "-1,234.50"),
    (1234.567, '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)', "1,234.57"), (1234.5, "[$¥-804]#,##0.00", "1,234.50"),
])
def test_a_cells_number_is_written_as_its_format_shows_it(value, fmt, shown):
    from qa.ingest.sheets import format_number

    assert format_number(value, fmt) == shown


SAVED_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>2025年石嘴山市国民经济和社会发展统计公报_石嘴山市人民政府</title>
<script>var _hmt = []; trackVisit("访问统计脚本");</script><style>.nav {{ color: red }}</style></head>
<body>
<div class="header"><div class="logo">石嘴山市人民政府门户网站</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a href="/zmhd">政民互动</a></li>
<li><a href="/bsfw">办事服务</a></li><li><a href="/zjsz">走进石嘴山</a></li></ul>
<form class="search"><input type="text" placeholder="请输入关键词"><button>站内搜索</button></form></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; <a href="/tjsj">统计数据</a></div>
<div class="main"><div class="article">
<h1 class="title">2025年石嘴山市国民经济和社会发展统计公报</h1>
<div class="content" id="zoom">
<p>2025年，全市上下坚持稳中求进工作总基调，经济运行总体平稳、稳中有进，高质量发展迈出坚实步伐。</p>
<p>初步核算，全年全市地区生产总值652.3亿元，按不变价格计算，比上年增长5.6%。其中，第一产业增加值35.1亿元，
增长4.2%；第二产业增加值356.8亿元，增长6.3%；第三产业增加值260.4亿元，增长4.9%。</p>
<p>全年全市一般公共预算收入29.23亿元，比上年增长3.1%。其中，税收收入21.45亿元，增长9.0%。</p>
<p>表1 2025年主要农产品产量</p>
<table border="1"><tr><th>产品名称</th><th>产量（万吨）</th><th>比上年增长（%）</th></tr>
<tr><td>粮食</td><td>38.6</td><td>2.1</td></tr>
<tr><td>蔬菜</td><td><p>52.4</p></td><td>3.5</td></tr></table>
<p>全年全市城镇新增就业1.2万人，城镇调查失业率5.1%。居民人均可支配收入32456元，比上年增长5.2%。</p>
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a> 【打印本页】【关闭窗口】</div>
</div></div>
<div class="footer"><ul><li><a href="/map">网站地图</a></li><li><a href="/contact">联系我们</a></li></ul>
<p>主办单位：石嘴山市人民政府办公室 版权所有 宁ICP备12345678号 网站标识码6402000001</p></div>
</body></html>
"""
NAV_AND_FOOTER = ("门户网站", "首页", "政务公开", "政民互动", "办事服务", "走进石嘴山", "站内搜索", "当前位置",
                  "分享到", "微信", "微博", "打印本页", "关闭窗口", "网站地图", "联系我们", "主办单位", "版权所有",
                  "ICP备", "访问统计脚本", "color")


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_saved_government_page_keeps_the_article_only(tmp_path, charset):
    f = tmp_path / "gongbao.html"
    f.write_bytes(SAVED_PAGE.format(charset=charset).encode(charset))
    p = parse_file(f, tmp_path)
    assert p.source.format == "html"
    assert not [w for w in NAV_AND_FOOTER if w in p.text]
    assert "初步核算，全年全市地区生产总值652.3亿元" in p.text and "居民人均可支配收入32456元" in p.text
    assert "粮食\t38.6\t2.1\n" in p.text and "蔬菜\t52.4\t3.5\n" in p.text  # one TAB-separated line per row
    assert p.documents[0].title == "2025年石嘴山市国民经济和社会发展统计公报"
    assert (p.source.place, p.source.year) == ("石嘴山市", 2025)
    row = next(b for b in p.blocks if b.kind == "table_row" and b.cells[0] == "粮食")
    assert row.table == "表1 2025年主要农产品产量" and row.header == ("产品名称", "产量（万吨）", "比上年增长（%）")
    paragraph = next(b for b in p.blocks if "第一产业增加值" in b.text)
    assert "35.1亿元，增长4.2%；第二产业" in paragraph.text  # the source's line break inside <p> is read through


REPORT_PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/czyjs">财政预决算</a></div>
<div class="article"><div class="content">
{lines}
<p>各位代表：</p>
<p>受市人民政府委托，向大会报告全市2025年预算执行情况和2026年预算草案，请予审议。</p>
<p>一、2025年预算执行情况</p>
<p>全市一般公共预算收入155.2亿元，完成预算的95.9%，同比增长2.1%。其中，税收收入99.7亿元。</p>
<p>全市政府性基金预算收入66.3亿元，完成预算的81.2%。</p>
</div></div></body></html>
"""


@pytest.mark.parametrize(("title", "lines", "want_title", "meeting"), [
    # the page's title carries its channel and site (「…_三亚市第八届人民代表大会第七次会议_三亚市人大」) and the body
    # prints the dateline without its dash: the title was 「三亚市财政局」 and the meeting unknown
    ("关于某市2025年预算执行情况和2026年预算草案的报告_某市第八届人民代表大会第七次会议_ 某市人大",
     "<p>&ensp;2026年1月23日在某市第八届人民代表大会第七次会议上</p><p>某市财政局</p>",
     "关于某市2025年预算执行情况和2026年预算草案的报告", "某市第八届人民代表大会第七次会议"),
    # a site banner for the page's title, the dash-less dateline wrapped: 「长沙市财政预算公开关于…的报告」 was the title
    ("某市财政预算公开",
     "<p>关于2025年全市预算执行情况与2026年全市预算草案的报告</p><p>2026年1月7日在某市第十六届</p>"
     "<p>人民代表大会第六次会议上</p><p>某市财政局</p>",
     "关于2025年全市预算执行情况与2026年全市预算草案的报告", "某市第十六届人民代表大会第六次会议"),
    ("关于某市2025年预算执行情况及2026年预算草案的报告 _\n\t财政报告 _\n\t某市人民政府门户网站",
     "<p>——2026年1月14日在某市第十四届人民代表大会第五次会议上</p><p>某市财政局</p>",
     "关于某市2025年预算执行情况及2026年预算草案的报告", "某市第十四届人民代表大会第五次会议"),
], ids=["channel-and-site-in-title", "site-banner-title", "three-segment-title"])
def test_a_report_page_s_title_and_dateline(tmp_path, title, lines, want_title, meeting):
    f = tmp_path / "report.html"
    f.write_text(REPORT_PAGE.format(title=title, lines=lines), encoding="utf-8")
    p = parse_file(f, tmp_path)
    doc = p.documents[-1]
    assert (doc.title, doc.meeting, doc.organization) == (want_title, meeting, "某市财政局")
    assert doc.date is not None and doc.date.startswith("2026-01")
    assert next(b for b in p.blocks if b.kind == "heading" and b.text.startswith("一、")).doc_id == doc.doc_id


BULLETIN_PAGE = """<html><head><meta charset="utf-8"><title>某省统计局 - </title></head><body>
<div class="header"><a href="/">首页</a> <a href="/tjsj">统计数据</a></div>
<div class="detail"><h1 class="article-title">某某市2025年国民经济和社会发展统计公报</h1>
<h3 class="subtitle">发布时间：2026-04-16</h3></div>
<div class="article-content">
<p>2025年，全市上下坚持稳中求进工作总基调，经济运行总体平稳、稳中有进，高质量发展迈出坚实步伐。</p>
<p>一、综合</p>
<p>经初步核算，2025年全市实现地区生产总值4770.9亿元，比上年增长5.6%。其中，第一产业增加值530.1亿元，增长3.6%；
第二产业增加值1731.9亿元，增长6.1%；第三产业增加值2508.9亿元，增长5.7%。</p>
<p>全市居民消费价格指数为99.7%。按类别分，医疗保健类上涨1.1%，食品烟酒类下降1.6%，居住类与上年持平。</p>
<p>二、农业</p>
<p>初步测算，全年农林牧渔业总产值975.1亿元，比上年增长4.5%。其中农业产值452.0亿元，增长3.9%；林业产值57.7亿元。</p>
<p>全市粮食作物种植面积589.2千公顷，棉花种植面积34.7万亩，油料种植面积443.3万亩，蔬菜种植面积210.4万亩。</p>
</div></body></html>
"""


def test_a_page_titled_by_its_site_takes_its_own_heading_for_title(tmp_path):
    """Ten Hunan bulletins' pages are titled 「湖南省统计局」 and print the bulletin's title in an h1 that the main
    content leaves out: the site's name was the document's title."""
    f = tmp_path / "bulletin.html"
    f.write_text(BULLETIN_PAGE, encoding="utf-8")
    p = parse_file(f, tmp_path)
    assert [d.title for d in p.documents] == ["某某市2025年国民经济和社会发展统计公报"]


def test_two_whole_titles_above_a_dateline_give_the_last():
    """Quanzhou's page: its title line, then the body's own title wrapped over two lines (with a footnote's mark),
    the issuing bodies and the release date. The three title lines were joined into one title."""
    text = ("最新！2025年某某市国民经济和社会发展统计公报\n2025年某某市\n国民经济和社会发展统计公报[1]\n某某市统计局\n"
            "国家统计局某某调查队\n（2026年3月31日）\n初步核算，全年地区生产总值13778.34亿元，比上年增长5.3%。\n")
    docs = [d for d in parse_text(text, "bulletin.txt").documents if not d.doc_id.endswith("#00")]
    assert [d.title for d in docs] == ["2025年某某市国民经济和社会发展统计公报[1]"]


@pytest.mark.parametrize(("lines", "title"), [
    # a title wrapped after a word a title may end with is one title, not two
    (["某市国民经济和社会发展第十五个五年规划", "和二〇三五年远景目标纲要"], "某市国民经济和社会发展第十五个五年规划和二〇三五年远景目标纲要"),
    (["某市第十七届人民代表", "大会常务委员会工作报告"], "某市第十七届人民代表大会常务委员会工作报告"),
], ids=["plan-outline", "committee-report"])
def test_a_title_wrapped_after_a_title_word_stays_whole(lines, title):
    text = "\n".join([*lines, "——2026年1月22日在某市第十七届人民代表大会第五次会议上", "各位代表：", "现将报告如下。", ""])
    docs = parse_text(text, "report.txt").documents
    assert [d.title for d in docs] == [title]


@pytest.mark.parametrize(("keys", "n"), [
    (["2026年1月7日在全市干部大会", "上,市长强调要在会上"], 0),  # a sentence wrapped: its second line has a comma
    (["2026年1月7日在全市大会上作报告"], 0),  # no 会议上 or 会上 at its end (a dashed dateline may end so)
    (["2026年6月25日在巴音郭楞蒙古自治州第十五届人民代表大会常务委员会第二十三次会议上"], 1),  # 43 characters, one line
    (["2026年1月7日在长沙市第十六届", "人民代表大会第六次会议上"], 2),
], ids=["sentence", "no-meeting-end", "one-long-line", "wrapped"])
def test_a_dateline_without_its_dash(keys, n):
    from qa.ingest.documents import dateline_lines
    assert dateline_lines(keys, 0) == n


def test_a_page_s_breadcrumb_is_no_title():
    text = ("当前位置： 首页 > 政务公开 > 公共资金使用与监督 > 财政预决算\n某某市2025年12月预算执行情况\n"
            "发布时间：2026年01月16日 15:04\n一、一般公共财政收支预算执行情况\n12月止，全市一般公共预算财政总收入累计入库250.83亿元。\n")
    assert parse_text(text, "page.txt").documents[0].title == "某某市2025年12月预算执行情况"


@pytest.mark.parametrize("lead", ["", "某某市人民政府门户网站\n"], ids=["alone", "under-a-banner"])
def test_a_title_on_one_long_line_is_a_title(lead):
    """A web page prints 「关于楚雄市…的报告（书面）」 on one line of 45 characters, over the 40 of a wrapped title line:
    the file's name was the title (and the speaker's line or the dateline where there was one)."""
    text = (f"{lead}关于某某市2025年地方财政预算执行情况和2026年地方财政预算草案的报告（书面）\n"
            "—2026年2月10日在某某市第十届人民代表大会第六次会议上\n各位代表：\n受市人民政府委托，现将报告提请会议审议。\n"
            "一、2025年全市地方财政预算执行情况\n全市完成地方一般公共预算收入351,740万元，增长2.1%。\n")
    doc = [d for d in parse_text(text, "report.txt").documents if not d.doc_id.endswith("#00")][0]
    assert doc.title == "关于某某市2025年地方财政预算执行情况和2026年地方财政预算草案的报告（书面）"
    assert doc.meeting == "某某市第十届人民代表大会第六次会议"


@pytest.mark.parametrize(("head", "title"), [
    # navigation headings before the article's: a sidebar's label, a breadcrumb
    ('<h2>通知公告</h2><h2>当前位置： 首页 > 统计数据 > 统计公报</h2>', "某某市2025年国民经济和社会发展统计公报"),
    ("", "某某市2025年国民经济和社会发展统计公报"),
], ids=["navigation-headings", "plain"])
def test_a_site_titled_page_s_own_heading_is_its_title(tmp_path, head, title):
    f = tmp_path / "bulletin.html"
    page = BULLETIN_PAGE.replace('<div class="header">', f'<div class="side">{head}</div><div class="header">')
    f.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + page, encoding="utf-8")  # an XHTML page's declaration too
    assert [d.title for d in parse_file(f, tmp_path).documents] == [title]


@pytest.mark.parametrize(("page_title", "title", "meeting"), [
    # the dateline in the page's title, the body without it (Pu'er): kept, on its own line
    ("关于某某市2025年预算执行情况的报告（摘要）--2026年2月10日在某某市第五届人民代表大会第六次会议上-某某网",
     "关于某某市2025年预算执行情况的报告（摘要）", "某某市第五届人民代表大会第六次会议"),
    # a title's own part after a dash is no site's name; a site's name before the title is
    ("奋力谱写中国式现代化新篇章——2025年某某市政府工作报告_某某市人民政府",
     "奋力谱写中国式现代化新篇章——2025年某某市政府工作报告", None),
    ("某某日报数字报-2025年某某市国民经济和社会发展统计公报", "2025年某某市国民经济和社会发展统计公报", None),
], ids=["dateline", "subtitle", "site-first"])
def test_a_page_title_keeps_its_own_parts(tmp_path, page_title, title, meeting):
    f = tmp_path / "page.html"
    body = "".join(f"<p>{x}</p>" for x in ("某某市财政局", "一、2025年预算执行情况",
                                              "全市一般公共预算收入62.57亿元，下降16%，下降的主要原因是盘活存量资产收入减少。",
                                              "全市政府性基金预算收入19.53亿元，下降13.9%，主要是国有土地使用权出让收入减少。"))
    f.write_text(f"<html><head><meta charset='utf-8'><title>{page_title}</title></head><body><div class='article'>"
                 f"{body}</div></body></html>", encoding="utf-8")
    doc = parse_file(f, tmp_path).documents[-1]
    assert (doc.title, doc.meeting) == (title, meeting)


def test_a_title_the_body_holds_in_a_longer_line_is_not_repeated():
    from qa.ingest.html import html_to_text
    page = ("<html><head><meta charset='utf-8'><title>关于某某市2025年预算执行情况的报告--2026年2月10日在某某市第五届人民代表"
            "大会第六次会议上-某某网</title></head><body><div class='article'><p>关于某某市2025年预算执行情况的报告（发布稿）</p>"
            "<p>全市一般公共预算收入62.57亿元，下降16%，下降的主要原因是盘活存量资产收入减少。</p>"
            "<p>全市政府性基金预算收入19.53亿元，下降13.9%，主要是国有土地使用权出让收入减少。</p></div></body></html>")
    text = html_to_text(page.encode("utf-8"))
    assert text.count("关于某某市2025年预算执行情况的报告") == 1 and "全市一般公共预算收入62.57亿元" in text


def test_a_zero_width_space_ends_no_title_early():
    from qa.ingest.documents import ends_as_title
    assert ends_as_title("关于南阳市2019年预算执行情况和2020年市级预算草案的报告\u200b")


def test_a_bulletin_page_s_title_is_above_its_issuers_and_release_date(tmp_path):
    """「2025年平顶山市国民经济和社会发展统计公报」 / 「发布日期：…」 / 「平顶山市统计局 国家统计局平顶山调查队」 /
    「(2026年6月23日)」: the issuing bodies above the bracketed date were taken for the title."""
    text = ("2025年某市国民经济和社会发展统计公报\n发布日期：2026-06-30 浏览次数： 次浏览\n某市统计局  国家统计局某市调查队\n"
            "(2026年6月23日)\n2025年，全市经济运行总体平稳。全年地区生产总值3012.6亿元，比上年增长5.5%。\n")
    docs = parse_text(text, "bulletin.txt").documents
    assert [d.title for d in docs] == ["2025年某市国民经济和社会发展统计公报"]
    assert docs[0].date == "2026-06-23"


@pytest.mark.parametrize("line", [
    "2026年1月7日在全市干部大会上讲话时指出，要抓好预算执行。",  # a sentence: punctuation
    "2026年1月7日在市人民代表大会第六次会议期间",  # no 会议上 at its end
], ids=["sentence", "no-meeting-end"])
def test_a_sentence_that_opens_with_a_date_is_no_dateline(line):
    text = f"某市统计公报\n提要\n{line}\n一、综合\n全年地区生产总值3012.6亿元。\n"
    docs = parse_text(text, "date.txt").documents
    assert [d.title for d in docs] == ["某市统计公报"] and docs[0].meeting is None


def test_page_with_only_navigation_is_refused_by_name(tmp_path):
    f = tmp_path / "nav.html"
    f.write_text("<html><body><nav><ul><li><a href='/'></a></li></ul></nav></body></html>", encoding="utf-8")
    with pytest.raises(BqaError, match="nav.html: the page has no readable main text"):
        parse_file(f)


# --- bad input and encodings ---------------------------------------------------------------------------


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF, one Helvetica text line per page ("" makes a page with no text)."""
    return pdf_of_pages([f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET" if line else "" for line in pages])


def pdf_of_pages(contents: list[str]) -> bytes:
    """A minimal valid PDF of A4 pages, each drawn by its content stream, Helvetica as font F1."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for content in contents:
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {len(objs)} 0 R "
                    "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    return out + f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()


def make_ruled_pdf(rows: list[tuple[str, ...]], xs: list[float], rules: list[float]) -> bytes:
    """One page of rows, each cell starting at its ``xs``, ruled at ``rules`` only: verticals at each,
    horizontals across them above the first row, under it and under the last."""
    parts, y0 = [], 720
    for n, row in enumerate(rows):
        y = y0 - 15 * n
        parts += [f"BT /F1 10 Tf {x} {y} Td ({cell}) Tj ET" for x, cell in zip(xs, row, strict=True)]
    top, bottom = y0 + 12, y0 - 15 * len(rows) + 8
    parts += [f"{x} {bottom} m {x} {top} l S" for x in rules]
    parts += [f"{rules[0]} {y} m {rules[-1]} {y} l S" for y in (top, y0 - 4, bottom)]
    return pdf_of_pages(["\n".join(parts)])


_RULED_ROWS = [("Item", "Budget", "Actual", "Rate"), ("Total", "3308167", "3270591", "98.9"),
               ("Taxes", "1843890", "1760417", "95.5"), ("VAT", "662120", "631831", "95.4"),
               ("Fees", "111791", "82340", "73.7")]


def test_a_pdf_table_ruled_round_some_columns_keeps_its_row_labels(tmp_path):
    """保定's 附表: rules round the two amount columns only, the row names left of them and the rate right of
    them. Read as a ruled table, the amounts came out apart from their names; each row is one line again."""
    f = tmp_path / "partly-ruled.pdf"
    f.write_bytes(make_ruled_pdf(_RULED_ROWS, [72, 198, 278, 370], [190, 270, 350]))
    p = parse_file(f, tmp_path)
    for label, *values in _RULED_ROWS[1:]:
        assert re.search(rf"^{label}\s+{values[0]}\s+{values[1]}\s+{values[2]}$", p.text, re.M), p.text
    rows = {b.cells[0]: b.cells[1:] for b in p.blocks if b.kind == "table_row"}
    assert rows["Total"] == ("3308167", "3270591", "98.9") and rows["Fees"] == ("111791", "82340", "73.7")


def test_a_pdf_table_ruled_round_every_column_is_still_read_by_its_rules(tmp_path):
    """The control: rules round every column, the row names too: words are placed in the columns the rules
    give, TAB-separated."""
    f = tmp_path / "ruled.pdf"
    f.write_bytes(make_ruled_pdf(_RULED_ROWS, [68, 198, 278, 358], [60, 190, 270, 350, 420]))
    text = parse_file(f, tmp_path).text
    assert "Total\t3308167\t3270591\t98.9" in text and "Fees\t111791\t82340\t73.7" in text


def test_small_generated_pdf_is_paged(tmp_path):
    f = tmp_path / "two.pdf"
    f.write_bytes(make_pdf(["Annual report page one", "Second page text"]))
    p = parse_file(f, tmp_path)
    assert p.text == "Annual report page one\n\fSecond page text" and p.pages == (0, 24)
    assert p.page_of(p.text.index("Second")) == 2 and p.source.n_pages == 2


def test_missing_file():
    with pytest.raises(BqaError, match="no such file"):
        extract(Path("/nonexistent/x.txt"))


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.txt", b"  \n", "empty.txt: the file is empty"),
    ("empty.pdf", b"", "empty.pdf: the file is empty"),
    ("blob.txt", bytes(range(256)) * 10, "blob.txt: looks like a binary file"),
    ("table.xls", b"\xd0\xcf\x11\xe0", "table.xls: not an Excel workbook"),
    ("table.et", b"\xd0\xcf\x11\xe0", "table.et: not an Excel workbook"),
    ("report.wps", b"\xd0\xcf\x11\xe0", r"report.wps: not a Word 97–2003 document \(no OLE compound file\)"),
    ("notes.wps", b"{\\rtf1\\ansi hello}", "notes.wps: an RTF file named .wps; open it in Word or WPS and save it as .docx"),
    ("notes.rtf", b"{\\rtf1\\ansi hello}", r"notes.rtf: unsupported file type .rtf; save it as .docx"),
    ("report.doc", b"\xd0\xcf\x11\xe0", r"report.doc: not a Word 97–2003 document \(no OLE compound file\)"),
    ("notes.doc", b"{\\rtf1\\ansi hello}", "notes.doc: an RTF file named .doc; open it in Word or WPS and save it as .docx"),
    ("gazette.ofd", b"PK\x03\x04", r"gazette.ofd: not a readable OFD file \(not a ZIP archive or a damaged one\)"),
    ("scan.ofd", b"PK\x03\x04", r"scan.ofd: not a readable OFD file"),
    ("data.bin", b"\x00", r"data.bin: unsupported file type .bin; supported: txt, md, pdf, ofd, docx, doc, wps, html, xlsx, xls, et"),
    ("budget.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "budget.xls: not a readable Excel 97–2003 workbook"),
    ("budget.xlsx", b"PK\x03\x04broken", "budget.xlsx: not a readable Excel workbook"),
    ("latin.txt", "Überweisung café".encode("latin-1") * 50, "latin.txt: not valid UTF-8"),
    ("fake.pdf", b"hello, not a pdf", r"fake.pdf: not a PDF file \(no %PDF header\)"),
    ("broken.pdf", b"%PDF-1.4\nrubbish\n%%EOF\n", "broken.pdf: cannot open the PDF: it is damaged"),
    ("cut.pdf", make_pdf(["Annual report page one"])[:300],  # 石家庄's, a download stopped at 159 × 4 KiB
     r"cut.pdf: cannot open the PDF: it is cut short \(no end-of-file marker"),
    ("scan.pdf", make_pdf(["", ""]), "scan.pdf: the PDF has no text layer"),
    ("glyphs.pdf", make_pdf([r"NOPQR \(cid:127\)\(cid:128\)\(cid:129\) yrkS"]),  # 淮安's: a font with no Unicode map
     r"glyphs.pdf: the PDF's text does not decode \(its fonts map glyphs to no characters"),
    ("notes.docx", b"PK\x03\x04", "notes.docx: not a readable DOCX file"),
    ("bad16.txt", b"\xff\xfe\x00\xd8", "bad16.txt: starts like UTF-16 text but does not decode"),
])
def test_unreadable_files_are_named_with_the_reason(tmp_path, name, data, message):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(BqaError, match=message) as err:
        parse_file(f)
    assert "\n" not in str(err.value)


def test_gbk_file_is_decoded(tmp_path):
    f = tmp_path / "gbk.txt"
    f.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    extracted = extract(f)
    assert extracted.encoding == "gb18030" and extracted.text == SEED.read_text(encoding="utf-8")
    assert len(parse_file(f).documents) == 29


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_decoded(tmp_path, encoding):
    text = SEED.read_text(encoding="utf-8")
    f = tmp_path / "wide.txt"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    f.write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    p = parse_file(f, tmp_path)
    assert p.text == text and len(p.documents) == 29
    assert [d.start for d in p.documents] == [d.start for d in seed().documents]


def test_bom_and_windows_newlines_keep_offsets(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    f = tmp_path / "crlf.txt"
    f.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    p = parse_file(f)
    assert p.text == f.read_text(encoding="utf-8") and p.text[0] == "\ufeff"
    assert len(p.documents) == 29
    assert [d.start for d in p.documents] == [d.start + 1 for d in seed().documents]
    blk = next(b for b in p.blocks if "留置37人" in b.text)
    offsets = align(p.text, blk.start, blk.end, blk.text, blk.gaps)
    at = blk.text.index("留置37人")
    assert p.text[offsets[at]:offsets[at + 4] + 1] == "留置37人"


def test_form_feeds_page_a_text_file(tmp_path):
    f = tmp_path / "paged.txt"
    text = "第一页的标题\n\n第一段文字，写在第一页。\n\f第二段文字，写在第二页。\n\f第三页。\n\f"
    f.write_text(text, encoding="utf-8")
    p = parse_file(f)
    assert p.source.n_pages == 3 and p.pages == (0, text.index("\f") + 1, text.index("\f第三") + 1)
    assert [p.page_of(b.start) for b in p.blocks if b.kind == "paragraph"] == [1, 2, 3]


# --- corpora of many files -------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def small_report(place: str) -> str:
    return f"关于{place}2025年预算执行情况的报告\n——2026年1月20日在{place}人民代表大会上\n{place}的收入增长了3.1%。\n"


def test_corpus_reads_subfolders_with_distinct_stable_ids(tmp_path):
    root = tmp_path / "corpus"
    write(root / "a.txt", small_report("银川市"))
    (root / "a.pdf").write_bytes(make_pdf(["Annual report of city A"]))
    write(root / "x" / "a.txt", small_report("吴忠市"))
    write(root / "y" / "a.txt", small_report("中卫市"))
    write(root / "2025" / "deep" / "b.md", small_report("平罗县"))
    write(root / "README.md", "# about this corpus\n")
    write(root / ".cache" / "c.txt", small_report("固原市"))
    write(root / ".hidden.txt", small_report("灵武市"))
    (root / "~$预算表.xlsx").write_bytes(b"\x05owner" + bytes(157))  # Office's lock file beside an open workbook
    files, warnings = scan_corpus(root)
    assert warnings == []
    ids = {f.source: f.source_id for f in files}
    assert ids == {"2025/deep/b.md": "2025/deep/b", "a.pdf": "a.pdf", "a.txt": "a.txt", "x/a.txt": "x/a",
                   "y/a.txt": "y/a"}
    assert [(f.source, f.source_id) for f in scan_corpus(root)[0]] == [(f.source, f.source_id) for f in files]
    loaded = load_corpus(root)
    assert [s.source.source for s in loaded.sources] == sorted(ids)
    for s in loaded.sources:
        assert s.source.source_id == ids[s.source.source]
        assert all(d.doc_id.startswith(s.source.source_id + "#") for d in s.documents)
        if s.source.format != "pdf":
            assert s.text == (root / s.source.source).read_text(encoding="utf-8")
    places = {s.source.source: s.source.place for s in loaded.sources}
    assert (places["x/a.txt"], places["y/a.txt"], places["2025/deep/b.md"]) == ("吴忠市", "中卫市", "平罗县")


def test_link_out_of_the_corpus_is_skipped_and_never_read(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    write(root / "good.txt", small_report("银川市"))
    secret = write(tmp_path / "outside" / "secret.txt", "不应读取的外部文件内容。\n")
    (root / "leak.txt").symlink_to(secret)
    (root / "linked-folder").symlink_to(secret.parent, target_is_directory=True)
    read: list[Path] = []
    real_extract = ingest_parse.extract

    def recording_extract(path):
        read.append(Path(path).resolve())
        return real_extract(path)

    monkeypatch.setattr(ingest_parse, "extract", recording_extract)
    loaded = load_corpus(root)
    assert [s.source.source for s in loaded.sources] == ["good.txt"]
    assert any("leak.txt" in w and "outside the corpus" in w for w in loaded.warnings)
    assert secret.resolve() not in read and read == [(root / "good.txt").resolve()]
    assert "外部文件" not in "".join(loaded.texts.values())


def test_link_to_a_corpus_file_is_read_once(tmp_path):
    root = tmp_path / "corpus"
    write(root / "2025" / "report.txt", small_report("银川市"))
    (root / "alias.txt").symlink_to(root / "2025" / "report.txt")
    (root / "broken.txt").symlink_to(root / "missing.txt")
    loaded = load_corpus(root)
    assert [s.source.source for s in loaded.sources] == ["2025/report.txt"]  # its own name, not the link's
    assert "skipped alias.txt: the same file as 2025/report.txt" in loaded.warnings
    assert any("broken.txt" in w and "broken link" in w for w in loaded.warnings)


def test_unreadable_subfolder_gives_a_warning(tmp_path):
    root = tmp_path / "corpus"
    write(root / "good.txt", small_report("银川市"))
    locked = root / "locked"
    write(locked / "hidden-away.txt", small_report("吴忠市"))
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reading (see the simulated test below)")
        files, warnings = scan_corpus(root)
        assert [f.source for f in files] == ["good.txt"]
        assert any("locked" in w and "ermission denied" in w for w in warnings)
    finally:
        locked.chmod(0o755)


def test_unreadable_subfolder_simulated(tmp_path, monkeypatch):
    """The same as above for any user: the folder listing fails the way an unreadable folder does."""
    root = tmp_path / "corpus"
    write(root / "good.txt", small_report("银川市"))
    locked = root / "locked"
    write(locked / "hidden-away.txt", small_report("吴忠市"))
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    loaded = load_corpus(root)
    assert [s.source.source for s in loaded.sources] == ["good.txt"]
    assert loaded.warnings == ("skipped folder locked: Permission denied",)


def test_corpus_skips_bad_files_with_named_warnings(tmp_path):
    write(tmp_path / "good.txt", SEED.read_text(encoding="utf-8"))
    write(tmp_path / "empty.txt", "")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "scan.pdf").write_bytes(make_pdf([""]))
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04")
    loaded = load_corpus(tmp_path)
    assert [s.source.source for s in loaded.sources] == ["good.txt"]
    reasons = {w.split(":")[0].removeprefix("skipped "): w for w in loaded.warnings}
    assert set(reasons) == {"empty.txt", "notes.docx", "scan.pdf", "data.xlsx"}
    assert "the file is empty" in reasons["empty.txt"] and "no text layer" in reasons["scan.pdf"]
    assert "not a readable DOCX" in reasons["notes.docx"] and "not a readable Excel workbook" in reasons["data.xlsx"]


def test_corpus_without_a_usable_file_names_every_reason(tmp_path):
    write(tmp_path / "empty.txt", "")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(BqaError, match="has no usable file") as err:
        load_corpus(tmp_path)
    assert "empty.txt" in str(err.value) and "notes.docx" in str(err.value)


# --- CLI -----------------------------------------------------------------------------------------------


def test_cli_corpus_list_json():
    result = CliRunner().invoke(main, ["corpus", "list", "--json", "--corpus", str(SEED.parent)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 29 and rows[0]["doc_id"] == "hongkou-2025-03#00"
    assert {"source", "doc_id", "title", "speaker", "role", "date", "start", "end", "n_blocks"} <= set(rows[0])
    anti = next(r for r in rows if r["doc_id"] == "hongkou-2025-03#06")
    assert anti["speaker"] == "姜勇" and anti["source"] == "hongkou-2025-03.txt" and anti["n_blocks"] > 10
    assert {(r["place"], r["year"], r["issue"]) for r in rows} == {("上海市虹口区", 2025, "第三号")}
    assert [r["start"] for r in rows] == [d.start for d in seed().documents]


def test_cli_corpus_list_groups_documents_by_source(tmp_path):
    write(tmp_path / "2025" / "hongkou.txt", SEED.read_text(encoding="utf-8"))
    write(tmp_path / "jia.txt", small_report("银川市"))
    result = CliRunner().invoke(main, ["corpus", "list", "--corpus", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    heads = [n for n, line in enumerate(lines) if not line.startswith(" ") and "  —  " in line]
    assert [lines[n].split()[0] for n in heads] == ["2025/hongkou.txt", "jia.txt"]
    for n in heads:
        assert lines[n + 1].split()[:2] == ["doc_id", "date"]  # a header row under each source
    hongkou_docs = [line for line in lines[heads[0] + 2:heads[1]]]
    assert len(hongkou_docs) == 29 and all(line.split()[0].startswith("2025/hongkou#") for line in hongkou_docs)
    assert lines[heads[1] + 2].split()[0] == "jia#01"
    assert lines[-1] == "30 documents in 2 source(s)"


def test_cli_corpus_show_and_bad_id():
    runner = CliRunner()
    ok = runner.invoke(main, ["corpus", "show", "hongkou-2025-03#17", "--corpus", str(SEED.parent)])
    assert ok.exit_code == 0 and "1.政府债券资金使用管理有待加强。" in ok.output
    bad = runner.invoke(main, ["corpus", "show", "nope", "--corpus", str(SEED.parent)])
    assert bad.exit_code == 1 and "no document 'nope'" in bad.output and "Traceback" not in bad.output


def test_cli_corpus_list_warns_about_skipped_files(tmp_path):
    write(tmp_path / "jia.txt", small_report("银川市"))
    write(tmp_path / "empty.txt", "")
    result = CliRunner().invoke(main, ["corpus", "list", "--corpus", str(tmp_path)])
    assert result.exit_code == 0
    assert "bqa: warning: skipped empty.txt: the file is empty" in result.output


def test_cli_missing_corpus(tmp_path):
    result = CliRunner().invoke(main, ["corpus", "list", "--corpus", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "does not exist" in result.output and "Traceback" not in result.output


def test_tab_table_header_on_several_rows_is_stacked():
    """A PDF table whose header takes three rows (a group cell spanning columns, then 完成数 over 金额): every
    column is named by all of them; a table set side by side names its right half's rows by its own label."""
    body = ("表一 2025年全市一般公共预算收支情况表\n单位：万元\n"
            "一般公共预算收入\t\t\t\t一般公共预算支出\t\t\t\n"
            "项目\t预算数\t完成数\t\t项目\t预算数\t执行数\t\n"
            "\t\t金额\t增减%\t\t\t金额\t增减%\n"
            "企业所得税\t14,900\t24,087\t83.6\t公共安全支出\t67,467\t62,212\t10.0\n"
            "（续表）\n"
            "一般公共预算收入\t\t\t\t一般公共预算支出\t\t\t\n"
            "项目\t预算数\t完成数\t\t项目\t预算数\t执行数\t\n"
            "\t\t金额\t增减%\t\t\t金额\t增减%\n"
            "个人所得税\t3,000\t2,902\t-3.3\t教育支出\t9,000\t8,800\t-2.2\n")
    p = parse_text(body, "stacked.txt")
    rows = [b for b in p.blocks if b.kind == "table_row"]
    assert [b.cells[0] for b in rows] == ["企业所得税", "个人所得税"]  # header rows, repeated too, are no data
    row = rows[0]
    assert row.cells == ("企业所得税", "14,900", "24,087", "83.6", "公共安全支出", "67,467", "62,212", "10.0")
    assert row.header == ("一般公共预算收入 项目", "一般公共预算收入 预算数", "一般公共预算收入 完成数 金额",
                          "一般公共预算收入 完成数 增减%", "一般公共预算支出 项目", "一般公共预算支出 预算数",
                          "一般公共预算支出 执行数 金额", "一般公共预算支出 执行数 增减%")
    assert rows[1].header == row.header
    chunk = Chunk("c", "s", "d", "t", (), "table_row", ("b",), row.text, row.text, 0, 1, cells=row.cells,
                  header=row.header)
    assert chunk.label_columns == (0, 4)
    assert chunk.label_of(2) == "企业所得税" and chunk.label_of(6) == "公共安全支出"
    assert chunk.labels == ("企业所得税", "公共安全支出")


def test_tab_table_first_data_row_is_not_taken_for_header():
    """Rows under a full header are data, even without figures (a list of names), and so is a row label
    with empty values (公路 ¦ ¦)."""
    names = parse_text("表1 任免名单\n姓名\t职务\n张三\t局长\n李四\t副局长\n", "names.txt")
    rows = [b for b in names.blocks if b.kind == "table_row"]
    assert [r.cells for r in rows] == [("张三", "局长"), ("李四", "副局长")]
    assert all(r.header == ("姓名", "职务") for r in rows)
    roads = parse_text("表2 运输\n指标\t单位\t绝对数\n公路\t\t\n货物发送量\t万吨\t24387.28\n", "roads.txt")
    assert [b.cells[0] for b in roads.blocks if b.kind == "table_row"] == ["公路", "货物发送量"]
    # a merged header cell (任免职务 over two columns) over rows of names: the rows are data, the header stays
    merged = parse_text("表3 任免\n姓名\t任免职务\t\n张三\t任\t区财政局局长\n李四\t免\t区审计局局长\n", "m.txt")
    rows = [b for b in merged.blocks if b.kind == "table_row"]
    assert [r.cells[0] for r in rows] == ["张三", "李四"] and rows[0].header == ("姓名", "任免职务", "")
    # a first row of dashes, or one whose label wrapped away, is data too
    dashes = parse_text("表4\n指标\t2024年\t\t2025年\t\n新增项目\t—\t—\t—\t—\n税收\t1\t2\t3\t4\n", "d.txt")
    assert [b.cells[0] for b in dashes.blocks if b.kind == "table_row"] == ["新增项目", "税收"]
    wrapped = parse_text("表5\n序号\t任务\t牵头单位\n\t完善制度\t区财政局\n1\t健全机制\t区审计局\n", "w.txt")
    assert [b.cells[1] for b in wrapped.blocks if b.kind == "table_row"] == ["完善制度", "健全机制"]


def test_space_table_group_line_names_repeated_columns():
    """A header line of fewer parts names groups of columns when the names under it start each group again
    (合计 一般债务 专项债务 twice; 金额 then 金额 增长%): the fourth column is the 余额's 合计, not a second 合计."""
    body = ("表  127\n2025年某市地方政府债务限额及余额明细表\n单位：万元\n"
            "地方政府债务限额  地方政府债务余额\n级  次\n"
            "合计  一般债务  专项债务  合计  一般债务  专项债务\n"
            "甲区  2322920  161482  2161438  2081788  156831  1924957\n"
            "乙区  1126921  116100  1010821  1032948  111371  921577\n"
            "\n表  58\n2026  年  某  市  一  般  公  共  预  算  收  入  草  案  表  （  代  编  ）\n单位：万元\n"
            "2025年执行数  2026年预算数\n项目\n金额  金额  增长%\n"
            "一、税收收入  8128165  8444742  3.89\n1.增值税  3092403  3210048  3.80\n")
    rows = [b for b in parse_text(body, "groups.txt").blocks if b.kind == "table_row"]
    debt = next(b for b in rows if b.cells[0] == "甲区")
    assert debt.header[1:] == ("地方政府债务限额合计", "地方政府债务限额一般债务", "地方政府债务限额专项债务",
                               "地方政府债务余额合计", "地方政府债务余额一般债务", "地方政府债务余额专项债务")
    assert "地方政府债务余额合计：2081788" in debt.text
    tax = next(b for b in rows if b.cells[0] == "一、税收收入")
    assert tax.header[1:] == ("2025年执行数金额", "2026年预算数金额", "2026年预算数增长%")
    assert tax.table.startswith("表58 2026年某市一般公共预算收入草案表（代编）")  # the title ending in （代编） is kept


def test_space_table_spreads_only_the_group_line_right_above_the_names():
    """Three header lines (2025年 | 2026年, 限额 | 余额, then the names): 限额 and 余额 spread over the names; the top
    line is not spread over them again (it would label the second column 2026年)."""
    body = "表1 某市债务表\n单位：万元\n2025年  2026年\n限额  余额\n一般  专项  一般  专项\n甲区  1  2  3  4\n"
    row = next(b for b in parse_text(body, "three.txt").blocks if b.kind == "table_row")
    assert row.header[1:] == ("限额一般", "限额专项", "余额一般", "余额专项")


def test_space_table_group_line_needs_names_that_start_again():
    """Names that do not start again under the group line (预算数 执行数 增长%) are not grouped by a guess."""
    body = ("表3 某表\n单位：万元\n上年  本年\n项目  预算数  执行数  增长%\n"
            "税收收入  100  120  20.0\n非税收入  50  40  -20.0\n")
    row = next(b for b in parse_text(body, "nogroups.txt").blocks if b.kind == "table_row")
    assert row.header[1:] == ("预算数", "执行数", "增长%")


def test_a_pipe_in_the_corpus_is_skipped_not_read(tmp_path):
    """A developer's trial: a FIFO named pipe.txt made `bqa index` wait for ever on its first read."""
    root = tmp_path / "corpus"
    write(root / "a.txt", small_report("银川市"))
    os.mkfifo(root / "pipe.txt")
    files, warnings = scan_corpus(root)
    assert [f.source for f in files] == ["a.txt"]
    assert warnings == ["skipped pipe.txt: not a regular file (a pipe, socket or device)"]
