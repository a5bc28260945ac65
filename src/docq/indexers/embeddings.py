"""Sentence embeddings through llama.cpp, behind Chroma's EmbeddingFunction interface.

The model is all-MiniLM-L6-v2 written as GGUF by models.embedder; mean pooling and L2
normalisation reproduce sentence-transformers (bench/embedding_parity.py checks it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from docq import interrupts

if TYPE_CHECKING:
    from llama_cpp import Llama

# sentence-transformers truncates all-MiniLM-L6-v2 input at 256 word pieces
# (sentence_bert_config.json); matching it keeps vectors identical to the reference.
MAX_SEQUENCE = 256


class LlamaEmbedder(EmbeddingFunction[Documents]):
    def __init__(self, model_path: str | Path, n_threads: int | None = None, n_gpu_layers: int = 0) -> None:
        self.model_path = str(model_path)
        self.n_threads = n_threads
        self.n_gpu_layers = n_gpu_layers
        self._model: Llama | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Llama:
        if self._model is None:
            from docq.llm.loading import silence_llama_logs

            silence_llama_logs()
            interrupts.install()
            with interrupts.native():
                self._model = self._load()
        return self._model

    def _load(self) -> Llama:
        from llama_cpp import Llama

        from docq.llm.local import load_quietly

        return load_quietly(
            Path(self.model_path),
            lambda: Llama(
                model_path=self.model_path,
                embedding=True,
                n_ctx=MAX_SEQUENCE,
                n_batch=MAX_SEQUENCE,
                n_ubatch=MAX_SEQUENCE,
                n_threads=self.n_threads,
                n_gpu_layers=self.n_gpu_layers,
                verbose=False,
            ),
        )

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; empty input gives a (0, dim) array."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # One sequence per call: llama.cpp attends across everything in a batch and masks
        # the cross-sequence part, so batching several texts was 5x slower (measured).
        with self._lock:
            vectors = []
            for text in texts:
                with interrupts.native():
                    vectors.append(self.model.embed(text, normalize=True, truncate=True))
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimensions(self) -> int:
        return int(self.model.n_embd())

    # -- Chroma's EmbeddingFunction protocol ----------------------------------------------

    @staticmethod
    def name() -> str:
        return "docq-llama-cpp"

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self.model_path}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LlamaEmbedder:
        return LlamaEmbedder(config["model_path"])

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]
