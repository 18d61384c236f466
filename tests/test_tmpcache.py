"""This user's cache files in the temporary folder: marked when read, removed when unread for weeks."""

from __future__ import annotations

import os
import tempfile
import time

import pytest

from qa import tmpcache

_MONTH = 30 * 86400


@pytest.fixture
def tmp_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def _aged(path, seconds: float):
    path.write_bytes(b"x")
    os.utime(path, (time.time() - seconds,) * 2)
    return path


def test_a_file_read_is_marked_at_most_once_a_day(tmp_dir) -> None:
    old, fresh = _aged(tmp_dir / "old", 3 * 86400), _aged(tmp_dir / "fresh", 3600)
    before = fresh.stat().st_mtime
    tmpcache.mark_used(old)
    tmpcache.mark_used(fresh)
    assert time.time() - old.stat().st_mtime < 60  # now in use
    assert fresh.stat().st_mtime == before  # read within the day: no write
    tmpcache.mark_used(tmp_dir / "gone")  # a missing file: nothing, no error


def test_a_link_under_our_name_is_never_marked(tmp_dir, tmp_path_factory) -> None:
    """Another user may put a link named like our cache in a shared /tmp: marking it must not touch its target."""
    target = _aged(tmp_path_factory.mktemp("theirs") / "file", 3 * 86400)
    before = target.stat().st_mtime
    link = tmp_dir / f"bqa-test-{tmpcache.uid()}-x.cache"
    link.symlink_to(target)
    tmpcache.mark_used(link)
    assert target.stat().st_mtime == before


def test_another_users_files_are_neither_marked_nor_removed(tmp_dir) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give a file to another user")
    prefix = f"bqa-test-{tmpcache.uid()}-"
    theirs = _aged(tmp_dir / f"{prefix}planted.json", _MONTH)
    os.chown(theirs, 12345, 12345)
    before = theirs.stat().st_mtime
    tmpcache.mark_used(theirs)
    assert tmpcache.prune(prefix, set()) == [] and theirs.stat().st_mtime == before


def test_prune_removes_only_this_familys_files_unread_for_weeks(tmp_dir) -> None:
    prefix = f"bqa-test-{tmpcache.uid()}-"
    keep = _aged(tmp_dir / f"{prefix}current.json", _MONTH)  # the one being written: kept whatever its age
    stale = _aged(tmp_dir / f"{prefix}old.json", _MONTH)
    partial = _aged(tmp_dir / f"{prefix}old.json.123.tmp", _MONTH)
    in_use = _aged(tmp_dir / f"{prefix}other-install.json", 86400)  # another install's, read yesterday
    foreign = _aged(tmp_dir / "bqa-test-99999-old.json", _MONTH)  # no prefix of ours (another uid's name)
    unrelated = _aged(tmp_dir / "notes.txt", _MONTH)
    removed = tmpcache.prune(prefix, {keep.name})
    assert sorted(removed) == sorted([stale.name, partial.name])
    assert keep.exists() and in_use.exists() and foreign.exists() and unrelated.exists()


def test_prune_follows_no_link(tmp_dir, tmp_path_factory) -> None:
    elsewhere = _aged(tmp_path_factory.mktemp("elsewhere") / "precious", _MONTH)
    prefix = f"bqa-test-{tmpcache.uid()}-"
    link = tmp_dir / f"{prefix}link"
    link.symlink_to(elsewhere)
    os.utime(link, (time.time() - _MONTH,) * 2, follow_symlinks=False)  # an old link to an old file: still kept
    assert tmpcache.prune(prefix, set()) == []
    assert elsewhere.exists() and link.is_symlink()
