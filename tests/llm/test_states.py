"""Saved KV states are parsed against what they must hold before llama.cpp reads them:
real states from the tiny model, and the same states with their counts lied about."""

from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import pytest

from docq.llm.loading import open_llm
from docq.llm.local import LocalLLM, stable_prefix
from docq.llm.states import sequence_file_ok, sequence_state_ok

from ..conftest import make_settings

pytestmark = pytest.mark.slow  # loads a real llama.cpp model


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    model = open_llm(make_settings(tmp_path_factory.mktemp("data"), model="smollm2-135m", n_ctx=2048))
    assert isinstance(model, LocalLLM)
    yield model
    model.close()


def _saved(llm: LocalLLM, tmp_path: Path) -> tuple[Path, list[int]]:
    tokens = llm.tokenize("Rollo was the first ruler of Normandy, in 911.")
    llm.model.reset()
    llm.model.eval(tokens)
    path = tmp_path / "state.kv"
    path.touch()
    llm._save_sequence(path)
    return path, tokens


def test_a_real_state_passes_and_every_lie_fails(llm: LocalLLM, tmp_path: Path) -> None:
    path, tokens = _saved(llm, tmp_path)
    assert sequence_file_ok(path, tokens, llm.shape)
    assert not sequence_file_ok(path, tokens[:-1], llm.shape)  # another prefix
    raw = path.read_bytes()
    header = 12 + 4 * len(tokens)  # magic, version, token count, tokens
    cells_at = header + 4  # after n_stream

    def variant(name: str, data: bytes) -> bool:
        bad = tmp_path / name
        bad.write_bytes(data)
        return sequence_file_ok(bad, tokens, llm.shape)

    huge = raw[:cells_at] + struct.pack("<I", 0xFFFFFFFF) + raw[cells_at + 4 :]
    assert not variant("huge.kv", huge)  # 4 billion cells: refused before anything is allocated
    swapped = bytearray(raw)
    first, second = cells_at + 4, cells_at + 4 + 12
    swapped[first : first + 4], swapped[second : second + 4] = raw[second : second + 4], raw[first : first + 4]
    assert not variant("positions.kv", bytes(swapped))
    assert not variant("truncated.kv", raw[:-1])
    assert not variant("padded.kv", raw + b"\0")
    assert not variant("empty.kv", b"")


def test_a_damaged_state_file_is_dropped_and_the_answer_still_comes(llm: LocalLLM, tmp_path: Path) -> None:
    from docq.llm.backend import Message, Prompt
    from docq.llm.kvcache import KVCache

    llm.kv_cache = KVCache(tmp_path / "kv", 2**30)
    document = "<document>\nRollo was the first ruler of Normandy, in 911.\n</document>\n\n"
    prompt = Prompt((Message("user", f"{document}Who was the first ruler?"),), stable=len(document))
    try:
        first = llm.complete(prompt, max_tokens=8)
        [state] = list((tmp_path / "kv").glob("*.kv"))
        raw = bytearray(state.read_bytes())
        n = struct.unpack_from("<I", raw, 8)[0]
        struct.pack_into("<I", raw, 12 + 4 * n + 4, 0xFFFFFFFF)  # the cell count
        state.write_bytes(bytes(raw))
        llm._forget_context()
        again = llm.complete(prompt, max_tokens=8)
        assert again.text == first.text and again.cached_tokens == 0
        rendered = llm.render(prompt.messages)
        prefix = llm._pieces(rendered, prompt, stable_prefix(rendered, prompt))[0][0]
        assert sequence_file_ok(state, prefix, llm.shape)  # dropped, recomputed and saved whole again
    finally:
        llm.kv_cache = None


def test_a_passage_state_with_the_wrong_positions_is_refused(llm: LocalLLM) -> None:
    tokens = llm.tokenize("The Duchy of Normandy")
    llm.model.reset()
    llm.model.eval(tokens)
    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(llm.model.ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(llm.model.ctx, buffer, size, 0)
    blob = bytes(buffer[:written])
    assert sequence_state_ok(blob, 0, len(tokens), llm.shape)
    assert not sequence_state_ok(blob, 5, len(tokens), llm.shape)  # not where the key said
    assert not sequence_state_ok(blob, 0, len(tokens) + 1, llm.shape)
