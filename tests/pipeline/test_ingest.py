"""Ingest against real files, the real embedder, a real Chroma and rank-bm25."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from docq.config import Settings
from docq.errors import IndexLockedError
from docq.indexers.readers import READERS
from docq.library.index import DocumentIndex
from docq.store.lock import write_lock
from docq.types import DocKind

from ..conftest import NORMANS_PARAGRAPHS, forget, ingest, reindex, write_image_only_pdf, write_pdf


def _normans(folder: Path, name: str = "normans.txt", paragraphs: slice = slice(0, 6)) -> Path:
    path = folder / name
    path.write_text("\n\n".join(NORMANS_PARAGRAPHS[paragraphs]))
    return path


def _consistent(settings: Settings) -> None:
    with DocumentIndex(settings) as index:
        health = index.health()
        assert health.consistent, health
        assert health.vectors == health.catalog_chunks == health.bm25_entries


def test_folder_ingest_then_everything_skipped(settings: Settings, docs: Path) -> None:
    _normans(docs)
    write_pdf(docs / "fruit.pdf", ["Apples grow on trees in orchards.", "Pears ripen after picking."])
    (docs / "notes.md").write_text("# Notes\n\nThe meeting is on Tuesday.\n")
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    first = ingest([docs], settings)
    assert (first.added, first.failed, first.ignored) == (3, 0, 1)
    assert first.pages == 4 and first.chunks >= 4
    _consistent(settings)
    again = ingest([docs], settings)
    assert (again.added, again.updated, again.skipped, again.removed) == (0, 0, 3, 0)
    assert again.chunks == 0


def test_same_file_twice_never_duplicates(settings: Settings, docs: Path) -> None:
    path = _normans(docs)
    ingest([path, path, docs], settings)
    ingest([path], settings)
    with DocumentIndex(settings) as index:
        assert index.catalog.counts().files == 1
    _consistent(settings)


def test_touched_but_unchanged_file_is_skipped_by_hash(settings: Settings, docs: Path) -> None:
    path = _normans(docs)
    ingest([docs], settings)
    os.utime(path, ns=(1, 1))
    report = ingest([docs], settings)
    assert report.skipped == 1 and report.updated == 0


def test_changed_file_replaces_its_chunks(settings: Settings, docs: Path) -> None:
    path = _normans(docs, paragraphs=slice(0, 3))
    ingest([docs], settings)
    with DocumentIndex(settings) as index:
        old_ids = {c.id for c in index.catalog.chunks_for_file(index.catalog.files()[0].id)}
    path.write_text("\n\n".join(NORMANS_PARAGRAPHS[10:14]))
    report = ingest([docs], settings)
    assert report.updated == 1
    with DocumentIndex(settings) as index:
        new_ids = {c.id for c in index.catalog.chunks_for_file(index.catalog.files()[0].id)}
        assert not old_ids & new_ids
        assert not old_ids & index.vectors.ids()
        hits = index.search(NORMANS_PARAGRAPHS[11][:80], 3)
        assert hits and hits[0].chunk.id in new_ids
    _consistent(settings)


def test_deleted_file_is_dropped_from_every_index(settings: Settings, docs: Path) -> None:
    keep = _normans(docs, "keep.txt", slice(0, 3))
    gone = _normans(docs, "gone.txt", slice(3, 6))
    ingest([docs], settings)
    gone.unlink()
    report = ingest([docs], settings)
    assert report.removed == 1 and report.skipped == 1
    with DocumentIndex(settings) as index:
        assert [f.path for f in index.catalog.files()] == [str(keep)]
    _consistent(settings)


def test_forget_drops_files_and_unknown_paths_error(settings: Settings, docs: Path) -> None:
    a = _normans(docs, "a.txt", slice(0, 2))
    _normans(docs, "b.txt", slice(2, 4))
    ingest([docs], settings)
    assert forget([a], settings) == [str(a)]
    with DocumentIndex(settings) as index:
        assert len(index.catalog.files()) == 1
    _consistent(settings)
    from docq.errors import DocqError

    with pytest.raises(DocqError, match="not in the index"):
        forget([docs / "never.txt"], settings)


def test_bad_files_fail_alone_and_keep_the_batch(settings: Settings, docs: Path) -> None:
    _normans(docs, "good.txt")
    write_pdf(docs / "locked.pdf", ["Secret"], encrypt_with="pw")
    write_image_only_pdf(docs / "scan.pdf")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.4\nnot really\n")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02ELF" * 100)
    (docs / "latin.txt").write_bytes("Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e.".encode("latin-1"))
    report = ingest([docs], settings)
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert set(reasons) == {"locked.pdf", "scan.pdf", "corrupt.pdf", "empty.txt", "binary.txt"}
    assert "password" in reasons["locked.pdf"]
    assert "OCR" in reasons["scan.pdf"]
    assert "binary" in reasons["binary.txt"]
    assert report.added == 2  # good.txt, and latin.txt decoded with a fallback
    with DocumentIndex(settings) as index:
        latin = index.catalog.file_by_path(str(docs / "latin.txt"))
        assert latin is not None
        assert "Café" in index.catalog.chunks_for_file(latin.id)[0].text
    _consistent(settings)


def test_a_file_that_breaks_keeps_its_previous_version(settings: Settings, docs: Path) -> None:
    pdf = write_pdf(docs / "paper.pdf", ["Original content about llamas."])
    ingest([docs], settings)
    pdf.write_bytes(b"%PDF-1.4 truncated")
    report = ingest([docs], settings)
    assert report.failed == 1
    with DocumentIndex(settings) as index:
        assert "llamas" in index.search("llamas", 1)[0].chunk.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_reported(settings: Settings, docs: Path) -> None:
    path = _normans(docs)
    path.chmod(0)
    try:
        report = ingest([docs], settings)
    finally:
        path.chmod(0o644)
    assert report.failures[0].reason == "permission denied"


def test_missing_path_is_a_failure(settings: Settings, docs: Path) -> None:
    report = ingest([docs / "nope.txt"], settings)
    assert report.failures[0].reason == "no such file or folder"


def test_symlinks_loop_and_escape(settings: Settings, tmp_path: Path, docs: Path) -> None:
    _normans(docs, "inside.txt", slice(0, 2))
    outside = tmp_path / "outside"
    outside.mkdir()
    _normans(outside, "secret.txt", slice(2, 4))
    (docs / "loop").symlink_to(docs)
    (docs / "escape").symlink_to(outside)
    (docs / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    report = ingest([docs], settings)
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert reasons == {"loop": "symlink loop", "dangling.txt": "broken symlink"}
    with DocumentIndex(settings) as index:
        assert [Path(f.path).name for f in index.catalog.files()] == ["inside.txt"]
    followed = ingest([docs], settings.__class__(**{**settings.__dict__, "follow_symlinks": True}))
    assert followed.added == 1  # escape/secret.txt, now allowed


def test_a_file_reached_through_a_link_is_indexed_once(settings: Settings, tmp_path: Path, docs: Path) -> None:
    _normans(docs, "real.txt", slice(0, 2))
    (docs / "alias.txt").symlink_to(docs / "real.txt")  # a link inside the tree, same run
    linked = tmp_path / "linked"
    linked.symlink_to(docs)  # the whole folder again, named later
    first = ingest([docs], settings)
    assert (first.added, first.skipped) == (1, 1)
    assert first.aliases == [(str(docs / "alias.txt"), str(docs / "real.txt"))]  # cited by its own name
    again = ingest([linked], settings)
    assert (again.added, again.skipped, again.removed) == (0, 2, 0)
    copy = docs / "copy.txt"
    copy.write_bytes((docs / "real.txt").read_bytes())  # a copy is another file: indexed
    assert ingest([docs], settings).added == 1
    with DocumentIndex(settings) as index:
        assert len(index.catalog.files()) == 2
    _consistent(settings)


def test_odd_file_names(settings: Settings, docs: Path) -> None:
    for name in ("with space.txt", "ünïcødé — 東京.md", "new\nline.txt"):
        (docs / name).write_text(f"The file {name!r} mentions zebras.")
    report = ingest([docs], settings)
    assert report.added == 3 and not report.failures
    with DocumentIndex(settings) as index:
        assert {Path(f.path).name for f in index.catalog.files()} == {
            "with space.txt",
            "ünïcødé — 東京.md",
            "new\nline.txt",
        }


def test_oversized_file_is_refused(settings: Settings, docs: Path) -> None:
    big = docs / "big.txt"
    big.write_text("word " * 300_000)  # 1.5 MB
    report = ingest([docs], settings.__class__(**{**settings.__dict__, "max_file_mb": 1}))
    assert "over the 1 MB limit" in report.failures[0].reason


def test_reindex_rebuilds_derived_indexes_from_the_catalog(settings: Settings, docs: Path) -> None:
    _normans(docs)
    ingest([docs], settings)
    shutil.rmtree(settings.chroma_path)
    settings.bm25_path.unlink()
    # A new docq process would start with no cached Chroma client for the deleted store.
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    with DocumentIndex(settings) as index:
        assert not index.health().consistent
    reindex(settings)
    _consistent(settings)
    with DocumentIndex(settings) as index:
        assert index.search("Rollo Viking leader", 2)


def test_second_writer_is_refused_with_the_holder_pid(settings: Settings, docs: Path) -> None:
    _normans(docs)
    with write_lock(settings.data_dir), pytest.raises(IndexLockedError, match=f"pid {os.getpid()}"):
        ingest([docs], settings)


def test_ingest_rebuilds_a_lost_vector_store_from_the_catalog(settings: Settings, docs: Path) -> None:
    _normans(docs)
    ingest([docs], settings)
    with DocumentIndex(settings) as index:
        index.vectors.client.delete_collection(index.vectors.collection.name)
    report = ingest([docs], settings)  # nothing changed on disk, yet the vectors are gone
    assert report.skipped == 1 and report.repaired is not None and report.repaired.restored_files == 1
    _consistent(settings)


def _as_written_by_release_1(catalog_path: Path) -> None:
    """Turn a catalog back into what docq's first release wrote (schema 1: no titles, no
    readers, no sha256 index, no cards), as if the index had been built by that release."""
    import sqlite3

    conn = sqlite3.connect(catalog_path)
    conn.executescript(
        "DROP INDEX files_by_sha256; ALTER TABLE files DROP COLUMN title; ALTER TABLE files DROP COLUMN reader; "
        "ALTER TABLE pages DROP COLUMN extractor; ALTER TABLE files DROP COLUMN card; PRAGMA user_version = 1;"
    )
    conn.close()


def test_an_index_of_release_1_upgrades_and_re_extracts_only_pdfs(settings: Settings, docs: Path) -> None:
    _normans(docs, "history.txt")
    (docs / "guide.md").write_text("# Keeper's Guide\n\nTrim the wick before dusk.\n")
    write_pdf(docs / "paper.pdf", ["Lighthouses guide ships.", "Keepers trim wicks."])
    ingest([docs], settings)
    with DocumentIndex(settings) as index:
        before = {f.path: {c.id for c in index.catalog.chunks_for_file(f.id)} for f in index.catalog.files()}
    _as_written_by_release_1(settings.catalog_path)

    report = ingest([docs], settings)
    assert (report.updated, report.skipped, report.added) == (1, 2, 0)  # the PDF is read again, nothing else
    with DocumentIndex(settings) as index:
        files = {Path(f.path).name: f for f in index.catalog.files()}
        assert {f.reader for f in files.values()} == {READERS[DocKind.PDF], "text-1"}
        assert files["guide.md"].title == "Keeper's Guide"  # titles of unchanged files come from their text
        assert files["history.txt"].title == "Normans"  # its first line is a heading
        assert index.catalog.extractors(files["paper.pdf"].id) == {"pdfium": 2}
        for name in ("history.txt", "guide.md"):  # untouched: same chunks, not embedded again
            record = files[name]
            assert {c.id for c in index.catalog.chunks_for_file(record.id)} == before[record.path]
        assert all(index.card_of(f) is not None for f in files.values())  # cards made for the files kept
    _consistent(settings)
    assert ingest([docs], settings).skipped == 3
