"""The corpus memory the memo route drafts clues from (after *MemoRAG*).

For each file: its name, its opening words and its most distinctive terms, compact enough
that a light model reads the whole collection in one prompt. It is derived from the
catalog (no model needed, so ingest stays fast), cached per catalog generation, and its
prompt prefix is KV-cached like a document, so drafting pays for it once.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from docq.indexers.tokens import count_tokens, encoding
from docq.store.catalog import Catalog
from docq.text import analyze

TERMS_PER_FILE = 6
MIN_LEAD = 8


@dataclass(frozen=True)
class _Entry:
    name: str
    opening: list[int]  # cl100k tokens of the file's first words
    terms: str


def _entries(catalog: Catalog) -> list[_Entry]:
    files = catalog.files()
    document_frequency: Counter[str] = Counter()
    per_file: list[tuple[str, Counter[str], str]] = []
    for record in files:
        chunks = catalog.chunks_for_file(record.id)
        counts: Counter[str] = Counter()
        for chunk in chunks:
            counts.update(analyze(chunk.indexed_text()))
        document_frequency.update(counts.keys())
        per_file.append((Path(record.path).name, counts, chunks[0].text if chunks else ""))
    entries = []
    for name, counts, first_text in per_file:
        # tf-idf across files: the words that set this file apart from the others
        weight = {
            t: n * math.log((1 + len(files)) / (1 + document_frequency[t])) for t, n in counts.items() if len(t) > 2
        }
        terms = ", ".join(sorted(weight, key=lambda t: -weight[t])[:TERMS_PER_FILE])
        opening = encoding().encode_ordinary(" ".join(first_text.split())[:2000])
        entries.append(_Entry(name, opening, terms))
    return entries


def _render(entries: list[_Entry], lead: int) -> str:
    lines = []
    for e in entries:
        words = encoding().decode(e.opening[:lead]) + ("…" if len(e.opening) > lead else "")
        lines.append(f"- {e.name}: {words} [terms: {e.terms}]")
    return "\n".join(lines)


def build_memory(catalog: Catalog, budget_tokens: int) -> str:
    """The memory text, its openings shortened until it fits `budget_tokens` (cl100k)."""
    entries = _entries(catalog)
    if not entries:
        return ""
    lead = max(MIN_LEAD, budget_tokens // len(entries) - 20)
    memory = _render(entries, lead)
    while lead > MIN_LEAD and count_tokens(memory) > budget_tokens:
        lead = max(MIN_LEAD, lead * 3 // 4)
        memory = _render(entries, lead)
    return memory


def corpus_memory(catalog: Catalog, directory: Path, budget_tokens: int) -> str:
    """The memory for the catalog as it is now, from disk when already built."""
    path = directory / f"memory-g{catalog.generation()}-b{budget_tokens}.txt"
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    memory = build_memory(catalog, budget_tokens)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("memory-*.txt"):
        stale.unlink(missing_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}")
    partial.write_text(memory)
    os.replace(partial, path)
    return memory
