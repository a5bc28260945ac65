"""The memo route: questions about the collection as a whole, read from its cards."""

from __future__ import annotations

from pathlib import Path

import pytest

from docq.pipeline.question import Collection, Question


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Which of my papers use a quorum?", Collection.DOCUMENTS),
        ("Which papers rely on leases as part of their design?", Collection.DOCUMENTS),
        ("Do I have any machine-learning papers in this folder?", Collection.DOCUMENTS),
        ("What is in this folder?", Collection.DOCUMENTS),
        ("How do Dynamo and Bigtable differ in the consistency they give clients?", Collection.COMPARE),
        ("What do the Raft and ZooKeeper papers have in common?", Collection.COMMON),
        ("Which came first: the Raft paper or the FLP paper?", Collection.CHRONOLOGY),
        ("How does MapReduce deal with stragglers?", Collection.NONE),
        ("Which is older, Rollo or William?", Collection.NONE),  # no document in question
        ("Who was the duke in the battle of Hastings?", Collection.NONE),
    ],
)
def test_what_a_question_asks_of_the_collection(text: str, kind: Collection) -> None:
    assert Question.read(text).collection is kind


def test_the_words_before_paper_name_a_document() -> None:
    names = Question.read("Which came first: the end-to-end arguments paper or the FLP impossibility paper?").names
    assert "end-to-end arguments" in names and "FLP impossibility" in names


@pytest.mark.slow
def test_collection_questions_name_and_cite_each_document(tmp_path: Path) -> None:
    """Three small documents; the tiny model answers, so the answer's content is not judged,
    only that what docq shows comes from the collection: documents named by title and
    cited, named documents resolved."""
    from docq.library import Library
    from docq.pipeline.routes.memo import asks_collection, entries_of, named_entries
    from docq.types import Route

    from ..conftest import ingest, make_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "raft.md").write_text(
        "# Raft: Understandable Consensus\n\nDiego Ongaro, 2014.\n\nRaft is a consensus algorithm with a strong "
        "leader. Clients send all requests to the leader, which replicates log entries to a majority of servers."
    )
    (docs / "zookeeper.md").write_text(
        "# ZooKeeper: Wait-free Coordination\n\nPatrick Hunt, 2010.\n\nZooKeeper serves reads locally from any "
        "server; writes go through the leader and are agreed by a majority with Zab."
    )
    (docs / "pagerank.md").write_text(
        "# PageRank: Bringing Order to the Web\n\nLarry Page, 1998.\n\nPageRank ranks web pages by the random "
        "surfer model over the link graph."
    )
    settings = make_settings(tmp_path / "data", model="smollm2-135m")
    ingest([docs], settings)
    with Library(settings=settings) as library:
        corpus = library.index
        entries = entries_of(corpus)
        assert [Path(e.record.path).name for e in entries] == ["pagerank.md", "raft.md", "zookeeper.md"]
        assert entries[1].card.title == "Raft: Understandable Consensus" and entries[1].card.year == 2014
        compare = Question.read("How do Raft and ZooKeeper differ in how they serve reads?")
        assert [Path(e.record.path).name for e in named_entries(corpus, entries, compare)] == [
            "raft.md",
            "zookeeper.md",
        ]
        assert asks_collection(corpus, compare)
        assert not asks_collection(corpus, Question.read("How does Raft elect a leader?"))
        # a name the question gives a document ("Chubby") that the document never writes is
        # no missing term: the question is read, not refused before reading
        older = Question.read("Which came first: the Chubby coordination paper or the PageRank paper?")
        assert {Path(e.record.path).name for e in named_entries(corpus, entries, older)} == {
            "zookeeper.md",
            "pagerank.md",
        }
        assert "never write" not in library.ask(older.text).route_reason
        first = library.ask("Which of my papers are about consensus?")
        assert first.route is Route.MEMO
        if not first.abstained:
            titles = {e.card.title for e in entries}
            for part in first.text.split("; "):
                assert part.rsplit(" [", 1)[0] in titles  # named by a real title
            assert first.citations and all(c.source.startswith(str(docs)) for c in first.citations)
        second = library.ask("Which of my papers mention the web?")
        assert second.tokens.cached > 0  # one document judged after another: their common opening is read once
