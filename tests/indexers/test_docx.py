"""Word documents read in order: headings, paragraphs, tables, and the title."""

from __future__ import annotations

from pathlib import Path

import pytest

from docq.errors import ReadError
from docq.indexers.readers import kind_of, read_document
from docq.types import DocKind


def _write_docx(path: Path, title: str | None = None) -> Path:
    import docx

    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    document.add_heading("Normandy", level=1)
    document.add_paragraph("The Duchy of Normandy began in 911 as a fiefdom.")
    document.add_heading("Rulers", level=2)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Duke", "Reign"
    table.cell(1, 0).text, table.cell(1, 1).text = "Rollo", "911-927"
    document.add_paragraph("William conquered England in 1066.")
    document.save(str(path))
    return path


def test_paragraphs_headings_and_tables_in_order(tmp_path: Path) -> None:
    path = _write_docx(tmp_path / "normandy.docx", title="A Short History of Normandy")
    assert kind_of(path) is DocKind.DOCX
    document = read_document(path, DocKind.DOCX)
    assert document.title == "A Short History of Normandy"
    assert document.pages[0].text == (
        "# Normandy\n\nThe Duchy of Normandy began in 911 as a fiefdom.\n\n## Rulers\n\n"
        "Duke | Reign\n\nRollo | 911-927\n\nWilliam conquered England in 1066."
    )


def test_without_a_title_property_the_first_heading_is_the_title(tmp_path: Path) -> None:
    document = read_document(_write_docx(tmp_path / "untitled.docx"), DocKind.DOCX)
    assert document.title == "Normandy"


@pytest.mark.parametrize(
    ("content", "reason"), [(b"", "empty file"), (b"PK\x03\x04 not really a zip", "not a readable DOCX")]
)
def test_broken_files_are_one_line_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=reason):
        read_document(path, DocKind.DOCX)


def test_ingest_indexes_docx_and_html_beside_the_other_kinds(tmp_path: Path) -> None:
    from ..conftest import ingest, make_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    _write_docx(docs / "normandy.docx")
    (docs / "page.html").write_text("<html><title>Rouen</title><body><p>Rouen is on the Seine.</p></body></html>")
    (docs / "broken.docx").write_bytes(b"not a zip")
    settings = make_settings(tmp_path / "data")
    report = ingest([docs], settings)
    assert report.added == 2 and [f.reason for f in report.failures] == [
        "not a readable DOCX file (damaged, or not a Word document)"
    ]
    from docq.library import Library

    with Library(settings=settings) as library:
        titles = {r.title for r in library.index.files()}
        assert titles == {"Normandy", "Rouen"}
        hits = library.index.search("Which duke reigned from 911?", 2)
        assert hits[0].chunk.source.endswith("normandy.docx") and hits[0].chunk.section.startswith("Normandy")
