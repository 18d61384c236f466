"""What a source says about itself: its title, place, issuing body, issue number, year and date."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.ingest.documents import first_title, iso_date
from qa.types import Document, Source, TocEntry

_ISSUE = re.compile(r"(第[一二三四五六七八九十\d]+[号期])")
_SERIAL = re.compile(r"(总第\d+[号期])")
_YEAR = re.compile(r"((?:19|20)\d{2})年?")
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,9}?(?:自治区|自治州|特别行政区|省|市|县|区|旗|盟|州))")
_NOT_PLACE = re.compile(r"^(?:全|本|各|我|该|市本|省本|县本|区本|地)")
_ORG_TAIL = re.compile(r"(?:局|委员会|政府|厅|办公室|委|院|部|中心|调查队|常委会)$")


def find_place(*texts: str | None) -> str | None:
    """The place a title or issuing body names first: 上海市虹口区, 广东省, 石嘴山市 …"""
    for text in texts:
        if not text:
            continue
        t = re.sub(r"^关于|(?:19|20)\d{2}(?:年度|年)?|关于", " ", text)  # 2025年度和田地区: 和田地区
        places = []
        for m in _PLACE.finditer(t):
            if places and m.start() != places[-1][1]:
                break
            if _NOT_PLACE.match(m.group(1)):
                continue
            places.append((m.group(1), m.end()))
        if places:
            return "".join(p for p, _ in places)
    return None


def source_identity(
    source: str,
    source_id: str,
    fmt: str,
    front: Sequence[str],
    documents: Sequence[Document],
    toc: Sequence[TocEntry],
    n_pages: int | None,
) -> Source:
    """``front``: the repaired lines before the first document (cover, 目录), or its first lines."""
    head = [k for k in front[:12] if k]
    docs = [d for d in documents if not d.doc_id.endswith("#00")]
    if len(docs) == 1 and docs[0].title:
        title = docs[0].title
    else:
        heads = [k for k in head if not re.fullmatch(r"[\d年号期第（）()总]+", k)]
        title = first_title(heads, "").title if heads else ""
        title = title or (docs[0].title if docs and docs[0].title else source_id)
    joined = " ".join(head)
    issue = (m.group(1) if (m := _ISSUE.search(joined)) else None)
    serial = (m.group(1) if (m := _SERIAL.search(joined)) else None)
    date = next((d for k in head if (d := iso_date(k))), None) or next((d.date for d in docs if d.date), None)
    year_m = _YEAR.search(title) or _YEAR.search(joined)
    year = int(year_m.group(1)) if year_m else (int(date[:4]) if date else None)
    issuer = next((k for k in head if _ORG_TAIL.search(k) and len(k) <= 30 and k != title and "关于" not in k), None)
    issuer = issuer or next((d.organization for d in docs if d.organization), None)
    place = find_place(title, issuer, *(d.title for d in docs[:3]), *(d.organization for d in docs[:3]))
    return Source(source=source, source_id=source_id, title=title, format=fmt, place=place, issuer=issuer,
                  issue=issue, serial=serial, year=year, date=date, n_pages=n_pages, toc=tuple(toc))
