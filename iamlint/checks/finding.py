"""What a rule reports: a `Finding`, and optionally a `Fix` made of text `Edit`s.

Modelled on ruff: a fix is a set of span replacements with an applicability; findings carry
the material for a fingerprint that survives reformatting (rule, address, statement, subject),
never line numbers.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

from iamlint.model import Location


class Severity(enum.IntEnum):
    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Certainty(enum.Enum):
    """*definite*: the policy as written does it. *possible*: it does if an unknown value
    (named in the message) turns out a certain way."""

    DEFINITE = "definite"
    POSSIBLE = "possible"


class Applicability(enum.Enum):
    SAFE = "safe"  # proven not to widen and to keep observed usage
    UNSAFE = "unsafe"  # changes behaviour on purpose (e.g. a grant for an observed denial)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``file[start:end]`` (character offsets) with ``replacement``."""

    file: str
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE


@dataclass(slots=True)
class Finding:
    rule: str  # "W203"
    severity: Severity
    message: str
    location: Location
    address: str = ""  # the Terraform address of the policy or principal
    statement: str = ""  # a stable statement identity: Sid, else its index ("#2")
    subject: str = ""  # what exactly is wrong ("s3:*", the principal ARN...)
    certainty: Certainty = Certainty.DEFINITE
    fix: Fix | None = None
    related: list[Location] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable across reformatting and moved lines: no positions in it."""
        material = "\x1f".join((self.rule, self.address, self.statement, self.subject))
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule, self.subject)
