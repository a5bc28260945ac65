"""HTML pages read as their main text and title, not their menus and scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from docq.errors import ReadError
from docq.indexers.readers import kind_of, read_document
from docq.types import DocKind

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>The Normans &amp; Normandy</title>
<style>body { color: red }</style><script>var tracking = "DO NOT INDEX";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<header>Site banner</header>
<main>
<h1>The Normans</h1>
<p>The Normans were the people who in the 10th and 11th centuries gave their name to
Normandy, a region in <b>France</b>.</p>
<ul><li>Rollo founded the duchy.</li><li>William conquered England.</li></ul>
</main>
<aside>Related: buy our book</aside>
<footer>© 2024 Example</footer>
</body></html>"""


def test_main_text_and_title_without_page_furniture(tmp_path: Path) -> None:
    path = tmp_path / "normans.html"
    path.write_text(PAGE)
    assert kind_of(path) is DocKind.HTML
    document = read_document(path, DocKind.HTML)
    text = document.pages[0].text
    assert document.title == "The Normans & Normandy"
    assert "gave their name to Normandy, a region in France." in text  # inline tags and line breaks joined
    assert "Rollo founded the duchy.\n\nWilliam conquered England." in text  # blocks are paragraphs
    for furniture in ("DO NOT INDEX", "color: red", "About us", "Site banner", "buy our book", "2024 Example"):
        assert furniture not in text


def test_a_page_without_main_keeps_its_body_and_its_heading_as_title(tmp_path: Path) -> None:
    path = tmp_path / "plain.htm"
    path.write_bytes(b"<body><h1>Caen</h1><p>Caen is a city in Normandie.</p><script>x()</script></body>")
    document = read_document(path, DocKind.HTML)
    assert document.title == "Caen" and document.pages[0].text == "Caen\n\nCaen is a city in Normandie."


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"<html><script>only()</script><nav>menu</nav></html>", "no text in the page")],
)
def test_pages_without_text_are_one_line_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.html"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=reason):
        read_document(path, DocKind.HTML)
