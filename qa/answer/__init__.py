"""Answering: candidates from the retrieved passages, their features, the fitted model's probability,
and a shown answer only when that probability passes the threshold chosen for precision.

    answerer = Answerer(model, idf)                   # model: qa/data/answer_model.json
    result = answerer.answer(query, passages, texts)  # AnswerResult(answer=Answer(...) | None, candidates, ...)

Derived answers (comparisons, differences, sums, shares) are built in ``qa.answer.derived`` from two
figure candidates found the same way; their probability is calibrated on the fit split's derived answers and
they are shown above a threshold of their own, chosen for the same precision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from qa.answer.features import (
    ALLOWED,
    FEATURES,
    Context,
    asked_years,
    candidate_features,
    change_amount_clause,
    covered_end_to_end,
    first_numbers,
    names_another_year,
    own_starts,
    squash,
    wrapped_clause_bounds,
)
from qa.answer.generators import column_unit, generate, segments
from qa.answer.reports import PRESENTER_KINDS, another_report
from qa.answer.values import reading_key
from qa.answer.verdicts import read_verdict
from qa.linear import LinearModel
from qa.query import Intent, Lexicon, Operation, Query
from qa.terms import normalize, words
from qa.types import Answer, Operand, Passage

READ_DEPTH = 10  # passages read for candidates
MAX_ALTERNATIVES = 2
ALTERNATIVE_MARGIN = 0.3  # another reading is shown only when the answer model scores it this close to the best
DEFAULT_THRESHOLD = 0.5  # used only before the first fit; bqa eval --fit stores the chosen one
_TOP_FEATURES = ("adjacent", "clause_cov", "unit_match", "primary", "lead_echo", "titled", "year_agree",
                 "year_conflict", "scope_agree", "scope_conflict", "period_agree", "period_conflict", "support",
                 "before_cov", "own_cov", "pass_cov", "section_year_conflict", "unit_conflict", "counter_conflict")  # the best candidate's own features
# the confidence model reads (pass_cov, how much of the question its passage says, joined on 4 December: fit split,
# leave one document out, three seed sets: the confidence model's pooled AUC 0.820, 0.809, 0.812 -> 0.824, 0.814,
# 0.817; answers shown 156 -> 166.7, right 148 -> 158.7; its passage's words were not read before, only its clause's
# and own words'. section_year_conflict, a heading's year against the question's, joined with the feature: the AUC
# over the fit split's best readings 0.815 -> 0.821 against the answer model reading it alone. unit_conflict and
# counter_conflict, a unit the question does not ask (64.10亿元 to 「…等几个项目？」), joined on 5 December: fit
# split, the same cache, out-of-fold answers at 0.934 207/200 -> 209/202, at 0.97 151/147 -> 157/153)
MAX_MARGIN = 5.0  # the margins (standardised and raw) read when no other reading differs from the best
CONFIDENCE_FEATURES = (  # a chosen set: with every candidate feature the model overfits (see confidence_features)
    "margin_z", "top_z", "agree_top3", "top_rr", "top_score", "margin", *(f"top_{n}" for n in _TOP_FEATURES),
    "english",  # an English question: its terms are glossed, so its coverage features read lower for a right answer
)
_TOP_INDEX = [FEATURES.index(n) for n in _TOP_FEATURES]
# What the derived answers' calibration reads: the logit of the lower of the two operands' confidences. The
# higher one's logit was tried beside it on the fit split's 40 derived answers (leave one document out) and got a
# weight of -0.002: not kept.
DERIVED_FEATURES = ("operand_min_logit",)
_LOGIT_CAP = 10.0  # a probability of 0 or 1 reads as this logit


def derived_features(p_first: float, p_second: float) -> np.ndarray:
    """The derived answer's calibration inputs (DERIVED_FEATURES) from its two operands' confidences."""
    return np.array([_logit(min(p_first, p_second))], dtype=np.float32)


def asks_derived(query: Query) -> bool:
    """Whether the question combines figures (a comparison, difference, sum, share or ratio), or asks which listed
    item is the extreme one (a rank: its intent stays the thing it names; answered as a name when no rank is)."""
    return (query.intent in (Intent.DERIVED, Intent.COMPARISON) and query.operation is not None) \
        or query.operation is Operation.RANK


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.clip(np.log(p / (1 - p)), -_LOGIT_CAP, _LOGIT_CAP))


@dataclass(frozen=True)
class Candidate:
    """A candidate answer: its source slice, kind, unit, passage, feature record and, once scored, its probability."""

    text: str  # verbatim source slice
    display: str  # as read
    source: str
    start: int
    end: int
    kind: str
    unit: str
    passage_rank: int
    chunk_id: str
    features: np.ndarray
    verdict: str | None = None
    probability: float = 0.0
    score: float = 0.0  # the answer model's score (a logit)


def _scored(c: Candidate, probability: float, score: float) -> Candidate:
    """``replace(c, probability=probability, score=score)`` without its per-field checks, which took five times as
    long (a question scores some 70 candidates). Candidate has no __post_init__ to run."""
    new = object.__new__(Candidate)
    new.__dict__.update(c.__dict__, probability=probability, score=score)
    return new


class Abstention(StrEnum):
    """Why no answer is shown (``reason`` of ``bqa ask --json``): what a script or the page may act on."""

    NOT_SURE = "not_sure"  # the best reading's probability is below the threshold
    NO_READING = "no_reading"  # no span of the kind asked for in the passages read
    NOT_ASKED = "not_what_was_asked"  # the best reading is not what the question asks (an operand of a comparison,
    # a change from another base, a figure of another year)
    WHY_QUESTION = "why_question"  # a why-question: no span answers it, the passages are its answer
    UNMENTIONED_PLACE = "unmentioned_place"  # the question names a place no loaded bulletin mentions
    NO_PASSAGES = "no_passages"  # no passage matches the filters (document, source or year)


@dataclass(frozen=True)
class AnswerResult:
    """What the answer stage returns: the answer shown (or none and why), the ranked candidates, the confidence."""

    answer: Answer | None
    candidates: tuple[Candidate, ...]  # best first (with the answer model's probabilities)
    message: str | None  # why there is no answer (in the question's language)
    confidence: float = 0.0  # P(the best reading is right), shown or not
    # "derived": the question combines figures and the derived path decided (its answer shown, or no answer at all:
    # a single figure cannot answer it); "single": the best single candidate, shown from the answer threshold
    reading: str = "single"
    derived: Answer | None = None  # the derived answer computed for the question, shown or not
    reason: Abstention | None = None  # why there is no answer (None when there is one)


def _no_reading(query: Query) -> Abstention:
    return Abstention.WHY_QUESTION if query.intent is Intent.REASON else Abstention.NO_READING


def not_found_message(query: Query) -> str:
    if query.intent is Intent.REASON:  # no span answers a why-question: say so, not that nothing was found
        if query.language == "en":
            return "A why-question has no single exact answer; the passages below may give the reason."
        return "原因类问题没有单一的确切答案，以下段落可能说明原因。"
    if query.language == "en":
        return "No exact answer was found in the bulletins; the passages below may be relevant."
    return "公报中未找到确切答案，以下段落可能相关。"


def unmentioned_message(query: Query, places: Sequence[str]) -> str:
    """Why a question about places no loaded bulletin mentions gets no answer, in its language."""
    if query.language == "en":
        return (f"None of the loaded bulletins mentions {', '.join(places)}, the place the question asks about, so "
                "there is no answer here; the passages below are only the closest found.")
    return f"已载入的公报都没有提到{'、'.join(places)}，无法回答；以下只是最接近的段落。"


_NAMED = ("entity", "person", "list")


def _said_back(span: str, question_key: str) -> bool:
    """Whether a name is the question's own words: pieces of two or more characters the question holds, end to end
    (创下 + 全省自然资源组合供应单宗项目 against 「…创下了全省自然资源组合供应单宗项目规模之最？」; not 市发展改革委
    against 「哪个委员会负责全市发展和改革工作？」, whose 委 is said only inside another word)."""
    key = squash(span)
    return bool(key) and covered_end_to_end(key, question_key.__contains__, shortest=2)


def candidates_for(query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
                   idf: Callable[[str], float], places: Mapping[str, frozenset[str]] | None = None) -> list[Candidate]:
    """Every well-formed candidate of the first ``READ_DEPTH`` passages, with its features."""
    ctx = Context.of(query, idf, places)
    allowed = ALLOWED[query.intent]
    top_score = passages[0].score if passages else 0.0
    wants_ordinal = "ordinal" in query.forms
    said = normalize(query.question)
    # a name, a post or a list the question itself says is no answer to it (「哪个项目创下全省…单宗项目规模之最」 is not
    # answered 「创下全省…单宗项目」); a comparison names its winner
    echoes = query.intent is not Intent.COMPARISON
    ctx.name_tables(p.chunk.table for p in passages[:READ_DEPTH])
    raw = []
    for p in passages[:READ_DEPTH]:
        source = texts.get(p.chunk.source)
        if source is None:
            continue
        # a byline of another report than the one asked about: its presenter is no answer (qa.answer.reports)
        other_report = another_report(ctx.lexicon, query, p.chunk)
        for seg in segments(p.chunk, source):
            hits = [h for h in generate(seg, allowed, query.head_words, said)
                    if h.kind in allowed and (wants_ordinal or h.unit != "第")
                    and not (other_report and h.kind in PRESENTER_KINDS)
                    and not (echoes and h.kind in _NAMED and _said_back(seg.text[h.start:h.end], ctx.question_key))]
            firsts = first_numbers(hits, seg.text)
            owns = own_starts(hits, seg.text)
            for h in hits:
                raw.append((p, seg, h, (h.start, h.end) in firsts, owns[(h.start, h.end)]))
    support = Counter(squash(seg.text[h.start:h.end]) for _, seg, h, _, _ in raw)
    out = []
    for p, seg, h, first, own in raw:
        s, e = seg.source_span(h.start, h.end)
        source = texts[p.chunk.source]
        display = seg.text[h.start:h.end]
        verdict, clear, by_figure = None, False, False
        if h.kind == "yes_no":
            verdict, clear, by_figure = read_verdict(ctx.lexicon, query.question, display)
        if h.kind == "table_cell" and not h.unit:
            h = replace(h, unit=column_unit(p.chunk, seg.column))
        feats = candidate_features(ctx, p.chunk, seg, h, p.rank, max(-10.0, p.score - top_score),
                                   support[squash(display)], first, clear, own, by_figure)
        out.append(Candidate(source[s:e], display, p.chunk.source, s, e, h.kind, h.unit, p.rank, p.chunk.chunk_id,
                             feats, verdict))
    return out


def confidence_features(query: Query, ranked: Sequence[Candidate]) -> np.ndarray:
    """What the confidence model reads: how far the best candidate's score stands out from the others (in
    standard deviations of the question's candidate scores, and as the answer model's own score and margin:
    the confidence model is fitted on the fold models' scores, and the shipped answer model is their mean, so
    the scales agree), and some of its own features: how its words, year, scope and period sit with the
    question's (chosen on the fit split, leave one document out: pooled AUC 0.726 with the margins and four
    of its features, 0.773 with these; with every candidate feature it overfitted, 0.65)."""
    top = ranked[0]
    scores = np.array([c.score for c in ranked], dtype=np.float64)
    spread = float(scores.std()) or 1.0
    other = next((c for c in ranked[1:] if squash(c.display) != squash(top.display) and not _overlaps(c, top)), None)
    margin = top.score - other.score if other else MAX_MARGIN  # every reading agrees: the widest margin
    keys = [squash(c.display) for c in ranked[:3]]
    return np.array([
        min(margin / spread, MAX_MARGIN), (top.score - float(scores.mean())) / spread,
        sum(k == keys[0] for k in keys[1:3]) / 2.0, 1.0 / top.passage_rank, top.score, margin,
        *top.features[_TOP_INDEX], float(query.language == "en"),
    ], dtype=np.float32)


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """Whether two readings are one answer with other bounds, not rivals: of one kind and verdict (a clause that
    says no inside a sentence that says yes is a rival), sharing characters of one source."""
    return a.kind == b.kind and a.verdict == b.verdict and _share_characters(a, b)


def _share_characters(a: Candidate | Operand, b: Candidate | Operand) -> bool:
    """Whether two cited spans share characters of one source."""
    return a.source == b.source and a.start < b.end and b.start < a.end


class Answerer:
    """Ranks candidates with the answer model, then estimates P(the best one is right) with the confidence
    model; an answer is shown when that estimate reaches the threshold. Safe to share between threads."""

    def __init__(self, model: LinearModel | None, idf: Callable[[str], float], threshold: float | None = None,
                 confidence: LinearModel | None = None, places: Mapping[str, frozenset[str]] | None = None,
                 derived: LinearModel | None = None, derived_threshold: float | None = None):
        self.places = places or {}
        self._mentioned: dict[str, bool] = {}  # place -> whether any loaded text says it (unmentioned)
        self.derived = derived.check(DERIVED_FEATURES) if derived is not None else None
        self.model = model.check(FEATURES) if model is not None else None
        self.confidence = confidence.check(CONFIDENCE_FEATURES) if confidence is not None else None
        self.idf = idf
        fitted = confidence.threshold if confidence is not None and confidence.threshold is not None else None
        self.threshold = threshold if threshold is not None else (fitted if fitted is not None else DEFAULT_THRESHOLD)
        # a derived answer's own threshold, chosen for the same precision on the fit split's derived answers
        own = self.derived.threshold if self.derived is not None else None
        self.derived_threshold = derived_threshold if derived_threshold is not None else \
            own if own is not None else self.threshold

    def score(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        x = np.stack([c.features for c in candidates])
        logits = self.model.logits(x) if self.model is not None else np.asarray(x[:, FEATURES.index("clause_cov")])
        probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
        scored = [_scored(c, float(pr), float(lg)) for c, pr, lg in zip(candidates, probs, logits, strict=True)]
        return sorted(scored, key=lambda c: (-c.probability, c.passage_rank, c.start))

    def readings(self, query: Query, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates of ``query``, best first (``score``). Of a share or a number of times a derived question
        asks for (「…占…的比重是多少？」, 「…增长了多少倍？」), those said in per cent (or 倍) come first, best first,
        and the others after them, so that the confidence model reads the best one's margin over any higher
        figure; with none so said, there is no reading — its operands (97.28亿元) or other figures are none."""
        ranked = self.score(candidates)
        classes = answer_classes(query)
        if not classes:
            return ranked
        said = [_said_in(c, classes) for c in ranked]
        fits = [c for c, ok in zip(ranked, said, strict=True) if ok]
        return fits + [c for c, ok in zip(ranked, said, strict=True) if not ok] if fits else []

    def confidence_of(self, query: Query, ranked: Sequence[Candidate]) -> float:
        """P(the best candidate is right); 0 when there is none."""
        if not ranked:
            return 0.0
        if self.confidence is None:
            return ranked[0].probability
        return float(self.confidence.prob(confidence_features(query, ranked)[None, :])[0])

    def derived_probability(self, p_first: float, p_second: float) -> float:
        """P(a derived answer is right) from its two operands' confidences: the calibration fitted on the fit
        split's derived answers (qa/data/derived_confidence.json), else the smaller of the two."""
        if self.derived is None:
            return min(p_first, p_second)
        return float(self.derived.prob(derived_features(p_first, p_second)[None, :])[0])

    def unmentioned(self, query: Query, texts: Mapping[str, str]) -> tuple[str, ...]:
        """The places the question names (provinces, prefectures, county-level cities) that no loaded text mentions:
        nothing in the bulletins can be about them, and another place's figure would be read for them (Chengdu's
        debt limit answered with Hongkou's). Each place is looked up once per engine."""
        out = []
        for place in query.other_places:
            if place not in self._mentioned:
                self._mentioned[place] = any(place in text for text in texts.values())
            if not self._mentioned[place]:
                out.append(place)
        return tuple(out)

    def answer(self, query: Query, passages: Sequence[Passage], texts: Mapping[str, str],
               pages: Mapping[str, tuple[int, ...]] | None = None) -> AnswerResult:
        ranked = self.readings(query, candidates_for(query, passages, texts, self.idf, self.places))
        if missing := self.unmentioned(query, texts):  # decisive, as a reader would agree: no answer about them
            return AnswerResult(None, tuple(ranked), unmentioned_message(query, missing),
                                self.confidence_of(query, ranked) if ranked else 0.0,
                                reason=Abstention.UNMENTIONED_PLACE)
        if asks_derived(query):
            from qa.answer.derived import derive  # imported by the questions that combine figures only

            derived = derive(self, query, passages, texts, pages or {})
            if derived is not None and derived.probability >= self.derived_threshold:
                return AnswerResult(derived, tuple(ranked), None, derived.probability, "derived", derived)
            if query.intent is Intent.COMPARISON or (derived is not None and ranked and _is_operand(ranked[0], derived)) \
                    or (query.operation is Operation.RANK and ranked and _is_figure(ranked[0])):
                # the question combines two figures and the best reading is one of them: it cannot be the answer
                # (fit split, leave one document out: such a best reading was one of the gold operands, not the
                # printed result, for 11 of 16 questions); a rank question asks for a name, never a figure
                return AnswerResult(None, tuple(ranked), not_found_message(query),
                                    derived.probability if derived else 0.0, "derived", derived,
                                    reason=Abstention.NOT_SURE if derived is not None
                                    else Abstention.NOT_ASKED if ranked else _no_reading(query))
        confidence = self.confidence_of(query, ranked)
        if not ranked or confidence < self.threshold:
            return AnswerResult(None, tuple(ranked), not_found_message(query), confidence,
                                reason=Abstention.NOT_SURE if ranked else _no_reading(query))
        if query.base and not _from_base(ranked[0], query.base, texts):
            # 实际完成比调整预算减少了多少: neither a level (548.3亿元) nor a change from another base (比上年减少2.25亿元)
            # is the change asked for; a printed change whose own clause names the base is (else: a difference to
            # compute, above, or no answer)
            return AnswerResult(None, tuple(ranked), not_found_message(query), confidence,
                                reason=Abstention.NOT_ASKED)
        best = ranked[0]
        years = asked_years(query)
        chunks = {p.chunk.chunk_id: p.chunk for p in passages} if years else {}

        def other_year(c: Candidate) -> bool:  # read from a passage about other years than the question's
            return c.chunk_id in chunks and names_another_year(chunks[c.chunk_id], years)

        if other_year(best):
            return AnswerResult(None, tuple(ranked), not_found_message(query), confidence,
                                reason=Abstention.NOT_ASKED)
        alternatives = []
        seen = {reading_key(best.display, best.kind, best.unit)}
        classes = answer_classes(query)
        for c in ranked[1:]:  # other readings the answer model rates nearly as high as the best
            key = reading_key(c.display, c.kind, c.unit)
            if key in seen or c.kind != best.kind or (classes and not _said_in(c, classes)) or other_year(c):
                continue
            if c.score < best.score - ALTERNATIVE_MARGIN or len(alternatives) >= MAX_ALTERNATIVES:
                break
            seen.add(key)
            alternatives.append(replace(self.to_answer(c, pages), probability=round(
                confidence * c.probability / best.probability, 4)))
        answer = replace(self.to_answer(best, pages), probability=round(confidence, 4), alternatives=tuple(alternatives))
        return AnswerResult(answer, tuple(ranked), None, confidence)

    @staticmethod
    def to_answer(c: Candidate, pages: Mapping[str, tuple[int, ...]] | None) -> Answer:
        return Answer(text=c.text, source=c.source, start=c.start, end=c.end, passage_rank=c.passage_rank,
                      kind=c.kind, probability=round(c.probability, 4), display=c.display, verdict=c.verdict,
                      page=page_of(pages, c.source, c.start),
                      unit=(c.unit or None) if c.kind == "table_cell" else None)  # a table's 单位 for a bare cell


def _is_figure(c: Candidate) -> bool:
    """A number, or a table cell that holds digits (a cell may hold a name)."""
    return c.kind == "number" or (c.kind == "table_cell" and any(ch.isdigit() for ch in c.display))


def _from_base(c: Candidate, base: str, texts: Mapping[str, str]) -> bool:
    """Whether a prose figure is the amount of a change from ``base``: a change (比年初预算增加【3.2亿元】) whose clause
    (read across wrapped lines; or the clause before, where its own says no 比: 与年初预算相比，减少…) says the base's
    words. A table cell is left to the answer model (its base is its column's, not read here)."""
    if c.kind != "number":
        return True
    text = texts.get(c.source, "")
    clause = change_amount_clause(Lexicon.default().change_verbs, text, c.start, c.end)  # 比年初预算数⏎减少 1.3 亿元
    if clause is None:
        return False
    a, b = clause
    said = squash(text[a:b])
    if "比" not in said and "较" not in said:  # 与年初预算相比，减少X亿元: the base is in the clause before
        said = squash(text[wrapped_clause_bounds(text, max(0, a - 2), max(0, a - 1))[0]:b])
    return all(w in said for w in words(base) if len(w) >= 2)


def answer_classes(query: Query) -> frozenset[str]:
    """The unit classes the answer to a derived question must be said in: a share in per cent, a number of times
    (多少倍, 几倍: a ratio asked in 倍) in 倍 or per cent; none for other questions (之比 and 比值 may be printed bare,
    2.31:1)."""
    if query.intent is not Intent.DERIVED:  # not 哪个部门…占比最大, 比重是否超过
        return frozenset()
    if query.operation is Operation.SHARE:
        return frozenset({"%"})
    if query.operation is Operation.RATIO and "倍" in query.units:
        return frozenset({"%", "倍"})
    return frozenset()


def _said_in(c: Candidate, classes: frozenset[str]) -> bool:
    """Whether a figure is said in one of these unit classes: a share in per cent (or what counts the same: ‰, 成,
    个百分点; 76.7%, or a bare cell of a column in %), a ratio in 倍 too."""
    said = "%" if "%" in c.display or "％" in c.display else Lexicon.default().unit_class(c.unit)
    return said in classes


def _is_operand(c: Candidate, derived: Answer) -> bool:
    """Whether the candidate is (or overlaps) one of the derived answer's cited figures: 约37人 or 37人."""
    return any(_share_characters(o, c) for o in derived.operands)


def page_of(pages: Mapping[str, tuple[int, ...]] | None, source: str, offset: int) -> int | None:
    starts = (pages or {}).get(source)
    if not starts:
        return None
    from bisect import bisect_right

    return max(1, bisect_right(starts, offset))


__all__ = ["CONFIDENCE_FEATURES", "FEATURES", "Abstention", "AnswerResult", "Answerer", "Candidate", "candidates_for",
           "confidence_features", "not_found_message"]
