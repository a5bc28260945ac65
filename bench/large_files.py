"""Resource limits: peak memory of ingesting a 2,000-page PDF, and of refusing a 200 MB
text file over --max-file-mb. Each ingest runs in its own process so its peak RSS
(ru_maxrss from wait4) is its own.

    python bench/large_files.py [--pages 2000] [--text-mb 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import EVAL, machine, table


def make_pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    words = (EVAL / "haystack" / "worked.txt").read_text().encode("latin-1", "replace").decode("latin-1").split()
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for n in range(pages):
        pdf.add_page()
        start = (n * 180) % (len(words) - 200)
        pdf.multi_cell(0, 5, f"Page {n + 1}. " + " ".join(words[start : start + 180]))
    pdf.output(str(path))


def ingest_peak(path: Path, *flags: str) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of `docq ingest` in a child process."""
    data = Path(tempfile.mkdtemp(prefix="docq-bench-large-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "docq", "-q", "--data-dir", str(data), "ingest", *flags, str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest so far
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    shutil.rmtree(data, ignore_errors=True)
    if child.returncode not in (0, 4):
        print(errors, file=sys.stderr)
    return child.returncode, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--text-mb", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docq-bench-files-"))
    rows = []
    big_text = work / "big.txt"
    line = (EVAL / "haystack" / "gap.txt").read_text()
    with big_text.open("w") as f:
        while f.tell() < args.text_mb * 2**20:
            f.write(line)
    code, seconds, peak = ingest_peak(big_text)
    rows.append([f"{args.text_mb} MB text (default --max-file-mb)", code, f"{seconds:.1f}", f"{peak:.0f}"])
    pdf = work / "long.pdf"
    started = time.perf_counter()
    make_pdf(pdf, args.pages)
    made = time.perf_counter() - started
    code, seconds, peak = ingest_peak(pdf)
    rows.append(
        [f"{args.pages:,}-page PDF ({pdf.stat().st_size / 2**20:.1f} MB)", code, f"{seconds:.1f}", f"{peak:.0f}"]
    )
    print(f"machine: {machine()}; PDF generated in {made:.0f}s")
    print(table(["input", "exit", "seconds", "peak RSS MB"], rows))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
