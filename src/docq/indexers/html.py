"""HTML pages: the main text and the title, without menus, scripts and page furniture.

libxml2's HTML parser (lxml, which python-docx already brings) reads any page in linear
time, however broken: the standard library's parser took 7.6 s on 8,000 unclosed tags and
minutes on 120 KB of them. The tree is walked without recursion (nesting is unbounded).
Text inside <script>, <style>, <nav>, <header>, <footer>, <aside>, <form> and the like
is dropped; when the page marks its content with <main> or <article>, only that is kept.
Block elements (paragraphs, headings, list items, table rows) become paragraphs, so
chunking and citations follow the page's structure.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from docq.errors import ReadError
from docq.indexers.cleaning import normalize_text
from docq.indexers.readers import Reader, decode_text, register
from docq.tuning import Parsing
from docq.types import DocKind, DocumentText, Page

_SKIPPED = frozenset(
    "script style noscript template svg canvas nav header footer aside form button select iframe".split()
)
_BLOCKS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd tr table blockquote pre figure figcaption br hr".split()
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# The HTML standard reads a page that declares UTF-16 or UTF-32 in a <meta> as UTF-8 (a
# real UTF-16 page starts with a byte-order mark, which wins).
_READ_AS_UTF8 = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


class _Text:
    """What the walk keeps: the page's text by block, its main part, title and first h1."""

    def __init__(self) -> None:
        self.skipping = 0  # depth inside skipped elements
        self.main_depth = 0  # depth inside <main>/<article>
        self.title: list[str] = []
        self.h1: list[str] = []
        self.in_title = False
        self.in_h1 = False
        self.all: list[str] = []
        self.main: list[str] = []

    def start(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in ("main", "article"):
            self.main_depth += 1
        if tag == "title":
            self.in_title = True
        if tag == "h1":
            self.in_h1 = True
        if tag in _BLOCKS:
            self._write("\n\n")

    def end(self, tag: str) -> None:
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in ("main", "article") and self.main_depth:
            self.main_depth -= 1
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False
        if tag in _BLOCKS:
            self._write("\n\n")

    def data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self.skipping:
            return
        if self.in_h1:
            self.h1.append(data)
        self._write(data)

    def _write(self, text: str) -> None:
        if self.skipping:
            return
        self.all.append(text)
        if self.main_depth:
            self.main.append(text)


def _paragraphs(pieces: list[str]) -> str:
    text = "".join(pieces)
    blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(b for b in blocks if b)


def decode_html(data: bytes) -> str:
    """The page's text: a byte-order mark, else the charset its <meta> declares when Python
    knows it as a text encoding and the bytes decode in it, else as a text file."""
    declared = _CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            codec = codecs.lookup(declared.group(1).decode("ascii", "replace"))
            if getattr(codec, "_is_text_encoding", True):  # not rot13, zlib, base64...
                return data.decode("utf-8" if codec.name in _READ_AS_UTF8 else codec.name)
        except (LookupError, UnicodeError, ValueError):
            pass  # an unknown or wrong declaration: read it as any text file
    return decode_text(data)[0]


def _walk(source: str, into: _Text) -> None:
    from lxml import etree

    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=False
    )
    root = etree.fromstring(source.encode("utf-8", "replace"), parser)
    if root is None:
        return
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            into.start(tag)
            if element.text and tag:
                into.data(element.text)
        else:
            into.end(tag)
            if element.tail:
                into.data(element.tail)


def read_html(path: Path, parsing: Parsing = Parsing()) -> DocumentText:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    parser = _Text()
    try:
        _walk(decode_html(data), parser)
    except (ValueError, SyntaxError) as exc:  # lxml recovers from almost anything; this is not HTML
        raise ReadError(f"not readable as HTML ({' '.join(str(exc).split())[:120]})") from None
    text = normalize_text(_paragraphs(parser.main if "".join(parser.main).strip() else parser.all))
    if not text.strip():
        raise ReadError("no text in the page (only scripts, menus or images)")
    title = " ".join("".join(parser.title).split()) or " ".join("".join(parser.h1).split())
    return DocumentText(pages=[Page(number=None, text=text)], title=title)


register(Reader(DocKind.HTML, (".html", ".htm", ".xhtml"), "html-2", read_html))
