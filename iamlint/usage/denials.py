"""Authorization failures in CloudTrail: which policy type denied, and whether explicitly.

The grammar (IAM User Guide, "Troubleshoot access denied error messages")::

    User: <principal> is not authorized to perform: <action> [on resource: <arn>]
        because no <policy type> allows the <action> action           (implicit deny)
        with an explicit deny in a <policy type>[: <policy arn>]       (explicit deny)

The extraction regexes are deliberately simple (no named groups, no look-around) because the
same patterns run inside Athena/Trino (Java regex) and DuckDB (RE2) in ``usage sql``; both paths
then go through `interpret_denial`, so a denial reads the same whichever engine saw it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Shared with iamlint/usage/sql.py: keep them valid in Java regex, RE2 and Python alike.
DENIED_ACTION_PATTERN = r"not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)"
DENY_REASON_PATTERN = r"(because no [A-Za-z -]+ allows|with an explicit deny in an? [A-Za-z -]+)"
DENY_POLICY_ARN_PATTERN = r"explicit deny in an? [A-Za-z -]+: (arn:[^ ]+)"
MESSAGE_RESOURCE_PATTERN = r"on resource: \"?([^\" ]+)"
ENCODED_PATTERN = r"(Encoded authorization failure message)"
MESSAGE_PRINCIPAL_PATTERN = r"User: ([^ ]+) is not authorized"

_DENIED_ACTION = re.compile(DENIED_ACTION_PATTERN)
_DENY_REASON = re.compile(DENY_REASON_PATTERN)
_DENY_POLICY_ARN = re.compile(DENY_POLICY_ARN_PATTERN)
_MESSAGE_RESOURCE = re.compile(MESSAGE_RESOURCE_PATTERN)
_ENCODED = re.compile(ENCODED_PATTERN)
_MESSAGE_PRINCIPAL = re.compile(MESSAGE_PRINCIPAL_PATTERN)

# Message wording → the snapshot's policy_type vocabulary.
POLICY_TYPES: dict[str, str] = {
    "identity-based policy": "identity",
    "resource-based policy": "resource",
    "permissions boundary": "boundary",
    "session policy": "session",
    "sessions policy": "session",  # the docs show both spellings
    "service control policy": "scp",
    "resource control policy": "rcp",
    "VPC endpoint policy": "vpc_endpoint",
    "role trust policy": "trust",
}


def is_authorization_error(error_code: str | None) -> bool:
    """The CIS metric-filter definition, plus SNS's ``AuthorizationError``."""
    if not error_code:
        return False
    return (
        error_code.startswith("AccessDenied")
        or error_code.endswith("UnauthorizedOperation")
        or error_code.startswith("AuthorizationError")
    )


@dataclass(frozen=True, slots=True)
class DenialFields:
    """The raw pieces the regexes pull out of an ``errorMessage`` (None when absent)."""

    action: str | None
    reason: str | None
    policy_arn: str | None
    resource: str | None
    encoded: bool


@dataclass(frozen=True, slots=True)
class Denial:
    """An interpreted denial.

    ``kind`` is ``implicit`` | ``explicit`` | ``unknown``. SCP denials are ``unknown`` because AWS
    words every SCP denial as explicit "even if the denial is implicit". ``policy_type`` is None
    when the message does not say (e.g. only an encoded blob). ``via`` names the policy type a
    transitive denial went through (``... VPC endpoint policy transitively through a service
    control policy``).
    """

    kind: str
    policy_type: str | None
    policy_arn: str | None = None
    via: str | None = None
    encoded_only: bool = False

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.policy_type or "", self.policy_arn or "", self.via or "")


def _first_group(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def strip_sentence_end(value: str | None) -> str | None:
    # Messages end sentences right after an ARN: "...policy/Deny. Go to https://..."
    if value is None:
        return None
    value = value.rstrip(".")
    return value or None


def extract_denial_fields(message: str | None) -> DenialFields:
    if not message:
        return DenialFields(None, None, None, None, False)
    return DenialFields(
        action=_first_group(_DENIED_ACTION, message),
        reason=_first_group(_DENY_REASON, message),
        policy_arn=_first_group(_DENY_POLICY_ARN, message),
        resource=_first_group(_MESSAGE_RESOURCE, message),
        encoded=_ENCODED.search(message) is not None,
    )


def normalize_fields(fields: DenialFields) -> DenialFields:
    """Post-processing shared by the Python and SQL paths (SQL engines return '' for no match)."""
    return DenialFields(
        action=fields.action or None,
        reason=fields.reason or None,
        policy_arn=strip_sentence_end(fields.policy_arn or None),
        resource=strip_sentence_end(fields.resource or None),
        encoded=bool(fields.encoded),
    )


def _policy_type(words: str) -> str | None:
    return POLICY_TYPES.get(words.strip())


def interpret_denial(fields: DenialFields) -> Denial:
    reason = fields.reason
    if reason is None:
        return Denial("unknown", None, encoded_only=fields.encoded)
    if reason.startswith("because no "):
        words = reason[len("because no ") : -len(" allows")]
        return Denial("implicit", _policy_type(words))
    described = re.sub(r"^with an explicit deny in an? ", "", reason)
    via = None
    if " transitively through a" in described:
        described, _, via_words = described.partition(" transitively through a")
        via = _policy_type(via_words.removeprefix("n ").removeprefix(" "))
    policy_type = _policy_type(described)
    kind = "unknown" if policy_type == "scp" or via == "scp" else "explicit"
    return Denial(kind, policy_type, policy_arn=fields.policy_arn, via=via)


@dataclass(frozen=True, slots=True)
class ParsedAccessDenied:
    principal: str | None
    action: str | None
    resource: str | None
    denial: Denial


def parse_access_denied(message: str) -> ParsedAccessDenied:
    """Everything one authorization-failure message says, for humans and tests."""
    fields = normalize_fields(extract_denial_fields(message))
    return ParsedAccessDenied(
        principal=_first_group(_MESSAGE_PRINCIPAL, message),
        action=fields.action,
        resource=fields.resource,
        denial=interpret_denial(fields),
    )
