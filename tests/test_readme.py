"""The README's Python example runs as written (with a scratch HOME and the tiny model)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, make_settings


def _example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's From Python section has no python block"
    return match.group(1)


@pytest.mark.e2e
def test_the_readme_library_example_runs(tmp_path: Path) -> None:
    models_dir = make_settings(tmp_path / "probe").models_dir  # the models already assembled here
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_")}
    env.update(
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        DOCQ_MODELS_DIR=str(models_dir),
        DOCQ_MODEL="smollm2-135m",  # the example's logic, not the default model's speed, is under test
        DOCQ_CONFIG=str(tmp_path / "none.toml"),
    )
    result = subprocess.run(
        [sys.executable, "-c", _example()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("2 added, 0 skipped, 0 failed"), result.stdout
    assert len(lines) == 3 and all(re.search(r"\(.+, \d+ s\)$", line) for line in lines[1:]), result.stdout
    assert (tmp_path / ".local" / "share" / "docq-samples" / "catalog.sqlite").is_file()
