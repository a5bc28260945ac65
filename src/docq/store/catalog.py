"""The catalog: SQLite source of truth for files, pages and chunks.

Chroma and BM25 are derived from it. Every change to a file is one transaction here;
the chunk ids it removes are kept as tombstones until the derived indexes have dropped
them too, so a crash at any point leaves a state `pipeline.ingest.repair` can finish.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docq.errors import CatalogDamagedError, NoIndexError
from docq.store.migrations import MIGRATIONS, migrate
from docq.store.orphans import remove_orphans
from docq.store.writes import refuse_link, replacing
from docq.types import Chunk, DocKind, FileRecord, Page

_CHUNK_COLUMNS = (
    "c.id, f.path, c.ordinal, c.text, c.tokens, c.char_start, c.char_end, c.page_start, c.page_end, c.section, f.title"
)


def _chunk(row: sqlite3.Row | tuple) -> Chunk:
    return Chunk(
        id=row[0],
        source=row[1],
        ordinal=row[2],
        text=row[3],
        tokens=row[4],
        char_start=row[5],
        char_end=row[6],
        page_start=row[7],
        page_end=row[8],
        section=row[9],
        title=row[10],
    )


def _file(row: tuple) -> FileRecord:
    return FileRecord(
        id=row[0],
        path=row[1],
        size=row[2],
        mtime_ns=row[3],
        sha256=row[4],
        kind=DocKind(row[5]),
        pages=row[6],
        tokens=row[7],
        status=row[8],
        chunking=row[9],
        title=row[10],
        reader=row[11],
    )


_FILE_COLUMNS = "id, path, size, mtime_ns, sha256, kind, pages, tokens, status, chunking, title, reader"


@dataclass(frozen=True)
class CatalogCounts:
    files: int
    pending: int
    pages: int
    chunks: int
    tokens: int
    tombstones: int


class Catalog:
    """The catalog, opened for writing (ingest, forget, reindex: creates and migrates it)
    or for reading (ask, status: never writes, so a read-only index can be read)."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        for name in ("", "-wal", "-shm", "-journal"):  # SQLite would write through a planted link
            refuse_link(path.with_name(path.name + name))
        if readonly:
            self._conn = _open_readonly(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            _probe(self._conn, path)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a killed process; only a power cut may lose the last commit.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn)
            # Names this index's collection on a shared Chroma server; made once, never changed.
            self._conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('index_id', ?)", (uuid.uuid4().hex,))

    def backup(self, destination: Path) -> None:
        """A consistent copy of the catalog (SQLite's online backup), written beside it
        under a fresh temporary name and renamed, so a half-written copy never replaces a
        good one (store.writes: nothing is written through a link)."""
        remove_orphans(destination.parent, f"{destination.name}.tmp-*")
        with replacing(destination) as partial:
            target = sqlite3.connect(partial)
            try:
                self._conn.backup(target)
            finally:
                target.close()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------

    def generation(self) -> int:
        """Bumped by every change to chunks; derived indexes record the one they saw."""
        return int(self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def file_by_path(self, path: str) -> FileRecord | None:
        row = self._conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE path=?", (path,)).fetchone()
        return _file(row) if row else None

    def files_with_sha256(self, sha256: str) -> list[FileRecord]:
        rows = self._conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE sha256=?", (sha256,)).fetchall()
        return [_file(r) for r in rows]

    def files(self, under: str | None = None) -> list[FileRecord]:
        if under is None:
            rows = self._conn.execute(f"SELECT {_FILE_COLUMNS} FROM files ORDER BY path").fetchall()
        else:
            prefix = under.rstrip("/") + "/"
            rows = self._conn.execute(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE path=? OR substr(path, 1, ?)=? ORDER BY path",
                (under, len(prefix), prefix),
            ).fetchall()
        return [_file(r) for r in rows]

    def pending_files(self) -> list[FileRecord]:
        rows = self._conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE status='pending'").fetchall()
        return [_file(r) for r in rows]

    def pages(self, file_id: int) -> list[Page]:
        rows = self._conn.execute(
            "SELECT number, text, extractor FROM pages WHERE file_id=? ORDER BY ordinal", (file_id,)
        ).fetchall()
        return [Page(number=r[0], text=r[1], extractor=r[2]) for r in rows]

    def extractors(self, file_id: int) -> dict[str, int]:
        """Pages per extractor ("pdfium", "pypdf"; "" for text files), empty pages as "none"."""
        rows = self._conn.execute(
            "SELECT CASE WHEN trim(text) = '' THEN 'none' ELSE extractor END, count(*) FROM pages "
            "WHERE file_id=? GROUP BY 1",
            (file_id,),
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def chunks_for_file(self, file_id: int) -> list[Chunk]:
        rows = self._conn.execute(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN files f ON f.id=c.file_id WHERE c.file_id=? ORDER BY c.ordinal",
            (file_id,),
        ).fetchall()
        return [_chunk(r) for r in rows]

    def chunks_by_ids(self, ids: Sequence[str]) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            rows = self._conn.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN files f ON f.id=c.file_id WHERE c.id IN ({marks})",
                batch,
            ).fetchall()
            found.update((r[0], _chunk(r)) for r in rows)
        return found

    def iter_chunks(self, batch: int = 2000) -> Iterator[Chunk]:
        """All chunks in a stable order (file, ordinal), read in batches to bound memory."""
        last = (-1, -1)
        while True:
            rows = self._conn.execute(
                f"SELECT {_CHUNK_COLUMNS}, c.file_id FROM chunks c JOIN files f ON f.id=c.file_id "
                "WHERE (c.file_id, c.ordinal) > (?, ?) ORDER BY c.file_id, c.ordinal LIMIT ?",
                (*last, batch),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield _chunk(r)
            last = (rows[-1][11], rows[-1][2])

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT id FROM chunks")}

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            for cid, blob in self._conn.execute(
                f"SELECT id, embedding FROM chunks WHERE id IN ({marks}) AND embedding IS NOT NULL", batch
            ):
                if isinstance(blob, bytes) and blob and len(blob) % 4 == 0:  # else damaged: embedded again
                    found[cid] = np.frombuffer(blob, dtype=np.float32)
        return found

    def all_embeddings(self) -> tuple[list[str], np.ndarray]:
        """Every stored chunk vector: ids and one row each (vectors of another size, from a
        damaged row, are left out)."""
        ids: list[str] = []
        rows: list[np.ndarray] = []
        for cid, blob in self._conn.execute("SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL"):
            if not isinstance(blob, bytes) or not blob or len(blob) % 4:
                continue
            vector = np.frombuffer(blob, dtype=np.float32)
            if rows and vector.shape != rows[0].shape:
                continue
            ids.append(cid)
            rows.append(vector)
        return ids, (np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32))

    def tombstones(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT chunk_id FROM tombstones")]

    def counts(self) -> CatalogCounts:
        files, pending, tokens = self._conn.execute(
            "SELECT count(*), coalesce(sum(status='pending'), 0), coalesce(sum(tokens), 0) FROM files"
        ).fetchone()
        return CatalogCounts(
            files=files,
            pending=pending,
            pages=self._conn.execute("SELECT count(*) FROM pages").fetchone()[0],
            chunks=self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
            tokens=tokens,
            tombstones=self._conn.execute("SELECT count(*) FROM tombstones").fetchone()[0],
        )

    def index_id(self) -> str:
        return str(self.get_meta("index_id"))

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    # -- writing ---------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _bump_generation(self) -> None:
        self._conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    def _tombstone_file_chunks(self, file_id: int) -> None:
        self._conn.execute("INSERT OR IGNORE INTO tombstones SELECT id FROM chunks WHERE file_id=?", (file_id,))

    def replace_file(
        self,
        *,
        path: str,
        size: int,
        mtime_ns: int,
        sha256: str,
        kind: DocKind,
        chunking: str,
        title: str,
        reader: str,
        pages: Sequence[Page],
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        card: str = "",
    ) -> FileRecord:
        """Store a file's new content in one transaction, status 'pending' until indexed."""
        tokens = sum(c.tokens for c in chunks)
        vectors = np.asarray(embeddings, dtype=np.float32)
        with self._transaction():
            old = self._conn.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
            if old:
                self._tombstone_file_chunks(old[0])
                self._conn.execute("DELETE FROM files WHERE id=?", (old[0],))
            cur = self._conn.execute(
                "INSERT INTO files (path, size, mtime_ns, sha256, kind, pages, tokens, status, chunking, ingested_at, "
                "title, reader, card) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                (
                    path,
                    size,
                    mtime_ns,
                    sha256,
                    kind.value,
                    len(pages),
                    tokens,
                    chunking,
                    time.time(),
                    title,
                    reader,
                    card,
                ),
            )
            file_id = int(cur.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO pages (file_id, ordinal, number, text, extractor) VALUES (?, ?, ?, ?, ?)",
                [(file_id, i, p.number, p.text, p.extractor) for i, p in enumerate(pages)],
            )
            self._conn.executemany(
                "INSERT INTO chunks (id, file_id, ordinal, page_start, page_end, char_start, char_end, section, "
                "text, tokens, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        file_id,
                        c.ordinal,
                        c.page_start,
                        c.page_end,
                        c.char_start,
                        c.char_end,
                        c.section,
                        c.text,
                        c.tokens,
                        vectors[i].tobytes() if len(vectors) else None,
                    )
                    for i, c in enumerate(chunks)
                ],
            )
            # A re-added id is live again, not a tombstone.
            self._conn.executemany("DELETE FROM tombstones WHERE chunk_id=?", [(c.id,) for c in chunks])
            self._bump_generation()
        record = self.file_by_path(path)
        assert record is not None
        return record

    def mark_ready(self, file_ids: Iterable[int]) -> None:
        with self._transaction():
            self._conn.executemany("UPDATE files SET status='ready' WHERE id=?", [(i,) for i in file_ids])

    def cards(self) -> dict[int, str]:
        """Each file's card (JSON text as stored: indexers.cards reads it), '' when not made."""
        return {int(row[0]): str(row[1]) for row in self._conn.execute("SELECT id, card FROM files")}

    def set_card(self, file_id: int, card: str) -> None:
        self._conn.execute("UPDATE files SET card=? WHERE id=?", (card, file_id))

    def set_title(self, file_id: int, title: str) -> None:
        self._conn.execute("UPDATE files SET title=? WHERE id=?", (title, file_id))

    def touch(self, file_id: int, size: int, mtime_ns: int) -> None:
        """Same content, new stat: remember the stat so the next run skips without hashing."""
        self._conn.execute("UPDATE files SET size=?, mtime_ns=? WHERE id=?", (size, mtime_ns, file_id))

    def forget(self, file_ids: Iterable[int]) -> None:
        with self._transaction():
            for file_id in file_ids:
                self._tombstone_file_chunks(file_id)
                self._conn.execute("DELETE FROM files WHERE id=?", (file_id,))
            self._bump_generation()

    def store_embeddings(self, vectors: dict[str, np.ndarray]) -> None:
        with self._transaction():
            self._conn.executemany(
                "UPDATE chunks SET embedding=? WHERE id=?",
                [(np.asarray(v, dtype=np.float32).tobytes(), cid) for cid, v in vectors.items()],
            )

    def drop_embeddings(self) -> None:
        self._conn.execute("UPDATE chunks SET embedding=NULL")

    def clear_tombstones(self, ids: Iterable[str]) -> None:
        with self._transaction():
            self._conn.executemany("DELETE FROM tombstones WHERE chunk_id=?", [(i,) for i in ids])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _probe(conn: sqlite3.Connection, path: Path) -> None:
    """Read the schema once, so a damaged file is reported here, by name."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):  # locked, I/O, full: not damage to the file
            conn.close()
            raise
        conn.close()
        raise CatalogDamagedError(path, str(exc)) from None


def _open_readonly(path: Path) -> sqlite3.Connection:
    """Open without writing anything: `mode=ro`, or `immutable=1` where SQLite cannot even
    create its shared-memory file (a read-only folder or mount)."""
    if not path.is_file():
        raise NoIndexError(path.parent)
    last: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True, timeout=30, check_same_thread=False)
        try:
            _probe(conn, path)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.OperationalError as exc:  # cannot open the WAL read-only: try immutable
            conn.close()
            last = exc
            continue
        if version == 0:
            conn.close()
            raise NoIndexError(path.parent)
        if not _is_docq_catalog(conn):
            conn.close()
            raise CatalogDamagedError(path, f"an SQLite database, but not docq's (schema {version})")
        if version != len(MIGRATIONS):
            conn.close()
            return _upgrade_then_read(path, version)
        return conn
    raise CatalogDamagedError(path, str(last))


def _upgrade_then_read(path: Path, version: int) -> sqlite3.Connection:
    """An index made by another docq release: a newer one is refused, an older one is
    upgraded once (a writer's job), then read."""
    if version > len(MIGRATIONS):
        from docq.errors import DocqError

        raise DocqError(
            f"{path}: written by a newer docq (schema {version}, this one knows {len(MIGRATIONS)}); upgrade docq"
        )
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        from docq.errors import DocqError

        raise DocqError(
            f"{path}: made by an older docq (schema {version}) and read-only here; "
            "run any docq command once with write access to upgrade it"
        )
    from docq.store.lock import write_lock  # the one write a reader makes, as a writer does

    with write_lock(path.parent):
        Catalog(path).close()
    return _open_readonly(path)


def _is_docq_catalog(conn: sqlite3.Connection) -> bool:
    """docq's tables are there: a foreign SQLite file is never migrated or written."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"meta", "files", "chunks"} <= tables:
        return False
    return conn.execute("SELECT 1 FROM meta WHERE key='generation'").fetchone() is not None


def check_data_dir(data_dir: Path) -> None:
    """A data dir that exists must be a folder (a mistyped DOCQ_HOME may name a file)."""
    if data_dir.exists() and not data_dir.is_dir():
        from docq.errors import DocqError

        raise DocqError(f"{data_dir}: the data dir is not a folder; point --data-dir or DOCQ_HOME at a folder")
