"""Word documents (.docx): paragraphs and tables in reading order, and the title.

python-docx reads the file; headings are kept as markdown-style headings so chunks know
their section. The title is the document's own (core properties), else its first Title
or Heading 1 paragraph.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from docq.errors import ReadError
from docq.indexers.cleaning import normalize_text
from docq.indexers.readers import Reader, register
from docq.tuning import Parsing
from docq.types import DocKind, DocumentText, Page


def _blocks(document: Any) -> list[tuple[str, str]]:
    """(style name, text) of each paragraph, and one entry per table row, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    found: list[tuple[str, str]] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            found.append((item.style.name if item.style is not None else "", item.text))
        elif isinstance(item, Table):
            for row in item.rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
                found.append(("table", " | ".join(c for c in cells if c)))
    return found


def read_docx(path: Path, parsing: Parsing = Parsing()) -> DocumentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if path.stat().st_size == 0:
        raise ReadError("empty file")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise ReadError("not a readable DOCX file (damaged, or not a Word document)") from None
    lines: list[str] = []
    heading = ""
    for style, text in _blocks(document):
        text = text.strip()
        if not text:
            continue
        level = _heading_level(style)
        if level and not heading:
            heading = text
        lines.append(f"{'#' * level} {text}" if level else text)
    body = normalize_text("\n\n".join(lines))
    if not body.strip():
        raise ReadError("no text in the document")
    title = (document.core_properties.title or "").strip() or heading
    return DocumentText(pages=[Page(number=None, text=body)], title=title)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    if style.startswith("Heading "):
        number = style.removeprefix("Heading ")
        return min(6, int(number)) if number.isdigit() else 0
    return 0


register(Reader(DocKind.DOCX, (".docx",), "docx-1", read_docx))
