"""Input errors, `.tf.json`, plan JSON, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from tf_helpers import FIXTURES, load, record

from iamlint.model import Unknown

ROOT = FIXTURES.parent.parent


def test_errors_are_reported_with_place_and_the_rest_goes_on():
    project = load("errors")
    messages = {(e.file.split("/")[-1], e.line): e.message for e in project.errors}
    assert messages[("binary.tf", 1)].startswith("binary file")
    assert ("broken.tf", 5) in messages
    assert messages[("main.tf", 6)].startswith("invalid JSON")
    assert messages[("bad.json", 4)].startswith("invalid JSON")
    assert "outside the repository" in messages[("main.tf", 18)]
    # The good policy in the same file is still read.
    assert record(project, "aws_iam_policy.good").document["Statement"][0]["Action"] == [
        "s3:GetObject"
    ]
    escape = record(project, "aws_iam_policy.escape")
    assert isinstance(escape.document, Unknown)


def test_tf_json_files():
    project = load("tfjson")
    policy = record(project, "aws_iam_role_policy.app")
    assert policy.document["Statement"][0]["Resource"] == ["arn:aws:s3:::acme-json/*"]
    assert policy.attached_to == ["aws_iam_role.app"]
    trust = record(project, "aws_iam_role.app")
    assert trust.document["Statement"][0]["Principal"] == {"Service": ["ecs-tasks.amazonaws.com"]}


def test_plan_json_records_with_same_addresses():
    from iamlint.terraform.project import load_project

    project = load_project([FIXTURES / "plan" / "plan.json"], cwd=ROOT)
    read = record(project, 'module.app.aws_iam_role_policy.this["read"]')
    assert read.document["Statement"][0]["Action"] == ["s3:GetObject"]
    assert read.attached_to == ["aws_iam_role.app"]
    later = record(project, "module.app.aws_iam_policy.later")
    assert isinstance(later.document, Unknown)
    assert later.document.reason == "known only after apply"


def run(*args: str):
    return subprocess.run(
        [sys.executable, "-m", "iamlint", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_cli_json_output_is_stable_and_documented_shape():
    result = run("policies", "fixtures/terraform/graph", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format_version"] == 1
    assert {"policies", "principals", "modules_not_followed", "errors"} <= set(data)
    first = data["policies"][0]
    assert {"address", "kind", "location", "document", "spans", "unknowns", "attached_to"} <= set(
        first
    )
    again = run("policies", "fixtures/terraform/graph", "--format", "json")
    assert again.stdout == result.stdout


def test_cli_exit_codes_and_no_traceback():
    bad = run("policies", "fixtures/terraform/errors")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "fixtures/terraform/errors/broken.tf:5:3:" in bad.stderr
    good = run("policies", "fixtures/terraform/forms")  # `check` now runs the rules
    assert good.returncode == 0


def test_unknown_values_are_marked_in_json():
    result = run("policies", "fixtures/terraform/forms", "--format", "json")
    data = json.loads(result.stdout)
    unknown = next(p for p in data["policies"] if p["address"] == "aws_iam_policy.unknown")
    assert unknown["document"]["$unknown"] == "var.unset"


def test_locations_agree_with_line_and_column_everywhere():
    from pathlib import Path as _Path

    from iamlint.terraform.files import SourceFile

    for text in ["ab\ncd\n\nefg", "", "\n", "x\r\ny\n"]:
        file = SourceFile(_Path("x.tf"), "x.tf", text)
        for start in range(len(text) + 1):
            for end in range(start, len(text) + 1):
                loc = file.location(start, end)
                assert (loc.line, loc.column) == file.line_column(start)
                assert (loc.end_line, loc.end_column) == file.line_column(end)
