"""The chat page: a Gradio Blocks app over one opened ``BulletinQA``.

    bqa serve                          # http://127.0.0.1:7860, index loaded (or built) once
    from qa.app import build_app       # build_app(engine).launch(...) in tests

Layout: the chat (answer in bold, numbered citations) on the left; the cited passages with the answer
highlighted, their offsets and an expandable context on the right. ``/ask`` (api_name="ask") returns
exactly the ``bqa ask --json`` object. Everything shown is HTML-escaped; nothing but Gradio's own
assets is served (no allowed_paths), and only loopback is bound unless ``public=True``.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import gradio as gr

from qa.api import MAX_TOP_K, AskResult, BulletinQA
from qa.errors import BqaError
from qa.types import Answer, Passage

log = logging.getLogger(__name__)

CONCURRENCY = 4  # answers computed at once; more requests wait in Gradio's queue
QUEUE_SIZE = 256
SLIDER_MAX_K = 10
ECHO_CHARS = 300  # a very long question is echoed in the chat shortened to this
CONTEXT_AROUND = 1  # neighbouring chunks shown each side when a passage is expanded

EXAMPLES = [
    "集中整治以来，全区监察组织一共掌握处置了多少件问题线索？",
    "区监委留置了多少人？",
    "What is the district's 2025 local government debt limit?",
    "上半年新增了多少各类人才？",
]

NOT_FOUND = "公报中未找到答案。"
TITLE = "公报问答 · Bulletin QA"
INTRO = (
    "就人大常委会公报提问：回答是公报原文中的确切数字或词句，并附出处段落与字符位置。"
    "公报未提及的内容会如实说明。"
)

CSS = """
.bqa-sources { font-size: 0.92rem; line-height: 1.6; max-height: 720px; overflow-y: auto; padding-right: 4px; }
.bqa-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 0 0 10px 0;
           background: var(--background-fill-secondary); }
.bqa-src.bqa-cited { border-color: #d9a400; box-shadow: 0 0 0 1px #d9a40055; }
.bqa-src-head { font-weight: 600; }
.bqa-src-meta { color: var(--body-text-color-subdued); font-size: 0.82rem; margin: 2px 0 6px 0;
                font-family: var(--font-mono); }
.bqa-text { white-space: pre-wrap; word-break: break-word; margin: 0; }
.bqa-src mark { background: #ffe066; color: #000; padding: 0 2px; border-radius: 3px; font-weight: 600; }
.bqa-src details { margin-top: 6px; }
.bqa-src summary { cursor: pointer; color: var(--link-text-color); font-size: 0.85rem; }
.bqa-ctx { white-space: pre-wrap; word-break: break-word; color: var(--body-text-color-subdued);
           border-left: 3px solid var(--border-color-primary); padding-left: 8px; margin-top: 4px; }
.bqa-ctx .bqa-hit { color: var(--body-text-color); }
.bqa-empty { color: var(--body-text-color-subdued); }
#bqa-chat h3 { font-size: 1.6rem; line-height: 1.3; margin: 0.1em 0 0.3em 0; }
.bqa-src-where { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 2px 0 6px 0; }
.bqa-related > summary, .bqa-meta > summary { cursor: pointer; color: var(--link-text-color); font-size: 0.85rem; }
"""

THEME = gr.themes.Default(font=[gr.themes.LocalFont("Source Sans Pro"), "PingFang SC", "Microsoft YaHei",
                                 "Noto Sans CJK SC", "WenQuanYi Micro Hei", "ui-sans-serif", "system-ui", "sans-serif"])

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|~$!])")


def _md(text: str) -> str:
    """Text shown literally inside the chat's Markdown: HTML-escaped, Markdown punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def _is_ideograph(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _where(p: Passage) -> str:
    return " ▸ ".join(x for x in (p.chunk.doc_title, p.chunk.section) if x)


# --- the chat reply ---------------------------------------------------------------------------------


TEXTS = {  # every message of the page, in both languages (the reply follows the question's language)
    "zh": {"not_found": "公报中未找到确切答案", "related": "以下段落可能相关", "source": "来源", "page": "第 {n} 页",
           "see": "见右侧 [{r}]", "others": "其他可能的答案", "computed": "由以下数字计算", "yes": "是", "no": "否",
           "error": "无法回答这个问题", "oops": "出错了，请稍后再试或换个问法。", "more": "相关段落见右侧。"},
    "en": {"not_found": "No exact answer was found in the bulletins", "related": "these passages may be relevant",
           "source": "Source", "page": "page {n}", "see": "see [{r}] on the right", "others": "Other possible answers",
           "computed": "computed from", "yes": "Yes", "no": "No", "error": "Cannot answer this question",
           "oops": "Something went wrong; please try again or rephrase.", "more": "Related passages are on the right."},
}


def _lang(result: AskResult | None, question: object = None) -> str:
    if result is not None and result.query is not None:
        return result.query.language
    from qa.query import language_of

    return language_of(question) if isinstance(question, str) else "zh"


def _excerpt(text: str, answer: str, width: int = 60) -> str:
    """The passage around the answer, the answer in bold (Markdown, escaped)."""
    at = text.find(answer)
    if not answer or at < 0:
        return _md(text[: width * 2] + ("…" if len(text) > width * 2 else ""))
    lo, hi = max(0, at - width), min(len(text), at + len(answer) + width)
    pre = ("…" if lo > 0 else "") + text[lo:at]
    post = text[at + len(answer):hi] + ("…" if hi < len(text) else "")
    return f"{_md(pre)}**{_md(answer)}**{_md(post)}"


def _answer_block(result: AskResult) -> str:
    t = TEXTS[_lang(result)]
    a = result.answer
    if a is None:
        return f"### {t['not_found']}\n\n{t['related']}："
    shown = a.display or a.text
    head = f"### **{t[a.verdict]}** — {_md(shown)}" if a.verdict is not None else f"### **{_md(shown)}**"
    cited = next((p for p in result.passages if p.rank == a.passage_rank), None)
    where = _md(_where(cited) if cited else a.source)
    page = f" · {t['page'].format(n=a.page)}" if a.page else ""
    lines = [head, f"{t['source']}：{where}{page} （{t['see'].format(r=a.passage_rank)}）"]
    if a.operands:
        lines.append(f"{t['computed']}：" + "；".join(f"**{_md(o.text)}** [{o.passage_rank}]" for o in a.operands))
    elif cited is not None:
        lines.append("> " + _excerpt(cited.chunk.text, shown))
    if a.alternatives:
        alts = "；".join(f"{_md(x.display or x.text)} [{x.passage_rank}]" for x in a.alternatives)
        lines.append(f"{t['others']}：{alts}")
    return "\n\n".join(lines)


def reply_markdown(result: AskResult) -> str:
    """The assistant's message: the answer first and largest with its one citation (or the not-found line and the
    closest passages), in the question's language."""
    t = TEXTS[_lang(result)]
    parts = [_answer_block(result)]
    if result.answer is None and result.passages:
        parts.append("\n".join(f"[{p.rank}] {_md(_where(p))}" for p in result.passages[:3]))
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


def _passage_html(engine: BulletinQA, result: AskResult, p: Passage) -> str:
    c = p.chunk
    full = engine.index.texts.get(c.source, "")
    marks = [(a.start, a.end, "<mark>", "</mark>") for a in _answers(result)
             if a.source == c.source and c.start <= a.start and a.end <= c.end]
    if full[c.start:c.end] == c.text:
        body = _highlight(c.text, c.start, marks)
    else:  # a table row is shown as caption｜header：cell; mark the answer by value
        found = [(c.text.find(full[s:e]), full[s:e]) for s, e, _, _ in marks]
        body = _highlight(c.text, 0, [(i, i + len(v), "<mark>", "</mark>") for i, v in found if i >= 0 and v])
    context = engine.context(c.source, c.start, c.end, around=CONTEXT_AROUND)
    ctx_start = full.rfind(context, max(0, c.start - len(context)), c.start + len(context))
    cited = bool(marks)
    answer_note = "".join(f" · 答案 {a_s}–{a_e}" for a_s, a_e, _, _ in marks)
    details = ""
    if ctx_start >= 0 and len(context) > len(c.text):
        inner = _highlight(context, ctx_start, _passage_spans(c.start, c.end, marks))
        details = (f'<details><summary>展开上下文（第 {ctx_start}–{ctx_start + len(context)} 字）</summary>'
                   f'<div class="bqa-ctx">{inner}</div></details>')
    page = f" · 第 {c.page_start} 页" if c.page_start else ""
    return (
        f'<div class="bqa-src{" bqa-cited" if cited else ""}" data-rank="{p.rank}">'
        f'<div class="bqa-src-head">[{p.rank}] {_esc(_where(p))}</div>'
        f'<div class="bqa-src-where">{_esc(c.source)}{page}</div>'
        f'<p class="bqa-text">{body}</p>{details}'
        f'<details class="bqa-meta"><summary>详情 / details</summary><div class="bqa-src-meta">'
        f'第 {c.start}–{c.end} 字{answer_note} · score {p.score:.4f}</div></details></div>'
    )


def sources_html(engine: BulletinQA, result: AskResult | None) -> str:
    if result is None or not result.passages:
        return '<div class="bqa-sources bqa-empty">提问后，这里显示引用的公报段落（答案以黄色标出）。</div>'
    cited = {a.passage_rank for a in _answers(result)} | {
        o.passage_rank for o in (result.answer.operands if result.answer else ())}
    first = [p for p in result.passages if p.rank in cited] or list(result.passages[:1])
    rest = [p for p in result.passages if p not in first]  # related passages, collapsed
    cards = "".join(_passage_html(engine, result, p) for p in first)
    if rest:
        label = "相关段落" if _lang(result) == "zh" else "Related passages"
        cards += (f'<details class="bqa-related"><summary>{label}（{len(rest)}）</summary>'
                  + "".join(_passage_html(engine, result, p) for p in rest) + "</details>")
    head = (f'<details class="bqa-meta"><summary>{_esc(result.question)}</summary><div class="bqa-src-meta">'
            f'{result.latency_ms:.0f} ms</div></details>')
    return f'<div class="bqa-sources">{head}{cards}</div>'


# --- handlers -------------------------------------------------------------------------------------------


def _echo(question: object) -> str:
    text = question if isinstance(question, str) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip() or "（空）"
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + f"…（共 {len(text):,} 字）"


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


def make_handlers(engine: BulletinQA):
    """The chat and API functions, closed over the engine only (no per-request shared state)."""
    known_docs = {d for d, _ in engine.documents}

    def chat(question: str, history: list[dict], top_k: float, doc_ids: list[str]):
        messages = _plain_history(history)
        messages.append({"role": "user", "content": _md(_echo(question))})
        try:
            result = engine.ask(question, top_k=int(top_k or 5), doc_ids=_doc_filter(known_docs, doc_ids))
        except BqaError as err:
            t = TEXTS[_lang(None, question)]
            messages.append({"role": "assistant", "content": f"{t['error']}：{_md(str(err))}"})
            return "", messages, sources_html(engine, None)
        except Exception:  # never a traceback in the page
            log.exception("answering %r failed", question[:200] if isinstance(question, str) else question)
            messages.append({"role": "assistant", "content": TEXTS[_lang(None, question)]["oops"]})
            return "", messages, sources_html(engine, None)
        messages.append({"role": "assistant", "content": reply_markdown(result)})
        return "", messages, sources_html(engine, result)

    def ask(question: str, top_k: int = 5) -> dict:
        """Answer a question: the same object as `bqa ask --json` ({"error": ...} for bad input)."""
        try:
            if isinstance(top_k, bool) or not isinstance(top_k, int | float) or int(top_k) != top_k:
                raise BqaError(f"top_k must be a whole number between 1 and {MAX_TOP_K}, got {top_k!r}")
            return engine.ask(question, top_k=int(top_k)).to_dict()
        except BqaError as err:
            return {"error": str(err)}
        except Exception as err:
            log.exception("API ask failed")
            return {"error": f"internal error ({type(err).__name__}); see the server log"}

    return chat, ask


# --- the page ---------------------------------------------------------------------------------------------


def _doc_choices(engine: BulletinQA) -> list[tuple[str, str]]:
    docs = engine.documents
    count = Counter(t for _, t in docs)
    return [(t if count[t] == 1 else f"{t}（{d}）", d) for d, t in docs]


def build_app(engine: BulletinQA) -> gr.Blocks:
    """The chat page around an opened engine; launch it with ``launch(app, ...)`` or ``app.launch``."""
    chat, ask = make_handlers(engine)
    choices = _doc_choices(engine)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"## {TITLE}\n{INTRO}")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                chatbot = gr.Chatbot(
                    label="问答", height=520, latex_delimiters=[], buttons=["copy"], feedback_options=None,
                    placeholder="例如：区监委留置了多少人？", elem_id="bqa-chat",
                )
                with gr.Row():
                    box = gr.Textbox(placeholder="输入问题，按回车提问", show_label=False, lines=1, max_lines=4,
                                     scale=5, elem_id="bqa-question", autofocus=True)
                    send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="bqa-send")
                gr.Examples(EXAMPLES, inputs=box, label="示例问题（点击填入）")
                with gr.Accordion("检索设置", open=False):
                    docs = gr.Dropdown(choices=choices, value=[], multiselect=True, elem_id="bqa-docs",
                                       label="限定报告", info=f"留空即检索全部 {len(choices)} 份报告；可选一份或多份。")
                    top_k = gr.Slider(1, SLIDER_MAX_K, value=5, step=1, label="引用段落数（top-k）")
            with gr.Column(scale=4, min_width=320):
                gr.Markdown("#### 来源段落")
                sources = gr.HTML(sources_html(engine, None), elem_id="bqa-sources")
        inputs, outputs = [box, chatbot, top_k, docs], [box, chatbot, sources]
        for trigger in (box.submit, send.click):
            trigger(chat, inputs, outputs, api_visibility="private", show_progress="minimal")
        chatbot.clear(lambda: sources_html(engine, None), None, sources, api_visibility="private", queue=False)
        gr.api(ask, api_name="ask")
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return app


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


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, block: bool = True, quiet: bool = False):
    """Launch with the safe settings: no share link, no extra file routes, no MCP, no SSR, no tracebacks."""
    try:
        return app.launch(
            server_name=host, server_port=port, share=False, inbrowser=False, prevent_thread_lock=not block,
            allowed_paths=None, show_error=False, quiet=quiet, mcp_server=False, ssr_mode=False, pwa=False,
            enable_monitoring=False, footer_links=["api"], css=CSS, theme=THEME,
        )
    except OSError as err:
        why = "the port is in use" if "empty port" in str(err) else str(err)
        raise BqaError(f"cannot serve on {host}:{port}: {why}; choose another with --port") from None


def serve(index_dir: Path | None = None, corpus_dir: Path | None = None, host: str = "127.0.0.1", port: int = 7860,
          public: bool = False) -> None:
    """Load (or build, with a message) the index once, then serve the chat page until interrupted."""
    check_host(host, public)
    if public:
        print(f"bqa: warning: serving on {host}:{port} to the network — the page has no login; anyone who can "
              "reach it can ask questions", file=sys.stderr)
    engine = BulletinQA.open(index_dir, corpus_dir, show_progress=True, notify=lambda m: print(m, file=sys.stderr))
    print(f"bqa: {len(engine.index.chunks)} passages from {len(engine.documents)} documents loaded; "
          f"serving on http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr)
    launch(build_app(engine), host, port, block=True, quiet=True)  # quiet: no "set share=True" hint
