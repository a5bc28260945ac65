"""kill -9 at random moments of a real `docq ingest`; the next run must repair the index.

Between trials the corpus changes (files edited, added, deleted), so the kills land in
adds, replacements and removals alike. After each repair: catalog, Chroma and BM25
agree, no chunk is duplicated or orphaned, and every file is fully present or absent.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docq.indexers.chunking import ChunkingOptions, chunk_document
from docq.indexers.readers import read_text
from docq.library.index import DocumentIndex
from docq.types import Page

from ..conftest import NORMANS_PARAGRAPHS, make_settings

TRIALS = int(os.environ.get("DOCQ_CRASH_TRIALS", "30"))


def _docq(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
    env["DOCQ_CONFIG"] = str(data.parent / "no-config.toml")
    return subprocess.Popen(
        [sys.executable, "-m", "docq", "-q", "--data-dir", str(data), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _mutate(docs: Path, rng: random.Random, generation: int) -> None:
    files = sorted(docs.glob("*.txt"))
    for path in rng.sample(files, k=min(4, len(files))):
        start = rng.randrange(0, len(NORMANS_PARAGRAPHS) - 4)
        path.write_text(f"Edition {generation}.\n\n" + "\n\n".join(NORMANS_PARAGRAPHS[start : start + 4]))
    if len(files) > 6 and rng.random() < 0.5:
        rng.choice(files).unlink()
    if rng.random() < 0.6:
        start = rng.randrange(0, len(NORMANS_PARAGRAPHS) - 3)
        (docs / f"new-{generation}.txt").write_text("\n\n".join(NORMANS_PARAGRAPHS[start : start + 3]))


def _check(settings_data: Path, docs: Path) -> None:
    settings = make_settings(settings_data)
    with DocumentIndex(settings) as index:
        health = index.health()
        assert health.consistent, health
        records = {r.path: r for r in index.catalog.files()}
        assert set(records) == {str(p) for p in docs.glob("*.txt")}
        all_ids: list[str] = []
        for path, record in records.items():
            assert record.status == "ready"
            expected = chunk_document(
                path,
                [Page(None, read_text(Path(path)))],
                ChunkingOptions(settings.chunk_tokens, settings.chunk_overlap),
            )
            stored = index.catalog.chunks_for_file(record.id)
            assert [c.id for c in stored] == [c.id for c in expected], f"{path} is not fully present"
            all_ids.extend(c.id for c in stored)
        assert len(all_ids) == len(set(all_ids)), "duplicated chunks"
        assert set(all_ids) == index.vectors.ids() == set(index.bm25().ids)


@pytest.mark.e2e
def test_random_kills_are_repaired(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(8):
        (docs / f"doc-{i}.txt").write_text("\n\n".join(NORMANS_PARAGRAPHS[i * 4 : i * 4 + 4]))
    data = tmp_path / "data"
    first = _docq(data, "ingest", str(docs))
    assert first.wait(timeout=300) == 0
    # How long a run over a changed corpus takes, process start-up included: kills are drawn
    # over that window so they land in start-up, parsing, embedding and index writes. The
    # window follows the repair runs (ingests of the same kind, never killed), so it keeps
    # up with the machine's load instead of being set once.
    durations: list[float] = []
    killed_mid_run = 0
    for trial in range(TRIALS):
        _mutate(docs, rng, trial)
        if not durations:  # the first trial runs whole: it measures the window
            started = time.perf_counter()
            assert _docq(data, "ingest", "--wait", str(docs)).wait(timeout=300) == 0
            durations.append(time.perf_counter() - started)
            _mutate(docs, rng, trial + TRIALS)
        window = sorted(durations[-5:])[len(durations[-5:]) // 2]
        process = _docq(data, "ingest", "--wait", str(docs))
        time.sleep(rng.uniform(0.1, 0.9) * window)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed_mid_run += 1
        process.wait(timeout=60)
        started = time.perf_counter()
        repair = _docq(data, "ingest", "--wait", str(docs))
        _, err = repair.communicate(timeout=300)
        durations.append(time.perf_counter() - started)
        assert repair.returncode == 0, err
        _check(data, docs)
    assert killed_mid_run >= TRIALS // 2, "the kills should mostly land while ingest is working"
