"""`iamlint policies`: read Terraform, show its policies, report input errors.

(`iamlint check` lives with the rules, in iamlint/checks/commands.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iamlint.terraform.project import Project
from iamlint.terraform.project_cache import load_project_cached

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2

paths_argument = click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
var_file_option = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A .tfvars file whose values apply to the root modules (repeatable).",
)


def load(paths: tuple[Path, ...], var_files: tuple[Path, ...]) -> Project:
    return load_project_cached(list(paths) or [Path(".")], list(var_files))


def report_errors(project: Project) -> None:
    for error in project.errors:
        click.echo(f"error: {error}", err=True)


@click.command()
@paths_argument
@var_file_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def policies(paths: tuple[Path, ...], var_files: tuple[Path, ...], output_format: str) -> None:
    """List every IAM policy the Terraform under PATHS defines, and what it is attached to."""
    from iamlint.report.records import render_json, render_text

    project = load(paths, var_files)
    render = render_json if output_format == "json" else render_text
    sys.stdout.write(render(project))
    report_errors(project)
    sys.exit(EXIT_INPUT if project.errors else EXIT_OK)
