"""Scale-out: docq against a real Chroma server (`chroma run`) on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import SAMPLES, free_port, start_server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "chromadb's `chroma` command is missing"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    process = start_server(command, f"{url}/api/v2/heartbeat", "chroma run")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.e2e
def test_ingest_ask_and_status_through_a_chroma_server(chroma_server: str, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    ingest = run_cli("--chroma-url", chroma_server, "ingest", str(SAMPLES), data_dir=data)
    assert ingest.returncode == 0, ingest.stderr
    assert not (data / "chroma").exists(), "vectors must go to the server, not the local store"
    status = json.loads(run_cli("--chroma-url", chroma_server, "status", "--json", data_dir=data).stdout)
    assert status["consistent"] and status["vectors"] == status["chunks"] > 0
    assert status["chroma"] == chroma_server
    answer = run_cli(
        "--chroma-url", chroma_server, "ask", "--json", "Who was the duke in the battle of Hastings?", data_dir=data
    )
    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    assert "William" in result["answer"] and result["citations"][0]["source"].endswith("normans.txt")
    again = run_cli("--chroma-url", chroma_server, "ingest", str(SAMPLES), data_dir=data)
    assert again.returncode == 0 and "2 skipped" in again.stderr


def test_unreachable_chroma_server_is_one_clear_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("--chroma-url", f"http://127.0.0.1:{free_port()}", "ingest", str(SAMPLES), data_dir=tmp_path / "d")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("docq: cannot reach the Chroma server")
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.e2e
def test_two_indexes_share_one_server_without_mixing(chroma_server: str, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("The lighthouse keeper was named Abel and he kept bees.")
    (notes / "b.md").write_text("# Garden\n\nThe roses bloom in June behind the lighthouse.")
    for name, folder in (("one", notes), ("two", SAMPLES)):
        result = run_cli("--chroma-url", chroma_server, "ingest", str(folder), data_dir=tmp_path / name)
        assert result.returncode == 0, result.stderr
    for name in ("one", "two"):
        status = json.loads(run_cli("--chroma-url", chroma_server, "status", "--json", data_dir=tmp_path / name).stdout)
        assert status["consistent"] and status["vectors"] == status["chunks"], status
