"""What a figure is in its table row, read from the row's own arithmetic.

A budget table's row rarely says which of its numbers is which once the header is lost (a PDF's header
lines come out scrambled, a laid-out text table keeps only positions), but its rates are computed from its
values, so the values name themselves. In "耕地占用税 860 5,473 636.4 1,162 371.0":
5,473 / 860 = 636.4 %: 5,473 is what was done and 860 the plan; 5,473 / 1,162 − 1 = 371.0 %: 1,162 is the
prior year's figure; 636.4 is the completion rate and 371.0 the growth. A value equal to the sum of the next
ones is their total. These roles (``done``, ``plan``, ``prior``, ``total``, ``rate_done``, ``growth``) meet the
ones a question asks for (``Query.roles``) in the answer features.

Only a row's own numbers count: a run of three or more numbers separated by nothing but spaces (a line of a
laid-out table), or a table row's cells. A rate is only read from a number after the two it relates (tables
put the rate after its values), and every match must hold to the rounding of the printed digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_VALUE = re.compile(r"(?<![\w.,%])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?(?![\w.,])|(?<![\w.,%])-?\d+(?:\.\d+)?%?(?![\w.,])")
_GAP = re.compile(r"[ \t\u3000]+")
ROLES = frozenset({"done", "plan", "prior", "total", "rate_done", "growth"})
MIN_RUN = 3  # a row's run has at least this many numbers
MAX_RUN = 24  # longer runs are read in their first this many numbers


def parse(text: str) -> tuple[float, float] | None:
    """(value, rounding half-step) of a printed number ("5,473" → (5473.0, 0.5), "-12.45%" → (-12.45, 0.005))."""
    t = text.strip().rstrip("%％").replace(",", "")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", t):
        return None
    decimals = len(t.partition(".")[2])
    return float(t), 0.5 * 10.0 ** -decimals


@lru_cache(maxsize=4096)
def roles_of(values: tuple[tuple[float, float], ...]) -> tuple[frozenset[str], ...]:
    """The role of each number of a row (value, rounding half-step), from the rates and sums the row holds."""
    n = len(values)
    out: list[set[str]] = [set() for _ in range(n)]
    if n < MIN_RUN:
        return tuple(frozenset(s) for s in out)
    v = np.array([x for x, _ in values])
    e = np.array([h for _, h in values])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 100.0 * v[:, None] / v[None, :]  # ratio[i, j] = v_i / v_j in %
        spread = np.abs(ratio) * (e[:, None] / np.abs(v[:, None]) + e[None, :] / np.abs(v[None, :]))
    usable = (v[:, None] > 0) & (v[None, :] > 0) & (v[:, None] != v[None, :])
    idx = np.arange(n)
    after = (idx[None, None, :] > idx[:, None, None]) & (idx[None, None, :] > idx[None, :, None])  # k after i and j
    tol = spread[:, :, None] + e[None, None, :] + 1e-9
    ok = usable[:, :, None] & after & (np.abs(v)[None, None, :] > 0)
    done = ok & (np.abs(ratio[:, :, None] - v[None, None, :]) <= tol)  # v_k = v_i / v_j: i done of plan j
    grew = ok & (np.abs(ratio[:, :, None] - 100.0 - v[None, None, :]) <= tol)  # v_k = v_i / v_j − 1: j prior
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
    tokens = [m for m in _VALUE.finditer(text, start, end)]
    run: list[re.Match[str]] = []
    found = None
    for m in tokens:
        if run and not _GAP.fullmatch(text, run[-1].end(), m.start()):
            if found is not None:
                break
            run = []
        run.append(m)
        if m.start() < b and a < m.end():
            found = len(run) - 1
    if found is None or len(run) < MIN_RUN or found >= MAX_RUN:
        return frozenset()
    values = [parse(m.group()) for m in run[:MAX_RUN]]
    return roles_of(tuple(x for x in values if x is not None))[found] if None not in values else frozenset()


def cell_roles(cells: Sequence[str], column: int) -> frozenset[str]:
    """The roles of a table row's cell (columns after the row label that hold a number)."""
    numeric = [(k, p) for k, c in enumerate(cells) if k > 0 and (p := parse(c)) is not None][:MAX_RUN]
    at = next((n for n, (k, _) in enumerate(numeric) if k == column), None)
    if at is None:
        return frozenset()
    return roles_of(tuple(p for _, p in numeric))[at]
