from __future__ import annotations

from docq.indexers.hybrid import reciprocal_rank_fusion, reorder_for_long_context


def test_reorder_puts_strongest_at_both_ends() -> None:
    assert reorder_for_long_context([1, 2, 3, 4, 5, 6]) == [1, 3, 5, 6, 4, 2]
    assert reorder_for_long_context([1, 2, 3]) == [1, 3, 2]
    assert reorder_for_long_context([1]) == [1]
    assert reorder_for_long_context([]) == []


def test_fusion_rewards_agreement_and_deduplicates() -> None:
    fused = reciprocal_rank_fusion({"bm25": ["a", "b", "c"], "dense": ["b", "d", "a", "b"]})
    ids = [i for i, _, _ in fused]
    assert ids[0] == "b"  # ranks 2 and 1 beat ranks 1 and 3
    assert ids[1] == "a"
    assert sorted(ids) == ["a", "b", "c", "d"]
    ranks = {i: r for i, _, r in fused}
    assert ranks["b"] == {"bm25": 2, "dense": 1}
    assert ranks["d"] == {"dense": 2}


def test_fusion_weights_shift_the_order() -> None:
    rankings = {"q": ["x", "y"], "clue": ["y", "x"]}
    plain = {i: score for i, score, _ in reciprocal_rank_fusion(rankings)}
    assert plain["x"] == plain["y"]  # mirror-image lists tie without weights
    assert [i for i, _, _ in reciprocal_rank_fusion(rankings, {"q": 2.0})] == ["x", "y"]
    assert [i for i, _, _ in reciprocal_rank_fusion(rankings, {"clue": 2.0})] == ["y", "x"]


def test_reordering_policy_applies_to_long_contexts() -> None:
    from docq.pipeline.routes import should_reorder

    assert not should_reorder("auto", 4, 6) and should_reorder("auto", 6, 6)
    assert should_reorder("on", 2, 6) and not should_reorder("off", 10, 6)
