"""The CLI: Typer's CliRunner for fast checks, the real console script for the e2e path."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from docq.cli import app

from .conftest import ROOT, SAMPLES

SCHEMA = json.loads((ROOT / "docs" / "answer.schema.json").read_text())
ANSI = re.compile(r"\x1b\[")
runner = CliRunner()


def test_help_lists_commands_and_examples() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "ask", "status", "forget", "doctor", "eval", "reindex", "cache"):
        assert command in result.output
    assert "Exit codes" in result.output


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "ask", "--route", "sideways", "why?"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "route must be one of auto, rag, memo, full" in result.output


def test_reading_a_folder_without_an_index_says_so_and_creates_nothing(tmp_path: Path) -> None:
    mistyped = tmp_path / "no-such-index"
    for command in (["ask", "anything?"], ["status"]):
        result = runner.invoke(app, ["--data-dir", str(mistyped), *command])
        assert result.exit_code == 1
        assert "no docq index here; run `docq ingest PATH` first" in result.output
    assert not mistyped.exists()


def test_ingest_reports_failures_with_exit_4(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.txt").write_text("The lighthouse keeper was named Abel.")
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "ingest", str(docs), "--json"])
    assert result.exit_code == 4
    report = json.loads(result.stdout.splitlines()[0])
    assert report["added"] == 1 and report["failed"][0]["path"].endswith("bad.pdf")
    status = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "status", "--json"])
    data = json.loads(status.stdout)
    assert data["files"] == 1 and data["consistent"] is True and data["vectors"] == data["chunks"]


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    docs = data.parent / "samples"
    shutil.copytree(SAMPLES, docs)
    result = runner.invoke(app, ["--data-dir", str(data), "ingest", str(docs)])
    assert result.exit_code == 0, result.output
    return data


@pytest.mark.e2e
def test_ask_json_matches_the_public_schema(run_cli, sample_index: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("ask", "--json", "Who was the duke in the battle of Hastings?", data_dir=sample_index)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    jsonschema.validate(answer, SCHEMA)
    assert "William" in answer["answer"]
    assert answer["citations"][0]["source"].endswith("normans.txt")
    assert answer["tokens"]["prompt"] > 0 and answer["timings_ms"]["total"] > 0
    assert result.stderr.startswith("route: ")  # diagnostics on stderr only


@pytest.mark.e2e
def test_piped_output_is_plain_and_stdin_questions_work(run_cli, sample_index: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("ask", data_dir=sample_index, input="When was the Duchy of Normandy founded?\n")
    assert result.returncode == 0, result.stderr
    assert not ANSI.search(result.stdout)
    assert "911" in result.stdout.splitlines()[0]
    assert "Sources:" in result.stdout and "normans.txt" in result.stdout


@pytest.mark.e2e
def test_unanswerable_question_abstains_with_exit_3(run_cli, sample_index: Path) -> None:  # type: ignore[no-untyped-def]
    # An unanswerable question of ../shared/eval/squad-normans (the article has no 1000's).
    result = run_cli("ask", "--json", "Who gave their name to Normandy in the 1000's and 1100's", data_dir=sample_index)
    assert result.returncode == 3
    answer = json.loads(result.stdout)
    jsonschema.validate(answer, SCHEMA)
    assert answer["abstained"] is True and answer["answer"] == ""
    assert "1000's" in answer["route_reason"]


@pytest.mark.e2e
def test_chat_answers_one_question_per_line_with_everything_kept_loaded(run_cli, sample_index: Path) -> None:  # type: ignore[no-untyped-def]
    questions = "In what country is Normandy located?\nWho was the duke in the battle of Hastings?\n"
    result = run_cli("chat", "--json", "--model", "smollm2-135m", data_dir=sample_index, input=questions)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 2 and all(jsonschema.validate(a, SCHEMA) is None for a in answers)
    assert result.stderr.count("route: ") == 2
    # the second question reuses the system prompt's state already in the model's context
    assert answers[1]["tokens"]["cached"] > 0


@pytest.mark.slow
def test_the_library_keeps_its_models_and_index_across_questions(sample_index: Path) -> None:
    from docq.library import Library

    from .conftest import make_settings

    with Library(settings=make_settings(sample_index, model="smollm2-135m")) as docs:
        docs.ask("In what country is Normandy located?")
        llm, index, embedder = docs.llm, docs.index, docs.embedder
        second = docs.ask("Who was the duke in the battle of Hastings?")
        assert docs.llm is llm and docs.index is index and docs.embedder is embedder
        assert second.tokens.cached > 0


@pytest.mark.slow
def test_the_library_applies_the_route_setting(sample_index: Path) -> None:
    from docq.library import Library
    from docq.types import Route

    from .conftest import make_settings

    with Library(settings=make_settings(sample_index, model="smollm2-135m"), route="memo") as docs:
        answer = docs.ask("In what country is Normandy located?")
        assert answer.route is Route.MEMO and "forced" in answer.route_reason
