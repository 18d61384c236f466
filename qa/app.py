"""The chat page: a Gradio Blocks app over a ``BulletinQA`` or an ``EngineSlot`` still building one.

    bqa serve                          # http://127.0.0.1:7860; the page opens at once, the index loads or builds
    from qa.app import build_app, launch
    server = launch(build_app(engine), port=7861, block=False)   # in tests; then server.close()

Layout: a status line (the index's build progress), the chat (the answer first and largest, citations that
open their passage) on the left; the cited passages with the answer highlighted and opened in their document
on the right; a 中文/English switch for every label; with uploads allowed, an "add bulletins" control. ``/ask`` (api_name="ask") returns
exactly the ``bqa ask --json`` object. Everything shown is HTML-escaped. The page is mounted in our own
FastAPI app and served by uvicorn behind ``qa.guard.Guard``: only the page's routes and ``/ask`` answer,
only loopback is bound (and only localhost Host headers answered) unless ``public=True``, and SIGTERM
drains the answers in flight before the process exits.
"""

from __future__ import annotations

import errno
import functools
import html
import ipaddress
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import gradio as gr

from qa import guard
from qa.answer import Abstention
from qa.api import MAX_TOP_K, AskResult, BulletinQA, likeliest_ranks
from qa.errors import BqaError
from qa.labels import WORDS
from qa.paths import default_corpus, default_index
from qa.query import Intent, Operation
from qa.questions import MAX_QUESTION_CHARS
from qa.render import needs_unit, unit_in
from qa.slot import MAX_UPLOAD_BYTES, EngineSlot
from qa.types import Answer, Passage

log = logging.getLogger(__name__)

CONCURRENCY = 4  # answers computed at once, page and API together; more requests wait in Gradio's queue
QUEUE_SIZE = 256
SESSIONS = 256  # Gradio keeps ~40 KB of per-session state; the page needs none, so only the newest are kept
BOX_CHARS = 4 * MAX_QUESTION_CHARS  # longer pastes are cut in the browser; the reply still says "too long"
HISTORY_CHARS = 8_000  # the chat sent back with each question is cut to its newest messages of this size
SLIDER_MAX_K = 10
ECHO_CHARS = 300  # a very long question is echoed in the chat shortened to this
CONTEXT_AROUND = 1  # neighbouring chunks shown each side when a passage is expanded

# The example questions ask about the shipped bulletin, so the page offers them only where that bulletin is indexed
# (page_examples); elsewhere they would ask about a document the reader does not have.
EXAMPLES_SOURCE = "hongkou-2025-03.txt"
EXAMPLES = [
    "集中整治以来，全区监察组织一共掌握处置了多少件问题线索？",
    "上半年共投入多少资金用于保障和改善民生？",
    "How many new talents were added in the first half?",  # Gradio cuts a longer example short on the page
    "2025年再融资债券额度是多少？",
]

NOT_FOUND = "公报中未找到答案。"
TITLE = "公报问答 · Bulletin QA"
INTRO = (
    "就人大常委会公报提问：回答是公报原文中的确切数字或词句，并附出处段落与字符位置。"
    "公报未提及的内容会如实说明。"
)
INTRO_EN = ("Ask about People's Congress standing-committee bulletins: the answer is the exact figure or words of "
            "the bulletin, with the passage and place it comes from. What the bulletins do not say is said so.")

CSS = """
.bqa-sources { font-size: 0.92rem; line-height: 1.6; max-height: 720px; overflow-y: auto; padding-right: 4px;
               background: var(--block-background-fill); }
.bqa-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 0 0 10px 0;
           background: var(--background-fill-secondary); }
.bqa-src.bqa-cited { border-color: #d9a400; box-shadow: 0 0 0 1px #d9a40055; }
.bqa-src.bqa-flash { box-shadow: 0 0 0 3px #d9a400; }
.bqa-src-head { font-weight: 600; }
.bqa-src-meta { color: var(--body-text-color-subdued); font-size: 0.82rem; margin: 2px 0 6px 0;
                font-family: var(--font-mono); }
.bqa-text { white-space: pre-wrap; word-break: break-word; margin: 0; }
.bqa-src mark { background: #ffe066; color: #000; padding: 0 2px; border-radius: 3px; font-weight: 600; }
.bqa-src mark.bqa-likely { background: none; color: var(--body-text-color); font-weight: normal; padding: 0;
                          border-bottom: 2px dotted #b07f00; border-radius: 0; }
.bqa-likely-note { font-size: 0.82rem; margin: 0 0 4px 0; }
.bqa-src details { margin-top: 6px; }
.bqa-src summary { cursor: pointer; color: var(--link-text-color); font-size: 0.85rem; }
.bqa-ctx { white-space: pre-wrap; word-break: break-word; color: var(--body-text-color-subdued);
           border-left: 3px solid var(--border-color-primary); padding-left: 8px; margin-top: 4px; }
.bqa-ctx .bqa-hit { color: var(--body-text-color); }
.bqa-empty { color: var(--body-text-color-subdued); }
/* the panel's head (the question) stays in view while its passages scroll under it, on the panel's background */
.bqa-panel-head { position: sticky; top: 0; z-index: 1; background: var(--block-background-fill); padding: 2px 0 4px 0; }
/* one line (the whole question in its tooltip), so a card scrolled to below it is never under a head of four lines */
.bqa-panel-head > summary { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bqa-src { scroll-margin-top: 2.2rem; }  /* a card a citation scrolls to starts below the head, not under it */
#bqa-chat h3 { font-size: 1.6rem; line-height: 1.3; margin: 0.1em 0 0.3em 0; }
/* room under the chat's label (问答), which a long question's bubble ran under on a phone */
#bqa-chat .bubble-wrap { padding-top: 2.6rem; }
.bqa-src-where { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 2px 0 6px 0; }
.bqa-related > summary, .bqa-meta > summary { cursor: pointer; color: var(--link-text-color); font-size: 0.85rem; }
/* the panel's quieter lines: the theme's subdued grey is 1.8:1 on a light card, too faint to read. One rule per
   selector in dark mode: Gradio scopes a rule's .dark once, so .dark a, .dark b matched only a */
.bqa-likely-note, .bqa-src-where, .bqa-src-meta, .bqa-ctx { color: #5c5c66; }
.dark .bqa-likely-note { color: var(--body-text-color-subdued); }
.dark .bqa-src-where { color: var(--body-text-color-subdued); }
.dark .bqa-src-meta { color: var(--body-text-color-subdued); }
.dark .bqa-ctx { color: var(--body-text-color-subdued); }
/* the panel's links in dark mode: the theme's blue is 4.0:1 on a dark card, under 4.5:1 for small text */
.dark .bqa-related > summary { color: #8ab4f8; }
.dark .bqa-meta > summary { color: #8ab4f8; }
/* a phone: the title and its intro take the whole width, the language switch goes under them */
@media (max-width: 640px) { .row:has(> #bqa-header) { flex-wrap: wrap; } #bqa-header { flex: 1 1 100%; } }
"""

# After a reply: the latest question at the top of the chat, so the answer's first line is in view (on a phone the
# page scrolls too); Gradio's autoscroll would show the reply's last line instead.
SHOW_LATEST_JS = """() => {
  // a new answer's passages from the top, not scrolled as far as the last answer's were
  const panel = document.querySelector('#bqa-sources .bqa-sources');
  if (panel) panel.scrollTop = 0;
  const rows = document.querySelectorAll('#bqa-chat .message-row.user-row');
  const last = rows[rows.length - 1];
  if (!last) return;
  let box = last.parentElement;
  while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 4 &&
         ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
  // the question just under the chat's label (问答), not beneath it
  if (box && box !== document.body) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
  // a phone scrolls the page to the chat's top (scrollIntoView would scroll the chat box too, the question under
  // its label)
  const chat = document.getElementById('bqa-chat');
  if (window.innerWidth < 700 && chat) window.scrollTo({top: window.scrollY + chat.getBoundingClientRect().top - 8});
}"""

# A citation 「[n]」 in a reply opens passage card n (its related-passages fold and its document view) and scrolls
# to it, instead of following the link; installed once in the page's <head>.
CITE_JS = """<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#bqa-src-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const card = document.getElementById(link.getAttribute('href').slice(1));
  if (!card) return;
  const fold = card.closest('details.bqa-related');
  if (fold) fold.open = true;
  const view = card.querySelector('details.bqa-view');
  if (view) view.open = true;
  card.scrollIntoView({block: 'start'});
  card.classList.add('bqa-flash');
  setTimeout(() => card.classList.remove('bqa-flash'), 1500);
}, true);
</script>"""

THEME = gr.themes.Default(font=[gr.themes.LocalFont("Source Sans Pro"), "PingFang SC", "Microsoft YaHei",
                                 "Noto Sans CJK SC", "WenQuanYi Micro Hei", "ui-sans-serif", "system-ui", "sans-serif"])

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~$!])")


def _md(text: str) -> str:
    """Text shown literally inside the chat's Markdown: HTML-escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _where(p: Passage) -> str:
    return " ▸ ".join(x for x in (p.chunk.doc_title, p.chunk.section) if x)


# --- the chat reply ---------------------------------------------------------------------------------


TEXTS = {  # every message of the page, in both languages (the reply follows the question's language)
    "zh": {"not_found": "公报中未找到确切答案", "not_found_one": "所选报告中未找到确切答案", "not_found_some": "所选的 {n} 份报告中未找到确切答案", "reason": "原因类问题没有单一的确切答案", "related": "以下段落可能相关", "source": "来源", "page": WORDS["zh"]["page"],
           "see": "见来源段落 {r}", "others": "其他可能的答案", "computed": "由以下数字计算", "ranked": "在列出的各项中比较，前两位", "sure": WORDS["zh"]["sure"] + " {p}", "yes": "是", "no": "否",
           "error": "无法回答这个问题", "oops": "出错了，请稍后再试或换个问法。", "more": "其他相关段落见「来源段落」。",
           "view": "在原文中查看（{where}第 {a}–{b} 字）", "details": "详情", "chars": "第 {a}–{b} 字", "also": WORDS["zh"]["also"] + " {where}",
           "answer_at": "答案", "related_passages": "相关段落", "likeliest": WORDS["zh"]["likeliest"], "likely_title": "最可能的读数（可信度不足，未作为答案）", "likely_at": "最可能的读数",
           "likely_note": "虚线标出的是最可能的读数：可信度不足，未作为答案给出，请对照原文判断。", "empty": "提问后，这里显示引用的公报段落（答案以黄色标出）。",
           "not_ready": "索引还在建立中（{pct}%），建好后即可提问。", "unit": "单位：{u}", ":": "：", ";": "；", "(": "（", ")": "）"},
    "en": {"not_found": "No exact answer was found in the bulletins", "not_found_one": "No exact answer was found in the selected report",
           "not_found_some": "No exact answer was found in the {n} selected reports", "reason": "A why-question has no single exact answer",
           "related": "These passages may be relevant",
           "source": "Source", "page": WORDS["en"]["page"], "see": "source passage {r}", "others": "Other possible answers",
           "computed": "computed from", "ranked": "ranked among the listed items, the first two", "sure": WORDS["en"]["sure"] + " {p}", "yes": "Yes", "no": "No", "error": "Cannot answer this question",
           "oops": "Something went wrong; please try again or rephrase.", "more": "More related passages are under Source passages.",
           "view": "View in the document ({where}characters {a}–{b})", "details": "Details",
           "chars": "characters {a}–{b}", "also": WORDS["en"]["also"] + " {where}", "answer_at": "answer", "related_passages": "Related passages", "likeliest": WORDS["en"]["likeliest"],
           "likely_title": "the likeliest reading (not sure enough to be the answer)", "likely_at": "likeliest reading",
           "likely_note": "Dotted underline: the likeliest reading, not sure enough to be given as the answer; check it against the text.",
           "empty": "Ask a question: the bulletin passages it cites appear here, the answer marked in yellow.",
           "not_ready": "The index is still being built ({pct}%); questions are answered as soon as it is ready.",
           ":": ": ", ";": "; ", "(": "(", ")": ")", "unit": "unit: {u}"},
}

UI = {  # the page's own labels; the 中文/English switch picks one set
    "zh": {"intro": INTRO, "chat": "问答", "box": "输入问题，按回车提问",
           "placeholder": "例如：2025年一般公共预算收入是多少？谁作的预算执行情况报告？",  # any bulletin's, not the seed's
           "send": "提问", "examples": "示例问题（点击即问）", "settings": "检索设置", "docs": "限定报告",
           "docs_info": "留空即检索全部 {n} 份报告；可选一份或多份。", "top_k": "引用段落数（top-k）",
           "sources": "#### 来源段落", "add": "添加公报", "upload": "PDF、OFD、DOCX、DOC、WPS、XLSX、XLS、ET、TXT、MD 或 HTML，每个不超过 {mb} MB",
           "added": "已加入：{names}。正在更新索引…", "rejected": "未加入：{why}",
           "building": "正在建立索引：{stage} {pct}%（{s} 秒）。建好后即可提问。",
           "ready": "索引已就绪：{docs} 份报告（{files} 个文件）。", "failed": "索引未能更新：{why}",
           "skipped": "未能读取、未收入索引的文件：{why}",
           "stages": {"scan": "检查文件", "parse": "解析", "embed": "向量化", "index": "建立检索", "done": "载入",
                      "load": "载入"}},
    "en": {"intro": INTRO_EN, "chat": "Questions",
           "placeholder": "e.g. What was the general public budget revenue in 2025? Who presented the budget report?",
           "box": "Type a question and press Enter", "send": "Ask", "examples": "Example questions (click to ask)",
           "settings": "Search settings", "docs": "Only these reports",
           "docs_info": "Leave empty to search all {n} reports; pick one or more.",
           "top_k": "Passages cited (top-k)", "sources": "#### Source passages", "add": "Add bulletins",
           "upload": "PDF, OFD, DOCX, DOC, WPS, XLSX, XLS, ET, TXT, MD or HTML, up to {mb} MB each",
           "added": "Added: {names}. Updating the index…", "rejected": "Not added: {why}",
           "building": "Building the index: {stage} {pct}% ({s} s). Questions are answered once it is ready.",
           "ready": "Index ready: {docs} reports ({files} file{s}).", "failed": "The index could not be updated: {why}",
           "skipped": "Files that could not be read and are not in the index: {why}",
           "stages": {"scan": "checking files", "parse": "parsing", "embed": "embedding", "index": "indexing",
                      "done": "loading", "load": "loading"}},
}


def _lang(result: AskResult | None, question: object = None) -> str:
    if result is not None and result.query is not None:
        return result.query.language
    from qa.query import language_of

    return language_of(question) if isinstance(question, str) else "zh"


_CLAUSE_ENDS = "。；！？，：、"


def _excerpt(text: str, answer: str, width: int = 60, at: tuple[int, int] | None = None) -> str:
    """The passage around the answer, the answer in bold (Markdown, escaped): at ``at`` (its place in ``text``,
    from its cited offsets: a figure said twice is bolded where it was cited), else where ``answer`` first stands.
    The excerpt starts and ends at a clause's edge when one lies within ``width`` characters (not mid-word)."""
    if at is None:
        found = text.find(answer) if answer else -1
        at = (found, found + len(answer)) if found >= 0 else None
    if at is None:
        return _md(text[: width * 2] + ("…" if len(text) > width * 2 else ""))
    start, end = at
    lo, hi = max(0, start - width), min(len(text), end + width)
    if lo > 0 and (cuts := [i for i in range(lo, start) if text[i] in _CLAUSE_ENDS]):
        lo = cuts[0] + 1  # after the first clause end in the window: the clause the answer is in, and more
    if hi < len(text) and (cuts := [i for i in range(end, hi) if text[i] in _CLAUSE_ENDS]):
        hi = cuts[-1] + 1
    pre = ("…" if lo > 0 else "") + text[lo:start]
    post = text[end:hi] + ("…" if hi < len(text) else "")
    return f"{_md(pre)}**{_md(text[start:end])}**{_md(post)}"


def _answer_span(full: str, c, start: int, end: int) -> tuple[int, int] | None:
    """Where the source slice ``full[start:end]`` stands in chunk ``c``'s text (which may have its spaces closed
    up, or be a table row's caption｜header：cell): by position where the text keeps the source's characters,
    else by value."""
    if not c.start <= start < end <= c.end:
        return None
    if full[c.start:c.end] == c.text:
        return start - c.start, end - c.start
    if "".join(full[c.start:c.end].split()) == "".join(c.text.split()):
        return _same_chars(c.text, full[c.start:start], full[start:end])
    m = _loose_find(c.text, full[start:end])
    return m.span() if m else None


_TABLE_UNIT = re.compile(r"(?:计量)?单位[：:]\s*([^｜|\s）)，。；]{1,8})")


def _table_unit(answer: Answer, cited: Passage | None) -> str:
    """The unit a table states for a bare number from one of its cells (the row's 单位 cell, else the caption's),
    shown beside the answer, which stays the cell exactly as printed."""
    if cited is None or cited.chunk.kind != "table_row" or not needs_unit(answer.display or answer.text):
        return ""
    found = _TABLE_UNIT.search(cited.chunk.text)
    return found.group(1) if found else ""


def sure_percent(p: float) -> str:
    """P(right) as a percentage a reader can trust: 0.9995 is no certainty, so it reads >99 %, not 100 %."""
    return ">99%" if p >= 0.995 else "<1%" if p < 0.005 else f"{p:.0%}"


def _cite(rank: int) -> str:
    """「[n]」 as a link to passage card n: CITE_JS opens it in its document and scrolls to it."""
    return f"[\\[{rank}\\]](#bqa-src-{rank})"


_OWN_MESSAGE = frozenset({Abstention.UNMENTIONED_PLACE, Abstention.NO_PASSAGES})  # says why in its own words


def _answer_block(result: AskResult, texts: Mapping[str, str] | None = None, selected: int = 0) -> str:
    t = TEXTS[_lang(result)]
    a = result.answer
    if a is None:
        why = result.query is not None and result.query.intent is Intent.REASON  # the passages are its answer
        head = t["reason"] if why else t["not_found"] if not selected else \
            t["not_found_one"] if selected == 1 else t["not_found_some"].format(n=selected)
        # a message of its own (no loaded bulletin mentions the place asked about, no passage matches the filters)
        # says why, under the heading
        said = result.message or "" if result.reason in _OWN_MESSAGE else ""
        # the passages are introduced once: the message itself says what they are (以下只是最接近的段落)
        related = "" if said or not result.passages else f"\n\n{t['related']}{t[':']}"
        return f"### {head}" + (f"\n\n{_md(said)}" if said else "") + related
    shown = a.display or a.text
    cited = next((p for p in result.passages if p.rank == a.passage_rank), None)
    unit = _table_unit(a, cited)
    unit_note = f" <small>{t['(']}{_md(t['unit'].format(u=unit_in(unit, _lang(result))))}{t[')']}</small>" if unit else ""
    head = (f"### **{t[a.verdict]}** — {_md(shown)}" if a.verdict is not None else f"### **{_md(shown)}**") + unit_note
    where = _md(_where(cited) if cited else a.source)
    page = f" · {t['page'].format(n=a.page)}" if a.page else ""
    sure = f" · {t['sure'].format(p=sure_percent(a.probability))}" if a.probability else ""
    lines = [head, f"{t['source']}{t[':']}{where}{page} {t['(']}{t['see'].format(r=_cite(a.passage_rank))}{t[')']}"
                   f"{_md(sure)}"]
    if a.operands:
        ranked = result.query is not None and result.query.operation is Operation.RANK  # the winner and the runner-up
        lines.append(f"{t['ranked' if ranked else 'computed']}{t[':']}" + t[";"].join(f"**{_md(o.text)}** {_cite(o.passage_rank)}"
                                                               for o in a.operands))
    elif cited is not None:
        full = (texts or {}).get(a.source)
        at = _answer_span(full, cited.chunk, a.start, a.end) if full and a.source == cited.chunk.source else None
        lines.append("> " + _excerpt(cited.chunk.text, shown, at=at))
    if a.alternatives:
        alts = t[";"].join(f"{_md(x.display or x.text)} [{x.passage_rank}]" for x in a.alternatives)
        lines.append(f"{t['others']}{t[':']}{alts}")
    return "\n\n".join(lines)


def reply_markdown(result: AskResult, texts: Mapping[str, str] | None = None, selected: int = 0) -> str:
    """The assistant's message: the answer first and largest with its one citation (or the not-found line and the
    closest passages), in the question's language. ``texts`` (the index's source texts) put the bold where the
    answer was cited; ``selected``: how many reports the question was limited to (0: all), which a not-found line
    names."""
    t = TEXTS[_lang(result)]
    parts = [_answer_block(result, texts, selected)]
    if result.answer is None and result.passages:  # the closest three, and the best reading's passages (within
        # top-k or shown from below it: qa.api.likeliest_ranks), said so
        likely = likeliest_ranks(result)
        listed = [p for k, p in enumerate(result.passages) if k < 3 or p.rank in likely]
        parts.append("\n".join(f"{_cite(p.rank)} {_md(_where(p))}"
                                + (f" {t['(']}{t['likeliest']}{t[')']}" if p.rank in likely else "") for p in listed))
    elif result.passages[1:]:
        parts.append(t["more"])
    return "\n\n".join(parts)


# --- the sources panel ------------------------------------------------------------------------------


def _highlight(text: str, offset: int, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """Escape ``text`` (which starts at source offset ``offset``) wrapping the non-overlapping absolute
    ``spans`` (start, end, opening tag, closing tag) in their tags."""
    out, pos = [], 0
    for start, end, opening, closing in sorted(spans):
        s, e = max(start - offset, pos), min(end - offset, len(text))
        if s >= e:
            continue
        out += [_esc(text[pos:s]), opening, _esc(text[s:e]), closing]
        pos = e
    out.append(_esc(text[pos:]))
    return "".join(out)


def _loose_find(text: str, value: str) -> re.Match[str] | None:
    """``value`` in ``text`` whatever whitespace either puts between its characters: a chunk's text closes up the
    source's 「391.9 亿元」 to 「391.9亿元」."""
    chars = "".join(value.split())
    return re.search(r"\s*".join(map(re.escape, chars)), text) if chars else None


def _same_chars(text: str, before: str, value: str) -> tuple[int, int] | None:
    """Where ``value`` stands in ``text`` when ``text`` is the source with its whitespace changed and ``before`` is
    the source from the chunk's start to the value: counted in characters other than whitespace, so a figure said
    twice in the passage is marked where it was cited."""
    if not value.strip():
        return None
    n = len("".join(before.split()))
    start, end = _nth_char(text, n), _nth_char(text, n + len("".join(value.split())) - 1)
    return None if start is None or end is None else (start, end + 1)


def _nth_char(text: str, n: int) -> int | None:
    """The position in ``text`` of its ``n``-th character other than whitespace (from 0)."""
    seen = -1
    for i, ch in enumerate(text):
        if not ch.isspace():
            seen += 1
            if seen == n:
                return i
    return None


def _passage_spans(start: int, end: int, marks: Sequence[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """The passage (start, end) as highlighted spans around the answer marks inside it."""
    hit = ('<span class="bqa-hit">', "</span>")
    spans, pos = [], start
    for mark in sorted(marks):
        spans += [(pos, mark[0], *hit), mark]
        pos = mark[1]
    return [*spans, (pos, end, *hit)]


def _answers(result: AskResult) -> list[Answer]:
    a = result.answer
    return [] if a is None else [a, *a.alternatives]


LIKELY = '<mark class="bqa-likely" title="{title}">'  # the best reading of an abstention, in its passage


def _passage_html(engine: BulletinQA, result: AskResult, p: Passage) -> str:
    t = TEXTS[_lang(result)]
    c = p.chunk
    full = engine.index.texts.get(c.source, "")
    spans = [(o.source, o.start, o.end) for a in _answers(result) for o in (a.operands or (a,))]  # a derived
    marks = sorted({(s, e, "<mark>", "</mark>") for src, s, e in spans  # answer marks each of its operands
                    if src == c.source and c.start <= s and e <= c.end})
    # no answer: the best reading that was not sure enough, marked apart from an answer (no yellow, no bold)
    likely = LIKELY.format(title=_esc(t["likely_title"]))
    marks += sorted({(s, e, likely, "</mark>") for src, s, e in result.likeliest
                     if result.answer is None and src == c.source and c.start <= s and e <= c.end})
    # by position, or where the text closed up the source's spaces or is a table row (caption｜header：cell), by value
    found = [(*span, o, x) for s, e, o, x in marks if (span := _answer_span(full, c, s, e))]
    body = _highlight(c.text, 0, found)
    context = engine.context(c.source, c.start, c.end, around=CONTEXT_AROUND)
    ctx_start = full.rfind(context, max(0, c.start - len(context)), c.start + len(context))
    cited = any(o == "<mark>" for _, _, o, _ in marks)
    answer_note = "".join(f" · {t['answer_at'] if o == '<mark>' else t['likely_at']} {a_s}–{a_e}"
                          for a_s, a_e, o, _ in marks)
    page_word = t["page"].format(n=c.page_start) if c.page_start else ""
    details = ""
    if ctx_start >= 0 and len(context) > len(c.text):
        inner = _highlight(context, ctx_start, _passage_spans(c.start, c.end, marks))
        view = t["view"].format(where=f"{page_word} · " if page_word else "", a=ctx_start, b=ctx_start + len(context))
        details = (f'<details class="bqa-view"{" open" if cited and p.rank == _first_cited(result) else ""}>'
                   f'<summary>{_esc(view)}</summary><div class="bqa-ctx">{inner}</div></details>')
    page = f" · {page_word}" if page_word else ""
    likely_here = any(o != "<mark>" for _, _, o, _ in found)
    for k in p.copies:  # the same text in another source (a report's PDF beside its text version)
        where = f'{k.source} · {t["page"].format(n=k.page_start)}' if k.page_start else k.source
        page += f' · {_esc(t["also"].format(where=where))}'
    return (
        f'<div class="bqa-src{" bqa-cited" if cited else ""}" data-rank="{p.rank}" id="bqa-src-{p.rank}">'
        f'<div class="bqa-src-head">[{p.rank}] {_esc(_where(p))}</div>'
        f'<div class="bqa-src-where">{_esc(c.source)}{page}</div>'
        + (f'<div class="bqa-likely-note">{_esc(t["likely_note"])}</div>' if likely_here else "")
        + f'<p class="bqa-text">{body}</p>{details}'
        f'<details class="bqa-meta"><summary>{t["details"]}</summary><div class="bqa-src-meta">'
        f'{t["chars"].format(a=c.start, b=c.end)}{answer_note} · score {p.score:.4f}</div></details></div>'
    )


def _first_cited(result: AskResult) -> int | None:
    return result.answer.passage_rank if result.answer is not None else None


EMPTY_SOURCES = "bqa-sources bqa-empty"  # the class of the sources panel with no passages, only its hint


def sources_html(engine: BulletinQA | None, result: AskResult | None, lang: str = "zh", asked: str | None = None) -> str:
    """The 来源段落 panel: the passages the answer cites, then the others folded; under a head that stays at the top
    as the panel scrolls, naming the question as typed (``asked``: the reader's 「？」, not the normalised ?)."""
    if engine is None or result is None or not result.passages:
        text = TEXTS[_lang(result) if result is not None else lang]["empty"]
        return f'<div class="{EMPTY_SOURCES}">{_esc(text)}</div>'
    cited = {a.passage_rank for a in _answers(result)} | {
        o.passage_rank for o in (result.answer.operands if result.answer else ())}
    # no answer: the first passage, and the likeliest reading's wherever it ranks (likeliest_ranks)
    likely = likeliest_ranks(result)
    first = [p for p in result.passages if p.rank in cited] or [
        p for k, p in enumerate(result.passages) if k == 0 or p.rank in likely]
    rest = [p for p in result.passages if p not in first]  # related passages, collapsed
    cards = "".join(_passage_html(engine, result, p) for p in first)
    if rest:
        label = TEXTS[_lang(result)]["related_passages"]
        cards += (f'<details class="bqa-related"><summary>{label} ({len(rest)})</summary>'
                  + "".join(_passage_html(engine, result, p) for p in rest) + "</details>")
    shown = _echo(asked, _lang(result)) if asked is not None and asked.strip() else result.question
    head = (f'<details class="bqa-meta bqa-panel-head"><summary title="{_esc(shown)}">{_esc(shown)}</summary>'
            f'<div class="bqa-src-meta">'
            f'{result.latency_ms:.0f} ms</div></details>')
    return f'<div class="bqa-sources">{head}{cards}</div>'


# --- handlers -------------------------------------------------------------------------------------------


def _echo(question: object, lang: str = "zh") -> str:
    text = question if isinstance(question, str) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip() or ("（空）" if lang == "zh" else "(empty)")
    if len(text) <= ECHO_CHARS:
        return text
    return text[:ECHO_CHARS] + (f"…（共 {len(text):,} 字）" if lang == "zh" else f"… ({len(text):,} characters)")


def _doc_filter(known: set[str], selected: Sequence[str] | None) -> list[str] | None:
    """None (every document) when all or none are selected."""
    chosen = [d for d in (selected or []) if d in known]
    return None if not chosen or len(chosen) == len(known) else chosen


def _plain_history(history: Sequence[dict] | None) -> list[dict]:
    """Chat messages as {"role", "content": str}; Gradio passes content as a list of parts."""
    out = []
    for m in history or []:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        out.append({"role": m.get("role", "assistant"), "content": content if isinstance(content, str) else ""})
    return out


def _recent(messages: list[dict]) -> list[dict]:
    """The newest messages whose text fits HISTORY_CHARS: the page sends the whole chat with every question,
    so this keeps that request (and the reply) small however long a session runs."""
    kept, size = [], 0
    for m in reversed(messages):
        size += len(m["content"])
        if size > HISTORY_CHARS:
            break
        kept.append(m)
    return kept[::-1]


def _as_slot(engine: BulletinQA | EngineSlot) -> EngineSlot:
    return engine if isinstance(engine, EngineSlot) else EngineSlot(None, None, engine=engine)


def _not_ready(slot: EngineSlot, lang: str) -> str:
    return TEXTS[lang]["not_ready"].format(pct=round(100 * slot.state.fraction))


def make_handlers(engine: BulletinQA | EngineSlot):
    """The chat and API functions over the slot's current engine (no per-request shared state)."""
    slot = _as_slot(engine)

    def chat(question: str, history: list[dict], top_k: float, doc_ids: list[str], ui_lang: str = "zh"):
        # the question's language where it has words (「？？？」 or an empty one: the page's)
        lang = _lang(None, question) if isinstance(question, str) and any(c.isalpha() for c in question) else ui_lang
        lang = lang if lang in TEXTS else "zh"
        messages = _recent(_plain_history(history))
        messages.append({"role": "user", "content": _md(_echo(question, lang))})
        current = slot.current()  # one engine for the whole question, even if a build swaps it meanwhile
        if current is None:
            messages.append({"role": "assistant", "content": _not_ready(slot, lang)})
            return "", messages, sources_html(None, None, lang), lang
        known = {d for d, _ in current.documents}
        chosen = _doc_filter(known, doc_ids)
        try:
            result = current.ask(question, top_k=int(top_k or 5), doc_ids=chosen)
        except BqaError as err:  # the question stays in the box, to be mended (a long one shortened)
            messages.append({"role": "assistant", "content": f"{TEXTS[lang]['error']}{TEXTS[lang][':']}{_md(err.text(lang))}"})
            return question if isinstance(question, str) else "", messages, sources_html(current, None, lang), lang
        except Exception:  # never a traceback in the page
            log.exception("answering %r failed", question[:200] if isinstance(question, str) else question)
            messages.append({"role": "assistant", "content": TEXTS[lang]["oops"]})
            return "", messages, sources_html(current, None, lang), lang
        messages.append({"role": "assistant", "content": reply_markdown(result, current.index.texts,
                                                                         len(chosen) if chosen else 0)})
        return "", messages, sources_html(current, result, asked=question), _lang(result)

    def ask(question: str, top_k: int = 5) -> dict:
        """Answer a question: the same object as `bqa ask --json` ({"error": ...} for bad input)."""
        try:
            if isinstance(top_k, bool) or not isinstance(top_k, int | float) or int(top_k) != top_k:
                raise BqaError(f"top_k must be a whole number between 1 and {MAX_TOP_K}, got {top_k!r}")
            current = slot.current()
            if current is None:
                raise BqaError(_not_ready(slot, "en"))
            return current.ask(question, top_k=int(top_k)).to_dict()
        except BqaError as err:
            return {"error": str(err)}
        except Exception as err:
            log.exception("API ask failed")
            return {"error": f"internal error ({type(err).__name__}); see the server log"}

    return chat, ask


# --- the page ---------------------------------------------------------------------------------------------


def _doc_choices(engine: BulletinQA | None) -> list[tuple[str, str]]:
    if engine is None:
        return []
    docs = engine.documents
    counts = Counter(t for _, t in docs)
    return [(t if counts[t] == 1 else f"{t}（{d}）", d) for d, t in docs]


def status_markdown(slot: EngineSlot, lang: str) -> str:
    """The index's state in a line: building (stage, percent, seconds), ready, or the last build's failure."""
    ui, st = UI[lang], slot.state
    if st.building:
        stage = ui["stages"].get(st.stage, st.stage)
        return ui["building"].format(stage=stage, pct=round(100 * st.fraction),
                                     s=round(time.monotonic() - st.started))
    if st.message and not st.ready:
        return ui["failed"].format(why=_md(st.message))
    if slot.engine is not None and slot.can_build:
        files = len({d.source for d in slot.engine.index.documents.values()})  # a bulletin holds several reports
        return ui["ready"].format(docs=len(slot.engine.documents), files=files, s="" if files == 1 else "s") + (
            f" {ui['skipped'].format(why=_md(st.skipped))}" if st.skipped else "") + (
            f" {ui['failed'].format(why=_md(st.message))}" if st.message else "")
    return ""


def page_examples(slot: EngineSlot) -> list[str]:
    """The example questions when the page's corpus or index holds the bulletin they ask about, else none."""
    if slot.corpus_dir is not None and (slot.corpus_dir / EXAMPLES_SOURCE).is_file():
        return list(EXAMPLES)
    engine = slot.engine
    if engine is not None and any(Path(f).name == EXAMPLES_SOURCE for f in engine.index.manifest.files):
        return list(EXAMPLES)
    return []


def _language_updates(lang: str, slot: EngineSlot, uploading: bool, examples: bool = True):
    ui = UI[lang]
    n = len(slot.engine.documents) if slot.engine is not None else 0
    labels = [
        gr.Markdown(f"## {TITLE}\n{ui['intro']}"),
        gr.Chatbot(label=ui["chat"], placeholder=ui["placeholder"]),
        gr.Textbox(placeholder=ui["box"]),
        gr.Button(ui["send"]),
        *([gr.Dataset(label=ui["examples"])] if examples else []),
        gr.Accordion(label=ui["settings"]),
        gr.Dropdown(label=ui["docs"], info=ui["docs_info"].format(n=n)),
        gr.Slider(label=ui["top_k"]),
        gr.Markdown(ui["sources"]),
        gr.Markdown(status_markdown(slot, lang)),
    ]
    if uploading:
        labels += [gr.Accordion(label=ui["add"]), gr.File(label=ui["upload"].format(mb=MAX_UPLOAD_BYTES // 2**20))]
    return labels


def build_app(engine: BulletinQA | EngineSlot, allow_upload: bool = False) -> gr.Blocks:
    """The chat page around an engine (or a slot whose engine is still being built); launch it with ``launch``.

    ``allow_upload`` adds the "add bulletins" control (the slot must know its corpus and index folders)."""
    slot = _as_slot(engine)
    chat, ask = make_handlers(slot)
    ui = UI["zh"]
    choices = _doc_choices(slot.engine)
    # delete_cache: uploads left in Gradio's temporary folder (sent without the page's handler) go within the hour
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(600, 3600)) as app:
        with gr.Row(equal_height=False):
            header = gr.Markdown(f"## {TITLE}\n{ui['intro']}", elem_id="bqa-header")
            lang = gr.Radio([("中文", "zh"), ("English", "en")], value="zh", show_label=False, container=False,
                            elem_id="bqa-lang", scale=0, min_width=230)
        status = gr.Markdown(status_markdown(slot, "zh"), elem_id="bqa-status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=320):
                chatbot = gr.Chatbot(
                    label=ui["chat"], height=520, latex_delimiters=[], buttons=["copy"], feedback_options=None,
                    autoscroll=False,  # SHOW_LATEST_JS shows the question and the start of its answer instead
                    placeholder=ui["placeholder"], elem_id="bqa-chat",
                )
                with gr.Row():
                    box = gr.Textbox(placeholder=ui["box"], show_label=False, lines=1, max_lines=4,
                                     scale=5, elem_id="bqa-question", autofocus=True, max_length=BOX_CHARS)
                    send = gr.Button(ui["send"], variant="primary", scale=1, min_width=80, elem_id="bqa-send")
                shown_examples = page_examples(slot)
                examples = gr.Examples(shown_examples, inputs=box, label=ui["examples"]) if shown_examples else None
                with gr.Accordion(ui["settings"], open=False) as settings:
                    # its choices grow with uploads after the page was built: a report added since is a valid
                    # choice (the chat handler keeps only the engine's own ids)
                    docs = gr.Dropdown(choices=choices, value=[], multiselect=True, elem_id="bqa-docs",
                                       label=ui["docs"], info=ui["docs_info"].format(n=len(choices)),
                                       allow_custom_value=True)
                    top_k = gr.Slider(1, SLIDER_MAX_K, value=5, step=1, label=ui["top_k"])
                uploading = allow_upload and slot.can_build  # no control, no upload route (see qa.guard)
                if uploading:
                    with gr.Accordion(ui["add"], open=False) as adding:
                        upload = gr.File(label=ui["upload"].format(mb=MAX_UPLOAD_BYTES // 2**20),
                                         file_count="multiple", elem_id="bqa-upload")  # the handler says why a type is not read
            with gr.Column(scale=4, min_width=300):
                sources_head = gr.Markdown(ui["sources"])
                sources = gr.HTML(sources_html(slot.engine, None), elem_id="bqa-sources")
        timer = gr.Timer(1.0, active=slot.state.building)
        seen = gr.State(slot.state.version)

        hint_only = gr.State(True)  # whether the 来源段落 panel shows only its hint (kept on the server)

        @functools.wraps(chat)
        def chat_and_panel(*args):
            out = chat(*args)
            return (*out, EMPTY_SOURCES in out[2])

        inputs, outputs = [box, chatbot, top_k, docs, lang], [box, chatbot, sources, lang, hint_only]
        # an example asks at once: it fills the box, then goes the way a typed question goes
        triggers = [box.submit, send.click] + ([examples.load_input_event.then] if examples else [])
        for trigger in triggers:
            trigger(chat_and_panel, inputs, outputs, api_visibility="private", show_progress="minimal",
                    concurrency_id="answer").then(
                None, None, None, js=SHOW_LATEST_JS, api_visibility="private", queue=False)
        chatbot.clear(lambda code: (sources_html(slot.engine, None, code), True), lang, [sources, hint_only],
                      api_visibility="private", queue=False)
        labelled = [header, chatbot, box, send, *([examples.dataset] if examples else []), settings, docs, top_k,
                    sources_head, status]

        def switch(code: str, empty: bool | None):
            # the 来源段落 panel's hint follows the switch whenever the panel shows only the hint (before any
            # question, or after a reply with no passages); passages shown keep their question's language
            hint = sources_html(slot.engine, None, code) if empty is not False else gr.HTML()
            return [*_language_updates(code, slot, uploading, examples is not None), hint]

        lang.change(switch, [lang, hint_only], labelled + ([adding, upload] if uploading else []) + [sources],
                    api_visibility="private", queue=False)

        def tick(code: str, version: int):
            st = slot.state
            docs_update = gr.Dropdown()
            if st.version != version:  # a build finished: new reports in the filter
                new = _doc_choices(slot.engine)
                docs_update = gr.Dropdown(choices=new, info=UI[code]["docs_info"].format(n=len(new)))
            return status_markdown(slot, code), docs_update, st.version, gr.Timer(active=st.building)

        timer.tick(tick, [lang, seen], [status, docs, seen, timer], api_visibility="private", queue=False,
                   show_progress="hidden")

        def loaded(code: str):  # a page (re)loaded after uploads shows today's reports, not those of start-up
            st, new = slot.state, _doc_choices(slot.engine)
            return (status_markdown(slot, code), gr.Dropdown(choices=new, info=UI[code]["docs_info"].format(n=len(new))),
                    st.version, gr.Timer(active=st.building))

        app.load(loaded, [lang], [status, docs, seen, timer], api_visibility="private", queue=False,
                 show_progress="hidden")

        if uploading:
            def add(files, code: str):
                ui = UI[code]
                added, rejected = [], []
                for f in files or []:
                    path = Path(f if isinstance(f, str) else getattr(f, "name", ""))
                    try:
                        added.append(slot.add_file(path, path.name).name)
                    except BqaError as err:
                        rejected.append(err.text(code))
                    finally:
                        _discard_upload(path)
                if added:
                    slot.build()
                lines = [ui["added"].format(names="、".join(added))] if added else []
                lines += [ui["rejected"].format(why=_md(w)) for w in rejected]
                return None, "\n\n".join(lines) or status_markdown(slot, code), gr.Timer(active=bool(added))

            upload.upload(add, [upload, lang], [upload, status, timer], api_visibility="private",
                          show_progress="minimal")
        gr.api(ask, api_name="ask", concurrency_id="answer")
    # api_open=False: a queued function (chat, ask) cannot be called through /run/..., which skips the queue
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE, api_open=False)
    app.state_session_capacity = SESSIONS  # read when the app is mounted
    return app


def _discard_upload(path: Path) -> None:
    """Remove Gradio's temporary copy of an upload: the corpus folder keeps the only copy."""
    try:
        path.unlink(missing_ok=True)
        path.parent.rmdir()  # Gradio keeps each upload in its own folder
    except OSError:
        pass


# --- serving ---------------------------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, public: bool) -> None:
    if not is_loopback(host) and not public:
        raise BqaError(
            f"refusing to bind {host}: the page has no login, so only this machine (127.0.0.1) is served by default; "
            "pass --public to serve it to the network"
        )


def check_port_free(host: str, port: int) -> None:
    """One clear line when the port is taken, before anything is loaded (the server binds it again later)."""
    _bind(host, port).close()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is one clear error before anything starts. IPPROTO_TCP
    named, or asyncio leaves Nagle on for its connections (+40 ms per streamed answer)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OverflowError:
        sock.close()
        raise BqaError(f"port {port} is out of range; choose one from 1 to 65535 with --port") from None
    except OSError as err:
        sock.close()
        why = "the port is in use" if err.errno in (errno.EADDRINUSE, errno.EACCES) else err.strerror or str(err)
        raise BqaError(f"cannot serve on {host}:{port}: {why}; choose another with --port") from None
    return sock


def start(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, public: bool = False) -> guard.Served:
    """Serve the page in a background thread: Gradio mounted in our FastAPI app (so no Gradio launch setting
    or environment variable chooses the address, a share link, SSR, extra file routes, MCP or workers), behind
    the Guard, on a socket bound here. Stop it with ``.drain()`` or ``.close()``."""
    import uvicorn
    from fastapi import FastAPI

    guard.check_environment(os.environ)
    sock = _bind(host, port)
    root = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    gr.mount_gradio_app(root, app, "/", server_name=host, server_port=port, root_path="", allowed_paths=None,
                        show_error=False, ssr_mode=False, mcp_server=False, pwa=False, enable_monitoring=False,
                        run_history=False, footer_links=["api"], css=CSS, theme=THEME, max_file_size=MAX_UPLOAD_BYTES,
                        head=CITE_JS)
    hosts = None if public else guard.allowed_hosts(host, port)
    uploads = MAX_UPLOAD_BYTES + 2**20 if guard.has_upload(app) else None  # the file plus its multipart envelope
    wall = guard.Guard(root, guard.calls_of(app), hosts, max_upload=uploads)
    server = uvicorn.Server(uvicorn.Config(wall, log_level="warning", access_log=False, server_header=False,
                                           proxy_headers=False, lifespan="on", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="bqa-server")
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise BqaError(f"cannot serve on {host}:{port}: the server did not start; see the messages above")
        time.sleep(0.01)
    url_host = f"[{host.strip('[]')}]" if ":" in host else host
    return guard.Served(f"http://{url_host}:{port}", server, thread, wall)


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, quiet: bool = False,
           public: bool = False) -> guard.Served | None:
    """Serve the page; with ``block``, until SIGTERM or Ctrl-C, then drain the requests in flight (at most
    guard.DRAIN_SECONDS) and return, so the process exits 0. Without ``block``, return the running server."""
    served = start(app, host, port, public)
    if not block:
        return served
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(0.5):
            pass
        signal.signal(signal.SIGINT, previous[signal.SIGINT])  # a second Ctrl-C stops without waiting
        left = served.drain(notify=None if quiet else lambda m: print(f"bqa: {m}", file=sys.stderr))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not quiet:
        print("bqa: stopped" + (f" ({left} request(s) cut off after {guard.DRAIN_SECONDS:.0f} s)" if left else ""),
              file=sys.stderr)
    return None


def serve(index_dir: Path | None = None, corpus_dir: Path | None = None, host: str = "127.0.0.1", port: int = 7860,
          public: bool = False, allow_upload: bool | None = None, threshold: float | None = None) -> None:
    """Open the page at once; load the index, or build it in the background with its progress on the page.

    Uploads are on for loopback serving and off with ``public`` unless ``allow_upload``. ``threshold`` replaces
    the fitted answer threshold on the page; `bqa ask` is then not answered by this process (it would get
    answers the reader did not choose)."""
    check_host(host, public)
    guard.check_environment(os.environ)  # before the index is loaded
    if public:
        print(f"bqa: warning: serving on {host}:{port} to the network — the page has no login; anyone who can "
              "reach it can ask questions", file=sys.stderr)
    index_dir, corpus_dir = index_dir or default_index(), corpus_dir or default_corpus()
    check_port_free(host, port)  # before a minute of loading, not after
    uploads = (not public) if allow_upload is None else allow_upload
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if (Path(index_dir) / "manifest.json").exists():
        engine = BulletinQA.open(index_dir, corpus_dir, show_progress=True, notify=say,  # damaged: one line, exit
                                 answer_threshold=threshold)
        engine.warm_up()  # the first page question is then as fast as the second
        slot = EngineSlot(index_dir, corpus_dir, engine=engine, open_kwargs={"answer_threshold": threshold},
                          say=say)
        say(f"bqa: {len(engine.index.chunks)} passages from {len(engine.documents)} documents loaded")
    else:
        from qa.index.store import check_index_folder

        check_index_folder(Path(index_dir))  # refuse someone's folder before building in it
        slot = EngineSlot(index_dir, corpus_dir, open_kwargs={"answer_threshold": threshold}, say=say)
        say(f"bqa: no index in {index_dir} yet: building it from {corpus_dir}; the page shows the progress")
        slot.build()
    from qa import daemon

    stop_daemon = None
    if threshold is None:
        stop_daemon = daemon.start(slot.current, index_dir, corpus_dir, daemon.render_request, log=say)
    else:
        say(f"bqa: answers shown in bold from P(right) ≥ {threshold:g} instead of the fitted threshold; "
            "`bqa ask` is not answered by this page")
    say(f"bqa: serving on http://{host}:{port} (Ctrl-C stops it)")
    try:
        launch(build_app(slot, allow_upload=uploads), host, port, block=True, public=public)
    finally:
        if stop_daemon:
            stop_daemon()
