"""Fit the abstention decision (tuning.answer.abstain_*) on tune-half eval runs, and judge
it on test-half runs.

Each input is `docq eval SET --split tune --json --set answer.abstain_threshold=1.01`
output: with the threshold above 1 docq never abstains on evidence, so every row carries
the evidence of the answer the model gave (`signals`), whether the question is answerable
and how the answer scored. A logistic regression over the evidence predicts "the documents
do not answer this"; its threshold is the one that scores best on the tune rows while
abstentions it adds are right 0.8 of the time or more. Rows where the model itself said NOT FOUND are
abstentions whatever the decision, so they only count in the scores.

    python bench/abstention.py --tune runs/*-tune.json [--test runs/*-test.json]

Prints the weights to pass as --set answer.abstain_weights=... (and bias, threshold), and
for each set: abstention precision and recall and the score, with and without the decision.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from docq.pipeline.evidence import FEATURES
from docq.tuning import Tuning

MIN_PRECISION = 0.8


def load(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        report = json.loads(Path(path).read_text())
        for row in report["rows"]:
            row["set"] = report["set_name"]
            rows.append(row)
    return rows


def features(row: dict) -> np.ndarray:
    return np.array([float(row["signals"].get(name, 0.0)) for name in FEATURES])


def usable(row: dict) -> bool:
    """A row the decision can change: the model answered and the evidence was gathered."""
    return bool(row["signals"]) and not row["abstained"]


def fit(rows: list[dict], l2: float = 1.0) -> tuple[np.ndarray, float]:
    """Logistic regression (Newton's method, L2 on the weights) for "not answerable"."""
    x = np.stack([features(r) for r in rows])
    y = np.array([0.0 if r["answerable"] else 1.0 for r in rows])
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    penalty = np.eye(x1.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x1 @ w, -60, 60)))
        gradient = x1.T @ (p - y) + penalty @ w
        hessian = (x1 * (p * (1 - p))[:, None]).T @ x1 + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def probability(row: dict, weights: np.ndarray, bias: float) -> float:
    return float(1 / (1 + np.exp(-np.clip(features(row) @ weights + bias, -60, 60))))


def outcome(rows: list[dict], weights: np.ndarray, bias: float, threshold: float) -> dict[str, float]:
    """Scores as docq would have had them with this decision (threshold > 1: never)."""
    abstained, scores = [], []
    for r in rows:
        gives_up = r["abstained"] or (usable(r) and probability(r, weights, bias) >= threshold)
        abstained.append(gives_up)
        if not r["answerable"]:
            scores.append((1.0, 1.0) if gives_up else (0.0, 0.0))
        else:
            kept = r["right"] if r.get("grounded") is None else bool(r["grounded"])
            scores.append((0.0, 0.0) if gives_up else (r["f1"], float(kept)))
    unanswerable = [not r["answerable"] for r in rows]
    hits = sum(a and u for a, u in zip(abstained, unanswerable))
    return {
        "n": len(rows),
        "f1": float(np.mean([s[0] for s in scores])),
        "right": float(np.mean([s[1] for s in scores])),
        "precision": hits / sum(abstained) if sum(abstained) else float("nan"),
        "recall": hits / sum(unanswerable) if sum(unanswerable) else float("nan"),
        "answerable_refused": sum(a and not u for a, u in zip(abstained, unanswerable))
        / max(1, unanswerable.count(False)),
    }


def added_precision(rows: list[dict], weights: np.ndarray, bias: float, threshold: float) -> float:
    """Precision of the abstentions the decision adds (the model's own NOT FOUND aside:
    no threshold changes those), all sets pooled; nan when it adds none."""
    added = [r for r in rows if usable(r) and probability(r, weights, bias) >= threshold]
    return sum(not r["answerable"] for r in added) / len(added) if added else float("nan")


def choose_threshold(rows: list[dict], weights: np.ndarray, bias: float) -> float:
    """The threshold with the best mean score over the sets among those whose added
    abstentions are right at least MIN_PRECISION of the time."""
    best, best_score = 1.01, -1.0
    for threshold in np.linspace(0.05, 0.99, 95):
        precision = added_precision(rows, weights, bias, threshold)
        precise = np.isnan(precision) or precision >= MIN_PRECISION
        score = np.mean(
            [outcome([r for r in rows if r["set"] == s], weights, bias, threshold)["f1"] for s in sets(rows)]
        )
        if precise and score > best_score:
            best, best_score = float(threshold), float(score)
    return best


def sets(rows: list[dict]) -> list[str]:
    return sorted({r["set"] for r in rows})


def report(label: str, rows: list[dict], weights: np.ndarray, bias: float, threshold: float) -> None:
    for name in sets(rows):
        mine = [r for r in rows if r["set"] == name]
        before = outcome(mine, weights, bias, 1.01)
        after = outcome(mine, weights, bias, threshold)
        print(
            f"{label} {name:<16} n={after['n']:>4}  F1 {before['f1']:.3f} -> {after['f1']:.3f}  "
            f"right {before['right']:.3f} -> {after['right']:.3f}  abstention P {after['precision']:.2f} "
            f"R {after['recall']:.2f}  answerable refused {after['answerable_refused']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tune", nargs="+", required=True)
    parser.add_argument("--test", nargs="*", default=[])
    parser.add_argument(
        "--keep-weights",
        action="store_true",
        help="keep tuning.answer's weights and bias and choose only the threshold (few tune rows)",
    )
    args = parser.parse_args()
    tune = load(args.tune)
    if args.keep_weights:
        answer = Tuning().answer
        weights, bias = np.array(answer.abstain_weights, dtype=float), float(answer.abstain_bias)
    else:
        weights, bias = fit([r for r in tune if usable(r)])
    threshold = choose_threshold(tune, weights, bias)
    print("features:", ", ".join(FEATURES))
    print(
        f'--set answer.abstain_weights="{" ".join(f"{w:.2f}" for w in weights)}" '
        f"--set answer.abstain_bias={bias:.2f} --set answer.abstain_threshold={threshold:.2f}"
    )
    report("tune", tune, weights, bias, threshold)
    if args.test:
        report("test", load(args.test), weights, bias, threshold)


if __name__ == "__main__":
    main()
