"""Time the IAM semantics engine (``iamlint.policy``) on many synthetic principals.

A benchmark, not a test: it prints numbers and never fails on them.

    python bench/bench_policy.py                   # 100, 1000 and 3000 principals
    python bench/bench_policy.py --principals 500 --seed 7

Per size it measures, in this process:

- effective permissions (identity ∩ boundary ∩ SCP levels, dead grants) of every principal;
- one decision per principal for a few typical requests;
- one containment proof per principal: a narrowed rewrite (the actions it "used") against the
  original, the check every proposed rewrite goes through.

Principals are shaped like a large Terraform repository's: a few identity policies each, with
exact actions, service wildcards, ``Get*``-style patterns, scoped ARNs, conditions, an occasional
``NotAction`` or admin grant, a permissions boundary on a third of them, and two SCP levels
shared by all. The catalog index is built once beforehand (its cold build is timed separately).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iamlint.policy.catalog import Catalog, default_catalog
from iamlint.policy.conditions import RequestContext
from iamlint.policy.containment import is_contained
from iamlint.policy.document import Policy, PolicyKind, parse_policy
from iamlint.policy.effective import PrincipalPolicies, effective_permissions
from iamlint.policy.evaluate import Authorization, Request, decide

SERVICES = [
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "lambda",
    "logs",
    "kms",
    "ec2",
    "ecr",
    "ssm",
    "secretsmanager",
    "cloudwatch",
    "iam",
    "sts",
    "rds",
    "events",
    "states",
]
VERB_PATTERNS = ["Get*", "List*", "Describe*", "Put*", "*", "Batch*", "Create*", "Update*"]


def _identity_policy(rng: random.Random, catalog: Catalog, index: int) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 4)):
        service = rng.choice(SERVICES)
        roll = rng.random()
        if roll < 0.5:
            names = [a.full_name for a in catalog.service_actions(service)]
            actions: Any = rng.sample(names, min(len(names), rng.randint(1, 25)))
        elif roll < 0.9:
            actions = [f"{service}:{rng.choice(VERB_PATTERNS)}" for _ in range(rng.randint(1, 3))]
        elif roll < 0.97:
            actions = "*"
        else:
            statements.append(
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
            )
            continue
        resource: Any = "*"
        if rng.random() < 0.6:
            resource = [
                f"arn:aws:{service}:us-east-1:111122223333:thing-{index}-{i}/*"
                for i in range(rng.randint(1, 3))
            ]
            if service == "s3":
                resource = [f"arn:aws:s3:::bucket-{index}", f"arn:aws:s3:::bucket-{index}/*"]
        statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
        if rng.random() < 0.15:
            statement["Condition"] = {
                "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
            }
        statements.append(statement)
    if rng.random() < 0.1:
        statements.append({"Effect": "Deny", "Action": ["iam:*User*"], "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def _principals(count: int, seed: int, catalog: Catalog) -> list[PrincipalPolicies]:
    rng = random.Random(seed)
    scps = [
        [
            parse_policy(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {
                            "Effect": "Deny",
                            "Action": ["organizations:LeaveOrganization", "account:*"],
                            "Resource": "*",
                        },
                    ],
                },
                name="root-guardrails",
                kind=PolicyKind.SCP,
            )
        ],
        [
            parse_policy(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "NotAction": ["iam:CreateUser", "iam:CreateAccessKey"],
                            "Resource": "*",
                        },
                    ],
                },
                name="workloads-ou",
                kind=PolicyKind.SCP,
            )
        ],
    ]
    boundary = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [f"{s}:*" for s in SERVICES if s != "iam"],
                    "Resource": "*",
                },
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            ],
        },
        name="workload-boundary",
        kind=PolicyKind.BOUNDARY,
    )
    principals = []
    for i in range(count):
        identity = [
            parse_policy(_identity_policy(rng, catalog, i), name=f"aws_iam_role_policy.p{i}_{j}")
            for j in range(rng.randint(1, 3))
        ]
        principals.append(
            PrincipalPolicies(
                f"aws_iam_role.r{i}", identity, boundary if rng.random() < 0.33 else None, scps
            )
        )
    return principals


def _narrowed(policies: list[Policy], rng: random.Random, catalog: Catalog) -> Policy:
    """A rewrite keeping a few of the granted actions on the original resources."""
    statements = []
    for policy in policies:
        for statement in policy.statements:
            if statement.not_action or not isinstance(statement.actions, tuple):
                continue
            names = [
                a.full_name
                for p in statement.actions
                if isinstance(p, str)
                for a in catalog.expand(p)
            ]
            if names:
                statements.append(
                    {
                        "Effect": "Allow",
                        "Action": sorted(rng.sample(names, min(len(names), 5))),
                        "Resource": list(statement.resources or ("*",)),
                    }
                )
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": statements
            or [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::none/*"}],
        }
    )


def _timed(label: str, count: int, func: Any, *args: Any) -> float:
    start = time.perf_counter()
    func(*args)
    elapsed = time.perf_counter() - start
    print(f"  {label:<34} {elapsed:8.3f} s   {1000 * elapsed / max(count, 1):8.3f} ms each")
    return elapsed


def _run_effective(
    principals: list[PrincipalPolicies], catalog: Catalog, per_principal: list[float]
) -> None:
    for principal in principals:
        start = time.perf_counter()
        effective_permissions(principal, catalog=catalog)
        per_principal.append(time.perf_counter() - start)


def _run_decisions(
    principals: list[PrincipalPolicies], requests: list[Request], catalog: Catalog
) -> None:
    for principal in principals:
        authorization = Authorization(principal.identity, principal.boundary, scps=principal.scps)
        for request in requests:
            decide(request, authorization, catalog=catalog)


def _run_containment(rewrites: list[tuple[Policy, Any]], catalog: Catalog) -> None:
    for rewrite, original in rewrites:
        is_contained(rewrite, original, catalog=catalog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--principals", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1000, 3000]
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        Catalog(cache_dir=Path(cache)).services()
        print(f"catalog index, cold build: {time.perf_counter() - start:.3f} s")
        start = time.perf_counter()
        Catalog(cache_dir=Path(cache)).services()
        print(f"catalog index, cached read: {time.perf_counter() - start:.3f} s")
    catalog = default_catalog()
    catalog.services()

    for count in args.principals:
        principals = _principals(count, args.seed, catalog)
        statements = sum(len(p.statements) for pr in principals for p in pr.identity)
        print(f"\n{count} principals, {statements} identity statements")
        per_principal: list[float] = []
        _timed("effective permissions", count, _run_effective, principals, catalog, per_principal)
        print(
            f"    median {1000 * statistics.median(per_principal):.2f} ms, "
            f"p99 {1000 * sorted(per_principal)[int(0.99 * (len(per_principal) - 1))]:.2f} ms, "
            f"max {1000 * max(per_principal):.2f} ms"
        )
        requests = [
            Request(
                "s3:GetObject",
                "arn:aws:s3:::bucket-1/key",
                "arn:aws:iam::111122223333:role/r1",
                context=RequestContext.of({"aws:RequestedRegion": "us-east-1"}),
            ),
            Request(
                "iam:CreateUser",
                "arn:aws:iam::111122223333:user/x",
                "arn:aws:iam::111122223333:role/r1",
            ),
            Request("ec2:DescribeInstances", "*", "arn:aws:iam::111122223333:role/r1"),
        ]

        _timed(
            "decisions (3 per principal)", count * 3, _run_decisions, principals, requests, catalog
        )
        rng = random.Random(args.seed)
        rewrites = [(_narrowed(list(p.identity), rng, catalog), p.identity) for p in principals]

        _timed("containment (rewrite ⊆ original)", count, _run_containment, rewrites, catalog)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
