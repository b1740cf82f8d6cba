"""The console script's endings: exit codes and messages a shell or CI relies on."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from iamlint import cli


def _run_with(monkeypatch, raised: BaseException, argv: list[str] | None = None) -> int:
    def failing(*args, **kwargs):
        raise raised

    monkeypatch.setattr(cli, "main", failing)
    monkeypatch.setattr(sys, "argv", ["iamlint", *(argv or [])])
    with pytest.raises(SystemExit) as ended:
        cli.run()
    return ended.value.code


def test_an_interrupt_exits_130(monkeypatch, capsys):
    assert _run_with(monkeypatch, KeyboardInterrupt()) == 130
    assert _run_with(monkeypatch, click.exceptions.Abort()) == 130
    assert "Aborted!" in capsys.readouterr().err


def test_an_unexpected_error_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.delenv("IAMLINT_DEBUG", raising=False)
    assert _run_with(monkeypatch, RuntimeError("boom")) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_usage_errors_help_and_version_keep_their_codes():
    def console(*args: str) -> subprocess.CompletedProcess[str]:
        code = "import sys; from iamlint.cli import run; sys.argv[0] = 'iamlint'; run()"
        return subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
        )

    assert console("--help").returncode == 0
    assert console("--version").returncode == 0
    bad = console("check", "--no-such-option")
    assert bad.returncode == 2 and "No such option" in bad.stderr
    missing = console("fix", ".")
    assert missing.returncode == 2 and "--usage" in missing.stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    """`iamlint ... | head`: a broken pipe is exit 1 with nothing on stderr, as with click."""
    code = (
        "import sys; from iamlint import cli\n"
        "def main(**kwargs): raise BrokenPipeError(32, 'Broken pipe')\n"
        "cli.main = main; cli.run()"
    )
    ended = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert ended.returncode == 1 and ended.stderr == ""
