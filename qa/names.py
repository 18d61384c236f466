"""People's names in running text: a known surname (``qa/data/surnames.txt``) and one to three more characters,
next to a title, a role or a verb of office, that is not a dictionary word (常务 of 常务委员会, 安全). Both the build (which stores the pinyin of every name it finds, so
English questions can name anyone in the bulletins) and the answer generators read names this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from qa.han import HAN
from qa.lazy_regex import lazy
from qa.paths import data_file
from qa.terms import is_word

ROLE = r"(?:长|主任|书记|委员|主席|代表|局长|厅长|部长|处长|主任委员|秘书长|同志|负责人)"
_NAME_VERBS = r"(?:接受|任命|免去|同意|决定|选举|补选|委托|受|由|经|请|任)"
_BEFORE = lazy(rf"{ROLE}\s*$|[\s：:、，（(]$|{_NAME_VERBS}$")
_AFTER = lazy(rf"(?:同志|{ROLE}|市长|省长|县长|区长|辞去|担任|代表|为|任|作|所作|[\s，,、。；）)]|$)")
_RUN = lazy(rf"[{HAN}]{{2,}}")


@cache
def surnames() -> frozenset[str]:
    text = data_file("surnames.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.lstrip().startswith("#") for w in line.split())


def person_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each name in ``text``."""
    names = surnames()
    for m in _RUN.finditer(text):
        run_a, run_b = m.span()
        for a in range(run_a, run_b - 1):
            double = text[a:a + 2] in names
            if not (text[a] in names or double):
                continue
            if not (a == 0 or _BEFORE.search(text, max(0, a - 8), a)) or re.match(_NAME_VERBS, text[a:]):
                continue  # no cue before it, or 任命王敏's 任 starts a verb here
            if a > 0 and re.search(rf"{_NAME_VERBS}$", text[max(0, a - 2):a]) and is_word(text[a - 1:a + 1]) \
                    and not re.search(rf"{ROLE}$", text[max(0, a - 6):a]):
                continue  # a verb cue that makes a word with the surname: 经费支出, 由于金融 (not a title: 主任何伟)
            for size in (3, 2) if not double else (4, 3):  # a single surname and three characters is no name
                # here (文化创意, 安全生产, 江湾医院 after 、)
                b = a + size
                if b <= run_b and _AFTER.match(text, b, b + 3):
                    if not is_word(text[a:b]):
                        yield a, b
                    break
