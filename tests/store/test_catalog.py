"""The catalog's schema grows by numbered migrations; an older index opens in a newer docq."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from docq.store.catalog import Catalog
from docq.store.migrations import MIGRATIONS


def test_every_migration_applies_to_a_schema_1_catalog_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(f"BEGIN;{MIGRATIONS[0]}PRAGMA user_version = 1;COMMIT;")
    conn.execute(
        "INSERT INTO files (path, size, mtime_ns, sha256, kind, pages, tokens, status, chunking, ingested_at) "
        "VALUES ('/d/a.pdf', 10, 1, 'abc', 'pdf', 1, 5, 'ready', '200/40', 0)"
    )
    conn.execute("INSERT INTO pages (file_id, ordinal, number, text) VALUES (1, 0, 1, 'Jan uary /2/9/')")
    conn.commit()
    conn.close()

    with Catalog(path) as catalog:
        record = catalog.file_by_path("/d/a.pdf")
        assert record is not None and record.reader == "pypdf-0" and record.title == ""
        assert [f.path for f in catalog.files_with_sha256("abc")] == ["/d/a.pdf"]
        assert catalog.pages(record.id)[0].extractor == "pypdf"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    plan = " ".join(str(r) for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM files WHERE sha256='abc'"))
    assert "files_by_sha256" in plan  # a lookup by hash uses the index, not a table scan
    conn.close()
