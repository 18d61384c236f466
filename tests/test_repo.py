"""Project hygiene: CI runs the README's test command, the code passes ruff, no pickle is loaded."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set-up", 1)[1].split("## Usage", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "bqa serve" in commands[0] and "pytest" in commands[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_ruff_passes():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff not installed")
    result = subprocess.run([ruff, "check", "qa", "tests"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_pickle_loading_in_package():
    for path in (REPO / "qa").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*import pickle|pickle\.load|joblib\.load|torch\.load\(|allow_pickle=True", text, re.M), path


def test_the_chinese_character_test_is_written_once():
    """qa.han holds the test for a Chinese character; a module comparing characters with the range itself would
    drift from it."""
    inline = re.compile(r"""["']\\u4e00["']\s*<=""")
    written = [path.relative_to(REPO).as_posix() for path in (REPO / "qa").rglob("*.py")
               if inline.search(path.read_text(encoding="utf-8"))]
    assert written == ["qa/han.py"]
