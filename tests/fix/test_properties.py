"""Property tests: over generated policies and usage, every proposed patch
(a) allows nothing the original did not, (b) keeps every used action, (c) is a fixed point.

The oracle is independent of the prover: it expands both policies over the catalog with the
plain action matcher and compares sets.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamlint.checks.usage_join import Join, JoinResult, JoinStatus
from iamlint.fix import engine
from iamlint.fix.evidence import PrincipalUsage
from iamlint.policy.catalog import default_catalog
from iamlint.policy.document import parse_policy
from iamlint.policy.matching import match_action
from iamlint.policy.tri import Tri

UNIVERSE = [
    "s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetBucketPolicy",
    "sqs:SendMessage", "sqs:ReceiveMessage", "kms:Decrypt", "kms:Encrypt",
    "ec2:DescribeInstances", "ec2:RunInstances", "iam:PassRole", "iam:GetRole",
]  # fmt: skip
PATTERNS = [*UNIVERSE, "s3:*", "s3:Get*", "sqs:*", "kms:*", "ec2:Describe*", "iam:*", "*"]


class _Visibility:
    def __init__(self, level: str) -> None:
        self.level = level
        self.reasons = () if level == "action" else ("not visible in this test",)


def _usage(used: set[str], invisible: set[str]) -> PrincipalUsage:
    usage = PrincipalUsage("arn:aws:iam::111122223333:role/app", {}, {u.lower() for u in used},
                           {u.partition(":")[0] for u in used}, [], {})  # fmt: skip
    usage._seen.update(
        {name.lower(): _Visibility("none" if name in invisible else "action")
         for name in (a.full_name for a in default_catalog().expand("*"))}
    )  # fmt: skip
    return usage


def _allowed(document: dict, actions: list[str]) -> set[str]:
    policy = parse_policy(document)
    return {
        a for a in actions
        if any(match_action(s, a) is Tri.TRUE for s in policy.statements
               if getattr(s.effect, "name", "") == "ALLOW")
    }  # fmt: skip


statements = st.lists(
    st.fixed_dictionaries({
        "Effect": st.sampled_from(["Allow", "Allow", "Deny"]),
        "Action": st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4, unique=True),
        "Resource": st.just("*"),
    }),
    min_size=1, max_size=3,
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    statements=statements,
    used=st.sets(st.sampled_from(UNIVERSE), max_size=5),
    invisible=st.sets(st.sampled_from(UNIVERSE), max_size=3),
    stage=st.sampled_from(["service", "action"]),
)
def test_patches_never_widen_keep_usage_and_are_fixed_points(
    tmp_path_factory, statements, used, invisible, stage
):
    folder = tmp_path_factory.mktemp("prop")
    document = {"Version": "2012-10-17", "Statement": statements}
    (folder / "main.tf").write_text(
        'resource "aws_iam_role" "app" {\n  name = "app"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy" "app" {\n  role = aws_iam_role.app.id\n'
        f"  policy = jsonencode({json.dumps(document, indent=2)})\n}}\n"
    )
    usage = _usage(used, invisible - used)
    # Undone after each example: a session-wide patch would leak into later test modules.
    with pytest.MonkeyPatch.context() as patch:
        joined = Join("aws_iam_role.app", JoinStatus.JOINED, (usage.arn,))
        patch.setattr(engine, "join_principals", lambda *a: JoinResult({joined.address: joined}))
        patch.setattr(engine, "usage_for", lambda *a: usage)
        _check_example(folder, document, used, stage)


def _check_example(folder, document, used, stage) -> None:  # type: ignore[no-untyped-def]
    catalog = default_catalog()
    result = engine.fix([folder], {}, stage, catalog, cwd=folder)
    if not result.changed_files:
        return
    patched_text = result.patched["main.tf"]
    start = patched_text.index("jsonencode(") + len("jsonencode(")
    end = patched_text.rindex(")")
    new_document = json.loads(patched_text[start:end])
    everything = [a.full_name for a in catalog.expand("*")]
    before = _allowed(document, everything)
    after = _allowed(new_document, everything)
    assert after <= before  # (a)
    assert {u for u in used if u in before} <= after  # (b)
    (folder / "main.tf").write_text(patched_text)
    assert engine.fix([folder], {}, stage, catalog, cwd=folder).changed_files == []  # (c)
