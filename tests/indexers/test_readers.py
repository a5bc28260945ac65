from __future__ import annotations

from pathlib import Path

import pytest

from docq.indexers.readers import ReadError, decode_text, iter_pdf_pages, read_pages, read_text
from docq.types import DocKind

from ..conftest import SHARED_EVAL, write_image_only_pdf, write_pdf


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
    paper = SHARED_EVAL / "papers" / "in-search-of-an-understandable-consensus-algorithm.pdf"
    if not paper.exists():
        pytest.skip("../shared/eval/papers not present")
    pages = list(iter_pdf_pages(paper))
    assert len(pages) > 10
    assert "Raft" in pages[0].text
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


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
