"""Word documents (.docx): paragraphs and tables in reading order, and the title.

python-docx reads the file; headings are kept as markdown-style headings so chunks know
their section. The title is the document's own (core properties), else its first Title
or Heading 1 paragraph.

The zip is checked before python-docx opens it: every member stored or deflated (no other
method), none encrypted, their unpacked sizes within `MAX_UNPACKED` and at most
`MAX_RATIO` times the file (a zip bomb), and no XML part with a DTD (Word never writes
one; a DTD is how entity expansion attacks start). Whatever still fails is the file's
one-line failure (the ingest runs readers in a worker: indexers.isolated).
"""

from __future__ import annotations

import io
import re
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


MAX_UNPACKED = 256 * 2**20  # bytes all members may unpack to
MAX_RATIO = 200  # unpacked / packed: text compresses ~5-20x, a bomb by thousands
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_package(path: Path) -> None:
    """Refuse a DOCX whose zip could exhaust memory or hide an attack (see the module)."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(size, 1):
                raise ReadError(f"unpacks to {unpacked / 2**20:,.0f} MB from {size / 2**20:,.1f} MB (a zip bomb?)")
            for member in members:
                if member.flag_bits & 0x1:
                    raise ReadError("encrypted (password-protected) document")
                if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ReadError(f"{member.filename}: unsupported zip compression (method {member.compress_type})")
                if member.filename.endswith((".xml", ".rels")):
                    with package.open(member) as part:
                        if _DTD.search(part.read(4096)):
                            raise ReadError(f"{member.filename}: holds a DTD (entity declarations are refused)")
    except zipfile.BadZipFile:
        raise ReadError("not a readable DOCX file (damaged, or not a Word document)") from None


_BLANK_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"/>'
)


def _with_blank_properties(path: Path) -> io.BytesIO:
    """The package in memory with its document properties (docProps/core.xml) blanked."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for member in old.infolist():
            new.writestr(member.filename, _BLANK_CORE if member.filename == "docProps/core.xml" else old.read(member))
    out.seek(0)
    return out


def read_docx(path: Path, parsing: Parsing = Parsing()) -> DocumentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if path.stat().st_size == 0:
        raise ReadError("empty file")
    check_package(path)
    try:
        try:
            document = docx.Document(str(path))
        except SyntaxError:  # a damaged part: the body may still read without its properties
            document = docx.Document(_with_blank_properties(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
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
    try:
        title = (document.core_properties.title or "").strip() or heading
    except (SyntaxError, ValueError, KeyError):  # damaged docProps/core.xml: the body stands
        title = heading
    return DocumentText(pages=[Page(number=None, text=body)], title=title)


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    if style.startswith("Heading "):
        number = style.removeprefix("Heading ")
        return min(6, int(number)) if number.isdigit() else 0
    return 0


register(Reader(DocKind.DOCX, (".docx",), "docx-1", read_docx))
