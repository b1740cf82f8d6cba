"""V1xx validity rules over fixtures/checks/validity: every rule positive and negative."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_helpers import family_findings  # beside this file (on the path: conftest.py)

from iamlint.checks import validity
from iamlint.checks.finding import Applicability, Certainty, Finding

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "checks" / "validity"


def run(name: str) -> list[Finding]:
    return family_findings(validity, FIXTURES / name)


def keys(findings: list[Finding], rule: str) -> set[tuple[str, str, str]]:
    return {(f.address, f.statement, f.subject) for f in findings if f.rule == rule}


@pytest.fixture(scope="module")
def actions() -> list[Finding]:
    return run("actions.tf")


def test_unknown_service_suggests_the_close_prefix(actions: list[Finding]) -> None:
    assert keys(actions, "V101") == {("aws_iam_policy.typos", "Typos", "s4:GetObject")}
    (found,) = [f for f in actions if f.rule == "V101"]
    assert "s3:GetObject" in found.message


def test_unknown_action_in_allow_and_in_deny(actions: list[Finding]) -> None:
    assert keys(actions, "V102") == {
        ("aws_iam_policy.typos", "Typos", "s3:GetObjekt"),
        ("aws_iam_policy.typos", "DenyTypo", "iam:CreateUsr"),
    }
    deny = next(f for f in actions if f.subject == "iam:CreateUsr")
    assert "did you mean iam:CreateUser" in deny.message
    assert "catalog" in deny.message  # a warning that the catalog may lag


def test_evident_typos_carry_an_unsafe_fix(actions: list[Finding]) -> None:
    typo = next(f for f in actions if f.subject == "s3:GetObjekt")
    assert typo.fix is not None and typo.fix.applicability is Applicability.UNSAFE
    (edit,) = typo.fix.edits
    text = (ROOT / edit.file).read_text()
    assert text[edit.start : edit.end] == '"s3:GetObjekt"'
    assert edit.replacement == '"s3:GetObject"'
    # Three equally plausible services: no guess.
    assert next(f for f in actions if f.rule == "V101").fix is None


def test_pattern_matching_nothing(actions: list[Finding]) -> None:
    assert keys(actions, "V103") == {("aws_iam_policy.typos", "Typos", "s3:Fetch*")}


def test_action_without_colon_is_malformed(actions: list[Finding]) -> None:
    assert keys(actions, "V106") == {("aws_iam_policy.typos", "NoColon", "s3GetObject")}


def test_valid_actions_wildcards_and_unknown_lists_pass(actions: list[Finding]) -> None:
    assert not [f for f in actions if f.address == "aws_iam_policy.clean_actions"]
    # Case-insensitive action names are fine.
    assert not [f for f in actions if "getobject" in f.subject]


def test_finding_points_at_the_action_item(actions: list[Finding]) -> None:
    found = next(f for f in actions if f.subject == "s3:GetObjekt")
    text = (ROOT / found.location.file).read_text()
    assert text[found.location.start : found.location.end] == '"s3:GetObjekt"'


def test_resources_no_action_applies_to() -> None:
    findings = run("resources.tf")
    assert keys(findings, "V104") == {
        ("aws_iam_policy.mismatch", "ObjectOnBucket", "arn:aws:s3:::acme-data"),
        ("aws_iam_policy.mismatch", "StarOnlyOnArn", "arn:aws:s3:::acme-data"),
        (
            "aws_iam_policy.mismatch",
            "UnknownButWrongService",
            '"arn:aws:dynamodb:${var.region}:111122223333:table/orders"',
        ),
    }
    star_only = next(f for f in findings if f.statement == "StarOnlyOnArn")
    assert 'accepts only "*"' in star_only.message
    # log-group:NAME:* for PutLogEvents, bucket + objects, policy variables, `${arn}/*`: fine.
    assert not [f for f in findings if f.address == "aws_iam_policy.matching"]


@pytest.fixture(scope="module")
def conditions() -> list[Finding]:
    return run("conditions.tf")


def test_condition_keys_the_actions_never_see(conditions: list[Finding]) -> None:
    found = keys(conditions, "V105")
    assert ("aws_iam_policy.conditions", "PrefixOnGetObject", "s3:prefix") in found
    assert ("aws_iam_policy.conditions", "KmsKeyOnS3", "kms:ViaService") in found
    assert ("aws_iam_policy.conditions", "BadOperators", "s3:prefixx") in found


def test_condition_operators_and_types(conditions: list[Finding]) -> None:
    found = keys(conditions, "V105")
    assert ("aws_iam_policy.conditions", "BadOperators", "StringEqualz") in found
    assert ("aws_iam_policy.conditions", "BadOperators", "NumericEquals aws:SourceIp") in found
    assert (
        "aws_iam_policy.conditions",
        "BadOperators",
        "ForAnyValue:StringEquals aws:SourceVpce",
    ) in found
    assert len(found) == 6


def test_good_conditions_pass(conditions: list[Finding]) -> None:
    # Global keys, tag keys, the set operator on a multivalued key, OIDC claims in a trust
    # policy, String operators on a Bool key (AWS compares the string form).
    clean = {"aws_iam_policy.good_conditions", "aws_iam_role.oidc"}
    assert not [f for f in conditions if f.address in clean]


def test_malformed_policies() -> None:
    findings = run("malformed.tf")
    assert keys(findings, "V106") == {
        ("aws_iam_policy.malformed", "", "unsupported Version '2012-10-18'"),
        ("aws_iam_policy.malformed", "Same", "Effect must be Allow or Deny, not 'allow'"),
        ("aws_iam_policy.malformed", "Same", "Sid Same"),
        ("aws_iam_policy.malformed", "WithPrincipal", "Principal"),
        ("aws_iam_policy.malformed", "NoResource", "no Resource"),
        ("aws_iam_policy.old_version", "#0", "${aws:username} under 2008-10-17"),
        ("aws_s3_bucket_policy.no_principal", "Whom", "no Principal"),
        ("aws_s3_bucket_policy.not_principal", "AllowOthers", "NotPrincipal"),
        ("aws_iam_role.not_principal", "Trust", "NotPrincipal"),
    }


def test_size_limits() -> None:
    findings = [f for f in run("sizes.tf") if f.rule == "V107"]
    by_address = {f.address: f for f in findings}
    assert set(by_address) == {
        "aws_iam_policy.too_big",  # managed: 6,144
        "aws_iam_user_policy.first",  # a user's inline policies together: 2,048
        "aws_organizations_policy.big_scp",  # SCP: 5,120
        "aws_iam_role.many_trusted",  # trust policy: 2,048 by default
        "aws_s3_bucket_policy.huge",  # S3 bucket policy: 20 KB
    }
    assert "6,144" in by_address["aws_iam_policy.too_big"].message
    assert by_address["aws_iam_user_policy.first"].subject == "inline aws_iam_user.ops"
    assert all(f.certainty is Certainty.DEFINITE for f in findings)


def test_size_ignores_whitespace_and_counts_unknowns_as_a_minimum() -> None:
    from iamlint.model import Unknown

    size, unknown = validity.policy_size({"Statement": [{"Action": "s3:Get Object"}]})
    assert (size, unknown) == (len('{"Statement":[{"Action":"s3:GetObject"}]}'), False)
    size, unknown = validity.policy_size({"Resource": Unknown("var.x", parts=("arn:", None))})
    assert unknown and size == len('{"Resource":"arn:"}')
