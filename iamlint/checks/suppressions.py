"""Inline suppressions: ``# iamlint:ignore[W203,P305] reason until=2027-01-31``.

A suppression is written in a ``#`` or ``//`` comment (in `.tf.json`, as the value of a
``"//"`` key). Where it applies:

- a comment on its own line covers the next line of code and, when that line opens a block,
  list, call or heredoc (``statement {``, ``resource "..." "..." {``, ``jsonencode({``,
  ``policy = <<EOF``), the whole of it;
- a comment at the end of a line covers that line, and the block that line opens, if any;
- a ``"//"`` key in JSON covers the object it is in.

A suppression without a reason, one past its ``until=`` date, one naming no rule, and one that
suppressed nothing are reported (S901–S904): suppressions are accepted risks and must stay
honest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from iamlint.checks.finding import Finding, Severity
from iamlint.model import Location

NO_REASON, EXPIRED, UNUSED, INVALID = "S901", "S902", "S903", "S904"

_MARKER = re.compile(r"iamlint:ignore\[([^\]]*)\]([^\n]*)")
_UNTIL = re.compile(r"(?:^|\s)until=(\S*)")
_ID = re.compile(r"^[A-Za-z]{1,8}[0-9]{0,4}$")
_OPENERS = {"{": "}", "[": "]", "(": ")"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


@dataclass(slots=True)
class Suppression:
    file: str
    location: Location  # the comment
    rules: tuple[str, ...]  # ids or prefixes, upper case
    reason: str
    until: dt.date | None
    first_line: int
    last_line: int
    bad_date: str | None = None
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> str | None:
        """The selector that suppresses ``finding`` here, if any."""
        if finding.location.file != self.file:
            return None
        if not self.first_line <= finding.location.line <= self.last_line:
            return None
        for selector in self.rules:
            if finding.rule == selector or finding.rule.startswith(selector):
                return selector
        return None


@dataclass(frozen=True, slots=True)
class _Comment:
    start: int  # offset of the comment's first character
    text: str
    own_line: bool  # nothing but whitespace before it on its line
    json_key: bool  # a "//" key in a JSON object


class _Source:
    """Just enough lexing to find comments and bracket pairs without being fooled by strings,
    heredocs or ``${...}`` templates."""

    def __init__(self, text: str, is_json: bool) -> None:
        self.text = text
        self.is_json = is_json
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.comments: list[_Comment] = []
        self.pairs: dict[int, int] = {}  # opener offset -> closer offset
        self.heredocs: dict[int, int] = {}  # "<<" offset -> end of its closing marker
        self._scan()

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def location(self, start: int, end: int, file: str) -> Location:
        line, end_line = self.line_of(start), self.line_of(end)
        return Location(
            file,
            start,
            end,
            line,
            start - self.line_starts[line - 1] + 1,
            end_line,
            end - self.line_starts[end_line - 1] + 1,
        )

    def _scan(self) -> None:
        text, n, i = self.text, len(self.text), 0
        stack: list[int] = []
        while i < n:
            c = text[i]
            if c == '"':
                end = self._string_end(i)
                if self.is_json and self._is_comment_key(i, end):
                    value_start = text.index('"', text.index(":", end) + 1)
                    value_end = self._string_end(value_start)
                    self.comments.append(
                        _Comment(i, text[value_start + 1 : value_end - 1], False, True)
                    )
                    i = value_end
                    continue
                i = end
            elif not self.is_json and (c == "#" or text.startswith("//", i)):
                end = text.find("\n", i)
                end = n if end < 0 else end
                line_start = text.rfind("\n", 0, i) + 1
                own = text[line_start:i].strip() == ""
                self.comments.append(_Comment(i, text[i:end], own, False))
                i = end
            elif not self.is_json and text.startswith("/*", i):
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
            elif not self.is_json and text.startswith("<<", i):
                end = self._heredoc_end(i)
                self.heredocs[i] = end
                i = end
            elif c in _OPENERS:
                stack.append(i)
                i += 1
            elif c in _CLOSERS:
                if stack and text[stack[-1]] == _CLOSERS[c]:
                    self.pairs[stack.pop()] = i
                i += 1
            else:
                i += 1

    def _string_end(self, start: int) -> int:
        """Offset just after the string literal opening at ``start`` (templates included)."""
        text, n, i, depth = self.text, len(self.text), start + 1, 0
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == "\n" and not self.is_json and depth == 0:
                return i  # an unterminated string: stop at the line's end
            if not self.is_json and text.startswith("${", i):
                depth += 1
                i += 2
                continue
            if c == "}" and depth:
                depth -= 1
            elif c == '"' and depth:
                i = self._string_end(i)  # a string inside a template
                continue
            elif c == '"':
                return i + 1
            i += 1
        return n

    def _heredoc_end(self, start: int) -> int:
        match = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n", self.text[start:])
        if not match:
            return start + 2
        marker = re.compile(rf"^[ \t]*{re.escape(match.group(1))}[ \t]*$", re.MULTILINE)
        end = marker.search(self.text, start + match.end())
        return len(self.text) if end is None else end.end()

    def _is_comment_key(self, start: int, end: int) -> bool:
        if self.text[start:end] != '"//"':
            return False
        rest = self.text[end:].lstrip()
        return rest.startswith(":") and rest[1:].lstrip().startswith('"')

    def extent_from_line(self, line: int) -> int:
        """The last line of what ``line`` opens (itself when it opens nothing multi-line)."""
        if line > len(self.line_starts):
            return line
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        last = line
        for opener, closer in [*self.pairs.items(), *self.heredocs.items()]:
            if start <= opener < end:
                last = max(last, self.line_of(closer))
        return last

    def enclosing_object(self, offset: int) -> tuple[int, int]:
        best: tuple[int, int] | None = None
        for opener, closer in self.pairs.items():
            inside = opener < offset < closer and self.text[opener] == "{"
            if inside and (best is None or opener > best[0]):
                best = (opener, closer)
        if best is None:
            return 1, len(self.line_starts)
        return self.line_of(best[0]), self.line_of(best[1])

    def next_code_line(self, line: int) -> int:
        """The first line after ``line`` that is neither blank nor only a comment."""
        comment_lines = {self.line_of(c.start) for c in self.comments if c.own_line}
        total = len(self.line_starts)
        candidate = line + 1
        while candidate <= total:
            start = self.line_starts[candidate - 1]
            end = self.line_starts[candidate] if candidate < total else len(self.text)
            if self.text[start:end].strip() and candidate not in comment_lines:
                return candidate
            candidate += 1
        return line


def parse_suppressions(file: str, text: str) -> list[Suppression]:
    if "iamlint:ignore" not in text:
        return []  # the common case, and it costs nothing
    source = _Source(text, is_json=file.endswith(".json"))
    out = []
    for comment in source.comments:
        for match in _MARKER.finditer(comment.text):
            out.append(_suppression(file, source, comment, match))
    return out


def _suppression(
    file: str, source: _Source, comment: _Comment, match: re.Match[str]
) -> Suppression:
    start = comment.start + (0 if comment.json_key else match.start())
    location = source.location(start, start + len(match.group(0)), file)
    rules = tuple(r.strip().upper() for r in match.group(1).split(",") if r.strip())
    tail = match.group(2)
    until, bad_date = None, None
    date_match = _UNTIL.search(tail)
    if date_match:
        try:
            until = dt.date.fromisoformat(date_match.group(1))
        except ValueError:
            bad_date = date_match.group(1) or "(empty)"
        tail = tail[: date_match.start()] + tail[date_match.end() :]
    reason = tail.strip().strip("*/").strip()
    if comment.json_key:
        first, last = source.enclosing_object(comment.start)
    elif comment.own_line:
        first = source.next_code_line(location.line)
        last = source.extent_from_line(first)
    else:
        first = location.line
        last = source.extent_from_line(first)
    return Suppression(file, location, rules, reason, until, first, last, bad_date)


@dataclass(slots=True)
class Applied:
    kept: list[Finding]
    suppressed: list[Finding]
    problems: list[Finding]  # S901–S904


def apply_suppressions(
    findings: Iterable[Finding],
    suppressions: list[Suppression],
    *,
    known_rule: Callable[[str], bool],
    checked_rule: Callable[[str], bool],
    severity: Callable[[str], Severity],
    today: dt.date,
) -> Applied:
    """Drop suppressed findings and report the suppressions themselves where needed.

    ``known_rule(selector)``: the selector names some rule of the catalog. ``checked_rule``:
    the selector names a rule that actually ran, so "suppressed nothing" is meaningful."""
    result = Applied([], [], [])
    live = []
    for sup in suppressions:
        unknown = [r for r in sup.rules if not _ID.match(r) or not known_rule(r)]
        if not sup.rules:
            result.problems.append(_meta(INVALID, sup, "names no rule id", severity))
        for selector in unknown:
            result.problems.append(
                _meta(INVALID, sup, f"names {selector!r}, which is no rule", severity)
            )
        if sup.bad_date is not None:
            msg = f"has until={sup.bad_date}, not a YYYY-MM-DD date; it does not apply"
            result.problems.append(_meta(INVALID, sup, msg, severity))
            continue
        if sup.until is not None and sup.until < today:
            msg = f"expired on {sup.until.isoformat()}; the findings it covered are reported"
            result.problems.append(_meta(EXPIRED, sup, msg, severity))
            continue
        if not sup.reason:
            msg = "gives no reason; write why the finding is acceptable after the brackets"
            result.problems.append(_meta(NO_REASON, sup, msg, severity))
        live.append(sup)
    for finding in findings:
        for sup in live:
            selector = sup.covers(finding)
            if selector is not None:
                sup.used.add(selector)
                result.suppressed.append(finding)
                break
        else:
            result.kept.append(finding)
    for sup in live:
        for selector in sup.rules:
            if selector in sup.used or not _ID.match(selector) or not known_rule(selector):
                continue
            if checked_rule(selector):
                msg = f"for {selector} suppresses nothing here; remove it"
                result.problems.append(_meta(UNUSED, sup, msg, severity, subject=selector))
    return result


def _meta(
    rule: str,
    sup: Suppression,
    message: str,
    severity: Callable[[str], Severity],
    subject: str = "",
) -> Finding:
    ids = ",".join(sup.rules)
    return Finding(
        rule=rule,
        severity=severity(rule),
        message=f"suppression iamlint:ignore[{ids}] {message}",
        location=sup.location,
        address=sup.file,
        statement=f"line {sup.location.line}",  # suppressions have no other identity
        subject=subject or ids,
    )
