"""Which report a byline names its presenter for, and whether it is the report a question asks about.

A bulletin prints a report beside its companions: the government's 「关于…工作情况的报告」 and the committee's
「…工作情况的调研报告」, the budget's report and the 「…审查结果的报告」 on it, the audit office's
「…预算执行和其他财政收支的审计工作报告」. Each opens with a byline (title, dateline, presenter: the chunk
``is_header``). The head of its title (the words after its last 的: 审计工作报告, 调研报告, 初步审议意见) says which
companion it is; a question about a report that does not name that kind asks about another report.
"""

from __future__ import annotations

import re

from qa.lazy_regex import lazy
from qa.query import Lexicon, Query
from qa.types import Chunk

_QUOTED = lazy(r"《[^》]*(?:》|$)")  # a title the byline quotes (对《…综合报告》和《…专项报告》的初步审议意见), or one left open
_DATELINE = lazy(r"——|\d{4}年\d{1,2}月\d{1,2}日")  # where a byline's title ends: its dash, or the date after it
_TITLE_END = lazy(r"报告|意见")
_BARE_HEAD = 2  # 「…审查结果的报告」: the head is bare 报告, so the words before its 的 say the kind
_BEFORE_BARE = 6  # how many characters before that 的 are read (草案审查结果, not the whole title)
_NO_DE = 8  # a title with no 的 (2026年江西省政府工作报告): its last characters
_LEADING_FIGURES = lazy(r"^[\d年月日—-]+")  # what a window of characters may start inside (「6年预算草案」)


def title_head(header: str) -> str:
    """The head of the report title that a byline chunk's text starts with, '' when it names no report (an agenda,
    a list of appointments, a notice). The title ends at its dateline, with its last 报告 or 意见:

    「关于2024年度…财政收支的审计工作报告 ——2025年7月18日…」 → 审计工作报告
    「关于…草案审查结果的报告 ——…」 → 草案审查结果报告
    「关于2024年度审计工作报告指出问题整改情况的报告 ——…」 → 问题整改情况报告 (its own head, not the report it names)
    「对《…综合报告》和《…专项报告》的初步审议意见 ——…」 → 初步审议意见
    """
    text = _QUOTED.sub("", re.sub(r"\s+", "", header))
    dateline = _DATELINE.search(text)
    text = text[:dateline.start()] if dateline else text
    ends = list(_TITLE_END.finditer(text))
    if not ends:
        return ""
    title = text[:ends[-1].end()]
    before, de, after = title.rpartition("的")
    if not de:
        return title[-_NO_DE:]
    return after if len(after) > _BARE_HEAD else _LEADING_FIGURES.sub("", before[-_BEFORE_BARE:]) + after


def report_kinds(lexicon: Lexicon, header: str) -> tuple[str, ...]:
    """The kinds of companion report (qa/data/query_words.tsv, report_kind) the head of a byline's title says:
    「…工作情况的调研报告」 → (调研,); 「…财政决算的报告」 → ()."""
    head = title_head(header)
    return tuple(p.label for p in lexicon.report_kinds if p.label in head) if head else ()


PRESENTER_KINDS = ("person", "entity")  # what a byline names: who presented the report, and for which body


def another_report(lexicon: Lexicon, query: Query, chunk: Chunk) -> bool:
    """Is ``chunk`` the byline of a report other than the one ``query`` asks about: its title's head says a kind of
    report the question does not name (the audit report's byline to "who presented the budget report?", the
    调研报告's to 「…工作情况的报告由谁作？」). Its presenter is then no answer."""
    if query.reports is None or not chunk.is_header:
        return False
    return any(k not in query.reports for k in report_kinds(lexicon, chunk.text))
