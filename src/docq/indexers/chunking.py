"""Split a document into overlapping token windows that end on natural boundaries.

Windows are packed from paragraphs, then sentences, then raw token runs for text with
neither; each chunk is an exact substring of the document, so its char offsets, pages
and quoted text stay true for citations.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from docq.indexers.tokens import count_tokens_batch, encoding
from docq.text import sentence_spans
from docq.types import Chunk, Page

PAGE_SEPARATOR = "\n\n"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class ChunkingOptions:
    max_tokens: int = 200
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError("chunk size must be at least 16 tokens")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise ValueError("chunk overlap must be between 0 and half the chunk size")


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    tokens: int


def join_pages(pages: Sequence[Page]) -> tuple[str, list[int]]:
    """The document as one string, and the offset where each page starts in it."""
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        parts.append(page.text)
        offset += len(page.text) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(parts), starts


def _spans(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """Pieces of text[start:end] between matches of pattern, stripped of outer whitespace."""
    pieces = []
    cursor = start
    for match in pattern.finditer(text, start, end):
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, end))
    return _stripped(text, pieces)


def _stripped(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans without outer whitespace; empty ones dropped."""
    kept = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            kept.append((a, b))
    return kept


def _token_windows(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut a run with no sentence boundary into windows of `size` tokens."""
    piece = text[start:end]
    tokens = encoding().encode_ordinary(piece)
    _, offsets = encoding().decode_with_offsets(tokens)
    cuts = [offsets[i] for i in range(0, len(tokens), size)] + [len(piece)]
    return _stripped(text, [(start + a, start + b) for a, b in zip(cuts, cuts[1:])])


def _segments(text: str, boundaries: Sequence[int], max_tokens: int) -> list[_Segment]:
    # Paragraphs never cross a page or section boundary, so each chunk's first page is exact.
    edges = sorted({0, len(text), *boundaries})
    paragraphs = []
    for a, b in zip(edges, edges[1:]):
        paragraphs.extend(_spans(text, _PARAGRAPH_BREAK, a, b))
    counts = count_tokens_batch([text[a:b] for a, b in paragraphs])
    segments: list[_Segment] = []
    for (a, b), n in zip(paragraphs, counts):
        if n <= max_tokens:
            segments.append(_Segment(a, b, n))
            continue
        sentences = sentence_spans(text, a, b)
        for (sa, sb), sn in zip(sentences, count_tokens_batch([text[x:y] for x, y in sentences])):
            if sn <= max_tokens:
                segments.append(_Segment(sa, sb, sn))
            else:
                windows = _token_windows(text, sa, sb, max_tokens)
                for (wa, wb), wn in zip(windows, count_tokens_batch([text[x:y] for x, y in windows])):
                    segments.append(_Segment(wa, wb, wn))
    return segments


def _pack(segments: list[_Segment], options: ChunkingOptions, breaks: set[int]) -> list[list[_Segment]]:
    """Greedy packing; a new window repeats the tail of the last one (overlap) unless a
    section boundary (`breaks`) lies between them."""
    groups: list[list[_Segment]] = []
    current: list[_Segment] = []
    total = 0
    for segment in segments:
        at_break = segment.start in breaks and total >= options.max_tokens // 4
        if current and (total + segment.tokens > options.max_tokens or at_break):
            groups.append(current)
            keep: list[_Segment] = []
            kept = 0
            if not at_break:
                for previous in reversed(current[1:]):  # never carry a whole window over
                    if kept + previous.tokens > options.overlap_tokens:
                        break
                    keep.insert(0, previous)
                    kept += previous.tokens
            while keep and kept + segment.tokens > options.max_tokens:
                kept -= keep.pop(0).tokens
            current, total = keep, kept
        current.append(segment)
        total += segment.tokens
    if current:
        groups.append(current)
    return groups


def chunk_id(source: str, ordinal: int, text: str) -> str:
    """Same file, same content, same settings: same id, across runs and machines."""
    return hashlib.sha256(f"{source}\0{ordinal}\0{text}".encode()).hexdigest()[:24]


def chunk_document(
    source: str,
    pages: Sequence[Page],
    options: ChunkingOptions,
    sections: Sequence[tuple[int, str]] = (),
) -> list[Chunk]:
    text, page_starts = join_pages(pages)
    section_offsets = [offset for offset, _ in sections]
    segments = _segments(text, [*page_starts, *section_offsets], options.max_tokens)
    groups = _pack(segments, options, set(section_offsets))
    texts = [text[g[0].start : g[-1].end] for g in groups]
    token_counts = count_tokens_batch(texts)
    numbered = [p.number for p in pages]
    chunks = []
    for ordinal, (group, body, n_tokens) in enumerate(zip(groups, texts, token_counts)):
        start, end = group[0].start, group[-1].end
        first = bisect.bisect_right(page_starts, start) - 1
        last = bisect.bisect_right(page_starts, end - 1) - 1
        s = bisect.bisect_right(section_offsets, start) - 1
        chunks.append(
            Chunk(
                id=chunk_id(source, ordinal, body),
                source=source,
                ordinal=ordinal,
                text=body,
                tokens=n_tokens,
                char_start=start,
                char_end=end,
                page_start=numbered[first],
                page_end=numbered[last],
                section=sections[s][1] if s >= 0 else "",
            )
        )
    return chunks
