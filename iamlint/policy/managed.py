"""AWS managed policies have content: their documents, from a pinned extract shipped with iamlint.

A role with `arn:aws:iam::aws:policy/ReadOnlyAccess` attached has every permission that policy
grants. The documents come from the public iam-dataset (MIT; `iamlint/data/README.md` says which
commit and how to rebuild it). An ARN is recognised in any partition (`arn:aws-us-gov:...`,
`arn:${data.aws_partition.current.partition}:...` once the partition is resolved) and with or
without its path (`service-role/`, `job-function/`).
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

_DATA = "aws-managed-policies.json.gz"
_SOURCE = "managed_policies_source.json"

# `arn:PARTITION:iam::aws:policy/PATH/NAME`; the partition may be any, the path optional.
_MANAGED_ARN = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:(.*)/)?([A-Za-z0-9+=,.@_-]+)$")


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    name: str
    arn: str
    version: str
    updated: str
    deprecated: bool
    document: dict[str, Any]
    source: str  # where the document comes from


# Two policies every account has that this snapshot of the upstream data lacks; their documents
# as AWS publishes them in the managed policy reference.
_SUPPLEMENTS: dict[str, dict[str, Any]] = {
    "AdministratorAccess": {
        "arn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "version": "v1",
        "updated": "2015-02-06T18:39:46+00:00",
        "source": "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html",
        "document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    },
    "PowerUserAccess": {
        "arn": "arn:aws:iam::aws:policy/PowerUserAccess",
        "version": "v12",
        "updated": "2026-02-12T17:59:00+00:00",
        "source": "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html",
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "NotAction": ["iam:*", "organizations:*", "account:*"],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "account:GetAccountInformation",
                        "account:GetGovCloudAccountInformation",
                        "account:GetPrimaryEmail",
                        "account:ListRegions",
                        "iam:CreateServiceLinkedRole",
                        "iam:DeleteServiceLinkedRole",
                        "iam:ListRoles",
                        "organizations:DescribeEffectivePolicy",
                        "organizations:DescribeOrganization",
                    ],
                    "Resource": "*",
                },
            ],
        },
    },
}


@functools.cache
def source() -> dict[str, str]:
    """Where the extract comes from: repository, commit and date."""
    text = resources.files("iamlint.data").joinpath(_SOURCE).read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def dataset_version() -> str:
    """``"2026-08-22 (iam-dataset 2073fa5)"``, for ``--version``."""
    info = source()
    return f"{info['date']} (iam-dataset {info['commit'][:7]})"


@functools.cache
def _policies() -> dict[str, ManagedPolicy]:
    raw = resources.files("iamlint.data").joinpath(_DATA).read_bytes()
    data: dict[str, dict[str, Any]] = json.loads(gzip.decompress(raw))
    upstream = f"{source()['repository']} at {source()['commit']}"
    out = {name: _policy(name, entry, upstream) for name, entry in data.items()}
    for name, entry in _SUPPLEMENTS.items():
        out.setdefault(name, _policy(name, entry, entry["source"]))
    return out


def _policy(name: str, entry: dict[str, Any], origin: str) -> ManagedPolicy:
    return ManagedPolicy(
        name=name,
        arn=entry.get("arn") or "",
        version=str(entry.get("version") or ""),
        updated=str(entry.get("updated") or ""),
        deprecated=bool(entry.get("deprecated")),
        document=entry["document"],
        source=entry.get("source", origin),
    )


@functools.cache
def _by_path() -> dict[tuple[str, str], ManagedPolicy]:
    """(path, name) -> policy, for the policies whose ARN the data gives."""
    out: dict[tuple[str, str], ManagedPolicy] = {}
    for policy in _policies().values():
        match = _MANAGED_ARN.match(policy.arn)
        if match:
            out[(match.group(1) or "", match.group(2))] = policy
    return out


def is_managed_arn(arn: str) -> bool:
    """Whether ``arn`` names an AWS managed policy (in any partition)."""
    return _MANAGED_ARN.match(arn) is not None


def lookup(arn: str) -> ManagedPolicy | None:
    """The AWS managed policy an ARN names, or None when the ARN is not one iamlint knows.

    The path must agree when the data gives the policy's ARN; for the few policies whose source
    lacks their ARN, the name alone decides (AWS managed policy names are unique).
    """
    match = _MANAGED_ARN.match(arn)
    if match is None:
        return None
    path, name = match.group(1) or "", match.group(2)
    found = _by_path().get((path, name))
    if found is not None:
        return found
    policy = _policies().get(name)
    if policy is not None and not policy.arn:
        return policy
    return None


def names() -> list[str]:
    return sorted(_policies())
