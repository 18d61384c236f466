"""This user's cache files in the temporary folder: jieba's prefix dictionary and its light table (``qa.terms``)
and the parsed general dictionary (``qa.query.dictionary``).

Each file's name carries a hash of what it was built from, so an upgrade, another install or an edited word list
writes a new file and the old one stays behind (1.8 MB to 70 MB each; one day of development left 254 MB). A file
in use is marked when read (its modification time, at most once a day); when a new file of a family is written,
this user's files of that family that nobody has read for ``STALE_DAYS`` days are removed. Another install's files
that are still read are kept, so two installs never delete each other's caches.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Collection
from pathlib import Path

STALE_DAYS = 14
_DAY = 86400.0


def uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def temp_dir() -> Path:
    return Path(tempfile.gettempdir())


def mark_used(path: str | os.PathLike) -> None:
    """Record that ``path`` was read: its modification time set to now when it is a day old or more (one metadata
    write a day, not one per process). Only a regular file of this user: never through a link another user put
    under our name in a shared folder. Best effort: a read-only folder changes nothing."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_uid == uid() and time.time() - st.st_mtime >= _DAY:
            os.utime(path)


def prune(prefix: str, keep: Collection[str], stale_days: float = STALE_DAYS, folder: Path | None = None) -> list[str]:
    """Remove this user's regular files in the temporary folder (or ``folder``) whose names start with ``prefix`` (a
    family, e.g. ``bqa-cedict-0-``), other than the names in ``keep``, unread for ``stale_days`` days (their partial
    ``.tmp`` files too). Returns the names removed; errors (a file gone, another user's folder) are skipped."""
    removed: list[str] = []
    cutoff = time.time() - stale_days * _DAY
    try:
        entries = list(os.scandir(folder or temp_dir()))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix) or entry.name in keep:
            continue
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            if entry.is_file(follow_symlinks=False) and st.st_uid == uid() and st.st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


def private_dir(folder: Path, create: bool) -> bool:
    """True when ``folder`` is ours and closed to others (made so when ``create``): a place in a shared temporary
    folder where no other user can put, replace or block a file of ours."""
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        st = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == uid() and not st.st_mode & 0o077
