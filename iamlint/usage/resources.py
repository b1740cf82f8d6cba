"""Generalize observed resource ARNs so a snapshot stays bounded in size.

Object keys, instance ids and log streams are unbounded; least-privilege policies are written
at bucket, table or log-group level anyway. A generalized row keeps a few exact samples and a
distinct count, both computed so that the result does not depend on the order in which files
were read (needed for byte-identical snapshots from parallel imports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# (pattern, replacement): first match wins. Each keeps the part a policy would name.
_GENERALIZATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # S3 objects: arn:aws:s3:::bucket/any/key → arn:aws:s3:::bucket/*
    (re.compile(r"^(arn:[^:]+:s3:::[^/]+)/.+$"), r"\1/*"),
    # CloudWatch Logs streams inside a group.
    (
        re.compile(r"^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+):log-stream:.+$"),
        r"\1:log-stream:*",
    ),
    # DynamoDB stream labels (timestamps) under a table.
    (re.compile(r"^(arn:[^:]+:dynamodb:[^:]*:[^:]*:table/[^/]+)/stream/.+$"), r"\1/stream/*"),
    # EC2 generated ids (i-0abc…, vol-…, snap-…, eni-…): one per launch, never named in policies.
    (re.compile(r"^(arn:[^:]+:ec2:[^:]*:[^:]*:[a-z-]+)/[a-z]+-[0-9a-f]{8,17}$"), r"\1/*"),
)

SAMPLE_LIMIT = 3
DISTINCT_LIMIT = 200


def generalize_arn(arn: str) -> str:
    # Fast path for the overwhelmingly common S3 object ARN (one per data event).
    if arn.startswith("arn:aws:s3:::"):
        slash = arn.find("/", 13)
        return arn if slash <= 13 or slash == len(arn) - 1 else arn[: slash + 1] + "*"
    if not any(marker in arn for marker in (":s3:::", ":logs:", ":dynamodb:", ":ec2:")):
        return arn
    for pattern, replacement in _GENERALIZATIONS:
        if pattern.match(arn):
            return pattern.sub(replacement, arn, count=1)
    return arn


class SmallestValues:
    """The ``DISTINCT_LIMIT`` lexicographically smallest distinct values seen.

    Keeping the *smallest* values (not the first) makes the result order-independent and
    mergeable; if the limit was ever exceeded the count is a lower bound.
    """

    __slots__ = ("exact", "values")

    def __init__(self, values: Iterable[str] = (), exact: bool = True) -> None:
        self.values: set[str] = set(values)
        self.exact = exact
        self._trim()

    def add(self, value: str) -> None:
        if value in self.values:
            return
        self.values.add(value)
        if len(self.values) > 2 * DISTINCT_LIMIT:
            self._trim()

    def update(self, other: SmallestValues) -> None:
        self.values |= other.values
        self.exact = self.exact and other.exact
        self._trim()

    def _trim(self) -> None:
        if len(self.values) > DISTINCT_LIMIT:
            self.values = set(sorted(self.values)[:DISTINCT_LIMIT])
            self.exact = False

    def count(self) -> int:
        self._trim()
        return len(self.values)

    def is_exact(self) -> bool:
        self._trim()
        return self.exact

    def samples(self) -> list[str]:
        return sorted(self.values)[:SAMPLE_LIMIT]
