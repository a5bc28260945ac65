"""The catalog schema as numbered steps; `PRAGMA user_version` records how many ran.

Append new steps at the end; never edit one that has shipped, so an index made by an
older docq opens in a newer one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: files, their pages and chunks; tombstones name chunk ids still to be removed
    # from the derived indexes (Chroma), so a crash between the two stores is repairable.
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        pages INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'ready')),
        chunking TEXT NOT NULL,
        ingested_at REAL NOT NULL
    );
    CREATE TABLE pages (
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        number INTEGER,
        text TEXT NOT NULL,
        PRIMARY KEY (file_id, ordinal)
    );
    CREATE TABLE chunks (
        id TEXT PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        page_start INTEGER,
        page_end INTEGER,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        section TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        embedding BLOB
    );
    CREATE INDEX chunks_by_file ON chunks(file_id, ordinal);
    CREATE TABLE tombstones (chunk_id TEXT PRIMARY KEY);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('generation', '0');
    """,
    # 2: ingest looks up each new file's hash (is it a link to a file already indexed?);
    # without an index that is a table scan per file, slow at tens of thousands of files.
    """
    CREATE INDEX files_by_sha256 ON files(sha256);
    """,
    # 3: a title per file (shown in citations and read by the model); the reader that
    # produced a file's text, so a better reader re-extracts only the files it affects
    # (PDFs read by pypdf before PDFium arrived); the extractor of each PDF page.
    """
    ALTER TABLE files ADD COLUMN title TEXT NOT NULL DEFAULT '';
    ALTER TABLE files ADD COLUMN reader TEXT NOT NULL DEFAULT '';
    ALTER TABLE pages ADD COLUMN extractor TEXT NOT NULL DEFAULT '';
    UPDATE files SET reader = CASE kind WHEN 'pdf' THEN 'pypdf-0' ELSE 'text-1' END;
    UPDATE pages SET extractor = 'pypdf' WHERE file_id IN (SELECT id FROM files WHERE kind = 'pdf');
    """,
    # 4: a card per file (indexers.cards: title, authors, year, abstract, names as printed),
    # JSON made at ingest; '' until made (an index from before: the next ingest makes it).
    """
    ALTER TABLE files ADD COLUMN card TEXT NOT NULL DEFAULT '';
    """,
)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the steps this database has not seen; returns the resulting version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        from docq.errors import DocqError

        raise DocqError(
            f"the catalog was written by a newer docq (schema {version}, this one knows {len(MIGRATIONS)}); upgrade docq"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # executescript commits first; wrap each step so it applies whole or not at all.
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return len(MIGRATIONS)
