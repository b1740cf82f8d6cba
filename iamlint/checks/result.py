"""What a check run produced: the findings to report, the problems that kept it from being
complete, and the counts a summary needs. Every report format renders one of these."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from iamlint.checks.finding import Finding, Severity
from iamlint.checks.registry import Registry


@dataclass(frozen=True, slots=True)
class Problem:
    """Input that could not be read (``input``), or a rule family that failed (``internal``)."""

    kind: str  # input | internal
    message: str
    file: str = ""
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file or None,
            "line": self.line or None,
            "column": self.column or None,
            "message": self.message,
        }


@dataclass(slots=True)
class CheckResult:
    findings: list[Finding]
    problems: list[Problem]
    registry: Registry
    fail_on: Severity = Severity.INFO
    suppressed: int = 0
    baselined: int = 0
    files: int = 0
    policies: int = 0
    root: str = ""  # absolute folder that findings' relative paths start from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity >= self.fail_on]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 1 if self.failing else 0

    def by_severity(self) -> dict[str, int]:
        counts = Counter(str(f.severity) for f in self.findings)
        return {str(s): counts.get(str(s), 0) for s in sorted(Severity, reverse=True)}

    def statistics(self) -> list[tuple[str, str, int, int]]:
        """(rule id, rule name, count, fixable count), most frequent first."""
        counts = Counter(f.rule for f in self.findings)
        fixable = Counter(f.rule for f in self.findings if f.fix is not None)
        out = []
        for rule, count in counts.items():
            meta = self.registry.rules.get(rule)
            out.append((rule, meta.name if meta else "", count, fixable[rule]))
        return sorted(out, key=lambda row: (-row[2], row[0]))
