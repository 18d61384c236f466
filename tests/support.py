"""Small helpers several test modules share (a free loopback port, a process's resident memory, an index
folder's file stamps, a model file written again as a refit writes it)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` (this one by default) in MB, from /proc; NaN where there is none."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every index file's (mtime, size), the build lock's aside: filelock 4 truncates its file on every acquire."""
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}


def replace_model(path, change=None, keep_times=False) -> None:
    """Write ``path`` again as LinearModel.save does (a new file moved over the old one), with ``change`` applied
    to its JSON, or the same bytes; with ``keep_times`` the new file gets the old one's mtime (as cp -p would)."""
    raw = path.read_text(encoding="utf-8")
    if change:
        raw = json.dumps(change(json.loads(raw)), ensure_ascii=False)
    st = path.stat()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(raw, encoding="utf-8")
    if keep_times:
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    tmp.replace(path)


def top_k_shown(out: dict, k: int) -> bool:
    """Whether a JSON result (``AskResult.to_dict``) shows the first ``k`` passages in rank order and, beyond them,
    only what it may: the passages an answer cites, or, with no answer because the best reading was not sure enough
    (``reason`` not_sure), that reading's passages (``qa.api.shown_passages``)."""
    ranks = [p["rank"] for p in out["passages"]]
    extra = ranks[k:]
    if ranks[:k] != list(range(1, k + 1)) or any(r <= k for r in extra):
        return False
    return not extra or out["answer"] is not None or (out.get("reason") == "not_sure" and len(extra) <= 2)


def shown_below(result) -> set[int]:
    """The ranks of the passages an abstention (an ``AskResult``) shows from below its top-k: with no answer, the
    passages run 1, 2, … up to top-k, so a passage whose rank is past its place was added."""
    if result.answer is not None:
        return set()
    return {p.rank for k, p in enumerate(result.passages) if p.rank != k + 1}
