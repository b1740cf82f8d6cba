"""Baselines: record today's findings so that only new ones fail.

Entries are keyed by `Finding.fingerprint` (rule + address + statement + subject): no line
numbers, so reformatting a file or moving a block keeps old findings matched. Identical
fingerprints are counted, so a second copy of a known problem is still new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.checks.finding import Finding

FORMAT_VERSION = 1


class BaselineError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Baseline:
    counts: Counter[str]

    def split(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
        """(new findings, findings already in the baseline)."""
        remaining = Counter(self.counts)
        new, known = [], []
        for finding in findings:
            key = finding.fingerprint
            if remaining[key] > 0:
                remaining[key] -= 1
                known.append(finding)
            else:
                new.append(finding)
        return new, known


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline file: sorted, without timestamps, so that it diffs well in review."""
    entries = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "address": f.address,
                "statement": f.statement,
                "subject": f.subject,
                "file": f.location.file,  # for people reading the file; not matched on
            }
            for f in findings
        ),
        key=lambda e: (e["file"], e["rule"], e["address"], e["statement"], e["subject"]),
    )
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "tool": f"iamlint {__version__}",
        "findings": entries,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_baseline(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as err:
        raise BaselineError(f"{path}: cannot read the baseline: {err.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BaselineError(f"{path}: not a baseline file (invalid JSON: {err})") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: not an iamlint baseline of format_version {FORMAT_VERSION}; "
            "create one with `iamlint baseline create`"
        )
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: 'findings' must be a list of entries with a fingerprint")
    return Baseline(Counter(e["fingerprint"] for e in entries))
