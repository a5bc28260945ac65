"""The corpus memory the memo route drafts clues from (after *MemoRAG*).

For each file: its name, its opening words and its most distinctive terms, compact enough
that a light model reads the whole collection in one prompt. It is derived from the
catalog (no model needed, so ingest stays fast), cached per catalog generation in the
user's cache (readers never write to the data dir), and its
prompt prefix is KV-cached like a document, so drafting pays for it once.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from docq.indexers.tokens import count_tokens, encoding
from docq.pipeline.corpus import Corpus
from docq.store.orphans import remove_orphans
from docq.store.writes import read_regular, write_file
from docq.text import analyze

TERMS_PER_FILE = 6
MIN_LEAD = 8


@dataclass(frozen=True)
class _Entry:
    name: str
    opening: list[int]  # cl100k tokens of the file's first words
    terms: str


def _entries(corpus: Corpus) -> list[_Entry]:
    files = corpus.files()
    document_frequency: Counter[str] = Counter()
    per_file: list[tuple[str, Counter[str], str]] = []
    for record in files:
        chunks = corpus.chunks_of(record)
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


MAX_MEMORY_BYTES = 64 * 2**20  # a saved memory larger than this was not written by docq


def build_memory(corpus: Corpus, budget_tokens: int) -> str:
    """The memory text, its openings shortened until it fits `budget_tokens` (cl100k)."""
    entries = _entries(corpus)
    if not entries:
        return ""
    lead = max(MIN_LEAD, budget_tokens // len(entries) - 20)
    memory = _render(entries, lead)
    while lead > MIN_LEAD and count_tokens(memory) > budget_tokens:
        lead = max(MIN_LEAD, lead * 3 // 4)
        memory = _render(entries, lead)
    return memory


def corpus_memory(corpus: Corpus, directory: Path, budget_tokens: int) -> str:
    """The memory for the documents as they are now, from the user's cache when already
    built (a text file: read as text, never run); not cached where it cannot be written."""
    path = directory / f"memory-g{corpus.generation()}-b{budget_tokens}.txt"
    saved = read_regular(path, MAX_MEMORY_BYTES)
    if saved is not None:
        try:
            return saved.decode("utf-8")
        except UnicodeDecodeError:
            pass
    memory = build_memory(corpus, budget_tokens)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        remove_orphans(directory, "memory-*.tmp-*")
        for stale in directory.glob("memory-*.txt"):
            stale.unlink(missing_ok=True)
        write_file(path, memory.encode("utf-8"))
    except OSError:
        pass
    return memory
