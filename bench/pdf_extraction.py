"""PDF text: pypdf (docq's first reader) against PDFium with cleaning (today's), on the
shared papers, measured in one run.

    python bench/pdf_extraction.py [--ingest]

Per file: parse seconds of each path and the text quality of each. Quality is
`docq.indexers.cleaning.text_quality`: the share of whitespace-separated tokens that read
as a word (two or more letters, inner hyphens and apostrophes allowed) or a number. Glyph
names ("/2/9/,"), words split by kerning ("P ageRank" gives the bad token "P") and
control bytes all count against it. "slash tokens" counts tokens holding a glyph-name
slash ("/2"), pypdf's mark of a Type 3 font it cannot map.

--ingest also times `docq ingest` end to end, each path into a fresh index.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import time
from pathlib import Path

from _common import EVAL, ingest, machine, scratch_settings, table
from docq.indexers import pdf as pdf_reader
from docq.indexers.cleaning import normalize_text, text_quality
from docq.types import Page

PAPERS = EVAL / "papers" / "docs"
_SLASH_GLYPH = re.compile(r"/[0-9A-Za-z.,:;#]")


def legacy_read_pdf(path: Path) -> tuple[list[Page], str]:
    """docq's first PDF reader: pypdf's extract_text, NFKC, hyphenated line ends joined."""
    from pypdf import PdfReader

    with pdf_reader._quiet_pypdf():
        reader = PdfReader(path)
        texts = [normalize_text(page.extract_text() or "") for page in reader.pages]
    texts = [re.sub(r"(\w)-\n(\w)", r"\1\2", t) for t in texts]
    return [Page(number=n, text=t, extractor="pypdf") for n, t in enumerate(texts, start=1)], ""


def _quality(pages: list[Page]) -> float:
    return text_quality("\n".join(p.text for p in pages))


def _slashes(pages: list[Page]) -> int:
    return sum(1 for p in pages for token in p.text.split() if _SLASH_GLYPH.search(token))


def parse(files: list[Path]) -> None:
    rows = []
    totals = {"old": 0.0, "new": 0.0}
    pages_total = 0
    qualities: dict[str, list[float]] = {"old": [], "new": []}
    for path in files:
        started = time.perf_counter()
        old, _ = legacy_read_pdf(path)
        old_s = time.perf_counter() - started
        started = time.perf_counter()
        new, title, _ = pdf_reader.read_pdf(path)
        new_s = time.perf_counter() - started
        totals["old"] += old_s
        totals["new"] += new_s
        pages_total += len(new)
        qualities["old"].append(_quality(old))
        qualities["new"].append(_quality(new))
        rows.append(
            [
                path.name[:34],
                len(new),
                f"{old_s:.2f}",
                f"{new_s:.2f}",
                f"{_quality(old):.3f}",
                f"{_quality(new):.3f}",
                _slashes(old),
                _slashes(new),
                title[:40],
            ]
        )
    print(
        table(
            [
                "file",
                "pages",
                "pypdf s",
                "pdfium s",
                "quality pypdf",
                "quality pdfium",
                "slash pypdf",
                "slash pdfium",
                "title",
            ],
            rows,
        )
    )
    print(
        f"\n{len(files)} files, {pages_total} pages: pypdf {pages_total / totals['old']:.0f} pages/s, "
        f"PDFium path {pages_total / totals['new']:.0f} pages/s ({totals['old'] / totals['new']:.1f}x faster)"
    )
    print(
        f"text quality, median over files: pypdf {statistics.median(qualities['old']):.3f}, "
        f"PDFium path {statistics.median(qualities['new']):.3f}; worst file {min(qualities['old']):.3f} -> "
        f"{min(qualities['new']):.3f}"
    )


def ingest_both(folder: Path) -> None:
    from docq.library.index import DocumentIndex

    results = {}
    for name, reader in (("pypdf", legacy_read_pdf), ("pdfium", pdf_reader.read_pdf)):
        settings = scratch_settings()
        with DocumentIndex(settings) as index:
            index.embedder.embed(["warm up"])  # model loading is not billed to the first file
        original = pdf_reader.read_pdf
        import docq.indexers.readers as readers

        readers.read_pdf = reader  # type: ignore[assignment]
        try:
            report = ingest([folder], settings)
        finally:
            readers.read_pdf = original  # type: ignore[assignment]
        results[name] = report
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    rows = [
        [
            name,
            r.pages,
            r.chunks,
            f"{r.seconds:.1f}",
            f"{r.stage_seconds['parse']:.1f}",
            f"{r.stage_seconds['embed']:.1f}",
            f"{r.pages / r.seconds:.2f}",
        ]
        for name, r in results.items()
    ]
    print("\n" + table(["reader", "pages", "chunks", "seconds", "parse s", "embed s", "pages/s"], rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingest", action="store_true", help="also time docq ingest end to end with each reader")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    files = sorted(PAPERS.glob("*.pdf"))
    parse(files)
    if args.ingest:
        ingest_both(PAPERS)


if __name__ == "__main__":
    main()
