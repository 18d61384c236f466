"""Place names without their administrative suffixes, as questions and titles name them."""

from __future__ import annotations

from qa.lazy_regex import lazy

_PLACE_PART = lazy(r"([\u4e00-\u9fff]{2,8}?)(?:自治区|自治州|特别行政区|省|市|县|区|州|旗|盟)")
_NO_START = lazy(r"[^\u4e00-\u9fff]|[全本各该我年及级和与在对省市县区关于]")  # no place starts at this character
_NO_PLACE = lazy(r"政府|关于|人民|委员|公报|报告|预算|决算|代表|会议|财政|统计")  # words no place name holds


def place_cores(place: str | None) -> tuple[str, ...]:
    """The names in a place without their suffixes: 上海市虹口区 → (上海, 虹口); 石嘴山市 → (石嘴山,)."""
    text, found, i = place or "", [], 0
    while i < len(text):
        if _NO_START.match(text[i]):
            i += 1
            continue
        m = _PLACE_PART.match(text, i)
        if m and _NO_PLACE.search(m.group(1)):
            m = None
        if m:
            found.append(m.group(1))
            i = m.end()
        else:
            i += 1
    return tuple(dict.fromkeys(found))
