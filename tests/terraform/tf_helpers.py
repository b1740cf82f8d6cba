"""Helpers shared by the Terraform reader tests."""

from __future__ import annotations

import json
from pathlib import Path

from iamlint.model import Location, Unknown
from iamlint.terraform.project import PolicyRecord, Project, load_project

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform"


def load(name: str, **kwargs) -> Project:
    return load_project([FIXTURES / name], cwd=FIXTURES.parent.parent, **kwargs)


def record(project: Project, address: str) -> PolicyRecord:
    matches = [r for r in project.records if r.address == address]
    assert matches, f"no record {address}; have {[r.address for r in project.records]}"
    return matches[0]


def source_text(loc: Location) -> str:
    root = FIXTURES.parent.parent
    text = (root / loc.file).read_bytes().decode("utf-8-sig")
    return text[loc.start : loc.end]


def assert_line_column(loc: Location) -> None:
    """Line and column agree with the offset."""
    root = FIXTURES.parent.parent
    text = (root / loc.file).read_bytes().decode("utf-8-sig")
    before = text[: loc.start]
    assert loc.line == before.count("\n") + 1
    assert loc.column == loc.start - (before.rfind("\n") + 1) + 1


def value_matches_span(value, text: str) -> bool:
    """The source text at a span spells the value (HCL or JSON quoting, IAM-variable escapes)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        if text.startswith('\\"') and text.endswith('\\"'):
            text = text.replace('\\"', '"')  # JSON inside a quoted HCL string
        if text.startswith('"') and text.endswith('"'):
            inner = json.loads(text) if "\\" in text else text[1:-1]
            inner = inner.replace("&{", "${").replace("$${", "${").replace("%%{", "%{")
            return inner == value or "${" in inner
        return text == value or text.startswith("<<") or "(" in text or "." in text
    if isinstance(value, list):
        if len(value) == 1 and (text.startswith(('"', '\\"')) or text == value[0]):
            return value_matches_span(value[0], text)  # a scalar written where a list is allowed
        return (text.startswith("[") and text.endswith("]")) or "(" in text or "." in text
    if isinstance(value, dict):
        return (
            text.startswith(("{", '"{', "statement", "content", "dynamic"))
            or "(" in text
            or text.startswith("<<")
            or "." in text
        )
    return True


def at(document, pointer: str):
    node = document
    for part in pointer.strip("/").split("/"):
        if not part:
            continue
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node
