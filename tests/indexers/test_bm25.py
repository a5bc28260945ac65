from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from docq.indexers.bm25 import BM25Index
from docq.text import analyze, spelling_variants

from ..conftest import NORMANS_PARAGRAPHS

DOCS = [
    ("a", "Muhammad Ali fought Jimmy Ellis in Houston in 1971."),
    ("b", "The Jumièges abbey stands in Normandy, in Europe."),
    ("c", "Rollo signed the treaty of Saint-Clair-sur-Epte in 911."),
]


def test_analyzer_folds_case_accents_possessives_and_drops_stopwords() -> None:
    assert analyze("The Abbey of JUMIÈGES") == ["abbey", "jumieges"]
    assert analyze("Normandy's dukes") == ["normandy", "dukes"]


def test_scores_are_rank_bm25_okapi_scores() -> None:
    corpus = [(str(i), p) for i, p in enumerate(NORMANS_PARAGRAPHS)]
    index = BM25Index.build(corpus, generation=1)
    reference = BM25Okapi([analyze(t) for _, t in corpus])
    for query in ("Who was the duke in the battle of Hastings?", "Norman conquest of England 1066", "Rollo Rollo"):
        terms = analyze(query)
        assert np.allclose(index.scores(terms), reference.get_scores(terms))


def test_search_ranks_and_skips_non_matching() -> None:
    index = BM25Index.build(DOCS, generation=1)
    hits = index.search("Who signed the treaty?", 3)
    assert [i for i, _ in hits] == ["c"]
    assert index.search("", 3) == [] and index.search("the of", 3) == []


def test_has_word_accepts_forms_of_a_word_but_numbers_only_exactly() -> None:
    index = BM25Index.build(DOCS, generation=1)
    assert index.has_word("jumieges") and index.has_word("european") and index.has_word("abbeys")
    assert not index.has_word("charlemagne") and not index.has_word("muhummad")  # a misspelling is another word
    assert not index.has_word("912", exact=True) and index.has_word("911", exact=True)


def test_a_query_word_the_corpus_lacks_finds_its_other_regular_spelling() -> None:
    index = BM25Index.build(
        [
            *DOCS,
            ("us", "The random surfer models the behavior of a user at the center of the web."),
            ("uk", "Modelling the colour of the county's harbours."),
        ],
        generation=1,
    )
    assert [i for i, _ in index.search("user behaviour", 2)] == ["us"]
    assert [i for i, _ in index.search("centre", 2)] == ["us"]
    assert [i for i, _ in index.search("color", 2)] == ["uk"] and index.search("harbors", 2)[0][0] == "uk"
    assert index.search("country", 2) == []  # a different word, however close, is not a spelling
    assert spelling_variants("organisation") == ["organization"] and spelling_variants("modeling") == ["modelling"]
    assert spelling_variants("filling") == [] and spelling_variants("bought") == []


def test_save_load_roundtrip(tmp_path: Path) -> None:
    index = BM25Index.build(DOCS, generation=7)
    path = tmp_path / "bm25.npz"
    index.save(path)
    loaded = BM25Index.load(path)
    assert loaded is not None and loaded.generation == 7 and loaded.ids == index.ids
    assert loaded.search("abbey", 1)[0][0] == "b"
    assert loaded.search("treaty Rollo", 3) == index.search("treaty Rollo", 3)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.marker,))


def test_damaged_or_hostile_files_are_refused_never_run(tmp_path: Path) -> None:
    path = tmp_path / "bm25.npz"
    marker = tmp_path / "ran"
    good = BM25Index.build(DOCS, generation=3)
    good.save(path)
    arrays = dict(np.load(path))
    hostile = {
        "garbage": lambda: path.write_bytes(b"not an index"),
        "pickle": lambda: path.write_bytes(pickle.dumps(_Payload(marker))),
        "object array": lambda: np.savez(path, **{**arrays, "idf": np.array([_Payload(marker)], dtype=object)}),
        "truncated": lambda: path.write_bytes(path.read_bytes()[:200]),
        "posting out of range": lambda: np.savez(path, **{**arrays, "docs": arrays["docs"] + 100}),
        "wrong shape": lambda: np.savez(path, **{**arrays, "doc_len": arrays["doc_len"][:1]}),
        "wrong type": lambda: np.savez(path, **{**arrays, "freqs": arrays["freqs"].astype(np.float32)}),
        "old format": lambda: np.savez(path, **{**arrays, "header": np.array([1, 3], dtype=np.int64)}),
        "a header claiming 2^40 entries": lambda: path.write_bytes(_claiming(path.read_bytes(), "docs", 2**40)),
        "compressed members": lambda: np.savez_compressed(path, **arrays),
        "a link": lambda: (path.unlink(), path.symlink_to("/dev/zero")),
    }
    for name, damage in hostile.items():
        good.save(path)
        damage()
        assert BM25Index.load(path) is None, name
    assert not marker.exists()
    assert BM25Index.load(tmp_path / "missing.npz") is None


def _claiming(npz: bytes, member: str, entries: int) -> bytes:
    """The archive with one array's header claiming `entries` entries (the bytes unchanged)."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == f"{member}.npy":
                header_end = data.index(b"\n") + 1
                header = re.sub(rb"\((\d+),\)", f"({entries},)".encode(), data[:header_end])
                header = header[: header_end - 1].ljust(header_end - 1) + b"\n"  # same length
                data = header + data[header_end:]
            new.writestr(info.filename, data)
    return out.getvalue()


def test_zero_length_documents_give_scores_without_warnings(tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "bm25.npz"
    BM25Index.build(DOCS, generation=3).save(path)
    arrays = dict(np.load(path))
    np.savez(path, **{**arrays, "doc_len": np.zeros_like(arrays["doc_len"])})  # a file that claims empty chunks
    index = BM25Index.load(path)
    assert index is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would reach the user's terminal
        assert index.search("Normandy", 3)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "bm25.npz"
    orphan = tmp_path / "bm25.npz.tmp-999999999"
    orphan.write_bytes(b"x" * 100)
    BM25Index.build(DOCS, generation=1).save(path)
    assert not orphan.exists()


@pytest.mark.parametrize("docs", [[], [("x", "the of and")]])
def test_empty_corpus_or_vocabulary(docs: list[tuple[str, str]], tmp_path: Path) -> None:
    index = BM25Index.build(docs, generation=0)
    assert index.search("anything", 5) == [] and not index.has_word("anything") and len(index) == len(docs)
    index.save(tmp_path / "b.npz")
    loaded = BM25Index.load(tmp_path / "b.npz")
    assert loaded is not None and loaded.ids == [d[0] for d in docs]
