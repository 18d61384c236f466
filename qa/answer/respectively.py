"""Which item a figure belongs to in a 「分别」 clause: 「集成电路、汽车零配件、锂电池出口分别增长107.9%、46.7%、57.4%」
gives 107.9% to 集成电路, 46.7% to 汽车零配件 and 57.4% to 锂电池出口 — the reports' usual way of stating several figures
at once, where the nearest words before a figure name another item than its own.

A clause is read only when it is unambiguous: its items (its words before 分别, parted by 、) are as many as the
figures of the run that follows 分别 (figures parted by 、, 和, 及 or 与, each with its unit or one unit after the
last, a sign or 约 before any), two or more. Two items may be joined by one 和, 与 or 及 instead
(「基本公共卫生补助和城居医保政府补助年人均标准分别提高至99元、700元」) when the words before 分别 hold no 、 and that one
conjunction. An item is named by its first two characters (城镇、农村居民人均可支配收入 → 城镇, 农村): the items'
shared head noun is written once, after the last, so only their leads tell them apart. A first item half again as
long as the shortest other one carries the clause's own words before it (「年末全市参加城镇职工基本养老保险、失业保险、
工伤保险分别达到…」): it is read as long as that one (养老保险). Items whose leads are not
all different are not read, and a question that says more than one lead (城镇新增就业 against
「城镇新增就业、新增发放创业担保贷款」) names none of them.
"""

from __future__ import annotations

import re

from qa.lazy_regex import lazy
from qa.query.lexicon import squash

_RESPECTIVELY = lazy(r"分\s*别")  # spaced-out PDF text too
_ITEM_SEP = "、"
_PAIR_SEP = lazy(r"[和与及]")
_NUMBER = lazy(r"\d+(?:,\d{3})*(?:\.\d+)?")
_SIGN = r"(?:[-−－+]|约|近|超过|超|逾)?"  # what may stand before a figure's digits (its reading starts there)
_BETWEEN = lazy(rf"\s*[%‰]?[^\d、，,。；;：:]{{0,5}}?\s*[、和及与]\s*{_SIGN}\s*")  # unit, separator, sign
_BEFORE = lazy(rf"{_SIGN}\s*")
_LEAD_CHARS = 2
_ASIDE = lazy(r"[（(][^（）()]*[）)]")
_LETTERS_AT_END = lazy(r"[^\W\d_]*$")


def aligned(clause: str, at: int) -> tuple[str, tuple[str, ...]] | None:
    """(the lead of the item the figure starting at ``clause[at]`` belongs to, every item's lead), or None when
    the figure is not one of a 分别 clause's figures."""
    found = _RESPECTIVELY.search(clause)
    if found is None or at < found.end():
        return None
    k = found.start()
    items = [squash(x) for x in clause[:k].split(_ITEM_SEP)]
    if len(items) < 2 and len(pair := _PAIR_SEP.split(clause[:k])) == 2:
        items = [squash(x) for x in pair]  # 「A和B分别…」: two items, one conjunction
    if len(items) < 2:
        return None
    leads = _leads([_first_item(items[0], items[1:]), *items[1:]])  # without the clause's words before it
    if len(set(leads)) != len(leads) or not all(x.isalpha() for x in leads):
        leads = _leads(items)  # the cut named two items alike or cut a word's digit or mark: read as written
    if len(set(leads)) != len(leads) or any(len(x) < _LEAD_CHARS or not x.isalpha() for x in leads):
        return None
    run: list[re.Match[str]] = []
    for m in _NUMBER.finditer(clause, found.end()):
        if run and not _BETWEEN.fullmatch(clause, run[-1].end(), m.start()):
            break
        run.append(m)
    if len(run) != len(leads):
        return None
    for m, lead in zip(run, leads, strict=True):
        if m.start() <= at < m.end() or (at < m.start() and _BEFORE.fullmatch(clause, at, m.start())):
            return lead, leads
    return None


def _leads(items: list[str]) -> tuple[str, ...]:
    return tuple(x[:_LEAD_CHARS] for x in items)


def _first_item(first: str, others: list[str]) -> str:
    """The first item without the clause's words before it: its letters after its last other character, an aside in
    brackets left out (「…96.6%，全区纠纷类」 → 全区纠纷类; 「一般公共预算收入（不含省级）」 → 一般公共预算收入), and when they
    are half again as long as the shortest other item, as many as that one has, from their end (年末全市参加城镇职工
    基本养老保险 → 养老保险)."""
    head = _LETTERS_AT_END.search(_ASIDE.sub("", first)).group()
    first = head if len(head) >= _LEAD_CHARS else first
    shortest = min(len(x) for x in others)
    return first[-shortest:] if len(first) > 1.5 * shortest else first


def respective_fit(clause: str, at: int, asked: str) -> tuple[float, float]:
    """(match, conflict) of the figure at ``clause[at]``: see ``fit_of``."""
    return fit_of(aligned(clause, at), asked)


def fit_of(found: tuple[str, tuple[str, ...]] | None, asked: str) -> tuple[float, float]:
    """(match, conflict) of an ``aligned`` reading: the question (``asked``, squashed) names the figure's own item;
    or it names another item of the clause and not the figure's own."""
    if found is None:
        return 0.0, 0.0
    own, leads = found
    said = [lead for lead in leads if lead in asked]
    if len(said) != 1:
        return 0.0, 0.0
    return (1.0, 0.0) if said[0] == own else (0.0, 1.0)
