"""A CheckResult built by hand: the reporters are tested without running any rule."""

from __future__ import annotations

import pytest

from iamlint.checks.finding import Applicability, Certainty, Edit, Finding, Fix, Severity
from iamlint.checks.registry import builtin_registry
from iamlint.checks.result import CheckResult, Problem
from iamlint.model import Location


def loc(file: str, line: int, column: int, start: int, length: int) -> Location:
    return Location(file, start, start + length, line, column, line, column + length)


@pytest.fixture
def result() -> CheckResult:
    findings = [
        Finding(
            rule="W201",
            severity=Severity.CRITICAL,
            message='full administrator access: Allow "*" on "*"',
            location=loc("infra/main.tf", 50, 12, 900, 5),
            address="aws_iam_role_policy.ci",
            statement="#0",
            subject="*",
        ),
        Finding(
            rule="W203",
            severity=Severity.LOW,
            message="s3:* grants 180 actions, 2,3 <and> 100% of them\nsecond line",
            location=loc("infra/main.tf", 61, 20, 1300, 6),
            address="aws_iam_policy.p",
            statement="Objects",
            subject="s3:*",
            certainty=Certainty.POSSIBLE,
            fix=Fix(
                "use the actions observed",
                (Edit("infra/main.tf", 1300, 1306, '"s3:GetObject"'),),
                Applicability.SAFE,
            ),
            related=[loc("infra/vars.tf", 3, 1, 10, 4)],
        ),
        Finding(
            rule="T406",
            severity=Severity.MEDIUM,
            message="long-lived access key",
            location=loc("infra/users dir/iam.tf", 2, 1, 20, 30),
            address="aws_iam_access_key.ci",
        ),
    ]
    problems = [
        Problem("input", "expected an expression", "infra/broken.tf", 5, 3),
        Problem("internal", "rule family 'trust' failed: KeyError: 'x'"),
    ]
    return CheckResult(
        findings=findings,
        problems=problems,
        registry=builtin_registry(),
        suppressed=2,
        baselined=1,
        files=4,
        policies=7,
        root="/work/repo",
    )


@pytest.fixture
def clean(result: CheckResult) -> CheckResult:
    return CheckResult([], [], result.registry, files=1, policies=1, root="/work/repo")
