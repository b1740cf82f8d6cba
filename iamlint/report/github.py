"""`iamlint check --format github`: GitHub Actions workflow commands, which GitHub shows as
annotations on the pull request's changed files.

    ::error file=main.tf,line=50,col=12,endLine=53,endColumn=4,title=W201 full-admin::message
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from iamlint.checks.finding import Certainty, Severity
from iamlint.checks.result import CheckResult

_COMMAND = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def _data(text: str) -> str:
    """Escape a command's message (GitHub's toolkit escapes exactly these)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **props: object) -> str:
    fields = ",".join(f"{k}={_property(str(v))}" for k, v in props.items() if v not in (None, ""))
    return f"::{kind} {fields}::{_data(message)}" if fields else f"::{kind}::{_data(message)}"


def _from_repo_root(root: str) -> Callable[[str], str]:
    """GitHub matches annotations to files by their path in the repository, whatever folder
    iamlint ran in: prefix the run's folder relative to the enclosing checkout."""
    if not root:
        return lambda file: file
    start = Path(root)
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            prefix = start.relative_to(folder).as_posix()
            if prefix == ".":
                return lambda file: file
            return lambda file: file if Path(file).is_absolute() else f"{prefix}/{file}"
    return lambda file: file


def render_github(result: CheckResult) -> str:
    in_repo = _from_repo_root(result.root)
    lines = []
    for problem in result.problems:
        lines.append(
            _command(
                "error",
                problem.message,
                file=in_repo(problem.file) if problem.file else None,
                line=problem.line or None,
                col=problem.column or None,
                title=f"iamlint {problem.kind} error",
            )
        )
    for finding in result.findings:
        loc = finding.location
        rule = result.registry.rules.get(finding.rule)
        title = f"{finding.rule} {rule.name}" if rule else finding.rule
        hedge = " (possible)" if finding.certainty is Certainty.POSSIBLE else ""
        message = f"[{finding.severity}] {finding.message}{hedge}"
        if finding.address:
            message += f" ({finding.address})"
        lines.append(
            _command(
                _COMMAND[finding.severity],
                message,
                file=in_repo(loc.file),
                line=loc.line,
                col=loc.column,
                endLine=loc.end_line,
                endColumn=loc.end_column,
                title=title,
            )
        )
    return "\n".join(lines) + ("\n" if lines else "")
