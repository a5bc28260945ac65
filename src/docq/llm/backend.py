"""The one thing docq asks of a language model, whoever runs it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    generated_tokens: int
    cached_tokens: int  # prompt tokens whose KV state was reused instead of computed
    prefill_ms: float  # until the first generated token
    generate_ms: float  # after it
    # Probability that the output starts with each watched string (first token only);
    # empty where the backend cannot see the model's distribution.
    first_token_probs: Mapping[str, float] = field(default_factory=dict)


TokenSink = Callable[[str], None]


class LLM(Protocol):
    name: str  # shown in answers: the model file or the server's model id

    @property
    def n_ctx(self) -> int:
        """Context window in tokens."""

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own tokenizer (prompt budgets use it)."""

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        grammar: str | None = None,
        stop: Sequence[str] = (),
        on_text: TokenSink | None = None,
        prefix_key: str | None = None,
        watch: Sequence[str] = (),
    ) -> Generation:
        """Answer a chat; `grammar` (GBNF) constrains the output, `on_text` receives it as it
        streams. `prefix_key` names the stable start of the prompt (a system prompt plus
        documents) so a backend that can may reuse its KV state across calls. `watch`
        lists strings whose first-token probability at the first step is reported."""

    def choose(self, messages: Sequence[Message], options: Sequence[str]) -> dict[str, float]:
        """The model's probability of starting its reply with each option (normalised over
        the options); a backend without access to probabilities gives 1.0 to its choice."""

    def close(self) -> None:
        """Free the model or connection."""
