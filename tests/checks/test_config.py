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


# --- found where the user expects, and nowhere else --------------------------------------------

ADMIN = """\
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "*", Resource = "*" } ] })
}
"""


def test_outside_git_the_search_stops_at_the_scanned_folder(tmp_path, monkeypatch):
    # A shared temporary folder two levels up holds a configuration that ignores everything.
    write(tmp_path / ".iamlint.toml", 'ignore = ["W", "P", "T", "G", "V", "U", "A"]\n')
    scanned = tmp_path / "ci-job" / "checkout"
    scanned.mkdir(parents=True)
    (scanned / "main.tf").write_text(ADMIN)
    assert find_config(scanned) is None
    monkeypatch.chdir(scanned)
    from click.testing import CliRunner

    from iamlint.cli import main

    result = CliRunner().invoke(main, ["check", ".", "--verbose"])
    assert result.exit_code == 1 and "W201" in result.output
    assert f"configuration: none (no .iamlint.toml or pyproject.toml with [tool.iamlint] up to " \
           f"the repository root {scanned.resolve()})" in result.output  # fmt: skip


def test_verbose_names_the_configuration_in_use(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    config = write(tmp_path / "pyproject.toml", "[tool.iamlint]\nfail-on = 'high'\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(ADMIN)
    monkeypatch.chdir(tmp_path)
    from click.testing import CliRunner

    from iamlint.cli import main

    result = CliRunner().invoke(main, ["check", "infra", "-v"])
    assert f"iamlint: configuration: {config.resolve()}" in result.output
    quiet = CliRunner().invoke(main, ["check", "infra"])
    assert "configuration:" not in quiet.output


@pytest.mark.parametrize(
    ("name", "text", "expected", "line"),
    [
        ("pyproject.toml", '# top\ntool = 5\n\n[project]\nname = "x"\n', "tool must be a table", 2),
        (".iamlint.toml", "fail-on = 'high'\ntool = 5\n", "unknown key 'tool'", 2),
    ],
)
def test_a_tool_key_that_is_not_a_table_is_a_config_error(tmp_path, name, text, expected, line):
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as err:  # an internal error before
        load_config(path)
    assert expected in str(err.value) and err.value.line == line


def test_a_pyproject_whose_tool_is_not_a_table_is_not_the_configuration(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "tool = 5\n")
    assert load_config(None, start=tmp_path).source is None


def test_an_unreadable_pyproject_on_the_way_is_an_error_naming_it(tmp_path, monkeypatch):
    from iamlint.checks import config as config_module
    from iamlint.terraform.errors import InputError

    (tmp_path / ".git").mkdir()
    pyproject = write(tmp_path / "pyproject.toml", "[tool.iamlint]\nignore = ['W']\n")
    (tmp_path / "infra").mkdir()
    real = config_module.read_regular

    def denied(path, display, *args):
        if Path(path) == pyproject:
            raise InputError(display, 1, 1, "cannot read file: Permission denied")
        return real(path, display, *args)

    monkeypatch.setattr(config_module, "read_regular", denied)  # as root, chmod would not stop it
    with pytest.raises(ConfigError) as err:
        load_config(None, start=tmp_path / "infra")
    assert err.value.file == str(pyproject)
    assert "Permission denied; it may hold [tool.iamlint]" in str(err.value)


def test_a_pyproject_above_the_repository_is_never_read(tmp_path, monkeypatch):
    from iamlint.checks import config as config_module

    write(tmp_path / "pyproject.toml", "[tool.iamlint]\nignore = ['W']\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    read: list[Path] = []
    real = config_module.read_regular
    monkeypatch.setattr(
        config_module, "read_regular", lambda path, *a: read.append(Path(path)) or real(path, *a)
    )
    assert load_config(None, start=repo).source is None
    assert read == []


def test_a_configuration_linked_from_outside_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(tmp_path / "evil.toml", "ignore = ['W']\n")
    (repo / ".iamlint.toml").symlink_to("../evil.toml")
    with pytest.raises(ConfigError, match="symlink points outside the repository"):
        load_config(None, start=repo)


def test_a_fifo_configuration_is_an_error_not_a_hang(tmp_path):
    import os

    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / ".iamlint.toml")
    with pytest.raises(ConfigError, match=r"named pipe \(FIFO\), not a regular file"):
        load_config(None, start=tmp_path)
