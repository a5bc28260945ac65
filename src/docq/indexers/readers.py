"""Read a file into pages of text: PDF page by page (pypdf), text and markdown whole.

Every failure a user's folder can hold (encrypted, corrupt, empty, image-only, binary)
becomes a `ReadError` with a one-line reason; nothing here prints.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docq.errors import DocqError
from docq.types import DocKind, Page

SUFFIXES: dict[str, DocKind] = {
    ".pdf": DocKind.PDF,
    ".txt": DocKind.TEXT,
    ".text": DocKind.TEXT,
    ".rst": DocKind.TEXT,
    ".md": DocKind.MARKDOWN,
    ".markdown": DocKind.MARKDOWN,
}

_SNIFF_BYTES = 8192
# Fallbacks in order: a BOM wins, then strict UTF-8, then the Windows code page most
# "not UTF-8" text files are in, then latin-1, which decodes any byte string.
_FALLBACK_ENCODINGS = ("utf-8", "cp1252", "latin-1")


class ReadError(DocqError):
    """A file that cannot be ingested; the message is the reason, without the path."""


def kind_of(path: Path) -> DocKind | None:
    return SUFFIXES.get(path.suffix.lower())


def read_pages(path: Path, kind: DocKind) -> list[Page]:
    if kind is DocKind.PDF:
        return list(iter_pdf_pages(path))
    return [Page(number=None, text=read_text(path))]


# -- text ---------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes of a text file; returns (text, encoding used)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise ReadError("binary file, not text")
    for name in _FALLBACK_ENCODINGS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    text, _ = decode_text(data)
    text = normalize_text(text)
    if not text.strip():
        raise ReadError("no text in file")
    return text


def normalize_text(text: str) -> str:
    # NFKC folds ligatures (ﬁ) and full-width forms, so search and the model see plain letters.
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\x00", "")


# -- markdown -------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def markdown_sections(text: str) -> list[tuple[int, str]]:
    """(offset, heading path) at each heading, e.g. "Install > From PyPI"; fenced code ignored."""
    fences = [m.span() for m in re.finditer(r"^```.*?^```", text, re.MULTILINE | re.DOTALL)]
    path: list[tuple[int, str]] = []
    sections: list[tuple[int, str]] = []
    for match in _HEADING.finditer(text):
        if any(a <= match.start() < b for a, b in fences):
            continue
        level = len(match.group(1))
        path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, match.group(2).strip())]
        sections.append((match.start(), " > ".join(title for _, title in path)))
    return sections


# -- pdf --------------------------------------------------------------------------------


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


_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def _clean_pdf_text(text: str) -> str:
    text = normalize_text(text)
    return _HYPHEN_BREAK.sub(r"\1\2", text)


def iter_pdf_pages(path: Path) -> Iterator[Page]:
    """Pages one at a time so a 2,000-page PDF never sits in memory as text at once."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    if path.stat().st_size == 0:
        raise ReadError("empty file")
    with _quiet_pypdf():
        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    # Many PDFs are "encrypted" with an empty user password only to set permissions.
                    if not reader.decrypt(""):
                        raise ReadError("encrypted PDF: a password is required")
                except (FileNotDecryptedError, NotImplementedError) as exc:
                    raise ReadError(f"encrypted PDF: {exc}") from None
            n_pages = len(reader.pages)
        except ReadError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
            raise ReadError(f"corrupt PDF ({_short(exc)})") from None
        except Exception as exc:
            # pypdf raises assorted exceptions on damaged files; the file is at fault, not docq.
            raise ReadError(f"unreadable PDF ({type(exc).__name__}: {_short(exc)})") from None
        if n_pages == 0:
            raise ReadError("PDF has no pages")
        any_text = False
        for number in range(1, n_pages + 1):
            try:
                text = reader.pages[number - 1].extract_text() or ""
            except Exception as exc:
                if number == 1 and n_pages == 1:
                    raise ReadError(f"cannot extract text ({type(exc).__name__}: {_short(exc)})") from None
                text = ""  # one bad page should not lose the rest of the document
            text = _clean_pdf_text(text)
            any_text = any_text or bool(text.strip())
            yield Page(number=number, text=text)
        if not any_text:
            raise ReadError("no extractable text (scanned or image-only PDF; run OCR first)")


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:120]
