"""Pick the answer span among the candidates of the retrieved passages, or abstain.

A candidate's support is

    term link  ×  fit factors (kind, unit, year, period, scope, named people/districts, action)  ×  rank factor

where the term link is the weighted share of the question's terms found near the candidate —
in the words right before it (1.0), right after it (0.8), its clause (0.65), its sentence (0.4)
or only elsewhere in the passage or its titles (0.2). Support lies in [0, 1] and is reported as
the answer's confidence; below ``threshold`` the extractor abstains.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.types import Answer, Passage

from .question import (
    AMOUNT_UNITS,
    GENERIC_TERMS,
    PERIODS,
    RATIO_UNITS,
    SCOPE_FAMILIES,
    QuestionInfo,
    analyze_question,
    gloss_groups,
)
from .spans import (
    DATE_RANGE,
    DATE_RE,
    VERDICT,
    Segments,
    Span,
    change_spans,
    clause_spans,
    date_spans,
    is_negative,
    list_spans,
    name_spans,
    number_spans,
    ordinal_spans,
    phrase_spans,
    role_spans,
    speaker_span,
)
from .tables import table_spans

DEFAULT_THRESHOLD = 0.22  # calibrated on gold: see the report of 2026-11-25
MAX_ALTERNATIVES = 3
_ASKS_SPEAKER = re.compile(r"报告|汇报|讲话|发言|说明|\breport|\bpresent|\bdeliver|\bspeech", re.I)
_NUMERIC = frozenset({"number", "table_cell"})
_HAS_ALTERNATIVES = frozenset({"number", "table_cell", "date", "entity"})
MISSING_TERM_FACTOR = 0.6  # per specific question term no passage mentions (at most two)
HEAD_KINDS = frozenset({"number", "table_cell"})
HEAD_MISS_FACTOR = 0.65
ALTERNATIVE_RATIO = 0.75  # an alternative reading must score at least this share of the best

_LEVELS = (("own", 1.0), ("after", 0.8), ("prev", 0.75), ("clause", 0.65), ("sentence", 0.4))
_PASSAGE_LEVEL = 0.2
_EN_LINK_BOOST = 1.6
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_CLAUSE_SPLIT = re.compile(r"[，；,;]")
# all period patterns in one pass: group p3 -> PERIODS label 3
_PERIOD_LABELS = {f"p{i}": label for i, label in enumerate(PERIODS)}
_PERIOD_ANY = re.compile(
    "|".join(f"(?P<p{i}>{pattern.pattern})" for i, pattern in enumerate(PERIODS.values())), re.I
)
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_DISTRICT = re.compile(
    r"(黄浦|徐汇|长宁|静安|普陀|虹口|杨浦|闵行|宝山|嘉定|浦东新|浦东|金山|松江|青浦|奉贤|崇明)区"
)

# candidate kinds that can answer each question kind
_WANT: dict[str, frozenset[str]] = {
    "number": frozenset({"number", "table_cell"}),
    "date": frozenset({"date"}),
    "entity": frozenset({"entity"}),
    "list": frozenset({"list", "entity"}),
    "yes_no": frozenset({"yes_no"}),
    "text": frozenset({"text"}),
}


@dataclass(frozen=True)
class Extraction:
    answer: Answer | None
    abstained: bool
    message: str | None  # the abstention message, or 是/否 (Yes/No) for a yes/no answer
    candidates: int  # how many candidate spans were considered


@dataclass(frozen=True)
class _Scored:
    span: Span
    score: float
    source: str
    rank: int
    conflict: bool  # contradicts a year/period/scope the question named


def extract_answer(
    question: str,
    passages: Sequence[Passage],
    texts: Mapping[str, str],
    *,
    threshold: float | None = None,
) -> Extraction:
    """The exact span of the passages that answers ``question``, or an abstention."""
    info = analyze_question(question)
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    if info.lang == "en" and info.anchors:
        info = _resolve_pinyin(info, passages, texts)
    if not info.terms and not info.anchors and not info.years:
        # nothing to look for ("a b", markup, emoji): no span can be about the question
        return Extraction(None, True, _abstain_message(info), 0)
    scored: list[_Scored] = []
    for passage in passages:
        source_text = texts.get(passage.chunk.source)
        if source_text is None:
            continue
        scored.extend(_score_passage(info, passage, source_text))
    if not scored and info.kind != "text":
        # nothing of the asked shape: fall back to the best sentence, at a discount
        fallback = dataclasses.replace(info, kind="text")
        for passage in passages:
            source_text = texts.get(passage.chunk.source)
            if source_text is not None:
                scored.extend(
                    _Scored(s.span, s.score * 0.5, s.source, s.rank, s.conflict)
                    for s in _score_passage(fallback, passage, source_text)
                )
    missing = _missing_key_terms(info, passages, texts)
    if missing:
        # the question names something none of the passages mention (常住人口, 九次会议)
        factor = MISSING_TERM_FACTOR ** min(2, len(missing))
        scored = [dataclasses.replace(s, score=s.score * factor) for s in scored]
    scored.sort(key=lambda s: (-s.score, s.rank, s.span.start))
    if not scored or scored[0].score < limit:
        return Extraction(None, True, _abstain_message(info), len(scored))
    best = scored[0]
    alternatives = _alternatives(best, scored[1:], limit)
    answer = _answer(best, alternatives)
    message = None
    if best.span.kind == "yes_no":
        negative = is_negative(best.span.text)
        message = ("否" if negative else "是") if info.lang == "zh" else ("No" if negative else "Yes")
    return Extraction(answer, False, message, len(scored))


_ORDINAL_TERM = re.compile(r"[一二三四五六七八九十]+[次届号]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
# a Chinese name standing as a person: 任命X同志, a speaker line ("主任 万建辉"), X同志
_NAME_BEFORE = re.compile(r"(?:任命|免去|接受|由|委托|[长任记员]|^)$")
_NAME_AFTER = re.compile(r"^(?:同志|受|所作|$)")


# names as the bulletin writes people: 任命X同志为, 免去X同志的, 接受X同志, a speaker line (主任 万建辉)
_PERSON_IN_TEXT = re.compile(
    r"(?:任命|免去|接受|由)(?P<a>[\u4e00-\u9fff]{2,4}?)同志|(?P<b>[\u4e00-\u9fff]{2,3}?)同志|"
    r"(?m:(?:主任委员|主任|局长|区长|书记|院长|检察长|委员|组长|主席)[ \t\u3000]+"
    r"(?P<c>[\u4e00-\u9fff](?:[ \u3000]?[\u4e00-\u9fff]){1,3})[ \t\u3000]*$)"
)


@functools.lru_cache(maxsize=8)
def _people_by_pinyin(text: str) -> dict[str, tuple[str, ...]]:
    """Every person named in ``text`` keyed by the name's toneless pinyin (wanjianhui)."""
    out: dict[str, dict[str, None]] = {}
    for m in _PERSON_IN_TEXT.finditer(text):
        name = re.sub(r"[ \u3000]", "", m.group("a") or m.group("b") or m.group("c"))
        out.setdefault("".join(_char_pinyin(ch) for ch in name), {})[name] = None
    return {k: tuple(v) for k, v in out.items()}


def pinyin_names(question: str, texts: Mapping[str, str]) -> tuple[str, ...]:
    """The Chinese names of the people an English question names in pinyin (Wan Jianhui -> 万建辉),
    as the bulletins write them; for expanding the question before retrieval."""
    info = analyze_question(question)
    if info.lang != "en":
        return ()
    names: list[str] = []
    for anchor in info.anchors:
        words = anchor.lower().replace("'", "").split()
        if len(words) < 2:
            continue
        for key in ("".join(words), "".join(words[1:] + words[:1])):
            for text in texts.values():
                names += _people_by_pinyin(text).get(key, ())
    return tuple(dict.fromkeys(names))


@functools.lru_cache(maxsize=4096)
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0]


def _resolve_pinyin(info: QuestionInfo, passages: Sequence[Passage], texts: Mapping[str, str]) -> QuestionInfo:
    """Pinyin names of an English question (Wan Jianhui) replaced by the Chinese names of the
    passages that read the same (万建辉); a name no passage holds is left as it was."""
    targets = {}
    for anchor in info.anchors:
        words = anchor.lower().replace("'", "").split()
        if len(words) < 2 or any(_CJK_CHAR.search(w) for w in words):
            continue
        targets["".join(words)] = anchor
        targets["".join(words[1:] + words[:1])] = anchor  # Jianhui Wan
    if not targets:
        return info
    found: dict[str, dict[str, bool]] = {}
    for p in passages:
        c = p.chunk
        raw = re.sub(r"[ \t\u3000]+", "", texts.get(c.source, "")[c.start : c.end])
        for run in _HAN_RUN.finditer(raw):
            text = run.group()
            for i in range(len(text) - 1):
                joined = ""
                for j in range(i, min(i + 4, len(text))):
                    joined += _char_pinyin(text[j])
                    anchor = targets.get(joined)
                    if anchor and j > i:
                        name = text[i : j + 1]
                        at, end = run.start() + i, run.start() + j + 1
                        named = bool(_NAME_BEFORE.search(raw[max(0, at - 2) : at]) or _NAME_AFTER.match(raw[end:]))
                        seen = found.setdefault(anchor, {})
                        seen[name] = seen.get(name, False) or named
                    if len(joined) >= max(map(len, targets)):
                        break
    if not found:
        return info
    anchors: list[str] = []
    for anchor in info.anchors:
        names = found.get(anchor)
        if not names:
            anchors.append(anchor)
            continue
        named = [n for n, ok in names.items() if ok]
        anchors += named or list(names)
    return dataclasses.replace(info, anchors=tuple(dict.fromkeys(anchors)))


def _missing_key_terms(info: QuestionInfo, passages: Sequence[Passage], texts: Mapping[str, str]) -> list[str]:
    """Specific question terms (three characters or more, or an ordinal like 九次) found in none
    of the passages, their titles or their shown text."""
    if info.lang == "en":
        # one gloss of an English phrase is enough (complaints: 诉求 or 投诉)
        groups = [
            g for g in gloss_groups(info.question)
            if not any(t in GENERIC_TERMS or len(t) < 2 or t in info.anchors for t in g)
        ]
    else:
        groups = [
            (t,) for t, _ in _term_groups(info.terms)
            if t not in GENERIC_TERMS and not t.isascii() and t not in info.joined
            and (len(t) >= 3 or _ORDINAL_TERM.fullmatch(t))
        ]
    if not groups:
        return []
    hay = []
    for p in passages:
        c = p.chunk
        source = texts.get(c.source, "")
        hay += [source[c.start : c.end], c.text, c.doc_title, " ".join(c.section_path), c.table or ""]
    joined = "\n".join(hay)
    return [g[0] for g in groups if not any(_mentions(joined, t) for t in g)]


def _mentions(text: str, term: str) -> bool:
    if _ORDINAL_TERM.fullmatch(term):  # 九次 is not in 二十九次
        return re.search(f"(?<![一二三四五六七八九十]){term}", text) is not None
    return term in text


def _answer(best: _Scored, alternatives: Sequence[_Scored] = ()) -> Answer:
    return Answer(
        text=best.span.text,
        source=best.source,
        start=best.span.start,
        end=best.span.end,
        passage_rank=best.rank,
        kind=best.span.kind,
        confidence=round(min(1.0, max(0.0, best.score)), 4),
        alternatives=tuple(_answer(a) for a in alternatives),
    )


def _alternatives(best: _Scored, rest: Sequence[_Scored], limit: float) -> list[_Scored]:
    out: list[_Scored] = []
    seen = {_key(best.span)}
    taken = [(best.source, best.span.start, best.span.end)]
    for cand in rest:
        if len(out) >= MAX_ALTERNATIVES or cand.score < max(limit, ALTERNATIVE_RATIO * best.score):
            break
        same_kind = cand.span.kind == best.span.kind or {cand.span.kind, best.span.kind} <= _NUMERIC
        if (
            cand.conflict
            or not same_kind
            or cand.span.kind not in _HAS_ALTERNATIVES
            or _key(cand.span) in seen
        ):
            continue
        if any(src == cand.source and s < cand.span.end and cand.span.start < e for src, s, e in taken):
            continue
        seen.add(_key(cand.span))
        taken.append((cand.source, cand.span.start, cand.span.end))
        out.append(cand)
    return out


def _key(span: Span) -> str:
    """Same figure, same answer: 494.90 亿元 in one passage and 494.9亿元 in another."""
    if span.kind in ("number", "table_cell"):
        m = re.match(r"\D*?(\d+(?:\.\d+)?)", span.value)
        if m:
            return m.group(1)
    return span.value


def _abstain_message(info: QuestionInfo) -> str:
    if info.lang == "en":
        return f'The bulletin contains no information about "{info.topic}".'
    return f"公报中未找到关于{info.topic}的信息"


# --- candidates ---------------------------------------------------------------------------------


def _candidates(info: QuestionInfo, passage: Passage, source_text: str) -> list[Span]:
    chunk = passage.chunk
    raw = source_text[chunk.start : chunk.end]
    want = _WANT[info.kind]
    if chunk.kind == "table_row":
        if info.kind == "text":
            # 全年目标怎么表述: a cell written in words (完成市下达目标) is the answer to a how-question
            cells = table_spans(chunk, raw, chunk.start, frozenset({"table_cell"}))
            return [c for c in cells if c.kind == "table_cell"]
        return (
            table_spans(chunk, raw, chunk.start, want, info.counter)
            if want & {"number", "table_cell", "date", "entity"}
            else []
        )
    seg = Segments(raw)
    spans: list[Span] = []
    if "number" in want:
        figures = number_spans(raw, chunk.start, seg, info.counter)
        if info.change:
            # a single figure is half of the before-and-after asked for
            figures = [dataclasses.replace(f, prior=0.6 * f.prior) for f in figures]
            figures += change_spans(raw, chunk.start, seg)
        if "第几" in info.question:
            taken = {f.start for f in figures}
            figures += [o for o in ordinal_spans(raw, chunk.start, seg, info.counter) if o.start not in taken]
            figures += _numbered_spans(info.question, raw, chunk.start, seg)
        if _ASKS_AFTER_CHANGE.search(info.question) and not info.change:
            figures = [_after_change(f) for f in figures]
        spans += figures
    if "date" in want:
        spans += date_spans(raw, chunk.start, seg)
    if "entity" in want:
        asks_role = (
            info.kind == "entity"
            and not info.person
            and any(a in raw or a in _compact(raw) for a in info.anchors if not _DISTRICT.fullmatch(a))
        )
        names = [] if asks_role else name_spans(raw, chunk.start, seg, chunk.doc_title)
        # a person the question names is not the one it asks for (除了杜文洁还有谁)
        # the post of the person the question names, never another's
        spans += [r for r in role_spans(raw, chunk.start, seg) if r.value in info.anchors] if asks_role else [
            n for n in names if n.value not in info.anchors
        ]
        if info.kind == "entity" and not info.person and not asks_role:
            spans += phrase_spans(raw, chunk.start, seg, info.question, "entity")
        if _ASKS_SPEAKER.search(info.question):
            found = speaker_span(source_text, chunk.start, chunk.doc_title, info.question)
            spans += [found] if found else []
    if "list" in want:
        spans += list_spans(raw, chunk.start, seg, tuple(t for t, _ in _term_groups(info.terms)))
    if "yes_no" in want:
        heading = chunk.section_path[-1] if chunk.section_path else ""
        title = _compact(chunk.doc_title)
        for clause in clause_spans(raw, chunk.start, seg, "yes_no"):
            if title and _compact(clause.text) == title:
                clause = dataclasses.replace(clause, prior=0.5 * clause.prior)  # the title decides nothing
            elif not clause.prev and heading and VERDICT.search(clause.text):
                clause = dataclasses.replace(clause, prev=heading)  # 无。 under （二）金融企业国有资产
            spans.append(clause)
    if "text" in want:
        spans += phrase_spans(raw, chunk.start, seg, info.question, "text")
    return spans


_NUMBERED_NOUN = re.compile(r"第几号([\u4e00-\u9fff]{2})")
_ASKS_AFTER_CHANGE = re.compile(r"调整为|调整后")
_CHANGED_FROM = re.compile(r"^(?P<own>.*?)由\s*[\d.,]+\s*[\u4e00-\u9fff]{0,3}\s*(?:调整为|调整后为)\s*$", re.S)


def _numbered_spans(question: str, raw: str, base: int, seg: Segments) -> list[Span]:
    """第几号文件 answered by the number written after the noun: （文件7）."""
    m = _NUMBERED_NOUN.search(question)
    if not m:
        return []
    return [
        Span("number", base + f.start(), base + f.end(), f.group(0), unit="号", value=f.group(0),
             **seg.context(f.start(), f.end()))
        for f in re.finditer(re.escape(m.group(1)) + r"\s*\d{1,3}(?![\d.])", raw)
    ]


def _after_change(span: Span) -> Span:
    """由 A 调整为 B: B is named by the words that name A, at the head of the clause."""
    lead = _CLAUSE_SPLIT.split(span.before)[-1] if span.before else ""
    m = _CHANGED_FROM.match(lead)
    if not m or not m.group("own").strip():
        return span
    return dataclasses.replace(span, own=f"{m.group('own').strip()} 调整为")


# --- scoring ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _home_district(source: str, length: int, head: str) -> str | None:
    """The district a bulletin is about: the first one named in its opening lines."""
    m = _DISTRICT.search(head)
    return m.group(0) if m else None


def _score_passage(info: QuestionInfo, passage: Passage, source_text: str) -> list[_Scored]:
    chunk = passage.chunk
    raw = source_text[chunk.start : chunk.end]
    titles = f"{chunk.doc_title} {' '.join(chunk.section_path)} {chunk.table or ''} {' '.join(chunk.header)}"
    passage_text = f"{raw} {chunk.text} {titles}"
    home = _home_district(chunk.source, len(source_text), source_text[:2000])
    base = _rank_factor(passage.rank) * _anchor_factor(info, passage_text, home)
    if base == 0:
        return []
    title_years = {int(y) for y in _YEAR.findall(titles)}
    lead_years = {int(y) for y in _YEAR.findall(passage_text)}
    lead_periods = _periods_in(passage_text) if info.periods else set()
    out = []
    for span in _candidates(info, passage, source_text):
        link = _term_link(info, span, passage_text)
        fit, conflict = _fit(info, span, title_years, lead_years, lead_periods)
        out.append(_Scored(span, link * fit * base, chunk.source, passage.rank, conflict))
    return out


def _compact(text: str) -> str:
    return re.sub(r"[ \t\u3000]+", "", text)


def _rank_factor(rank: int) -> float:
    return max(0.7, 1.0 - 0.04 * (rank - 1))


def _anchor_factor(info: QuestionInfo, passage_text: str, home: str | None) -> float:
    factor = 1.0
    compact = None
    for anchor in info.anchors:
        if anchor in passage_text or (anchor.endswith("区") and anchor == home):
            continue
        compact = _compact(passage_text) if compact is None else compact
        if anchor in compact:  # 王 浩 on a speaker line
            continue
        factor *= 0.15
    return factor


def _term_weight(term: str) -> float:
    weight = min(len(term), 4) / 2 if not term.isdigit() else 1.5
    return weight * (0.3 if term in GENERIC_TERMS else 1.0)


@functools.lru_cache(maxsize=1024)
def _term_groups(terms: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Maximal terms with the shorter terms inside them (地方政府债务限额 ⊃ 债务限额, 债务 …).

    A tokenizer that also emits sub-words would otherwise count one compound several times."""
    maximal = [t for t in terms if not any(t != u and t in u for u in terms)]
    return tuple((m, tuple(t for t in terms if t != m and t in m)) for m in maximal)


def _level(
    term: str, fields: Sequence[tuple[str, float]], passage_text: str, anchor: tuple[int, int] | None = None
) -> float:
    """How close to the span ``term`` occurs: the level of the first field holding it.

    ``anchor`` is the span's (start, end) inside its clause; a term far from it in a long
    clause counts little more than one elsewhere in the sentence."""
    fold = term.isascii()  # pm2.5 ~ PM2.5
    needle = term.lower() if fold else term
    for name_level, (text, level) in zip(_LEVELS, fields, strict=True):
        hay = text.lower() if fold else text
        at = hay.find(needle)
        if at < 0:
            continue
        if name_level[0] == "clause" and anchor is not None:
            lo, hi = anchor
            distance = min(lo - i - len(needle) if i < lo else i - hi for i in _all(hay, needle))
            return max(_LEVELS[-1][1], level - 0.0125 * max(0, distance - 6))
        return level
    hay = passage_text.lower() if fold else passage_text
    return _PASSAGE_LEVEL if needle in hay else 0.0


def _all(hay: str, needle: str) -> list[int]:
    out, at = [], hay.find(needle)
    while at >= 0:
        out.append(at)
        at = hay.find(needle, at + 1)
    return out


def _term_link(info: QuestionInfo, span: Span, passage_text: str) -> float:
    """Weighted share of the question's terms found near the span (see the module docstring)."""
    groups = _term_groups(info.terms)
    if not groups:
        return 0.3
    fields = [(getattr(span, name), level) for name, level in _LEVELS]
    lead = len(_CLAUSE_SPLIT.split(span.before)[-1]) if span.before else None
    anchor = (lead, lead + len(span.text)) if lead is not None else None
    total = found = 0.0
    for term, parts in groups:
        weight = _term_weight(term) * (0.5 if term in info.joined else 1.0)
        total += weight
        level = _level(term, fields, passage_text, anchor)
        for alias in _SYNONYMS.get(term, ()):
            if level >= 1.0:
                break
            level = max(level, _level(alias, fields, passage_text, anchor))
        if level < 1.0 and len(term) >= 3:
            # partial credit from the pieces: sub-terms, else character pairs (区监委 ~ 监委)
            pieces = parts or tuple(term[i : i + 2] for i in range(len(term) - 1))
            partial = sum(_level(p, fields, passage_text, anchor) for p in pieces) / len(pieces)
            level = max(level, (0.8 if parts else 0.5) * partial)
        found += weight * level
    share = found / total
    # English glosses over-generate (complaints -> 诉求, 投诉): no passage uses every synonym
    return min(1.0, share * _EN_LINK_BOOST) if info.lang == "en" else share


def _fit(
    info: QuestionInfo, span: Span, title_years: set[int], lead_years: set[int], lead_periods: set[str]
) -> tuple[float, bool]:
    """Product of the fit factors, and whether the span contradicts what the question named."""
    factor, conflict = span.prior, False
    near = f"{span.own} {span.after} {span.prev}"
    if info.kind == "number":
        factor *= _unit_factor(info, span)
    head = _head_term(info)
    if head and span.kind in HEAD_KINDS and head not in f"{span.own} {span.after} {span.prev}":
        factor *= HEAD_MISS_FACTOR  # what the question asks about is named right by the answer
    if span.kind == "date" and info.single_day and DATE_RANGE.search(span.text):
        factor *= 0.5  # a range when one day was asked (the closing day of a two-day session)
    if info.years:
        f, c = _year_factor(info, span, title_years, lead_years)
        factor, conflict = factor * f, conflict or c
    if info.periods:
        f, c = _period_factor(info, span, lead_periods)
        factor, conflict = factor * f, conflict or c
    for family, members in SCOPE_FAMILIES.items():
        asked = [label for label in members if label in info.scopes]
        present = [label for label, pattern in members.items() if pattern.search(near)]
        if asked:
            if any(label in present for label in asked):
                continue
            if present and not (family == "debt" and "合计" in asked):
                factor *= 0.35
                conflict = True
            else:
                factor *= 0.85
        elif family == "debt" and any(p != "合计" for p in present) and _sub_scope_before(span):
            factor *= 0.75  # a part (一般债务) when the question asked for the whole
        elif family == "plan" and "计划" in present and span.kind == "table_cell":
            factor *= 0.85  # without a word on plans, the achieved figure is the likelier reading
    if span.kind == "number" and info.lang == "zh" and not info.change:
        factor *= _verb_factor(info.question, span)  # (a before-and-after question wants both)
    if span.kind == "entity" and info.lang == "zh":
        factor *= _asked_noun_factor(info.question, span)
    if info.action and span.action and info.action != span.action:
        factor *= 0.3
        conflict = True
    return factor, conflict


# what a figure does in its clause, as a question names it -> as the bulletin writes it
_VERBS = (
    (re.compile(r"调整为|调整后"), re.compile(r"调整为|调整后")),
    (re.compile(r"调增"), re.compile(r"调增")),
    (re.compile(r"调减"), re.compile(r"调减")),
    (re.compile(r"不同意|拒绝|放弃"), re.compile(r"不同意|拒绝|放弃|反对")),
    (re.compile(r"(?<!不)同意"), re.compile(r"(?<!不)同意")),
    (re.compile(r"高出|超过|超出|快于|高于"), re.compile(r"高出|高于|超过|超出|快于|超")),
    (re.compile(r"下降|降低|减少"), re.compile(r"下降|降低|减少")),
)
_BEFORE_VALUE = re.compile(r"由\s*$")
_AFTER_VALUE = re.compile(r"由.*(?:调整为|调整后为)\s*$", re.S)  # 由 A 调整为 B: A is the figure before the change


def _verb_factor(question: str, span: Span) -> float:
    """A figure the question's verb (调增, 同意, 高出) governs, over the clause's other figures."""
    asked = [text for ask, text in _VERBS if ask.search(question)]
    if not asked:
        return 1.0
    lead = _CLAUSE_SPLIT.split(span.before)[-1] if span.before else span.own
    # 预算数由\n\n234.85亿元: a figure opening a line reads on from the clause before
    told = lead if lead.strip() else span.prev
    if asked[0].pattern.startswith("调整为"):
        if _BEFORE_VALUE.search(told):
            return 0.5
        if _AFTER_VALUE.search(told):
            return 1.2  # 由 A 调整为 B: B, the figure after the change
    here = f"{lead}{span.text}"
    if any(p.search(here) for p in asked):
        return 1.0
    others = [text for _, text in _VERBS if text not in asked]
    if any(p.search(f"{here}{span.after[:8]}") for p in others):
        return 0.6
    return 0.9


_ASKED_NOUN = re.compile(r"(?:什么|哪个|哪一个|哪项|哪类|哪份)([\u4e00-\u9fff]{2})")


_NOUN_IS_WHAT = re.compile(r"([\u4e00-\u9fff]{2})(?:是|为)(?:什么|何)")
_PLACE_ASKED = re.compile(r"在哪里|在哪儿|在何处|什么地方|什么场所|地点在哪")
_AT_PLACE = re.compile(r"^(?:安排在|设在|在|于)(?![\d\s])")


def _asked_noun_factor(question: str, span: Span) -> float:
    """什么清单, 哪个问题: a phrase that names the thing asked for (《…任务清单》, …扰民问题);
    等次是什么: the predicate after 等次为; 在哪里举行: a place after 在."""
    m = _ASKED_NOUN.search(question)
    if m:
        return 1.4 if m.group(1) in span.text else 1.0
    m = _NOUN_IS_WHAT.search(question)
    if m:
        return 1.4 if m.group(1) in span.own[-6:] else 1.0
    if _PLACE_ASKED.search(question):
        if _AT_PLACE.match(span.text) or span.own.rstrip().endswith("在"):
            return 1.4
        return 0.6 if DATE_RE.search(span.text) else 1.0
    return 1.0


_SYNONYMS = {
    "高出": ("高于", "超出", "超过", "快于", "超"),
    "超过": ("超出", "高出", "高于", "快于", "超"),
    "超出": ("超过", "高出", "高于", "快于", "超"),
}


@functools.lru_cache(maxsize=1024)
def _head_term(info: QuestionInfo) -> str | None:
    """The question's last maximal term: in 区一般公共预算中的税收收入是多少 the 税收收入 asked for."""
    groups = [t for t, _ in _term_groups(info.terms) if t not in GENERIC_TERMS]
    if info.lang != "zh" or len(groups) < 2:
        return None
    return max(groups, key=lambda t: (info.question.rfind(t) + len(t), len(t)))


def _sub_scope_before(span: Span) -> bool:
    return bool(re.search(r"一般债务|专项债务|一般债券|专项债券", span.own))


_RANK_COLUMN = re.compile(r"排名|名次|位次")


def _unit_factor(info: QuestionInfo, span: Span) -> float:
    if not info.units and info.measure is None:
        if info.counter and span.kind == "number":
            return 1.0 if span.unit and info.counter.startswith(span.unit) else 0.7
        return 1.0
    if info.measure == "rank" and span.kind == "table_cell" and _RANK_COLUMN.search(span.own):
        return 1.3  # the column is the rank asked for (排第几名 ~ 全市排名), though no term says so
    if info.measure == "rank" and span.unit == "号" and "第几号" in info.question:
        return 1.0
    unit = span.unit
    if unit is None:
        return 0.85 if span.kind == "table_cell" else 0.6
    if info.counter and info.counter.startswith(unit):
        return 1.0
    if info.units and unit in info.units:
        return 1.0
    if info.measure == "amount" and unit in AMOUNT_UNITS:
        return 1.0
    if info.measure == "ratio" and (unit in RATIO_UNITS or (span.kind == "table_cell" and "/" in unit)):
        return 1.0  # a row in 人/亿元 is a rate: 死亡率 is written in it
    if info.measure == "rank" and span.text.startswith("第"):
        return 1.0
    if info.units and info.measure == "count" and unit.endswith(info.units[0]):
        return 0.9  # 万人 for 人
    return 0.4


def _years_near(span: Span) -> set[int]:
    """Years named in the span's own clause; else the last one earlier in its sentence."""
    clause_before = _CLAUSE_SPLIT.split(span.before)[-1]
    years = {int(y) for y in _YEAR.findall(f"{clause_before} {span.own} {span.after}")}
    if not years and span.kind != "table_cell":
        found = _YEAR.findall(span.before)
        if found:
            years = {int(found[-1])}
    return years


def _year_factor(
    info: QuestionInfo, span: Span, title_years: set[int], lead_years: set[int]
) -> tuple[float, bool]:
    asked = set(info.years)
    near = _years_near(span)
    if near:
        return (1.0, False) if near & asked else (0.2, True)
    if title_years:
        return (0.9, False) if title_years & asked else (0.4, True)
    if lead_years & asked:
        return 0.8, False
    return 0.35, False


def _periods_in(text: str) -> set[str]:
    return {_PERIOD_LABELS[m.lastgroup] for m in _PERIOD_ANY.finditer(text) if m.lastgroup}


def _period_factor(info: QuestionInfo, span: Span, lead_periods: set[str]) -> tuple[float, bool]:
    asked = set(info.periods)
    near = _periods_in(f"{span.own} {span.after}")
    if not near and span.kind != "table_cell":
        near = _periods_in(span.clause) or _last_period(span.before)
    if near:
        return (1.0, False) if near & asked else (0.35, True)
    if lead_periods & asked:
        return 0.9, False
    return 0.75, False


def _last_period(text: str) -> set[str]:
    last = None
    for m in _PERIOD_ANY.finditer(text):
        last = m
    return {_PERIOD_LABELS[last.lastgroup]} if last is not None and last.lastgroup else set()


def answer_slice_ok(answer: Answer, texts: Mapping[str, str]) -> bool:
    """True when the answer (and its alternatives) are verbatim slices of their source."""
    items = (answer, *answer.alternatives)
    return all(texts[a.source][a.start : a.end] == a.text for a in items)
