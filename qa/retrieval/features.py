"""Candidate passages from every retriever, and the features the fitted ranker scores them by.

Retrievers: dense (FAISS over the chunk embeddings), BM25 over the chunk texts, BM25 over the chunk
contexts (document title ▸ section ▸ table caption, each indexed once), and, for "who" questions, the
documents' header chunks. Every candidate in the pool gets the same feature record, whichever retriever
found it; nothing is weighted by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from qa.index.dense import search_dense
from qa.index.store import LoadedIndex
from qa.query import Intent, Lexicon, Query, place_cores, sense_forms, term_weights
from qa.query.lexicon import squash
from qa.terms import tokenize

FEATURES = (
    "dense_rr", "dense_sim_rel", "bm25_rr", "bm25_rel", "ctx_rel", "coverage", "coverage_ctx", "phrase_hit",
    "year_agree", "year_other", "scope_agree", "scope_conflict", "is_table", "label_hit", "header_person",
    "is_header", "log_len", "en_dense", "en_bm25", "number_in_text", "place_match", "place_conflict", "prose_rr",
)
DENSE_N = 50
BM25_N = 80
# best contexts (5 until 3 December: a prose section ranked 8th-13th among a report's tables was left out) …
CONTEXT_N = 15
PER_CONTEXT = 8  # … and their best chunks by BM25
PROSE_N = 20  # the best passages by BM25 that are not table rows (every row of a table repeats its caption's words)
HEADER_N = 10
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=\s*年)")  # a year as a title or heading says one: 2026年, 2024 年度
_NUMBER = re.compile(r"\d")
_NONE = np.zeros(0, dtype=np.int64)
_PLACE_ENDS = ("市", "省", "县", "区", "州", "盟", "旗")  # a place named with its suffix: 石嘴山市, 万载县


@dataclass(frozen=True)
class Pool:
    """The candidate chunks of one query and their feature matrix (rows in ``ids`` order)."""

    ids: np.ndarray  # chunk indices
    features: np.ndarray  # (n, len(FEATURES))
    ranks: list[dict[str, int]]  # retriever name -> rank, per candidate


class Scorer:
    """Everything of an index that the features need, computed once at load time."""

    def __init__(self, index: LoadedIndex, lexicon: Lexicon | None = None):
        self.index = index
        self.lexicon = lexicon or Lexicon.default()
        self.n = len(index.chunks)
        sp = index.sparse
        df = np.diff(sp.indptr)
        n_docs = max(1, sp.num_docs)
        self.vocab = sp.vocab_dict
        self.idf_by_id = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self.text_keys = [squash(c.text) for c in index.chunks]
        self.context_keys = [squash(c) for c in index.contexts]
        self.labels = [tuple(squash(x) for x in c.labels) if c.kind == "table_row" and c.cells else ()
                       for c in index.chunks]
        self.headers = np.array([i for i, c in enumerate(index.chunks) if c.is_header], dtype=np.int64)
        self.prose = np.array([c.kind != "table_row" for c in index.chunks], dtype=bool)
        self.years = [frozenset(int(y) for y in _YEAR.findall(k)) for k in self.text_keys]
        self.ctx_years = [frozenset(int(y) for y in _YEAR.findall(k)) for k in self.context_keys]
        self.places = source_places(index)
        # the chunks of each document, source and year, for filters without a scan of the corpus per question
        self.doc_chunks = _postings(c.doc_id for c in index.chunks)
        self.source_chunks = _postings(c.source for c in index.chunks)
        # a year filter keeps a source of that year and a report whose title names it (a 2025 bulletin's
        # 「2026年预算草案」 is found by --year 2026, its 「2024年决算」 by --year 2024 as well as 2025)
        by_section: dict[tuple, frozenset[int]] = {}  # a section's chunks share their years: read once per section

        def section_years(c) -> frozenset[int]:
            key = (c.source, c.doc_title, c.section_path)
            if key not in by_section:
                by_section[key] = self._filter_years(index, c)
            return by_section[key]

        self.year_chunks = _postings(map(section_years, index.chunks))
        # the chunks of each context, as one sorted array and offsets (no scan of all chunks per question)
        self.by_context = np.argsort(index.context_of, kind="stable")
        self.context_start = np.searchsorted(index.context_of[self.by_context], np.arange(len(index.contexts) + 1))
        self._scopes: dict[int, tuple[str, ...]] = {}  # chunk -> the scope labels of its text and context, when asked

    @staticmethod
    def _filter_years(index, chunk) -> frozenset[int]:
        """The years a year filter keeps ``chunk`` for: its source's, and those its report's title names (「2026年」,
        not the 2000 of 「2000万元」). A title that names several years (「2024年决算和2025年1—6月预算执行情况」)
        gives a section the ones its headings name, when they name any of them."""
        source = index.sources.get(chunk.source)
        named = {int(y) for y in _TITLE_YEAR.findall(chunk.doc_title)}
        if len(named) > 1:
            headed = {int(y) for h in chunk.section_path for y in _TITLE_YEAR.findall(h)} & named
            named = headed or named
        return frozenset(named | ({source.year} if source is not None and source.year is not None else set()))

    def scopes_of(self, i: int) -> tuple[str, ...]:
        """The scope labels (every family) that chunk ``i``'s text and context name, read at the first question
        whose pool holds it and kept: a family's labels are the same whichever other families are asked about
        (a match is resolved against the longer matches of its own family only)."""
        found = self._scopes.get(i)
        if found is None:
            both = self.text_keys[i] + "▸" + self.context_keys[int(self.index.context_of[i])]
            found = self._scopes[i] = tuple(self.lexicon.find_scopes(both))
        return found

    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        return float(self.idf_by_id[tid]) if tid is not None and tid < len(self.idf_by_id) else 0.0

    def allowed(self, doc_ids: Collection[str] | None = None, sources: Collection[str] | None = None,
                years: Collection[int] | None = None) -> np.ndarray | None:
        """Chunks that pass the filters (None when there is no filter)."""
        if not doc_ids and not sources and not years:
            return None
        mask = None
        for wanted, postings in ((doc_ids, self.doc_chunks), (sources, self.source_chunks), (years, self.year_chunks)):
            if not wanted:
                continue
            passes = np.zeros(self.n, dtype=bool)
            for value in wanted:
                passes[postings.get(value, _NONE)] = True
            mask = passes if mask is None else mask & passes
        return mask

    # -- retrievers -----------------------------------------------------------------------------------

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self.vocab]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.index.sparse.get_scores(known), dtype=np.float32)

    def context_scores(self, tokens: list[str]) -> np.ndarray:
        sp = self.index.context_sparse
        known = [t for t in tokens if t in sp.vocab_dict]
        if not known:
            return np.zeros(len(self.index.contexts), dtype=np.float32)
        return np.asarray(sp.get_scores(known), dtype=np.float32)

    def place_mask(self, query: Query, words: Collection[str]) -> np.ndarray | None:
        """The chunks a question naming a place may be answered from: all but those of sources about other
        places, when some source is about a place it names (石嘴山… with Shizuishan's report among Jinan's and
        Fuxin's); None when that leaves out nothing. Without it the corpus-wide searches fill the pool with
        other places' passages of the same wording (全市一般公共预算收入…) before the named place's own.

        A place counts only when the question says it as a word (``words``: its tokens), or as a place with its
        suffix (石嘴山市), or in English (Shizuishan): 济南 inside 经济南北 or 江西 inside 浙江西部 does not."""
        asked = {p for p in query.places
                 if p not in query.question or p in words or any(p + end in words for end in _PLACE_ENDS)}
        if not asked or not any(mine & asked for mine in self.places.values()):
            return None
        others = [s for s, mine in self.places.items() if mine and not mine & asked]
        if not others:
            return None
        mask = np.ones(self.n, dtype=bool)
        for s in others:
            mask[self.source_chunks.get(s, _NONE)] = False
        return mask

    def _contexts_with(self, allowed: np.ndarray) -> np.ndarray:
        """Per context: does one of its chunks pass ``allowed``?"""
        return np.bincount(self.index.context_of[allowed], minlength=len(self.index.contexts)) > 0

    def pool(self, query: Query, qvec: np.ndarray | None, allowed: np.ndarray | None = None) -> Pool:
        """The candidate pool of ``query`` (``allowed``: a boolean mask of the chunks that may be returned;
        ``place_mask`` narrows it further, unless that would leave nothing: a source chosen by name is searched
        though it is about another place than the question names)."""
        tokens = tokenize(query.search_text)
        asked = set(tokens)
        if (places := self.place_mask(query, asked)) is not None:
            narrowed = places if allowed is None else allowed & places
            allowed = narrowed if narrowed.any() else allowed
        said = squash(query.search_text)
        # and the other form of each short or full form the question says (财经委: 财政经济委员会)
        tokens += list(dict.fromkeys(t for pair in query.variants for form in pair if form not in said
                                     for t in tokenize(form) if t not in asked))
        bm25 = self.bm25_scores(tokens)
        ctx = self.context_scores(tokens)
        # the chunks BM25 scores above zero, found in one pass and narrowed from there (not a pass over every chunk
        # per retriever and filter): a chunk outside ``allowed`` keeps its score but is never a candidate
        scored = np.flatnonzero(bm25 > 0)
        if allowed is not None:
            scored = scored[allowed[scored]]
            ctx = np.where(self._contexts_with(allowed), ctx, 0.0)  # the best contexts that have a chunk to give
        ranks: dict[int, dict[str, int]] = {}

        def add(name: str, order) -> None:
            for r, i in enumerate(order, start=1):
                ranks.setdefault(int(i), {})[name] = r

        if qvec is not None:  # the rows of a table window share one text, one vector and so one rank (by the
            # text, not the score: a filtered FAISS search may score equal vectors a rounding apart)
            text_rank: dict[str, int] = {}
            for i, _ in search_dense(self.index.dense, qvec, DENSE_N, allowed):
                rank = text_rank.setdefault(self.index.chunks[int(i)].embed_text, len(text_rank) + 1)
                ranks.setdefault(int(i), {})["dense"] = rank
        add("bm25", top_positive(bm25, BM25_N, scored))
        add("prose", top_positive(bm25, PROSE_N, scored[self.prose[scored]]))
        ctx_pool = []
        for c in top_positive(ctx, CONTEXT_N):
            members = self.by_context[self.context_start[c]:self.context_start[c + 1]]
            if allowed is not None:
                members = members[allowed[members]]
            members = members[np.argsort(-bm25[members], kind="stable")][:PER_CONTEXT]
            ctx_pool.extend(int(i) for i in members)
        add("context", ctx_pool)
        if query.intent is Intent.PERSON and len(self.headers):
            heads = self.headers if allowed is None else self.headers[allowed[self.headers]]
            order = heads[np.argsort(-bm25[heads], kind="stable")][:HEADER_N]
            add("header", order)
        ids = np.array(sorted(ranks), dtype=np.int64)
        feats = self.features(query, ids, ranks, bm25, ctx, qvec)
        return Pool(ids, feats, [ranks[int(i)] for i in ids])

    # -- features -------------------------------------------------------------------------------------

    def _weighted_terms(self, query: Query) -> list[tuple[str, float]]:
        return term_weights(query, self.idf)

    def features(self, query: Query, ids: np.ndarray, ranks: dict[int, dict[str, int]], bm25: np.ndarray,
                 ctx: np.ndarray, qvec: np.ndarray | None) -> np.ndarray:
        out = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
        if not len(ids):
            return out
        if qvec is not None:
            vecs = self.index.dense.reconstruct_batch(ids)
            sims = vecs @ np.asarray(qvec, dtype=np.float32)
            sims = sims - sims.max()
        else:
            sims = np.full(len(ids), -1.0, dtype=np.float32)
        bmax = float(bm25[ids].max()) or 1.0
        cmax = float(ctx.max()) or 1.0
        terms = self._weighted_terms(query)
        total = sum(w for _, w in terms) or 1.0
        forms = {t: (t, *more) for t, more in sense_forms(query, terms).items()}
        years = set(query.years)
        families = query.scope_families
        longest = max((t for t, _ in terms), key=len, default="")
        en = query.language == "en"
        q_key = squash(query.question)
        person = query.intent is Intent.PERSON
        for row, i in enumerate(ids):
            i = int(i)
            chunk = self.index.chunks[i]
            r = ranks[i]
            text = self.text_keys[i]
            c = int(self.index.context_of[i])
            both = text + "▸" + self.context_keys[c]
            cov = sum(w for t, w in terms if any(f in text for f in forms.get(t, (t,)))) / total
            cov_ctx = sum(w for t, w in terms if any(f in both for f in forms.get(t, (t,)))) / total
            chunk_years = self.years[i] | self.ctx_years[c]
            agree = bool(years & chunk_years)
            other = bool(years) and bool(self.years[i] - years) and not (years & self.years[i])
            s_agree = s_conflict = 0.0
            if families:
                hits = {h for h in self.scopes_of(i) if h.partition(":")[0] in families}
                wanted = set(query.scopes)
                s_agree = len(hits & wanted) / len(wanted)
                for fam, labels in families.items():
                    mine = {h.split(":")[1] for h in hits if h.startswith(fam + ":")}
                    if mine and not (mine & labels):
                        s_conflict += 1.0
            label_hit = float(any(len(label) >= 2 and (label in q_key or any(
                f in label for t, _ in terms if len(t) >= 2 for f in forms.get(t, (t,)) if len(f) >= 2))
                for label in self.labels[i]))
            mine = self.places.get(chunk.source, frozenset())
            p_match = float(bool(query.places) and bool(mine & set(query.places)))
            p_conflict = float(bool(query.places) and bool(mine) and not p_match)
            dense_rr = 1.0 / r["dense"] if "dense" in r else 0.0
            bm25_rr = 1.0 / r["bm25"] if "bm25" in r else 0.0
            prose_rr = 1.0 / r["prose"] if "prose" in r else 0.0
            out[row] = (
                dense_rr, sims[row], bm25_rr, bm25[i] / bmax, ctx[c] / cmax, cov, cov_ctx,
                float(len(longest) >= 3 and longest in text), float(agree), float(other), s_agree, s_conflict,
                float(chunk.kind == "table_row"), label_hit, float(person and chunk.is_header),
                float(chunk.is_header), math.log1p(len(chunk.text)) / 6.0, dense_rr * en, bm25_rr * en,
                float(bool(_NUMBER.search(chunk.text))), p_match, p_conflict, prose_rr,
            )
        return out


def _postings(values) -> dict[object, np.ndarray]:
    """value -> the indices where it occurs (None values left out; a frozenset stands for each of its members)."""
    out: dict[object, list[int]] = {}
    for i, v in enumerate(values):
        for one in (v if isinstance(v, frozenset) else (v,)):
            if one is not None:
                out.setdefault(one, []).append(i)
    return {v: np.array(ids, dtype=np.int64) for v, ids in out.items()}


def top_positive(scores: np.ndarray, k: int, among: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, best first, ties in index order — as a stable argsort of
    all scores would give, without sorting all of them. ``among``: the ascending indices to choose from, when
    the caller has them (each with a positive score)."""
    pos = np.flatnonzero(scores > 0) if among is None else among
    if len(pos) > k:
        kth = np.partition(scores[pos], len(pos) - k)[len(pos) - k]
        pos = pos[scores[pos] >= kth]
    return pos[np.argsort(-scores[pos], kind="stable")][:k]


def source_places(index: LoadedIndex) -> dict[str, frozenset[str]]:
    """The places each source is about (its identity's place, and places its title names)."""
    out = {}
    for name, src in index.sources.items():
        out[name] = frozenset(place_cores(src.place) + place_cores(src.title))
    return out
