from __future__ import annotations

from pathlib import Path

import pytest

from docq.errors import ReadError
from docq.indexers.readers import decode_text, markdown_title, read_document, read_text, text_title
from docq.types import DocKind, Page

from ..conftest import SHARED_EVAL, write_image_only_pdf, write_pdf, write_tex_type3_pdf


def read_pages(path: Path, kind: DocKind) -> list[Page]:
    return read_document(path, kind).pages


def test_pdf_pages_keep_their_numbers(docs: Path) -> None:
    pdf = write_pdf(docs / "three.pdf", ["First page about apples.", "Second page about pears.", "Third: plums."])
    pages = read_pages(pdf, DocKind.PDF)
    assert [p.number for p in pages] == [1, 2, 3]
    assert "pears" in pages[1].text


def test_pdf_encrypted_with_empty_password_is_read(docs: Path) -> None:
    pdf = write_pdf(docs / "open.pdf", ["Readable although encrypted."], encrypt_with="")
    assert "Readable" in read_pages(pdf, DocKind.PDF)[0].text


def test_pdf_needing_a_password_is_refused(docs: Path) -> None:
    pdf = write_pdf(docs / "locked.pdf", ["Secret."], encrypt_with="hunter2")
    with pytest.raises(ReadError, match="password"):
        read_pages(pdf, DocKind.PDF)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty file"),
        (b"%PDF-1.7\n garbage that is not a pdf at all \x00\x01", "PDF"),
        (b"this is plain text with a .pdf name", "PDF"),
    ],
)
def test_broken_pdfs_give_a_reason(docs: Path, content: bytes, reason: str) -> None:
    bad = docs / "bad.pdf"
    bad.write_bytes(content)
    with pytest.raises(ReadError, match=reason):
        read_pages(bad, DocKind.PDF)


def test_truncated_pdf_is_refused(docs: Path) -> None:
    good = write_pdf(docs / "good.pdf", ["Some text here."] * 3)
    cut = docs / "cut.pdf"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ReadError):
        read_pages(cut, DocKind.PDF)


def test_image_only_pdf_asks_for_ocr(docs: Path) -> None:
    with pytest.raises(ReadError, match="OCR"):
        read_pages(write_image_only_pdf(docs / "scan.pdf"), DocKind.PDF)


def test_real_paper_reads_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    paper = SHARED_EVAL / "papers" / "docs" / "in-search-of-an-understandable-consensus-algorithm.pdf"
    if not paper.exists():
        pytest.skip(f"{paper.parent} is not here (the shared eval folder beside the repository)")
    document = read_document(paper, DocKind.PDF)
    assert len(document.pages) > 10
    assert "Raft" in document.pages[0].text
    assert document.title == "In Search of an Understandable Consensus Algorithm"
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_tex_type3_pdf_reads_whole_words_and_numbers(docs: Path) -> None:
    lines = [
        "The PageRank Citation Ranking",
        "January 29, 1998. The random surfer simply keeps clicking.",
        "A simplified ranking defines the first scores.",
    ]
    pdf = write_tex_type3_pdf(docs / "tex.pdf", lines)
    from pypdf import PdfReader

    garbled = PdfReader(pdf).pages[0].extract_text()
    assert "/1/9/9/8" in garbled  # the fixture has the disease: pypdf reads glyph names
    document = read_document(pdf, DocKind.PDF)
    assert document.pages[0].text == "\n".join(lines)
    assert document.pages[0].extractor == "pdfium"


def test_pages_without_a_text_layer_are_counted(docs: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "The only page with text.", new_x="LMARGIN", new_y="NEXT")
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")  # a scanned page: a picture, no text
    pdf.output(str(docs / "mixed.pdf"))
    document = read_document(docs / "mixed.pdf", DocKind.PDF)
    assert [p.number for p in document.pages] == [1, 2, 3]
    assert document.empty_pages == 2


def test_pdf_title_from_metadata_when_real_else_the_largest_type(docs: Path) -> None:
    from fpdf import FPDF

    def paper(name: str, metadata: str | None) -> Path:
        pdf = FPDF()
        if metadata is not None:
            pdf.set_title(metadata)
        pdf.add_page()
        pdf.set_font("helvetica", size=9)
        pdf.multi_cell(0, 5, "Proceedings of a Workshop, 1999", new_x="LMARGIN", new_y="NEXT")  # small type on top
        pdf.set_font("helvetica", "B", size=20)
        pdf.multi_cell(0, 9, "Gossip Protocols for Lighthouse Keepers", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(
            0,
            6,
            "Abel Keeper\n\nAbstract. We study how lighthouse keepers exchange news.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.output(str(docs / name))
        return docs / name

    heading = "Gossip Protocols for Lighthouse Keepers"
    # metadata that the page prints is the title, as the metadata writes it
    assert read_document(paper("a.pdf", "GOSSIP PROTOCOLS for lighthouse keepers"), DocKind.PDF).title == (
        "GOSSIP PROTOCOLS for lighthouse keepers"
    )
    # metadata the page does not print is a template's or a section's name ("System Model")
    assert read_document(paper("c.pdf", "Proceedings Template - WORD"), DocKind.PDF).title == heading
    assert read_document(paper("b.pdf", "draft7.dvi"), DocKind.PDF).title == heading  # a file name is no title
    assert read_document(paper("c.pdf", None), DocKind.PDF).title == heading


def test_titles_of_text_and_markdown() -> None:
    assert markdown_title("Intro line\n\n## Setup\n\n# The Manual\n\n## Usage\n") == "The Manual"
    assert markdown_title("```\n# not a heading\n```\n## Only Section\n") == "Only Section"
    assert text_title("Annual Report 2024\n\nRevenue grew.") == "Annual Report 2024"
    assert text_title("The Normans were the people who gave their name to Normandy.\nMore.") == ""


def test_text_decoding_falls_back() -> None:
    assert decode_text("café".encode()) == ("café", "utf-8")
    assert decode_text("café".encode("cp1252")) == ("café", "cp1252")
    assert decode_text("\ufeffbom".encode("utf-8"))[0] == "bom"
    assert decode_text("wide".encode("utf-16"))[0] == "wide"
    with pytest.raises(ReadError, match="binary"):
        decode_text(b"\x7fELF\x02\x01\x00\x00\x00")


def test_text_reader_refuses_empty_and_normalises(docs: Path) -> None:
    empty = docs / "empty.txt"
    empty.write_text("  \n\n ")
    with pytest.raises(ReadError, match="empty"):
        read_text(empty)
    ligature = docs / "lig.txt"
    ligature.write_bytes("ﬁnal\r\nline".encode())
    assert read_text(ligature) == "final\nline"
