"""`iamlint check`, `iamlint rules`, `iamlint explain ID`, `iamlint baseline create`.

Exit codes: 0 nothing at or above the fail-on threshold, 1 findings, 2 usage or input errors
(a bad option or configuration, unreadable input, a rule family that failed).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from iamlint.checks.baseline import BaselineError, render_baseline
from iamlint.checks.changes import GitError
from iamlint.checks.config import LoadedConfig
from iamlint.checks.options import (
    config_option,
    fail,
    load_config_or_fail,
    paths_argument,
    regular_files,
    var_file_option,
)
from iamlint.checks.registry import CatalogError, Registry, Rule, SelectorError, load_registry
from iamlint.checks.result import CheckResult
from iamlint.checks.runner import CheckOptions, run_check

FORMATS = ("text", "json", "sarif", "github", "junit")
SEVERITIES = ("info", "low", "medium", "high", "critical")
DEFAULT_BASELINE = ".iamlint-baseline.json"

usage_option = click.option(
    "--usage",
    "usage_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    callback=regular_files,
    help="A usage snapshot (`iamlint usage import`) to compare grants with (repeatable: "
    "snapshots are merged). Enables the usage rules U601-U606.",
)


def _split(values: tuple[str, ...]) -> list[str]:
    """`--select W2,P --select T401` → ["W2", "P", "T401"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _registry(loaded: LoadedConfig) -> Registry:
    try:
        return load_registry([Path(p) for p in loaded.config.rule_packs])
    except CatalogError as err:
        fail(f"rule pack {err}")


def _run(options: CheckOptions, registry: Registry) -> CheckResult:
    try:
        return run_check(options, registry)
    except (SelectorError, BaselineError) as err:
        fail(str(err))
    except GitError as err:
        fail(f"--since {options.since}: {err}")


def _renderer(output_format: str, colour: bool) -> Callable[[CheckResult], str]:
    """The chosen format's renderer; only its module is imported (start-up is most of a
    pre-commit run)."""
    if output_format == "text":
        from iamlint.report import text

        return lambda r: text.render_text(r, colour=colour)
    module, function = {
        "json": ("json_report", "render_json"),
        "sarif": ("sarif", "render_sarif"),
        "github": ("github", "render_github"),
        "junit": ("junit", "render_junit"),
    }[output_format]
    render: Callable[[CheckResult], str] = getattr(
        importlib.import_module(f"iamlint.report.{module}"), function
    )
    return render


def _colour(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command()
@paths_argument
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option("--select", multiple=True, help="Rules to run: ids, prefixes (W2, P) or names.")
@click.option("--ignore", multiple=True, help="Rules not to run (added to the configuration's).")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Lowest severity that makes the exit code 1 (default: info, every finding).",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=regular_files,
    help="Report only findings not in this baseline (see `iamlint baseline create`).",
)
@click.option("--since", metavar="REF", help="Report only findings on lines changed since REF.")
@var_file_option
@usage_option
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing.")
@config_option
@click.option("-v", "--verbose", is_flag=True, help="Say which configuration file is used.")
def check(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    baseline: Path | None,
    since: str | None,
    var_files: tuple[Path, ...],
    usage_files: tuple[Path, ...],
    statistics: bool,
    config_file: Path | None,
    verbose: bool,
) -> None:
    """Lint the IAM policies of the Terraform under PATHS (default: the current folder).

    Files given by name (as pre-commit passes them) are read with the rest of their module,
    and only findings in those files are reported."""
    if statistics and output_format not in ("text", "json"):
        fail("--statistics works with --format text or json")
    loaded = load_config_or_fail(config_file, paths)
    if verbose:
        click.echo(describe_config(loaded), err=True)
    config = loaded.config
    changes: dict[str, object] = {"ignore": [*config.ignore, *_split(ignore)]}
    if select:
        changes["select"] = _split(select)
    if fail_on:
        changes["fail_on"] = fail_on
    config = dataclasses.replace(config, **changes)
    registry = _registry(loaded)
    options = CheckOptions(
        paths=list(paths),
        config=config,
        var_files=list(var_files),
        baseline=baseline,
        since=since,
        usage=_load_usage(usage_files),
    )
    result = _run(options, registry)
    if options.usage is not None and output_format in ("sarif", "json"):
        # Machine-read reports carry the proven patches as fixes on the usage findings.
        from iamlint.fix.attach import attach_fixes

        attach_fixes(result.findings, list(paths), list(var_files), options.usage, config)
    if statistics:
        from iamlint.report.json_report import check_json
        from iamlint.report.text import render_statistics

        if output_format == "json":
            rendered = json.dumps({"statistics": check_json(result)["statistics"]}, indent=2)
            rendered += "\n"
        else:
            rendered = render_statistics(result)
    else:
        rendered = _renderer(output_format, _colour(output))(result)
    if result.problems:
        # Every format carries them too; stderr is where a person (or pre-commit) looks,
        # and before the report so that the summary's "see above" holds on a terminal.
        from iamlint.report.text import render_problems

        click.echo(render_problems(result), err=True, nl=False)
        sys.stderr.flush()
    _emit(rendered, output)
    sys.exit(result.exit_code)


def describe_config(loaded: LoadedConfig) -> str:
    """`--verbose`: the configuration file in use, or where the search for one stopped."""
    if loaded.source is not None:
        return f"iamlint: configuration: {loaded.source}"
    if loaded.searched_up_to is not None:
        return (
            "iamlint: configuration: none (no .iamlint.toml or pyproject.toml with "
            f"[tool.iamlint] up to the repository root {loaded.searched_up_to}): defaults"
        )
    return "iamlint: configuration: defaults"


def _load_usage(files: tuple[Path, ...]) -> object:
    """The snapshots given with --usage, merged; None without any. Bad evidence is a usage
    error (exit 2): judging grants against a snapshot that was only partly read would report
    the unread part's actions as unused."""
    if not files:
        return None
    from iamlint.usage.errors import UsageInputError
    from iamlint.usage.merge import merge_snapshots
    from iamlint.usage.snapshot import load_snapshot

    try:
        loaded = [(str(path), load_snapshot(path)) for path in files]
        return loaded[0][1] if len(loaded) == 1 else merge_snapshots(loaded)
    except UsageInputError as err:
        fail(f"--usage {err}")


def _emit(rendered: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    try:
        output.write_text(rendered, "utf-8")
    except OSError as err:
        fail(f"cannot write {output}: {err.strerror}")


@click.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@config_option
def rules(output_format: str, config_file: Path | None) -> None:
    """List every rule: id, name, default severity and title."""
    registry = _registry(load_config_or_fail(config_file, ()))
    if output_format == "json":
        data = [rule.to_json() for rule in registry.rules.values()]
        sys.stdout.write(json.dumps({"rules": data}, indent=2, ensure_ascii=False) + "\n")
        return
    lines = []
    for family in registry.families():
        if lines:
            lines.append("")
        lines.append(family)
        for rule in registry.rules.values():
            if rule.family == family:
                lines.append(f"  {rule.id:<6} {rule.name:<36} {rule.severity!s:<8} {rule.title}")
    sys.stdout.write("\n".join(lines) + "\n")


def explain_text(rule: Rule) -> str:
    lines = [
        f"{rule.id} {rule.name} ({rule.severity}, {rule.family})",
        "",
        rule.title,
        "",
        rule.rationale,
        "",
        "Example (flagged):",
        *[f"    {line}" for line in rule.example_bad.splitlines()],
        "",
        "Instead:",
        *[f"    {line}" for line in rule.example_good.splitlines()],
        "",
        f"Fix: {rule.fix}",
    ]
    if rule.references:
        lines += ["", "References:"]
        lines += [f"  - {r.title}" + (f" <{r.url}>" if r.url else "") for r in rule.references]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("rule_id", metavar="ID")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@config_option
def explain(rule_id: str, output_format: str, config_file: Path | None) -> None:
    """Explain one rule: why it matters, an example, and the fix (ID or name)."""
    registry = _registry(load_config_or_fail(config_file, ()))
    rule = registry.get(rule_id)
    if rule is None:
        hint = registry.suggest(rule_id)
        fail(f"no rule {rule_id!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    if output_format == "json":
        sys.stdout.write(json.dumps(rule.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(explain_text(rule))


@click.group()
def baseline() -> None:
    """Record current findings so that `check --baseline` fails only on new ones."""


@baseline.command("create")
@paths_argument
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=DEFAULT_BASELINE,
    show_default=True,
)
@var_file_option
@usage_option
@config_option
def baseline_create(
    paths: tuple[Path, ...],
    output: Path,
    var_files: tuple[Path, ...],
    usage_files: tuple[Path, ...],
    config_file: Path | None,
) -> None:
    """Write every current finding under PATHS to a baseline file."""
    loaded = load_config_or_fail(config_file, paths)
    registry = _registry(loaded)
    options = CheckOptions(
        paths=list(paths),
        config=loaded.config,
        var_files=list(var_files),
        usage=_load_usage(usage_files),
    )
    result = _run(options, registry)
    _emit(render_baseline(result.findings), output)
    click.echo(f"Wrote {len(result.findings)} findings to {output}.", err=True)
    if result.problems:
        from iamlint.report.text import render_problems

        click.echo(render_problems(result), err=True, nl=False)
        click.echo(
            "The baseline may be incomplete: fix the errors above, then create it again.", err=True
        )
    sys.exit(2 if result.problems else 0)


@click.command("diff-access")
@click.argument("ref")
@paths_argument
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@var_file_option
def diff_access(
    ref: str, paths: tuple[Path, ...], output_format: str, var_files: tuple[Path, ...]
) -> None:
    """Per principal, the access the working tree adds and removes compared with git REF.

    Semantic: reordering or splitting statements adds nothing."""
    from iamlint.checks import diff_access as diff

    try:
        before, after = diff.load_at_ref(ref, list(paths), list(var_files), Path.cwd())
    except GitError as err:
        fail(f"{ref}: {err}")
    diffs = diff.diff_projects(before, after)
    if output_format == "json":
        data = {"format_version": 1, "ref": ref, "principals": [d.to_json() for d in diffs]}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(diff.render_text(diffs))
    for error in after.errors:
        click.echo(f"error: {error}", err=True)
    sys.exit(2 if after.errors else 0)
