"""Generate a synthetic Terraform repository full of IAM policies, for benchmarks and smoke tests.

The output imitates how public modules and company repositories really write IAM: policy
documents with many statements and conditions, ``jsonencode`` objects, heredoc JSON, ``file()``
and ``templatefile()`` with the JSON beside the code, roles built with ``for_each`` over literal
maps, nested local modules called with inputs, resource policies, SCPs, variables with defaults
and a ``terraform.tfvars``, and comments everywhere. Every form the reader must support appears
in every corpus of a few thousand lines or more, so a benchmark also exercises every code path.

Deterministic: the same ``--seed`` and ``--lines`` give byte-identical output (no set iteration,
no clock, no hashing of objects), so timings of different iamlint versions compare like for like.

    python bench/gen_terraform.py --lines 20000 --out /tmp/corpus20k --seed 1
    python bench/gen_terraform.py --check /tmp/corpus20k     # every .tf parses with hcl2.loads
"""

# HCL templates below are written as they appear in the output, one Terraform line per source
# line where possible, so some exceed the line limit.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Vocabulary. Real names make the output readable when someone opens a generated file to see
# why iamlint was slow on it.

TEAMS = [
    "orders", "payments", "billing", "ingest", "search", "analytics", "identity", "catalog",
    "shipping", "notifications", "reporting", "fraud", "ledger", "media", "profile", "inventory",
]  # fmt: skip
SERVICES_TRUST = [
    "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com",
    "states.amazonaws.com", "glue.amazonaws.com", "events.amazonaws.com",
    "codebuild.amazonaws.com", "batch.amazonaws.com",
]  # fmt: skip
MANAGED = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
]

# service -> (actions, resource templates). ``{b}`` is a bucket/table/queue stem; ``{r}`` and
# ``{a}`` become the region and account expressions of the surrounding style.
SERVICE_ACTIONS: dict[str, tuple[list[str], list[str]]] = {
    "s3": (
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
         "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObjectAcl", "s3:Get*", "s3:*"],
        ["arn:aws:s3:::{b}", "arn:aws:s3:::{b}/*", "arn:aws:s3:::{b}/home/${{aws:username}}/*"],
    ),
    "dynamodb": (
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
         "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable"],
        ["arn:aws:dynamodb:{r}:{a}:table/{b}", "arn:aws:dynamodb:{r}:{a}:table/{b}/index/*"],
    ),
    "sqs": (
        ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
         "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
        ["arn:aws:sqs:{r}:{a}:{b}", "arn:aws:sqs:{r}:{a}:{b}-dlq"],
    ),
    "sns": (["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"], ["arn:aws:sns:{r}:{a}:{b}"]),
    "kms": (
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:ReEncrypt*"],
        ["arn:aws:kms:{r}:{a}:key/*", "arn:aws:kms:{r}:{a}:alias/{b}"],
    ),
    "logs": (
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        ["arn:aws:logs:{r}:{a}:log-group:/aws/lambda/{b}*", "arn:aws:logs:{r}:{a}:*"],
    ),
    "secretsmanager": (
        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        ["arn:aws:secretsmanager:{r}:{a}:secret:{b}/*"],
    ),
    "ssm": (
        ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        ["arn:aws:ssm:{r}:{a}:parameter/{b}/*"],
    ),
    "ecr": (
        ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
         "ecr:BatchCheckLayerAvailability"],
        ["*", "arn:aws:ecr:{r}:{a}:repository/{b}"],
    ),
    "ec2": (
        ["ec2:DescribeInstances", "ec2:DescribeSubnets", "ec2:CreateNetworkInterface",
         "ec2:DeleteNetworkInterface", "ec2:Describe*"],
        ["*"],
    ),
    "lambda": (
        ["lambda:InvokeFunction", "lambda:GetFunction", "lambda:UpdateFunctionCode"],
        ["arn:aws:lambda:{r}:{a}:function:{b}", "arn:aws:lambda:{r}:{a}:function:{b}:*"],
    ),
    "iam": (
        ["iam:PassRole", "iam:GetRole", "iam:CreateRole", "iam:AttachRolePolicy", "iam:*"],
        ["arn:aws:iam::{a}:role/{b}-*", "*"],
    ),
}  # fmt: skip
SERVICE_NAMES = list(SERVICE_ACTIONS)

# (test, variable, value candidates); the values use IAM variables and Terraform references on
# purpose, because both are where readers go wrong.
CONDITIONS: list[tuple[str, str, list[str]]] = [
    ("StringEquals", "aws:PrincipalTag/team", ["{team}"]),
    ("StringEquals", "aws:RequestedRegion", ["{region}"]),
    ("StringLike", "s3:prefix", ["home/&{{aws:username}}/*", "shared/*"]),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"]),
    ("Bool", "aws:MultiFactorAuthPresent", ["true"]),
    ("StringEquals", "aws:SourceAccount", ["{account}"]),
    ("ArnLike", "aws:SourceArn", ["arn:aws:sns:{region_lit}:{account_lit}:{team}-*"]),
    ("StringNotEquals", "s3:x-amz-server-side-encryption", ["aws:kms"]),
    ("NumericLessThan", "s3:TlsVersion", ["1.2"]),
]

COMMENTS = [
    "Least privilege: scoped to the team's own prefix.",
    "TODO(sec-1234): narrow this once the migration is done.",
    "Needed by the nightly batch job; see runbook.",
    "Kept broad on purpose: the vendor SDK lists before it reads.",
    "Owned by the platform team; ask in #platform before changing.",
    "Do not remove: the dead-letter redrive needs it.",
    "Cross-account access for the analytics account.",
    "Added after the incident on 2024-03-02.",
]


# --------------------------------------------------------------------------------------------
# The tree of files being built.


@dataclass
class ModuleDir:
    """One Terraform module directory: its .tf files, its variables and its extra files."""

    rel: str  # "" for the root
    files: dict[str, list[str]] = field(default_factory=dict)  # file name -> chunks
    variables: dict[str, str] = field(default_factory=dict)  # name -> rendered block
    extra: dict[str, str] = field(default_factory=dict)  # relative path -> content (json/tpl)
    current: str = ""
    current_lines: int = 0
    extra_lines: int = 0
    n_files: int = 0

    def add_extra(self, rel: str, content: str) -> None:
        self.extra[rel] = content
        self.extra_lines += content.count("\n")

    def add(self, chunk: str, target_lines: int, stem: str) -> None:
        # Fill a file up to ~target_lines, then start the next one: real repos have files of a
        # few hundred lines, and per-file overhead is part of what the benchmark measures.
        if not self.current or self.current_lines >= target_lines:
            self.n_files += 1
            self.current = f"{stem}_{self.n_files:03d}.tf"
            self.files[self.current] = [f"# {stem.replace('_', ' ')}: generated IAM for tests\n"]
            self.current_lines = 1
        self.files[self.current].append(chunk)
        self.current_lines += chunk.count("\n")

    def var(self, name: str, block: str) -> str:
        self.variables.setdefault(name, block)
        return f"var.{name}"


@dataclass
class Ctx:
    rng: random.Random
    mod: ModuleDir
    team: str
    # Expressions for region and account in this module; at the root they are variables with
    # defaults, in team modules they are inputs from the call site.
    region: str = "var.region"
    account: str = "var.account_id"
    counter: int = 0

    def name(self, base: str) -> str:
        self.counter += 1
        return f"{base}_{self.counter}"

    def comment(self, indent: str = "") -> str:
        return f"{indent}# {self.rng.choice(COMMENTS)}\n"

    def maybe_comment(self, indent: str = "", p: float = 0.4) -> str:
        return self.comment(indent) if self.rng.random() < p else ""


def q(s: str) -> str:
    """An HCL string literal for plain text (no interpolation intended)."""
    return json.dumps(s)


def hcl_list(items: Sequence[str], indent: str, multiline: bool) -> str:
    if not multiline or len(items) <= 1:
        return "[" + ", ".join(items) + "]"
    inner = "".join(f"{indent}  {it},\n" for it in items)
    return "[\n" + inner + indent + "]"


def bucket_stem(ctx: Ctx) -> str:
    return f"acme-{ctx.team}-{ctx.rng.choice(['data', 'logs', 'exports', 'uploads', 'raw'])}"


def resource_for(ctx: Ctx, svc: str, style: str) -> str:
    """One resource ARN as an HCL expression, in one of the ways real code spells them.

    style "hcl" is for policy documents and jsonencode (HCL string syntax, ``&{}`` in policy
    documents is handled by the caller), "json" for heredoc JSON (interpolation allowed),
    "file" for static JSON files (no Terraform at all).
    """
    _, templates = SERVICE_ACTIONS[svc]
    tmpl = ctx.rng.choice(templates)
    stem = bucket_stem(ctx)
    if style == "file":
        return tmpl.format(b=stem, r="eu-west-1", a="123456789012")
    roll = ctx.rng.random()
    if roll < 0.45:  # interpolated region/account: resolvable from variable defaults
        return tmpl.format(b=stem, r=f"${{{ctx.region}}}", a=f"${{{ctx.account}}}")
    if roll < 0.8:  # fully literal
        return tmpl.format(b=stem, r="eu-west-1", a="123456789012")
    # a reference to something only known after apply
    return tmpl.format(b=f"${{local.name_prefix}}-{ctx.team}", r="${data.aws_region.current.name}",
                       a="${data.aws_caller_identity.current.account_id}")  # fmt: skip


def pick_actions(ctx: Ctx, svc: str) -> list[str]:
    actions, _ = SERVICE_ACTIONS[svc]
    k = ctx.rng.randint(1, min(5, len(actions)))
    return sorted(ctx.rng.sample(actions, k))


def cond_value(ctx: Ctx, template: str) -> str:
    return template.format(
        team=ctx.team,
        region=f"${{{ctx.region}}}",
        account=f"${{{ctx.account}}}",
        region_lit="eu-west-1",
        account_lit="123456789012",
    )


# --------------------------------------------------------------------------------------------
# Building blocks of policy text in each syntax.


def doc_statement(ctx: Ctx, indent: str, *, principal: bool = False, deny: bool = False) -> str:
    """One ``statement { ... }`` block of an aws_iam_policy_document."""
    rng = ctx.rng
    svc = rng.choice(SERVICE_NAMES)
    i2 = indent + "  "
    out = [ctx.maybe_comment(indent), f"{indent}statement {{\n"]
    if rng.random() < 0.7:
        out.append(f'{i2}sid    = "{svc.capitalize()}{rng.choice(["Read", "Write", "Access"])}"\n')
    if deny:
        out.append(f'{i2}effect = "Deny"\n')
    elif rng.random() < 0.3:
        out.append(f'{i2}effect = "Allow"\n')
    acts = [q(a) for a in pick_actions(ctx, svc)]
    key = "not_actions" if deny and rng.random() < 0.3 else "actions"
    out.append(f"{i2}{key} = {hcl_list(acts, i2, rng.random() < 0.6)}\n")
    roll = rng.random()
    if roll < 0.15:
        out.append(f'{i2}resources = ["*"] # {rng.choice(COMMENTS)}\n')
    elif roll < 0.25:
        out.append(f"{i2}resources = var.{ctx.team}_resource_arns\n")
        ctx.mod.var(
            f"{ctx.team}_resource_arns",
            f'variable "{ctx.team}_resource_arns" {{\n'
            f'  description = "Extra ARNs the {ctx.team} services may touch."\n'
            f"  type        = list(string)\n"
            f"  default     = []\n}}\n",
        )
    else:
        res = sorted({resource_for(ctx, svc, "hcl") for _ in range(rng.randint(1, 3))})
        # Policy documents spell IAM variables &{...}; ${...} would be Terraform interpolation.
        res = [r.replace("${aws:", "&{aws:") for r in res]
        out.append(f"{i2}resources = {hcl_list([q(r) for r in res], i2, len(res) > 1)}\n")
    if principal:
        kind = rng.choice(["AWS", "Service", "AWS"])
        ident = (
            q(f"arn:aws:iam::{rng.choice(['111122223333', '444455556666'])}:root")
            if kind == "AWS"
            else q(rng.choice(SERVICES_TRUST))
        )
        out.append(
            f"{i2}principals {{\n{i2}  type        = {q(kind)}\n"
            f"{i2}  identifiers = [{ident}]\n{i2}}}\n"
        )
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        test, variable, vals = rng.choice(CONDITIONS)
        values = [q(cond_value(ctx, v)) for v in vals[: rng.randint(1, len(vals))]]
        out.append(
            f"{i2}condition {{\n{i2}  test     = {q(test)}\n{i2}  variable = {q(variable)}\n"
            f"{i2}  values   = [{', '.join(values)}]\n{i2}}}\n"
        )
    out.append(f"{indent}}}\n")
    return "".join(out)


def jsonencode_statement(ctx: Ctx, indent: str) -> str:
    """One statement object inside ``jsonencode({ Statement = [ ... ] })``."""
    rng = ctx.rng
    svc = rng.choice(SERVICE_NAMES)
    i2 = indent + "  "
    acts = pick_actions(ctx, svc)
    res = sorted({resource_for(ctx, svc, "hcl") for _ in range(rng.randint(1, 2))})
    # In jsonencode the IAM variable must be escaped as $${...}.
    res = [r.replace("${aws:", "$${aws:") for r in res]
    out = [f"{indent}{{\n"]
    if rng.random() < 0.6:
        out.append(f'{i2}Sid      = "{svc.capitalize()}{ctx.counter}"\n')
    out.append(f'{i2}Effect   = "{rng.choice(["Allow", "Allow", "Allow", "Deny"])}"\n')
    action_val = q(acts[0]) if len(acts) == 1 and rng.random() < 0.5 else hcl_list(
        [q(a) for a in acts], i2, False)  # fmt: skip
    out.append(f"{i2}Action   = {action_val}\n")
    res_val = q(res[0]) if len(res) == 1 else hcl_list([q(r) for r in res], i2, True)
    out.append(f"{i2}Resource = {res_val}\n")
    if rng.random() < 0.35:
        test, variable, vals = rng.choice(CONDITIONS)
        val = cond_value(ctx, vals[0]).replace("&{aws:", "$${aws:")
        out.append(f"{i2}Condition = {{\n{i2}  {test} = {{\n{i2}    {q(variable)} = {q(val)}\n")
        out.append(f"{i2}  }}\n{i2}}}\n")
    out.append(f"{indent}}}")
    return "".join(out)


def json_statement(ctx: Ctx, style: str) -> dict[str, object]:
    """A statement as plain data, for heredocs, JSON files and templates."""
    rng = ctx.rng
    svc = rng.choice(SERVICE_NAMES)
    res = sorted({resource_for(ctx, svc, style) for _ in range(rng.randint(1, 2))})
    if style == "heredoc":
        # Inside a heredoc, ${aws:...} would be interpolation: Terraform wants $${...}.
        res = [r.replace("${aws:", "$${aws:") for r in res]
    st: dict[str, object] = {}
    if rng.random() < 0.5:
        st["Sid"] = f"{svc.capitalize()}Access{rng.randint(1, 99)}"
    st["Effect"] = "Allow"
    acts = pick_actions(ctx, svc)
    st["Action"] = acts[0] if len(acts) == 1 else acts
    st["Resource"] = res[0] if len(res) == 1 else res
    if rng.random() < 0.3:
        st["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    return st


def json_doc(ctx: Ctx, style: str, n: int) -> str:
    doc = {"Version": "2012-10-17", "Statement": [json_statement(ctx, style) for _ in range(n)]}
    return json.dumps(doc, indent=2)


def trust_jsonencode(ctx: Ctx, indent: str, service: str) -> str:
    i2 = indent + "  "
    cond = ""
    if ctx.rng.random() < 0.4:
        cond = (
            f"{i2}    Condition = {{\n{i2}      StringEquals = {{\n"
            f'{i2}        "aws:SourceAccount" = {ctx.account}\n{i2}      }}\n{i2}    }}\n'
        )
    return (
        f'jsonencode({{\n{i2}Version = "2012-10-17"\n{i2}Statement = [\n{i2}  {{\n'
        f'{i2}    Effect    = "Allow"\n{i2}    Action    = "sts:AssumeRole"\n'
        f"{i2}    Principal = {{ Service = {q(service)} }}\n{cond}{i2}  }},\n{i2}]\n{indent}}})"
    )


# --------------------------------------------------------------------------------------------
# Units: each returns one chunk of Terraform (and may register extra files and variables).


def unit_policy_document(ctx: Ctx) -> str:
    rng = ctx.rng
    doc = ctx.name(f"{ctx.team}_access")
    n = rng.randint(2, 5)
    stmts = "".join(doc_statement(ctx, "  ", deny=(i == n - 1 and rng.random() < 0.3))
                    for i in range(n))  # fmt: skip
    attach = ""
    if rng.random() < 0.5:
        attach = (
            f'resource "aws_iam_policy" "{doc}" {{\n'
            f'  name        = "${{local.name_prefix}}-{doc.replace("_", "-")}"\n'
            f'  description = "Access for {ctx.team} workloads"\n'
            f"  policy      = data.aws_iam_policy_document.{doc}.json\n"
            f"  tags        = local.tags\n}}\n\n"
        )
    else:
        attach = (
            f'resource "aws_iam_role_policy" "{doc}" {{\n'
            f'  name   = "{doc}"\n  role   = aws_iam_role.{ctx.team}_app.id\n'
            f"  policy = data.aws_iam_policy_document.{doc}.json\n}}\n\n"
        )
    return f'{ctx.comment()}data "aws_iam_policy_document" "{doc}" {{\n{stmts}}}\n\n{attach}'


def unit_dynamic_and_merge(ctx: Ctx) -> str:
    """dynamic "statement" over a literal list, merged with source_policy_documents."""
    rng = ctx.rng
    base = ctx.name(f"{ctx.team}_base")
    merged = ctx.name(f"{ctx.team}_merged")
    items = []
    for _ in range(rng.randint(2, 4)):
        svc = rng.choice(SERVICE_NAMES)
        acts = ", ".join(q(a) for a in pick_actions(ctx, svc))
        res = q(resource_for(ctx, svc, "hcl").replace("${aws:", "&{aws:"))
        items.append(
            f'    {{\n      sid       = "{svc.capitalize()}{rng.randint(1, 999)}"\n'
            f"      actions   = [{acts}]\n      resources = [{res}]\n    }},\n"
        )
    over_literal = rng.random() < 0.8
    if over_literal:
        for_each = f"local.{base}_statements"
        local_block = f"locals {{\n  {base}_statements = [\n{''.join(items)}  ]\n}}\n\n"
    else:
        # Over a variable without a default: the statements are unknown, and must stay so.
        for_each = f"var.{base}_extra_statements"
        ctx.mod.var(
            f"{base}_extra_statements",
            f'variable "{base}_extra_statements" {{\n  description = "Extra statements."\n'
            f"  type = list(object({{ sid = string, actions = list(string), "
            f"resources = list(string) }}))\n}}\n",
        )
        local_block = ""
    override = ""
    if rng.random() < 0.3:
        override = f"  override_policy_documents = [data.aws_iam_policy_document.{base}.json]\n"
    return (
        f"{local_block}{ctx.comment()}"
        f'data "aws_iam_policy_document" "{base}" {{\n'
        f'  dynamic "statement" {{\n    for_each = {for_each}\n'
        f"    content {{\n      sid       = statement.value.sid\n"
        f"      actions   = statement.value.actions\n"
        f"      resources = statement.value.resources\n    }}\n  }}\n}}\n\n"
        f'data "aws_iam_policy_document" "{merged}" {{\n'
        f"  source_policy_documents = [\n"
        f"    data.aws_iam_policy_document.{base}.json,\n  ]\n{override}\n"
        f"{doc_statement(ctx, '  ')}}}\n\n"
        f'resource "aws_iam_policy" "{merged}" {{\n  name_prefix = "{ctx.team}-merged-"\n'
        f"  policy      = data.aws_iam_policy_document.{merged}.json\n}}\n\n"
    )


def unit_jsonencode(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_json")
    stmts = ",\n".join(jsonencode_statement(ctx, "      ") for _ in range(rng.randint(1, 4)))
    kind = rng.choice(["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy",
                       "aws_iam_group_policy"])  # fmt: skip
    owner = {
        "aws_iam_policy": f'  name = "{name}"\n  path = "/{ctx.team}/"\n',
        "aws_iam_role_policy": f'  name = "{name}"\n  role = aws_iam_role.{ctx.team}_app.name\n',
        "aws_iam_user_policy": f'  name = "{name}"\n  user = aws_iam_user.{ctx.team}_ci.name\n',
        "aws_iam_group_policy": f'  name  = "{name}"\n  group = aws_iam_group.{ctx.team}.name\n',
    }[kind]
    return (
        f"{ctx.comment()}resource {q(kind)} {q(name)} {{\n{owner}\n"
        f'  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [\n'
        f"{stmts},\n    ]\n  }})\n}}\n\n"
    )


def unit_heredoc(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_heredoc")
    body = json_doc(ctx, "heredoc", rng.randint(1, 3))
    dashed = rng.random() < 0.5
    marker = rng.choice(["EOF", "POLICY", "JSON"])
    if dashed:
        text = "\n".join("    " + line for line in body.splitlines())
        value = f"<<-{marker}\n{text}\n  {marker}"
    else:
        value = f"<<{marker}\n{body}\n{marker}"
    kind = rng.choice(["aws_iam_role_policy", "aws_iam_policy"])
    owner = (f"  role   = aws_iam_role.{ctx.team}_app.id\n" if kind == "aws_iam_role_policy"
             else f'  description = "Heredoc policy for {ctx.team}"\n')  # fmt: skip
    return (
        f"{ctx.comment()}resource {q(kind)} {q(name)} {{\n  name   = {q(name)}\n{owner}"
        f"  policy = {value}\n}}\n\n"
    )


def unit_file(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_file")
    path = f"policies/{name}.json"
    ctx.mod.add_extra(path, json_doc(ctx, "file", rng.randint(1, 4)) + "\n")
    return (
        f'{ctx.comment()}resource "aws_iam_policy" {q(name)} {{\n  name   = {q(name)}\n'
        f'  policy = file("${{path.module}}/{path}")\n}}\n\n'
        f'resource "aws_iam_role_policy_attachment" "{name}" {{\n'
        f"  role       = aws_iam_role.{ctx.team}_app.name\n"
        f"  policy_arn = aws_iam_policy.{name}.arn\n}}\n\n"
    )


def unit_templatefile(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_tpl")
    path = f"policies/{name}.json.tpl"
    # Templates interpolate ${...} from their vars map; the IAM variable is escaped as $${...};
    # a %{ for } loop renders a list, the way many modules build resource lists.
    tpl = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": ["s3:GetObject", "s3:ListBucket"],\n'
        '      "Resource": [\n'
        '        "arn:aws:s3:::${bucket}",\n'
        '        "arn:aws:s3:::${bucket}/home/$${aws:username}/*"\n'
        "      ]\n"
        "    },\n"
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": "kms:Decrypt",\n'
        '      "Resource": ${jsonencode(kms_key_arns)}\n'
        "    },\n"
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": "sqs:SendMessage",\n'
        '      "Resource": [\n'
        '%{ for q in queues ~}\n'
        '        "arn:aws:sqs:${region}:${account_id}:${q}",\n'
        '%{ endfor ~}\n'
        '        "arn:aws:sqs:${region}:${account_id}:${team}-dlq"\n'
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}\n"
    )  # fmt: skip
    ctx.mod.add_extra(path, tpl)
    queues = ", ".join(q(f"{ctx.team}-{s}") for s in rng.sample(["events", "jobs", "retry"], 2))
    return (
        f'{ctx.comment()}resource "aws_iam_policy" {q(name)} {{\n  name = {q(name)}\n'
        f'  policy = templatefile("${{path.module}}/{path}", {{\n'
        f'    bucket       = "acme-{ctx.team}-data"\n'
        f'    kms_key_arns = ["arn:aws:kms:eu-west-1:123456789012:key/{ctx.counter:04d}"]\n'
        f"    queues       = [{queues}]\n"
        f"    region       = {ctx.region}\n    account_id   = {ctx.account}\n"
        f"    team         = {q(ctx.team)}\n  }})\n}}\n\n"
    )


def unit_role(ctx: Ctx) -> str:
    """A role with everything hung off it: trust, inline_policy, managed ARNs, boundary."""
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_worker")
    service = rng.choice(SERVICES_TRUST)
    trust_doc = rng.random() < 0.5
    if trust_doc:
        trust = f"data.aws_iam_policy_document.{name}_trust.json"
        pre = (
            f'data "aws_iam_policy_document" "{name}_trust" {{\n  statement {{\n'
            f'    actions = ["sts:AssumeRole"]\n    principals {{\n      type        = "Service"\n'
            f"      identifiers = [{q(service)}]\n    }}\n  }}\n}}\n\n"
        )
    else:
        trust = trust_jsonencode(ctx, "  ", service)
        pre = ""
    inline = "".join(
        f"\n  inline_policy {{\n    name = \"{name}-inline-{i}\"\n    policy = jsonencode({{\n"
        f"      Version = \"2012-10-17\"\n      Statement = [\n"
        f"{jsonencode_statement(ctx, '        ')},\n      ]\n    }})\n  }}\n"
        for i in range(rng.randint(0, 2))
    )  # fmt: skip
    managed = ""
    if rng.random() < 0.5:
        arns = sorted(set(rng.sample(MANAGED, rng.randint(1, 2))))
        managed = f"  managed_policy_arns = {hcl_list([q(a) for a in arns], '  ', True)}\n"
    boundary = ""
    if rng.random() < 0.5:
        boundary = "  permissions_boundary = var.permissions_boundary_arn\n"
    return (
        f'{pre}{ctx.comment()}resource "aws_iam_role" {q(name)} {{\n'
        f'  name                 = "${{local.name_prefix}}-{name.replace("_", "-")}"\n'
        f'  path                 = "/{ctx.team}/"\n  max_session_duration = 3600\n'
        f"  assume_role_policy   = {trust}\n{managed}{boundary}{inline}\n"
        f"  tags = merge(local.tags, {{ Team = {q(ctx.team)} }})\n}}\n\n"
    )


def unit_for_each_roles(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_svc")
    keys = sorted(rng.sample(["api", "worker", "cron", "migrator", "exporter", "consumer"], 3))
    entries = "".join(
        f"    {k} = {{\n      service  = {q(rng.choice(SERVICES_TRUST))}\n"
        f"      policies = [{q(rng.choice(MANAGED))}]\n    }}\n"
        for k in keys
    )
    count_part = ""
    if rng.random() < 0.4:
        count_part = (
            f'resource "aws_iam_role_policy" "{name}_debug" {{\n'
            f"  # Only in non-production accounts.\n"
            f'  count  = var.environment == "prod" ? 0 : 1\n'
            f'  name   = "debug"\n  role   = aws_iam_role.{name}["api"].id\n'
            f'  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow",'
            f' Action = "logs:*", Resource = "*" }}] }})\n}}\n\n'
        )
    return (
        f"locals {{\n  {name}_roles = {{\n{entries}  }}\n}}\n\n"
        f'data "aws_iam_policy_document" "{name}_trust" {{\n  for_each = local.{name}_roles\n\n'
        f'  statement {{\n    actions = ["sts:AssumeRole"]\n    principals {{\n'
        f'      type        = "Service"\n      identifiers = [each.value.service]\n    }}\n'
        f"  }}\n}}\n\n"
        f'{ctx.comment()}resource "aws_iam_role" {q(name)} {{\n  for_each = local.{name}_roles\n\n'
        f'  name               = "${{local.name_prefix}}-{ctx.team}-${{each.key}}"\n'
        f"  assume_role_policy = data.aws_iam_policy_document.{name}_trust[each.key].json\n}}\n\n"
        f'resource "aws_iam_role_policy_attachment" "{name}" {{\n'
        f"  for_each = {{ for k, v in local.{name}_roles : k => v.policies[0] }}\n\n"
        f"  role       = aws_iam_role.{name}[each.key].name\n  policy_arn = each.value\n}}\n\n"
        f"{count_part}"
    )


def unit_users_groups(ctx: Ctx) -> str:
    rng = ctx.rng
    name = ctx.name(f"{ctx.team}_dev")
    users = sorted(rng.sample(["alice", "bob", "carol", "dave", "erin", "frank"], 2))
    return (
        f'{ctx.comment()}resource "aws_iam_group" {q(name)} {{\n  name = {q(name)}\n'
        f'  path = "/developers/"\n}}\n\n'
        f'resource "aws_iam_user" "{name}" {{\n  for_each = toset({hcl_list([q(u) for u in users], "  ", False)})\n'
        f'  name     = each.key\n  path     = "/{ctx.team}/"\n  force_destroy = true\n}}\n\n'
        f'resource "aws_iam_group_membership" "{name}" {{\n  name  = "{name}-members"\n'
        f"  group = aws_iam_group.{name}.name\n"
        f"  users = [for u in aws_iam_user.{name} : u.name]\n}}\n\n"
        f'resource "aws_iam_group_policy_attachment" "{name}" {{\n'
        f"  group      = aws_iam_group.{name}.name\n  policy_arn = {q(rng.choice(MANAGED))}\n}}\n\n"
        f'resource "aws_iam_user_policy_attachment" "{name}" {{\n'
        f'  user       = aws_iam_user.{name}["{users[0]}"].name\n'
        f'  policy_arn = "arn:aws:iam::aws:policy/IAMUserChangePassword"\n}}\n\n'
    )


def unit_bucket_policy(ctx: Ctx) -> str:
    name = ctx.name(f"{ctx.team}_bucket")
    return (
        f'resource "aws_s3_bucket" "{name}" {{\n  bucket = "acme-{ctx.team}-{ctx.counter}"\n}}\n\n'
        f'data "aws_iam_policy_document" "{name}_policy" {{\n'
        f"  # Refuse plain HTTP: the usual first statement of every bucket policy.\n"
        f'  statement {{\n    sid     = "DenyInsecureTransport"\n    effect  = "Deny"\n'
        f'    actions = ["s3:*"]\n    resources = [\n      aws_s3_bucket.{name}.arn,\n'
        f'      "${{aws_s3_bucket.{name}.arn}}/*",\n    ]\n'
        f'    principals {{\n      type        = "*"\n      identifiers = ["*"]\n    }}\n'
        f'    condition {{\n      test     = "Bool"\n      variable = "aws:SecureTransport"\n'
        f'      values   = ["false"]\n    }}\n  }}\n\n'
        f"{doc_statement(ctx, '  ', principal=True)}}}\n\n"
        f'resource "aws_s3_bucket_policy" "{name}" {{\n  bucket = aws_s3_bucket.{name}.id\n'
        f"  policy = data.aws_iam_policy_document.{name}_policy.json\n}}\n\n"
    )


def unit_kms(ctx: Ctx) -> str:
    name = ctx.name(f"{ctx.team}_key")
    return (
        f'{ctx.comment()}resource "aws_kms_key" {q(name)} {{\n'
        f'  description         = "{ctx.team} data key"\n  enable_key_rotation = true\n'
        f'  policy = jsonencode({{\n    Version = "2012-10-17"\n    Id      = "key-policy"\n'
        f'    Statement = [\n      {{\n        Sid       = "EnableRootPermissions"\n'
        f'        Effect    = "Allow"\n'
        f'        Principal = {{ AWS = "arn:aws:iam::${{{ctx.account}}}:root" }}\n'
        f'        Action    = "kms:*"\n        Resource  = "*"\n      }},\n'
        f'      {{\n        Sid       = "AllowServiceUse"\n        Effect    = "Allow"\n'
        f'        Principal = {{ Service = "logs.${{{ctx.region}}}.amazonaws.com" }}\n'
        f'        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"]\n'
        f'        Resource  = "*"\n        Condition = {{\n          ArnLike = {{\n'
        f'            "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${{{ctx.region}}}'
        f':${{{ctx.account}}}:*"\n          }}\n        }}\n      }},\n    ]\n  }})\n}}\n\n'
    )


def unit_sqs(ctx: Ctx) -> str:
    name = ctx.name(f"{ctx.team}_queue")
    return (
        f'resource "aws_sqs_queue" "{name}" {{\n  name = "{ctx.team}-{ctx.counter}"\n}}\n\n'
        f'resource "aws_sns_topic" "{name}" {{\n  name = "{ctx.team}-events-{ctx.counter}"\n}}\n\n'
        f'{ctx.comment()}resource "aws_sqs_queue_policy" {q(name)} {{\n'
        f"  queue_url = aws_sqs_queue.{name}.id\n\n  policy = <<POLICY\n"
        f'{{\n  "Version": "2012-10-17",\n  "Statement": [\n    {{\n'
        f'      "Effect": "Allow",\n      "Principal": {{ "Service": "sns.amazonaws.com" }},\n'
        f'      "Action": "sqs:SendMessage",\n      "Resource": "${{aws_sqs_queue.{name}.arn}}",\n'
        f'      "Condition": {{\n        "ArnEquals": {{ "aws:SourceArn": '
        f'"${{aws_sns_topic.{name}.arn}}" }}\n      }}\n    }}\n  ]\n}}\nPOLICY\n}}\n\n'
        f'resource "aws_sns_topic_policy" "{name}" {{\n  arn = aws_sns_topic.{name}.arn\n'
        f'  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [{{\n'
        f'      Effect    = "Allow"\n      Principal = {{ Service = "events.amazonaws.com" }}\n'
        f'      Action    = "sns:Publish"\n      Resource  = aws_sns_topic.{name}.arn\n'
        f"    }}]\n  }})\n}}\n\n"
    )


def unit_other_resource_policies(ctx: Ctx) -> str:
    name = ctx.name(f"{ctx.team}_misc")
    return (
        f'resource "aws_ecr_repository" "{name}" {{\n  name = "{ctx.team}/{name}"\n}}\n\n'
        f'resource "aws_ecr_repository_policy" "{name}" {{\n'
        f"  repository = aws_ecr_repository.{name}.name\n  policy = jsonencode({{\n"
        f'    Version = "2012-10-17"\n    Statement = [{{\n      Sid = "CrossAccountPull"\n'
        f'      Effect = "Allow"\n'
        f'      Principal = {{ AWS = ["arn:aws:iam::111122223333:root"] }}\n'
        f'      Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]\n    }}]\n  }})\n}}\n\n'
        f'resource "aws_secretsmanager_secret" "{name}" {{\n  name = "{ctx.team}/{name}"\n}}\n\n'
        f'resource "aws_secretsmanager_secret_policy" "{name}" {{\n'
        f"  secret_arn = aws_secretsmanager_secret.{name}.arn\n"
        f'  policy = <<-EOT\n    {{\n      "Version": "2012-10-17",\n      "Statement": [{{\n'
        f'        "Effect": "Deny",\n        "Principal": "*",\n'
        f'        "Action": "secretsmanager:GetSecretValue",\n        "Resource": "*",\n'
        f'        "Condition": {{ "StringNotEquals": {{ "aws:PrincipalAccount": "123456789012" }} }}\n'
        f"      }}]\n    }}\n  EOT\n}}\n\n"
        f'resource "aws_lambda_permission" "{name}" {{\n  statement_id  = "AllowS3Invoke"\n'
        f'  action        = "lambda:InvokeFunction"\n  function_name = "{ctx.team}-handler"\n'
        f'  principal     = "s3.amazonaws.com"\n'
        f'  source_arn    = "arn:aws:s3:::acme-{ctx.team}-uploads"\n'
        f"  source_account = {ctx.account}\n}}\n\n"
    )


def unit_scp(ctx: Ctx) -> str:
    name = ctx.name("scp")
    deny_regions = ctx.rng.random() < 0.5
    if deny_regions:
        body = (
            f'data "aws_iam_policy_document" "{name}" {{\n  statement {{\n'
            f'    sid         = "DenyOutsideApprovedRegions"\n    effect      = "Deny"\n'
            f'    not_actions = ["iam:*", "organizations:*", "sts:*", "support:*"]\n'
            f'    resources   = ["*"]\n    condition {{\n      test     = "StringNotEquals"\n'
            f'      variable = "aws:RequestedRegion"\n      values   = var.allowed_regions\n'
            f"    }}\n  }}\n}}\n\n"
        )
        content = f"data.aws_iam_policy_document.{name}.json"
    else:
        body = ""
        content = (
            'jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n'
            '      Sid      = "DenyLeaveOrg"\n      Effect   = "Deny"\n'
            '      Action   = ["organizations:LeaveOrganization", "account:CloseAccount"]\n'
            '      Resource = "*"\n    }]\n  })'
        )
    return (
        f'{body}{ctx.comment()}resource "aws_organizations_policy" {q(name)} {{\n'
        f'  name    = "{name}"\n  type    = "SERVICE_CONTROL_POLICY"\n  content = {content}\n}}\n\n'
        f'resource "aws_organizations_policy_attachment" "{name}" {{\n'
        f"  for_each  = toset(var.workload_ou_ids)\n  policy_id = aws_organizations_policy.{name}.id\n"
        f"  target_id = each.value\n}}\n\n"
    )


# (weight, unit); weights follow roughly what IAM-heavy public repos contain.
UNITS: list[tuple[int, Callable[[Ctx], str]]] = [
    (6, unit_policy_document),
    (3, unit_dynamic_and_merge),
    (5, unit_jsonencode),
    (3, unit_heredoc),
    (2, unit_file),
    (2, unit_templatefile),
    (4, unit_role),
    (2, unit_for_each_roles),
    (2, unit_users_groups),
    (2, unit_bucket_policy),
    (1, unit_kms),
    (1, unit_sqs),
    (1, unit_other_resource_policies),
]


# --------------------------------------------------------------------------------------------
# Fixed scaffolding: root files and the reusable local modules.

ROOT_VARIABLES = """\
variable "environment" {
  description = "Deployment environment."
  type        = string
  default     = "prod"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "account_id" {
  description = "The workload account; set in terraform.tfvars."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Boundary every role gets; set per account in terraform.tfvars."
  type        = string
}

variable "allowed_regions" {
  type    = list(string)
  default = ["eu-west-1", "eu-central-1"]
}

variable "workload_ou_ids" {
  type    = list(string)
  default = ["ou-abcd-11111111", "ou-abcd-22222222"]
}

# No default and not in tfvars: must stay unknown in every policy that uses it.
variable "external_id" {
  type      = string
  sensitive = true
}
"""

ROOT_MAIN = """\
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name_prefix = "acme-${var.environment}"
  tags = {
    ManagedBy   = "terraform"
    Environment = var.environment
  }
}

# The boundary every team role is created with.
resource "aws_iam_policy" "boundary" {
  name = "${local.name_prefix}-boundary"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AllowWorkloadServices"
        Effect   = "Allow"
        Action   = ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "kms:Decrypt"]
        Resource = "*"
      },
      {
        Sid      = "DenyIamWrites"
        Effect   = "Deny"
        Action   = ["iam:Create*", "iam:Delete*", "iam:Put*", "iam:Attach*"]
        Resource = "*"
      },
    ]
  })
}

# Cross-account auditors assume this role with an external id.
resource "aws_iam_role" "auditor" {
  name = "${local.name_prefix}-auditor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::999988887777:root" }
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  })
  permissions_boundary = aws_iam_policy.boundary.arn
  managed_policy_arns  = ["arn:aws:iam::aws:policy/SecurityAudit"]
}

# GitHub Actions deploys through OIDC; the sub claim is pinned to the main branch.
resource "aws_iam_role" "github_deploy" {
  name               = "${local.name_prefix}-github-deploy"
  assume_role_policy = data.aws_iam_policy_document.github_trust.json
}

data "aws_iam_policy_document" "github_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/infrastructure:ref:refs/heads/main"]
    }
  }
}
"""

SERVICE_ROLE_MODULE_VARS = """\
variable "name" {
  description = "Role name, without the prefix."
  type        = string
}

variable "trusted_services" {
  type    = list(string)
  default = ["lambda.amazonaws.com"]
}

variable "bucket_arns" {
  description = "Buckets the role reads."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  type    = string
  default = null
}

variable "extra_statements" {
  description = "Caller-supplied statements, appended as-is."
  type        = any
  default     = []
}
"""

SERVICE_ROLE_MODULE_MAIN = """\
# A reusable service role: trust for the given services, S3 read on the given buckets,
# and a nested module that adds the logging policy every service needs.

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrustServices"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = var.trusted_services
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = var.bucket_arns
  }

  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = [for arn in var.bucket_arns : "${arn}/*"]
  }

  # Statements from the caller; unknown unless the call site passes a literal list.
  dynamic "statement" {
    for_each = var.extra_statements
    content {
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "read" {
  name   = "read"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.read.json
}

module "logging" {
  source = "../role-policy"

  role_name  = aws_iam_role.this.name
  log_prefix = "/aws/${var.name}"
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
"""

ROLE_POLICY_MODULE = """\
variable "role_name" {
  type = string
}

variable "log_prefix" {
  type    = string
  default = "/aws/app"
}

# Write access to the role's own log groups only.
resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = var.role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:*:*:log-group:${var.log_prefix}*"
    }]
  })
}
"""

TEAM_MODULE_VARS = """\
variable "team" {
  type = string
}

variable "account_id" {
  type = string
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "permissions_boundary_arn" {
  type = string
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "allowed_regions" {
  type    = list(string)
  default = ["eu-west-1"]
}

variable "workload_ou_ids" {
  type    = list(string)
  default = []
}
"""


TEAM_MODULE_HEADER = """\
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  name_prefix = "acme-${var.environment}-${var.team}"
  tags        = { Team = var.team }
}

# Three levels deep: root -> team module -> service-role -> role-policy.
module "batch_role" {
  source = "../service-role"

  name                     = "${local.name_prefix}-batch"
  trusted_services         = ["batch.amazonaws.com"]
  bucket_arns              = ["arn:aws:s3:::acme-${var.team}-batch"]
  permissions_boundary_arn = var.permissions_boundary_arn
}

"""


def team_scaffold(team: str) -> str:
    """The app role, CI user and group that a team's other units attach policies to."""
    return f"""\
# The team's main application role; most policies of the team hang off it.
resource "aws_iam_role" "{team}_app" {{
  name                 = "${{local.name_prefix}}-{team}-app"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_iam_user" "{team}_ci" {{
  name = "${{local.name_prefix}}-{team}-ci"
}}

resource "aws_iam_group" "{team}" {{
  name = "${{local.name_prefix}}-{team}-engineers"
}}

"""


# --------------------------------------------------------------------------------------------


def pick_unit(rng: random.Random) -> Callable[[Ctx], str]:
    total = sum(w for w, _ in UNITS)
    roll = rng.uniform(0, total)
    for w, fn in UNITS:
        roll -= w
        if roll <= 0:
            return fn
    return UNITS[-1][1]


def generate(lines: int, seed: int) -> dict[str, str]:
    """Return {relative path: content} for a repository of about ``lines`` lines."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    root = ModuleDir("")
    # One team module per ~8k lines, at least one: large repos are split into modules.
    n_team_modules = max(1, lines // 8000)
    team_names = [TEAMS[i % len(TEAMS)] + ("" if i < len(TEAMS) else str(i // len(TEAMS)))
                  for i in range(n_team_modules + 2)]  # fmt: skip
    root_teams = team_names[:2]
    mod_teams = team_names[2:]
    team_dirs = [ModuleDir(f"modules/team-{t}") for t in mod_teams]

    fixed = [ROOT_MAIN, ROOT_VARIABLES, SERVICE_ROLE_MODULE_MAIN, SERVICE_ROLE_MODULE_VARS,
             ROLE_POLICY_MODULE, TEAM_MODULE_VARS]  # fmt: skip
    budget = lines - sum(s.count("\n") for s in fixed) - 40 * (len(team_dirs) + 2)

    # Root scaffolding for the teams the root itself hosts.
    root.files["teams.tf"] = [team_scaffold(t) for t in root_teams]
    calls: list[str] = []
    for i, t in enumerate(mod_teams):
        calls.append(
            f'# Team {t}: its own module, with the shared boundary.\nmodule "team_{t}" {{\n'
            f'  source = "./modules/team-{t}"\n\n  team                     = "{t}"\n'
            f"  account_id               = var.account_id\n  region                   = var.region\n"
            f"  environment              = var.environment\n"
            f"  permissions_boundary_arn = aws_iam_policy.boundary.arn\n"
            + ("  allowed_regions          = var.allowed_regions\n" if i % 2 == 0 else "")
            + "}\n\n"
        )
    for t in root_teams + mod_teams[:3]:
        calls.append(
            f'module "{t}_service_role" {{\n  source = "./modules/service-role"\n\n'
            f'  name             = "acme-{t}-service"\n'
            f'  trusted_services = ["lambda.amazonaws.com", "states.amazonaws.com"]\n'
            f'  bucket_arns      = ["arn:aws:s3:::acme-{t}-data", "arn:aws:s3:::acme-{t}-exports"]\n'
            f"  permissions_boundary_arn = aws_iam_policy.boundary.arn\n"
            f"  extra_statements = [\n    {{\n"
            f'      actions   = ["sqs:SendMessage"]\n'
            f'      resources = ["arn:aws:sqs:eu-west-1:123456789012:{t}-jobs"]\n    }},\n  ]\n}}\n\n'
        )
    root.files["modules.tf"] = calls

    # Hand out the remaining line budget unit by unit, round-robin over all module dirs, so
    # every directory gets every kind of unit once the corpus is big enough.
    dirs: list[tuple[ModuleDir, str, str, str]] = [
        (root, t, "var.region", "var.account_id") for t in root_teams
    ] + [(d, t, "var.region", "var.account_id") for d, t in zip(team_dirs, mod_teams, strict=True)]
    ctxs = [Ctx(rng=rng, mod=d, team=t, region=r, account=a) for d, t, r, a in dirs]
    produced = 0
    i = 0
    # The budget counts Terraform lines only; the JSON and template files come on top.
    while produced < budget:
        ctx = ctxs[i % len(ctxs)]
        # The first units of each directory cover every kind once, then pick by weight.
        fn = UNITS[ctx.counter % len(UNITS)][1] if ctx.counter < len(UNITS) else pick_unit(rng)
        if ctx.mod is root and rng.random() < 0.05:
            fn = unit_scp
        chunk = fn(ctx)
        ctx.mod.add(chunk, target_lines=rng.randint(250, 600), stem=f"iam_{ctx.team}")
        produced += chunk.count("\n")
        i += 1
    if not any("aws_organizations_policy" in c for cs in root.files.values() for c in cs):
        root.add(unit_scp(ctxs[0]), 10**9, "iam_org")

    files["main.tf"] = ROOT_MAIN
    files["variables.tf"] = ROOT_VARIABLES + "".join(
        root.variables[k] for k in sorted(root.variables)
    )
    files["terraform.tfvars"] = (
        "# Values for the production workload account.\n"
        'account_id               = "123456789012"\n'
        'permissions_boundary_arn = "arn:aws:iam::123456789012:policy/acme-prod-boundary"\n'
        'environment              = "prod"\n'
    )
    files["outputs.tf"] = 'output "auditor_role_arn" {\n  value = aws_iam_role.auditor.arn\n}\n'
    files["modules/service-role/main.tf"] = SERVICE_ROLE_MODULE_MAIN
    files["modules/service-role/variables.tf"] = SERVICE_ROLE_MODULE_VARS
    files["modules/role-policy/main.tf"] = ROLE_POLICY_MODULE
    for d in [root, *team_dirs]:
        prefix = f"{d.rel}/" if d.rel else ""
        for fname, chunks in d.files.items():
            files[prefix + fname] = "".join(chunks)
        for rel, content in d.extra.items():
            files[prefix + rel] = content
        if d is not root:
            team = d.rel.rsplit("team-", 1)[1]
            files[prefix + "main.tf"] = TEAM_MODULE_HEADER + team_scaffold(team)
            files[prefix + "variables.tf"] = TEAM_MODULE_VARS + "".join(
                d.variables[k] for k in sorted(d.variables)
            )
    return files


def write(files: dict[str, str], out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    for rel in sorted(files):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8", newline="")


def count_lines(root: Path, suffixes: tuple[str, ...] = (".tf",)) -> int:
    return sum(
        p.read_text(encoding="utf-8").count("\n")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name.endswith(suffixes)
    )


def check(root: Path) -> int:
    """Parse every .tf with hcl2.loads and every .json with json.loads; report failures."""
    import hcl2  # imported here: generation itself must not depend on the parser

    bad = 0
    n = 0
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        try:
            if p.suffix in (".tf", ".tfvars"):
                n += 1
                hcl2.loads(p.read_text(encoding="utf-8-sig"))
            elif p.suffix == ".json":
                n += 1
                json.loads(p.read_text(encoding="utf-8"))
        except Exception as exc:  # report every bad file, not just the first
            bad += 1
            print(f"{p}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}", file=sys.stderr)
    print(f"checked {n} files under {root}: {bad} failed to parse")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2000, help="approximate total lines")
    ap.add_argument("--out", type=Path, help="output directory (replaced)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", type=Path, metavar="DIR", help="only parse-check DIR and exit")
    args = ap.parse_args(argv)
    if args.check:
        return check(args.check)
    if not args.out:
        ap.error("--out is required to generate")
    files = generate(args.lines, args.seed)
    write(files, args.out)
    tf = count_lines(args.out)
    total = count_lines(args.out, (".tf", ".tfvars", ".json", ".tpl"))
    print(f"wrote {len(files)} files to {args.out}: {tf} .tf lines, {total} lines in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
