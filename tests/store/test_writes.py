"""Nothing docq writes follows a link: a link planted under a name docq writes is replaced
or refused, and the file it points at is never touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docq.errors import IndexLockedError
from docq.store.lock import write_lock
from docq.store.writes import LinkRefusedError, read_regular, replacing, write_file


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the data dir that a planted link points at."""
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_text("precious")
    return path


def test_a_file_written_over_a_link_replaces_the_link(tmp_path: Path, victim: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "bm25.npz").symlink_to(victim)
    write_file(data / "bm25.npz", b"new")
    assert victim.read_text() == "precious"
    assert not (data / "bm25.npz").is_symlink() and (data / "bm25.npz").read_bytes() == b"new"


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), replacing(tmp_path / "state.kv") as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []


def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path: Path, victim: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "write.lock").symlink_to(victim)
    with pytest.raises(LinkRefusedError, match="symbolic link"), write_lock(data):
        pass
    assert victim.read_text() == "precious"


def test_the_lock_names_its_holder_and_is_released(tmp_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from docq.store.lock import write_lock\nimport time\nwith write_lock(__import__('pathlib').Path({str(tmp_path)!r})):\n print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLockedError, match=f"pid {holder.pid}"), write_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with write_lock(tmp_path):  # a killed holder releases it
        assert (tmp_path / "write.lock").read_text() == str(os.getpid())


def test_reading_back_refuses_links_devices_and_oversized_files(tmp_path: Path, victim: Path) -> None:
    (tmp_path / "ok").write_bytes(b"1234")
    (tmp_path / "link").symlink_to(victim)
    (tmp_path / "zero").symlink_to("/dev/zero")
    assert read_regular(tmp_path / "ok", 4) == b"1234"
    assert read_regular(tmp_path / "ok", 3) is None
    assert read_regular(tmp_path / "link", 100) is None
    assert read_regular(tmp_path / "zero", 100) is None
    assert read_regular(tmp_path / "missing", 100) is None
