"""Idioms met in public modules, each once misread: now read right."""

from __future__ import annotations

import json

from tf_helpers import record

from iamlint.model import Unknown
from iamlint.terraform.project import load_project


def _load(tmp_path, text: str, name: str = "main.tf"):
    (tmp_path / name).write_text(text)
    return load_project([tmp_path], cwd=tmp_path)


DOC = (
    'data "aws_iam_policy_document" "assume" {\n  count = var.enabled ? 1 : 0\n'
    '  statement {\n    actions = ["sts:AssumeRole"]\n    principals {\n'
    '      type = "Service"\n      identifiers = ["ec2.amazonaws.com"]\n    }\n  }\n}\n'
    'variable "enabled" {}\n'
)


def test_splat_and_join_over_a_counted_data_source(tmp_path):
    project = _load(tmp_path, DOC + (
        'resource "aws_iam_role" "a" {\n  name = "a"\n'
        "  assume_role_policy = one(data.aws_iam_policy_document.assume[*].json)\n}\n"
        'resource "aws_iam_role" "b" {\n  name = "b"\n'
        '  assume_role_policy = join("", data.aws_iam_policy_document.assume.*.json)\n}\n'
    ))  # fmt: skip
    for address in ("aws_iam_role.a", "aws_iam_role.b"):
        statement = record(project, address).document["Statement"][0]
        assert statement["Principal"] == {"Service": ["ec2.amazonaws.com"]}


def test_terraform_0_11_principals_attribute(tmp_path):
    project = _load(tmp_path, (
        'data "aws_iam_policy_document" "d" {\n  statement {\n'
        '    actions = ["sqs:SendMessage"]\n    resources = ["*"]\n'
        '    principals = {\n      type = "AWS"\n      identifiers = ["arn:aws:iam::1:root"]\n'
        "    }\n  }\n}\n"
    ))  # fmt: skip
    statement = record(project, "data.aws_iam_policy_document.d").document["Statement"][0]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::1:root"]}


def test_vpc_endpoint_policy_is_read_as_an_endpoint_policy(tmp_path):
    project = _load(tmp_path, (
        'resource "aws_vpc_endpoint" "s3" {\n  vpc_id = "vpc-1"\n'
        '  service_name = "com.amazonaws.eu-west-1.s3"\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Principal = "*", Action = "*", Resource = "*" }] })\n}\n'
    ))  # fmt: skip
    endpoint = record(project, "aws_vpc_endpoint.s3")
    assert endpoint.kind == "endpoint"
    assert endpoint.attached_to == ["aws_vpc_endpoint.s3"]


def test_attachment_to_a_principal_outside_the_code_says_so(tmp_path):
    project = _load(tmp_path, (
        'variable "group_name" {}\n'
        'resource "aws_iam_policy" "p" {\n  name = "p"\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n'
        'resource "aws_iam_group_policy_attachment" "a" {\n  group = var.group_name\n'
        "  policy_arn = aws_iam_policy.p.arn\n}\n"
    ))  # fmt: skip
    (target,) = record(project, "aws_iam_policy.p").attached_to
    assert isinstance(target, Unknown) and target.text == "var.group_name"


def test_boundary_named_by_an_arn_built_from_its_name(tmp_path):
    project = _load(tmp_path, (
        'variable "account" {}\n'
        'locals {\n  boundary = "run-boundary"\n}\n'
        'resource "aws_iam_policy" "boundary" {\n  name = local.boundary\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n'
        'resource "aws_iam_role" "run" {\n  name = "run"\n  assume_role_policy = "{}"\n'
        '  permissions_boundary = "arn:aws:iam::${var.account}:policy/${local.boundary}"\n}\n'
    ))  # fmt: skip
    assert record(project, "aws_iam_policy.boundary").kind == "boundary"
    (role,) = project.principals
    assert role.permissions_boundary == "aws_iam_policy.boundary"


def test_escaped_json_strings_in_tf_json_do_not_shift_spans(tmp_path):
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${aws_s3_bucket.b.arn}"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    text = json.dumps({"resource": {"aws_iam_policy": {"p": {"name": "p", "policy": policy}}}})
    project = _load(tmp_path, text, "main.tf.json")
    for unknown in record(project, "aws_iam_policy.p").unknowns:
        written = text[unknown.location.start : unknown.location.end]
        assert written.startswith('"') and written.endswith('"')  # the whole string, not a slice
