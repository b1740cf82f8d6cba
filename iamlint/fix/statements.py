"""Removing whole statements that nothing used, as one edit per policy.

A statement whose every action went unused (and none of which the evidence was blind to) is
removed rather than emptied. Deletions are planned for the whole policy at once: removing two
neighbouring JSON objects must move commas once, consistently. Two forms are edited:

- a written list of statement objects (``jsonencode({Statement = [{...}, {...}]})``, heredoc
  and file JSON), through the same line-preserving list rewrite as action lists;
- ``statement { ... }`` blocks of an ``aws_iam_policy_document``, which go with their lines.

Anything else (statements from a ``dynamic`` block, merged from other documents, sharing lines
with other code) is refused with the reason, never reformatted.
"""

from __future__ import annotations

import itertools
import re

from iamlint.checks.finding import Edit
from iamlint.fix.lists import JSON, CannotEdit, ListSite, rewrite
from iamlint.fix.planner import StatementPlan
from iamlint.model import Location
from iamlint.terraform.project import PolicyRecord

# After a block's closing brace: only blanks and a comment up to the end of the line.
_AFTER_BLOCK = re.compile(r"[ \t]*((#|//).*)?(\r?\n|\Z)")
# A whole line of comment (the comment about the statement below it).
_COMMENT_LINE = re.compile(r"[ \t]*(#|//)[^\n]*\n")


def combine_deletions(
    record: PolicyRecord, plans: list[StatementPlan], texts: dict[str, str]
) -> list[StatementPlan]:
    """The policy's plans with every statement to delete folded into one plan that removes
    them all (or each left as is, with the reason it cannot be removed)."""
    deleting = [p for p in plans if p.deletes]
    if not deleting:
        return plans
    statements = record.document.get("Statement")
    total = len(statements) if isinstance(statements, list) else 1
    if len(deleting) == total:
        reason = ("nothing the policy allows was used: remove the policy itself "
                  "(a policy needs at least one statement)")  # fmt: skip
        return [_left(p, reason) for p in plans]
    indexes = sorted(p.index for p in deleting)
    try:
        edits = _deletion_edits(record, set(indexes), texts)
    except CannotEdit as err:
        reason = f"nothing it allows was used, but it cannot be removed automatically: {err}"
        return [_left(p, reason) if p.deletes else p for p in plans]
    labels = ", ".join(p.label.removeprefix(f"{record.address} ") for p in deleting)
    combined = StatementPlan(
        record,
        indexes[0],
        f"{record.address} {labels}",
        before=[a for p in deleting for a in p.before],
        after=[],
        kept={k: v for p in deleting for k, v in p.kept.items()},
        edits=edits,
        deletes=tuple(indexes),
    )
    return [p for p in plans if not p.deletes] + [combined]


def _left(plan: StatementPlan, reason: str) -> StatementPlan:
    if plan.deletes:
        plan.deletes = ()
        plan.skipped = reason
    return plan


def _deletion_edits(record: PolicyRecord, deleted: set[int], texts: dict[str, str]) -> list[Edit]:
    statements = record.document.get("Statement")
    if not isinstance(statements, list):
        raise CannotEdit("its Statement is a single object, not a list")
    spans: list[Location] = []
    for index in range(len(statements)):
        loc = record.spans.get(f"/Statement/{index}")
        if loc is None:
            raise CannotEdit("iamlint does not know where each statement is written")
        spans.append(loc)
    if len({loc.file for loc in spans}) != 1:
        raise CannotEdit("its statements are written in several files")
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise CannotEdit("several statements come from one written block (dynamic or merged)")
    listed = record.spans.get("/Statement")
    if listed is None:
        raise CannotEdit("iamlint does not know where the statements are written")
    file = spans[0].file
    text = texts[file]
    if all(text.startswith("statement", loc.start) for loc in spans):
        return _block_edits(file, text, [spans[i] for i in sorted(deleted)])
    written = text[listed.start : listed.end].lstrip()
    if (
        listed.file != file
        or not written.startswith("[")
        or not all(
            text.startswith("{", loc.start) or text.startswith("\\{", loc.start) for loc in spans
        )
    ):
        raise CannotEdit("its statements are not written as one list of objects or as blocks")
    items = ListSite(
        file,
        text,
        listed.start,
        listed.end,
        tuple((loc.start, loc.end) for loc in spans),
        tuple(str(i) for i in range(len(spans))),
        JSON,  # nothing is added, so no value is ever quoted in this context
    )
    edits = rewrite(items, [str(i) for i in range(len(spans)) if i not in deleted])
    # A comment written just above a removed object is about it: it goes too.
    starts = {text.rfind("\n", 0, spans[i].start) + 1 for i in deleted}
    return [
        Edit(e.file, _comments_above(text, e.start, listed.start), e.end, e.replacement)
        if e.start in starts and not e.replacement
        else e
        for e in edits
    ]


def _comments_above(text: str, line_start: int, floor: int) -> int:
    """The start of the comment lines right above ``line_start`` (not above ``floor``)."""
    start = line_start
    while start > floor:
        above = text.rfind("\n", 0, start - 1) + 1
        if above < floor or not _COMMENT_LINE.fullmatch(text, above, start):
            break
        start = above
    return start


def _block_edits(file: str, text: str, blocks: list[Location]) -> list[Edit]:
    edits: list[Edit] = []
    previous_end = 0
    for block in blocks:
        line_start = text.rfind("\n", 0, block.start) + 1
        if text[line_start : block.start].strip():
            raise CannotEdit("a statement block shares its first line with other code")
        after = _AFTER_BLOCK.match(text, block.end)
        if after is None:
            raise CannotEdit("a statement block shares its last line with other code")
        start, end = _comments_above(text, line_start, previous_end), after.end()
        line_start = start
        # The blank line that separated the block from the one above goes with it when a
        # blank line or the document's closing brace follows, so no double gap is left.
        above = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
        following = text[end : text.find("\n", end) + 1 if "\n" in text[end:] else len(text)]
        if (
            line_start > 0
            and above >= previous_end
            and not text[above:line_start].strip()
            and (not following.strip() or following.strip().startswith("}"))
        ):
            start = above
        edits.append(Edit(file, start, end, ""))
        previous_end = end
    return edits
