"""Human-readable rendering of an answer: the answer line first, then the cited passages."""

from __future__ import annotations

import functools
import json
import re

from qa.api import AskResult, likeliest_ranks
from qa.labels import WORDS

_BOLD, _MARK, _DIM, _RESET = "\033[1m", "\033[1;33m", "\033[2m", "\033[0m"


def _t(text: object) -> str:
    """Text from a corpus or a question, safe for a terminal: control and escape characters become spaces
    (an escape sequence in a bulletin must not retitle, clear or recolour the reader's terminal)."""
    return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in str(text))


def _marked(result: AskResult, rank: int, text: str, start: int, end: int, color: bool) -> str:
    a = result.answer
    if a is None or a.passage_rank != rank or not (start <= a.start and a.end <= end):
        return _t(text)
    source = _t(text)  # the passage's displayed text may differ from the source; mark by value when present
    if _t(a.text) in source:
        left, right = (_MARK, _RESET) if color else ("【", "】")
        return source.replace(_t(a.text), f"{left}{_t(a.text)}{right}", 1)
    return source


_WORDS = {  # the text output's own words, in the question's language; those the page says too from qa.labels
    lang: {**base, "page": base[","] + base["page"], "copy": base["also"],
           "likeliest": f"{' ' if lang == 'en' else ''}{base['(']}{base['likeliest']}{base[')']}", **own}
    for lang, base, own in (
        ("zh", WORDS["zh"], {"answer": "答案：", "passage": "来源段落", "from": "  依据：", "or": "  或：",
                             "yes": "是 — ", "no": "否 — ", "none": "公报中未找到答案。",
                             "count": "{n} 个段落，{ms} 毫秒", "unit": "（单位：{u}）"}),
        ("en", WORDS["en"], {"answer": "Answer: ", "passage": "passage", "from": "  from: ", "or": "  or: ",
                             "yes": "yes — ", "no": "no — ", "none": "The bulletins do not say.",
                             "count": "{n} passage{s}, {ms} ms", "unit": " (unit: {u})"}))
}

@functools.cache
def _english_units() -> dict[str, str]:
    from qa.paths import data_file

    pairs = (ln.split("\t") for ln in data_file("units_en.tsv").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#"))
    return {zh.strip(): en.strip() for zh, en in pairs}


def unit_in(unit: str, lang: str) -> str:
    """A table's unit as said beside a bare number: as printed, or in English on an English page (qa/data/
    units_en.tsv: 万元 → 10,000 yuan); a unit the list lacks stays as printed."""
    return _english_units().get(unit, unit) if lang == "en" else unit


_BARE_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?%?")  # a table cell printed without its unit


def needs_unit(shown: str) -> bool:
    """Whether an answer as shown is a bare number, whose table's unit is said beside it (the page and the text
    output alike); a percentage says its own unit, and the table's 万元 is not it."""
    return bool(_BARE_NUMBER.fullmatch(shown)) and not shown.endswith("%")


def _unit_note(answer, lang: str) -> str:
    """The unit a bare number is in (its table's 单位), said beside it as the page does; the answer stays as printed."""
    if not answer.unit or not needs_unit(answer.display or answer.text):
        return ""
    return _WORDS[lang]["unit"].format(u=_t(unit_in(answer.unit, lang)))


def render_text(result: AskResult, color: bool = False) -> str:
    """The answer line (its place, passage and confidence), the figures it was computed from or the other
    readings, then the passages, each with its place and the answer marked; in the question's language."""
    lang = "en" if result.query is not None and result.query.language == "en" else "zh"
    w = _WORDS[lang]
    lines = []
    if result.answer is not None:
        a = result.answer
        b, r = (_BOLD, _RESET) if color else ("", "")
        page = w["page"].format(n=a.page) if a.page else ""
        verdict = w[a.verdict] if a.verdict in ("yes", "no") else ""
        sure = ">0.99" if a.probability >= 0.995 else f"{a.probability:.2f}"
        lines.append(f"{w['answer']}{verdict}{b}{_t(a.display or a.text)}{r}{_unit_note(a, lang)}   {w['(']}{_t(a.source)} {a.start}-{a.end}"
                     f"{page}{w[',']}{w['passage']} [{a.passage_rank}]{w[',']}{w['sure']} {sure}{w[')']}")
        for o in a.operands:
            lines.append(f"{w['from']}{_t(o.text)}   {w['(']}{_t(o.source)} {o.start}-{o.end}{w[',']}{w['passage']} "
                         f"[{o.passage_rank}]{w[')']}")
        for alt in a.alternatives:
            lines.append(f"{w['or']}{_t(alt.display or alt.text)}   {w['(']}{_t(alt.source)} {alt.start}-{alt.end}"
                         f"{w[',']}{w['passage']} [{alt.passage_rank}]{w[')']}")
    else:
        lines.append(_t(result.message or w["none"]))
    lines.append("")
    likely = likeliest_ranks(result)  # an abstention's best reading's passages, within top-k or below it
    for p in result.passages:
        c = p.chunk
        where = _t(" ▸ ".join(x for x in (c.doc_title, c.section) if x))
        d, r = (_DIM, _RESET) if color else ("", "")
        lines.append(f"[{p.rank}] {where}{w['likeliest'] if p.rank in likely else ''}")
        page = f" p.{c.page_start}" if c.page_start else ""
        lines.append(f"    {d}{_t(c.source)}{page} {c.start}-{c.end}  score {p.score:.4f}{r}")
        for k in p.copies:
            page = f" p.{k.page_start}" if k.page_start else ""
            lines.append(f"    {d}{w['copy']} {_t(k.source)}{page} {k.start}-{k.end}{r}")
        lines.append("    " + _marked(result, p.rank, c.text, c.start, c.end, color).replace("\n", "\n    "))
    n = len(result.passages)
    lines.append(w["count"].format(n=n, s="" if n == 1 else "s", ms=f"{result.latency_ms:.0f}"))
    return "\n".join(lines)


def dump_json(obj, ascii_only: bool = False) -> str:
    """One JSON line, UTF-8 text (all \\u escapes for a terminal that is not UTF-8: still the same JSON).

    A lone surrogate (echoed from bad input) survives only as a \\u escape."""
    if ascii_only:
        return json.dumps(obj)
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj)
    return text


def render_request(result: AskResult, request: dict) -> str:
    """What `bqa ask` prints for ``result``: the JSON object, or the human text (coloured on a terminal)."""
    if request.get("format") == "json":
        return dump_json(result.to_dict(), ascii_only=bool(request.get("ascii")))
    return render_text(result, color=bool(request.get("color")))
