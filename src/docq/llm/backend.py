"""The one thing docq asks of a language model, whoever runs it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    ) -> Generation:
        """Answer a chat; `grammar` (GBNF) constrains the output, `on_text` receives it as it
        streams. `prefix_key` names the stable start of the prompt (a system prompt plus
        documents) so a backend that can may reuse its KV state across calls."""

    def close(self) -> None:
        """Free the model or connection."""
