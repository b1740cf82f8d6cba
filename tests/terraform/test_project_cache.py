"""The whole-project cache: unchanged input is not read again; any change is seen."""

from __future__ import annotations

from iamlint.terraform import project_cache
from iamlint.terraform.project_cache import load_project_cached


def _actions(project):
    (record,) = [r for r in project.records if r.address == "aws_iam_policy.p"]
    return record.document["Statement"][0]["Action"]


def _setup(tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",'
        ' "Resource": "*"}]}'
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  name = "p"\n'
        '  policy = file("${path.module}/policies/p.json")\n}\n'
    )


def test_second_read_comes_from_the_cache(tmp_path, monkeypatch):
    _setup(tmp_path)
    first = load_project_cached([tmp_path], cwd=tmp_path)
    calls = []
    monkeypatch.setattr(project_cache, "load_project", lambda *a, **k: calls.append(a))
    second = load_project_cached([tmp_path], cwd=tmp_path)
    assert calls == []
    assert _actions(second) == _actions(first) == ["s3:GetObject"]


def test_a_changed_referenced_file_invalidates(tmp_path):
    _setup(tmp_path)
    load_project_cached([tmp_path], cwd=tmp_path)
    (tmp_path / "policies" / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",'
        ' "Resource": "*"}]}'
    )
    assert _actions(load_project_cached([tmp_path], cwd=tmp_path)) == ["s3:PutObject"]


def test_a_new_tfvars_file_invalidates(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "a" {\n  default = "s3:GetObject"\n}\n'
        'resource "aws_iam_policy" "p" {\n  name = "p"\n  policy = jsonencode({Version = '
        '"2012-10-17", Statement = [{Effect = "Allow", Action = var.a, Resource = "*"}]})\n}\n'
    )
    assert _actions(load_project_cached([tmp_path], cwd=tmp_path)) == ["s3:GetObject"]
    (tmp_path / "x.auto.tfvars").write_text('a = "s3:ListBucket"\n')
    assert _actions(load_project_cached([tmp_path], cwd=tmp_path)) == ["s3:ListBucket"]
