"""Every failure a user or a hostile neighbour can cause ends in one line on stderr, the
documented exit code and an index that still answers: run through the real console
script against real damaged, full, read-only and booby-trapped data dirs."""

from __future__ import annotations

import json
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docq.config import load_settings
from docq.errors import describe_failure

from .conftest import SAMPLES

QUESTION = "In what country is Normandy located?"  # one the tiny model answers, with citations
TINY = ("--model", "smollm2-135m")  # answers are compared, not judged: the tiny model is enough
DOCQ = shutil.which("docq", path=str(Path(sys.executable).parent)) or "docq"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
    env.update({"NO_COLOR": "1", "DOCQ_CONFIG": str(data_dir.parent / "no-config.toml")})
    return env


def docq(*args: str | bytes, data_dir: Path, prefix: tuple[str, ...] = (), **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*prefix, DOCQ, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(data_dir),
        **kwargs,
    )


def one_line(result: subprocess.CompletedProcess) -> str:  # type: ignore[type-arg]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


Reply = tuple[str, bool, tuple[str, ...]]


def answer(data_dir: Path, prefix: tuple[str, ...] = ()) -> Reply:
    """The answer, whether it abstained, and the chunks it cites."""
    result = docq("ask", "--json", *TINY, QUESTION, data_dir=data_dir, prefix=prefix)
    assert result.returncode in (0, 3), result.stderr
    data = json.loads(result.stdout)
    return data["answer"], data["abstained"], tuple(c["chunk_id"] for c in data["citations"])


def consistent(data_dir: Path) -> bool:
    result = docq("status", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return bool(json.loads(result.stdout)["consistent"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Reply]:
    """An index of the Normans sample, and the tiny model's answer to QUESTION on it."""
    root = tmp_path_factory.mktemp("faults")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(SAMPLES / "normans.txt", docs)
    data = root / "data"
    result = docq("ingest", str(docs), data_dir=data)
    assert result.returncode == 0, result.stderr
    reply = answer(data)
    assert reply[0] and not reply[1] and reply[2]  # an answer with citations, so comparing them means something
    return data, reply


@pytest.fixture
def index(built: tuple[Path, Reply], tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(built[0], data)
    return data


def test_describe_failure_names_the_file_and_the_remedy(tmp_path: Path) -> None:
    import errno
    import sqlite3

    full = describe_failure(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x")), tmp_path)
    assert full.startswith(f"{tmp_path / 'x'}: no space left") and "MB free" in full
    denied = describe_failure(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "y")), tmp_path)
    assert denied.startswith(f"{tmp_path / 'y'}: permission denied for user") and "write access" in denied
    damaged = describe_failure(sqlite3.DatabaseError("database disk image is malformed"), tmp_path)
    assert "catalog is damaged" in damaged and "docq ingest" in damaged
    assert "\n" not in describe_failure(RuntimeError("a\nb"), tmp_path)


class _Payload:
    """What a hostile neighbour plants: unpickling it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.marker,))


@pytest.mark.e2e
def test_nothing_planted_in_the_data_dir_runs(index: Path, built: tuple[Path, Reply]) -> None:
    marker = index.parent / "code-ran"
    payload = pickle.dumps(_Payload(marker))
    chroma_segments = [p for p in (index / "chroma").iterdir() if p.is_dir()]
    targets = [
        index / "bm25.npz",
        index / "bm25.pkl",  # where releases 1-3 kept a pickle
        index / "write.lock.pid",
        index / "catalog.sqlite.bak",
        *(segment / "index_metadata.pickle" for segment in chroma_segments),  # Chroma's legacy pickle
        index / "kv-cache" / "0123abcd.kv",
        index / "kv-cache" / "0123abcd.json",
        index / "memory" / "memory-g1-b3000.txt",
    ]
    for path in targets:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(payload)
    assert docq("status", data_dir=index).returncode == 0
    assert answer(index) == built[1]  # dense search falls back to the catalog's vectors
    assert docq("cache", "list", data_dir=index).returncode == 0
    reindexed = docq("reindex", data_dir=index)
    assert reindexed.returncode == 0, reindexed.stderr
    assert consistent(index) and answer(index) == built[1]
    assert not marker.exists()


def _as_unprivileged() -> tuple[str, ...]:
    """Root ignores file modes; in a new user namespace (root without its capabilities)
    it obeys them, as any other user does."""
    if os.geteuid() != 0:
        return ()
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--user", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot drop root's privileges here (no user namespaces)")
    return (unshare, "--user")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.e2e
def test_a_read_only_index_answers_and_reports_its_status(index: Path, built: tuple[Path, Reply]) -> None:
    before = _snapshot(index)
    subprocess.run(["chmod", "-R", "a-w", str(index)], check=True)
    try:
        user = _as_unprivileged()
        write = subprocess.run([*user, "touch", str(index / "probe")], capture_output=True)
        assert write.returncode != 0  # the folder really is read-only for this user
        status = docq("status", "--json", data_dir=index, prefix=user)
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert report["chunks"] > 0 and report["consistent"] and report["vector_store"] != "chroma"
        assert answer(index, prefix=user) == built[1]
        refused = docq("ingest", str(SAMPLES), data_dir=index, prefix=user)
        assert refused.returncode == 1 and "permission denied" in one_line(refused)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(index)], check=True)
    assert _snapshot(index) == before  # readers wrote nothing


@pytest.mark.e2e
def test_a_full_disk_during_ingest_loses_nothing(index: Path, built: tuple[Path, Reply]) -> None:
    more = index.parent / "more"
    more.mkdir()
    for n in range(4):  # text about something else, so the question's answer stays where it was
        lines = [f"Keeper {n}.{i} trims the lamp of lighthouse {i} and logs {i * n} passing ships." for i in range(900)]
        (more / f"log{n}.txt").write_text("\n\n".join(lines))

    def small_disk() -> None:  # writes past 256 KB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    failed = docq("ingest", str(more), data_dir=index, preexec_fn=small_disk)
    assert failed.returncode == 1
    assert "free" in one_line(failed)
    assert answer(index) == built[1]
    repaired = docq("ingest", str(more), data_dir=index)
    assert repaired.returncode == 0, repaired.stderr
    assert consistent(index)


@pytest.mark.e2e
def test_a_damaged_catalog_is_named_and_its_backup_restores_the_index(index: Path, built: tuple[Path, Reply]) -> None:
    catalog = index / "catalog.sqlite"
    with catalog.open("r+b") as f:
        f.write(os.urandom(4096))
    for command in (["status"], ["ask", QUESTION], ["ingest", str(SAMPLES)], ["reindex"]):
        result = docq(*command, data_dir=index)
        assert result.returncode == 1
        line = one_line(result)
        assert str(catalog) in line and "damaged" in line and "catalog.sqlite.bak" in line
    catalog.rename(index / "catalog.sqlite.damaged")
    shutil.copy(index / "catalog.sqlite.bak", catalog)
    assert docq("reindex", data_dir=index).returncode == 0
    assert consistent(index) and answer(index) == built[1]


@pytest.mark.e2e
def test_a_damaged_vector_store_still_answers_and_reindex_rebuilds_it(index: Path, built: tuple[Path, Reply]) -> None:
    (index / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    assert not consistent(index)
    assert answer(index) == built[1]
    ingest = docq("ingest", str(SAMPLES), data_dir=index)
    assert ingest.returncode == 1 and "docq reindex" in one_line(ingest)
    assert docq("reindex", data_dir=index).returncode == 0
    assert consistent(index) and answer(index) == built[1]


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "index"
    not_a_folder.write_text("")
    for command in (["status"], ["ingest", str(SAMPLES)], ["ask", QUESTION]):
        result = docq(*command, data_dir=not_a_folder)
        assert result.returncode == 1 and "not a folder" in one_line(result)


@pytest.mark.e2e
def test_a_question_with_bytes_that_are_not_utf8(index: Path) -> None:
    result = subprocess.run(
        [DOCQ, "--data-dir", str(index), "ask", *TINY, b"When was the Duchy \xff founded?"],
        capture_output=True,
        timeout=600,
        env=_env(index),
    )
    assert result.returncode in (0, 3)
    assert b"not UTF-8" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.e2e
def test_a_reader_that_leaves_early_is_no_error(index: Path) -> None:
    script = f'{DOCQ} --data-dir "{index}" ask {" ".join(TINY)} "{QUESTION}" 2>"{index.parent}/err" | head -c 1'
    result = subprocess.run(
        ["bash", "-c", script + "; exit ${PIPESTATUS[0]}"], capture_output=True, timeout=600, env=_env(index)
    )
    errors = (index.parent / "err").read_text()
    assert result.returncode in (0, 3), errors
    assert "Error" not in errors and "Traceback" not in errors


# Instants after start: Python start-up and imports, the embedder loading, retrieval, the
# answer model loading, and the prefill of the ~6,000-token article (a minute or more with
# the default model on 2 cores, so an answer that ignored Ctrl-C would exit 0, not 130).
INSTANTS = (0.05, 0.3, 0.8, 1.5, 3.0, 6.0)


@pytest.mark.e2e
@pytest.mark.parametrize("after", INSTANTS)
def test_ctrl_c_at_any_moment_ends_docq_with_130(index: Path, tmp_path: Path, after: float) -> None:
    # A KV cache of its own (it lives beside the models dir): a document state saved by an
    # earlier run would skip the prefill this test interrupts.
    models = load_settings({}, env=_env(index), config_file=tmp_path / "none.toml").models_dir
    own = tmp_path / "cache"
    own.mkdir()
    (own / "models").symlink_to(models.resolve(), target_is_directory=True)
    process = subprocess.Popen(
        [DOCQ, "--data-dir", str(index), "ask", "--route", "full", QUESTION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_env(index), "DOCQ_MODELS_DIR": str(own / "models")},
        # As from a terminal: a harness running in the background (nohup, `cmd &` in a script,
        # some CI runners) starts its children with Ctrl-C ignored, which docq rightly keeps.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    # Not a speed check: a bound that only a Ctrl-C left unanswered would reach.
    stdout, stderr = process.communicate(timeout=120)
    assert not stdout, "stopped before any answer"
    if process.returncode == -signal.SIGINT:
        # Before any docq code runs (interpreter start-up, the console script's own imports:
        # tens of milliseconds, longer on a loaded machine) Python's handler stops the
        # process by SIGINT itself, which a shell reports as 130.
        assert after < 1.0, stderr  # only then: docq's handler is in charge within milliseconds
    else:
        assert process.returncode == 130, (after, process.returncode, stderr)
        assert "Traceback" not in stderr and stderr.strip().splitlines()[-1].startswith("docq: interrupted"), stderr
    cache = own / "kv-cache"
    assert not cache.exists() or not [p for p in cache.iterdir() if ".kv" in p.name or "partial" in p.name]
