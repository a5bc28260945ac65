from __future__ import annotations

from pathlib import Path

import pytest

from docq.config import KNOBS, Settings, describe, load_settings
from docq.errors import UsageError


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[docq]\ntop_k = 7\nn_ctx = 4096\nroute = 'memo'\n")
    env = {"DOCQ_TOP_K": "9", "DOCQ_CONFIG": str(config)}
    s = load_settings({"route": "full"}, env=env)
    assert (s.route, s.top_k, s.n_ctx, s.chunk_tokens) == ("full", 9, 4096, 200)
    assert s.sources["route"] == "flag" and s.sources["top_k"] == "env"
    assert s.sources["n_ctx"] == "config" and s.sources["chunk_tokens"] == "default"


def test_every_setting_has_an_env_name_and_doctor_row() -> None:
    assert {k.env for k in KNOBS.values()} >= {"DOCQ_HOME", "DOCQ_MODEL", "DOCQ_KV_TYPE", "DOCQ_LLM_URL"}
    rows = describe(Settings())
    assert [r[0] for r in rows] == list(KNOBS)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DOCQ_KV_TYPE": "q3"}, "kv_type must be one of"),
        ({"DOCQ_TOP_K": "many"}, "DOCQ_TOP_K: invalid value"),
        ({"DOCQ_REORDER": "perhaps"}, "reorder must be one of auto, on, off"),
        ({"DOCQ_FOLLOW_SYMLINKS": "perhaps"}, "expected true or false"),
        ({"DOCQ_LLM_URL": "localhost:8080"}, "must start with http"),
        ({"DOCQ_CHUNK_OVERLAP": "150"}, "chunk_overlap"),
    ],
)
def test_bad_values_name_their_source(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=message):
        load_settings(env=env, config_file=tmp_path / "none.toml")


def test_broken_or_unknown_config_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("top_k = [")
    with pytest.raises(UsageError, match="cannot read config file"):
        load_settings(env={}, config_file=bad)
    bad.write_text("topk = 3\n")
    with pytest.raises(UsageError, match="unknown setting 'topk'"):
        load_settings(env={}, config_file=bad)
    bad.write_bytes(b'model = "\xff\xfe"\n')  # not UTF-8: one line, not a traceback
    with pytest.raises(UsageError, match="not UTF-8"):
        load_settings(env={}, config_file=bad)


def test_overrides_are_checked_as_flags_are(tmp_path: Path) -> None:
    from docq.config import with_overrides

    base = load_settings(env={}, config_file=tmp_path / "none.toml")
    assert with_overrides(base, {"route": "rag", "top_k": "6"}).top_k == 6
    for bad in ({"route": "sideways"}, {"top_k": 0}, {"no_such": 1}):
        with pytest.raises(UsageError):
            with_overrides(base, bad)


@pytest.mark.parametrize("assignment", ["retrieval.rrf_k=-1", "router.tokenizer_margin=nan", "answer.abstain_bias=inf"])
def test_a_decision_constant_out_of_range_is_a_usage_error(assignment: str) -> None:
    from docq.tuning import Tuning, parse_assignments

    with pytest.raises(UsageError, match="must be between"):
        Tuning().with_values(parse_assignments([assignment]))


def test_booleans_and_paths(tmp_path: Path) -> None:
    s = load_settings(env={"DOCQ_REORDER": "off", "DOCQ_HOME": "~/x"}, config_file=tmp_path / "none.toml")
    assert s.reorder == "off"
    assert s.data_dir == Path("~/x").expanduser()
