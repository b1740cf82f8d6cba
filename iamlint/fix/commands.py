"""`iamlint fix`: staged least-privilege patches to the user's own files, proven first."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from iamlint.checks.options import config_option, load_config_or_fail, regular_files
from iamlint.fix.apply import unified_diff, write_patched
from iamlint.fix.engine import FixResult
from iamlint.fix.engine import fix as run_fix
from iamlint.fix.planner import STAGES, StatementPlan
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import Repository

EXIT_OK, EXIT_INPUT = 0, 2


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--usage",
    "usage_path",
    required=True,
    type=click.Path(path_type=Path),
    callback=regular_files,
    help="A usage snapshot (`iamlint usage import ...`).",
)
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=None,
    help="service: cut to the services used; action: exactly the actions used.",
)
@click.option(
    "--grant-denied",
    is_flag=True,
    help="Instead of narrowing: add the grant each observed AccessDenied needed (a labelled "
    "widening; SCP, boundary, explicit and resource-policy denials are reported, never granted).",
)
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="Only this principal (Terraform address); repeatable.",
)
@click.option(
    "--keep",
    "keep",
    multiple=True,
    help="An action or pattern never to remove (e.g. iam:PassRole); repeatable.",
)
@click.option(
    "--diff",
    "mode",
    flag_value="diff",
    default=True,
    help="Print the patch as a unified diff (the default).",
)
@click.option("--write", "mode", flag_value="write", help="Edit the files in place.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["diff", "json", "github-suggestions"]),
    default="diff",
    show_default=True,
    help="How to print the patch (with --diff): a unified diff, JSON with the plans, or "
    "pull-request review suggestions.",
)
@click.option(
    "--recent-days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    help="Keep anything written in the last N days (git blame): too new for the evidence. "
    "0 turns the margin off.",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    callback=regular_files,
)
@config_option
def fix(
    paths: tuple[Path, ...],
    usage_path: Path,
    stage: str | None,
    grant_denied: bool,
    addresses: tuple[str, ...],
    keep: tuple[str, ...],
    mode: str,
    output_format: str,
    recent_days: int,
    var_files: tuple[Path, ...],
    config_file: Path | None,
) -> None:
    """Narrow the IAM policies under PATHS to what the usage evidence shows, one stage at a time.

    Every patch is proven before it is shown: it allows nothing the original did not, keeps
    every observed action, and a second run changes nothing. Actions the evidence could not
    see (iam:PassRole, data events that were off...) are kept and named.
    """
    from iamlint.policy.catalog import default_catalog
    from iamlint.usage.errors import UsageInputError
    from iamlint.usage.snapshot import load_snapshot

    if (stage is None) == (not grant_denied):
        click.echo("error: give exactly one of --stage and --grant-denied", err=True)
        sys.exit(EXIT_INPUT)
    stage = stage or "grant"
    # [tool.iamlint.principals] joins evidence the code cannot name, as for `check`.
    config = load_config_or_fail(config_file, paths).config
    try:
        snapshot = load_snapshot(usage_path)
    except UsageInputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(EXIT_INPUT)
    result = run_fix(list(paths) or [Path(".")], snapshot, stage, default_catalog(),
                     set(addresses) or None, {k.lower() for k in keep}, config,
                     list(var_files), grant_denied=grant_denied,
                     recent_days=recent_days)  # fmt: skip
    not_written: list[InputError] = []
    if mode == "write":
        not_written = _write(result, list(paths) or [Path(".")])
    elif output_format == "diff":
        for display in result.changed_files:
            sys.stdout.write(unified_diff(shown_path(display), result.originals[display],
                                          result.patched[display]))  # fmt: skip
    else:
        sys.stdout.write(json.dumps(_machine_output(result, stage, output_format), indent=2) + "\n")
    click.echo(summary(result, stage, written=mode == "write", not_written=len(not_written)),
               err=True)  # fmt: skip
    for error in [*result.errors, *not_written]:
        click.echo(f"error: {error}", err=True)
    # Like `check`: what could be read is patched, but unread input (or a file that could not
    # be written) is an error.
    sys.exit(EXIT_INPUT if result.errors or not_written else EXIT_OK)


def _write(result: FixResult, paths: list[Path]) -> list[InputError]:
    """Write the patched files, each only if it still holds the text it was planned on, and
    only inside the repository (`iamlint.fix.apply.write_patch`)."""
    cwd = Path.cwd()
    changes = [(f, result.originals[f], result.patched[f]) for f in result.changed_files]
    return write_patched(changes, cwd, Repository.of(paths, cwd))


def shown_path(display: str) -> str:
    """The path a patch names: a symbolic link's target (inside the repository: the loader
    refuses any other), since `git apply` and review tools patch the file, not the link."""
    path = Path(display)
    if not os.path.islink(path):
        return display
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return real.as_posix()


def _machine_output(result: FixResult, stage: str, output_format: str) -> Any:
    from iamlint.fix.suggestions import suggestions

    if output_format == "github-suggestions":
        return [
            comment
            for display in result.changed_files
            for comment in suggestions(
                shown_path(display), result.originals[display], result.patched[display]
            )
        ]
    return {
        "stage": stage,
        "files": [
            {
                "path": shown_path(f),
                "diff": unified_diff(shown_path(f), result.originals[f], result.patched[f]),
            }
            for f in result.changed_files
        ],
        "principals": [
            {
                "address": report.principal.address,
                "arn": report.arn,
                "join_notes": list(report.notes),
                "problems": report.problems,
                "statements": [
                    {
                        "policy": plan.record.address,
                        "statement": plan.index,
                        "before": plan.before,
                        "after": plan.after,
                        "patched": bool(plan.edits),
                        "removes_statements": list(plan.deletes),
                        "skipped": plan.skipped,
                        "kept": plan.kept,
                        "grants": [{"action": a, "resource": r} for a, r in plan.grants],
                    }
                    for plan in report.plans
                ],
            }
            for report in result.reports
        ],
    }


def summary(result: FixResult, stage: str, written: bool, not_written: int = 0) -> str:
    lines: list[str] = []
    for report in result.reports:
        head = f"{report.principal.address}"
        if report.arn:
            head += f" ({report.arn})"
        lines.append(head)
        for note in report.notes:
            lines.append(f"  evidence: {note}")
        for problem in report.problems:
            lines.append(f"  not patched: {problem}")
        for plan in report.plans:
            if plan.edits and plan.grants:
                granted = ", ".join(f"{a} on {r}" for a, r in plan.grants)
                lines.append(f"  {plan.label}: WIDENS, grants {granted} for an observed "
                             "AccessDenied (implicit deny by the identity policy)")  # fmt: skip
            elif plan.edits and plan.deletes:
                lines.append(f"  {plan.label}: removed, nothing it allows was used "
                             f"({', '.join(plan.before)})")  # fmt: skip
            elif plan.edits and plan.split:
                lines.append(f"  {plan.label}: splits by the resources seen: "
                             + "; ".join(plan.after))  # fmt: skip
            elif plan.edits:
                removed = [a for a in plan.before if a not in plan.after]
                added = [a for a in plan.after if a not in plan.before]
                lines.append(f"  {plan.label}: removes {', '.join(removed) or 'nothing'}"
                             + (f"; now lists {', '.join(added)}" if added else ""))  # fmt: skip
            elif plan.skipped:
                lines.append(f"  {plan.label}: left as is: {plan.skipped}")
            lines.extend(_kept_lines(plan))
    changed = len(result.changed_files) - not_written
    verb = "wrote" if written else "proposes"
    proof = ("each patch proven to add nothing beyond the grants it names" if stage == "grant"
             else "every patch proven not to widen and to keep observed usage")  # fmt: skip
    left = f" ({not_written} not written: see the errors below)" if not_written else ""
    lines.append(f"{stage}: {verb} changes to {changed} file{'s' if changed != 1 else ''}{left}; "
                 f"{proof}")  # fmt: skip
    return "\n".join(lines)


def _kept_lines(plan: StatementPlan) -> list[str]:
    """What stays beyond the evidence, one line per reason (the same reason for fifteen
    DynamoDB data-event actions is said once)."""
    by_reason: dict[str, list[str]] = {}
    for action, why in sorted(plan.kept.items()):
        if action in plan.after:
            by_reason.setdefault(why.replace(action, "{action}"), []).append(action)
    lines = []
    for why, actions in by_reason.items():
        shown = ", ".join(actions[:3]) + (
            f" and {len(actions) - 3} more" if len(actions) > 3 else ""
        )
        subject = actions[0] if len(actions) == 1 else "each"
        lines.append(f"    keeps {shown}: {why.replace('{action}', subject)}")
    return lines
