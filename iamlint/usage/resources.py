"""Generalize observed resource ARNs so a snapshot stays bounded in size.

Object keys, instance ids and log streams are unbounded; least-privilege policies are written
at bucket, table or log-group level anyway. A generalized row keeps a few exact samples and a
distinct count, both computed so that the result does not depend on the order in which files
were read (needed for byte-identical snapshots from parallel imports).
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Iterable

# (pattern, replacement): first match wins. Each keeps the part a policy would name.
GENERALIZATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
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
    for pattern, replacement in GENERALIZATIONS:
        if pattern.match(arn):
            return pattern.sub(replacement, arn, count=1)
    return arn


class DistinctValues:
    """How many distinct values were seen (exactly, up to ``DISTINCT_LIMIT``) and the
    ``SAMPLE_LIMIT`` lexicographically smallest of them.

    Once more than ``DISTINCT_LIMIT`` distinct values have been seen the set is dropped and only
    the samples are kept: the count is then the limit, as a lower bound, whatever comes next.
    That bounds memory per row (an S3 prefix read a million times costs what one read a
    thousand times does), and both the count and the samples are independent of the order
    values arrive in and of how the input was split, so parallel imports stay byte-identical.
    """

    __slots__ = ("exact", "saturated_samples", "values")

    def __init__(self, values: Iterable[str] = (), exact: bool = True) -> None:
        self.values: set[str] | None = set(values)
        # The smallest values, kept only once `values` is dropped (sorted, at most the limit).
        self.saturated_samples: list[str] | None = None
        self.exact = exact
        if len(self.values) > DISTINCT_LIMIT:
            self._saturate(self.values)

    def add(self, value: str) -> None:
        values = self.values
        if values is not None:
            if value not in values:
                values.add(value)
                if len(values) > DISTINCT_LIMIT:
                    self._saturate(values)
            return
        samples = self.saturated_samples
        assert samples is not None
        if value in samples:
            return
        if len(samples) < SAMPLE_LIMIT:
            insort(samples, value)
        elif value < samples[-1]:
            insort(samples, value)
            samples.pop()

    def saturate(self) -> None:
        """Record that more than ``DISTINCT_LIMIT`` distinct values exist (seen elsewhere)."""
        if self.values is not None:
            self._saturate(self.values)

    def _saturate(self, values: Iterable[str]) -> None:
        self.saturated_samples = sorted(values)[:SAMPLE_LIMIT]
        self.values = None
        self.exact = False

    def update(self, other: DistinctValues) -> None:
        self.exact = self.exact and other.exact
        if self.values is not None and other.values is not None:
            self.values |= other.values
            if len(self.values) > DISTINCT_LIMIT:
                self._saturate(self.values)
            return
        self._saturate(set(self.samples()) | set(other.samples()))

    def count(self) -> int:
        return DISTINCT_LIMIT if self.values is None else len(self.values)

    def is_exact(self) -> bool:
        return self.exact

    def samples(self) -> list[str]:
        if self.values is not None:
            return sorted(self.values)[:SAMPLE_LIMIT]
        return list(self.saturated_samples or ())
