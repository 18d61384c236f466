"""The question as asked, checked and cleaned: importable before anything heavy, so a cold `bqa ask` rejects a
bad question before loading the engine."""

from __future__ import annotations

import re
import unicodedata

from qa.errors import BqaError

MAX_QUESTION_CHARS = 1000
_EXAMPLE = "谁作的预算执行情况报告？"  # what a refused question is shown to ask instead: any budget bulletin has one


def clean_question(question: object) -> str:
    """The question NFKC-normalised, control characters removed; BqaError when nothing askable is left."""
    if not isinstance(question, str):
        raise BqaError("the question must be text", zh="问题必须是文字")
    if len(question) > MAX_QUESTION_CHARS:
        raise BqaError(f"the question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}",
                       zh=f"问题有 {len(question):,} 个字符，超过上限 {MAX_QUESTION_CHARS:,} 个字符；请缩短后再问")
    text = unicodedata.normalize("NFKC", question)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise BqaError(f"the question is empty; ask something like {_EXAMPLE}",
                       zh=f"问题是空的；可以这样问：{_EXAMPLE}")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise BqaError(f"the question has no words or numbers in it; ask something like {_EXAMPLE}",
                       zh=f"问题里没有文字或数字；可以这样问：{_EXAMPLE}")
    return text
