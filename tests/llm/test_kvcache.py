from __future__ import annotations

import os
import time
from pathlib import Path

from docq.llm.kvcache import KVCache, cache_key


def _writer(size: int):  # type: ignore[no-untyped-def]
    def write(path: Path) -> None:
        path.write_bytes(b"k" * size)

    return write


def test_key_depends_on_model_and_every_token() -> None:
    assert cache_key("m|ctx=4096", [1, 2, 3]) == cache_key("m|ctx=4096", [1, 2, 3])
    assert cache_key("m|ctx=4096", [1, 2, 3]) != cache_key("m|ctx=8192", [1, 2, 3])
    assert cache_key("m", [1, 2, 3]) != cache_key("m", [1, 2, 4])


def test_store_lookup_and_lru_eviction(tmp_path: Path) -> None:
    cache = KVCache(tmp_path, max_bytes=250)
    a = cache.store("m", [1], _writer(100))
    b = cache.store("m", [2], _writer(100))
    assert a and b and cache.lookup("m", [1]) == a
    old = time.time() - 100
    os.utime(b, (old, old))  # b is now the least recently used
    c = cache.store("m", [3], _writer(100))
    assert c is not None
    assert cache.lookup("m", [2]) is None and cache.lookup("m", [1]) == a
    assert sum(e.size for e in cache.entries()) <= 250


def test_a_state_larger_than_the_cap_is_not_kept(tmp_path: Path) -> None:
    cache = KVCache(tmp_path, max_bytes=50)
    assert cache.store("m", [1], _writer(100)) is None
    assert cache.entries() == [] and not list(tmp_path.glob("*partial*"))


def test_clear(tmp_path: Path) -> None:
    cache = KVCache(tmp_path, max_bytes=1000)
    cache.store("m", [1], _writer(10))
    cache.store("m", [2], _writer(10))
    assert cache.clear() == 2 and cache.entries() == []


def test_a_killed_writers_partial_state_counts_under_the_cap_and_goes_with_the_next_write(tmp_path: Path) -> None:
    cache = KVCache(tmp_path, max_bytes=1000)
    dead = tmp_path / "abc.partial-999999999"  # no such process
    dead.write_bytes(b"x" * 600)
    live = tmp_path / f"def.partial-{os.getppid()}"  # a running process: still being written
    live.write_bytes(b"x" * 800)
    assert cache.store("m", [1, 2], lambda p: p.write_bytes(b"y" * 300)) is not None
    assert not dead.exists() and live.exists()
    # 300 bytes of state + 800 being written by another process: over the cap, the state goes
    assert cache.entries() == []
