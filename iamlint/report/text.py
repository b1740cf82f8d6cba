"""`iamlint check` for a person: findings grouped by file, one line each, and a summary.

Each line starts with ``file:line:col`` so terminals and editors can jump to it. Colour only
when the caller says the output is a terminal (and NO_COLOR is unset).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

import click

from iamlint.checks.finding import Certainty, Finding, Severity
from iamlint.checks.result import CheckResult

Style = Callable[..., str]

_COLOURS = {
    Severity.CRITICAL: "magenta",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "blue",
}


def render_text(result: CheckResult, colour: bool = False) -> str:
    def style(text: str, **kwargs: bool | str) -> str:
        return click.style(text, **kwargs) if colour else text  # type: ignore[arg-type]

    lines: list[str] = []
    for file, group in groupby(result.findings, key=lambda f: f.location.file):
        if lines:
            lines.append("")
        lines.append(style(file, bold=True, underline=True))
        for finding in group:
            lines.append(_line(finding, style))
    if lines:
        lines.append("")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _line(finding: Finding, paint: Style) -> str:
    loc = finding.location
    severity = paint(f"{finding.severity!s:<8}", fg=_COLOURS[finding.severity])
    hedge = " (possible)" if finding.certainty is Certainty.POSSIBLE else ""
    fixable = " [fix]" if finding.fix is not None else ""
    where = paint(f"{loc.file}:{loc.line}:{loc.column}:", bold=True)
    rule = paint(finding.rule, bold=True)
    address = f"  [{finding.address}]" if finding.address and finding.address != loc.file else ""
    message = " ".join(finding.message.split())  # one line per finding, whatever the rule wrote
    return f"{where} {rule} {severity} {message}{hedge}{fixable}{address}"


def summary(result: CheckResult) -> str:
    counts = [f"{n} {name}" for name, n in result.by_severity().items() if n]
    total = len(result.findings)
    if total:
        noun = "finding" if total == 1 else "findings"
        head = f"Found {total} {noun} ({', '.join(counts)})"
    else:
        head = "No findings"
    extras = [
        f"{result.files} files",
        f"{result.policies} policies",
    ]
    if result.suppressed:
        extras.append(f"{result.suppressed} suppressed")
    if result.baselined:
        extras.append(f"{result.baselined} in the baseline")
    fixable = sum(1 for f in result.findings if f.fix is not None)
    if fixable:
        extras.append(f"{fixable} with a fix")
    failing = len(result.failing)
    if total and failing < total:
        extras.append(f"{failing} at or above fail-on={result.fail_on}")
    if result.problems:
        extras.append(f"{len(result.problems)} errors (see above)")
    return f"{head}; {', '.join(extras)}."


def render_problems(result: CheckResult) -> str:
    """Input and internal errors, for stderr: `file:line:col: message`."""
    out = []
    for problem in result.problems:
        label = "error" if problem.kind == "input" else "internal error"
        out.append(f"{label}: {problem}")
    return "\n".join(out) + ("\n" if out else "")


def render_statistics(result: CheckResult) -> str:
    rows = result.statistics()
    if not rows:
        return "No findings.\n"
    width = max(len(str(count)) for _, _, count, _ in rows)
    lines = []
    for rule, name, count, fixable in rows:
        mark = " [fix]" if fixable else ""
        lines.append(f"{count:>{width}}  {rule:<6} {name}{mark}")
    return "\n".join(lines) + "\n"
