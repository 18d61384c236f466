"""A figure's value: the number it says in its unit's base (亿元/万元/元 → 元), and the key two readings of one
value share however they are printed (494.9亿元, 494.90亿元, 4,949,000万元)."""

from __future__ import annotations

from qa.lazy_regex import lazy
from qa.query.lexicon import squash

_MAGNITUDE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
_NUMBER = lazy(r"[-−]?\d[\d,]*(?:\.\d+)?")
FIGURE_KINDS = ("number", "table_cell")


def value_of(text: str, unit: str) -> tuple[float, str, float] | None:
    """(value in a base unit, base unit, factor from the written unit to the base) of a figure:
    亿元/万元/元 → 元, 万人 → 人, 万千瓦/千瓦 → 瓦, % stays %."""
    m = _NUMBER.search(text)
    if not m:
        return None
    value, factor = float(m.group().replace(",", "").replace("−", "-")), 1.0
    while mag := next((g for g in _MAGNITUDE if unit.startswith(g)), None):
        factor *= _MAGNITUDE[mag]  # every magnitude: 万千瓦 is 1e7 瓦, as 千瓦 is 1e3 瓦
        unit = unit[len(mag):]
    return value * factor, unit, factor


def reading_key(display: str, kind: str, unit: str) -> str:
    """What two readings share when they say the same thing: a figure's value and base unit (12 significant
    digits), anything else its squashed text. A figure printed twice, once with a trailing zero or in 万元, is
    one reading, not a rival of itself."""
    key = squash(display)
    if kind in FIGURE_KINDS and unit != "第":
        parsed = value_of(display, unit)
        if parsed is not None and _NUMBER.fullmatch(_number_part(key, unit)):
            return f"{parsed[0]:.12g}|{parsed[1]}"  # a bare number too: 1,000 and 1000 are one
    return key


def _number_part(key: str, unit: str) -> str:
    """The squashed display without its unit: a figure's number alone, or more (7.8（一季度）, 1-6月) when the
    display says more than a number and its unit — then the text, not the value, is the key."""
    return key[:-len(unit)] if unit and key.endswith(unit) else key
