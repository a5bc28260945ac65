"""Lexical retrieval: rank-bm25's BM25Okapi over the catalog's chunks, pickled to disk.

The file records the catalog generation it was built from; a mismatch (an interrupted
ingest, a forget) means it is rebuilt rather than trusted.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from docq.indexers.folding import fold

FORMAT = 1
_WORD = re.compile(r"\w+", re.UNICODE)
# Function words carry no topic; dropping them keeps BM25 from rewarding "the" and "of".
STOPWORDS = frozenset(
    """a an and are as at be but by did do does for from had has have how i if in into is it its
    of on or that the their them then there these they this to was were what when where which
    who whom whose why will with would you your""".split()
)


# Regular British and American spellings of one word: (British, American, the endings
# that may follow, what must come before). behaviour/behavior, organise/organize,
# analyse/analyze, centre/center, modelling/modeling (after -e- or -a-: not
# filling/filing), catalogue/catalog, defence/defense.
_ANY = r"\w\w"
_VARIANTS = (
    ("our", "or", "s|ed|ing|al|ally|ite|ites|able|ful|", _ANY),
    ("is", "iz", "e|es|ed|ing|ation|ations|er|ers", _ANY),
    ("ys", "yz", "e|es|ed|ing|er|ers", _ANY),
    ("tre", "ter", "s|", _ANY),
    ("ll", "l", "ed|ing|er|ers", r"[a-z]{3}[ae]"),
    ("ogue", "og", "s|", _ANY),
    ("ence", "ense", "s|", _ANY),
)
_SPELLINGS = tuple(
    (re.compile(rf"(?<={before}){old}(?=(?:{ending})$)"), new)
    for british, american, ending, before in _VARIANTS
    for old, new in ((british, american), (american, british))
)


def spelling_variants(word: str) -> list[str]:
    """The word's other regular spellings (British <-> American); [] for short words."""
    if len(word) < 5:
        return []
    variants = (pattern.sub(replacement, word, count=1) for pattern, replacement in _SPELLINGS)
    return list(dict.fromkeys(v for v in variants if v != word))


def analyze(text: str) -> list[str]:
    """Lower-case, accent-free words without stopwords: "Jumièges" and "jumieges" match."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


@dataclass
class BM25Index:
    ids: list[str]
    generation: int
    model: BM25Okapi | None  # None for an empty corpus: BM25Okapi cannot hold zero documents
    _vocabulary: list[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]], generation: int) -> BM25Index:
        ids: list[str] = []
        corpus: list[list[str]] = []
        for chunk_id, text in documents:
            ids.append(chunk_id)
            corpus.append(analyze(text))
        return cls(ids=ids, generation=generation, model=BM25Okapi(corpus) if corpus else None)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first; chunks sharing no term with the query are left out."""
        if self.model is None:
            return []
        terms = [self._spelling(t) for t in analyze(query)]
        if not terms:
            return []
        scores = self.model.get_scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def knows(self, term: str) -> bool:
        """Does every word of `term` occur somewhere in the corpus? A word of five letters
        or more also counts when a close spelling does ("Muhummad", "European"): people
        misspell names; numbers must match exactly."""
        words = analyze(term)
        if self.model is None or not words:
            return False
        return all(w in self.model.idf or self._close_spelling(w) for w in words)

    def _close_spelling(self, word: str) -> bool:
        if len(word) < 5 or any(ch.isdigit() for ch in word):
            return False
        if self._vocabulary is None:
            self._vocabulary = [w for w in self.model.idf if len(w) >= 4] if self.model else []
        return bool(get_close_matches(word, self._vocabulary, n=1, cutoff=0.75))

    def _spelling(self, term: str) -> str:
        """A query word the corpus lacks, in the British or American spelling the corpus
        uses ("behaviour" finds "behavior", "modeling" "modelling"). Only regular
        spelling variants: a looser match (any close word) turned "country" into
        "county" and "bought" into "brought" (docs/design.md, "Retrieval")."""
        if self.model is None or term in self.model.idf:
            return term
        return next((v for v in spelling_variants(term) if v in self.model.idf), term)

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        with tmp.open("wb") as f:
            pickle.dump((FORMAT, self.generation, self.ids, self.model), f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> BM25Index | None:
        """The saved index, or None when missing or unreadable (the caller rebuilds)."""
        try:
            with path.open("rb") as f:
                fmt, generation, ids, model = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            return None
        if fmt != FORMAT:
            return None
        return cls(ids=ids, generation=generation, model=model)
