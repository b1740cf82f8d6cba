"""The rule-family modules the runner imports, each exposing ``run(ctx) -> Iterable[Finding]``.

Add a family with one line; keep the list otherwise untouched.
"""

from __future__ import annotations

FAMILIES: list[str] = [
    "iamlint.checks.validity",
    "iamlint.checks.wildcards",
    "iamlint.checks.trust",
    "iamlint.checks.privesc",
    "iamlint.checks.guardrails",
    "iamlint.checks.usage",
]
