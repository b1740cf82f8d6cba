"""Minimal list edits in the author's own style."""

from __future__ import annotations

import re

import pytest

from iamlint.fix.apply import apply_edits
from iamlint.fix.lists import (
    HCL,
    HCL_DOCUMENT,
    JSON,
    JSON_TEMPLATE,
    CannotEdit,
    ListSite,
    quote,
    rewrite,
)


def site(text: str, context: str = HCL) -> ListSite:
    start = text.index("[") if "[" in text else text.index('"')
    end = text.rindex("]") + 1 if "[" in text else text.rindex('"') + 1
    items = [(m.start() + start, m.end() + start) for m in re.finditer(r'"[^"]*"', text[start:end])]
    if "[" not in text:
        items = []
    values = [text[a + 1 : b - 1] for a, b in items]
    return ListSite("f.tf", text, start, end, tuple(items), tuple(values), context)


def change(text: str, wanted: list[str], context: str = HCL) -> str:
    return apply_edits(text, rewrite(site(text, context), wanted))


def test_multiline_hcl_keeps_comments_and_trailing_commas():
    text = 'actions = [\n  "s3:GetObject", # reads\n  "s3:PutObject",\n  "sqs:*",\n]\n'
    assert change(text, ["s3:GetObject", "sqs:SendMessage"]) == (
        'actions = [\n  "s3:GetObject", # reads\n  "sqs:SendMessage",\n]\n'
    )


def test_inline_list_keeps_its_spacing():
    assert change('a = [ "s3:*", "ec2:*" ]\n', ["s3:*"]) == 'a = [ "s3:*" ]\n'
    assert change('a = ["s3:*","ec2:*"]\n', ["ec2:*", "kms:Decrypt"]) == (
        'a = ["ec2:*","kms:Decrypt"]\n'
    )


def test_json_lists_get_their_commas_right():
    text = '"Action": [\n    "s3:GetObject",\n    "s3:PutObject"\n]'
    assert change(text, ["s3:GetObject"], JSON) == '"Action": [\n    "s3:GetObject"\n]'
    assert change(text, ["s3:PutObject", "kms:Decrypt"], JSON) == (
        '"Action": [\n    "s3:PutObject",\n    "kms:Decrypt"\n]'
    )


def test_scalar_becomes_a_list_only_when_needed():
    assert change('Action = "s3:*"\n', ["s3:GetObject"]) == 'Action = "s3:GetObject"\n'
    assert change('Action = "s3:*"\n', ["s3:GetObject", "s3:PutObject"]) == (
        'Action = ["s3:GetObject", "s3:PutObject"]\n'
    )


def test_crlf_line_endings_are_kept():
    text = 'a = [\r\n  "s3:*",\r\n  "ec2:*",\r\n]\r\n'
    assert (
        change(text, ["s3:*", "kms:Decrypt"]) == 'a = [\r\n  "s3:*",\r\n  "kms:Decrypt",\r\n]\r\n'
    )


def test_several_items_on_one_line_of_a_multiline_list_are_refused():
    with pytest.raises(CannotEdit):
        rewrite(site('a = [\n  "s3:*", "ec2:*",\n]\n'), ["s3:*"])


def test_quoting_escapes_terraform_templates_and_iam_variables():
    assert quote("arn:aws:s3:::b/${aws:username}", HCL) == '"arn:aws:s3:::b/$${aws:username}"'
    assert (
        quote("arn:aws:s3:::b/${aws:username}", HCL_DOCUMENT) == '"arn:aws:s3:::b/&{aws:username}"'
    )
    assert quote("a${x}", JSON) == '"a${x}"'
    assert quote("a${x}", JSON_TEMPLATE) == '"a$${x}"'
