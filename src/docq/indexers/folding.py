"""Matching text the way a reader would: case and accents do not matter."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case without accents, so "Jumièges" matches "jumieges"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
