"""The attachment graph: roles, users, groups, boundaries, SCP targets, resource policies."""

from __future__ import annotations

from tf_helpers import load, record

from iamlint.model import Unknown


def principal(project, address):
    return next(p for p in project.principals if p.address == address)


def test_for_each_roles_are_instances_with_their_policies():
    project = load("graph")
    alpha = principal(project, 'aws_iam_role.team["alpha"]')
    assert alpha.name == "team-alpha"
    assert alpha.path == "/teams/"
    assert isinstance(alpha.arn, Unknown)
    assert alpha.arn.parts == ("arn:aws:iam::", None, ":role/teams/team-alpha")
    assert alpha.trust_policy == 'aws_iam_role.team["alpha"]'
    assert alpha.identity_policies == [
        'aws_iam_role.team["alpha"].inline_policy',
        "aws_iam_policy.shared",
    ]
    assert alpha.managed_policies == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    inline = record(project, 'aws_iam_role.team["beta"].inline_policy')
    assert inline.document["Statement"][0]["Action"] == ["s3:PutObject"]


def test_boundary_policy_is_recorded_as_boundary():
    project = load("graph")
    assert principal(project, 'aws_iam_role.team["beta"]').permissions_boundary == (
        "aws_iam_policy.boundary"
    )
    boundary = record(project, "aws_iam_policy.boundary")
    assert boundary.kind == "boundary"
    assert set(boundary.attached_to) == {'aws_iam_role.team["alpha"]', 'aws_iam_role.team["beta"]'}


def test_users_groups_and_literal_names():
    project = load("graph")
    ci = principal(project, "aws_iam_user.ci")
    assert ci.identity_policies == ["aws_iam_user_policy.ci"]  # attached by literal name
    assert ci.groups == ["aws_iam_group.deployers"]
    deployers = principal(project, "aws_iam_group.deployers")
    assert deployers.managed_policies == ["arn:aws:iam::aws:policy/PowerUserAccess"]


def test_scp_and_resource_policies():
    project = load("graph")
    scp = record(project, "aws_organizations_policy.deny_regions")
    assert scp.kind == "scp"
    assert scp.attached_to == ["ou-abcd-12345678"]
    assert not [r for r in project.records if r.address == "aws_organizations_policy.tags"]
    bucket = record(project, "aws_s3_bucket_policy.data")
    assert bucket.kind == "resource"
    assert bucket.attached_to == ["aws_s3_bucket.data"]
    assert bucket.document["Statement"][0]["Principal"] == "*"
    lam = record(project, "aws_lambda_permission.s3")
    (function_arn,) = lam.document["Statement"][0].pop("Resource")
    assert function_arn.parts == ("arn:aws:lambda:", None, ":", None, ":function:processor")
    assert lam.document["Statement"][0] == {
        "Sid": "AllowS3",
        "Effect": "Allow",
        "Principal": {"Service": ["s3.amazonaws.com"]},
        "Action": ["lambda:InvokeFunction"],
        "Condition": {"ArnLike": {"AWS:SourceArn": ["arn:aws:s3:::acme-data"]}},
    }


def test_local_modules_followed_with_inputs_remote_listed():
    project = load("modules")
    addresses = sorted(p.address for p in project.principals)
    assert addresses == [
        'module.readers["etl"].aws_iam_role.this',
        'module.readers["reports"].aws_iam_role.this',
        "module.writer.aws_iam_role.this",
    ]
    etl = record(project, 'module.readers["etl"].aws_iam_role_policy.this')
    assert etl.document["Statement"][0]["Resource"] == ["arn:aws:s3:::acme-reader-etl/*"]
    assert etl.module == 'module.readers["etl"]'
    trust = record(project, "module.writer.aws_iam_role.this")
    assert trust.kind == "trust"
    condition = trust.document["Statement"][0]["Condition"]
    assert condition == {
        "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/writer:*"]}
    }
    writer = principal(project, "module.writer.aws_iam_role.this")
    assert writer.managed_policies == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    assert [(m.address, m.reason) for m in project.modules_not_followed] == [
        ("module.vpc", "remote module: not followed")
    ]


def test_unknown_for_each_keeps_one_instance_with_unknown_key(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "names" {}\n'
        'resource "aws_iam_role" "r" {\n'
        "  for_each = var.names\n"
        "  name = each.key\n"
        '  assume_role_policy = "{}"\n'
        "}\n"
    )
    from iamlint.terraform.project import load_project

    project = load_project([tmp_path], cwd=tmp_path)
    (role,) = project.principals
    assert role.address == "aws_iam_role.r"
    assert isinstance(role.instance_key, Unknown)
    assert isinstance(role.name, Unknown)


def test_null_boundary_means_no_boundary(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "pb" {\n  default = null\n}\n'
        'resource "aws_iam_role" "r" {\n  name = "r"\n  permissions_boundary = var.pb\n'
        '  assume_role_policy = "{}"\n}\n'
    )
    from iamlint.terraform.project import load_project

    (role,) = load_project([tmp_path], cwd=tmp_path).principals
    assert role.permissions_boundary is None


def _write(folder, files):
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_policy_passed_to_a_module_in_a_map_keeps_its_attachment(tmp_path):
    _write(
        tmp_path,
        {
            "main.tf": (
                'resource "aws_iam_policy" "custom" {\n  name = "custom"\n'
                '  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n'
                'module "role" {\n  source = "./role"\n'
                "  policies = { custom = aws_iam_policy.custom.arn,"
                ' ro = "arn:aws:iam::aws:policy/ReadOnlyAccess" }\n}\n'
            ),
            "role/main.tf": (
                'variable "policies" {}\n'
                'resource "aws_iam_role" "this" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n'
                'resource "aws_iam_role_policy_attachment" "this" {\n'
                "  for_each = var.policies\n  role = aws_iam_role.this.name\n"
                "  policy_arn = each.value\n}\n"
            ),
        },
    )
    from iamlint.terraform.project import load_project

    project = load_project([tmp_path], cwd=tmp_path)
    (role,) = project.principals
    assert role.identity_policies == ["aws_iam_policy.custom"]
    assert role.managed_policies == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert record(project, "aws_iam_policy.custom").attached_to == ["module.role.aws_iam_role.this"]


def test_module_argument_without_variable_and_template_variable_missing_are_errors(tmp_path):
    _write(
        tmp_path,
        {
            "main.tf": (
                'module "m" {\n  source = "./m"\n  nmae = "typo"\n}\n'
                'resource "aws_iam_policy" "t" {\n  name = "t"\n'
                '  policy = templatefile("${path.module}/p.tpl", { bucket = "b" })\n}\n'
            ),
            "p.tpl": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::${bucket}/${prefix}"}]}',
            "m/main.tf": 'variable "name" {\n  default = "x"\n}\n',
        },
    )
    from iamlint.terraform.project import load_project

    project = load_project([tmp_path], cwd=tmp_path)
    messages = sorted(e.message for e in project.errors)
    assert messages == [
        "module 'm' declares no variable 'nmae'",
        "templatefile(): 'prefix' is not among the variables passed to it",
    ]
    (resource,) = record(project, "aws_iam_policy.t").document["Statement"][0]["Resource"]
    assert isinstance(resource, Unknown)
    assert resource.parts == ("arn:aws:s3:::b/", None)


def test_customer_policy_attached_by_literal_arn_matches_by_name(tmp_path):
    _write(
        tmp_path,
        {
            "main.tf": (
                'resource "aws_iam_policy" "p" {\n  name = "deploy-tools"\n  path = "/ci/"\n'
                '  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n'
                'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n'
                'resource "aws_iam_role_policy_attachment" "a" {\n  role = "r"\n'
                '  policy_arn = "arn:aws:iam::111122223333:policy/ci/deploy-tools"\n}\n'
            ),
        },
    )
    from iamlint.terraform.project import load_project

    project = load_project([tmp_path], cwd=tmp_path)
    (role,) = project.principals
    assert role.identity_policies == ["aws_iam_policy.p"]
    assert role.managed_policies == []


def test_a_reusable_module_read_alone_keeps_what_its_defaults_switch_off(tmp_path):
    from iamlint.terraform.project import load_project

    module = (
        'variable "create" {\n  default = false\n}\n'
        'resource "aws_iam_role" "r" {\n  count = var.create ? 1 : 0\n  name = "r"\n'
        '  assume_role_policy = "{}"\n}\n'
    )
    (tmp_path / "module").mkdir()
    (tmp_path / "module" / "main.tf").write_text(module)
    (role,) = load_project([tmp_path / "module"], cwd=tmp_path).principals
    assert isinstance(role.instance_key, Unknown)
    assert "a caller may set it" in role.instance_key.reason
    # A root that deploys (it configures a provider) means what its defaults say.
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "main.tf").write_text(
        module + 'provider "aws" {\n  region = "eu-west-1"\n}\n'
    )
    assert load_project([tmp_path / "root"], cwd=tmp_path).principals == []
