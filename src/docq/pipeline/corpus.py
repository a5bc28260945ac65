"""What the pipeline may ask of the indexed documents: narrow interfaces, so routes, the
answer step and ingest never hold the catalog, Chroma or BM25 themselves. The library's
DocumentIndex implements both; tests may pass anything that does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from docq.indexers.cards import Card
from docq.indexers.vectors import DAMAGED
from docq.types import Chunk, FileRecord, Page, ScoredChunk


class Corpus(Protocol):
    """Reading: what routes and the answer step use."""

    def search(
        self, query: str, k: int, *, dense: bool = True, lexical: bool = True, pool: int | None = None
    ) -> list[ScoredChunk]:
        """Hybrid search, best first."""

    def file(self, path: str) -> FileRecord | None: ...

    def files(self, under: str | None = None) -> list[FileRecord]: ...

    def chunks_of(self, record: FileRecord) -> list[Chunk]: ...

    def whole_document(self, record: FileRecord) -> Chunk:
        """A file as one passage."""

    def locate(self, source: str, offset: int) -> tuple[Chunk | None, int | None]:
        """The chunk and page holding a character offset of a file's text."""

    def coverage(self, term: str) -> float:
        """1.0 when the corpus writes `term` (a name as one phrase, a word in any of its
        forms); else the share of its words it writes (evidence.TextVocabulary.coverage)."""

    def generation(self) -> int:
        """Changes whenever the documents do (caches of derived text key on it)."""

    def cards(self) -> list[tuple[FileRecord, Card]]:
        """Every document with its card (indexers.cards), in path order."""


@dataclass(frozen=True)
class Health:
    catalog_chunks: int
    vectors: int
    bm25_entries: int
    bm25_current: bool
    pending_files: int
    tombstones: int
    missing_vectors: int  # in the catalog, not in Chroma
    orphan_vectors: int  # in Chroma, not in the catalog
    vector_store: str = "chroma"  # or why Chroma could not be opened (then unchecked)

    @property
    def consistent(self) -> bool:
        return (
            self.bm25_current
            and self.pending_files == 0
            and self.tombstones == 0
            and self.missing_vectors == 0
            and self.orphan_vectors == 0
            and not self.vector_store.startswith(DAMAGED)
        )


@dataclass(frozen=True)
class RepairReport:
    removed_vectors: int
    restored_files: int

    def __bool__(self) -> bool:
        return bool(self.removed_vectors or self.restored_files)


class IndexWriter(Corpus, Protocol):
    """Writing: what ingest uses (under the write lock)."""

    def repair(self) -> RepairReport:
        """Finish what an interrupted writer left undone."""

    def embedding_model(self) -> str | None: ...

    def set_embedding_model(self, name: str, *, drop_vectors: bool = False) -> None: ...

    def files_with_sha256(self, sha256: str) -> list[FileRecord]: ...

    def pages_of(self, record: FileRecord) -> list[Page]: ...

    def touch(self, record: FileRecord, size: int, mtime_ns: int) -> None: ...

    def set_title(self, record: FileRecord, title: str) -> None: ...

    def card_of(self, record: FileRecord) -> Card | None: ...

    def set_card(self, record: FileRecord, card: str) -> None: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def store_file(self, *, chunks: Sequence[Chunk], embeddings: np.ndarray, **fields: object) -> FileRecord: ...

    def forget(self, records: Sequence[FileRecord]) -> None: ...
