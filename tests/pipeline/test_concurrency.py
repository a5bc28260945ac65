"""Two real docq processes on one data dir: one writer at a time, readers never blocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import NORMANS_PARAGRAPHS


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
    env["DOCQ_CONFIG"] = str(data.parent / "no-config.toml")
    return env


def _start(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "docq", "--data-dir", str(data), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(data),
    )


def _wait_for_lock(data: Path, writer: subprocess.Popen[str]) -> None:
    pid_file = data / "write.lock"  # the holder writes its pid into the lock file it holds
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip() == str(writer.pid):
            return
        time.sleep(0.05)
    pytest.fail("the writer never took the lock")


@pytest.fixture
def big_folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):  # enough to keep a writer busy for several seconds
        start = (i * 3) % (len(NORMANS_PARAGRAPHS) - 5)
        (docs / f"part-{i:02d}.txt").write_text(f"Part {i}.\n\n" + "\n\n".join(NORMANS_PARAGRAPHS[start : start + 5]))
    return docs


@pytest.mark.e2e
def test_second_writer_is_refused_then_can_wait(tmp_path: Path, big_folder: Path) -> None:
    data = tmp_path / "data"
    small = tmp_path / "small"
    small.mkdir()
    (small / "note.txt").write_text("The lighthouse keeper was named Abel.")
    writer = _start(data, "ingest", str(big_folder))
    _wait_for_lock(data, writer)
    refused = _start(data, "ingest", str(small))
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 5
    assert f"another docq process is writing this index (pid {writer.pid})" in err
    assert err.count("\n") == 1  # one line
    waiting = _start(data, "ingest", "--wait", str(small))
    _, wait_err = waiting.communicate(timeout=600)
    writer.communicate(timeout=600)
    assert writer.returncode == 0
    assert waiting.returncode == 0, wait_err
    status = subprocess.run(
        [sys.executable, "-m", "docq", "--data-dir", str(data), "status", "--json"],
        capture_output=True,
        text=True,
        env=_env(data),
        timeout=120,
    )
    report = json.loads(status.stdout)
    assert report["files"] == 31 and report["consistent"]


@pytest.mark.e2e
def test_readers_work_while_an_ingest_runs(tmp_path: Path, big_folder: Path) -> None:
    data = tmp_path / "data"
    first = subprocess.run(
        [sys.executable, "-m", "docq", "--data-dir", str(data), "ingest", str(next(big_folder.iterdir()))],
        capture_output=True,
        text=True,
        env=_env(data),
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    writer = _start(data, "ingest", str(big_folder))
    _wait_for_lock(data, writer)
    reads = 0
    while writer.poll() is None and reads < 5:
        reader = subprocess.run(
            [sys.executable, "-m", "docq", "--data-dir", str(data), "status", "--json"],
            capture_output=True,
            text=True,
            env=_env(data),
            timeout=120,
        )
        assert reader.returncode == 0, reader.stderr
        snapshot = json.loads(reader.stdout)
        assert snapshot["files"] >= 1 and snapshot["chunks"] >= 1
        reads += 1
    writer.communicate(timeout=600)
    assert writer.returncode == 0
    assert reads >= 1
