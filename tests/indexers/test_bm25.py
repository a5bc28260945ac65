from __future__ import annotations

from pathlib import Path

from docq.indexers.bm25 import BM25Index, analyze, spelling_variants

DOCS = [
    ("a", "Muhammad Ali fought Jimmy Ellis in Houston in 1971."),
    ("b", "The Jumièges abbey stands in Normandy, in Europe."),
    ("c", "Rollo signed the treaty of Saint-Clair-sur-Epte in 911."),
]


def test_analyzer_folds_case_accents_and_drops_stopwords() -> None:
    assert analyze("The Abbey of JUMIÈGES") == ["abbey", "jumieges"]


def test_search_ranks_and_skips_non_matching() -> None:
    index = BM25Index.build(DOCS, generation=1)
    hits = index.search("Who signed the treaty?", 3)
    assert [i for i, _ in hits] == ["c"]
    assert index.search("", 3) == [] and index.search("the of", 3) == []


def test_knows_accepts_close_spellings_of_words_but_not_numbers() -> None:
    index = BM25Index.build(DOCS, generation=1)
    assert index.knows("Jumieges") and index.knows("Muhummad") and index.knows("European")
    assert not index.knows("Charlemagne")
    assert not index.knows("912") and index.knows("911")


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


def test_save_load_roundtrip_and_damage(tmp_path: Path) -> None:
    index = BM25Index.build(DOCS, generation=7)
    path = tmp_path / "bm25.pkl"
    index.save(path)
    loaded = BM25Index.load(path)
    assert loaded is not None and loaded.generation == 7 and loaded.ids == index.ids
    assert loaded.search("abbey", 1)[0][0] == "b"
    path.write_bytes(b"not a pickle")
    assert BM25Index.load(path) is None
    assert BM25Index.load(tmp_path / "missing.pkl") is None


def test_empty_corpus() -> None:
    index = BM25Index.build([], generation=0)
    assert index.search("anything", 5) == [] and not index.knows("anything") and len(index) == 0
