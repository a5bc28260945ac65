"""docq: answer questions about your own documents with a local LLM.

from docq import Library
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docq.version import __version__

__all__ = ["Answer", "Library", "Settings", "__version__"]

if TYPE_CHECKING:
    from docq.config import Settings
    from docq.library import Library
    from docq.types import Answer


def __getattr__(name: str) -> Any:
    # Imported on first use: `docq --help` stays fast without chromadb and llama.cpp.
    if name == "Library":
        from docq.library import Library

        return Library
    if name == "Settings":
        from docq.config import Settings

        return Settings
    if name == "Answer":
        from docq.types import Answer

        return Answer
    raise AttributeError(f"module 'docq' has no attribute {name!r}")
