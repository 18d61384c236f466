"""Answer extraction over real snippets of the seed bulletin (no index, no embedding model)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from qa.answering import Extraction, analyze_question, extract_answer, pinyin_names
from qa.types import Chunk, Passage

SOURCE = "hongkou-2025-03.txt"
TEXT = (Path(__file__).resolve().parents[1] / "corpus" / SOURCE).read_text(encoding="utf-8")
TEXTS = {SOURCE: TEXT}


def _line_bounds(snippet: str) -> tuple[int, int]:
    at = TEXT.find(snippet)
    assert at >= 0, f"snippet not in the bulletin: {snippet!r}"
    start = TEXT.rfind("\n", 0, at) + 1
    end = TEXT.find("\n", at)
    return start, len(TEXT) if end == -1 else end


def para(snippet: str, title: str = "", section: tuple[str, ...] = ()) -> Chunk:
    """The paragraph (source line) holding ``snippet``; its text deliberately differs from the
    source (spaces removed), like the chunker's, so extraction must read the raw source."""
    start, end = _line_bounds(snippet)
    shown = TEXT[start:end].replace(" ", "")
    return Chunk(f"p{start}", SOURCE, "d", title, section, "paragraph", (), shown, shown, start, end)


def span(first: str, last: str, title: str = "") -> Chunk:
    start = TEXT.find(first)
    end = TEXT.find(last, start) + len(last)
    assert start >= 0 and end > start
    return Chunk(
        f"s{start}", SOURCE, "d", title, (), "paragraph", (), TEXT[start:end], TEXT[start:end], start, end
    )


def row(snippet: str, header: str, caption: str) -> Chunk:
    start, end = _line_bounds(snippet)
    cells = tuple(TEXT[start:end].split("\t"))
    head = tuple(header.split("\t"))
    shown = f"{caption}｜" + "｜".join(f"{h}：{c}" for h, c in zip(head, cells, strict=False))
    return Chunk(
        f"r{start}", SOURCE, "d", "", (), "table_row", (), shown, shown, start, end, caption, cells, head
    )


def ranked(*chunks: Chunk) -> list[Passage]:
    return [Passage(c, 1 / (60 + i), i) for i, c in enumerate(chunks, 1)]


def answered(question: str, passages: list[Passage]) -> Extraction:
    result = extract_answer(question, passages, TEXTS)
    assert not result.abstained, f"{question}: abstained ({result.message})"
    answer = result.answer
    assert answer is not None
    for a in (answer, *answer.alternatives):
        assert TEXT[a.start : a.end] == a.text
        assert a.source == SOURCE
        assert 0.0 <= a.confidence <= 1.0
    return result


def abstains(question: str, passages: list[Passage]) -> Extraction:
    result = extract_answer(question, passages, TEXTS)
    assert result.abstained, f"{question}: answered {result.answer}"
    assert result.answer is None and result.message
    return result


LIUZHI = para("留置37人")
LIUZHI_CASES = para("立案 15 人，党纪政务处分 9 人")
DEBT_2025 = para("预计本区地方政府债务限额为 494.9 亿元")
DEBT_2024 = para("本区 2024 年末地方政府债务限额为 430.8 亿元", section=("(四) 2024 年地方政府债务情况",))
DEBT_BALANCE = para("截至 2024 年末，本区实际政府债务余额 354.78 亿元，其中")
BUDGET_H1 = para("1—6 月，区一般公共预算收入执行数为 1199477 万元")
GDP_Q1 = para("一季度，实现地区生产总值420.54亿元")
T1_HEADER = "指标名称\t单位\t全年计划目标\t上半年完成情况"
T1_CAPTION = "表一：2025 年上半年虹口区主要经济社会指标完成情况"
SHIPPING = row("新增航运服务企业\t", T1_HEADER, T1_CAPTION)
TALENT = row("新增各类人才\t", T1_HEADER, T1_CAPTION)
GDP_ROW = row("地区生产总值增长率\t", T1_HEADER, T1_CAPTION)
T12345_HEADER = "指标 年份\t有效受理量\t先行联系评分\t满意度评分\t考核得分\t全市排名"
T12345_CAPTION = "近三年市级考核情况"
ROW_2024, ROW_2023, ROW_2022 = (row(f"{y} 年\t", T12345_HEADER, T12345_CAPTION) for y in (2024, 2023, 2022))
HOTLINE = para("近三年，累计有效受理群众诉求 211569 件")
HOTSPOTS = para("主要集中在前三位的是房屋保障")
APPOINT = para("任命宣一洲同志为虹口区副区长")
SESSION = para("第八次会议于2025年7月24日—25日召开")
REMOVALS = span("任命尧云同志", "免去罗隽同志的虹口区建设和管理委员会主任职务。", "任免名单")
SPEAKER = span(
    "关于整治群众身边不正之风和腐败问题 工作情况的报告",
    "报告整治群众身边不正之风和腐败问题工作情况。",
    "关于整治群众身边不正之风和腐败问题工作情况的报告",
)
RESOLUTION = para("决定批准《虹口区 2024 年财政决算（草案）》")


# --- question analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("区监委留置了多少人？", "number"),
        ("一般公共预算收入同比增长多少？", "number"),
        ("谁被任命为虹口区副区长？", "entity"),
        ("区十七届人大八次会议什么时候召开？", "date"),
        ("是否批准了2024年财政决算？", "yes_no"),
        ("免去了哪些人的职务？", "list"),
        ("How many people were placed under detention?", "number"),
        ("Who was appointed deputy district mayor?", "entity"),
        ("When will the session be held?", "date"),
        ("Was the 2024 final account approved?", "yes_no"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert analyze_question(question).kind == kind


def test_question_years_periods_scopes_units() -> None:
    q = analyze_question("2024年末一般债务限额是多少亿元？")
    assert q.lang == "zh" and q.years == (2024,) and "年末" in q.periods
    assert {"一般债务", "限额"} <= set(q.scopes)
    assert q.measure == "amount" and "亿元" in q.units
    assert "上半年" in analyze_question("1—6月一般公共预算收入是多少？").periods
    assert analyze_question("区监委留置了多少人？").units[0] == "人"
    en = analyze_question("What is the district's 2025 local government debt limit?")
    assert en.lang == "en" and en.years == (2025,) and "债务限额" in en.terms
    assert analyze_question("黄浦区2025年地方政府债务限额是多少？").anchors == ("黄浦区",)


# --- figures in running text -----------------------------------------------------------------------


def test_detention_count_not_cases_or_closures() -> None:
    result = answered("区监委留置了多少人？", ranked(LIUZHI, LIUZHI_CASES))
    assert result.answer is not None
    assert result.answer.text == "37人" and result.answer.kind == "number" and result.answer.passage_rank == 1
    assert answered("区监委立案了多少人？", ranked(LIUZHI, LIUZHI_CASES)).answer.text == "272人"
    assert answered("结案了多少人？", ranked(LIUZHI_CASES, LIUZHI)).answer.text == "227人"


def test_debt_limit_by_year_and_scope() -> None:
    passages = ranked(DEBT_2024, DEBT_2025)  # the 2024 year-end figure ranks first
    a2025 = answered("2025年地方政府债务限额是多少？", passages).answer
    assert a2025.text == "494.9 亿元" and a2025.passage_rank == 2
    assert all(alt.text != "430.8 亿元" for alt in a2025.alternatives)
    assert (
        answered("2024年末地方政府债务限额是多少？", ranked(DEBT_2025, DEBT_2024)).answer.text == "430.8 亿元"
    )
    assert answered("2025年专项债务限额是多少？", passages).answer.text == "391.9 亿元"
    assert answered("2024年末一般债务限额是多少？", passages).answer.text == "101.5 亿元"
    assert (
        answered("2024年末实际政府债务余额是多少？", ranked(DEBT_2025, DEBT_BALANCE)).answer.text
        == "354.78 亿元"
    )


def test_unchosen_reading_is_listed_as_alternative() -> None:
    answer = answered("地方政府债务限额是多少？", ranked(DEBT_2025, DEBT_2024)).answer
    readings = {answer.text, *(a.text for a in answer.alternatives)}
    assert {"430.8 亿元", "494.9 亿元"} <= readings


def test_growth_rate_takes_subject_from_previous_clause() -> None:
    passages = ranked(BUDGET_H1, GDP_Q1)
    assert answered("上半年一般公共预算收入同比增长多少？", passages).answer.text == "0.15%"
    assert answered("1—6月一般公共预算支出执行数是多少？", passages).answer.text == "1276255 万元"
    assert answered("一季度地区生产总值是多少？", passages).answer.text == "420.54亿元"


# --- tables ------------------------------------------------------------------------------------------


def test_table_row_by_column() -> None:
    h1 = answered("上半年新增航运服务企业多少家？", ranked(TALENT, SHIPPING, GDP_ROW)).answer
    assert h1.text == "91" and h1.kind == "table_cell" and h1.passage_rank == 2
    target = answered("新增航运服务企业全年计划目标是多少家？", ranked(SHIPPING, TALENT)).answer
    assert target.text == "120"
    either = answered("新增航运服务企业有多少家？", ranked(SHIPPING, TALENT)).answer
    assert either.text == "91" and [a.text for a in either.alternatives] == ["120"]


def test_table_row_by_year() -> None:
    passages = ranked(ROW_2024, ROW_2023, ROW_2022, HOTLINE)
    answer = answered("2023年12345热线满意度评分是多少？", passages).answer
    assert answer.text == "77.44" and answer.passage_rank == 2
    assert answered("2024年12345热线考核得分是多少？", passages).answer.text == "90.02"


# --- names, dates, lists, yes/no -------------------------------------------------------------------


def test_appointment_name_and_role() -> None:
    answer = answered("谁被任命为虹口区副区长？", ranked(SESSION, APPOINT)).answer
    assert answer.text == "宣一洲" and answer.kind == "entity" and answer.passage_rank == 2
    assert answered("宣一洲被任命为什么职务？", ranked(APPOINT)).answer.text == "虹口区副区长"
    removed = answered("谁被免去虹口区建设和管理委员会主任职务？", ranked(REMOVALS)).answer
    assert removed.text == "罗隽"


def test_speaker_of_report() -> None:
    question = "关于整治群众身边不正之风和腐败问题工作情况的报告是谁作的？"
    assert answered(question, ranked(LIUZHI, SPEAKER)).answer.text == "姜勇"


def test_speaker_found_in_source_above_passage() -> None:
    title = "关于本区“两旧”改造工作推进情况的报告"
    passage = para("为深入贯彻《关于加快旧区改造", title=title)
    assert TEXT.find("杨叶盛", passage.start - 400) < passage.start  # the speaker line is not in the passage
    answer = answered(f"{title}是谁作的？", ranked(passage)).answer
    assert answer.text == "杨叶盛" and answer.kind == "entity"


def test_date_range() -> None:
    answer = answered("区十七届人大八次会议什么时候召开？", ranked(APPOINT, SESSION)).answer
    assert answer.text == "2025年7月24日—25日" and answer.kind == "date"


def test_list_of_removals() -> None:
    answer = answered("免去了哪些人的职务？", ranked(REMOVALS, APPOINT)).answer
    assert answer.kind == "list"
    assert "罗翌弘" in answer.text and "罗隽" in answer.text and "尧云" not in answer.text


def test_yes_no_with_deciding_span() -> None:
    result = answered("区人大常委会是否批准了2024年财政决算？", ranked(RESOLUTION))
    assert result.answer.kind == "yes_no" and "批准" in result.answer.text
    assert result.message == "是"


# --- abstention --------------------------------------------------------------------------------------


def test_abstains_on_irrelevant_passages() -> None:
    result = abstains("区监委留置了多少人？", ranked(SHIPPING, SESSION, BUDGET_H1))
    assert result.message == "公报中未找到关于区监委留置人的信息"


@pytest.mark.parametrize(
    "question",
    ["2023年地方政府债务限额是多少？", "黄浦区2025年地方政府债务限额是多少？"],
)
def test_abstains_on_other_year_or_district(question: str) -> None:
    abstains(question, ranked(DEBT_2025, DEBT_2024))


def test_abstains_on_person_never_appointed() -> None:
    abstains("张三被任命为什么职务？", ranked(APPOINT, REMOVALS))


def test_threshold_parameter() -> None:
    passages = ranked(LIUZHI, LIUZHI_CASES)
    assert extract_answer("区监委留置了多少人？", passages, TEXTS, threshold=0.0).answer is not None
    assert extract_answer("区监委留置了多少人？", passages, TEXTS, threshold=1.01).abstained


def test_missing_source_text_abstains() -> None:
    assert extract_answer("区监委留置了多少人？", ranked(LIUZHI), {}).abstained


# --- English -----------------------------------------------------------------------------------------


def test_english_questions() -> None:
    assert (
        answered("How many people were placed under detention?", ranked(LIUZHI_CASES, LIUZHI)).answer.text
        == "37人"
    )
    debt = answered("What is the district's 2025 local government debt limit?", ranked(DEBT_2024, DEBT_2025))
    assert debt.answer.text == "494.9 亿元"
    who = answered("Who was appointed deputy district mayor?", ranked(SESSION, APPOINT))
    assert who.answer.text == "宣一洲"
    none = abstains("How much was the 2023 debt limit?", ranked(DEBT_2025, DEBT_2024))
    assert none.message.startswith("The bulletin contains no information")


# --- speed -------------------------------------------------------------------------------------------


def test_extraction_is_fast() -> None:
    passages = ranked(DEBT_2024, DEBT_2025, LIUZHI, BUDGET_H1, SHIPPING)
    questions = ["2025年地方政府债务限额是多少？", "区监委留置了多少人？", "上半年新增航运服务企业多少家？"]
    for q in questions:
        extract_answer(q, passages, TEXTS)  # warm-up: jieba and the regexes load once
    timings = []
    for _ in range(20):
        for q in questions:
            t = time.perf_counter()
            extract_answer(q, passages, TEXTS)
            timings.append(time.perf_counter() - t)
    assert statistics.median(timings) < 0.010


# --- failure classes fixed on 2026-11-25 ------------------------------------------------------------


@pytest.mark.parametrize("question", ["<script>alert(1)</script>", "a b", "😀😀", "the of and"])
def test_abstains_without_content_words(question: str) -> None:
    abstains(question, ranked(LIUZHI, DEBT_2025, SESSION))


def test_table_cell_cleaned_by_chunker_is_still_read() -> None:
    """A bulleted HTML cell: the chunk's cells are cleaned text, the source keeps the markup."""
    start, end = _line_bounds("创业就业\t<ul")
    raw_cells = TEXT[start:end].split("\t")
    cleaned = (raw_cells[0], raw_cells[1].replace('<ul style="list-style-type: none">', "").replace("●", "").strip())
    chunk = Chunk(
        f"r{start}", SOURCE, "d", "", (), "table_row", (), "专栏五｜" + "｜".join(cleaned), "", start, end,
        "专栏五 民生重点工作推进情况", cleaned, ("目标分类", "完成情况"),
    )
    result = answered("专栏五“创业就业”中，累计帮助失业人员实现再就业多少人？", ranked(chunk))
    assert result.answer.text == "3420 人"


def test_counter_asked_for_extends_the_figure() -> None:
    q = analyze_question("截至6月末，公物仓共完成了多少批次资产的统筹调剂使用？")
    assert q.counter.startswith("批次")
    passage = para("公物仓共完成")
    result = answered(q.question, ranked(passage))
    assert "批次" in result.answer.text


def test_single_day_of_a_range() -> None:
    result = answered("区十七届人大八次会议哪一天闭幕？", ranked(para("第八次会议于2025年7月24日—25日召开")))
    assert result.answer.text == "7月25日"


def test_list_trimmed_to_its_items() -> None:
    result = answered("区人大社会委赴哪两个区考察过12345热线办理工作？", ranked(para("赴徐汇区、嘉定区考察")))
    assert "徐汇区、嘉定区" in result.answer.text
    assert "考察" not in result.answer.text


def test_named_thing_is_a_short_phrase() -> None:
    result = answered("欧阳街道的民意收集平台叫什么？", ranked(para("欧阳街道“1号听”")))
    assert result.answer.text == "“1号听”"


def test_delegated_report_speaker_in_prose() -> None:
    passage = para("局长姜靖受区人民政府委托所作的《关于虹口区 2024 年财政决算")
    result = answered("决议中说财政决算的报告是谁受区政府委托所作？", ranked(passage))
    assert result.answer.text == "姜靖"


def test_before_and_after_figures() -> None:
    passage = para("支出总计均由 266.67 亿元调整为")
    result = answered("调整后2025年区一般公共预算收入总计和支出总计由多少调整为多少？", ranked(passage))
    assert result.answer.text.replace(" ", "") == "由266.67亿元调整为282.36亿元"


def test_post_of_the_person_named() -> None:
    """Another person's post in the same appointment list is never the answer."""
    result = answered("罗隽被免去的是什么职务？", ranked(REMOVALS))
    assert result.answer.text == "虹口区建设和管理委员会主任"


def test_english_institution_names_are_not_person_anchors() -> None:
    q = analyze_question("Who was appointed director of the district Construction and Management Commission?")
    assert q.anchors == ()
    assert analyze_question("What post was Xuan Yizhou appointed to?").anchors == ("Xuan Yizhou",)


def test_ordinal_of_another_session_lowers_confidence() -> None:
    asked = extract_answer("区十七届人大八次会议什么时候召开？", ranked(SESSION), TEXTS)
    other = extract_answer("区十七届人大九次会议什么时候召开？", ranked(SESSION), TEXTS)
    assert asked.answer is not None
    assert other.answer is None or other.answer.confidence < asked.answer.confidence


# --- pinyin names, English terms with no passage, yes/no verdicts ------------------------------------

SPEAKER_LINE = span("区发展和改革委员会主任 万建辉", "万建辉")
WANG_MIN = para("任命王敏同志为虹口区人民代表大会常务委员会凉城新村街道工作委员会主任")
NO_FINANCE_ASSETS = Chunk(
    "none", SOURCE, "d", "国有资产管理情况的综合报告", ("一、国有资产基本情况", "（二）金融企业国有资产"), "paragraph",
    (), "无。", "无。", TEXT.index("\n无。") + 1, TEXT.index("\n无。") + 3,
)
RECOMMEND = para("区人大财政经济委员会建议本次常委会会议批准区人民政府提出的虹口区 2024 年财政决算（草案）")
ILLEGAL_BUILDINGS = para("实现新增违建零增长")


def test_pinyin_name_matches_the_chinese_name_in_the_passages() -> None:
    result = answered("What is Wan Jianhui's position?", ranked(SPEAKER_LINE))
    assert result.answer.text == "区发展和改革委员会主任"
    post = answered("What post was Wang Min appointed to?", ranked(APPOINT, WANG_MIN))
    assert post.answer.text == "虹口区人民代表大会常务委员会凉城新村街道工作委员会主任"


def test_pinyin_names_for_retrieval() -> None:
    assert pinyin_names("What is Wan Jianhui's position?", TEXTS) == ("万建辉",)
    assert pinyin_names("What post was Xuan Yizhou appointed to?", TEXTS) == ("宣一洲",)
    assert pinyin_names("Who is Zhang Sanfeng?", TEXTS) == ()
    assert pinyin_names("宣一洲担任什么职务？", TEXTS) == ()


def test_english_phrase_found_in_no_passage_abstains() -> None:
    passages = ranked(para("新增航运服务企业"), BUDGET_H1)
    result = extract_answer("What was the foreign trade import and export volume in the first half?", passages, TEXTS)
    assert result.abstained


def test_yes_no_one_word_verdict_under_its_heading() -> None:
    result = answered("本区有金融企业国有资产吗？", ranked(NO_FINANCE_ASSETS))
    assert result.answer.text == "无" and result.message == "否"


def test_yes_no_long_clause_trimmed_to_its_verdict() -> None:
    result = answered("财经委是否建议常委会批准2024年财政决算草案？", ranked(RECOMMEND))
    assert result.answer.text == "建议本次常委会会议批准"


def test_yes_no_prefers_the_clause_with_a_verdict() -> None:
    assert answered("上半年有没有新增违建？", ranked(ILLEGAL_BUILDINGS)).answer.text == "实现新增违建零增长"


# --- which figure of a sentence ----------------------------------------------------------------------

STATE_ASSETS = para("其中：行政单位国有资产总额1,006,960.")
FINAL_ACCOUNTS_ZH = para("区人民政府报告的 2024 年区级决算是")
FUND_ZH = para("区政府性基金收入 1261041 万元，加上上级补助收入")
BUDGET_2024 = para("2024 年，区一般公共预算收入决算数为 2088207 万元")
FUND_2024 = para("2024 年，区政府性基金预算支出决算数为 1026691 万元")


def test_share_of_a_whole_takes_the_subject_before_it() -> None:
    """占全区资产总额 X%: the part is named before 占, not by the whole after it."""
    result = answered("事业单位国有资产占全区资产总额的比例是多少？", ranked(STATE_ASSETS))
    assert result.answer.text == "51.72%"


def test_the_figure_of_the_term_asked_last() -> None:
    """一般公共预算收入中上级补助收入: the figure named by the last term, not the first."""
    grant = answered("2024年一般公共预算收入中上级补助收入是多少？", ranked(FINAL_ACCOUNTS_ZH, BUDGET_2024))
    assert grant.answer.text == "592567 万元"
    balance = answered("2024年政府性基金年终结余多少？", ranked(FUND_ZH, FUND_2024))
    assert balance.answer.text == "383993 万元"


def test_unknown_word_rebuilt_from_single_characters() -> None:
    assert "网办率" in analyze_question("公租房申请的网办率是多少？").terms


def test_gap_asked_with_a_comparison_verb_is_in_percentage_points() -> None:
    """高出/超过 多少: the gap (高于全市 2.7 个百分点), not the figure compared."""
    gdp = answered("一季度虹口GDP增速比全市高出多少？", ranked(para("高于全市2.7个百分点")))
    assert gdp.answer.text == "2.7个百分点"
    pace = answered("1—6月一般公共预算收入进度超过时间进度多少？", ranked(para("超时间进度 17 个百分点")))
    assert pace.answer.text == "17 个百分点"


def test_ordinal_asked_with_di_ji() -> None:
    result = answered("虹口获评的是第几届“全国文明城区”？", ranked(para("成功获评第七届")))
    assert result.answer.text == "第七届"


def test_figure_after_the_change_when_asked_what_it_became() -> None:
    """由 A 调整为 B asked 调整为多少 / 调整后: B, never A."""
    fund = answered("“安排预算稳定调节基金”调整为多少？", ranked(para("“安排预算稳定调节基金”预算数由0亿元")))
    assert fund.answer.text == "10.84亿元"
    spending = span("“一般公共预算支出合计”预算数由", "调增4.85亿元。")
    total = answered("预算调整后“一般公共预算支出合计”是多少？", ranked(spending))
    assert total.answer.text == "239.70亿元"


def test_figure_governed_by_the_verb_asked() -> None:
    """35户居民同意改造，1户自愿放弃: 同意 picks the households that agreed."""
    result = answered("祥德路180弄有多少户居民同意改造？", ranked(para("35户居民同意改造")))
    assert result.answer.text.startswith("35户")


def test_phrase_naming_the_thing_asked_for() -> None:
    listing = answered(
        "除实施方案外，区监委还制发了什么清单来明确整治的目标任务？", ranked(para("《集中整治任务清单》"))
    )
    assert listing.answer.text == "《集中整治任务清单》"
    grade = answered("2024年度12345热线绩效考核等次是什么？", ranked(para("2024 年度绩效考核等次为优秀")))
    assert grade.answer.text == "优秀"
    venue = answered("八次会议的预备会议和开幕式在哪里举行？", ranked(para("安排在工人文化宫三楼影剧场")))
    assert "工人文化宫三楼影剧场" in venue.answer.text
    assert not any(ch.isdigit() for ch in venue.answer.text)


TABLE_ONE = "表一：2025 年上半年虹口区主要经济社会指标完成情况"
TABLE_ONE_HEADER = "指标名称\t单位\t全年计划目标\t上半年完成情况"


def test_table_cell_of_the_column_named() -> None:
    energy = row("单位地区生产总值能耗降低率\t", TABLE_ONE_HEADER, TABLE_ONE)
    deaths = row("单位地区生产总值生产安全事故死亡率\t", TABLE_ONE_HEADER, TABLE_ONE)
    rate = answered("单位地区生产总值生产安全事故死亡率的全年目标是多少？", ranked(energy, deaths))
    assert rate.answer.text == "<0.01"
    green = row("新增绿地面积\t", TABLE_ONE_HEADER, TABLE_ONE)
    target = answered("表一中新增绿地面积的全年目标怎么表述？", ranked(green))
    assert target.answer.text == "完成市下达目标"
    ranks = row("2023 年\t54094", "指标 年份\t有效受理量\t先行联系评分\t满意度评分\t考核得分\t全市排名", "近三年市级考核情况")
    # the row alone, without the report's title on 12345 热线: rank it, whatever the confidence
    place = extract_answer("2023年12345热线在全市排第几名？", ranked(ranks), TEXTS, threshold=0.0)
    assert place.answer is not None and place.answer.text == "9"


def test_enumeration_keeps_the_bracket_its_last_item_opened() -> None:
    result = answered("除疫情类外，市民诉求最集中的前三位是哪几类？", ranked(para("房屋保障（13.39%）")))
    assert result.answer.text.endswith("（2.1%）")
