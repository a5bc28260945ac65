"""One Settings object, built in one place: flags > DOCQ_* environment > config file > defaults.

Every knob is declared once in `_KNOBS` with its type, default and help; the CLI's flags,
the environment names, the config file keys and `docq doctor` all derive from it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docq.errors import UsageError
from docq.tuning import Tuning

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KV_TYPES = ("auto", "f16", "q8_0", "q4_0")
ROUTES = ("auto", "rag", "memo", "full")
SHAPE_CHOICES = ("auto", "fact", "explain", "summary", "document", "yesno", "list")
SWITCH = ("auto", "on", "off")
KV_REUSE = ("off", "passages")


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("docq", appauthor=False))


def _default_models_dir() -> Path:
    # Models are rebuilt from installed packages, so they live in the cache, shared by
    # every data dir (tests and `docq eval` use scratch data dirs).
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("docq", appauthor=False)) / "models"


def default_config_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("docq", appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    models_dir: Path = field(default_factory=_default_models_dir)
    model: str = "qwen2.5-coder-1.5b"
    embed_model: str = "all-minilm-l6-v2"
    n_ctx: int = 16384
    n_threads: int = 0
    n_batch: int = 512
    n_gpu_layers: int = -1
    kv_type: str = "auto"
    flash_attn: str = "auto"
    llm_url: str = ""
    chroma_url: str = ""
    top_k: int = 4
    compress: bool = True
    max_context_tokens: int = 0
    max_answer_tokens: int = 0
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    route: str = "auto"
    shape: str = "auto"
    reorder: str = "auto"
    max_file_mb: int = 64
    parse_timeout: int = 300
    parse_max_mb: int = 2048
    follow_symlinks: bool = False
    cache_max_mb: int = 2048
    kv_reuse: str = "off"
    kv_recompute: int = 16
    tuning: Tuning = field(default_factory=Tuning)  # decision constants (docq.tuning), swept with --set
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_path(self) -> Path:
        return self.data_dir / "bm25.npz"

    @property
    def cache_dir(self) -> Path:
        """The user's own cache beside the models: what readers write (saved KV states, the
        memo route's corpus memory) goes here, never into a data dir others may share."""
        return self.models_dir.parent

    @property
    def kv_cache_dir(self) -> Path:
        return self.cache_dir / "kv-cache"

    @property
    def threads(self) -> int:
        """0 means: every core this process may use."""
        if self.n_threads > 0:
            return self.n_threads
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - macOS, Windows
            return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Knob:
    name: str
    help: str
    env: str
    choices: tuple[str, ...] = ()
    group: str = "global"  # which commands offer it as a flag: global, model, embed, answer, ingest, cache


_KNOBS: tuple[Knob, ...] = (
    Knob("data_dir", "where the catalog and indexes live", "DOCQ_HOME"),
    Knob("models_dir", "where assembled model files are kept", "DOCQ_MODELS_DIR"),
    Knob("model", "answer model: a known name, a .gguf path, or hf:ORG/REPO/FILE.gguf", "DOCQ_MODEL", group="model"),
    Knob("embed_model", "embedding model: all-minilm-l6-v2 or a BERT .gguf path", "DOCQ_EMBED_MODEL", group="embed"),
    Knob("n_ctx", "model context size in tokens", "DOCQ_N_CTX", group="model"),
    Knob("n_threads", "CPU threads (0: all cores available)", "DOCQ_N_THREADS", group="model"),
    Knob("n_batch", "prompt tokens per llama.cpp batch", "DOCQ_N_BATCH", group="model"),
    Knob(
        "n_gpu_layers",
        "layers offloaded to the GPU (-1: all when this llama.cpp can offload)",
        "DOCQ_N_GPU_LAYERS",
        group="model",
    ),
    Knob("kv_type", "KV-cache type for K and V", "DOCQ_KV_TYPE", KV_TYPES, group="model"),
    Knob(
        "flash_attn",
        "flash attention (auto: on with a GPU or a quantized V cache)",
        "DOCQ_FLASH_ATTN",
        SWITCH,
        group="model",
    ),
    Knob(
        "llm_url", "OpenAI-compatible llama.cpp server instead of the in-process model", "DOCQ_LLM_URL", group="model"
    ),
    Knob("chroma_url", "Chroma server (http://host:port) instead of the embedded store", "DOCQ_CHROMA_URL"),
    Knob("top_k", "passages given to the model", "DOCQ_TOP_K", group="answer"),
    Knob("compress", "cut each passage to its sentences that bear on the question", "DOCQ_COMPRESS", group="answer"),
    Knob(
        "max_context_tokens",
        "token budget for document text in a prompt (0: decided by the router)",
        "DOCQ_MAX_CONTEXT_TOKENS",
        group="answer",
    ),
    Knob(
        "max_answer_tokens",
        "most tokens an answer may have (0: by its shape, 8 to 260)",
        "DOCQ_MAX_ANSWER_TOKENS",
        group="answer",
    ),
    Knob("chunk_tokens", "chunk size in tokens", "DOCQ_CHUNK_TOKENS", group="ingest"),
    Knob("chunk_overlap", "tokens repeated between neighbouring chunks", "DOCQ_CHUNK_OVERLAP", group="ingest"),
    Knob("route", "route for questions", "DOCQ_ROUTE", ROUTES, group="answer"),
    Knob(
        "shape",
        "answer shape: auto (from the question's wording), fact, explain, summary, document, yesno, list",
        "DOCQ_SHAPE",
        SHAPE_CHOICES,
        group="answer",
    ),
    Knob(
        "reorder",
        "strongest passages at both ends of the context (auto: when 6 or more passages)",
        "DOCQ_REORDER",
        SWITCH,
        group="answer",
    ),
    Knob("max_file_mb", "refuse files larger than this (MB)", "DOCQ_MAX_FILE_MB", group="ingest"),
    Knob(
        "parse_timeout",
        "seconds one file may take to read before it is skipped as a failure",
        "DOCQ_PARSE_TIMEOUT",
        group="ingest",
    ),
    Knob(
        "parse_max_mb",
        "memory (MB of address space) the reader of one file may use before it is skipped as a failure",
        "DOCQ_PARSE_MAX_MB",
        group="ingest",
    ),
    Knob("follow_symlinks", "follow symlinks that leave the ingested folder", "DOCQ_FOLLOW_SYMLINKS", group="ingest"),
    Knob("cache_max_mb", "size cap of saved KV states (MB)", "DOCQ_CACHE_MAX_MB", group="cache"),
    Knob(
        "kv_recompute",
        "with kv_reuse=passages: tokens at the start of each reused passage computed again with the context before it (EPIC)",
        "DOCQ_KV_RECOMPUTE",
        group="model",
    ),
    Knob(
        "kv_reuse",
        "reuse passages' KV states across questions (APE-style parallel encoding; off: read them in order)",
        "DOCQ_KV_REUSE",
        KV_REUSE,
        group="model",
    ),
)
KNOBS: Mapping[str, Knob] = {k.name: k for k in _KNOBS}

_FIELD_TYPES: dict[str, type] = {}
for _f in dataclasses.fields(Settings):
    if _f.name not in ("sources", "tuning"):
        _FIELD_TYPES[_f.name] = {"Path": Path, "str": str, "int": int, "bool": bool}[str(_f.type)]
assert set(_FIELD_TYPES) == set(KNOBS), "every Settings field needs a Knob"


def field_type(name: str) -> type:
    """The Python type of a setting (for flags generated from the table)."""
    return _FIELD_TYPES[name]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, raw: Any, origin: str) -> Any:
    kind = _FIELD_TYPES[name]
    try:
        if kind is bool:
            if isinstance(raw, bool):
                value: Any = raw
            elif str(raw).strip().lower() in _TRUE | _FALSE:
                value = str(raw).strip().lower() in _TRUE
            else:
                raise ValueError("expected true or false")
        elif kind is int:
            if isinstance(raw, bool):
                raise ValueError("expected a whole number")
            value = int(raw)
        elif kind is Path:
            value = Path(str(raw)).expanduser()
        else:
            value = str(raw)
    except ValueError as exc:
        raise UsageError(f"{origin}: invalid value {raw!r} for {name} ({exc})") from None
    choices = KNOBS[name].choices
    if choices and value not in choices:
        raise UsageError(f"{origin}: {name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read config file (not UTF-8 text: byte {exc.start})") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read config file ({' '.join(str(exc).split())})") from None
    values = data.get("docq", data)
    if not isinstance(values, dict):
        raise UsageError(f"{path}: the [docq] entry must be a table of settings")
    unknown = sorted(set(values) - set(KNOBS))
    if unknown:
        raise UsageError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(KNOBS)}")
    return values


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every knob; `overrides` are command-line values (None means not given)."""
    env = os.environ if env is None else env
    if config_file is None:
        config_file = Path(env["DOCQ_CONFIG"]) if env.get("DOCQ_CONFIG") else default_config_file()
    from_file = _read_config_file(config_file)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, knob in KNOBS.items():
        flag = (overrides or {}).get(name)
        if flag is not None:
            values[name], sources[name] = _coerce(name, flag, f"--{name.replace('_', '-')}"), "flag"
        elif env.get(knob.env) is not None:
            values[name], sources[name] = _coerce(name, env[knob.env], knob.env), "env"
        elif name in from_file:
            values[name], sources[name] = _coerce(name, from_file[name], str(config_file)), "config"
        else:
            sources[name] = "default"
    settings = Settings(**values, sources=sources)
    _validate(settings)
    return settings


def with_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """`settings` with some values replaced, each checked as a flag's would be."""
    unknown = sorted(set(overrides) - set(KNOBS) - {"tuning"})
    if unknown:
        raise UsageError(f"unknown setting {unknown[0]!r}; known: {', '.join(KNOBS)}")
    values = {name: value if name == "tuning" else _coerce(name, value, name) for name, value in overrides.items()}
    sources = {**settings.sources, **dict.fromkeys((n for n in values if n != "tuning"), "flag")}
    changed = dataclasses.replace(settings, **values, sources=sources)
    _validate(changed)
    return changed


def _validate(s: Settings) -> None:
    if s.chunk_tokens < 16:
        raise UsageError("chunk_tokens must be at least 16")
    if not 0 <= s.chunk_overlap < s.chunk_tokens // 2:
        raise UsageError("chunk_overlap must be between 0 and half of chunk_tokens")
    if s.top_k < 1:
        raise UsageError("top_k must be at least 1")
    if s.parse_timeout < 1 or s.parse_max_mb < 256:
        raise UsageError("parse_timeout must be at least 1 (seconds) and parse_max_mb at least 256")
    if s.max_file_mb < 1 or s.cache_max_mb < 0:
        raise UsageError("max_file_mb must be at least 1 and cache_max_mb at least 0")
    if s.n_ctx < 512:
        raise UsageError("n_ctx must be at least 512")
    for url_name in ("llm_url", "chroma_url"):
        url = getattr(s, url_name)
        if url and not url.startswith(("http://", "https://")):
            raise UsageError(f"{url_name} must start with http:// or https://, not {url!r}")


def describe(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(name, value, where it came from, environment variable) for `docq doctor`."""
    return [
        (name, str(getattr(settings, name)), settings.sources.get(name, "default"), knob.env)
        for name, knob in KNOBS.items()
    ]
