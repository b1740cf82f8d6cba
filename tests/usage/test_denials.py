from __future__ import annotations

import pytest

from iamlint.usage.denials import is_authorization_error, parse_access_denied

P = "arn:aws:sts::111122223333:assumed-role/app/session"


@pytest.mark.parametrize(
    ("message", "kind", "policy_type"),
    [
        (
            f"User: {P} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k "
            "because no identity-based policy allows the s3:GetObject action",
            "implicit",
            "identity",
        ),
        (
            f"User: {P} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k "
            "because no resource-based policy allows the s3:GetObject action",
            "implicit",
            "resource",
        ),
        (
            f"User: {P} is not authorized to perform: iam:CreateRole on resource: x "
            "because no permissions boundary allows the iam:CreateRole action",
            "implicit",
            "boundary",
        ),
        (
            f"User: {P} is not authorized to perform: s3:GetObject "
            "because no session policy allows the s3:GetObject action",
            "implicit",
            "session",
        ),
        (
            f"User: {P} is not authorized to perform: s3:GetObject "
            "because no sessions policy allows the s3:GetObject action",
            "implicit",
            "session",
        ),
        (
            f"User: {P} is not authorized to perform: sqs:SendMessage on resource: q "
            "with an explicit deny in an identity-based policy",
            "explicit",
            "identity",
        ),
        (
            f"User: {P} is not authorized to perform: sqs:SendMessage on resource: q "
            "with an explicit deny in a resource-based policy",
            "explicit",
            "resource",
        ),
        (
            f"User: {P} is not authorized to perform: sqs:SendMessage on resource: q "
            "with an explicit deny in a permissions boundary",
            "explicit",
            "boundary",
        ),
        (
            f"User: {P} is not authorized to perform: kms:Decrypt "
            "with an explicit deny in a resource control policy",
            "explicit",
            "rcp",
        ),
        (
            f"User: {P} is not authorized to perform: s3:GetObject "
            "with an explicit deny in a VPC endpoint policy",
            "explicit",
            "vpc_endpoint",
        ),
        (
            f"User: {P} is not authorized to perform: sts:AssumeRole on resource: r "
            "because no role trust policy allows the sts:AssumeRole action",
            "implicit",
            "trust",
        ),
        # AWS words every SCP denial as explicit, "even if the denial is implicit".
        (
            f"User: {P} is not authorized to perform: ec2:RunInstances "
            "with an explicit deny in a service control policy",
            "unknown",
            "scp",
        ),
    ],
)
def test_documented_variants(message, kind, policy_type):
    parsed = parse_access_denied(message)
    assert parsed.denial.kind == kind
    assert parsed.denial.policy_type == policy_type
    assert parsed.principal == P


def test_transitive_vpc_endpoint_through_scp():
    parsed = parse_access_denied(
        f"User: {P} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::b/k "
        "with an explicit deny in a VPC endpoint policy transitively through a service control "
        "policy"
    )
    assert parsed.denial.policy_type == "vpc_endpoint"
    assert parsed.denial.via == "scp"
    assert parsed.denial.kind == "unknown"


def test_access_troubleshooter_names_the_policy_and_drops_the_sentence_end():
    parsed = parse_access_denied(
        f"User: {P} is not authorized to perform: secretsmanager:GetSecretValue on resource: "
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf with an explicit deny in "
        "an identity-based policy: arn:aws:iam::111122223333:policy/DenyProd. Go to "
        "https://console.aws.amazon.com/iam/home#/authorization-details/abc"
    )
    assert parsed.denial.kind == "explicit"
    assert parsed.denial.policy_arn == "arn:aws:iam::111122223333:policy/DenyProd"
    assert parsed.resource == "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
    assert parsed.action == "secretsmanager:GetSecretValue"


def test_ec2_form_with_encoded_message_and_quoted_s3_resource():
    parsed = parse_access_denied(
        f"You are not authorized to perform this operation. User: {P} is not authorized to "
        "perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111122223333:instance/* "
        "because no identity-based policy allows the ec2:RunInstances action. Encoded "
        "authorization failure message: abc"
    )
    assert (parsed.action, parsed.denial.kind, parsed.denial.policy_type) == (
        "ec2:RunInstances",
        "implicit",
        "identity",
    )
    assert parsed.resource == "arn:aws:ec2:us-east-1:111122223333:instance/*"
    quoted = parse_access_denied(
        f'User: {P} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" '
        "because no identity-based policy allows the s3:PutObject action"
    )
    assert quoted.resource == "arn:aws:s3:::b/k"


def test_encoded_only_message_is_flagged_not_guessed():
    parsed = parse_access_denied(
        "You are not authorized to perform this operation. Encoded authorization failure "
        "message: 4bX0AAAA"
    )
    assert parsed.denial.kind == "unknown"
    assert parsed.denial.policy_type is None
    assert parsed.denial.encoded_only


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDenied", True),
        ("AccessDeniedException", True),
        ("Client.UnauthorizedOperation", True),
        ("UnauthorizedOperation", True),
        ("AuthorizationError", True),
        ("ThrottlingException", False),
        ("ResourceNotFoundException", False),
        (None, False),
    ],
)
def test_authorization_error_codes(code, expected):
    assert is_authorization_error(code) is expected
