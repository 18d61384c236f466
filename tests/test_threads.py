"""Threads by job: a question sets one OpenMP thread in its own thread, a build every core."""

from __future__ import annotations

import ctypes
import os
import threading

import pytest

from qa import threads


def _gomp():
    threads.refresh_runtimes()
    import faiss  # noqa: F401  (brings its own libgomp)

    threads.refresh_runtimes()
    if threads.runtimes() == 0:
        pytest.skip("no OpenMP runtime loaded")
    return threads._runtimes


def _max_threads(lib) -> int:
    lib.omp_get_max_threads.restype = ctypes.c_int
    return lib.omp_get_max_threads()


def test_runtimes_of_faiss_are_found():
    from qa.index.dense import _faiss

    _faiss()  # imported for an approximate index only

    assert threads.runtimes() >= 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell one thread from all")
def test_query_threads_are_per_calling_thread():
    libs = _gomp()
    seen: dict[str, list[int]] = {}

    def worker(name: str, n: int | None):
        threads.use_threads(n)
        seen[name] = [_max_threads(lib) for lib in libs]

    a = threading.Thread(target=worker, args=("query", 1))
    b = threading.Thread(target=worker, args=("build", None))
    for t in (a, b):
        t.start()
        t.join()
    assert seen["query"] == [1] * len(libs)
    assert seen["build"] == [os.cpu_count()] * len(libs)


def test_a_question_runs_single_threaded(fake_index):
    from qa.api import BulletinQA

    libs = _gomp()
    engine = BulletinQA.open(fake_index, build_if_missing=False)
    out: list[int] = []

    def ask():
        threads.use_threads(None)  # a thread that last built something
        engine.ask("2025年本区地方政府债务限额是多少？")
        out.extend(_max_threads(lib) for lib in libs)

    t = threading.Thread(target=ask)
    t.start()
    t.join()
    assert out and set(out) == {1}
