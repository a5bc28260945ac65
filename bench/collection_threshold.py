"""The p(yes) from which a judged document qualifies, chosen on recorded judgements.

    docq eval ../shared/eval/collection --split tune --json --set memo.judge_threshold=0 > RUN.json
    python bench/collection_threshold.py RUN.json [--choose]

A run with the threshold at 0 keeps every document judged and records each one's p(yes)
in `route_reason`; this replays the decision at each threshold on the "which of my
papers" rows (kinds which-documents, overview, unanswerable): a row is right when every
document it must cite is kept (for an unanswerable question: when none is), and precision
is the share of kept documents that qualify. `--choose` prints the threshold with the most
rows right, the higher precision breaking ties.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

JUDGED = re.compile(r"([^\s,()=]+)=(\d\.\d\d)")
KINDS = ("which-documents", "overview", "unanswerable")


def judged(reason: str) -> dict[str, float]:
    part = reason.split("p(yes):", 1)[1] if "p(yes):" in reason else ""
    return {name: float(p) for name, p in JUDGED.findall(part)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--choose", action="store_true")
    args = parser.parse_args()
    sources = {}
    for line in (Path(__file__).resolve().parents[2] / "shared/eval/collection/qa.jsonl").read_text().splitlines():
        item = json.loads(line)
        sources[item["id"]] = set(item.get("sources") or [])
    rows = [r for run in args.runs for r in json.loads(run.read_text())["rows"] if r["kind"] in KINDS]
    print(f"{len(rows)} rows: " + ", ".join(f"{k} {sum(r['kind'] == k for r in rows)}" for k in KINDS))
    best = None
    print(f"{'threshold':>9}{'right':>8}{'kept':>6}{'precision':>11}")
    for step in range(1, 20):
        threshold = step / 20
        right = kept_total = kept_good = 0
        for row in rows:
            chances = judged(row["reason"])
            kept = {name for name, p in chances.items() if p >= threshold}
            gold = sources[row["id"]]
            right += (not kept) if not gold else gold <= kept
            kept_total += len(kept)
            kept_good += len(kept & gold)
        precision = kept_good / kept_total if kept_total else 1.0
        print(f"{threshold:>9.2f}{right:>5}/{len(rows):<3}{kept_total:>5}{precision:>11.2f}")
        if best is None or (right, precision) > best[1:]:
            best = (threshold, right, precision)
    if args.choose and best:
        print(f"chosen: {best[0]:.2f} ({best[1]}/{len(rows)} right, precision {best[2]:.2f})")


if __name__ == "__main__":
    main()
