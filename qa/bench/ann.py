"""`bqa bench --ann`: FAISS index kinds compared on a million vectors shaped like real passage embeddings.

Real passage vectors (an index's ``vectors.npy``) are grown to ``size`` vectors by perturbing them within
the data: a vector, moved part of the way towards one of its ten nearest real neighbours, plus a random
difference of two real vectors scaled by ``s`` (drawn per vector up to ``noise``), renormalised. The noise
is chosen so that, at the real set's own size, the synthetic set's nearest-neighbour similarities match the
real set's (``realism`` in the output); at ``size`` the set is denser, as a larger corpus of the same genre
would be. Queries are real question embeddings. Every kind is scored against exact search: recall@10,
single-thread latency per query (all settings timed in turn for each query, medians), build time and bytes
per vector of the serialised index.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.bench import table
from qa.errors import BqaError
from qa.index.dense import FLAT_MAX, ExactIndex, build_dense, ivf_lists

K = 10
NOISE_GRID = (0.1, 0.2, 0.3, 0.4, 0.5)
TOWARDS = 0.5  # at most half-way towards a neighbour
TUNE_SAMPLE = 20_000
SHIPPED = "bqa"  # the factory of a spec built by qa.index.dense.build_dense itself


@dataclass(frozen=True)
class AnnSpec:
    """One kind of index: a faiss factory string ({nlist} filled in from the size) and the search
    parameter swept, with its values."""

    name: str
    factory: str
    param: str | None = None
    values: tuple[int, ...] = (0,)
    ef_construction: int = 80


DEFAULT_SPECS = (
    AnnSpec("flat", "Flat"),
    AnnSpec("hnsw16", "HNSW16,Flat", "efSearch", (64, 128, 256), ef_construction=100),
    AnnSpec("hnsw32", "HNSW32,Flat", "efSearch", (128, 256, 512), ef_construction=200),
    AnnSpec("hnsw32-sq8", "HNSW32,SQ8", "efSearch", (256, 512, 1024), ef_construction=200),
    AnnSpec("ivf-flat", "IVF{nlist},Flat", "nprobe", (32, 128)),
    AnnSpec("ivf-sq8", "IVF{nlist},SQ8", "nprobe", (32, 64, 128, 256)),
    AnnSpec("ivf/4-sq8", "IVF{nlist_small},SQ8", "nprobe", (16, 32)),
    AnnSpec("ivf-fp16", "IVF{nlist},SQfp16", "nprobe", (64, 128)),
    AnnSpec("ivf-pq", "IVF{nlist},PQ{pq_m}np", "nprobe", (64, 256)),  # a byte per 8 dimensions; np: no polysemous training
    AnnSpec("bqa", SHIPPED),  # what `bqa index` builds at this size (qa.index.dense.build_dense), as it searches
)


@dataclass(frozen=True)
class AnnRow:
    size: int
    index: str
    setting: str
    recall_at_10: float
    p50_ms: float
    p95_ms: float
    build_s: float
    bytes_per_vector: float


def nlist_for(n: int) -> int:
    return max(4, ivf_lists(n))


def _normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-12
    return x


def _neighbours(base: np.ndarray, k: int = 10) -> np.ndarray:
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    _, ids = index.search(base, k + 1)
    return ids[:, 1:]


def synthesise(base: np.ndarray, size: int, noise: float, seed: int = 0, neighbours: np.ndarray | None = None,
               chunk: int = 100_000) -> np.ndarray:
    """``size`` unit vectors perturbed from ``base`` (see the module's docstring)."""
    base = np.ascontiguousarray(base, dtype=np.float32)
    nbrs = neighbours if neighbours is not None else _neighbours(base)
    rng = np.random.default_rng(seed)
    n = len(base)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    for start in range(0, size, chunk):
        m = min(chunk, size - start)
        i = rng.integers(0, n, m)
        j = nbrs[i, rng.integers(0, nbrs.shape[1], m)]
        towards = rng.uniform(0, TOWARDS, m).astype(np.float32)[:, None]
        s = rng.uniform(0, noise, m).astype(np.float32)[:, None]
        x = base[i] + towards * (base[j] - base[i]) + s * (base[rng.integers(0, n, m)] - base[rng.integers(0, n, m)])
        out[start:start + m] = _normalise(x)
    return out


def nn_similarity(x: np.ndarray) -> np.ndarray:
    """Each vector's cosine to its nearest other vector."""
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    d, ids = index.search(x, 2)
    return np.where(ids[:, 0] == np.arange(len(x)), d[:, 1], d[:, 0])


def tune_noise(base: np.ndarray, grid: tuple[float, ...] = NOISE_GRID, seed: int = 0) -> tuple[float, dict]:
    """The noise whose synthetic set, at the real set's size, has the closest nearest-neighbour similarity
    quartiles to the real set's; and the figures it was chosen from."""
    rng = np.random.default_rng(seed)
    sample = base if len(base) <= TUNE_SAMPLE else base[rng.choice(len(base), TUNE_SAMPLE, replace=False)]
    nbrs = _neighbours(sample)
    real = np.percentile(nn_similarity(sample), [25, 50, 75])
    tried = {}
    for noise in grid:
        syn = np.percentile(nn_similarity(synthesise(sample, len(sample), noise, seed, nbrs)), [25, 50, 75])
        tried[noise] = syn
    best = min(grid, key=lambda g: float(np.abs(tried[g] - real).sum()))
    return best, {"real_nn_cos_q25_q50_q75": [round(float(v), 4) for v in real],
                  "synthetic_nn_cos_q25_q50_q75": {str(g): [round(float(v), 4) for v in q] for g, q in tried.items()},
                  "noise": best}


def factory_of(spec: AnnSpec, n: int, dim: int) -> str:
    if spec.factory == SHIPPED:
        return f"bqa: IVF{ivf_lists(n)},SQfp16 no residual" if n > FLAT_MAX else "bqa: exact"
    return spec.factory.format(nlist=nlist_for(n), nlist_small=max(4, nlist_for(n) // 4), pq_m=max(1, dim // 8))


def _build(spec: AnnSpec, x: np.ndarray, seed: int = 0) -> faiss.Index:
    if spec.factory == SHIPPED:
        index, _ = build_dense(x)
        if isinstance(index, ExactIndex):  # FAISS's own flat index times and serialises as the others do
            flat = faiss.IndexFlatIP(x.shape[1])
            flat.add(x)
            return flat
        return index
    factory = factory_of(spec, len(x), x.shape[1])
    index = faiss.index_factory(x.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    if hasattr(index, "hnsw"):
        index.hnsw.efConstruction = spec.ef_construction
    if not index.is_trained:
        rng = np.random.default_rng(seed)
        n_train = min(len(x), max(256 * 64, 64 * nlist_for(len(x))))
        index.train(x[np.sort(rng.choice(len(x), n_train, replace=False))] if n_train < len(x) else x)
    index.add(x)
    return index


def _setting(spec: AnnSpec, value: int, index: faiss.Index | None = None) -> str:
    if spec.factory == SHIPPED:
        return f"nprobe={index.nprobe} (as built)" if index is not None and hasattr(index, "nprobe") else "exact"
    if not spec.param:
        return "exact"
    return f"{spec.param}={value}" + (f" efC={spec.ef_construction}" if "HNSW" in spec.factory else "")


def _set(index: faiss.Index, param: str | None, value: int) -> None:
    if param:
        faiss.ParameterSpace().set_index_parameter(index, param, value)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def compare(x: np.ndarray, queries: np.ndarray, specs: tuple[AnnSpec, ...] = DEFAULT_SPECS, latency_queries: int = 200,
            threads: int = 0, log=None) -> list[AnnRow]:
    """Recall@10 against exact search, single-thread latency, build time and bytes per vector of each spec."""
    log = log or (lambda msg: None)
    threads = threads or faiss.omp_get_max_threads()
    x = np.ascontiguousarray(x, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    faiss.omp_set_num_threads(threads)
    exact = faiss.IndexFlatIP(x.shape[1])
    exact.add(x)
    _, truth = exact.search(queries, K)
    del exact
    built: list[tuple[AnnSpec, faiss.Index, float, float]] = []
    for spec in specs:
        faiss.omp_set_num_threads(threads)
        t = time.perf_counter()
        index = _build(spec, x)
        seconds = time.perf_counter() - t
        size = len(faiss.serialize_index(index))
        built.append((spec, index, seconds, size / len(x)))
        log(f"built {spec.name} ({factory_of(spec, len(x), x.shape[1])}) in {seconds:.1f} s")
    settings = [(spec, index, value) for spec, index, _, _ in built for value in spec.values]
    recall = {}
    for spec, index, value in settings:
        _set(index, spec.param, value)
        _, found = index.search(queries, K)
        recall[(spec.name, value)] = _recall(found, truth)
    faiss.omp_set_num_threads(1)
    times: dict[tuple[str, int], list[float]] = {(s.name, v): [] for s, _, v in settings}
    step = max(1, len(queries) // latency_queries)
    for q in queries[::step][:latency_queries]:  # every setting in turn for each query
        q = q.reshape(1, -1)
        for spec, index, value in settings:
            _set(index, spec.param, value)
            t = time.perf_counter()
            index.search(q, K)
            times[(spec.name, value)].append((time.perf_counter() - t) * 1000)
    faiss.omp_set_num_threads(threads)
    rows = []
    for spec, index, seconds, bpv in built:
        for value in spec.values:
            lat = sorted(times[(spec.name, value)])
            rows.append(AnnRow(len(x), factory_of(spec, len(x), x.shape[1]), _setting(spec, value, index),
                               round(recall[(spec.name, value)], 4), round(statistics.median(lat), 3),
                               round(lat[min(len(lat) - 1, int(0.95 * (len(lat) - 1) + 0.5))], 3), round(seconds, 1),
                               round(bpv, 1)))
    return rows


def run_ann(base: np.ndarray, queries: np.ndarray, sizes: tuple[int, ...], specs: tuple[AnnSpec, ...] = DEFAULT_SPECS,
            latency_queries: int = 200, log=None) -> dict:
    """Synthesise each size from ``base`` and compare ``specs`` on it."""
    noise, realism = tune_noise(base)
    nbrs = _neighbours(np.ascontiguousarray(base, dtype=np.float32))
    out = {"base_vectors": len(base), "dim": int(base.shape[1]), "queries": len(queries), "realism": realism,
           "rows": []}
    for size in sizes:
        x = synthesise(base, size, noise, neighbours=nbrs)
        probe = faiss.IndexFlatIP(x.shape[1])
        probe.add(x)
        top, _ = probe.search(np.ascontiguousarray(queries, dtype=np.float32), K)
        del probe
        out.setdefault("query_top1_top10_cos", {})[str(size)] = [round(float(np.median(top[:, 0])), 4),
                                                                   round(float(np.median(top[:, -1])), 4)]
        out["rows"] += [asdict(r) for r in compare(x, queries, specs, latency_queries, log=log)]
        del x
    real = faiss.IndexFlatIP(base.shape[1])
    real.add(np.ascontiguousarray(base, dtype=np.float32))
    top, _ = real.search(np.ascontiguousarray(queries, dtype=np.float32), K)
    out.setdefault("query_top1_top10_cos", {})["real"] = [round(float(np.median(top[:, 0])), 4),
                                                          round(float(np.median(top[:, -1])), 4)]
    return out


def index_vectors(index_dir: Path) -> tuple[np.ndarray, str]:
    """The passage vectors of an index folder and its embedder's name: its ``vectors.npy`` (an exact index,
    memory-mapped) or read back from its ``dense.faiss`` (an approximate one holds them)."""
    from qa.index.dense import dense_file, load_dense
    from qa.index.manifest import fix_command, read_manifest
    from qa.index.store import live_build

    manifest = read_manifest(Path(index_dir))
    path = live_build(Path(index_dir), manifest) / dense_file(manifest.dense_index)
    try:
        dense = load_dense(path)
    except BqaError as err:  # one line naming the file, and the fix for this index folder
        raise BqaError(str(err).replace("`bqa index --rebuild`", fix_command(Path(index_dir)))) from None
    return dense.reconstruct_batch(np.arange(dense.ntotal)), manifest.embedder.name


def ann_figures(index_dir: Path, sizes: tuple[int, ...], specs: tuple[AnnSpec, ...] = DEFAULT_SPECS,
                log=None) -> dict:
    """``run_ann`` seeded by an index's vectors, with the eval questions embedded by the index's embedder."""
    from qa.bench import eval_questions
    from qa.embedders import make_embedder

    vectors, embedder_name = index_vectors(index_dir)
    base = np.array(vectors, dtype=np.float32)
    if len(base) < 2 * (K + 1):
        raise BqaError(f"the index in {index_dir} has {len(base)} vectors; --ann needs at least {2 * (K + 1)}")
    questions = eval_questions()
    queries = make_embedder(embedder_name).embed_queries(questions)
    out = run_ann(base, queries, sizes, specs, log=log)
    return {"index": str(index_dir), "embedder": embedder_name, **out}


def ann_table(result: dict) -> str:
    cols = [("size", "vectors"), ("index", "index"), ("setting", "setting"), ("recall_at_10", "recall@10"),
            ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("build_s", "build s"), ("bytes_per_vector", "bytes/vector")]
    r = result["realism"]
    note = (f"{result['base_vectors']} real {result['embedder']} vectors (dim {result['dim']}) grown with noise "
            f"{r['noise']}; nearest-neighbour cosine quartiles at the real size: real {r['real_nn_cos_q25_q50_q75']}, "
            f"synthetic {r['synthetic_nn_cos_q25_q50_q75'][str(r['noise'])]}; {result['queries']} real questions; "
            f"query top-1/top-10 cosine (median): {result['query_top1_top10_cos']}; latency single-thread")
    return table(result["rows"], cols) + "\n" + note
