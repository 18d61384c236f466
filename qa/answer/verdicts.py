"""Yes/no verdicts: the question's predicate read against one clause of a bulletin.

A figure decides first, when the question names one: a bar (是否超过98%？ against 达标率97.5% → no), a plan
(完成年初预算了吗？ against 为年初预算的18.6% → no) or a level kept (比上年增长了吗？ against 与上年持平 → no).
Then a whole completion asked (全部完成了吗) against a part unfinished (基本完成, 其余…正在推进) is no. Otherwise the polarity
words of the question and of the clause are compared (处分 vs 未处分, 增长 vs 下降).
A verdict is *clear* only when the clause itself settles it; an unclear verdict is never shown on its own.
The words are ``verdict`` and ``polarity`` lines of ``qa/data/query_words.tsv``.
"""

from __future__ import annotations

import re
from functools import cache

from qa.answer.generators import Segment, numbers
from qa.answer.values import value_of
from qa.query import Lexicon
from qa.query.lexicon import normalize

_PLAN_SHARE = r"([^\s，。；,;！？!?的为]{{0,6}}(?:{plan}))[^，。；,;！？!?]{{0,10}}?的\s*(\d+(?:\.\d+)?)\s*%"
_PLAN_BASE = r"(?:比|较|(?<![a-z])(?:than|over|above)(?![a-z]))\s*[^，。；,;！？!?]{{0,8}}?(?:{plan})"  # a change from a plan


def read_verdict(lex: Lexicon, question: str, clause: str) -> tuple[str, bool, bool]:
    """(yes|no, clear, settled by a figure or a bar rather than by polarity words alone) for ``question`` read
    against ``clause``."""
    q = _predicate(lex, question)
    by_figure = figure_verdict(lex, q, clause)
    if by_figure == "unclear":
        return "yes", False, False
    if by_figure is not None:
        return by_figure, True, True
    said = _words(lex, clause)
    if "whole" in _words(lex, q) and _asks_completion(lex, q) and "part" in said and "whole" not in said:
        return "no", True, False  # 是否已全部完成？ against 已基本完成20项，其余2项正在推进 (not …已全部完成，其余工作转入常态化;
        # not 是否都实现了增长？ against …基本完成年度预算: only a completion asked is denied by a part unfinished)
    q_side, c_side = _side(lex, q), _side(lex, clause)
    if q_side and c_side:  # 控制在限额以内？ against 未超限额 / 超出限额
        return ("yes" if q_side == c_side else "no"), True, True
    q_dir, c_dir = _direction(lex, q), _direction(lex, clause)
    q_change = _change(lex, q)
    if q_change and (c_change := _change(lex, clause)):  # 比上年增长了吗？ against 完成预算的81.6%，下降17.1%:
        q_dir, c_dir = q_change, c_change  # the change decides, not 完成
    if q_dir == 0:
        negated = bool(lex.negation.search(clause))
        return ("no" if negated else "yes"), c_dir != 0 or negated, False
    if c_dir == 0:
        if _words(lex, clause) & {"flat"}:  # asked whether it rose (or fell): it stayed level
            return "no", True, False
        return "yes", False, False
    return ("yes" if q_dir == c_dir else "no"), True, False


def figure_verdict(lex: Lexicon, question: str, clause: str) -> str | None:
    """yes | no when a figure of the clause settles the question's bar or plan; "unclear" when the clause's
    figures disagree about it (调整预算的102.3%, 年初预算的98%, and the question names neither); None when no
    figure speaks to it."""
    asked = _words(lex, question)
    c, q = normalize(clause), normalize(question)
    # 完成/达到/超过 … 预算/计划/目标 了吗, or 一般公共预算收入完成了吗 (its budget's); a change asked (比上年增长了吗) is
    # read from the change (read_verdict) unless the question names a plan of its own, which must be reached too,
    # or measures the change from a plan (比年初预算增长了吗: the share decides)
    if asked & {"plan", "budget_name"} and _direction(lex, question) > 0:
        plan = "|".join(p.regex.checked_pattern for p in lex.verdicts if p.label == "plan")
        change = bool(_change(lex, question)) and not re.search(_PLAN_BASE.format(plan=plan), q)
        if not change or "plan" in asked:
            shares = [(m.group(1), float(m.group(2))) for m in re.finditer(_PLAN_SHARE.format(plan=plan), c)]
            named = [v for name, v in shares if name in q]  # the plan the question names (年初预算), when it does
            values = set(named or [v for _, v in shares])
            if len(values) > 1:
                return "unclear"
            if values:
                share = values.pop()
                reached = share > 100 if "strict" in asked else share >= 100
                if not (reached and change):  # reached, with a change asked too: the change decides
                    return "yes" if reached else "no"
    direction = {"above": 1, "below": -1}
    side = [direction[w] for w in ("above", "below") if w in asked]
    if len(side) != 1:
        return None
    bars = _figures(lex, question)
    if len(bars) != 1:
        return None
    bar, cls = bars[0]
    values = {v for v, k in _figures(lex, clause) if k == cls}
    if len(values) != 1:
        return None
    value = values.pop()
    if value == bar:  # 超过100亿元 against 超过100亿元: the words decide, not the figure
        return None
    return "yes" if (value > bar) == (side[0] > 0) else "no"


def _asks_completion(lex: Lexicon, question: str) -> bool:
    """Whether the question asks whether something was done (完成, 建成, 落实, completed…), read apart from the other
    verdict words (全面完成 is a whole word that holds one)."""
    q = normalize(question)
    return any(p.regex.search(q) for p in lex.verdicts if p.label == "completion")


def _predicate(lex: Lexicon, question: str) -> str:
    """The question without its yes/no cue words (是否, 吗, did …), which are no predicate."""
    q = normalize(question)
    for p in lex.intents:
        if p.label == "yes_no":
            q = p.regex.sub(" ", q)
    return q


def _words(lex: Lexicon, text: str) -> set[str]:
    """The verdict-word labels of ``text``; a shorter word inside a longer one of another label does not count
    (不低于 is above, though it holds 低于)."""
    return {lab for _, _, lab in _word_spans(lex, normalize(text))}


def _word_spans(lex: Lexicon, t: str) -> list[tuple[int, int, str]]:
    spans = [(m.start(), m.end(), p.label) for p in lex.verdicts for m in p.regex.finditer(t) if m.end() > m.start()]
    return [(a, b, lab) for a, b, lab in spans
            if not any(a2 <= a and b <= b2 and (b2 - a2) > (b - a) and lab2 != lab for a2, b2, lab2 in spans)]


def _side(lex: Lexicon, text: str) -> int:
    """+1 when ``text`` places something above a bar (超过, 高于), -1 below it (以内, 未超), 0 neither or both. A
    denied act turns its side word round: 没有达到规划预期 is below the plan, as 未超过 is."""
    t = normalize(text)
    flip = {"above": "below", "below": "above"}
    denial = _denial(lex.negated_act.checked_pattern, lex.negation.checked_pattern)
    words = {flip.get(lab, lab) if denial.search(t, max(0, a - 6), a) else lab
             for a, b, lab in _word_spans(lex, t)}  # (未超过 is a below word of its own, not 超过 denied)
    above, below = "above" in words, "below" in words
    return 1 if above and not below else -1 if below and not above else 0


def _direction(lex: Lexicon, text: str) -> int:
    found = lex.find(lex.polarity, text)
    neg, pos = "negative" in found, "positive" in found
    if neg and not pos:
        return -1
    if pos and not neg:
        return 1
    if neg and pos:
        return -1 if lex.negated_act.search(normalize(text)) else 1
    return 0


@cache
def _denial(denied_act: str, negation: str) -> re.Pattern[str]:
    """A denial right before a word (未, 没有, 尚未能), or a denied act (未能实现 增长), from the lexicon's
    ``negated_act`` and ``negation`` patterns: searched up to the word's start, six characters back."""
    return re.compile(rf"(?:(?:{denied_act})|(?:{negation})(?:能|曾|有)?)$")


def _change(lex: Lexicon, text: str) -> int:
    """+1 when ``text`` says a rise (增长, 提高) or a denied fall, -1 a fall (下降, 减少) or a denied rise (没有增长),
    0 neither or both."""
    t = normalize(text)
    turn = {"rise": "fall", "fall": "rise"}
    denial = _denial(lex.negated_act.checked_pattern, lex.negation.checked_pattern)
    labels = {turn[p.label] if denial.search(t, max(0, m.start() - 6), m.start()) else p.label
              for p in lex.polarity if p.label in turn for m in p.regex.finditer(t)}
    if not labels:
        return 0
    return 0 if len(labels) > 1 else 1 if labels == {"rise"} else -1


def _figures(lex: Lexicon, text: str) -> list[tuple[float, str]]:
    """(value in the unit's base, unit class) of each figure with a unit in ``text``; years are no figures."""
    t = normalize(text)
    out = []
    for h in numbers(Segment(t, tuple(range(len(t))))):
        if not h.unit or h.unit == "第" or h.unit in ("年", "月", "日"):
            continue
        parsed = value_of(t[h.start:h.end], h.unit)
        if parsed is not None:
            points = h.unit.endswith("百分点")  # a change in points is no level in per cent
            out.append((parsed[0], "points" if points else lex.unit_class(h.unit)))
    return out
