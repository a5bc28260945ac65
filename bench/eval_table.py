"""Summarise `docq eval --json` outputs into one table with intervals (the README's rows).

    python bench/eval_table.py runs/*.json

Per file: questions, right/grounded (papers sets; Wilson 95% interval), F1 (bootstrap 95%),
abstention precision and recall, the share of answerable questions refused, mean prompt
tokens and the median time per question.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from docq.evaluation.metrics import bootstrap_interval, wilson_interval


def row(path: Path) -> str:
    report = json.loads(path.read_text())
    rows = report["rows"]
    n = len(rows)
    f1 = sum(r["f1"] for r in rows) / n
    lo, hi = bootstrap_interval([r["f1"] for r in rows])
    sourced = [r for r in rows if r.get("grounded") is not None]
    grounded = ""
    if sourced:
        g = sum(bool(r["grounded"]) for r in sourced)
        glo, ghi = wilson_interval(g, len(sourced))
        grounded = f"{g}/{len(sourced)} ({g / len(sourced):.2f}, {glo:.2f}-{ghi:.2f})"
    answerable = [r for r in rows if r["answerable"]]
    refused = sum(r["abstained"] for r in answerable)
    abstained = [r for r in rows if r["abstained"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    precision = (sum(not r["answerable"] for r in abstained) / len(abstained)) if abstained else float("nan")
    recall = (sum(r["abstained"] for r in unanswerable) / len(unanswerable)) if unanswerable else float("nan")
    times = sorted(r["total_ms"] for r in rows)
    median = times[len(times) // 2] / 1000
    tokens = sum(r["prompt_tokens"] for r in rows) / n
    return (
        f"| {path.stem} | {n} | {grounded or '-'} | {f1:.3f} ({lo:.2f}-{hi:.2f}) | "
        f"{precision:.2f} / {recall:.2f} | {refused}/{len(answerable)} | {tokens:,.0f} | {median:.1f} |"
    )


def main() -> None:
    print(
        "| run | questions | grounded (95%) | F1 (95%) | abstention P / R | answerable refused | prompt tokens | median s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in sys.argv[1:]:
        if Path(name).stat().st_size:  # a run still going has written nothing yet
            print(row(Path(name)))


if __name__ == "__main__":
    main()
