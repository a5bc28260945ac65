"""`docq ingest`: bring files and folders into the index, incrementally.

Unchanged files are skipped (same size and mtime, or else same sha256), changed ones
replaced, and files gone from an ingested folder dropped. A bad file never stops the
batch: it is reported with its reason and counted as failed, and whatever it had in
the index before stays there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from docq.config import Settings
from docq.errors import DocqError, ReadError
from docq.hashing import sha256_file
from docq.indexers.cards import make_card
from docq.indexers.chunking import ChunkingOptions, chunk_document
from docq.indexers.isolated import IsolatedReader
from docq.indexers.readers import (
    READERS,
    SUFFIXES,
    decode_text,
    kind_of,
    markdown_sections,
    markdown_title,
    text_title,
)
from docq.pipeline.corpus import IndexWriter, RepairReport
from docq.progress import SILENT, Reporter, step
from docq.types import DocKind, FileRecord


@dataclass(frozen=True)
class Failure:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    removed: int = 0
    ignored: int = 0  # files of types docq does not read, met while walking folders
    failures: list[Failure] = field(default_factory=list)
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("parse", "chunk", "embed", "index"), 0.0)
    )
    repaired: RepairReport | None = None
    # Paths met this run that name a file already indexed under another path (a symlink
    # or hard link to it): (path, indexed path). Counted as skipped, indexed once.
    aliases: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        files = self.added + self.updated + self.skipped + self.failed
        return (
            f"{files} files: {self.added} added, {self.updated} updated, {self.skipped} skipped, "
            f"{self.removed} removed, {self.failed} failed · {self.pages:,} pages · {self.chunks:,} chunks · "
            f"{self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute, symlinks kept as named
    kind: DocKind | None  # None: an explicitly named file of unknown type, sniffed as text


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete_roots: list[Path] = field(default_factory=list)  # folders walked without error
    missing: list[Path] = field(default_factory=list)  # named paths that do not exist
    ignored: int = 0


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path.expanduser()))


def discover(paths: Iterable[Path], follow_symlinks: bool = False) -> Discovery:
    found = Discovery()
    seen: set[Path] = set()
    for raw in paths:
        path = _absolute(raw)
        if not os.path.lexists(path):
            found.missing.append(path)
        elif path.is_dir():
            if _walk(path, follow_symlinks, found, seen):
                found.complete_roots.append(path)
        elif path.is_file():
            if path not in seen:
                seen.add(path)
                found.files.append(Candidate(path, kind_of(path)))
        elif path.is_symlink():
            found.failures.append(Failure(str(path), _broken_link_reason(path)))
        else:
            found.failures.append(Failure(str(path), "not a regular file or folder"))
    # A file and a link to it: index the file under its own name, the link is the alias.
    found.files.sort(key=lambda c: c.path.is_symlink())
    return found


def _broken_link_reason(path: Path) -> str:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "symlink loop"
    except OSError as exc:
        return "symlink loop" if exc.errno == 40 else "broken symlink"
    return "broken symlink"


def _walk(root: Path, follow_symlinks: bool, found: Discovery, seen: set[Path]) -> bool:
    """Depth-first, sorted, hidden entries skipped; returns False if part could not be read."""
    root_real = root.resolve()
    complete = True
    # Each folder carries the real paths of its ancestors, so a link back up is a loop.
    stack: list[tuple[Path, frozenset[Path]]] = [(root, frozenset({root_real}))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.failures.append(Failure(str(folder), f"cannot list folder ({exc.strerror})"))
            complete = False
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    found.failures.append(Failure(str(path), _broken_link_reason(path)))
                    continue
                if not follow_symlinks and not target.is_relative_to(root_real):
                    found.notes.append(f"{path}: skipped, symlink leaves {root} (pass --follow-symlinks to include it)")
                    found.ignored += 1
                    continue
                if target.is_dir():
                    if target in ancestors:
                        found.failures.append(Failure(str(path), "symlink loop"))
                    else:
                        subfolders.append((path, ancestors | {target}))
                    continue
            elif entry.is_dir(follow_symlinks=False):
                subfolders.append((path, ancestors | {path.resolve()}))
                continue
            if not entry.is_file():
                continue
            if path.suffix.lower() not in SUFFIXES:
                found.ignored += 1
                continue
            if path not in seen:
                seen.add(path)
                found.files.append(Candidate(path, kind_of(path)))
        stack.extend(reversed(subfolders))
    return complete


def _sniff_kind(path: Path) -> DocKind:
    """An explicitly named file with an unknown suffix: read it as text if it is text."""
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(b"%PDF-"):
        return DocKind.PDF
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return DocKind.HTML
    try:
        decode_text(head)
    except ReadError:
        kinds = ", ".join(sorted(dict.fromkeys(k.value for k in SUFFIXES.values())))
        raise ReadError(f"unsupported file type {path.suffix or '(no suffix)'}: docq reads {kinds}") from None
    return DocKind.TEXT


def chunking_signature(settings: Settings) -> str:
    return f"{settings.chunk_tokens}/{settings.chunk_overlap}"


EMBED_BATCH = 64  # chunks between progress updates


class _Ingestor:
    def __init__(
        self, index: IndexWriter, settings: Settings, report: IngestReport, reporter: Reporter, reader: IsolatedReader
    ) -> None:
        self.index = index
        self.reader = reader
        self.settings = settings
        self.report = report
        self.reporter = reporter
        self.options = ChunkingOptions(settings.chunk_tokens, settings.chunk_overlap)
        self.signature = chunking_signature(settings)

    def process(self, candidate: Candidate) -> str:
        """Ingest one file; returns what happened ("added", "updated", "skipped")."""
        path = candidate.path
        stage = self.report.stage_seconds
        st = path.stat()
        if st.st_size > self.settings.max_file_mb * 1024 * 1024:
            raise ReadError(
                f"{st.st_size / 2**20:,.0f} MB is over the {self.settings.max_file_mb} MB limit (--max-file-mb)"
            )
        existing = self.index.file(str(path))
        fresh = (
            existing is not None
            and existing.status == "ready"
            and existing.chunking == self.signature
            and existing.reader == READERS[existing.kind]
        )
        if fresh and existing and (existing.size, existing.mtime_ns) == (st.st_size, st.st_mtime_ns):
            return self._skip(existing)
        digest = sha256_file(path)
        if fresh and existing and existing.sha256 == digest:
            self.index.touch(existing, st.st_size, st.st_mtime_ns)
            return self._skip(existing)
        if existing is None:
            indexed = next((f for f in self.index.files_with_sha256(digest) if _same_file(path, f.path)), None)
            if indexed is not None:
                self.report.aliases.append((str(path), indexed.path))
                return "skipped"
        started = time.perf_counter()
        kind = candidate.kind or _sniff_kind(path)
        document = self.reader.read(path, kind, self.settings.tuning.parsing)
        pages = document.pages
        parsed = time.perf_counter()
        if document.empty_pages:
            self.reporter.note(
                f"{path}: {document.empty_pages} of {len(pages)} pages have no text layer (scanned?); "
                "only the others are indexed"
            )
        try:
            # markdown and DOCX keep their headings (the DOCX reader writes them as markdown's)
            sections = markdown_sections(pages[0].text) if kind in (DocKind.MARKDOWN, DocKind.DOCX) else []
            chunks = chunk_document(str(path), pages, self.options, sections)
        except (ValueError, IndexError, RecursionError, MemoryError) as exc:  # the file's text, not the index
            raise ReadError(f"its text could not be cut into passages ({type(exc).__name__})") from None
        if not chunks:
            raise ReadError("no text to index")
        chunked = time.perf_counter()
        embeddings = self._embed(path, [c.indexed_text() for c in chunks])
        embedded = time.perf_counter()
        card = make_card(document.title, pages, document.printed)
        self.index.store_file(
            card=card.to_json(),
            path=str(path),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            sha256=digest,
            kind=kind,
            chunking=self.signature,
            title=document.title,
            reader=READERS[kind],
            pages=pages,
            chunks=chunks,
            embeddings=embeddings,
        )
        stage["parse"] += parsed - started
        stage["chunk"] += chunked - parsed
        stage["embed"] += embedded - chunked
        stage["index"] += time.perf_counter() - embedded
        self.report.pages += len(pages)
        self.report.chunks += len(chunks)
        return "updated" if existing else "added"

    def _embed(self, path: Path, texts: list[str]) -> np.ndarray:
        """Embed a file's chunks in batches, showing how many are done and the time left
        (a 1 MB file is ~1,400 chunks, about a minute on 2 cores)."""
        parts = []
        started = time.perf_counter()
        for at in range(0, len(texts), EMBED_BATCH):
            parts.append(self.index.embed(texts[at : at + EMBED_BATCH]))
            done = min(at + EMBED_BATCH, len(texts))
            if done < len(texts):
                left = (time.perf_counter() - started) / done * (len(texts) - done)
                self.reporter.advance(0, f"{path.name}: {done:,}/{len(texts):,} chunks embedded, ~{left:.0f}s left")
        return np.concatenate(parts) if parts else self.index.embed([])

    def _skip(self, record: FileRecord) -> str:
        """An unchanged file. One indexed before files had titles gets its title from
        the stored text (text and markdown are not read again for it)."""
        if not record.title:
            text = next((p.text for p in self.index.pages_of(record)), "")
            title = markdown_title(text) if record.kind is DocKind.MARKDOWN else text_title(text)
            self.index.set_title(record, title or Path(record.path).stem)
        if self.index.card_of(record) is None:  # indexed before cards existed
            card = make_card(record.title or Path(record.path).stem, self.index.pages_of(record))
            self.index.set_card(record, card.to_json())
        return "skipped"


def _same_file(path: Path, other: str) -> bool:
    """The same file on disk (the same inode), whatever the two paths."""
    try:
        return path.samefile(other)
    except OSError:
        return False


def _check_embedding_model(index: IndexWriter, settings: Settings) -> None:
    """Vectors from two embedding models cannot share a collection."""
    recorded = index.embedding_model()
    if recorded is None:
        index.set_embedding_model(settings.embed_model)
    elif recorded != settings.embed_model:
        raise DocqError(
            f"{settings.data_dir}: this index was built with embedding model {recorded!r}, not "
            f"{settings.embed_model!r}; use another --data-dir, or run `docq reindex` with the new model "
            "to re-embed everything"
        )


def ingest(paths: Sequence[Path], index: IndexWriter, settings: Settings, reporter: Reporter = SILENT) -> IngestReport:
    """Bring `paths` into `index` (opened for writing, under the write lock)."""
    started = time.perf_counter()
    report = IngestReport()
    _check_embedding_model(index, settings)
    report.repaired = index.repair()
    if report.repaired:
        reporter.note(
            f"repaired an interrupted ingest: {report.repaired.restored_files} files re-indexed, "
            f"{report.repaired.removed_vectors} stale vectors removed"
        )
    found = discover(paths, settings.follow_symlinks)
    report.failures.extend(found.failures)
    report.ignored = found.ignored
    for note in found.notes:
        reporter.note(note)
    gone = _vanished(index, found)
    if gone:
        index.forget(gone)
        report.removed = len(gone)
    for missing in found.missing:
        if not any(r.path == str(missing) for r in gone):
            report.failures.append(Failure(str(missing), "no such file or folder"))
    for failure in found.failures:
        reporter.note(f"failed: {failure}")
    reader = IsolatedReader(settings.parse_timeout, settings.parse_max_mb)
    ingestor = _Ingestor(index, settings, report, reporter, reader)
    with reader, step(reporter, "ingesting", len(found.files), "files"):
        for candidate in found.files:
            try:
                outcome = ingestor.process(candidate)
            except ReadError as exc:
                report.failures.append(Failure(str(candidate.path), str(exc)))
                reporter.note(f"failed: {report.failures[-1]}")
            except PermissionError:
                report.failures.append(Failure(str(candidate.path), "permission denied"))
                reporter.note(f"failed: {report.failures[-1]}")
            except OSError as exc:
                report.failures.append(Failure(str(candidate.path), f"cannot read ({exc.strerror or exc})"))
                reporter.note(f"failed: {report.failures[-1]}")
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
            reporter.advance(1, f"{candidate.path.name} · {report.pages:,} pages · {report.chunks:,} chunks")
    if report.aliases:
        path, indexed = report.aliases[0]
        more = f" and {len(report.aliases) - 1} more" if len(report.aliases) > 1 else ""
        reporter.note(f"{path}{more}: already indexed as {indexed} (the same file through a link), skipped")
    report.seconds = time.perf_counter() - started
    return report


def _vanished(index: IndexWriter, found: Discovery) -> list[FileRecord]:
    """Catalog files under a fully walked folder that the walk no longer found, and named
    files that no longer exist."""
    present = {str(c.path) for c in found.files} | {f.path for f in found.failures}
    gone: dict[int, FileRecord] = {}
    for root in found.complete_roots:
        for record in index.files(under=str(root)):
            if record.path not in present:
                gone[record.id] = record
    for missing in found.missing:
        for record in index.files(under=str(missing)):
            gone[record.id] = record
    return list(gone.values())


def forget(paths: Sequence[Path], index: IndexWriter) -> list[str]:
    """Drop files (or everything under folders) from the index; returns the paths dropped."""
    index.repair()
    records: dict[int, FileRecord] = {}
    for raw in paths:
        matched = index.files(under=str(_absolute(raw)))
        if not matched:
            raise DocqError(f"{raw}: not in the index (see `docq status --files`)")
        records.update((r.id, r) for r in matched)
    index.forget(list(records.values()))
    return [r.path for r in records.values()]
