"""PDF text, page by page: PDFium first, pypdf as a second opinion and a fallback.

pypdf garbles papers set in old TeX fonts (Type 3 fonts named by their glyphs, no Unicode
map): digits come out as glyph names ("/2/9/, /1/9/9/8") and kerned words split ("P
ageRank"). PDFium (pypdfium2, Chrome's engine) reads them whole and is about 5x faster
(bench/pdf_extraction.py). Each page keeps the text of whichever extractor reads better
by `cleaning.text_quality`; pypdf is asked only about pages PDFium reads poorly, and
reads the whole file when PDFium cannot open it.
"""

from __future__ import annotations

import logging
import re
import statistics
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docq.errors import ReadError
from docq.indexers.cleaning import clean_pdf_text, drop_running_lines, text_quality
from docq.text import fold
from docq.tuning import Parsing
from docq.types import Page

if TYPE_CHECKING:
    import pypdfium2

PDFIUM = "pdfium"
PYPDF = "pypdf"
_TITLE_CHARS = 1500  # the title is among the first characters of the first page


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf reports recoverable problems (fonts, xref) through logging and warnings; a
    user ingesting papers should not see pages of them."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:120]


class _PypdfPages:
    """pypdf's reader, opened only when a page needs a second opinion."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: Any = None
        self.failed: ReadError | None = None

    def open(self) -> Any:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError

        if self._reader is None and self.failed is None:
            with _quiet_pypdf():
                try:
                    reader = PdfReader(self.path)
                    if reader.is_encrypted:
                        try:
                            # Many PDFs are "encrypted" with an empty user password only to set permissions.
                            if not reader.decrypt(""):
                                raise ReadError("encrypted PDF: a password is required")
                        except (FileNotDecryptedError, NotImplementedError) as exc:
                            raise ReadError(f"encrypted PDF: {exc}") from None
                    len(reader.pages)
                    self._reader = reader
                except ReadError as exc:
                    self.failed = exc
                except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
                    self.failed = ReadError(f"corrupt PDF ({_short(exc)})")
                except Exception as exc:  # pypdf raises assorted exceptions on damaged files
                    self.failed = ReadError(f"unreadable PDF ({type(exc).__name__}: {_short(exc)})")
        if self.failed is not None:
            raise self.failed
        return self._reader

    def page_count(self) -> int:
        return len(self.open().pages)

    def text(self, number: int) -> str:
        reader = self.open()
        with _quiet_pypdf():
            try:
                return clean_pdf_text(reader.pages[number - 1].extract_text() or "")
            except Exception:  # one bad page should not lose the rest of the document
                return ""


def _open_pdfium(path: Path) -> pypdfium2.PdfDocument | ReadError:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return ReadError("encrypted PDF: a password is required")
        return ReadError(f"corrupt PDF ({_short(exc)})")


def read_pdf(path: Path, parsing: Parsing = Parsing()) -> tuple[list[Page], str, tuple[str, ...]]:
    """The pages (numbered from 1, cleaned, running headers dropped), the title, and the
    running lines dropped from page 1 (they often print the venue and year). Below
    `parsing.second_opinion_below` of word-like tokens a PDFium page is checked against
    pypdf; lines within `parsing.title_size` of the largest type on page 1 are its title."""
    if path.stat().st_size == 0:
        raise ReadError("empty file")
    pypdf_pages = _PypdfPages(path)
    document = _open_pdfium(path)
    if isinstance(document, ReadError):
        if "password" in str(document):
            raise document
        # PDFium refused the file: pypdf is more lenient with some damage, or fails with its reason.
        count = pypdf_pages.page_count()
        texts = [(pypdf_pages.text(n), PYPDF) for n in range(1, count + 1)]
        title = ""
    else:
        try:
            texts = [
                _best_text(document, n, pypdf_pages, parsing.second_opinion_below) for n in range(1, len(document) + 1)
            ]
            title = _pdf_title(document, parsing.title_size, texts[0][0] if texts else "")
        finally:
            document.close()
    if not texts:
        raise ReadError("PDF has no pages")
    cleaned = drop_running_lines([t for t, _ in texts])
    pages = [Page(number=n, text=t, extractor=e) for n, (t, (_, e)) in enumerate(zip(cleaned, texts), start=1)]
    if not any(p.text.strip() for p in pages):
        raise ReadError("no extractable text (scanned or image-only PDF; run OCR first)")
    kept = {line.strip() for line in cleaned[0].split("\n")}
    printed = [line.strip() for line in texts[0][0].split("\n") if line.strip() and line.strip() not in kept]
    return pages, title, tuple(line[:200] for line in printed[:6])


def _best_text(
    document: pypdfium2.PdfDocument, number: int, pypdf_pages: _PypdfPages, second_opinion_below: float
) -> tuple[str, str]:
    """A page's text from PDFium, or from pypdf where that reads clearly better."""
    try:
        page = document[number - 1]
        try:
            textpage = page.get_textpage()
            text = clean_pdf_text(textpage.get_text_range())
            textpage.close()
        finally:
            page.close()
    except Exception:  # PDFium's error on one damaged page; the others still count
        text = ""
    quality = text_quality(text)
    if quality >= second_opinion_below:
        return text, PDFIUM
    try:
        other = pypdf_pages.text(number)
    except ReadError:
        return text, PDFIUM
    return (other, PYPDF) if text_quality(other) > quality else (text, PDFIUM)


# -- titles ---------------------------------------------------------------------------

_NOT_A_TITLE = re.compile(r"(?i)^(?:untitled|microsoft word\b|document\d*$)|\.(?:dvi|tex|docx?|pdf|ps|eps|indd|rtf)$")


def real_title(candidate: str) -> str:
    """A metadata title worth showing, or "": tools often store a file name ("paper.dvi")."""
    title = " ".join(candidate.split())
    letters = sum(ch.isalpha() for ch in title)
    if letters < 4 or len(title) > 300 or _NOT_A_TITLE.search(title):
        return ""
    return title


def _pdf_title(document: pypdfium2.PdfDocument, title_size: float, first_page: str) -> str:
    """The metadata title when it is a real one printed on page 1, else the largest type at
    the top of page 1. Metadata often holds a template's or a section's name ("Proceedings
    Template - WORD", "System Model" for the Dynamo paper): a title the page does not print
    is not the document's."""
    try:
        metadata = real_title(document.get_metadata_dict().get("Title", ""))
    except Exception:  # a damaged info dictionary: fall back to the page
        metadata = ""
    if metadata and not _printed(metadata, first_page[:2000]):
        metadata = ""
    return metadata or _heading_of_first_page(document, title_size)


def _printed(title: str, page: str) -> bool:
    """Does the page print this title: as it is, or (a scan's OCR garbles a word or two:
    "X3:" for "2Q:") at least 70% of its words when it has three or more."""
    if _letters(title) in _letters(page):
        return True
    words = [fold(w) for w in re.findall(r"\w+", title)]
    printed = {fold(w) for w in re.findall(r"\w+", page)}
    return len(words) >= 3 and sum(w in printed for w in words) >= 0.7 * len(words)


def _letters(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _heading_of_first_page(document: pypdfium2.PdfDocument, title_size: float) -> str:
    """The first run of lines set in the page's largest type (loose glyph boxes measure
    type size whatever the letters), from the top half of page 1."""
    if len(document) == 0:
        return ""
    page = document[0]
    try:
        textpage = page.get_textpage()
        height = page.get_height() or 1.0
        lines: list[tuple[str, float, float]] = []  # text, type size, top (0 bottom .. 1 top)
        chars: list[str] = []
        sizes: list[float] = []
        tops: list[float] = []
        for i in range(min(textpage.count_chars(), _TITLE_CHARS)):
            ch = textpage.get_text_range(i, 1)
            if ch in "\r\n":
                if chars:
                    lines.append(("".join(chars), statistics.median(sizes) if sizes else 0.0, max(tops, default=0.0)))
                chars, sizes, tops = [], [], []
                continue
            chars.append(ch)
            if ch.isalpha():
                _, bottom, _, top = textpage.get_charbox(i, loose=True)
                sizes.append(top - bottom)
                tops.append(top / height)
        textpage.close()
    finally:
        page.close()
    candidates = [line for line in lines if sum(ch.isalpha() for ch in line[0]) >= 4]
    if not candidates:
        return ""
    largest = max(size for _, size, _ in candidates)
    title: list[str] = []
    for text, size, top in candidates:
        if size >= largest * title_size and top > 0.5:
            title.append(text.strip())
            if len(title) == 3:
                break
        elif title:
            break
    return real_title(clean_pdf_text(" ".join(title)))
