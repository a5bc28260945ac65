"""Start-up cost: `docq --help`, and `docq ask` up to the point where the model loads.

    python bench/startup.py

`ask` is pointed at a model path that does not exist, so it exits right where loading
would begin: what remains is import time, settings, catalog and index opening.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, ingest, machine, median, scratch_settings, table

RUNS = 7


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, env=env, check=False)
    return time.perf_counter() - started


def main() -> None:
    settings = scratch_settings()
    ingest([ROOT / "samples"], settings)
    exe = shutil.which("docq", path=str(Path(sys.executable).parent)) or "docq"
    env = {**os.environ, "DOCQ_HOME": str(settings.data_dir)}
    rows = []
    baseline = median([timed([sys.executable, "-c", "pass"], env) for _ in range(RUNS)])
    rows.append(["python -c pass", f"{baseline * 1000:.0f}"])
    help_ms = median([timed([exe, "--help"], env) for _ in range(RUNS)])
    rows.append(["docq --help", f"{help_ms * 1000:.0f}"])
    ask_ms = median([timed([exe, "ask", "--model", "/nonexistent/model.gguf", "Who?"], env) for _ in range(RUNS)])
    rows.append(["docq ask, until model load", f"{ask_ms * 1000:.0f}"])
    print(f"machine: {machine()}; median of {RUNS} runs")
    print(table(["command", "ms"], rows))
    print(f"ratio ask-before-model / --help: {ask_ms / help_ms:.1f}x")
    shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
