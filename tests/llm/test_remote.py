"""The remote backend against a real llama.cpp server (llama-cpp-python's) on 127.0.0.1."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from docq.errors import DocqError
from docq.llm.backend import Message
from docq.llm.remote import RemoteLLM
from docq.models.files import slice_path
from docq.models.registry import SMOLLM2_135M

from ..conftest import SAMPLES, free_port, start_server

pytestmark = pytest.mark.slow  # loads a real llama.cpp server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    model = slice_path(SMOLLM2_135M.slices[0])
    assert model is not None, SMOLLM2_135M.install
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]
    process = start_server(command, f"{url}/v1/models", "llama_cpp.server")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_streams_counts_and_constrains(server: str) -> None:
    llm = RemoteLLM(server, fallback_ctx=4096)
    try:
        pieces: list[str] = []
        out = llm.complete([Message("user", "Name a colour.")], max_tokens=12, on_text=pieces.append)
        assert out.text and out.text == "".join(pieces)
        assert out.generated_tokens > 0 and out.prompt_tokens > 0
        assert llm.count_tokens("hello world") == 2  # the server's own tokenizer
        # The grammar travels to the server and binds its reply.
        picked = llm.complete([Message("user", "Is water wet?")], max_tokens=4, grammar='root ::= "yes" | "no"')
        assert picked.text in ("yes", "no")
    finally:
        llm.close()


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(DocqError, match="cannot reach the LLM server"):
        RemoteLLM(f"http://127.0.0.1:{free_port()}", fallback_ctx=4096)


def test_ask_end_to_end_through_the_server(server: str, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    ingest = run_cli("ingest", str(SAMPLES), data_dir=data)
    assert ingest.returncode == 0, ingest.stderr
    result = run_cli(
        "ask",
        "--json",
        "--llm-url",
        server,
        "--n-ctx",
        "4096",
        "--route",
        "rag",
        "Who founded the Duchy of Normandy?",
        data_dir=data,
    )
    answer = json.loads(result.stdout)
    # Whether the tiny model finds the answer is not the point: the round trip is.
    assert result.returncode == (3 if answer["abstained"] else 0), result.stderr
    assert answer["route"] == "rag"
    assert answer["model"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")  # the server's model answered
    assert answer["tokens"]["prompt"] > 200  # the passages went to the server
    assert answer["tokens"]["generated"] > 0  # and its reply came back
    assert bool(answer["citations"]) is not answer["abstained"]
