"""The `iamlint` command: wires the layers together and holds no logic of its own.

Each command group lives next to the layer it drives (``iamlint/<layer>/commands.py``) and is
registered here, so this file stays a table of contents.
"""

from __future__ import annotations

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
        click.echo(f"iamlint {__version__} (IAM action catalog {catalog_version()})")
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    from iamlint.terraform.commands import check, policies

    main.add_command(policies)
    main.add_command(check)
    from iamlint.usage.commands import usage

    main.add_command(usage)


_register()
