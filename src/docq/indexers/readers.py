"""Read a file into pages of text and a title: one reader per kind of file, registered
here (PDF page by page; text, markdown, HTML and DOCX whole). A new format is one module
that calls `register` (indexers/html.py and indexers/docx.py are two).

Every failure a user's folder can hold (encrypted, corrupt, empty, image-only, binary)
becomes a `ReadError` with a one-line reason; nothing here prints.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docq.errors import ReadError
from docq.indexers.cleaning import normalize_text
from docq.indexers.pdf import read_pdf
from docq.tuning import Parsing
from docq.types import DocKind, DocumentText, Page


@dataclass(frozen=True)
class Reader:
    kind: DocKind
    suffixes: tuple[str, ...]  # lower case, with the dot
    # What produced a file's stored text; a file read by another version is read again on
    # the next ingest (text and markdown readers are unchanged since the first release).
    version: str
    read: Callable[[Path, Parsing], DocumentText]


SUFFIXES: dict[str, DocKind] = {}  # suffix -> kind, filled by `register`
READERS: dict[DocKind, str] = {}  # kind -> reader version, filled by `register`
_REGISTRY: dict[DocKind, Reader] = {}


def register(reader: Reader) -> Reader:
    _REGISTRY[reader.kind] = reader
    READERS[reader.kind] = reader.version
    SUFFIXES.update(dict.fromkeys(reader.suffixes, reader.kind))
    return reader


_SNIFF_BYTES = 8192
# Fallbacks in order: a BOM wins, then strict UTF-8, then the Windows code page most
# "not UTF-8" text files are in, then latin-1, which decodes any byte string.
_FALLBACK_ENCODINGS = ("utf-8", "cp1252", "latin-1")


def kind_of(path: Path) -> DocKind | None:
    return SUFFIXES.get(path.suffix.lower())


def read_document(path: Path, kind: DocKind, parsing: Parsing = Parsing()) -> DocumentText:
    """The file's pages and its title (the file name when it offers none)."""
    document = _REGISTRY[kind].read(path, parsing)
    return document if document.title else dataclasses.replace(document, title=path.stem)


def _pdf(path: Path, parsing: Parsing) -> DocumentText:
    pages, title, printed = read_pdf(path, parsing)
    return DocumentText(pages=pages, title=title, printed=printed)


def _text(path: Path, parsing: Parsing) -> DocumentText:
    text = read_text(path)
    return DocumentText(pages=[Page(number=None, text=text)], title=text_title(text))


def _markdown(path: Path, parsing: Parsing) -> DocumentText:
    text = read_text(path)
    return DocumentText(pages=[Page(number=None, text=text)], title=markdown_title(text))


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


# -- titles of plain files ------------------------------------------------------------

_ENDS_LIKE_PROSE = re.compile(r"[.!?,;]$")


def text_title(text: str) -> str:
    """The first line when it reads as a heading: short, not the start of a paragraph."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first.split()) > 15 or _ENDS_LIKE_PROSE.search(first):
        return ""
    return first


def markdown_title(text: str) -> str:
    """The first top-level heading, else the first heading, else the first line."""
    sections = markdown_sections(text)
    headings = [_HEADING.match(text, offset) for offset, _ in sections]
    levels = [(len(m.group(1)), m.group(2).strip()) for m in headings if m]
    if levels:
        top = min(level for level, _ in levels)
        return next(title for level, title in levels if level == top)
    return text_title(text)


register(Reader(DocKind.PDF, (".pdf",), "pdfium-4", _pdf))
register(Reader(DocKind.TEXT, (".txt", ".text", ".rst"), "text-1", _text))
register(Reader(DocKind.MARKDOWN, (".md", ".markdown"), "text-1", _markdown))

from docq.indexers import docx, html  # noqa: E402, F401  (register themselves)
