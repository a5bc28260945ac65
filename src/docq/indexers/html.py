"""HTML pages: the main text and the title, without menus, scripts and page furniture.

Python's own HTML parser (no dependency): text inside <script>, <style>, <nav>, <header>,
<footer>, <aside>, <form> and the like is dropped; when the page marks its content with
<main> or <article>, only that is kept. Block elements (paragraphs, headings, list items,
table rows) become paragraphs, so chunking and citations follow the page's structure.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
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
_VOID = frozenset("br hr img input meta link area base col embed source track wbr".split())
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0  # depth inside skipped elements
        self.main_depth = 0  # depth inside <main>/<article>
        self.title: list[str] = []
        self.h1: list[str] = []
        self.in_title = False
        self.in_h1 = False
        self.all: list[str] = []
        self.main: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1 if tag not in _VOID else 0
        elif tag in ("main", "article"):
            self.main_depth += 1
        if tag == "title":
            self.in_title = True
        if tag == "h1":
            self.in_h1 = True
        if tag in _BLOCKS:
            self._write("\n\n")

    def handle_endtag(self, tag: str) -> None:
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

    def handle_data(self, data: str) -> None:
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


def read_html(path: Path, parsing: Parsing = Parsing()) -> DocumentText:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file")
    declared = _CHARSET.search(data[:4096])
    try:
        source = data.decode(declared.group(1).decode("ascii")) if declared else decode_text(data)[0]
    except (LookupError, UnicodeDecodeError):
        source = decode_text(data)[0]
    parser = _Text()
    try:
        parser.feed(source)
        parser.close()
    except (AssertionError, ValueError) as exc:  # html.parser is lenient; this is garbage, not HTML
        raise ReadError(f"not readable as HTML ({exc})") from None
    text = normalize_text(_paragraphs(parser.main if "".join(parser.main).strip() else parser.all))
    if not text.strip():
        raise ReadError("no text in the page (only scripts, menus or images)")
    title = " ".join(html.unescape("".join(parser.title)).split()) or " ".join("".join(parser.h1).split())
    return DocumentText(pages=[Page(number=None, text=text)], title=title)


register(Reader(DocKind.HTML, (".html", ".htm", ".xhtml"), "html-1", read_html))
