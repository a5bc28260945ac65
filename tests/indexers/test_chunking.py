from __future__ import annotations

import pytest

from docq.indexers.chunking import ChunkingOptions, chunk_document, join_pages
from docq.indexers.readers import markdown_sections
from docq.indexers.tokens import count_tokens
from docq.types import Page

from ..conftest import NORMANS_PARAGRAPHS

OPTIONS = ChunkingOptions(max_tokens=60, overlap_tokens=15)


def _pages(*texts: str, numbered: bool = True) -> list[Page]:
    return [Page(number=i + 1 if numbered else None, text=t) for i, t in enumerate(texts)]


def test_chunks_are_exact_substrings_with_true_offsets() -> None:
    pages = _pages("\n\n".join(NORMANS_PARAGRAPHS[:4]), "\n\n".join(NORMANS_PARAGRAPHS[4:7]))
    text, _ = join_pages(pages)
    chunks = chunk_document("/d/normans.pdf", pages, OPTIONS)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.text == chunk.text.strip()


def test_every_word_is_covered_and_windows_respect_the_size() -> None:
    body = "\n\n".join(NORMANS_PARAGRAPHS[:6])
    chunks = chunk_document("/d/n.txt", _pages(body, numbered=False), OPTIONS)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.char_start, chunk.char_end))
        # A window may exceed the size only when one sentence alone is longer.
        assert chunk.tokens <= OPTIONS.max_tokens + 5
    missing = [i for i, ch in enumerate(body) if not ch.isspace() and i not in covered]
    assert missing == []


def test_neighbouring_chunks_overlap() -> None:
    body = " ".join(f"Sentence number {i} talks about the Normans in some detail." for i in range(60))
    chunks = chunk_document("/d/x.txt", _pages(body, numbered=False), OPTIONS)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end, "consecutive windows should share their boundary sentences"
        assert b.char_start > a.char_start


def test_text_without_boundaries_is_cut_by_tokens() -> None:
    blob = "x" * 5000 + "y" * 5000  # no spaces, no sentence ends
    chunks = chunk_document("/d/blob.txt", _pages(blob, numbered=False), OPTIONS)
    assert len(chunks) > 2
    assert "".join(c.text for c in chunks) == blob
    assert all(count_tokens(c.text) <= OPTIONS.max_tokens + 2 for c in chunks)


def test_pdf_pages_are_tracked_per_chunk() -> None:
    pages = _pages("Alpha page one. " * 30, "Beta page two. " * 30, "Gamma page three. " * 30)
    chunks = chunk_document("/d/p.pdf", pages, OPTIONS)
    assert {c.page_start for c in chunks} == {1, 2, 3}
    words = {1: "Alpha", 2: "Beta", 3: "Gamma"}
    for chunk in chunks:
        assert chunk.text.startswith(words[chunk.page_start])
        assert chunk.page_end is not None and chunk.page_start <= chunk.page_end
        on_pages = {n for n, w in words.items() if w in chunk.text}
        assert on_pages == set(range(chunk.page_start, chunk.page_end + 1))


def test_markdown_headings_give_chunks_their_section() -> None:
    text = "# Install\n\nRun pip install docq.\n\n## From source\n\nClone the repository and run make.\n\n```\n# not a heading\n```\n\n# Usage\n\nAsk questions."
    sections = markdown_sections(text)
    assert [s for _, s in sections] == ["Install", "Install > From source", "Usage"]
    chunks = chunk_document("/d/readme.md", _pages(text, numbered=False), ChunkingOptions(20, 0), sections)
    assert any(c.section == "Install > From source" and "Clone" in c.text for c in chunks)
    usage = next(c for c in chunks if "Ask questions" in c.text)
    assert usage.section == "Usage"
    assert usage.indexed_text().startswith("Usage\n")


def test_ids_are_stable_and_depend_on_path_and_content() -> None:
    pages = _pages("\n\n".join(NORMANS_PARAGRAPHS[:3]), numbered=False)
    first = chunk_document("/d/a.txt", pages, OPTIONS)
    again = chunk_document("/d/a.txt", pages, OPTIONS)
    elsewhere = chunk_document("/d/b.txt", pages, OPTIONS)
    assert [c.id for c in first] == [c.id for c in again]
    assert not {c.id for c in first} & {c.id for c in elsewhere}
    assert len({c.id for c in first}) == len(first)


def test_empty_and_whitespace_documents_give_no_chunks() -> None:
    assert chunk_document("/d/e.txt", _pages("   \n\n  ", numbered=False), OPTIONS) == []


@pytest.mark.parametrize("size, overlap", [(8, 0), (100, 60), (100, -1)])
def test_invalid_options_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        ChunkingOptions(size, overlap)
