"""Chinese characters: the one test every stage uses (CJK Unified Ideographs, U+4E00–U+9FFF; the extension blocks
and compatibility ideographs are not counted, as no genre text needs them to read as Chinese)."""

from __future__ import annotations

HAN = "\u4e00-\u9fff"  # the range, for a regex character class


def is_han(ch: str) -> bool:
    """Whether the one character ``ch`` is a Chinese character."""
    return "\u4e00" <= ch <= "\u9fff"


def han_count(text: str) -> int:
    """How many Chinese characters ``text`` holds."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
