"""One bad file never stops an ingest: each hostile file is a one-line failure naming its
path and reason, the ingest goes on with the next file, and what was indexed before
stays. Real files on disk, read by the real readers in their worker process."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from docq.errors import ReadError
from docq.indexers.isolated import IsolatedReader
from docq.types import DocKind

from ..conftest import NORMANS_PARAGRAPHS, ingest, make_settings


def _docx_bytes(text: str = "Rouen is the capital of Normandy.") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rezip(
    source: bytes,
    replace: dict[str, bytes] | None = None,
    method: int = zipfile.ZIP_DEFLATED,
    flag: int = 0,
) -> bytes:
    """The same package with some parts replaced, another compression, or header flags."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = (replace or {}).get(info.filename, old.read(info.filename))
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = method
            new.writestr(entry, data)
            entry.flag_bits |= flag
    raw = out.getvalue()
    if flag:  # zipfile clears unknown flags when writing: set them in both headers
        raw = raw.replace(b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00" + bytes([flag, 0]))
        raw = raw.replace(b"PK\x01\x02\x14\x03\x14\x00\x00\x00", b"PK\x01\x02\x14\x03\x14\x00" + bytes([flag, 0]))
    return raw


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def hostile_files(folder: Path) -> dict[str, str]:
    """Write one file per kind of fault; returns name -> a word its failure reason holds."""
    good = _docx_bytes()
    files: dict[str, tuple[bytes, str]] = {
        "charset.html": (
            b'<html><head><meta charset="punycode"></head><body><p>\xff\xfe caf\xc3</p></body></html>',
            "",
        ),
        "tags.html": (b"<html><body>" + b"<a " * 40_000 + b"</body></html>", "no text"),
        "document-xml.docx": (_rezip(good, {"word/document.xml": b"<w:document><unclosed"}), "not a readable"),
        "core-xml.docx": (_rezip(good, {"docProps/core.xml": b"<cp:coreProperties><broken"}), ""),
        "encrypted.docx": (_rezip(good, flag=0x1), "encrypted"),
        "bzip2.docx": (_rezip(good, method=zipfile.ZIP_BZIP2), "compression"),
        "laughs.docx": (_rezip(good, {"word/document.xml": LAUGHS}), "DTD"),
        "whitespace.docx": (_rezip(good, {"word/document.xml": b" " * (60 * 2**20)}), "zip bomb"),
        "binary.txt": (b"\x00\x01\x02" * 1000, "binary"),
        "empty.md": (b"", "empty"),
        "fake.pdf": (b"%PDF-1.4 this is not a pdf", "pdf"),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: reason for name, (_, reason) in files.items() if reason}


def test_hostile_files_fail_one_by_one_and_the_rest_is_indexed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-normans.txt").write_text("\n\n".join(NORMANS_PARAGRAPHS[:3]))
    expected = hostile_files(docs)
    (docs / "z-rouen.txt").write_text("Rouen is the capital of Normandy.")  # after every hostile file
    settings = make_settings(tmp_path / "data")
    report = ingest([docs], settings)
    failed = {Path(f.path).name: f.reason for f in report.failures}
    assert set(failed) == set(expected), failed
    for name, word in expected.items():
        assert word.lower() in failed[name].lower(), (name, failed[name])
        assert "\n" not in failed[name]
    # the two text files, and the hostile ones that still hold readable text
    assert report.added == 2 + 2  # charset.html (read as text), core-xml.docx (its body)
    from docq.library import Library

    with Library(settings=settings) as library:
        names = {Path(r.path).name for r in library.index.files()}
        assert {"a-normans.txt", "z-rouen.txt", "charset.html", "core-xml.docx"} <= names
        assert library.index.search("capital of Normandy", 1)[0].chunk.source.endswith(("z-rouen.txt", ".docx"))


def test_a_file_past_its_time_is_skipped_and_the_next_one_read(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Caen is a city in Normandy.</p></body></html>")
    with IsolatedReader(seconds=0.001, memory_mb=2048) as reader:
        # no worker starts and reads a file in a millisecond: this is the budget firing
        with pytest.raises(ReadError, match=r"longer than 0\.001 s"):
            reader.read(page, DocKind.HTML)
        reader.seconds = 120
        assert "Caen" in reader.read(page, DocKind.HTML).pages[0].text  # a fresh worker


def test_a_file_past_its_memory_is_skipped_and_the_next_one_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"Normandy " * (40 * 2**20 // 9))  # 40 MB: decoded, normalised and split, > 256 MB
    small = tmp_path / "small.txt"
    small.write_text("Rollo founded the Duchy of Normandy.")
    with IsolatedReader(seconds=300, memory_mb=256) as reader:
        with pytest.raises(ReadError, match="memory"):
            reader.read(big, DocKind.TEXT)
        assert "Rollo" in reader.read(small, DocKind.TEXT).pages[0].text


@pytest.mark.e2e
def test_the_cli_names_each_bad_file_on_one_line_and_exits_4(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    docs.mkdir()
    expected = hostile_files(docs)
    (docs / "rouen.txt").write_text("Rouen is the capital of Normandy.")
    result = run_cli("ingest", str(docs), data_dir=tmp_path / "data")
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    for name in expected:
        assert sum(line.startswith(f"failed: {docs / name}: ") for line in lines) == 1, (name, lines)
    assert "failed" in lines[-1] and f"{len(expected)} failed" in lines[-1]
