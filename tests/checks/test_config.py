from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.checks.config import ConfigError, find_config, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_pyproject_tool_table(tmp_path):
    pack = tmp_path / "packs" / "org.json"
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.iamlint]\nselect = ["W", "P3"]\nignore = "W204"\n'
        'fail-on = "HIGH"\nmax-session-duration = 7200\nrequired-boundary = "arn:*:boundary"\n'
        'approved-regions = ["eu-west-1"]\nrule-packs = ["packs/org.json"]\n\n'
        '[tool.iamlint.severity]\nw203 = "low"\n',
    )
    loaded = load_config(None, start=tmp_path)
    config = loaded.config
    assert loaded.source == tmp_path / "pyproject.toml"
    assert config.select == ["W", "P3"] and config.ignore == ["W204"]
    assert config.fail_on == "high" and config.max_session_duration == 7200
    assert config.severity == {"W203": "low"}
    assert config.rule_packs == [str(pack.resolve())]


def test_iamlint_toml_wins_and_search_stops_at_repo_root(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.iamlint]\nselect = ['P']\n")
    write(tmp_path / ".iamlint.toml", "select = ['W']\n")
    sub = tmp_path / "infra" / "prod"
    sub.mkdir(parents=True)
    assert find_config(sub) == tmp_path / ".iamlint.toml"
    assert load_config(None, start=sub).config.select == ["W"]
    outside = tmp_path / "repo2"
    (outside / ".git").mkdir(parents=True)
    assert find_config(outside) is None


def test_pyproject_without_table_is_skipped(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_config(None, start=tmp_path).source is None


def test_unknown_key_names_file_line_and_suggestion(tmp_path):
    path = write(tmp_path / ".iamlint.toml", 'select = ["W"]\nfail_on = "high"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.line == 2
    assert "unknown key 'fail_on'; did you mean 'fail-on'?" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fail-on = 'severe'", "fail-on must be one of"),
        ("max-session-duration = 60", "between 900 and 43200"),
        ("select = [1]", "select must be a list of strings"),
        ("[severity]\nW203 = 'urgent'", "severity must be a table"),
        ("select = [", "not valid TOML"),
    ],
)
def test_bad_values(tmp_path, text, expected):
    path = write(tmp_path / ".iamlint.toml", text + "\n")
    with pytest.raises(ConfigError, match=expected):
        load_config(path)
