"""What the linter's commands (`check`, `rules`, `explain`, `baseline`, `diff-access`,
`access`) share on the command line: their arguments and options, and how a usage error ends
a command (a message on stderr, exit code 2)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from iamlint.terraform.files import not_regular

if TYPE_CHECKING:
    from iamlint.checks.config import LoadedConfig

EXIT_USAGE = 2


def regular_files(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """A callback for options naming files to read: an existing one must be a regular file (a
    FIFO would block the read forever, /dev/zero never ends). The user's own choice otherwise:
    it may be outside the repository."""
    for path in value if isinstance(value, tuple) else (value,):
        reason = not_regular(path) if path is not None else None
        if reason is not None:
            raise click.BadParameter(
                f"{path} is {reason}, not a regular file: iamlint reads only regular files"
            )
    return value


paths_argument = click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
var_file_option = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=regular_files,
    help="A .tfvars file whose values apply to the root modules (repeatable).",
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=regular_files,
    help="Configuration file (default: the nearest .iamlint.toml, or pyproject.toml with "
    "[tool.iamlint]).",
)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def load_config_or_fail(config_file: Path | None, paths: tuple[Path, ...]) -> LoadedConfig:
    """The configuration for PATHS (``--config``, else the nearest file from the first path);
    a bad one is a usage error."""
    from iamlint.checks.config import ConfigError, load_config

    try:
        return load_config(config_file, start=paths[0] if paths else Path.cwd())
    except ConfigError as err:
        fail(str(err))
