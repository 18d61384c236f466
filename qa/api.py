"""The Python API: open an index once, ask many questions.

    >>> from qa.api import BulletinQA
    >>> qa = BulletinQA.open()                      # the repo's corpus/ and index/ by default
    >>> result = qa.ask("区监委留置了多少人？")
    >>> result.answer.text, result.to_dict()["passages"][0]["doc_title"]

Stages: ``qa.query.analyze`` (one typed Query) → ``qa.retrieval.Retriever`` (candidate pool, fitted ranker)
→ ``qa.answer.Answerer`` (candidates, fitted answer model, threshold chosen for precision).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import numbers
import re
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from qa.answer import Abstention, Answerer, AnswerResult
from qa.chunking import romanize, romanized_names
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index.store import (
    LoadedIndex,
    build_index,
    built_by_other_code,
    ensure_index,
    index_is_stale,
    load_index,
)
from qa.linear import LinearModel, packaged_stamp
from qa.paths import default_corpus, default_index
from qa.query import Lexicon, NameMap, Query, analyze, place_cores
from qa.questions import clean_question
from qa.retrieval import Mode, Retriever
from qa.retrieval.features import Scorer
from qa.types import Answer, Passage

MAX_TOP_K = 50
READ_DEPTH = 10  # passages the answer stage reads, whatever top-k is shown
_LATIN = re.compile(r"[A-Za-z]")  # a question with Latin letters may name a person or place in pinyin


def cited_ranks(answer: Answer | None, alternatives: bool = True) -> list[int]:
    """The ranks of the passages an answer cites: its own, its operands', its alternatives' (in that order)."""
    if answer is None:
        return []
    ranks = [answer.passage_rank, *(o.passage_rank for o in answer.operands),
             *((x.passage_rank for x in answer.alternatives) if alternatives else ())]
    return list(dict.fromkeys(ranks))


def shown_passages(passages: list[Passage], answer: Answer | None, top_k: int,
                   likeliest: Collection[int] = ()) -> list[Passage]:
    """The first ``top_k`` passages and every passage the answer cites beyond them (an operand or an
    alternative read from the 8th passage is never cited without its passage). With no answer shown because the
    best reading was not sure enough, ``likeliest``: the passages of that reading, shown too when they rank below
    ``top_k`` — the answer model's choice among the passages read is a second opinion on where the answer is (the gold
    questions with the shipped models, 7 December: passages were added to 49 of 1,278 abstentions, and they held the
    answer that the first five did not for 11 of the fit documents' 731 answerable abstentions and 2 of the held-out
    369; eval/HISTORY.md)."""
    cited = set(cited_ranks(answer))
    if answer is None:
        cited.update(likeliest)
    return [p for k, p in enumerate(passages) if k < top_k or p.rank in cited]


def likeliest_passages(result: AnswerResult) -> tuple[int, ...]:
    """The ranks of the passages the best reading is from, when the answer stage was not sure enough to show it: a
    derived answer's operands' (the single best reading is then one operand, no answer), else the best single
    reading's; none when it declined for another reason (a place no bulletin names, another year's or base's
    figure)."""
    if result.answer is not None or result.reason is not Abstention.NOT_SURE:
        return ()
    if result.reading == "derived":
        return tuple(cited_ranks(result.derived, alternatives=False))
    return (result.candidates[0].passage_rank,) if result.candidates else ()


def likeliest_spans(result: AnswerResult) -> tuple[tuple[str, int, int], ...]:
    """(source, start, end) of the best reading ``likeliest_passages`` points at — a derived answer's operands —
    for a page to mark in its passage as the likeliest reading, not as an answer; none when it points at none."""
    if not likeliest_passages(result):
        return ()
    if result.reading == "derived":
        return tuple((o.source, o.start, o.end) for o in result.derived.operands) if result.derived else ()
    best = result.candidates[0]
    return ((best.source, best.start, best.end),)


def likeliest_ranks(result: AskResult) -> set[int]:
    """The ranks of the shown passages that hold an abstention's likeliest reading (``AskResult.likeliest``),
    within top-k or added from below it: the passages a reply names as that reading's."""
    return {p.rank for p in result.passages for src, s, e in result.likeliest
            if p.chunk.source == src and p.chunk.start <= s and e <= p.chunk.end}


def answer_first(passages: list[Passage], answer: Answer) -> tuple[list[Passage], Answer]:
    """Move the passages the answer is read from to the front, its own first, then its operands' (the reader's
    evidence comes first); the others keep their order."""
    present = {p.rank for p in passages}
    cited = [r for r in cited_ranks(answer, alternatives=False) if r in present]
    order = cited + [p.rank for p in passages if p.rank not in cited]
    new_rank = {old: new for new, old in enumerate(order, start=1)}
    by_rank = {p.rank: p for p in passages}
    moved = [dataclasses.replace(by_rank[old], rank=new_rank[old]) for old in order if old in by_rank]
    alts = tuple(dataclasses.replace(a, passage_rank=new_rank.get(a.passage_rank, a.passage_rank))
                 for a in answer.alternatives)
    operands = tuple(dataclasses.replace(o, passage_rank=new_rank.get(o.passage_rank, o.passage_rank))
                     for o in answer.operands)
    return moved, dataclasses.replace(answer, passage_rank=1, alternatives=alts, operands=operands)


def check_top_k(top_k: object) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int | float | str):
        raise BqaError(f"top-k must be a whole number between 1 and {MAX_TOP_K}, got {top_k!r}")
    try:
        value = float(top_k)
    except ValueError:
        raise BqaError(f"top-k must be a whole number between 1 and {MAX_TOP_K}, got {top_k!r}") from None
    if not math.isfinite(value) or value != int(value) or not 1 <= value <= MAX_TOP_K:
        raise BqaError(f"top-k must be a whole number between 1 and {MAX_TOP_K}, got {top_k!r}")
    return int(value)


def _ids(value: object, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    try:
        items = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise BqaError(f"{what} must be a list of strings") from None
    if not all(isinstance(x, str) for x in items):
        raise BqaError(f"{what} must be a list of strings")
    return items or None


def _years(value: object) -> tuple[int, ...] | None:
    """A year filter as whole years: one year or a list of them (digits, or a whole float such as 2025.0, are read
    as one); anything else is a one-line error."""
    if value is None:
        return None
    items = (value,) if isinstance(value, numbers.Number | str) else value
    try:
        items = tuple(items)  # type: ignore[arg-type]
    except TypeError:
        raise BqaError(f"a year filter must be a year such as 2025 or a list of them, got {value!r:.40}") from None
    return tuple(_year(x) for x in items) or None


def _year(x: object) -> int:
    year = None
    if isinstance(x, str) and len(digits := x.strip()) == 4 and digits.isascii() and digits.isdigit():
        year = int(digits)  # four digits only: int() of a long digit string is slow or refused
    elif isinstance(x, numbers.Integral) and not isinstance(x, bool):
        year = int(x)  # numpy integers too
    elif isinstance(x, float) and math.isfinite(x) and x == int(x):
        year = int(x)
    if year is None or not 1000 <= year <= 9999:
        raise BqaError(f"a year filter must be a year such as 2025, got {x!r:.40}")
    return year


@dataclass(frozen=True)
class AskResult:
    """One question's result: the answer (or the abstention and its message), the passages and the latency."""

    question: str
    query: Query | None
    answer: Answer | None
    abstained: bool
    message: str | None
    passages: tuple[Passage, ...]
    latency_ms: float
    pages: dict | None = None  # source -> page starts (for page numbers of passages)
    reason: Abstention | None = None  # why there is no answer (None when there is one)
    # with no answer because the best reading was not sure enough: that reading's (source, start, end), its operands'
    # for a derived one (``likeliest_spans``). The page marks it in its passage; it is no answer, so not in to_dict
    likeliest: tuple[tuple[str, int, int], ...] = ()

    def to_dict(self, qid: object = None) -> dict:
        """The stable JSON contract of ``bqa ask --json`` (plus documented extra keys)."""
        out = {"id": qid, "question": self.question, "answer": answer_dict(self.answer),
               "abstained": self.abstained}
        if self.message:
            out["message"] = self.message
        if self.reason is not None:
            out["reason"] = self.reason.value
        out["passages"] = [passage_dict(p) for p in self.passages]
        out["latency_ms"] = round(self.latency_ms, 1)
        if self.query is not None:
            out["query"] = {"language": self.query.language, "intent": self.query.intent.value,
                            "operation": self.query.operation.value if self.query.operation else None}
        return out

    def to_json(self, qid: object = None) -> str:
        return json.dumps(self.to_dict(qid), ensure_ascii=False)


def answer_dict(a: Answer | None) -> dict | None:
    if a is None:
        return None
    out = {"text": a.text, "source": a.source, "start": a.start, "end": a.end, "kind": a.kind,
           "passage_rank": a.passage_rank, "probability": a.probability, "confidence": a.probability,
           "display": a.display, "page": a.page}
    if a.verdict is not None:
        out["verdict"] = a.verdict
    if a.operands:
        out["value"] = a.value
        out["unit"] = a.unit
        out["operands"] = [{"text": o.text, "source": o.source, "start": o.start, "end": o.end, "value": o.value,
                            "unit": o.unit, "passage_rank": o.passage_rank, "page": o.page} for o in a.operands]
    elif a.unit:  # a table cell's figure: the unit its table states (单位：万元)
        out["unit"] = a.unit
    out["alternatives"] = [{"text": x.text, "source": x.source, "start": x.start, "end": x.end,
                            "passage_rank": x.passage_rank, "probability": x.probability, "page": x.page,
                            "display": x.display or x.text, "kind": x.kind}  # as the answer's (since 7 December)
                           for x in a.alternatives]
    return out


def passage_dict(p: Passage) -> dict:
    c = p.chunk
    return {
        "rank": p.rank, "source": c.source, "start": c.start, "end": c.end, "doc_title": c.doc_title,
        "section": c.section, "text": c.text, "score": p.score, "doc_id": c.doc_id, "kind": c.kind,
        "page_start": c.page_start, "page_end": c.page_end, "retrievers": p.retrievers,
        "copies": [{"source": k.source, "start": k.start, "end": k.end, "page_start": k.page_start,
                    "page_end": k.page_end} for k in p.copies],  # the same text in other sources
    }


def place_map(index: LoadedIndex) -> NameMap:
    """The places of the corpus (cores) without their pinyin: all a question without Latin letters needs."""
    return NameMap({}, tuple(dict.fromkeys(core for src in index.sources.values() for core in place_cores(src.place))))


def name_map(index: LoadedIndex) -> NameMap:
    """Pinyin of the people and places of the corpus → their Chinese names (English questions name them so).

    The pinyin is stored with the index at build time; an index built before that romanises its names here,
    on the first question with Latin letters (pypinyin's dictionaries take ≈ 0.35 s to load)."""
    roman = index.romanized
    if roman is None:
        roman = romanized_names(index.sources.values(), index.documents.values(), index.texts.values())
    names: dict[str, list[str]] = {}

    def add(key: str, value: str) -> None:
        names.setdefault(key.lower(), [])
        if value not in names[key.lower()]:
            names[key.lower()].append(value)

    places = place_map(index).places
    for name, pinyin in roman.items():
        if name in places:
            continue
        add(pinyin, name)
        parts = pinyin.split()
        if len(parts) == 2:
            add(f"{parts[1]} {parts[0]}", name)
    for core in places:
        add("".join((roman.get(core) or romanize(core)).lower().split()), core + "市")
    # a place whose English name is not its pinyin (Urumqi: 乌鲁木齐, not Wulumuqi: qa/data/place_names_en.tsv)
    for english, core in Lexicon.default().place_names_en:
        if core in places:
            add(english, core + "市")
    return NameMap({k: tuple(v) for k, v in names.items()}, places)


def _check_same_corpus(index: LoadedIndex, corpus_dir: Path, index_dir: Path) -> None:
    """Refuses to update an index from a corpus that lacks more than half of the files it was built from: a
    mistyped or other ``--corpus`` (a folder of other reports, one file of a folder of three or more) would otherwise
    replace a build that took minutes with a build of other files. `bqa index` does it when asked."""
    import shlex

    from qa.ingest.corpus import scan_corpus

    indexed = set(index.manifest.files)  # the files text came from: a skipped file removed loses nothing
    files, _ = scan_corpus(corpus_dir)
    gone = sorted(indexed - {f.source for f in files})
    if len(gone) * 2 > len(indexed):
        raise BqaError(f"{corpus_dir} lacks {len(gone)} of the {len(indexed)} files the index in {index_dir} was "
                       f"built from (e.g. {gone[0]}); if this is the corpus you mean, rebuild the index for it: "
                       f"bqa index --corpus {shlex.quote(str(corpus_dir))} --index {shlex.quote(str(index_dir))} "
                       f"--embedder {shlex.quote(index.manifest.embedder.name)}")


class BulletinQA:
    """An opened index with its embedder and fitted models; ``ask`` is safe to call from several threads."""

    _models_read: tuple[str, ...] = ()  # the packaged model files it read (qa/data/<name>.json) …
    _models_stamp: tuple = ()  # … and their packaged_stamp then

    def __init__(self, index: LoadedIndex, embedder: Embedder, *, mode: Mode = "fitted",
                 ranker: LinearModel | None = None, answer_model: LinearModel | None = None,
                 confidence: LinearModel | None = None, answer_threshold: float | None = None,
                 answer_first: bool = True, packaged_models: bool = True):
        self.index = index
        self.corpus_dir: Path | None = None  # set by ``open``: the folder ``changed_files`` compares with
        self.embedder = embedder
        self.answer_first = answer_first
        self._options = {"mode": mode, "ranker": ranker, "answer_model": answer_model, "confidence": confidence,
                         "answer_threshold": answer_threshold, "answer_first": answer_first,
                         "packaged_models": packaged_models}  # as given: with_current_models reads the rest again
        self._places = place_map(index)
        self._names: NameMap | None = None
        self._names_lock = threading.Lock()
        self._read_models()
        self._documents = [(d.doc_id, d.title) for d in index.documents.values()]
        self._source_chunks: dict[str, list] = {}  # source -> its chunks in order, for context() without a scan
        for c in index.chunks:
            self._source_chunks.setdefault(c.source, []).append(c)

    def _read_models(self, scorer: Scorer | None = None) -> None:
        """The retriever and the answerer with the options' models, the packaged ones read from qa/data
        (``scorer``: the index's, when one was made already)."""
        o = self._options
        ranker, answer_model, confidence = o["ranker"], o["answer_model"], o["confidence"]
        packaged_models = o["packaged_models"]
        # the derived answers' calibration reads the packaged models' confidences: with a caller's own answer or
        # confidence model, a derived answer's probability is the lower operand confidence
        packaged_answers = packaged_models and answer_model is None and confidence is None
        # the stamp of the packaged files this engine reads, taken before they are read: a file replaced while
        # they are read shows as changed at the next check
        read = [name for name, given in (("ranker", ranker), ("answer_model", answer_model),
                                         ("answer_confidence", confidence)) if packaged_models and given is None]
        self._models_read = (*read, *(("derived_confidence",) if packaged_answers else ()))
        self._models_stamp = packaged_stamp(self._models_read)
        if packaged_models:  # qa/data/*.json, written by `bqa eval --fit`
            ranker = ranker if ranker is not None else LinearModel.packaged("ranker")
            answer_model = answer_model if answer_model is not None else LinearModel.packaged("answer_model")
            confidence = confidence if confidence is not None else LinearModel.packaged("answer_confidence")
        derived = LinearModel.packaged("derived_confidence") if packaged_answers else None
        self.retriever = Retriever(self.index, self.embedder, ranker, o["mode"], scorer=scorer)
        self.answerer = Answerer(answer_model, self.retriever.scorer.idf, o["answer_threshold"], confidence,
                                 self.retriever.scorer.places, derived, o["answer_threshold"])

    def models_changed(self) -> bool:
        """Whether a packaged model file this engine read was replaced or removed (a refit) since."""
        return bool(self._models_read) and packaged_stamp(self._models_read) != self._models_stamp

    def with_current_models(self) -> BulletinQA:
        """A copy of this engine (its index, embedder, scorer and the tables made of the index) with the
        packaged models read again, the caller's own models and options kept: what a warm engine answers with
        after a refit. Raises what reading them raises (BqaError for a file of other features, OSError,
        ValueError); this engine is left as it was."""
        fresh = copy.copy(self)
        fresh._read_models(self.retriever.scorer)
        return fresh

    @classmethod
    def open(cls, index_dir: Path | None = None, corpus_dir: Path | None = None, embedder: str | None = None,
             build_if_missing: bool = True, show_progress: bool = False,
             notify: Callable[[str], None] | None = None, **kwargs) -> BulletinQA:
        index_dir = Path(index_dir) if index_dir else default_index()
        corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus()
        if build_if_missing:
            index = ensure_index(corpus_dir, index_dir, embedder, show_progress=show_progress, notify=notify)
            changed = index_is_stale(index, corpus_dir)  # never cite offsets of an older version of a file
            if changed or built_by_other_code(index.manifest):  # nor passages an older release cut (after an upgrade)
                _check_same_corpus(index, corpus_dir, index_dir)
                if notify:
                    notify(f"The corpus changed since the index was built ({len(changed)} file(s), e.g. {changed[0]}): "
                           "updating the index…" if changed else "The index was built by another version of Bulletin "
                           "QA: updating it (its embeddings are reused)…")
                build_index(corpus_dir, index_dir, index.manifest.embedder.name, show_progress=show_progress)
                index = load_index(index_dir, expect_embedder=embedder)
        else:
            index = load_index(index_dir, expect_embedder=embedder)
        engine = cls(index, make_embedder(index.manifest.embedder.name), **kwargs)
        engine.corpus_dir = corpus_dir
        return engine

    def changed_files(self) -> list[str]:
        """The corpus files added, changed or removed since this engine loaded its index (empty when it is
        current, or when it was opened without a corpus folder). A long-lived engine's offsets point into the
        index's copy of each text: after a change, ``BulletinQA.open`` again to answer from the files as they are."""
        return list(index_is_stale(self.index, self.corpus_dir)) if self.corpus_dir is not None else []

    def warm_up(self) -> None:
        """Load everything a first question of any kind would (model, whole jieba dictionary, every pattern and
        the glossary's): for servers."""
        from qa.lazy_regex import compile_all
        from qa.query import Lexicon
        from qa.terms import load_dictionary

        load_dictionary()
        self.ask("warm up")
        self.ask("What is the warm-up figure?")
        Lexicon.default().compile_glossary()
        compile_all()

    @property
    def documents(self) -> list[tuple[str, str]]:
        """(doc_id, title) of every indexed document, in corpus order."""
        return list(self._documents)

    @property
    def names(self) -> NameMap:
        """The full name map (pinyin → Chinese), built once on first use."""
        if self._names is None:
            with self._names_lock:
                if self._names is None:
                    self._names = name_map(self.index)
        return self._names

    def _names_for(self, text: str) -> NameMap:
        return self.names if _LATIN.search(text) else self._places

    def analyze(self, question: str) -> Query:
        text = clean_question(question)
        return analyze(text, names=self._names_for(text))

    def ask(self, question: str, top_k: int = 5, doc_ids: Collection[str] | None = None,
            sources: Collection[str] | None = None, years: Collection[int] | None = None) -> AskResult:
        t0 = time.perf_counter()
        text = clean_question(question)
        top_k = check_top_k(top_k)
        doc_ids, sources, years = _ids(doc_ids, "doc_ids"), _ids(sources, "sources"), _years(years)
        if doc_ids and (unknown := [d for d in doc_ids if d not in self.index.documents]):
            raise BqaError(f"unknown document id {unknown[0]!r}; `bqa corpus list` shows the ids")
        if sources and (unknown := [s for s in sources if s not in self.index.sources]):
            raise BqaError(f"unknown source {unknown[0]!r}; `bqa corpus list` shows the sources")
        query = analyze(text, names=self._names_for(text))
        passages = self.retriever.search(query, top_k=max(top_k, READ_DEPTH), doc_ids=doc_ids, sources=sources,
                                         years=years)
        result: AnswerResult = self.answerer.answer(query, passages, self.index.texts, self.index.pages)
        answer = result.answer
        if answer is not None and self.answer_first:
            passages, answer = answer_first(passages, answer)
        message, reason = result.message, result.reason
        if not passages and (doc_ids or sources or years):  # not "the passages below", when there are none
            message = ("No passage of the bulletins matches the filters (document, source or year)."
                       if query.language == "en" else "没有符合筛选条件（报告、来源或年份）的段落。")
            reason = Abstention.NO_PASSAGES
        return AskResult(question=text, query=query, answer=answer, abstained=answer is None,
                         message=message if answer is None else None,
                         passages=tuple(shown_passages(passages, answer, top_k, likeliest_passages(result))),
                         latency_ms=(time.perf_counter() - t0) * 1000, pages=None,
                         reason=reason if answer is None else None,
                         likeliest=likeliest_spans(result))  # none with an answer, or no passage to read

    def context(self, source: str, start: int, end: int, around: int = 1) -> str:
        """The passage at (start, end) with ``around`` neighbouring chunks of the same document each side."""
        chunks = self._source_chunks.get(source, [])
        hit = next((k for k, c in enumerate(chunks) if c.start <= start and c.end >= end), None)
        if hit is None:
            return self.index.texts[source][start:end]
        doc = chunks[hit].doc_id
        lo = hit
        while lo > 0 and hit - lo < around and chunks[lo - 1].doc_id == doc:
            lo -= 1
        hi = hit
        while hi + 1 < len(chunks) and hi - hit < around and chunks[hi + 1].doc_id == doc:
            hi += 1
        return self.index.texts[source][min(c.start for c in chunks[lo:hi + 1]):max(c.end for c in chunks[lo:hi + 1])]
