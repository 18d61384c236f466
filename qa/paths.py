"""Where the corpus and the index live: an option, else an environment variable, else the repo's folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parent / "data"  # the package's word lists and fitted models (qa/data)


def data_file(name: str) -> Path:
    """``qa/data/<name>``: a plain path, as the package is installed as files (importlib.resources, which would
    also serve a zipped package, costs a cold `bqa ask` ≈ 7 ms of imports)."""
    return DATA_DIR / name


def _default(env: str, name: str) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    repo = REPO_ROOT / name
    if (REPO_ROOT / "pyproject.toml").exists():
        return repo
    return Path.cwd() / name


def default_corpus() -> Path:
    return _default("BQA_CORPUS", "corpus")


def default_index() -> Path:
    return _default("BQA_INDEX", "index")
