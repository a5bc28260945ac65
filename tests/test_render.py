"""What documents and file names hold is shown, never obeyed by the terminal: control
characters come out escaped in every listing and answer, and JSON stays JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

from typer.testing import CliRunner

from docq.cli import app
from docq.render import console_for, render_answer, visible
from docq.types import Answer, Citation, Route, Timings, TokenCounts

runner = CliRunner()
ESC = "\x1b"
HOSTILE_NAME = f"notes{ESC}]0;owned{chr(7)}\nfake line.txt"


def test_visible_escapes_what_would_act_on_a_terminal() -> None:
    assert visible(f"a{ESC}[31mred\rb\u202ec") == "a\\x1b[31mred\\x0db\\u202ec"
    assert visible("two\nlines\tand tab") == "two\\x0alines\\x09and tab"
    assert visible("two\nlines", lines=True) == "two\nlines"
    assert visible("Café – naïve ✓") == "Café – naïve ✓"  # text is untouched


def test_status_lists_a_hostile_file_name_on_its_own_lines(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / HOSTILE_NAME).write_text(f"# Title with {ESC}[2J a clear-screen\n\nRouen is in Normandy.")
    data = tmp_path / "data"
    assert runner.invoke(app, ["--data-dir", str(data), "ingest", str(docs)]).exit_code == 0
    listing = runner.invoke(app, ["--data-dir", str(data), "status", "--files"])
    assert listing.exit_code == 0
    assert ESC not in listing.output and chr(7) not in listing.output
    entries = [line for line in listing.output.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert len(entries) == 1 and "\\x1b]0;owned\\x07\\x0afake line.txt" in entries[0]
    as_json = runner.invoke(app, ["--data-dir", str(data), "status", "--files", "--json"])
    names = [f["path"] for f in json.loads(as_json.stdout)["file_list"]]
    assert names == [str(docs / HOSTILE_NAME)]  # JSON carries the name exactly


def test_answers_and_citations_show_control_characters_escaped() -> None:
    answer = Answer(
        text=f"Rouen{ESC}[2J",
        abstained=False,
        route=Route.RAG,
        route_reason="",
        citations=[
            Citation(source=f"/d/{HOSTILE_NAME}", page=None, chunk_id="c", text=f"quote {ESC}[5m", title=f"T{ESC}")
        ],
        timings_ms=Timings(0, 0, 0, 0),
        tokens=TokenCounts(0, 0, 0),
        model="m",
    )
    for plain in (True, False):
        out = io.StringIO()
        render_answer(answer, console_for(out), plain=plain)
        assert ESC not in out.getvalue() and "\\x1b" in out.getvalue()
