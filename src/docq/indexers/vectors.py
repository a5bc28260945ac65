"""Dense retrieval: one Chroma collection, embedded (PersistentClient) or a Chroma server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np

from docq.errors import DocqError
from docq.types import Chunk

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from docq.indexers.embeddings import LlamaEmbedder
    from docq.store.catalog import Catalog


def collection_name(index_id: str) -> str:
    """One collection per catalog, so many indexes can share a Chroma server."""
    return f"docq-{index_id[:16]}"


def connect(chroma_path: Path, chroma_url: str = "") -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(chroma_path), settings=settings)
    url = urlparse(chroma_url)
    try:
        client = chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
        client.heartbeat()
    except Exception as exc:  # connection errors come in several types from httpx and chroma
        raise DocqError(
            f"cannot reach the Chroma server at {chroma_url} ({type(exc).__name__}); is `chroma run` up?"
        ) from None
    return client


class VectorStore:
    def __init__(self, client: ClientAPI, embedder: LlamaEmbedder, name: str) -> None:
        self.client = client
        self.embedder = embedder
        self.collection: Collection = client.get_or_create_collection(
            name,
            embedding_function=embedder,  # type: ignore[arg-type]  # chroma's protocol is generic over images too
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._batch = max(1, client.get_max_batch_size())

    def count(self) -> int:
        return self.collection.count()

    def ids(self) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=5000, offset=offset)["ids"]
            found.update(page)
            if len(page) < 5000:
                return found
            offset += len(page)

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        for start in range(0, len(chunks), self._batch):
            part = chunks[start : start + self._batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=embeddings[start : start + len(part)],
                documents=[c.indexed_text() for c in part],
                metadatas=[{"source": c.source, "page": c.page_start or 0, "ordinal": c.ordinal} for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), self._batch):
            self.collection.delete(ids=list(ids[start : start + self._batch]))

    def search(self, query_embedding: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        n = self.count()
        if n == 0:
            return []
        result = self.collection.query(query_embeddings=[query_embedding], n_results=min(k, n), include=["distances"])
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, distances)]


def forget_clients() -> None:
    """Drop the clients chromadb caches per path, so a store moved aside is not reused."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


READ_ONLY = "the vector store is read-only here"
DAMAGED = "the vector store cannot be read"


def vector_store_trouble(exc: BaseException, chroma_path: Path) -> str:
    """Why Chroma could not be opened, in a few words."""
    message = " ".join(str(exc).split())
    if "readonly" in message.replace("-", "").lower() or (chroma_path.exists() and not os.access(chroma_path, os.W_OK)):
        return READ_ONLY
    if "disk" in message.lower() or "i/o" in message.lower():
        from docq.errors import free_space

        return f"{DAMAGED} ({message[:120]}; {free_space(chroma_path)}: a full disk?)"
    return f"{DAMAGED} ({message[:160] or type(exc).__name__})"


class CatalogVectors:
    """Dense search without Chroma: cosine over the vectors the catalog keeps for every
    chunk, brute force (a read-only or damaged index still answers; ~10 ms per 10k chunks)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._ids: list[str] | None = None
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def _load(self) -> tuple[list[str], np.ndarray]:
        if self._ids is None:
            self._ids, self._matrix = self.catalog.all_embeddings()
        return self._ids, self._matrix

    def count(self) -> int:
        return len(self._load()[0])

    def ids(self) -> set[str]:
        return set(self._load()[0])

    def search(self, query_embedding: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        ids, matrix = self._load()
        if not ids:
            return []
        similarity = matrix @ np.asarray(query_embedding, dtype=np.float32)
        k = min(k, len(ids))
        top = np.argpartition(-similarity, k - 1)[:k]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [(ids[i], float(similarity[i])) for i in top]
