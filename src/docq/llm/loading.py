"""Build the configured backend: a llama.cpp server when --llm-url is set, else in-process."""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from docq.config import Settings
from docq.llm.backend import LLM
from docq.progress import SILENT, Reporter

if TYPE_CHECKING:
    from docq.llm.kvcache import KVCache


@cache
def silence_llama_logs() -> None:
    """llama.cpp logs context warnings to stderr even with verbose=False; docq's stderr
    is for the user, so route them nowhere (once per process)."""
    import llama_cpp

    @llama_cpp.llama_log_callback
    def _ignore(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        pass

    silence_llama_logs.callback = _ignore  # type: ignore[attr-defined]  # keep it alive for C
    llama_cpp.llama_log_set(_ignore, ctypes.c_void_p(0))


def model_identity(path: Path) -> str:
    """What a saved KV state of this model depends on: the file itself."""
    from docq.models.registry import ANSWER_MODELS

    for spec in ANSWER_MODELS.values():
        if path.name == spec.filename:
            return f"{spec.name}:{spec.sha256[:16]}"
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def kv_cache(settings: Settings) -> KVCache:
    """The saved KV states (the user's cache, capped at cache_max_mb)."""
    from docq.llm.kvcache import KVCache

    return KVCache(settings.kv_cache_dir, settings.cache_max_mb * 1024 * 1024)


def open_llm(settings: Settings, reporter: Reporter = SILENT, model: str | None = None) -> LLM:
    """The answer model (or another, e.g. the memo route's draft model) as configured."""
    if settings.llm_url:
        from docq.llm.remote import RemoteLLM

        return RemoteLLM(settings.llm_url, fallback_ctx=settings.n_ctx)
    from docq.llm.device import gpu_layers, plan_kv
    from docq.llm.local import LocalLLM
    from docq.models.files import resolve_answer_model

    silence_llama_logs()
    path = resolve_answer_model(model or settings.model, settings.models_dir, reporter)
    return LocalLLM(
        path,
        n_ctx=settings.n_ctx,
        n_threads=settings.threads,
        n_batch=settings.n_batch,
        n_gpu_layers=gpu_layers(settings),
        kv=plan_kv(settings),
        kv_cache=kv_cache(settings),
        kv_reuse=settings.kv_reuse,
        recompute=settings.kv_recompute,
        identity=model_identity(path),
    )
