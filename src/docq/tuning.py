"""docq's decision constants as data: every threshold, budget and weight that shapes an
answer, grouped (retrieval, router, answer, parsing, memo), each with where its value
comes from. `docq doctor` lists them; `docq eval --set answer.abstain_threshold=0.6`
(or `ask --set`) sweeps one without editing code; docs/design.md holds the measurements
the provenance names.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

from docq.errors import UsageError


def _tunable(value: Any, why: str, low: float, high: float) -> Any:
    """A decision constant: its default, where it comes from, and the range `--set` accepts."""
    return field(default=value, metadata={"why": why, "range": (low, high)})


@dataclass(frozen=True)
class Retrieval:
    rrf_k: int = _tunable(60, "Cormack et al. (2009)'s constant; recall@k in design.md 'Retrieval'", 1, 10000)
    search_pool: int = _tunable(
        3, "passages searched per passage read (summaries, which-paper); design.md 'Retrieval'", 1, 100
    )
    rag_budget: int = _tunable(2048, "tokens of passages for rag; design.md 'Fewer, better tokens'", 64, 1000000)
    reorder_from: int = _tunable(
        6, "reorder from this many passages: 4 read best in rank order (design.md 'Reordering')", 1, 1000
    )
    neighbours: int = _tunable(
        1, "sentences kept around a bearing one; without them gold answers were lost (design.md)", 0, 20
    )


@dataclass(frozen=True)
class Router:
    small_enough: int = _tunable(
        1500, "one document this small is read whole (design.md 'Small-document rule')", 0, 10000000
    )
    escalate_full_max: int = _tunable(
        4096, "Self-Route escalation up to this many tokens (design.md 'Escalation')", 0, 10000000
    )
    full_budget: int = _tunable(
        8192, "full reading budget; past it the 0.5B read worse than rag (design.md)", 256, 10000000
    )
    reread_below: int = _tunable(
        2048, "documents this short get the question before and after (JRT, design.md)", 0, 10000000
    )
    tokenizer_margin: float = _tunable(
        1.15, "model tokenizers run up to ~15% longer than cl100k on this prose", 1.0, 4.0
    )
    summary_opening_share: float = _tunable(0.6, "share of a summary's budget for the document's opening", 0.0, 1.0)


@dataclass(frozen=True)
class Answer:
    supported_from: float = _tunable(
        0.5, "share of a sentence's content words its passages must hold (design.md)", 0.0, 1.0
    )
    # The abstention decision: logistic weights over evidence.FEATURES (corpus_names,
    # corpus_numbers, passage_names, found, repeats, overlap), a bias and a threshold.
    abstain_weights: tuple[float, ...] = _tunable(
        (-8.0, -8.0, 0.0, -6.0, 0.0, 0.0),
        "design.md 'Abstention': set by hand (a fit on 90 tune rows was too weak); repeats 0 by the tune halves",
        -100,
        100,
    )
    abstain_bias: float = _tunable(19.0, "design.md 'Abstention'", -100, 100)
    abstain_threshold: float = _tunable(
        0.74,
        "design.md 'Abstention': best tune F1 with the added abstentions >= 0.8 precise (bench/abstention.py)",
        0.0,
        2.0,
    )


@dataclass(frozen=True)
class Parsing:
    second_opinion_below: float = _tunable(
        0.75, "a PDF page scoring under this is read by pypdf too (design.md 'PDF')", 0.0, 1.0
    )
    title_size: float = _tunable(
        0.97, "lines within 3% of the largest type are the title (design.md 'Titles')", 0.0, 1.0
    )


@dataclass(frozen=True)
class Memo:
    documents_judged: int = _tunable(
        6, "documents judged one by one for 'which of my papers' (design.md 'Collection questions')", 1, 100
    )
    judge_threshold: float = _tunable(
        0.5, "p(yes) from which a judged document qualifies (design.md 'Collection questions')", 0.0, 1.0
    )
    passages_per_document: int = _tunable(
        2, "passages read of each document judged or named (design.md 'Collection questions')", 1, 10
    )


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
            field_ = next(f for f in fields(group) if f.name == name)
            value = _convert(raw, getattr(group, name), dotted, field_.metadata["range"])
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


def _convert(raw: str, current: Any, dotted: str, bounds: tuple[float, float]) -> Any:
    """The value as the constant's type, finite and within its range, else a usage error."""
    low, high = bounds
    try:
        if isinstance(current, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            value: Any = int(raw)
            numbers: tuple[float, ...] = (value,)
        elif isinstance(current, float):
            value = float(raw)
            numbers = (value,)
        elif isinstance(current, tuple):
            value = numbers = tuple(float(v) for v in raw.replace(",", " ").split())
            if len(value) != len(current):
                raise ValueError(f"expected {len(current)} numbers")
        else:
            return raw
        if not all(math.isfinite(n) and low <= n <= high for n in numbers):
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value
    except ValueError as exc:
        raise UsageError(f"--set {dotted}={raw}: {exc}") from None


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """`--set name=value` options as a dict."""
    found: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects name=value, not {item!r}")
        found[name.strip()] = value.strip()
    return found
