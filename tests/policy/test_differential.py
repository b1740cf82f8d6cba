"""Differential tests: our decision engine against @cloud-copilot/iam-simulate.

iam-simulate is an independent evaluator (AGPL, so it is installed at test time into the
gitignored ``.oracle/`` folder and run as an external node process; none of its code or test
data is in this repository). Every generated case is a random combination, over a small universe
of actions and resources, of identity policies, a permissions boundary, a session policy, SCP
and RCP levels, a resource policy and request context. All cases run in one node process.

Any disagreement fails the test unless `documented_exception` (below) explains it with a
citation (one: session policies versus resource policies naming the session ARN). Three other
readings of AWS's documentation were aligned with iam-simulate rather than excused, and are
documented where they live: RCPs only deny (RCPFullAWSAccess cannot be detached;
iamlint/policy/evaluate.py); a same-account resource policy with ``Principal: "*"`` is not cut by
the permissions boundary (evaluate.py); and an unresolvable policy variable invalidates a
Resource/NotResource pattern only when the ARN's fixed part matches (iamlint/policy/patterns.py).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import PolicyKind, parse_policy
from iamlint.policy.evaluate import Authorization, Outcome, Request, decide

REPO = Path(__file__).resolve().parents[2]
ORACLE_PREFIX = REPO / ".oracle"
ORACLE_PACKAGE = ORACLE_PREFIX / "node_modules" / "@cloud-copilot" / "iam-simulate"
# The version the suite was checked against (also pinned in .ci/run).
ORACLE_SPEC = "@cloud-copilot/iam-simulate@0.1.173"
RUNNER = Path(__file__).with_name("oracle_runner.mjs")
CASES = 1200
SEED = 20261128

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
PRINCIPALS = [
    f"arn:aws:iam::{ACCOUNT}:role/app",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session1",
]
# (action, request resource, resource account) triples that are valid for the action.
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::bucket-a/key1", ACCOUNT),
    ("s3:GetObject", "arn:aws:s3:::bucket-a/dir/key2", ACCOUNT),
    ("s3:GetObject", "arn:aws:s3:::bucket-b/key1", ACCOUNT),
    ("s3:PutObject", "arn:aws:s3:::bucket-a/key1", ACCOUNT),
    ("s3:PutObject", "arn:aws:s3:::bucket-b/alice/notes", ACCOUNT),
    ("s3:DeleteObject", "arn:aws:s3:::bucket-a/dir/key2", ACCOUNT),
    ("s3:ListBucket", "arn:aws:s3:::bucket-a", ACCOUNT),
    ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue1", ACCOUNT),
    ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:queue1", OTHER_ACCOUNT),
    ("s3:GetObject", "arn:aws:s3:::shared-bucket/key1", OTHER_ACCOUNT),
    ("ec2:DescribeInstances", "*", ACCOUNT),
]
ACTION_PATTERNS = [
    "s3:GetObject",
    "s3:getobject",
    "S3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "s3:?etObject",
    "*",
    "sqs:*",
    "sqs:SendMessage",
    "ec2:Describe*",
    "ec2:DescribeInstances",
    "iam:*",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-*",
    "arn:aws:s3:::*/key1",
    "arn:aws:s3:::bucket-a/d?r/*",
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-b/*",
    "arn:aws:s3:::bucket-b/${aws:username}/*",
    "arn:aws:s3:::*",
    "arn:aws:sqs:*:*:queue1",
    f"arn:aws:sqs:us-east-1:{ACCOUNT}:*",
    "arn:aws:s3:::shared-bucket/*",
    "arn:aws:s3:::Bucket-a/*",
]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    {"StringEquals": {"aws:SourceVpc": ["vpc-2", "vpc-1"]}},
    {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}},
    {"StringLike": {"aws:PrincipalTag/team": "re*"}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}},
    {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
    {"StringNotLike": {"aws:PrincipalTag/team": "b*"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.0/24"]}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "100"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    {"Null": {"aws:SourceVpc": "true"}},
    {"Null": {"aws:SourceVpc": "false"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": ["env*", "team"]}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}},
    {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
    {"StringEquals": {"aws:SourceVpc": "vpc-1"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}},
]
CONTEXT_VALUES: dict[str, list[Any]] = {
    "aws:SourceVpc": ["vpc-1", "vpc-2"],
    "aws:PrincipalTag/team": ["red", "blue", "alice"],
    "aws:MultiFactorAuthPresent": ["true", "false"],
    "aws:SourceIp": ["10.1.2.3", "192.168.1.7", "203.0.113.9"],
    "aws:MultiFactorAuthAge": ["50", "500", "7200"],
    "aws:CurrentTime": ["2019-06-01T00:00:00Z", "2026-11-28T00:00:00Z"],
    "aws:TagKeys": [["env"], ["env", "owner"], ["team"]],
}
PRINCIPAL_SPECS: list[Any] = [
    "*",
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
    {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/session1"},
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
]


def _statement(rng: random.Random, *, resource_policy: bool = False) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Deny" if rng.random() < 0.25 else "Allow"}
    actions = rng.sample(ACTION_PATTERNS, rng.randint(1, 3))
    statement["NotAction" if rng.random() < 0.12 else "Action"] = (
        actions[0] if len(actions) == 1 and rng.random() < 0.5 else actions
    )
    # "*" often enough that Allows apply and all three outcomes stay common.
    resources = ["*"] if rng.random() < 0.25 else rng.sample(RESOURCE_PATTERNS, rng.randint(1, 2))
    statement["NotResource" if rng.random() < 0.1 else "Resource"] = resources
    if rng.random() < 0.35:
        statement["Condition"] = rng.choice(CONDITIONS)
    if resource_policy:
        statement["Principal"] = rng.choice(PRINCIPAL_SPECS)
    return statement


def _policy(rng: random.Random, size: tuple[int, int] = (1, 3), **kw: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [_statement(rng, **kw) for _ in range(rng.randint(*size))],
    }


def _allow_all() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }


def _org_levels(rng: random.Random) -> list[list[dict[str, Any]]]:
    levels = []
    for _ in range(rng.randint(1, 2)):
        policies = [_allow_all()] if rng.random() < 0.6 else []
        if rng.random() < 0.7 or not policies:
            policies.append(_policy(rng, (1, 2)))
        levels.append(policies)
    return levels


def _rcp_levels(rng: random.Random) -> list[list[dict[str, Any]]]:
    """RCPs hold only Deny statements for Principal "*" (AWS attaches RCPFullAWSAccess itself)."""
    levels = []
    for _ in range(rng.randint(1, 2)):
        policy = _policy(rng, (1, 2))
        for statement in policy["Statement"]:
            statement["Effect"] = "Deny"
            statement["Principal"] = "*"
            # RCPs take Action only, and not "*".
            actions = statement.pop("NotAction", None) or statement.pop("Action")
            actions = [a for a in ([actions] if isinstance(actions, str) else actions) if a != "*"]
            statement["Action"] = actions or ["s3:*"]
        levels.append([policy])
    return levels


def generate_case(rng: random.Random) -> dict[str, Any]:
    action, resource, resource_account = rng.choice(REQUESTS)
    context: dict[str, Any] = {}
    for key, choices in CONTEXT_VALUES.items():
        if rng.random() < 0.4:
            context[key] = rng.choice(choices)
    principal = rng.choice(PRINCIPALS)
    if principal.endswith("user/alice") and rng.random() < 0.5:
        context["aws:username"] = "alice"
    case: dict[str, Any] = {
        "principal": principal,
        "action": action,
        "resource": resource,
        "resource_account": resource_account,
        "context": context,
        "identity": [_policy(rng) for _ in range(rng.randint(0, 2))],
        "boundary": _policy(rng, (1, 2)) if rng.random() < 0.3 else None,
        "session": (
            _policy(rng, (1, 2))
            if principal.startswith("arn:aws:sts:") and rng.random() < 0.3
            else None
        ),
        "scps": _org_levels(rng) if rng.random() < 0.3 else [],
        "rcps": _rcp_levels(rng) if rng.random() < 0.2 else [],
        "resource_policy": (
            _policy(rng, (1, 2), resource_policy=True)
            if resource != "*" and rng.random() < 0.35
            else None
        ),
    }
    return case


def to_simulation(case: dict[str, Any]) -> dict[str, Any]:
    def org(levels: list[list[dict[str, Any]]], label: str) -> list[dict[str, Any]]:
        return [
            {
                "orgIdentifier": f"{label}-level-{i}",
                "policies": [{"name": f"{label}{i}-{j}", "policy": p} for j, p in enumerate(level)],
            }
            for i, level in enumerate(levels)
        ]

    simulation: dict[str, Any] = {
        "request": {
            "principal": case["principal"],
            "action": case["action"],
            "resource": {"resource": case["resource"], "accountId": case["resource_account"]},
            "contextVariables": case["context"],
        },
        "identityPolicies": [
            {"name": f"id{i}", "policy": p} for i, p in enumerate(case["identity"])
        ],
        "serviceControlPolicies": org(case["scps"], "scp"),
        "resourceControlPolicies": org(case["rcps"], "rcp"),
    }
    if case["session"] is not None:
        simulation["sessionPolicy"] = case["session"]
    if case["boundary"] is not None:
        simulation["permissionBoundaryPolicies"] = [{"name": "pb", "policy": case["boundary"]}]
    if case["resource_policy"] is not None:
        simulation["resourcePolicy"] = case["resource_policy"]
    return simulation


def our_decision(case: dict[str, Any]) -> Outcome:
    def level(policies: list[dict[str, Any]], kind: PolicyKind, label: str) -> list[Any]:
        return [parse_policy(p, name=f"{label}{j}", kind=kind) for j, p in enumerate(policies)]

    authorization = Authorization(
        identity=[parse_policy(p, name=f"id{i}") for i, p in enumerate(case["identity"])],
        boundary=(
            parse_policy(case["boundary"], name="pb", kind=PolicyKind.BOUNDARY)
            if case["boundary"] is not None
            else None
        ),
        session=(
            parse_policy(case["session"], name="session", kind=PolicyKind.SESSION)
            if case["session"] is not None
            else None
        ),
        scps=[level(lv, PolicyKind.SCP, "scp") for lv in case["scps"]],
        rcps=[level(lv, PolicyKind.RCP, "rcp") for lv in case["rcps"]],
        resource_policy=(
            parse_policy(case["resource_policy"], name="rp", kind=PolicyKind.RESOURCE)
            if case["resource_policy"] is not None
            else None
        ),
    )
    request = Request(
        action=case["action"],
        resource=case["resource"],
        principal=case["principal"],
        resource_account=case["resource_account"],
        context=RequestContext.of(case["context"]),
    )
    return decide(request, authorization).outcome


ORACLE_NAMES = {
    "Allowed": Outcome.ALLOWED,
    "ExplicitlyDenied": Outcome.EXPLICITLY_DENIED,
    "ImplicitlyDenied": Outcome.IMPLICITLY_DENIED,
}


def documented_exception(case: dict[str, Any], ours: Outcome, theirs: str) -> str | None:
    """A known, reasoned difference, or None. Each one says why we keep our answer."""
    rp = case["resource_policy"]
    names_session = rp is not None and any(
        s["Effect"] == "Allow" and s.get("Principal") == {"AWS": case["principal"]}
        for s in rp["Statement"]
    )
    if (
        case["session"] is not None
        and case["principal"].startswith("arn:aws:sts:")
        and names_session
        and ours is Outcome.ALLOWED
        and theirs == "ImplicitlyDenied"
        and our_decision({**case, "session": None}) is Outcome.ALLOWED
    ):
        # IAM User Guide, access_policies.html#policies_session: when a resource-based policy
        # names the *session* ARN, its permissions are added after the session is created and
        # "the session policy doesn't limit these". iam-simulate applies the session policy.
        return "session policy does not limit a resource policy that names the session ARN"
    return None


@pytest.fixture(scope="module")
def oracle() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: the iam-simulate differential tests need them")
    if not ORACLE_PACKAGE.exists():
        subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--prefix",
                str(ORACLE_PREFIX),
                ORACLE_SPEC,
            ],
            check=True,
            timeout=300,
        )
    return ORACLE_PACKAGE


def run_oracle(package: Path, simulations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(
        ["node", str(RUNNER), str(package)],
        input=json.dumps(simulations),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(completed.stdout)


def test_generated_cases_agree_with_iam_simulate(oracle: Path) -> None:
    rng = random.Random(SEED)
    cases = [generate_case(rng) for _ in range(CASES)]
    results = run_oracle(oracle, [to_simulation(c) for c in cases])
    assert len(results) == len(cases)
    errors = [(c, r) for c, r in zip(cases, results, strict=True) if "error" in r]
    # The generator only builds valid simulations; an oracle error means the generator is wrong.
    assert not errors, json.dumps(errors[:3], indent=1)
    disagreements = []
    excused = 0
    outcomes: dict[str, int] = {}
    for case, result in zip(cases, results, strict=True):
        ours = our_decision(case)
        outcomes[result["result"]] = outcomes.get(result["result"], 0) + 1
        if ORACLE_NAMES[result["result"]] is ours:
            continue
        if documented_exception(case, ours, result["result"]):
            excused += 1
            continue
        disagreements.append({"case": case, "ours": ours.value, "iam-simulate": result["result"]})
    # The generator must exercise every outcome, or agreement would mean little.
    assert all(outcomes.get(name, 0) > 100 for name in ORACLE_NAMES), outcomes
    assert not disagreements, (
        f"{len(disagreements)} of {len(cases)} disagree ({excused} documented exceptions);\n"
        + json.dumps(disagreements[:3], indent=1)
    )
