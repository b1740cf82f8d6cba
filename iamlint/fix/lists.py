"""Minimal edits that turn a written list of strings into another, in the author's own style.

Kept items keep their exact text (quotes, escapes, trailing comments); removed items on their
own line take their line with them; new items copy the indentation and comma style of their
neighbours. A layout we cannot edit without reformatting is refused, never reformatted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from iamlint.checks.finding import Edit

HCL = "hcl"  # a quoted HCL string: escape ${ and %{ as $${ and %%{
HCL_DOCUMENT = "hcl-document"  # inside aws_iam_policy_document: IAM variables are &{...}
JSON = "json"  # a plain JSON file read by file()
JSON_TEMPLATE = "json-template"  # JSON inside a heredoc or templatefile(): a template too
JSON_IN_STRING = "json-in-string"  # JSON written as a quoted HCL string: escaped twice


class CannotEdit(ValueError):
    """The value is written in a way a minimal edit cannot change safely."""


@dataclass(frozen=True, slots=True)
class ListSite:
    """A written list (or single string) of literal strings and where each item is."""

    file: str
    text: str  # the whole file
    start: int
    end: int
    items: tuple[tuple[int, int], ...]  # spans of the items, in order (empty for a scalar)
    values: tuple[str, ...]  # their values
    context: str


def quote(value: str, context: str) -> str:
    if context == JSON_IN_STRING:
        text = json.dumps(value).replace("\\", "\\\\").replace('"', '\\"')
        return text.replace("${", "$${").replace("%{", "%%{")
    if context in (JSON, JSON_TEMPLATE):
        text = json.dumps(value)
        if context == JSON_TEMPLATE:
            text = text.replace("${", "$${").replace("%{", "%%{")
        return text
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if context == HCL_DOCUMENT:
        escaped = escaped.replace("${", "&{")
    escaped = escaped.replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'


def rewrite(site: ListSite, wanted: list[str]) -> list[Edit]:
    """Edits that make the site hold exactly ``wanted`` (kept items first, in their order)."""
    written = site.text[site.start : site.end]
    if not written.lstrip().startswith("["):
        return [_replace_scalar(site, wanted)]
    kept = [i for i, v in enumerate(site.values) if v in wanted]
    kept_values = {site.values[i] for i in kept}
    added = [v for v in dict.fromkeys(wanted) if v not in kept_values]
    if "\n" not in written:
        return [_rewrite_inline(site, written, kept, added)]
    return _rewrite_lines(site, kept, added)


def _replace_scalar(site: ListSite, wanted: list[str]) -> Edit:
    if len(wanted) == 1:
        return Edit(site.file, site.start, site.end, quote(wanted[0], site.context))
    joined = ", ".join(quote(v, site.context) for v in wanted)
    return Edit(site.file, site.start, site.end, f"[{joined}]")


def _rewrite_inline(site: ListSite, written: str, kept: list[int], added: list[str]) -> Edit:
    inner = written.strip()[1:-1]
    pad = " " if inner.startswith(" ") and inner.endswith(" ") and inner.strip() else ""
    separator = ", " if not site.items or ", " in inner or len(site.items) < 2 else ","
    texts = [site.text[s:e] for s, e in (site.items[i] for i in kept)]
    texts += [quote(v, site.context) for v in added]
    return Edit(site.file, site.start, site.end, f"[{pad}{separator.join(texts)}{pad}]")


_AFTER_ITEM = re.compile(r"[ \t]*(,)?[ \t]*((#|//).*)?(\r?\n)")


def _rewrite_lines(site: ListSite, kept: list[int], added: list[str]) -> list[Edit]:
    text = site.text
    lines: list[tuple[int, int, int | None]] = []  # (line start, line end incl. newline, comma)
    for start, end in site.items:
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip():
            raise CannotEdit("several items share a line")
        after = _AFTER_ITEM.match(text, end)
        if after is None:
            raise CannotEdit("an item is followed by something other than a comma or comment")
        comma = after.start(1) if after.group(1) else None
        lines.append((line_start, after.end(), comma))
    if not site.items:
        raise CannotEdit("an empty multi-line list")
    trailing_style = lines[-1][2] is not None
    edits: list[Edit] = []
    removed = [i for i in range(len(site.items)) if i not in kept]
    for i in removed:
        edits.append(Edit(site.file, lines[i][0], lines[i][1], ""))
    final_last_kept = kept[-1] if kept else None
    if not trailing_style:
        # JSON style: every item but the last has a comma; fix the commas the change moves.
        for i in kept:
            should_have = i != final_last_kept or bool(added)
            comma = lines[i][2]
            if should_have and comma is None:
                edits.append(Edit(site.file, site.items[i][1], site.items[i][1], ","))
            elif not should_have and comma is not None:
                edits.append(Edit(site.file, comma, comma + 1, ""))
    if added:
        reference = kept[-1] if kept else len(site.items) - 1
        line_start, line_end, _ = lines[reference]
        indent = text[line_start : site.items[reference][0]]
        newline = "\r\n" if text[line_end - 2 : line_end] == "\r\n" else "\n"
        new_lines = []
        for n, value in enumerate(added):
            is_last = n == len(added) - 1
            comma = "," if trailing_style or not is_last else ""
            new_lines.append(f"{indent}{quote(value, site.context)}{comma}{newline}")
        anchor = line_end if kept else lines[0][0]
        edits.append(Edit(site.file, anchor, anchor, "".join(new_lines)))
    return edits
