"""docq's decision constants as data: every threshold, budget and weight that shapes an
answer, grouped (retrieval, router, answer, parsing, memo), each with where its value
comes from. `docq doctor` lists them; `docq eval --set answer.abstain_threshold=0.6`
(or `ask --set`) sweeps one without editing code; docs/design.md holds the measurements
the provenance names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from docq.errors import UsageError


def _tunable(value: Any, why: str) -> Any:
    return field(default=value, metadata={"why": why})


@dataclass(frozen=True)
class Retrieval:
    rrf_k: int = _tunable(60, "Cormack et al. (2009)'s constant; recall@k in design.md 'Retrieval'")
    search_pool: int = _tunable(3, "passages searched per passage read (summaries, which-paper); design.md 'Retrieval'")
    rag_budget: int = _tunable(2048, "tokens of passages for rag; design.md 'Fewer, better tokens'")
    reorder_from: int = _tunable(
        6, "reorder from this many passages: 4 read best in rank order (design.md 'Reordering')"
    )
    neighbours: int = _tunable(
        1, "sentences kept around a bearing one; without them gold answers were lost (design.md)"
    )


@dataclass(frozen=True)
class Router:
    small_enough: int = _tunable(1500, "one document this small is read whole (design.md 'Small-document rule')")
    escalate_full_max: int = _tunable(4096, "Self-Route escalation up to this many tokens (design.md 'Escalation')")
    full_budget: int = _tunable(8192, "full reading budget; past it the 0.5B read worse than rag (design.md)")
    reread_below: int = _tunable(2048, "documents this short get the question before and after (JRT, design.md)")
    tokenizer_margin: float = _tunable(1.15, "model tokenizers run up to ~15% longer than cl100k on this prose")
    summary_opening_share: float = _tunable(0.6, "share of a summary's budget for the document's opening")


@dataclass(frozen=True)
class Answer:
    supported_from: float = _tunable(0.5, "share of a sentence's content words its passages must hold (design.md)")
    # The abstention decision: logistic weights over evidence.FEATURES (corpus_names,
    # corpus_numbers, passage_names, found, repeats, overlap), a bias and a threshold.
    abstain_weights: tuple[float, ...] = _tunable(
        (-8.0, -8.0, 0.0, -6.0, 0.0, 0.0),
        "design.md 'Abstention': set by hand (a fit on 90 tune rows was too weak); repeats 0 by the tune halves",
    )
    abstain_bias: float = _tunable(19.0, "design.md 'Abstention'")
    abstain_threshold: float = _tunable(
        0.74, "design.md 'Abstention': best tune F1 with the added abstentions >= 0.8 precise (bench/abstention.py)"
    )


@dataclass(frozen=True)
class Parsing:
    second_opinion_below: float = _tunable(0.75, "a PDF page scoring under this is read by pypdf too (design.md 'PDF')")
    title_size: float = _tunable(0.97, "lines within 3% of the largest type are the title (design.md 'Titles')")


@dataclass(frozen=True)
class Memo:
    memory_budget: int = _tunable(3000, "tokens of corpus memory for drafting (design.md 'Memo')")
    max_clues: int = _tunable(6, "retrieval queries drafted per question (design.md 'Memo')")
    evidence_passages: int = _tunable(3, "passages the drafter reads to name the bridge (design.md 'Memo')")


@dataclass(frozen=True)
class Tuning:
    retrieval: Retrieval = field(default_factory=Retrieval)
    router: Router = field(default_factory=Router)
    answer: Answer = field(default_factory=Answer)
    parsing: Parsing = field(default_factory=Parsing)
    memo: Memo = field(default_factory=Memo)

    def with_values(self, assignments: dict[str, str]) -> Tuning:
        """A copy with `group.name` set to each value (as text, converted to the field's type)."""
        tuning = self
        for dotted, raw in assignments.items():
            group_name, _, name = dotted.partition(".")
            group: Any = getattr(tuning, group_name) if group_name in _GROUPS else None
            if group is None or name not in {f.name for f in fields(group)}:
                raise UsageError(f"--set {dotted}: no such setting; known: {', '.join(names())}")
            value = _convert(raw, getattr(group, name), dotted)
            changed: dict[str, Any] = {group_name: dataclasses.replace(group, **{name: value})}
            tuning = dataclasses.replace(tuning, **changed)
        return tuning

    def describe(self) -> list[tuple[str, str, str]]:
        """(group.name, value, provenance) of every constant, for `docq doctor`."""
        rows = []
        for group_name in _GROUPS:
            group = getattr(self, group_name)
            for f in fields(group):
                rows.append((f"{group_name}.{f.name}", str(getattr(group, f.name)), f.metadata.get("why", "")))
        return rows


_GROUPS = ("retrieval", "router", "answer", "parsing", "memo")


def names() -> list[str]:
    return [name for name, _, _ in Tuning().describe()]


def _convert(raw: str, current: Any, dotted: str) -> Any:
    try:
        if isinstance(current, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, tuple):
            values = tuple(float(v) for v in raw.replace(",", " ").split())
            if len(values) != len(current):
                raise ValueError(f"expected {len(current)} numbers")
            return values
    except ValueError as exc:
        raise UsageError(f"--set {dotted}={raw}: {exc}") from None
    return raw


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """`--set name=value` options as a dict."""
    found: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects name=value, not {item!r}")
        found[name.strip()] = value.strip()
    return found
