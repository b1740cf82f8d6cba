"""Every way a policy attribute can be written, and spans that spell exactly the source."""

from __future__ import annotations

from tf_helpers import assert_line_column, at, load, record, source_text, value_matches_span

from iamlint.model import Unknown


def statements(address: str):
    return record(load("forms"), address).document["Statement"]


def test_jsonencode_with_values_known_and_derived():
    queue, objects = statements("aws_iam_policy.jsonencode")
    assert queue == {
        "Sid": "Queue",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
        "Resource": ["arn:aws:sqs:eu-west-1:111122223333:jobs"],
    }
    # aws_s3_bucket.b.arn is derived from the bucket name; a bool condition value is text.
    assert objects["Resource"] == ["arn:aws:s3:::acme-forms/*"]
    assert objects["Condition"] == {"Bool": {"aws:SecureTransport": ["true"]}}


def test_jsonencode_spans_are_exact():
    rec = record(load("forms"), "aws_iam_policy.jsonencode")
    assert (
        source_text(rec.spans["/Statement/0/Action"]) == '["sqs:SendMessage", "sqs:ReceiveMessage"]'
    )
    assert source_text(rec.spans["/Statement/0/Action/1"]) == '"sqs:ReceiveMessage"'
    assert source_text(rec.spans["/Statement/1/Action"]) == '"s3:GetObject"'
    assert source_text(rec.location).startswith("jsonencode({")


def test_heredoc_plain_and_trimmed():
    assert statements("aws_iam_policy.heredoc")[0]["Action"] == ["logs:PutLogEvents"]
    trimmed = statements("aws_iam_policy.heredoc_trim")[0]
    assert trimmed["Action"] == ["sns:Publish"]
    (resource,) = trimmed["Resource"]  # one string, known only to Terraform
    assert isinstance(resource, Unknown) and resource.text == "var.unset"
    assert source_text(resource.location) == "var.unset"


def test_json_string_file_and_templatefile():
    assert statements("aws_iam_policy.string")[0]["Action"] == ["kms:Decrypt"]
    assert statements("aws_iam_policy.file")[0]["Action"] == ["ec2:DescribeInstances"]
    assert statements("aws_iam_policy.templatefile")[0]["Resource"] == ["arn:aws:s3:::acme-tpl/*"]


def test_file_json_gets_spans_inside_the_file():
    rec = record(load("forms"), "aws_iam_policy.file")
    loc = rec.spans["/Statement/0/Action/0"]
    assert loc.file.endswith("policies/ec2.json")
    assert source_text(loc) == '"ec2:DescribeInstances"'


def test_locals_tfvars_and_auto_tfvars():
    assert statements("aws_iam_policy.local")[0]["Resource"] == [
        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
    ]
    assert statements("aws_iam_policy.auto")[0]["Action"] == [
        "ec2:StartInstances",
        "ec2:StopInstances",
    ]


def test_var_file_option_overrides(tmp_path):
    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('from_auto = ["ec2:RebootInstances"]\n')
    project = load("forms", var_files=[var_file])
    auto = record(project, "aws_iam_policy.auto").document["Statement"][0]
    assert auto["Action"] == ["ec2:RebootInstances"]


def test_unresolved_policy_is_unknown_never_star():
    rec = record(load("forms"), "aws_iam_policy.unknown")
    assert isinstance(rec.document, Unknown)
    assert rec.document.text == "var.unset"
    assert source_text(rec.unknowns[0].location) == "var.unset"


def test_every_recorded_span_spells_its_value():
    for name in ("forms", "documents", "graph", "modules", "tfjson"):
        for rec in load(name).records:
            if isinstance(rec.document, Unknown):
                continue
            for pointer, loc in rec.spans.items():
                assert_line_column(loc)
                value = at(rec.document, pointer) if pointer else rec.document
                text = source_text(loc)
                assert value_matches_span(value, text), (rec.address, pointer, value, text)


def test_template_directives_render_over_known_values(tmp_path):
    from iamlint.terraform.project import load_project

    (tmp_path / "p.json.tpl").write_text(
        '{"Version": "2012-10-17", "Statement": [\n'
        "%{ for i, b in buckets ~}\n"
        '  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${b}/*"}'
        "%{ if i < length(buckets) - 1 },%{ endif }\n"
        "%{ endfor ~}\n"
        "]}\n"
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  name = "p"\n'
        '  policy = templatefile("${path.module}/p.json.tpl", { buckets = ["a", "b"] })\n}\n'
        'variable "flag" {}\n'
        'resource "aws_iam_policy" "q" {\n  name = "q"\n  policy = <<-EOT\n'
        '    {"Version": "2012-10-17", "Statement": [%{ if var.flag }{}%{ endif }]}\n  EOT\n}\n'
    )
    project = load_project([tmp_path], cwd=tmp_path)
    assert project.errors == []
    (p,) = [r for r in project.records if r.address == "aws_iam_policy.p"]
    assert [s["Resource"] for s in p.document["Statement"]] == [
        ["arn:aws:s3:::a/*"],
        ["arn:aws:s3:::b/*"],
    ]
    (q,) = [r for r in project.records if r.address == "aws_iam_policy.q"]
    assert isinstance(q.document, Unknown)
    assert "%{ if }" in q.document.reason


def test_heredoc_json_gets_exact_spans():
    rec = record(load("forms"), "aws_iam_policy.heredoc")
    assert source_text(rec.spans["/Statement/0/Action"]) == '"logs:PutLogEvents"'
    assert source_text(rec.spans["/Statement/0"]).startswith('{"Effect": "Allow"')
