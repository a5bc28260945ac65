"""Lexical retrieval: BM25 (rank-bm25's Okapi variant) over the catalog's chunks.

rank-bm25 defines the model (k1, b, and the idf with its epsilon floor); docq keeps it on
disk as plain arrays (a NumPy .npz read with allow_pickle=False: postings per term, term
frequencies, document lengths, idf, the vocabulary and chunk ids as UTF-8 text) and scores
a query from the postings of its terms only. Nothing read back from the data dir can run
code, and every array is checked (shapes, ranges, the catalog generation it was built
from) before it is believed; a file that fails a check is "stale" and rebuilt.
"""

from __future__ import annotations

import bisect
import os
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from docq.store.orphans import remove_orphans
from docq.store.writes import is_regular_file, replacing
from docq.text import analyze, same_word, spelling_variants

FORMAT = 2  # 1 was a pickle (release 1): never read again
_K1, _B, _EPSILON = 1.5, 0.75, 0.25  # BM25Okapi's defaults


def _idf(document_frequency: dict[str, int], documents: int) -> dict[str, float]:
    """rank-bm25's idf (log-odds with a floor for terms in most documents), from the
    document frequencies alone."""
    model = BM25Okapi.__new__(BM25Okapi)
    model.k1, model.b, model.epsilon = _K1, _B, _EPSILON
    model.corpus_size = documents
    model.idf = {}
    model._calc_idf(document_frequency)
    return model.idf


@dataclass
class BM25Index:
    ids: list[str]
    generation: int
    terms: list[str]  # vocabulary; term i's postings are docs[indptr[i]:indptr[i + 1]]
    idf: np.ndarray  # float64, per term
    indptr: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32, document (chunk) index of each posting
    freqs: np.ndarray  # uint16, the term's count in that document
    doc_len: np.ndarray  # int32, terms per document
    _lookup: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._lookup = {t: i for i, t in enumerate(self.terms)}
        # rank-bm25's mean length; 1 where every chunk is empty of words (no division by zero)
        self.avgdl = float(self.doc_len.mean()) if len(self.doc_len) and self.doc_len.any() else 1.0

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]], generation: int) -> BM25Index:
        ids: list[str] = []
        counts: list[Counter[str]] = []
        for chunk_id, text in documents:
            ids.append(chunk_id)
            counts.append(Counter(analyze(text)))
        frequency: Counter[str] = Counter()
        for c in counts:
            frequency.update(c.keys())
        terms = sorted(frequency)
        lookup = {t: i for i, t in enumerate(terms)}
        idf_of = _idf(dict(frequency), len(ids)) if frequency else {}
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([frequency[t] for t in terms])
        docs = np.empty(int(indptr[-1]), dtype=np.int32)
        freqs = np.empty(int(indptr[-1]), dtype=np.uint16)
        fill = indptr[:-1].copy()
        for d, c in enumerate(counts):
            for term, n in c.items():
                j = lookup[term]
                docs[fill[j]] = d
                freqs[fill[j]] = min(n, 65535)
                fill[j] += 1
        return cls(
            ids=ids,
            generation=generation,
            terms=terms,
            idf=np.array([idf_of[t] for t in terms], dtype=np.float64),
            indptr=indptr,
            docs=docs,
            freqs=freqs,
            doc_len=np.array([sum(c.values()) for c in counts], dtype=np.int32),
        )

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25Okapi.get_scores for these (analysed) terms, from their postings alone."""
        total = np.zeros(len(self.ids))
        for term in terms:
            j = self._lookup.get(term)
            if j is None:
                continue
            a, b = self.indptr[j], self.indptr[j + 1]
            docs = self.docs[a:b]
            tf = self.freqs[a:b].astype(np.float64)
            norm = _K1 * (1 - _B + _B * self.doc_len[docs] / self.avgdl)
            total[docs] += self.idf[j] * tf * (_K1 + 1) / (tf + norm)
        return total

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first; chunks sharing no term with the query are left out."""
        terms = [self._spelling(t) for t in analyze(query)]
        if not self.ids or not terms:
            return []
        scores = self.scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def has_word(self, word: str, exact: bool = False) -> bool:
        """Does the corpus write this (analysed) word, in any of its forms (text.same_word:
        plural, spelling, "Italy" for "Italian")? `exact`: that very word (numbers)."""
        if word in self._lookup:
            return True
        if exact or len(word) < 4:
            return False
        at = bisect.bisect_left(self.terms, word[:3])
        for candidate in self.terms[at:]:
            if not candidate.startswith(word[:3]):
                return False
            if same_word(word, candidate):
                return True
        return False

    def _spelling(self, term: str) -> str:
        """A query word the corpus lacks, in the British or American spelling the corpus
        uses ("behaviour" finds "behavior", "modeling" "modelling"). Only regular
        spelling variants: a looser match (any close word) turned "country" into
        "county" and "bought" into "brought" (docs/design.md, "Retrieval")."""
        if term in self._lookup:
            return term
        return next((v for v in spelling_variants(term) if v in self._lookup), term)

    def __len__(self) -> int:
        return len(self.ids)

    # -- disk -------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file renamed over the old one); a leftover
        temporary file of a killed writer is removed by the next save."""
        remove_orphans(path.parent, f"{path.name}.tmp-*")
        with replacing(path) as tmp, tmp.open("r+b") as f:
            np.savez(
                f,
                header=np.array([FORMAT, self.generation], dtype=np.int64),
                ids=_text_array(self.ids),
                terms=_text_array(self.terms),
                idf=self.idf,
                indptr=self.indptr,
                docs=self.docs,
                freqs=self.freqs,
                doc_len=self.doc_len,
            )
            f.flush()
            os.fsync(f.fileno())

    @classmethod
    def load(cls, path: Path) -> BM25Index | None:
        """The saved index, or None when it is missing, damaged or inconsistent (the caller
        rebuilds it from the catalog). Data only: object arrays are refused."""
        try:
            if not is_regular_file(path) or not _sizes_hold(path):
                return None
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in _ARRAYS}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        try:
            return cls._checked(arrays)
        except (ValueError, TypeError, IndexError, UnicodeDecodeError):
            return None

    @classmethod
    def _checked(cls, a: dict[str, np.ndarray]) -> BM25Index | None:
        header = a["header"]
        if header.dtype != np.int64 or header.shape != (2,) or int(header[0]) != FORMAT:
            return None
        ids, terms = _text_list(a["ids"]), _text_list(a["terms"])
        n, v = len(ids), len(terms)
        indptr, docs, freqs = a["indptr"], a["docs"], a["freqs"]
        shapes = {
            "idf": (a["idf"], np.float64, (v,)),
            "indptr": (indptr, np.int64, (v + 1,)),
            "docs": (docs, np.int32, None),
            "freqs": (freqs, np.uint16, docs.shape),
            "doc_len": (a["doc_len"], np.int32, (n,)),
        }
        for array, dtype, shape in shapes.values():
            if array.dtype != dtype or array.ndim != 1 or (shape is not None and array.shape != shape):
                return None
        if (
            indptr[0] != 0
            or indptr[-1] != len(docs)
            or np.any(np.diff(indptr) < 0)
            or (len(docs) and (docs.min() < 0 or docs.max() >= n))
            or (n and a["doc_len"].min() < 0)
            or not np.all(np.isfinite(a["idf"]))
            or any(a >= b for a, b in zip(terms, terms[1:]))  # sorted and distinct: looked up by bisection
        ):
            return None
        return cls(
            ids=ids,
            generation=int(header[1]),
            terms=terms,
            idf=a["idf"],
            indptr=indptr,
            docs=docs,
            freqs=freqs,
            doc_len=a["doc_len"],
        )


_ARRAYS = ("header", "ids", "terms", "idf", "indptr", "docs", "freqs", "doc_len")


def _sizes_hold(path: Path) -> bool:
    """Every array's header agrees with the bytes that follow it, before NumPy allocates
    what a header claims (a 42 KB file claiming 2^40 entries is refused here). np.savez
    stores members uncompressed, so a member's size is bounded by the file's."""
    size = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        members = {m.filename: m for m in archive.infolist()}
        if set(members) != {f"{name}.npy" for name in _ARRAYS}:
            return False
        for member in members.values():
            if member.compress_type != zipfile.ZIP_STORED or member.file_size > size:
                return False
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    return False
                if dtype.hasobject or len(shape) != 1 or shape[0] < 0:
                    return False
                if f.tell() + shape[0] * dtype.itemsize != member.file_size:
                    return False
    return True


def _text_array(items: list[str]) -> np.ndarray:
    """Strings as one UTF-8 byte array, newline-separated (ids and terms hold no newline)."""
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


def _text_list(array: np.ndarray) -> list[str]:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise TypeError("not a UTF-8 byte array")
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []
