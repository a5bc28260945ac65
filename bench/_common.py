"""Helpers shared by the bench scripts: paths, a scratch data dir, plain tables."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def scratch_settings(**overrides: object):  # type: ignore[no-untyped-def]
    """Settings for a throwaway index (models shared with the user's cache)."""
    from docq.config import load_settings

    data = Path(tempfile.mkdtemp(prefix="docq-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
    return load_settings({"data_dir": data, **overrides}, env=env, config_file=data / "none.toml")


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ingest(paths, settings):  # type: ignore[no-untyped-def]
    """Index `paths` with docq's library, as a script would."""
    from docq.library import Library

    with Library(settings=settings) as docs:
        return docs.ingest(paths)
