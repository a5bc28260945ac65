"""Fusing ranked lists, and ordering passages for a long prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

RRF_K = 60  # the constant of Cormack et al. (2009); flattens the head of each list


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float] | None = None, k: int = RRF_K
) -> list[tuple[str, float, dict[str, int]]]:
    """Merge ranked id lists: (id, fused score, {list name: 1-based rank}), best first.

    An id found by several lists appears once, with its contributions summed."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, ids in rankings.items():
        weight = (weights or {}).get(name, 1.0)
        for rank, item in enumerate(dict.fromkeys(ids), start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            ranks.setdefault(item, {})[name] = rank
    order = sorted(scores, key=lambda i: (-scores[i], min(ranks[i].values())))
    return [(i, scores[i], ranks[i]) for i in order]


def reorder_for_long_context(ranked: Sequence[T]) -> list[T]:
    """Strongest passages at both ends, weakest in the middle.

    Models attend best to the start and end of a long context (lost in the middle); the
    retrieval reordering of *Long-Context LLMs Meet RAG* (Jin et al., 2024) puts ranks
    1, 3, 5, ... from the front and 2, 4, 6, ... from the back. Input is best first.
    """
    front = list(ranked[0::2])
    back = list(ranked[1::2])
    return front + back[::-1]
