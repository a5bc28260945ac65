"""Saved llama.cpp KV states of prompt prefixes (system prompt + documents), LRU-capped.

A file's name is a hash of what its state depends on: the model file, context size, KV
type and the exact prefix tokens. The loader checks the tokens inside the file against
the prefix it needs, so a stale or corrupt file is discarded and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docq.store.orphans import remove_orphans

SUFFIX = ".kv"


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    size: int
    last_used: float
    tokens: int
    model: str


def cache_key(identity: str, tokens: Sequence[int]) -> str:
    digest = hashlib.sha256(identity.encode())
    digest.update(np.asarray(tokens, dtype=np.int32).tobytes())
    return digest.hexdigest()[:32]


class KVCache:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def _path(self, identity: str, tokens: Sequence[int]) -> Path:
        return self.directory / f"{cache_key(identity, tokens)}{SUFFIX}"

    def lookup(self, identity: str, tokens: Sequence[int]) -> Path | None:
        path = self._path(identity, tokens)
        if not path.is_file():
            return None
        os.utime(path)  # last use, for LRU eviction
        return path

    def store(self, identity: str, tokens: Sequence[int], write: Callable[[Path], None]) -> Path | None:
        """Save via `write(path)` into a temporary name, then publish atomically; returns
        None when the state is larger than the whole cache."""
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.directory, "*.partial-*")
        path = self._path(identity, tokens)
        partial = path.with_name(f"{path.stem}.partial-{os.getpid()}")
        try:
            write(partial)
            if partial.stat().st_size > self.max_bytes:
                return None
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        meta = {"model": identity, "tokens": len(tokens), "created": time.time()}
        path.with_suffix(".json").write_text(json.dumps(meta))
        self.evict()
        return path

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)

    def entries(self) -> list[CacheEntry]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                st = path.stat()
                meta = json.loads(path.with_suffix(".json").read_text())
            except (OSError, ValueError):
                meta = {}
                try:
                    st = path.stat()
                except OSError:
                    continue
            found.append(
                CacheEntry(path, st.st_size, st.st_mtime, int(meta.get("tokens", 0)), str(meta.get("model", "?")))
            )
        return sorted(found, key=lambda e: e.last_used, reverse=True)

    def evict(self) -> int:
        """Drop least recently used states until the cache fits its cap; returns how many.
        Partial files of running writers count against the cap too."""
        entries = self.entries()
        total = sum(e.size for e in entries) + sum(_size(p) for p in self.directory.glob("*.partial-*"))
        dropped = 0
        while entries and total > self.max_bytes:
            oldest = entries.pop()
            self.discard(oldest.path)
            total -= oldest.size
            dropped += 1
        return dropped

    def clear(self) -> int:
        entries = self.entries()
        for entry in entries:
            self.discard(entry.path)
        remove_orphans(self.directory, "*.partial-*")
        return len(entries)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
