"""Content hashes: how ingest recognises unchanged files and models prove their bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from docq.progress import SILENT, Reporter

_BLOCK = 8 << 20


def sha256_file(path: Path, reporter: Reporter = SILENT) -> str:
    """Hex sha256 of a file, read in blocks (reported as bytes to `reporter`)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            reporter.advance(len(block))
    return digest.hexdigest()
