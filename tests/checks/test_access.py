"""`iamlint access`: effective permissions of one principal, and one request's decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from iamlint.cli import main

ROOT = Path(__file__).resolve().parents[2]
PRIVESC = ROOT / "fixtures" / "checks" / "privesc"
GUARDRAILS = ROOT / "fixtures" / "checks" / "guardrails"
DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture(autouse=True)
def _cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))


def access(*args: str) -> Result:
    return CliRunner().invoke(main, ["access", *args], catch_exceptions=False)


def as_json(result: Result) -> dict:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_effective_permissions_per_service_and_level() -> None:
    result = access("aws_iam_role.split", str(PRIVESC / "split.tf"))
    assert result.exit_code == 0, result.output
    assert "role split (aws_iam_role.split)" in result.output
    assert "aws_iam_role_policy.split_pass, aws_iam_policy.functions" in result.output
    assert "  iam (AWS Identity and Access Management" in result.output
    assert "Write: iam:PassRole [1 allowed]" in result.output
    assert "Write: lambda:CreateFunction, lambda:InvokeFunction [2 allowed]" in result.output
    assert "Dead grants: none" in result.output


def test_dead_grants_name_what_blocks_them() -> None:
    data = as_json(
        access("aws_iam_role.bounded", str(GUARDRAILS / "boundary.tf"), "--format", "json")
    )
    assert data["permissions_boundary"] == {"policy": "aws_iam_policy.boundary", "known": True}
    actions = {g["action"] for g in data["grants"]}
    assert "s3:GetObject" in actions and "ec2:RunInstances" not in actions
    blocked = {
        a: part["blocked_by"]
        for d in data["dead_grants"]
        for part in d["parts"]
        for a in part["actions"]
    }
    assert "permissions boundary 'aws_iam_policy.boundary'" in blocked["ec2:RunInstances"]
    assert "NoDelete" in blocked["s3:DeleteBucket"]


def test_scps_of_assumed_scope_are_said_so() -> None:
    result = access("aws_iam_role.app", str(GUARDRAILS / "scp.tf"))
    assert (
        "attached to aws_organizations_organizational_unit.sandbox (assumed in scope)"
        in result.output
    )
    assert "are assumed to apply" in result.output


def test_one_request_allowed_and_why() -> None:
    result = access(
        "aws_iam_role.split", str(PRIVESC / "split.tf"), "--action", "lambda:CreateFunction"
    )
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.endswith(": allowed")
    assert "allowed by identity 'aws_iam_policy.functions' statement 0 (Functions)" in result.output


def test_one_request_blocked_by_the_boundary() -> None:
    data = as_json(
        access(
            "aws_iam_role.bounded",
            str(PRIVESC / "split.tf"),
            "--action",
            "iam:PassRole",
            "--resource",
            "arn:aws:iam::111122223333:role/admin",
            "--format",
            "json",
        )
    )
    assert data["outcome"] == "implicitly denied"
    assert any("permissions boundary 'aws_iam_policy.boundary'" in b for b in data["blocked_by"])


def test_explicit_deny() -> None:
    result = access(
        "aws_iam_role.admin_but_iam", str(PRIVESC / "deny.tf"), "--action", "iam:CreateUser"
    )
    assert ": explicitly denied" in result.output.splitlines()[0]
    assert (
        "denied by identity 'aws_iam_role_policy.admin_but_iam' statement 1 (NoIam)"
        in result.output
    )


def test_conditions_leave_it_possible_until_the_context_says() -> None:
    args = [
        "aws_iam_role.reader",
        str(PRIVESC / "sets.tf"),
        "--action",
        "secretsmanager:GetSecretValue",
    ]
    args += ["--resource", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db"]
    open_ = as_json(access(*args, "--format", "json"))
    assert open_["outcome"] == "possibly allowed"
    assert any("aws:ResourceTag/team" in q for q in open_["open_questions"])
    tagged = as_json(access(*args, "--context", "aws:ResourceTag/team=billing", "--format", "json"))
    assert tagged["outcome"] == "allowed"
    other = as_json(
        access(
            *args, "--context", "aws:ResourceTag/team=ops", "--complete-context", "--format", "json"
        )
    )
    assert other["outcome"] == "implicitly denied"


def test_unknown_boundary_content_leaves_it_possible() -> None:
    data = as_json(
        access(
            'module.service["billing"].aws_iam_role.this',
            str(DEMO),
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::acme-invoices/a.pdf",
            "--format",
            "json",
        )
    )
    assert data["outcome"] == "possibly allowed"
    assert data["permissions_boundary"]["known"] is False


def test_unknown_address_lists_close_matches() -> None:
    result = access("aws_iam_role.splitt", str(PRIVESC / "split.tf"))
    assert result.exit_code == 2
    assert "did you mean aws_iam_role.split" in result.output


def test_resource_without_action_is_a_usage_error() -> None:
    result = access("aws_iam_role.split", str(PRIVESC / "split.tf"), "--resource", "arn:aws:s3:::b")
    assert result.exit_code == 2


def test_bad_context_is_a_usage_error() -> None:
    result = access(
        "aws_iam_role.split",
        str(PRIVESC / "split.tf"),
        "--action",
        "s3:GetObject",
        "--context",
        "novalue",
    )
    assert result.exit_code == 2


def test_a_principal_by_name_or_an_ambiguous_name(tmp_path: Path) -> None:
    result = access("split", str(PRIVESC / "split.tf"))
    assert result.exit_code == 0
    assert result.output.startswith("role split (aws_iam_role.split)")
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "a" {\n  name = "dup"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role" "b" {\n  name = "dup"\n  assume_role_policy = "{}"\n}\n'
    )
    ambiguous = access("dup", str(tmp_path))
    assert ambiguous.exit_code == 2
    assert "aws_iam_role.a, aws_iam_role.b" in ambiguous.output
