"""`docq status`: what the index holds and whether its parts agree."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from docq.config import Settings
from docq.indexers.cards import Card
from docq.models.files import is_verified
from docq.models.registry import ANSWER_MODELS
from docq.pipeline.corpus import Health
from docq.store.catalog import CatalogCounts
from docq.types import FileRecord


class StatusSource(Protocol):
    """What status reads from an index."""

    def counts(self) -> CatalogCounts: ...

    def health(self) -> Health: ...

    def embedding_model(self) -> str | None: ...

    def files(self, under: str | None = None) -> list[FileRecord]: ...

    def extractors(self, record: FileRecord) -> dict[str, int]: ...

    def cards(self) -> list[tuple[FileRecord, Card]]: ...


@dataclass(frozen=True)
class FileStatus:
    record: FileRecord
    extractors: dict[str, int]  # pages per extractor; "none" counts pages without a text layer
    card: Card | None = None  # what the collection's memory says of it (indexers.cards)


@dataclass(frozen=True)
class IndexStatus:
    data_dir: str
    chroma: str
    files: int
    pending_files: int
    pages: int
    chunks: int
    tokens: int
    vectors: int
    bm25_entries: int
    bm25_current: bool
    missing_vectors: int
    orphan_vectors: int
    consistent: bool
    vector_store: str  # "chroma", or why Chroma could not be read (answers then use the catalog's vectors)
    answer_model: str
    answer_model_ready: bool
    embed_model: str
    file_list: tuple[FileStatus, ...] = ()

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["file_list"] = [
            {
                "path": f.record.path,
                "title": f.record.title,
                "kind": f.record.kind.value,
                "pages": f.record.pages,
                "tokens": f.record.tokens,
                "status": f.record.status,
                "extractors": f.extractors,
                "card": asdict(f.card) if f.card else None,
            }
            for f in self.file_list
        ]
        return data


def answer_model_ready(settings: Settings) -> bool:
    """Assembled and verified already (so `ask` will not assemble first)."""
    from docq.models.files import slice_path

    spec = ANSWER_MODELS.get(settings.model)
    if spec is None:
        return True  # a user's own file: nothing to assemble
    if len(spec.slices) == 1:
        path = slice_path(spec.slices[0])
        return path is not None and is_verified(path, spec.sha256, settings.models_dir)
    return is_verified(settings.models_dir / spec.filename, spec.sha256, settings.models_dir)


def index_status(index: StatusSource, settings: Settings, with_files: bool = False) -> IndexStatus:
    counts = index.counts()
    health = index.health()
    return IndexStatus(
        data_dir=str(settings.data_dir),
        chroma=settings.chroma_url or str(settings.chroma_path),
        files=counts.files,
        pending_files=counts.pending,
        pages=counts.pages,
        chunks=counts.chunks,
        tokens=counts.tokens,
        vectors=health.vectors,
        bm25_entries=health.bm25_entries,
        bm25_current=health.bm25_current,
        missing_vectors=health.missing_vectors,
        orphan_vectors=health.orphan_vectors,
        consistent=health.consistent,
        vector_store=health.vector_store,
        answer_model=settings.model,
        answer_model_ready=answer_model_ready(settings),
        embed_model=index.embedding_model() or settings.embed_model,
        file_list=tuple(FileStatus(r, index.extractors(r), card) for r, card in index.cards()) if with_files else (),
    )
