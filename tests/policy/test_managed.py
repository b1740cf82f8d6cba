"""AWS managed policies have content: the pinned extract, its lookup, and its rebuild script."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
from importlib import resources
from pathlib import Path

from click.testing import CliRunner

from iamlint.cli import main
from iamlint.policy import managed

ROOT = Path(__file__).resolve().parents[2]


def test_the_extract_is_pinned_to_one_upstream_commit():
    assert managed.source()["commit"] == "2073fa52ac008a45477aa0b1b4580cd99135bf60"
    raw = resources.files("iamlint.data").joinpath("aws-managed-policies.json.gz").read_bytes()
    # The bytes the rebuild script gives for that commit; a change here must be a deliberate
    # refresh (update the commit and date with it).
    assert hashlib.sha256(raw).hexdigest()[:16] == "30559ea08dc5e0e7"
    assert len(managed.names()) == 1643  # 1,641 upstream + AdministratorAccess, PowerUserAccess


def test_the_licence_travels_with_the_data():
    licence = resources.files("iamlint.data").joinpath("LICENSE-iam-dataset").read_text()
    assert "MIT" in licence or "Permission is hereby granted" in licence


def test_lookup_by_arn_in_any_partition_and_with_its_path():
    read_only = managed.lookup("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert read_only is not None and read_only.name == "ReadOnlyAccess"
    assert managed.lookup("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess") == read_only
    lambda_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    lambda_basic = managed.lookup(lambda_arn)
    assert lambda_basic is not None
    statement_actions = json.dumps(lambda_basic.document)
    assert "logs:PutLogEvents" in statement_actions


def test_a_wrong_path_or_a_customer_policy_is_not_an_aws_managed_policy():
    assert managed.lookup("arn:aws:iam::aws:policy/job-function/ReadOnlyAccess") is None
    assert managed.lookup("arn:aws:iam::111122223333:policy/ReadOnlyAccess") is None
    assert managed.lookup("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere") is None
    assert not managed.is_managed_arn("arn:aws:iam::111122223333:policy/x")


def test_policies_without_an_arn_upstream_are_found_by_name():
    nameless = [n for n in managed.names() if not managed._policies()[n].arn]
    assert nameless  # 75 service-role policies whose source lacks their ARN
    name = nameless[0]
    assert managed.lookup(f"arn:aws:iam::aws:policy/service-role/{name}") is not None


def test_administrator_and_power_user_are_supplied_from_the_aws_reference():
    admin = managed.lookup("arn:aws:iam::aws:policy/AdministratorAccess")
    assert admin is not None
    assert admin.document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert admin.source.startswith("https://docs.aws.amazon.com/aws-managed-policy/")
    power = managed.lookup("arn:aws:iam::aws:policy/PowerUserAccess")
    assert power is not None
    assert power.document["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]


def test_version_names_the_data_date():
    result = CliRunner().invoke(main, ["--version"])
    assert "AWS managed policies 2026-08-22" in result.output


def test_the_rebuild_script_reproduces_the_shipped_bytes(tmp_path, monkeypatch):
    raw = resources.files("iamlint.data").joinpath("aws-managed-policies.json.gz").read_bytes()
    policies = json.loads(gzip.decompress(raw))
    upstream = tmp_path / "iam-dataset" / "aws" / "managedpolicies"
    upstream.mkdir(parents=True)
    for name, entry in policies.items():
        record = {
            "name": name,
            "arn": entry["arn"],
            "version": entry["version"],
            "updatedate": entry["updated"],
            "deprecated": entry["deprecated"],
            "document": entry["document"],
            "privesc": False,  # upstream carries more fields; the script keeps only its own
        }
        (upstream / f"{name}.json").write_text(json.dumps(record))
    spec = importlib.util.spec_from_file_location(
        "rebuild", ROOT / "scripts" / "rebuild_managed_policies.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "data"
    out.mkdir()
    monkeypatch.setattr(script, "DATA", out)
    code = script.main([str(tmp_path / "iam-dataset"), "--commit", "abc", "--date", "2026-01-01"])
    assert code == 0
    assert (out / "aws-managed-policies.json.gz").read_bytes() == raw
    assert json.loads((out / "managed_policies_source.json").read_text())["commit"] == "abc"
