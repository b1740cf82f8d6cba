"""The `iamlint` command: wires the layers together and holds no logic of its own.

Each command group lives next to the layer it drives (``iamlint/<layer>/commands.py``) and is
registered here, so this file stays a table of contents.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from iamlint import __version__


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    try:
        from iamlint.policy.catalog import catalog_version
    except ImportError:  # the catalog layer is optional while it is being built
        click.echo(f"iamlint {__version__}")
    else:
        from iamlint.policy.managed import dataset_version

        click.echo(
            f"iamlint {__version__} (IAM action catalog {catalog_version()}; "
            f"AWS managed policies {dataset_version()})"
        )
    ctx.exit(0)


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it).

    `iamlint policies` on a cached repository must not pay for importing the parser, the
    usage importers and the linter; start-up time is most of a pre-commit run.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


# command name -> "module:attribute"; add new commands here.
COMMANDS = {
    "policies": "iamlint.terraform.commands:policies",
    "check": "iamlint.checks.commands:check",
    "rules": "iamlint.checks.commands:rules",
    "explain": "iamlint.checks.commands:explain",
    "baseline": "iamlint.checks.commands:baseline",
    "diff-access": "iamlint.checks.commands:diff_access",
    "access": "iamlint.checks.access:access",
    "usage": "iamlint.usage.commands:usage",
    "fix": "iamlint.fix.commands:fix",
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the IAM action catalog's data version.",
)
def main() -> None:
    """Move Terraform-managed IAM toward least privilege, with evidence and in stages."""


def run() -> None:
    """The console entry point: an unexpected error is reported in one line, never as a
    traceback (set IAMLINT_DEBUG=1 to see it)."""
    import os
    import sys

    try:
        # Not click's standalone mode, which ends an interrupt with "Aborted!" and exit 1: an
        # interrupted command exits 130, as shells and CI expect (128 + SIGINT).
        code = main(standalone_mode=False)
    except SystemExit:
        raise
    except click.ClickException as err:  # bad usage: shown as click shows it, exit 2
        err.show()
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `iamlint ... | head`: the reader left; end quietly, as click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as err:  # the last line of defence; every known failure is handled below
        if os.environ.get("IAMLINT_DEBUG"):
            details = getattr(err, "details", "")  # e.g. a worker process's own traceback
            if details:
                click.echo(details, err=True)
            raise
        click.echo(
            f"iamlint: internal error: {type(err).__name__}: {err}\n"
            "iamlint: this is a bug; rerun with IAMLINT_DEBUG=1 for details and report it.",
            err=True,
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
