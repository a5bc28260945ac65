"""Passage KV reuse (after *APE* and *CacheBlend*): each passage's KV state is computed once,
after the fixed prompt prefix only, kept (in memory and in the KV cache), and loaded into
later prompts wherever the passage appears, its positions shifted so it follows what
precedes it (llama.cpp re-applies RoPE on `llama_memory_seq_add`). A question over
passages seen before then prefills only the short pieces between them (document headers)
and its own instruction and question.

The price is cross-attention between passages: a passage's state never saw the passages
before it (APE keeps ~98% of sequential quality with a shared prefix). docs/design.md,
"Passage KV reuse", has what it costs and gains here; `kv_reuse` switches it.

Mechanics: the context holds two sequences in one unified KV cache. Sequence 0 is the
prompt; sequence 1 is a scratch lane: a passage is computed there after a copy of the
prefix, saved without the prefix, and loaded back through it into sequence 0.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from docq.llm.kvcache import KVCache, cache_key
from docq.llm.states import Shape, sequence_state_ok
from docq.store.writes import read_regular

if TYPE_CHECKING:
    from llama_cpp import Llama

SCRATCH = 1  # the sequence passages are computed and loaded through


@contextmanager
def two_sequences() -> Iterator[None]:
    """Contexts created meanwhile hold two sequences in one unified KV cache (llama-cpp-python
    offers no parameter for it: its defaults are set for the duration)."""
    import llama_cpp.llama_cpp as lowlevel

    original = lowlevel.llama_context_default_params

    def two() -> lowlevel.llama_context_params:
        params = original()
        params.n_seq_max = 2
        params.kv_unified = True
        return params

    lowlevel.llama_context_default_params = two
    try:
        yield
    finally:
        lowlevel.llama_context_default_params = original


class PassageStates:
    """KV states of passages computed after a prefix, in memory (LRU) and in the disk cache."""

    def __init__(self, model: Llama, kv_cache: KVCache | None, identity: str, memory_bytes: int, shape: Shape) -> None:
        self.model = model
        self.shape = shape
        self.kv_cache = kv_cache
        self.identity = identity
        self.memory_bytes = memory_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0

    def _key(self, prefix: Sequence[int], passage: Sequence[int]) -> str:
        return cache_key(f"{self.identity}|passage|{cache_key('', prefix)}", passage)

    def lookup(self, prefix: Sequence[int], passage: Sequence[int]) -> bytes | None:
        key = self._key(prefix, passage)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        if self.kv_cache is not None:
            path = self.kv_cache.lookup(self.identity, [*prefix, -1, *passage])
            if path is not None:
                blob = read_regular(path, self.kv_cache.max_bytes)
                if blob is None:
                    return None
                self._remember(key, blob)
                return blob
        return None

    def compute(self, prefix: Sequence[int], passage: Sequence[int]) -> bytes:
        """The passage's state after `prefix`, which sequence 0 must hold at its start."""
        import llama_cpp

        ctx = self.model.ctx
        memory = llama_cpp.llama_get_memory(ctx)
        llama_cpp.llama_memory_seq_cp(memory, 0, SCRATCH, 0, len(prefix))
        try:
            _decode(self.model, passage, len(prefix), SCRATCH)
            llama_cpp.llama_memory_seq_rm(memory, SCRATCH, 0, len(prefix))  # keep the passage's cells only
            size = llama_cpp.llama_state_seq_get_size(ctx, SCRATCH)
            buffer = (ctypes.c_uint8 * size)()
            written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SCRATCH)
        finally:
            llama_cpp.llama_memory_seq_rm(memory, SCRATCH, -1, -1)
        blob = bytes(buffer[:written])
        self._remember(self._key(prefix, passage), blob)
        if self.kv_cache is not None:

            def write(path: Path) -> None:
                with path.open("r+b") as f:  # the fresh temporary file the cache made for it
                    f.write(blob)

            self.kv_cache.store(self.identity, [*prefix, -1, *passage], write)
        return blob

    def place(self, blob: bytes, prefix_length: int, passage: Sequence[int], at: int) -> bool:
        """Load a passage's state into sequence 0 at position `at` (its end must be the
        context's end); False when the state does not load (damaged, another model)."""
        import llama_cpp

        if not sequence_state_ok(blob, prefix_length, len(passage), self.shape):
            return False  # checked before llama.cpp reads it (llm.states)
        ctx = self.model.ctx
        memory = llama_cpp.llama_get_memory(ctx)
        data = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        try:
            if llama_cpp.llama_state_seq_set_data(ctx, data, len(blob), SCRATCH) == 0:
                return False
            end = prefix_length + len(passage)
            if llama_cpp.llama_memory_seq_pos_max(memory, SCRATCH) != end - 1:
                return False  # not the passage this key promised
            llama_cpp.llama_memory_seq_add(memory, SCRATCH, prefix_length, end, at - prefix_length)
            llama_cpp.llama_memory_seq_cp(memory, SCRATCH, 0, at, at + len(passage))
        finally:
            llama_cpp.llama_memory_seq_rm(memory, SCRATCH, -1, -1)
        self.model.input_ids[at : at + len(passage)] = passage
        self.model.n_tokens = at + len(passage)
        return True

    def refresh(self, at: int, passage: Sequence[int], first: int) -> int:
        """Compute the first `first` tokens of a passage placed at `at` again, now with the
        whole context before them (EPIC's fix for independently encoded passages: the
        boundary tokens are where attention to what precedes matters most). A range in the
        middle of a sequence cannot be decoded again in place (positions must follow the
        sequence's last), so it is decoded in the scratch lane over a copy of what precedes
        (metadata only, one unified cache), then swapped into sequence 0. Returns how many
        tokens were computed."""
        import llama_cpp

        first = min(first, len(passage))
        if first <= 0:
            return 0
        memory = llama_cpp.llama_get_memory(self.model.ctx)
        llama_cpp.llama_memory_seq_rm(memory, SCRATCH, -1, -1)
        llama_cpp.llama_memory_seq_cp(memory, 0, SCRATCH, 0, at)
        # The old cells go first: the new ones then take their slots, so the cache is laid
        # out as an in-order prefill's (with all tokens recomputed it is one, bit for bit).
        llama_cpp.llama_memory_seq_rm(memory, 0, at, at + first)
        try:
            _decode(self.model, passage[:first], at, SCRATCH)
            llama_cpp.llama_memory_seq_cp(memory, SCRATCH, 0, at, at + first)
        finally:
            llama_cpp.llama_memory_seq_rm(memory, SCRATCH, -1, -1)
        return first

    def forget(self, prefix: Sequence[int], passage: Sequence[int]) -> None:
        """Drop a state that did not load (damaged): from memory and from the disk cache."""
        key = self._key(prefix, passage)
        if key in self._memory:
            self._held -= len(self._memory.pop(key))
        if self.kv_cache is not None:
            path = self.kv_cache.lookup(self.identity, [*prefix, -1, *passage])
            if path is not None:
                self.kv_cache.discard(path)

    def _remember(self, key: str, blob: bytes) -> None:
        if key in self._memory:
            self._held -= len(self._memory.pop(key))
        self._memory[key] = blob
        self._held += len(blob)
        while self._held > self.memory_bytes and self._memory:
            _, dropped = self._memory.popitem(last=False)
            self._held -= len(dropped)


def _decode(model: Llama, tokens: Sequence[int], start: int, sequence: int) -> None:
    """Decode `tokens` at positions start.. in `sequence`, in batches, no logits kept."""
    import llama_cpp

    step = max(1, model.n_batch)
    for at in range(0, len(tokens), step):
        part = tokens[at : at + step]
        batch = llama_cpp.llama_batch_init(len(part), 0, 1)
        try:
            for i, token in enumerate(part):
                batch.token[i] = token
                batch.pos[i] = start + at + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = sequence
                batch.logits[i] = 0
            batch.n_tokens = len(part)
            code = llama_cpp.llama_decode(model.ctx, batch)
        finally:
            llama_cpp.llama_batch_free(batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
