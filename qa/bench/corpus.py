"""Larger corpora for `bqa bench --scale`: copies of the seed bulletins made into distinct documents.

Copy ``k`` of a bulletin gets another place (上海 → a city, 虹口 → a district), its years shifted, every
figure scaled by its own factor (dates, page references and serial numbers aside), the people named in its
table of contents and document headers renamed, and another serial number, so every copy is a different
document with different answers; its layout (contents, headers, tables) is the seed's, so it parses the same.
Deterministic: the same seed folder and factor give the same files.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from qa.ingest import load_corpus
from qa.ingest.formats import SUPPORTED_SUFFIXES

CITIES = ("北京", "天津", "重庆", "南京", "杭州", "苏州", "宁波", "合肥", "福州", "厦门", "南昌", "济南", "青岛",
          "郑州", "武汉", "长沙", "广州", "深圳", "南宁", "成都", "贵阳", "昆明", "西安", "兰州", "太原")
_PLACE_A = "东西南北青金云华安宁长永新和清明丰嘉瑞泰"
_PLACE_B = "江山河湖阳林川城泉溪原阁桥台"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志文斌海波红宇晨"
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PAGE_REF = re.compile(r"\(\d{1,3}\)\s*$")
_SERIAL = re.compile(r"总第(\d+)号")
_NOT_FIGURE_AFTER = re.compile(r"\s*(?:月|日|号|时|届|次|期|版|条|款|页)")


@dataclass(frozen=True)
class Alteration:
    """What copy ``k`` changes: the place names, the year shift, the people, the figure factors' seed."""

    k: int
    city: str
    district: str
    year_shift: int
    names: dict[str, str]  # seed name -> new name
    serial_shift: int


def _district(k: int) -> str:
    a, b = divmod(k, len(_PLACE_B))
    return _PLACE_A[a % len(_PLACE_A)] + _PLACE_B[b]


def _new_name(rng: random.Random, old: str, surnames: list[str]) -> str:
    return rng.choice(surnames) + "".join(rng.choice(_GIVEN) for _ in range(max(1, len(old) - 1)))


def alteration(k: int, people: list[str], surnames: list[str]) -> Alteration:
    rng = random.Random(k)
    names = {}
    used: set[str] = set(people)
    for person in people:
        new = _new_name(rng, person, surnames)
        while new in used:
            new = _new_name(rng, person, surnames)
        used.add(new)
        names[person] = new
    return Alteration(k, CITIES[k % len(CITIES)], _district(k), -(k % 9) - 1, names, 10 * k)


def _scale_figure(match: re.Match, k: int) -> str:
    """The figure scaled by a factor of its own (the same figure gets the same factor everywhere in a copy, so a
    title quoted in the contents still matches its heading)."""
    whole, frac = match.group(1), match.group(2) or ""
    digits = whole.replace(",", "")
    if len(digits) < 2 and not frac:
        return match.group(0)  # one-digit counts are often list numbers; leave them
    value = float(digits + frac) * random.Random(f"{k}:{digits}{frac}").uniform(0.7, 1.4)
    decimals = len(frac) - 1 if frac else 0
    text = f"{value:,.{decimals}f}" if "," in whole else f"{value:.{decimals}f}"
    return text if text != match.group(0) else f"{float(digits + frac) + 1:.{decimals}f}"


def alter_text(text: str, alt: Alteration) -> str:
    """The seed text as copy ``alt.k``: places, people, serial, years, then figures."""
    text = text.replace("上海", alt.city).replace("虹口", alt.district)
    for old, new in sorted(alt.names.items(), key=lambda kv: -len(kv[0])):
        spaced = new if len(new) != 2 else " ".join(new)  # the contents space out two-character names
        text = re.sub(r"\s?".join(map(re.escape, old)), lambda m, new=new, spaced=spaced: spaced
                      if " " in m.group(0) else new, text)
    text = _SERIAL.sub(lambda m: f"总第{int(m.group(1)) + alt.serial_shift}号", text)
    lines = []
    for line in text.split("\n"):
        ref = _PAGE_REF.search(line)
        body, tail = (line[:ref.start()], line[ref.start():]) if ref else (line, "")
        out, pos = [], 0
        for m in _NUMBER.finditer(body):
            out.append(body[pos:m.start()])
            num = m.group(0)
            if _YEAR.fullmatch(num):
                out.append(str(int(num) + alt.year_shift))
            elif _NOT_FIGURE_AFTER.match(body, m.end()) or body[max(0, m.start() - 2):m.start()] == "总第":
                out.append(num)
            else:
                out.append(_scale_figure(m, alt.k))
            pos = m.end()
        out.append(body[pos:])
        lines.append("".join(out) + tail)
    return "\n".join(lines)


def people_of(corpus_dir: Path) -> list[str]:
    """The people a corpus names in its documents' headers and tables of contents."""
    loaded = load_corpus(corpus_dir)
    people = {d.speaker for s in loaded.sources for d in s.documents if d.speaker}
    people |= {e.speaker for s in loaded.sources for e in s.source.toc if e.speaker}
    return sorted(p for p in people if 2 <= len(p) <= 4)


def _surnames() -> list[str]:
    from qa.paths import REPO_ROOT

    path = REPO_ROOT / "qa" / "data" / "surnames.txt"
    words = [w for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
             for w in line.split()]
    return [w for w in words if len(w) == 1]


def scale_corpus(seed_dir: Path, out_dir: Path, factor: int) -> list[Path]:
    """Write ``factor`` times the seed corpus into ``out_dir``: the seed files, then ``factor - 1`` copies of each."""
    if factor < 1:
        raise ValueError(f"factor must be 1 or more, got {factor}")
    seed_dir, out_dir = Path(seed_dir), Path(out_dir)
    files = sorted(p for p in seed_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                   and p.suffix.lower() in (".txt", ".md"))
    people = people_of(seed_dir)
    surnames = _surnames()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        target = out_dir / f.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
        for k in range(1, factor):
            target = out_dir / f"{f.stem}-copy{k:03d}{f.suffix}"
            target.write_text(alter_text(text, alteration(k, people, surnames)), encoding="utf-8")
            written.append(target)
    return written
