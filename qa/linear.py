"""A fitted linear (logistic) model stored as a plain JSON file with its provenance.

Both fitted stages use it: the passage ranker (``qa/data/ranker.json``), the answer model
(``qa/data/answer_model.json``) and the confidence models. Weights are learned by ``bqa eval --fit`` (a listwise
softmax loss for the ranker and the answer model, an L2 logistic regression for the confidence models; see
``qa.evaluation.fit``) and never written by hand; at run time a model is a dot
product and a sigmoid over named features, so answering needs no learning library.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import BqaError
from qa.paths import data_file

MODEL_FILES = ("ranker", "answer_model", "answer_confidence", "derived_confidence")  # qa/data/<name>.json


def packaged_stamp(names: tuple[str, ...] = MODEL_FILES) -> tuple[tuple, ...]:
    """The packaged model files ``names`` as they are now: (name, inode, size, mtime and ctime in ns), or (name,)
    for a missing file. An engine keeps the stamp of the files it read, so that a warm one (`bqa daemon`, the
    socket of `bqa serve`) can tell that a refit (`bqa eval --fit`, which moves each new file over the old one:
    a new inode and ctime, whatever its size and mtime) has replaced them since."""
    out = []
    for name in names:
        try:
            st = data_file(f"{name}.json").stat()
        except OSError:
            out.append((name,))
        else:
            out.append((name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(out)


@dataclass(frozen=True)
class LinearModel:
    """A fitted linear model as stored in ``qa/data``: features, weights, standardisation and provenance."""

    name: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]  # features are standardised with these before the dot product
    scale: tuple[float, ...]
    threshold: float | None = None  # for the answer model: the probability needed to show an answer
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.weights) == len(self.mean) == len(self.scale) == n):
            raise BqaError(f"model {self.name}: {n} features but {len(self.weights)} weights; refit with `bqa eval --fit`")
        if not all(math.isfinite(v) for v in (*self.weights, *self.mean, *self.scale, self.bias)):
            raise BqaError(f"model {self.name}: weights must be finite numbers; refit with `bqa eval --fit`")

    @property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.asarray(self.weights, dtype=np.float64), np.asarray(self.mean, dtype=np.float64),
                np.asarray(self.scale, dtype=np.float64))

    def logits(self, x: np.ndarray) -> np.ndarray:
        w, mean, scale = self._arrays
        return ((np.asarray(x, dtype=np.float64) - mean) / scale) @ w + self.bias

    def prob(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -50, 50)))

    def check(self, features: tuple[str, ...]) -> LinearModel:
        if tuple(features) != self.features:
            missing = sorted(set(features) ^ set(self.features))
            raise BqaError(f"model {self.name} was fitted on other features ({', '.join(missing[:4])} differ); "
                           "refit with `bqa eval --fit`")
        return self

    def to_dict(self) -> dict:
        return {"name": self.name, "features": list(self.features), "weights": list(self.weights),
                "bias": self.bias, "mean": list(self.mean), "scale": list(self.scale), "threshold": self.threshold,
                "provenance": self.provenance}

    def save(self, path: Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, raw: dict, where: str) -> LinearModel:
        try:
            return cls(name=str(raw["name"]), features=tuple(raw["features"]),
                       weights=tuple(float(v) for v in raw["weights"]), bias=float(raw["bias"]),
                       mean=tuple(float(v) for v in raw["mean"]), scale=tuple(float(v) or 1.0 for v in raw["scale"]),
                       threshold=None if raw.get("threshold") is None else float(raw["threshold"]),
                       provenance=dict(raw.get("provenance") or {}))
        except (KeyError, TypeError, ValueError) as err:
            raise BqaError(f"{where}: not a model file ({type(err).__name__}); refit with `bqa eval --fit`") from None

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise BqaError(f"{path}: cannot read the model ({type(err).__name__}); refit with `bqa eval --fit`") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def packaged(cls, name: str) -> LinearModel | None:
        """``qa/data/<name>.json`` when it exists (None before the first fit)."""
        res = data_file(f"{name}.json")
        if not res.is_file():
            return None
        return cls.from_dict(json.loads(res.read_text(encoding="utf-8")), f"qa/data/{name}.json")


def data_path(name: str) -> Path:
    """Where ``bqa eval --fit`` writes a model: the package's data folder."""
    return data_file(f"{name}.json")
