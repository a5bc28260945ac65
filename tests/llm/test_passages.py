"""Passage KV reuse with the real (tiny) model: states computed once after the prefix,
loaded wherever a passage appears, a damaged state recomputed, never trusted."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from docq.config import Settings
from docq.llm.backend import Prompt
from docq.llm.kvcache import KVCache
from docq.llm.loading import open_llm
from docq.llm.local import LocalLLM
from docq.pipeline.prompts import answer_prompt
from docq.pipeline.question import Question
from docq.types import Chunk

from ..conftest import NORMANS_PARAGRAPHS, make_settings

pytestmark = pytest.mark.slow


def _chunk(i: int) -> Chunk:
    text = NORMANS_PARAGRAPHS[i]
    return Chunk(f"c{i}", "/d/normans.txt", i, text, 100, 0, len(text), None, None, title="Normans")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", model="smollm2-135m", n_ctx=4096, kv_reuse="passages")


def _open(settings: Settings, tmp_path: Path) -> LocalLLM:
    llm = open_llm(settings)
    assert isinstance(llm, LocalLLM)
    llm.kv_cache = KVCache(tmp_path / "kv", 256 * 2**20)  # its own, not the user's
    assert llm._passages is not None
    llm._passages.kv_cache = llm.kv_cache
    return llm


def test_passages_are_reused_in_any_order_and_across_processes(settings: Settings, tmp_path: Path) -> None:
    question = Question.read("Who was the first duke of Normandy?")
    first = _open(settings, tmp_path)
    cold = first.complete(answer_prompt(question, [_chunk(0), _chunk(1), _chunk(2)]), max_tokens=8)
    prefix = cold.cached_tokens  # a cold cache: only the system prompt's state, if that
    again = first.complete(answer_prompt(question, [_chunk(2), _chunk(0), _chunk(1)]), max_tokens=8)
    assert again.cached_tokens > prefix + 150  # the three passages, now in another order
    first.close()

    second = _open(settings, tmp_path)  # a new process: the states come from the disk cache
    warm = second.complete(answer_prompt(question, [_chunk(1), _chunk(3)]), max_tokens=8)
    reused_chunk_1 = warm.cached_tokens
    assert reused_chunk_1 > prefix + 50
    for state in (tmp_path / "kv").glob("*.kv"):
        state.write_bytes(b"garbage" * 50)  # damaged states are recomputed, not trusted
    second.close()
    third = _open(settings, tmp_path)
    rebuilt = third.complete(answer_prompt(question, [_chunk(1), _chunk(3)]), max_tokens=8)
    assert rebuilt.cached_tokens < reused_chunk_1 and rebuilt.generated_tokens > 0  # recomputed, answered
    assert third.complete(answer_prompt(question, [_chunk(3), _chunk(1)]), max_tokens=8).cached_tokens > prefix + 100
    third.close()


def test_reuse_off_reads_passages_in_order(settings: Settings, tmp_path: Path) -> None:
    off = dataclasses.replace(settings, kv_reuse="off")
    llm = open_llm(off)
    try:
        question = Question.read("Who was the first duke of Normandy?")
        prompt = answer_prompt(question, [_chunk(0), _chunk(1)])
        llm.complete(prompt, max_tokens=4)
        assert llm.complete(prompt, max_tokens=4).cached_tokens >= llm.count_tokens(NORMANS_PARAGRAPHS[0])
    finally:
        llm.close()


def _next_logits(llm: LocalLLM, prompt: Prompt) -> np.ndarray:
    """The model's scores for the token after the prompt: llama.cpp's logits of the last
    decode (max_tokens=1 stops before the token it chose is read)."""
    import llama_cpp

    llm.complete(prompt, max_tokens=1)
    row = llama_cpp.llama_get_logits_ith(llm.model.ctx, -1)
    return np.ctypeslib.as_array(row, shape=(llm.model.n_vocab(),)).astype(np.float64)


def test_recomputing_whole_passages_reads_as_in_order_prefill(settings: Settings, tmp_path: Path) -> None:
    """The boundary recompute (EPIC) at its limit: every token of every reused passage
    computed again with the whole context before it is in-order prefill, so the scores of
    the next token agree; states placed without recompute read otherwise."""
    question = Question.read("Who was the first duke of Normandy?")
    prompts = [answer_prompt(question, [_chunk(i), _chunk(i + 1), _chunk(i + 2)]) for i in (0, 3)]
    in_order = open_llm(dataclasses.replace(settings, kv_reuse="off"))
    expected = [_next_logits(in_order, p) for p in prompts]
    in_order.close()
    llm = _open(dataclasses.replace(settings, kv_recompute=100_000), tmp_path)
    try:
        for prompt in prompts:
            llm.complete(prompt, max_tokens=1)  # passage states computed
        recomputed = [_next_logits(llm, p) for p in prompts]
        llm.recompute = 0
        independent = [_next_logits(llm, p) for p in prompts]
    finally:
        llm.close()
    for want, same, other in zip(expected, recomputed, independent):
        assert np.abs(same - want).max() < 1e-3  # in-order prefill, bit for bit
        assert np.abs(other - want).max() > 0.1
