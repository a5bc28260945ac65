"""The one thing docq asks of a language model, whoever runs it."""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class Prompt:
    """A chat prompt, and how much of its start is worth keeping.

    `stable` counts the characters at the start of the last message that every prompt of
    its kind shares (an opening before the documents, or the documents themselves): with
    the messages before it they form a prefix whose KV state a backend may keep and reuse,
    in memory, in a saved state file, or in a server's prompt cache: the backend decides
    how. The route says what is stable; no marker string ties wording to caching."""

    messages: tuple[Message, ...]
    stable: int = 0
    # Character spans of the last message that may come from a passage KV cache (the
    # bodies of retrieved passages): the same text anywhere in any prompt after this
    # prompt's stable part. A backend that cannot reuse them reads them as usual.
    reusable: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, messages: Prompt | Sequence[Message]) -> Prompt:
        return messages if isinstance(messages, Prompt) else cls(tuple(messages))


class LLM(Protocol):
    name: str  # shown in answers: the model file or the server's model id

    @property
    def n_ctx(self) -> int:
        """Context window in tokens."""

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own tokenizer (prompt budgets use it)."""

    def complete(
        self,
        prompt: Prompt | Sequence[Message],
        *,
        max_tokens: int,
        grammar: str | None = None,
        stop: Sequence[str] = (),
        on_text: TokenSink | None = None,
    ) -> Generation:
        """Answer a chat; `grammar` (GBNF) constrains the output, `on_text` receives it as it
        streams. A Prompt's stable prefix may be served from a KV cache."""

    def judge(self, prompt: Prompt | Sequence[Message], options: Sequence[str]) -> tuple[dict[str, float], Generation]:
        """How likely the model's reply starts with each option (one word each: "yes",
        "no"), as probabilities over the options, and the call itself."""

    def close(self) -> None:
        """Free the model or connection."""


# Text shaped like the chat-control tokens of common templates: ChatML's <|im_start|> and
# <|im_end|>, <|endoftext|>, Llama 3's <|eot_id|>, Gemma's <start_of_turn>, Mistral's [INST],
# SentencePiece's <s> and </s>.
_CONTROL_LIKE = re.compile(
    r"<\|[^<>|\s]{1,64}\|>|</?s>|\[/?INST\]|<(?:start|end)_of_turn>|<(?:bos|eos|pad|unk)>", re.IGNORECASE
)
_JOINER = "\u2060"  # WORD JOINER: invisible, and no tokenizer's control token contains it


def defuse_control_tokens(text: str) -> str:
    """`text` with every control-token look-alike broken by an invisible joiner, for the
    backends that cannot tokenize content apart from the template (a server applies its
    template and parses special tokens in the whole prompt). The in-process backend
    tokenizes content as plain text instead and needs none of this."""
    return _CONTROL_LIKE.sub(lambda m: m.group(0)[0] + _JOINER + m.group(0)[1:], text)
