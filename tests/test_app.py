"""The chat page and its /ask endpoint, around a temp index of the seed corpus built with the fake embedder."""

from __future__ import annotations

import html
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support import free_port, top_k_shown

from qa.api import BulletinQA
from qa.app import CSS, build_app, check_host, launch, make_handlers, serve, sources_html
from qa.errors import BqaError

pytestmark = [  # noise from Gradio's queue internals on pandas 3, not from this code
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CONTRACT = {"id", "question", "answer", "abstained", "passages", "latency_ms"}
PASSAGE_KEYS = {"rank", "source", "start", "end", "doc_title", "section", "text", "score"}
BAD_INPUTS = ["", "   ", "x" * 100_000, "\x00\x01\x02", "😀🎉🔥", None]


@pytest.fixture(scope="module")
def index_dir(fake_index) -> Path:
    return fake_index  # conftest's session index of the seed bulletin (fake embedder)


@pytest.fixture(scope="module")
def engine(index_dir) -> BulletinQA:
    return BulletinQA.open(index_dir, CORPUS, build_if_missing=False)


@pytest.fixture(scope="module")
def server(engine):
    served = launch(build_app(engine), "127.0.0.1", free_port(), block=False)
    yield served.url
    served.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server, verbose=False)


def test_api_returns_the_json_contract(client, engine):
    out = client.predict("2025年本区地方政府债务限额是多少？", 3, api_name="/ask")
    assert out.keys() >= CONTRACT
    assert (out["answer"] is None) == out["abstained"]
    assert top_k_shown(out, 3)
    for p in out["passages"]:
        assert p.keys() >= PASSAGE_KEYS
        assert engine.index.texts[p["source"]][p["start"]:p["end"]]
    direct = engine.ask("2025年本区地方政府债务限额是多少？", top_k=3).to_dict()
    assert {k: v for k, v in out.items() if k != "latency_ms"} == {k: v for k, v in direct.items() if k != "latency_ms"}
    if out["answer"] is not None:
        a = out["answer"]
        assert engine.index.texts[a["source"]][a["start"]:a["end"]] == a["text"]


API_BAD_INPUTS = ["", "   ", "x" * 5_000, "\x00\x01\x02", "😀🎉🔥", None]


@pytest.mark.parametrize("bad", API_BAD_INPUTS, ids=["empty", "blank", "5k", "control", "emoji", "none"])
def test_api_bad_question_is_an_error_object(client, bad):
    out = client.predict(bad, 5, api_name="/ask")
    assert set(out) == {"error"}
    assert "Traceback" not in out["error"]


def test_api_question_over_the_body_limit_is_refused_with_413(server):
    import json

    body = json.dumps({"data": ["x" * 100_000, 5]}).encode()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(server + "/gradio_api/call/ask", data=body), timeout=10)
    assert err.value.code == 413 and "bytes" in json.loads(err.value.read())["error"]


@pytest.mark.parametrize("top_k", [0, 51, -3, 2.5, "five", True])
def test_api_bad_top_k_is_an_error_object(client, top_k):
    out = client.predict("区监委留置了多少人？", top_k, api_name="/ask")
    assert set(out) == {"error"} and "top" in out["error"]


def test_only_the_ask_endpoint_is_public(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}


@pytest.mark.parametrize("path", [
    "/file=../../etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../etc/passwd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/static/../../../../etc/passwd",
    "/assets/..%2f..%2f..%2f..%2fetc/passwd",
    "/gradio_api/file=" + str(CORPUS / "hongkou-2025-03.txt"),
])
def test_path_traversal_is_refused(server, path):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server + path, timeout=10)
    assert err.value.code in (403, 404)
    body = err.value.read().decode("utf-8", "replace")
    assert "root:" not in body and "虹口" not in body


def test_index_folder_is_not_served(server, index_dir):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{server}/gradio_api/file={index_dir / 'manifest.json'}", timeout=10)
    assert err.value.code in (403, 404)


def test_page_loads(server):
    with urllib.request.urlopen(server + "/", timeout=10) as resp:
        assert resp.status == 200


@pytest.mark.parametrize("bad", [*BAD_INPUTS, "<script>alert(1)</script>"])
def test_chat_bad_input_is_a_friendly_message(engine, bad):
    chat, _ = make_handlers(engine)
    box, messages, panel, _ = chat(bad, [], 5, [])
    assert box == (bad if isinstance(bad, str) and bad in BAD_INPUTS else "")  # refused: left in the box, to be mended
    assert [m["role"] for m in messages] == ["user", "assistant"]
    reply = messages[-1]["content"]
    assert "Traceback" not in reply and "<script" not in reply and "<script" not in panel
    assert len(messages[0]["content"]) < 1000  # a 100k question is echoed shortened


@pytest.mark.parametrize("bad", ["", "？？？", "问" * 1001])
def test_chat_says_why_a_question_is_refused_in_the_page_s_language(engine, bad):
    """The checks' own line in Chinese on the Chinese page (not 「无法回答这个问题：the question is empty…」), in English
    on the English one."""
    chat, _ = make_handlers(engine)
    zh = chat(bad, [], 5, [], "zh")[1][-1]["content"]
    assert zh.startswith("无法回答这个问题") and not re.search(r"[A-Za-z]", zh), zh
    en = chat(bad, [], 5, [], "en")[1][-1]["content"]
    if not bad.startswith("问"):  # a Chinese question is answered in Chinese whatever the page's language
        assert en.startswith("Cannot answer this question") and "question" in en[30:], en


def test_chat_reply_cites_numbered_passages(engine):
    chat, _ = make_handlers(engine)
    history = [{"role": "user", "content": [{"type": "text", "text": "earlier"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "reply"}]}]
    _, messages, panel, lang = chat("2025年本区地方政府债务限额是多少？", history, 3, [])
    assert lang == "zh"
    assert messages[:2] == [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}]
    reply = messages[-1]["content"]
    result = engine.ask("2025年本区地方政府债务限额是多少？", top_k=3)
    if result.answer is not None:
        assert reply.startswith("**")
        assert "<mark>" in panel
    assert "(#bqa-src-1)" in reply and "(#bqa-src-3)" in reply and "(#bqa-src-4)" not in reply  # citations link to cards
    assert "<details class=\"bqa-view\"" in panel and panel.count('class="bqa-src') >= 3


def test_a_shown_answer_says_how_sure_it_is_in_the_questions_language(engine):
    from qa.app import reply_markdown, sure_percent

    saved = engine.answerer.threshold
    engine.answerer.threshold = 0.0  # every best reading is shown, as with `bqa serve --threshold 0`
    try:
        zh = engine.ask("区监委留置了多少人？")
        en = engine.ask("How many people were placed in detention by the district supervisory commission?")
    finally:
        engine.answerer.threshold = saved
    assert zh.answer is not None and en.answer is not None
    assert f"可信度 {sure_percent(zh.answer.probability)}" in reply_markdown(zh)
    assert f"P(right) {sure_percent(en.answer.probability)}" in reply_markdown(en)


def test_a_near_certain_answer_is_not_shown_as_certain():
    from qa.app import sure_percent

    assert sure_percent(0.9995) == ">99%" and sure_percent(0.994) == "99%" and sure_percent(0.26) == "26%"
    assert sure_percent(0.001) == "<1%"


def test_a_why_question_gets_its_passages_and_says_why_in_both_languages(engine):
    """A why-question has no bold span even at threshold 0; the reply says that a why-question has no single exact
    answer (not that nothing was found), the JSON message too, and its passages follow."""
    from qa.app import reply_markdown

    saved = engine.answerer.threshold
    engine.answerer.threshold = 0.0
    try:
        zh = engine.ask("区监委为什么留置了37人？")
        en = engine.ask("Why did the district supervisory commission detain 37 people?")
        figure = engine.ask("区监委留置了多少人？")
    finally:
        engine.answerer.threshold = saved
    assert figure.answer is not None  # the same passages answer a question asking for the figure
    for result, heading in ((zh, "原因类问题没有单一的确切答案"), (en, "A why-question has no single exact answer")):
        assert result.answer is None and result.abstained and result.passages
        assert result.to_dict()["query"]["intent"] == "reason"
        assert heading in result.message and heading in reply_markdown(result)
        assert "公报中未找到确切答案" not in reply_markdown(result) and "No exact answer" not in reply_markdown(result)


def test_a_not_found_reply_lists_the_best_readings_passage_shown_from_below_top_k(engine):
    """Not sure of its best reading, the reply lists the closest three passages and, when it ranks below them and
    was shown for that reason, the best reading's passage too."""
    import dataclasses

    from qa.app import reply_markdown

    result = engine.ask("区监委留置了多少人？", top_k=8)
    assert len(result.passages) >= 8
    cites = lambda r: re.findall(r"#bqa-src-(\d+)\)", reply_markdown(r))  # noqa: E731
    plain = dataclasses.replace(result, answer=None, abstained=True, message="公报中未找到确切答案。",
                                passages=result.passages[:5], likeliest=())
    assert cites(plain) == ["1", "2", "3"]
    c = result.passages[7].chunk
    added = dataclasses.replace(plain, passages=(*result.passages[:5], result.passages[7]),
                                likeliest=((c.source, c.start, c.start + 1),))
    assert cites(added) == ["1", "2", "3", "8"]
    assert cites(dataclasses.replace(added, likeliest=())) == ["1", "2", "3"]  # a passage named for no reading


def test_an_abstentions_best_reading_passage_is_listed_and_named_in_the_reply_and_the_text(engine):
    """Through ask() itself: of the gold questions asked with top-k 1, those whose best reading (not sure enough)
    is read from a lower passage show that passage too, and both the page's reply and the text output name it in
    the question's language; no other passage is so named."""
    import json

    from support import shown_below

    from qa.api import likeliest_ranks
    from qa.app import reply_markdown
    from qa.render import render_text

    questions = [json.loads(line)["question"] for line in (CORPUS.parent / "eval" / "gold.jsonl").open(encoding="utf-8")]
    results = [engine.ask(q, top_k=1) for q in questions[:60]]
    added = [r for r in results if shown_below(r)]
    assert added, "no abstention of 60 questions showed its best reading's passage"
    for r in added:
        (rank,) = shown_below(r)
        assert r.answer is None and r.reason.value == "not_sure" and [p.rank for p in r.passages] == [1, rank]
        assert re.findall(r"#bqa-src-(\d+)\)", reply_markdown(r)) == ["1", str(rank)]
        label = {"zh": "最可能的读数所在段落", "en": "the passage of the likeliest reading"}[r.query.language]
        named = [line for line in reply_markdown(r).splitlines() if label in line]
        assert len(named) == 1 and f"#bqa-src-{rank})" in named[0]
        lines = [line for line in render_text(r).splitlines() if line.startswith("[")]
        assert [line.endswith(label + ("）" if r.query.language == "zh" else ")")) for line in lines] == [False, True]
        # the page's panel: that passage open beside the first (not folded under the related ones), its best
        # reading marked as such — no answer's yellow mark anywhere, no card styled as cited
        panel = sources_html(engine, r)
        folded = panel.split('<details class="bqa-related">', 1)
        assert f'id="bqa-src-{rank}"' in folded[0] and (len(folded) == 1 or f'id="bqa-src-{rank}"' not in folded[1])
        (source, start, end), = r.likeliest
        marked = re.findall(r'<mark class="bqa-likely"[^>]*>(.*?)</mark>', panel, flags=re.S)
        slice_ = "".join(html.escape(engine.index.texts[source][start:end], quote=True).split())
        assert marked and all("".join(m.split()) == slice_ for m in marked)  # the passage may close up its spaces
        assert "<mark>" not in panel and "bqa-cited" not in panel
    assert {r.query.language for r in added} == {"zh", "en"}  # both languages met
    assert all(not shown_below(r) for r in results if r.answer is not None)
    # within top-k too, the likeliest reading's passage is named as such (and opened in the panel); no other is
    labels = {"zh": "最可能的读数所在段落", "en": "the passage of the likeliest reading"}
    unsure = [r for r in (engine.ask(q, top_k=5) for q in questions[:30]) if r.likeliest]
    assert any(not shown_below(r) for r in unsure), "no abstention's best reading stood within top-k"
    for r in unsure:
        ranks = likeliest_ranks(r)
        assert ranks and ranks <= {p.rank for p in r.passages}
        named = {int(m) for line in reply_markdown(r).splitlines() if labels[r.query.language] in line
                 for m in re.findall(r"#bqa-src-(\d+)\)", line)}
        assert named == ranks
        folded = sources_html(engine, r).split('<details class="bqa-related">', 1)
        assert all(f'id="bqa-src-{k}"' in folded[0] for k in ranks)


def test_the_sources_panel_names_the_question_as_typed(engine):
    """The panel's head says the question the reader typed (「？」 full-width), not the normalised one the engine
    answers (NFKC: ?), and stays at the top of the panel as it scrolls."""
    chat, _ = make_handlers(engine)
    typed = "区监委留置了多少人？"
    _, _, panel, _ = chat(typed, [], 5, [])
    head = re.search(r'<details class="bqa-meta bqa-panel-head"><summary title="([^"]*)">(.*?)</summary>', panel)
    assert head and head.group(1) == head.group(2) == typed
    assert ".bqa-panel-head { position: sticky" in CSS


def test_no_dark_mode_rule_of_the_page_lists_several_selectors():
    """Gradio scopes a rule's .dark once: in `.dark a, .dark b { … }` only `a` matched, so the panel's quieter
    lines kept their light-mode grey on a dark card (2.7:1). Each dark-mode rule names one selector."""
    rules = re.findall(r"([^{}]*)\{[^}]*\}", re.sub(r"/\*.*?\*/", "", CSS, flags=re.S))
    dark = [r.strip() for r in rules if ".dark" in r]
    assert dark and all("," not in r for r in dark), dark


def test_doc_filter_limits_passages(engine):
    chat, _ = make_handlers(engine)
    doc_id, title = engine.documents[5]
    _, messages, panel, _ = chat("区监委留置了多少人？", [], 5, [doc_id])
    cited = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
    assert cited and all(title in line for line in cited)


def test_sources_panel_escapes_html(engine):
    result = engine.ask("<img src=x onerror=alert(1)> 债务限额", top_k=2)
    panel = sources_html(engine, result)
    assert "<img" not in panel and "&lt;img src=x onerror=alert(1)&gt;" in panel


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_non_loopback_host_needs_public(host):
    with pytest.raises(BqaError, match="--public"):
        check_host(host, public=False)
    check_host(host, public=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_host_is_allowed(host):
    check_host(host, public=False)


def test_serve_refuses_non_loopback_before_loading(tmp_path):
    with pytest.raises(BqaError, match="--public"):
        serve(index_dir=tmp_path / "none", corpus_dir=tmp_path / "none", host="0.0.0.0", port=free_port())
    assert not (tmp_path / "none").exists()


def test_highlight_escapes_inside_and_outside_marks():
    from qa.app import _highlight, _passage_spans

    assert _highlight("a<b>c&", 10, [(11, 14, "<mark>", "</mark>")]) == "a<mark>&lt;b&gt;</mark>c&amp;"
    spans = _passage_spans(12, 20, [(14, 16, "<mark>", "</mark>")])
    assert _highlight("0123456789abcdef", 10, spans) == (
        '01<span class="bqa-hit">23</span><mark>45</mark><span class="bqa-hit">6789</span>abcdef')


def test_a_cited_figure_is_marked_in_a_passage_whose_spaces_were_closed_up():
    """A chunk's text closes up the source's spaces (「391.9 亿元」 → 「391.9亿元」): the passage still marks the cited
    figure, at the place it was cited when the same figure stands there twice; a table row's text is searched by
    value whatever its spacing."""
    from qa.app import _loose_find, _same_chars

    source_before, value = "限额 391.9 亿元，其中专项债务限额 ", "391.9 亿元"
    chunk = "限额391.9亿元，其中专项债务限额391.9亿元。"
    second = _same_chars(chunk, source_before, value)
    assert second is not None and chunk[second[0]:second[1]] == "391.9亿元" and second[0] == chunk.rindex("391.9")
    assert _same_chars(chunk, "限额 ", value) == (2, 9)
    assert _same_chars("短", "很长的一段话", "1 亿元") is None  # beyond the text: nothing marked
    assert _same_chars(chunk, "限额 ", "") is None and _same_chars(chunk, "限额 ", " ") is None
    assert _loose_find("专项债务｜2025：391.9亿元", value).group() == "391.9亿元"
    assert _loose_find("一般债务 101.5 亿元", "101.5亿元").group() == "101.5 亿元"
    assert _loose_find("无此数", value) is None and _loose_find("任何", " ") is None


def test_port_in_use_is_one_clear_error(engine):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        app = build_app(engine)
        with pytest.raises(BqaError, match="in use.*--port"):
            launch(app, "127.0.0.1", busy.getsockname()[1], block=False, quiet=True)


@pytest.mark.parametrize(("kind", "text", "answer", "unit"), [
    ("table_row", "表一｜指标名称：新增各类人才｜单位：人｜全年计划目标：约12000｜上半年完成情况：6250", "6250", "人"),
    ("table_row", "表2 一般公共预算收入（单位：万元）｜项目：税收收入｜决算数：12,345", "12,345", "万元"),
    ("table_row", "表一｜指标名称：增速｜单位：%｜上半年：7.8", "7.8", "%"),
    ("table_row", "表一｜指标名称：新增各类人才｜上半年完成情况：6250", "6250", ""),  # no unit stated
    ("table_row", "表一｜单位：人｜上半年完成情况：6250人", "6250人", ""),  # the answer has its unit
    ("paragraph", "单位：人。新增各类人才6250", "6250", ""),  # only tables
    ("table_row", "表一（单位：万元）｜项目：配套费｜完成预算%：110.0%", "110.0%", ""),  # a percentage: not 万元
])
def test_a_bare_table_number_is_shown_with_the_tables_unit(kind, text, answer, unit):
    from types import SimpleNamespace

    from qa.app import _table_unit

    cited = SimpleNamespace(chunk=SimpleNamespace(kind=kind, text=text))
    assert _table_unit(SimpleNamespace(display=answer, text=answer), cited) == unit


@pytest.mark.parametrize("question, said, not_said", [
    ("2025年哪一类商品零售额增长最快？", "在列出的各项中比较，前两位：", "由以下数字计算"),
    ("Which category's retail sales grew the fastest in 2025?", "ranked among the listed items, the first two:",
     "computed from"),
    ("一般债务和专项债务哪个多？", "由以下数字计算：", "在列出的各项中比较"),
])
def test_a_rank_answer_introduces_its_clauses_as_a_ranking_not_a_computation(question, said, not_said):
    """A rank answer's two operands are the winner's and the runner-up's clauses, not figures a result was computed
    from: the page says so in the question's language; a comparison keeps 「由以下数字计算」."""
    from qa.api import AskResult
    from qa.app import reply_markdown
    from qa.query import analyze
    from qa.types import Answer, Operand

    query = analyze(question)
    clause = Operand("化妆品类增长43.1%", "a.txt", 0, 12, 43.1, "%", 1)
    runner_up = Operand("文化办公用品类增长33.7%", "a.txt", 13, 28, 33.7, "%", 1)
    answer = Answer("化妆品类", "a.txt", 0, 4, 1, "comparison", 0.9, operands=(clause, runner_up))
    reply = reply_markdown(AskResult(question, query, answer, False, None, (), 1.0))
    assert said in reply and not_said not in reply
    assert "**化妆品类增长43.1%**" in reply and "**文化办公用品类增长33.7%**" in reply


def test_the_reply_bolds_the_figure_where_it_was_cited_and_quotes_whole_clauses(engine):
    """A figure said twice in its passage (「额度为14.19亿元，…额度14.19亿元将全部用于…」) is bolded where the answer
    cites it, as the 来源段落 panel marks it (a reader's trial saw the first one bolded, the second marked); the quote
    starts and ends at a clause's edge, not mid-word."""
    from qa.api import AskResult
    from qa.app import _excerpt, reply_markdown
    from qa.types import Answer, Chunk, Passage

    text = "市财政局下达本区2025年再融资债券额度为14.19亿元，其中：一般债券14.19亿元。按照到期情况，再融资债券额度14.19亿元将全部用于偿还本金。"
    second = text.index("14.19亿元将")
    chunk = Chunk("c1", "a.txt", "a#01", "报告", (), "paragraph", (), text, text, 0, len(text))
    answer = Answer("14.19亿元", "a.txt", second, second + 7, 1, "number", 0.96, display="14.19亿元")
    result = AskResult("2025年再融资债券额度是多少？", None, answer, False, None, (Passage(chunk, 1.0, 1),), 1.0)
    quote = next(line for line in reply_markdown(result, {"a.txt": text}).split("\n\n") if line.startswith(">"))
    assert "额度**14.19亿元**将全部用于" in quote and "额度为**14.19亿元**" not in quote
    assert "额度为**14.19亿元**" in reply_markdown(result)  # without the source texts: where it first stands
    long = "甲" * 80 + "，乙方投入资金" + "52.6亿元" + "用于民生，丙" + "丁" * 80
    excerpt = _excerpt(long, "52.6亿元")
    assert excerpt.startswith("…乙方投入资金") and excerpt.endswith("用于民生，…")  # whole clauses, not 「甲甲…」


def _language_switch(app):
    """The page's language switch: the function of the language and the chat that relabels the page's controls."""
    return next(f for f in app.fns.values() if len(f.inputs) == 2 and len(f.outputs) > 5)


def test_the_switch_relabels_the_sources_panel_whenever_it_shows_only_its_hint(engine):
    """The page keeps, on the server, whether the 来源段落 panel shows only its hint: before any question, after a
    refused question (no passages) and after 清除 it does, and the switch relabels it; passages shown stay."""
    from qa.app import TEXTS

    app = build_app(engine)
    switch = _language_switch(app)
    chat = next(f for f in app.fns.values() if f.name == "chat")
    assert chat.outputs[-1] is switch.inputs[1]  # the chat sets what the switch reads
    *_, empty = chat.fn("", [], 5, [], "zh")  # refused: an empty question
    assert empty is True and TEXTS["en"]["empty"] in switch.fn("en", empty)[-1]
    *_, empty = chat.fn("区监委留置了多少人？", [], 5, [], "zh")
    kept = switch.fn("en", empty)[-1]
    assert empty is False and not isinstance(kept, str) and not getattr(kept, "value", None)  # no change
    assert TEXTS["en"]["empty"] in switch.fn("en", None)[-1]  # a session's first value: the hint


def test_the_example_questions_are_offered_only_where_their_bulletin_is(engine, tmp_path):
    from qa.app import EXAMPLES, page_examples
    from qa.index.store import build_index
    from qa.slot import EngineSlot

    assert page_examples(EngineSlot(None, None, engine=engine)) == EXAMPLES  # the seed index
    assert page_examples(EngineSlot(tmp_path / "index", CORPUS)) == EXAMPLES  # the seed corpus, still to build
    other = tmp_path / "other"
    other.mkdir()
    (other / "report.txt").write_text("某市2025年财政预算执行情况的报告\n\n一、收入\n\n全市一般公共预算收入120.5亿元，增长3.2%。\n",
                                      encoding="utf-8")
    assert page_examples(EngineSlot(tmp_path / "index", other)) == []
    build_index(other, tmp_path / "index", "fake")
    theirs = BulletinQA.open(tmp_path / "index", other, build_if_missing=False)
    assert page_examples(EngineSlot(None, None, engine=theirs)) == []
    app = build_app(theirs)  # the page of another corpus: no examples, and its language switch still fits
    assert not any(q in str(app.config) for q in EXAMPLES)
    switch = _language_switch(app)
    assert len(switch.fn("en", True)) == len(switch.outputs)
    seed_switch = _language_switch(build_app(engine))
    assert len(seed_switch.fn("en", True)) == len(seed_switch.outputs) == len(switch.outputs) + 1
    assert any(q in str(build_app(engine).config) for q in EXAMPLES)


def test_a_report_added_after_the_page_was_built_can_be_chosen(engine):
    """A page trial's crash: after an upload, choosing the new report in 限定报告 failed in the guard and in
    Gradio's own check of the dropdown, both of which knew only the reports of start-up."""
    from qa.guard import _input_check

    app = build_app(engine)
    docs = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "bqa-docs")
    later = ["uploads/qingpu-2025-budget#01"]
    assert docs.preprocess(later) == later
    check = _input_check(docs)
    assert check(later) and check([]) and not check("uploads/qingpu-2025-budget#01") and not check([5])
    assert not check(["x" * 5_000])
    chat, _ = make_handlers(engine)
    _, messages, _, _ = chat("2025年本区地方政府债务限额是多少？", [], 5, later)  # an id it does not know: all reports
    assert messages[-1]["role"] == "assistant"


def test_a_reloaded_page_shows_the_reports_of_now(engine, index_dir):
    """A page trial: a page loaded after uploads said 「29 份报告（1 个文件）」 and offered only those reports,
    because both were read when the page was built. Each page load now reads them again."""
    from qa.slot import EngineSlot

    slot = EngineSlot(index_dir, CORPUS, engine=engine)
    app = build_app(slot)
    slot.engine = engine.__class__.open(index_dir, CORPUS, build_if_missing=False)  # a build swapped the engine
    slot.engine._documents = slot.engine._documents[:3]  # … and it holds other reports now
    load = next(f for f in app.fns.values() if getattr(f.fn, "__name__", "") == "loaded")
    status, docs, version, _ = load.fn("zh")
    assert "3 份报告" in status
    assert [value for _, value in docs.choices] == [d for d, _ in slot.engine.documents]


@pytest.mark.parametrize(("question", "unit", "said"), [
    ("上半年新增了多少各类人才？", "人", "（单位：人）"),
    ("How many new talents were added?", "人", "(unit: people)"),  # not "(unit: 人)" in an English reply
    ("How much was the budget?", "万元", "(unit: 10,000 yuan)"),
    ("How many boats?", "艘", "(unit: 艘)"),  # a unit the list lacks stays as printed
])
def test_a_table_units_note_speaks_the_replys_language(question, unit, said):
    from qa.api import AskResult
    from qa.app import _answer_block
    from qa.query import analyze
    from qa.types import Answer, Chunk, Passage

    answer = Answer(text="6250", source="a.txt", start=0, end=4, passage_rank=1, kind="table_cell", probability=0.97,
                    display="6250", unit=unit)
    text = f"表一｜单位：{unit}｜上半年完成情况：6250"
    chunk = Chunk("a#01:0001", "a.txt", "a#01", "报告", (), "table_row", ("a#01:0001",), text, text, 0, 4)
    result = AskResult(question, analyze(question), answer, False, None, (Passage(chunk, 1.0, 1),), 1.0)
    assert said in _answer_block(result).splitlines()[0]


def test_a_not_found_line_names_the_reports_the_question_was_limited_to(engine):
    """A reader who chose one report in 限定报告 and got no answer is told the answer was not found there, not in
    the bulletins: the other reports may hold it."""
    chat, _ = make_handlers(engine)
    doc_ids = [d for d, _ in engine.documents]
    question = "2031年月球基地建设资金是多少？"
    for chosen, said in (([doc_ids[5]], "所选报告中未找到确切答案"), (doc_ids[5:7], "所选的 2 份报告中未找到确切答案"),
                         ([], "公报中未找到确切答案"), (doc_ids, "公报中未找到确切答案")):
        _, messages, _, _ = chat(question, [], 5, chosen)
        assert messages[-1]["content"].startswith(f"### {said}")
    _, messages, _, _ = chat("What was the 2031 moon base budget?", [], 5, doc_ids[5:8])
    assert messages[-1]["content"].startswith("### No exact answer was found in the 3 selected reports")
    _, messages, _, _ = chat("What was the 2031 moon base budget?", [], 5, [doc_ids[5]])
    assert messages[-1]["content"].startswith("### No exact answer was found in the selected report\n")


def test_the_page_says_when_no_loaded_bulletin_mentions_the_place_asked_about(engine):
    """`bqa ask` says 「已载入的公报都没有提到成都…」; the page said only 「公报中未找到确切答案」, as if the bulletins
    were about 成都 and lacked the figure."""
    chat, _ = make_handlers(engine)
    for question, said in (("成都市2025年政府债务限额是多少？", "已载入的公报都没有提到成都"),
                           ("What is Chengdu's 2025 debt limit?", "None of the loaded bulletins mentions 成都")):
        _, messages, _, _ = chat(question, [], 5, [])
        reply = messages[-1]["content"]
        assert reply.startswith("### ") and said in reply
        assert "以下段落可能相关" not in reply and "These passages may be relevant" not in reply  # said once, in it
    _, messages, _, _ = chat("2031年月球基地建设资金是多少？", [], 5, [])  # the plain line says nothing more
    assert messages[-1]["content"].split("\n\n")[1].startswith("以下段落可能相关")
