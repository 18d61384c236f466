"""What a figure is in its table row, read from the row's own arithmetic.

A budget table's row rarely says which of its numbers is which once the header is lost (a PDF's header
lines come out scrambled, a laid-out text table keeps only positions), but its rates are computed from its
values, so the values name themselves. In "耕地占用税 860 5,473 636.4 1,162 371.0":
5,473 / 860 = 636.4 %: 5,473 is what was done and 860 the plan; 5,473 / 1,162 − 1 = 371.0 %: 1,162 is the
prior year's figure; 636.4 is the completion rate and 371.0 the growth. A value equal to the sum of the next
ones is their total. These roles (``done``, ``plan``, ``prior``, ``total``, ``rate_done``, ``growth``) meet the
ones a question asks for (``Query.roles``) in the answer features.

Only a row's own numbers count: a run of three or more numbers separated by nothing but spaces (a line of a
laid-out table), or a table row's cells up to a cell of words (tables set side by side). A rate is only read
from a number printed with decimals or a % sign that stands after the two it relates (tables put the rate after
its values), from values printed to within 1 % (small counts make chance ratios), and every match must hold to
the rounding of the printed digits. With every number of the corpus's runs scaled by a random 0.7–1.3 (real
arithmetic broken, magnitudes kept), 0–1 % of the runs still got a role this way; without these two rules runs of
six numbers or more got as many chance roles (11–20 %) as real ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa.lazy_regex import lazy

_MINUS = "-−–－"  # the minus signs a table prints (ingest's cell parser reads the same)
_VALUE = lazy(rf"(?<![\w.,%])[{_MINUS}]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?%?(?![\w.,])")
_GAP = lazy(r"[^\S\n]+")  # any whitespace but a line break
_EMPTY_CELL = lazy(r"[-—–/／\s]*")  # a cell that marks no value
MAX_RELATIVE_ROUNDING = 0.01  # a ratio is read only from values printed to within 1 %
MIN_RATE_DECIMALS_STEP = 0.5  # a rate is read only from a number with decimals (or a % sign)
ROLES = frozenset({"done", "plan", "prior", "total", "rate_done", "growth"})
MIN_RUN = 3  # a row's run has at least this many numbers
MAX_RUN = 24  # longer runs are read in their first this many numbers


def parse(text: str) -> tuple[float, float] | None:
    """(value, rounding half-step) of a printed number ("5,473" → (5473.0, 0.5), "-12.45%" → (-12.45, 0.005))."""
    raw = text.strip()
    t = raw.rstrip("%％").replace(",", "")
    t = "-" + t[1:] if t[:1] in _MINUS else t
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", t):
        return None
    decimals = len(t.partition(".")[2])
    step = 0.5 * 10.0 ** -decimals
    if raw.endswith(("%", "％")) and step >= MIN_RATE_DECIMALS_STEP:
        step = MIN_RATE_DECIMALS_STEP - 1e-9  # "12%" is a rate even without decimals
    return float(t), step


@lru_cache(maxsize=4096)
def roles_of(values: tuple[tuple[float, float], ...]) -> tuple[frozenset[str], ...]:
    """The role of each number of a row (value, rounding half-step), from the rates and sums the row holds."""
    n = len(values)
    out: list[set[str]] = [set() for _ in range(n)]
    if n < MIN_RUN:
        return tuple(frozenset(s) for s in out)
    v = np.array([x for x, _ in values])
    e = np.array([h for _, h in values])
    positive = v > 0
    relative = np.where(positive, e / np.where(positive, v, 1.0), 1.0)  # rounding relative to the value (1: unusable)
    ratio = 100.0 * v[:, None] / np.where(positive, v, 1.0)[None, :]  # ratio[i, j] = v_i / v_j in %
    spread = np.abs(ratio) * (relative[:, None] + relative[None, :])
    pair = positive[:, None] & positive[None, :] & (relative[:, None] + relative[None, :] <= MAX_RELATIVE_ROUNDING)
    np.fill_diagonal(pair, False)
    idx = np.arange(n)
    after = (idx[None, None, :] > idx[:, None, None]) & (idx[None, None, :] > idx[None, :, None])  # k after i and j
    rate = (np.abs(v) > 0) & (e < MIN_RATE_DECIMALS_STEP)
    tol = spread[:, :, None] + e[None, None, :] + 1e-9
    ok = pair[:, :, None] & after & rate[None, None, :]
    done = ok & (np.abs(ratio[:, :, None] - v[None, None, :]) <= tol)  # v_k = v_i / v_j: i done of plan j
    grew = ok & (np.abs(ratio[:, :, None] - 100.0 - v[None, None, :]) <= tol)  # v_k = v_i / v_j − 1: j prior
    grew &= (v[:, None] != v[None, :])[:, :, None]  # no growth between equal values (1,500 1,500 100.00 is done)
    for i, j, k in zip(*np.nonzero(done), strict=True):
        out[i].add("done")
        out[j].add("plan")
        out[k].add("rate_done")
    for _i, j, k in zip(*np.nonzero(grew), strict=True):
        out[j].add("prior")
        out[k].add("growth")
    for i in range(n - 2):
        if v[i] == 0:
            continue
        total, step = 0.0, e[i]
        for m in range(i + 1, n):
            total += v[m]
            step += e[m]
            if m - i >= 2 and np.count_nonzero(v[i + 1:m + 1]) >= 2 and abs(total - v[i]) <= step + 1e-9:
                out[i].add("total")
                break
    return tuple(frozenset(s) for s in out)


def run_roles(text: str, a: int, b: int) -> frozenset[str]:
    """The roles of the number at text[a:b] in its line's run of numbers (nothing if it stands in no run)."""
    start = text.rfind("\n", 0, a) + 1
    end = text.find("\n", b)
    end = len(text) if end < 0 else end
    run: list[re.Match[str]] = []
    found = None
    for m in _VALUE.finditer(text, start, end):
        if run and not _GAP.fullmatch(text, run[-1].end(), m.start()):
            if found is not None:
                break
            run = []
        run.append(m)
        if m.start() < b and a < m.end():
            found = len(run) - 1
    if found is None or len(run) < MIN_RUN or found >= MAX_RUN:
        return frozenset()
    return roles_of(tuple(parse(m.group()) for m in run[:MAX_RUN]))[found]  # every _VALUE parses


def cell_roles(cells: Sequence[str], column: int) -> frozenset[str]:
    """The roles of a table row's cell among the numbers of its run: the cells after the row label up to a cell
    of words (the next table's label, when tables are set side by side); an empty cell (—) is skipped."""
    run: list[tuple[int, tuple[float, float]]] = []
    for k, c in enumerate(cells[1:], start=1):
        p = parse(c)
        if p is not None:
            run.append((k, p))
        elif not _EMPTY_CELL.fullmatch(c):
            if k > column:
                break
            run = []
    at = next((n for n, (k, _) in enumerate(run) if k == column), None)
    if at is None or at >= MAX_RUN:
        return frozenset()
    return roles_of(tuple(p for _, p in run[:MAX_RUN]))[at]
