"""Saved llama.cpp KV states of prompt prefixes (system prompt + documents), LRU-capped.

A file's name is a hash of what its state depends on: the model file, context size, KV
type and the exact prefix tokens. The loader checks the tokens inside the file against
the prefix it needs, so a stale or corrupt file is discarded and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docq.store.orphans import remove_orphans
from docq.store.writes import publish, read_regular, temporary_beside, write_file

_MAX_SIDECAR = 4096  # bytes of a state's JSON description

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
        """The saved state's file: a regular file itself (a link is never followed) no
        larger than the whole cache."""
        path = self._path(identity, tokens)
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size > self.max_bytes:
            self.discard(path)
            return None
        os.utime(path, follow_symlinks=False)  # last use, for LRU eviction
        return path

    def store(self, identity: str, tokens: Sequence[int], write: Callable[[Path], None]) -> Path | None:
        """Save via `write(path)` into a temporary name, then publish atomically; returns
        None when the state is larger than the whole cache."""
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.directory, "*.partial-*")
        path = self._path(identity, tokens)
        partial = temporary_beside(path, "partial")  # a fresh name: nothing planted is written through
        try:
            write(partial)
            if partial.stat().st_size > self.max_bytes:
                return None
            publish(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        meta = {"model": identity, "tokens": len(tokens), "created": time.time()}
        write_file(path.with_suffix(".json"), json.dumps(meta).encode())
        self.evict()
        return path

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)

    def entries(self) -> list[CacheEntry]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            meta: dict = {}
            sidecar = read_regular(path.with_suffix(".json"), _MAX_SIDECAR)
            try:
                parsed = json.loads(sidecar) if sidecar else {}
                meta = parsed if isinstance(parsed, dict) else {}
                tokens = int(meta.get("tokens", 0))
            except (ValueError, TypeError, OverflowError):
                meta, tokens = {}, 0
            found.append(CacheEntry(path, st.st_size, st.st_mtime, tokens, str(meta.get("model", "?"))[:200]))
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
        return os.lstat(path).st_size
    except OSError:
        return 0
