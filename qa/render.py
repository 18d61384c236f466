"""Human-readable rendering of an answer: the answer line first, then the cited passages."""

from __future__ import annotations

import json

from qa.api import AskResult

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


def render_text(result: AskResult, color: bool = False) -> str:
    lines = []
    if result.answer is not None:
        a = result.answer
        b, r = (_BOLD, _RESET) if color else ("", "")
        page = f", 第 {a.page} 页 / page {a.page}" if a.page else ""
        verdict = {"yes": "是 / yes — ", "no": "否 / no — "}.get(a.verdict or "", "")
        lines.append(f"Answer: {verdict}{b}{_t(a.display or a.text)}{r}   ({_t(a.source)} {a.start}-{a.end}{page}, "
                     f"passage [{a.passage_rank}], P(right) {'>0.99' if a.probability >= 0.995 else f'{a.probability:.2f}'})")
        for o in a.operands:
            lines.append(f"  from: {_t(o.text)}   ({_t(o.source)} {o.start}-{o.end}, passage [{o.passage_rank}])")
        for alt in a.alternatives:
            lines.append(f"  or: {_t(alt.display or alt.text)}   ({_t(alt.source)} {alt.start}-{alt.end}, "
                         f"passage [{alt.passage_rank}])")
    else:
        lines.append(_t(result.message or "公报中未找到答案 / The bulletin does not say."))
    lines.append("")
    for p in result.passages:
        c = p.chunk
        where = _t(" ▸ ".join(x for x in (c.doc_title, c.section) if x))
        d, r = (_DIM, _RESET) if color else ("", "")
        lines.append(f"[{p.rank}] {where}")
        page = f" p.{c.page_start}" if c.page_start else ""
        lines.append(f"    {d}{_t(c.source)}{page} {c.start}-{c.end}  score {p.score:.4f}{r}")
        for k in p.copies:
            page = f" p.{k.page_start}" if k.page_start else ""
            lines.append(f"    {d}同文见 / also in {_t(k.source)}{page} {k.start}-{k.end}{r}")
        lines.append("    " + _marked(result, p.rank, c.text, c.start, c.end, color).replace("\n", "\n    "))
    n = len(result.passages)
    lines.append(f"{n} passage{'' if n == 1 else 's'}, {result.latency_ms:.0f} ms")
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
