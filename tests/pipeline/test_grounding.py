"""Long answers sentence by sentence: markers, support, re-citing."""

from __future__ import annotations

from docq.pipeline.grounding import ground, split_claims, support

RAFT = "Raft uses randomized election timeouts to ensure that split votes are rare and resolved quickly."
LEADER = "A leader is elected for each term and handles all client requests."


def test_sentences_and_items_carry_their_markers() -> None:
    text = (
        "Raft randomizes timeouts. [1] A leader handles requests [2]. e.g. the clients.\n"
        "As Ongaro et al. show, J. Ousterhout agrees [3].\n- Consistency [1]\n- Availability [1][3]"
    )
    assert split_claims(text) == [
        ("Raft randomizes timeouts.", (1,)),
        ("A leader handles requests. e.g. the clients.", (2,)),
        ("As Ongaro et al. show, J. Ousterhout agrees.", (3,)),
        ("Consistency", (1,)),
        ("Availability", (1, 3)),
    ]


def test_support_is_the_share_of_content_words_in_the_passages() -> None:
    assert support("Raft uses randomized election timeouts.", [RAFT]) == 1.0
    assert support("Paxos was invented by Lamport in Greece.", [RAFT]) == 0.0
    assert support("", [RAFT]) == 0.0


def test_a_sentence_is_recited_to_the_passage_that_supports_it() -> None:
    claims = ground(
        "Split votes are rare because timeouts are randomized [2]. Paxos came from Greece [1].", [RAFT, LEADER]
    )
    assert claims[0].cited == (0,) and claims[0].support >= 0.5  # the model said [2]; passage 1 holds it
    assert claims[1].support < 0.5  # no passage supports it
    unmarked = ground("A leader is elected for each term.", [RAFT, LEADER])
    assert unmarked[0].cited == (1,)
