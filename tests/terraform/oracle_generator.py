"""Random Terraform configurations that render IAM policies, for the Terraform oracle.

The generator does not predict what a configuration renders: Terraform does (see
`terraform_oracle.py`). It only has to write valid Terraform, so it tracks the type of every
expression it builds (a string, a list of strings, a map of strings, a bool) and composes the
functions and forms real modules use: variables with defaults (object types with `optional`
attributes included), locals, templates, conditionals, `for` expressions with filters and
grouping, `dynamic` blocks, `source_policy_documents`/`override_policy_documents`, heredocs,
`templatefile`, `count`/`for_each`, nested local modules.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from terraform_oracle import Case

ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:DescribeInstances",
    "sqs:SendMessage",
    "kms:Decrypt",
    "logs:CreateLogGroup",
    "iam:PassRole",
    "dynamodb:Query",
    "sts:AssumeRole",
)
RESOURCES = (
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:sqs:us-east-1:111122223333:queue-1",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
    "*",
)
WORDS = ("alpha", "beta", "Gamma", "data-lake", "ci_deploy", "svc01")
CONDITION_KEYS = ("aws:SourceVpc", "s3:prefix", "aws:PrincipalTag/team", "aws:RequestedRegion")
OPERATORS = ("StringEquals", "StringLike", "ArnLike", "ForAnyValue:StringEquals")


def _q(text: str) -> str:
    """An HCL quoted string (JSON's escapes are HCL's for these characters)."""
    return json.dumps(text).replace("${", "$${").replace("%{", "%%{")


def _variable(name: str, type_: str, default: str) -> str:
    return f'variable "{name}" {{\n  type    = {type_}\n  default = {default}\n}}\n'


@dataclass
class _Module:
    """The declarations a case collects while its expressions are generated."""

    variables: list[str] = field(default_factory=list)
    locals: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- leaves ---------------------------------------------------------------------------------

    def word(self, pool: tuple[str, ...] = ACTIONS) -> str:
        return self.rng.choice(pool)

    def pool(self) -> tuple[str, ...]:
        return self.rng.choice((ACTIONS, ACTIONS, RESOURCES, WORDS))

    # -- strings --------------------------------------------------------------------------------

    def string(self, m: _Module, depth: int, pool: tuple[str, ...] | None = None) -> str:
        pool = pool or self.pool()
        if depth <= 0 or self.rng.random() < 0.3:
            return _q(self.word(pool))
        choice = self.rng.randrange(17)
        d = depth - 1
        if choice == 0:
            name = m.name("s")
            m.variables.append(_variable(name, "string", _q(self.word(pool))))
            return f"var.{name}"
        if choice == 1:
            name = m.name("ls")
            m.locals.append(f"  {name} = {self.string(m, d, pool)}")
            return f"local.{name}"
        if choice == 2:
            return f'"${{{self.string(m, d, WORDS)}}}:${{{self.string(m, d, WORDS)}}}"'
        if choice == 3:
            return f'format("%s:%s", {self.string(m, d, WORDS)}, {self.string(m, d, ACTIONS)})'
        if choice == 4:
            return f"{self.rng.choice(('lower', 'upper'))}({self.string(m, d, pool)})"
        if choice == 5:
            return f'replace({self.string(m, d, pool)}, "a", "4")'
        if choice == 6:
            return f'replace({self.string(m, d, pool)}, "/([aeiou])([a-z])/", "$2$1")'
        if choice == 7:
            return f'join("-", {self.list(m, d, pool)})'
        if choice == 8:
            return f"element({self.list(m, d, pool)}, {self.rng.randrange(5)})"
        if choice == 9:
            return f'coalesce("", {self.string(m, d, pool)})'
        if choice == 10:
            return f'lookup({self.map(m, d, pool)}, "k0", {self.string(m, d, pool)})'
        if choice == 11:
            return f"try({self.map(m, d, pool)}.missing, {self.string(m, d, pool)})"
        if choice == 12:
            return f"one([{self.string(m, d, pool)}])"
        if choice == 13:
            return f"{self.boolean(m, d)} ? {self.string(m, d, pool)} : {self.string(m, d, pool)}"
        if choice == 14:
            return f"substr({self.string(m, d, pool)}, 0, {self.rng.randrange(3, 12)})"
        if choice == 15:
            return f'trimsuffix({self.string(m, d, pool)}, "Object")'
        return f'try(regex("^[a-z0-9]+", {self.string(m, d, pool)}), {self.string(m, d, pool)})'

    # -- lists of strings -----------------------------------------------------------------------

    def list(self, m: _Module, depth: int, pool: tuple[str, ...] | None = None) -> str:
        pool = pool or self.pool()
        if depth <= 0 or self.rng.random() < 0.25:
            items = [self.string(m, 0, pool) for _ in range(self.rng.randrange(1, 4))]
            return "[" + ", ".join(items) + "]"
        d = depth - 1
        choice = self.rng.randrange(20)
        if choice == 0:
            name = m.name("l")
            default = json.dumps([self.word(pool) for _ in range(self.rng.randrange(1, 4))])
            m.variables.append(_variable(name, "list(string)", default))
            return f"var.{name}"
        if choice == 1:
            name = m.name("ll")
            m.locals.append(f"  {name} = {self.list(m, d, pool)}")
            return f"local.{name}"
        if choice == 2:
            return f"concat({self.list(m, d, pool)}, {self.list(m, d, pool)})"
        if choice == 3:
            return f"distinct({self.list(m, d, pool)})"
        if choice == 4:
            return f'compact(concat({self.list(m, d, pool)}, [""]))'
        if choice == 5:
            return f"sort({self.list(m, d, pool)})"
        if choice == 6:
            return f"flatten([{self.list(m, d, pool)}, [{self.string(m, d, pool)}]])"
        if choice == 7:
            return f'formatlist("arn:aws:s3:::%s/*", {self.list(m, d, WORDS)})'
        if choice == 8:
            return f"[for x in {self.list(m, d, pool)} : upper(x)]"
        if choice == 9:
            return f"[for x in {self.list(m, d, pool)} : x if length(x) > 8]"
        if choice == 10:
            return f"tolist(toset({self.list(m, d, pool)}))"
        if choice == 11:
            return f"tolist(setunion({self.list(m, d, pool)}, {self.list(m, d, pool)}))"
        if choice == 12:
            return f'split(",", join(",", {self.list(m, d, pool)}))'
        if choice == 13:
            return f"slice(concat({self.list(m, d, pool)}, [{self.string(m, d, pool)}]), 0, 1)"
        if choice == 14:
            return f"{self.rng.choice(('keys', 'values'))}({self.map(m, d, pool)})"
        if choice == 15:
            return f"coalescelist([], {self.list(m, d, pool)})"
        if choice == 16:
            return f"reverse({self.list(m, d, pool)})"
        if choice == 17:
            return f"{self.boolean(m, d)} ? {self.list(m, d, pool)} : {self.list(m, d, pool)}"
        if choice == 18:
            return f'[for k, v in {self.map(m, d, pool)} : "${{k}}:${{v}}"]'
        return f"flatten(values({{for x in {self.list(m, d, pool)} : substr(x, 0, 2) => x...}}))"

    # -- maps of strings ------------------------------------------------------------------------

    def map(self, m: _Module, depth: int, pool: tuple[str, ...] | None = None) -> str:
        pool = pool or self.pool()
        if depth <= 0 or self.rng.random() < 0.3:
            keys = [f"k{i}" for i in range(self.rng.randrange(1, 4))]
            return "{ " + ", ".join(f"{k} = {self.string(m, 0, pool)}" for k in keys) + " }"
        d = depth - 1
        choice = self.rng.randrange(6)
        if choice == 0:
            name = m.name("m")
            default = {f"k{i}": self.word(pool) for i in range(self.rng.randrange(1, 4))}
            m.variables.append(_variable(name, "map(string)", json.dumps(default)))
            return f"var.{name}"
        if choice == 1:
            return f"merge({self.map(m, d, pool)}, {self.map(m, d, pool)})"
        if choice == 2:
            return f'zipmap(["k0", "k1"], [{self.string(m, d, pool)}, {self.string(m, d, pool)}])'
        if choice == 3:
            return f"{{for k, v in {self.map(m, d, pool)} : k => lower(v)}}"
        if choice == 4:
            return f"{{for x in distinct({self.list(m, d, pool)}) : x => x}}"
        name = m.name("lm")
        m.locals.append(f"  {name} = {self.map(m, d, pool)}")
        return f"local.{name}"

    # -- booleans -------------------------------------------------------------------------------

    def boolean(self, m: _Module, depth: int) -> str:
        choice = self.rng.randrange(4)
        if choice == 0:
            name = m.name("flag")
            value = self.rng.choice(("true", "false"))
            m.variables.append(f'variable "{name}" {{\n  type    = bool\n  default = {value}\n}}\n')
            return f"var.{name}"
        if choice == 1:
            return f"length({self.list(m, max(depth - 1, 0))}) > 2"
        if choice == 2:
            return f"contains({self.list(m, max(depth - 1, 0))}, {_q(self.word())})"
        return self.rng.choice(("true", "false"))

    def one_or_many(self, m: _Module, depth: int, pool: tuple[str, ...], lists: float) -> str:
        if self.rng.random() < lists:
            return self.list(m, depth, pool)
        return self.string(m, depth, pool)

    # -- documents ------------------------------------------------------------------------------

    def json_statement(self, m: _Module, depth: int) -> str:
        parts = []
        if self.rng.random() < 0.5:
            parts.append(f"Sid = {_q('S' + str(self.rng.randrange(100)))}")
        parts.append(f"Effect = {_q(self.rng.choice(('Allow', 'Deny')))}")
        action = self.one_or_many(m, depth, ACTIONS, 0.7)
        parts.append(f"{self.rng.choice(('Action', 'Action', 'NotAction'))} = {action}")
        resource = self.one_or_many(m, depth, RESOURCES, 0.6)
        parts.append(f"Resource = {resource}")
        if self.rng.random() < 0.3:
            operator, key = _q(self.rng.choice(OPERATORS)), _q(self.rng.choice(CONDITION_KEYS))
            values = self.list(m, depth - 1, WORDS)
            parts.append(f"Condition = {{ {operator} = {{ {key} = {values} }} }}")
        return "{\n      " + "\n      ".join(parts) + "\n    }"

    def jsonencode_policy(self, m: _Module, depth: int) -> str:
        statements = [self.json_statement(m, depth) for _ in range(self.rng.randrange(1, 3))]
        if self.rng.random() < 0.2:
            name = m.name("st")
            m.locals.append(f"  {name} = [{', '.join(statements)}]")
            body = f"local.{name}"
        else:
            body = "[" + ", ".join(statements) + "]"
        return f'jsonencode({{\n    Version   = "2012-10-17"\n    Statement = {body}\n  }})'

    def statement_block(self, m: _Module, depth: int, *, dynamic: bool = False) -> str:
        lines = []
        if self.rng.random() < 0.6:
            lines.append(f"sid = {_q('Doc' + str(self.rng.randrange(100)))}")
        if self.rng.random() < 0.4:
            lines.append(f"effect = {_q(self.rng.choice(('Allow', 'Deny')))}")
        actions = self.rng.choice(("actions", "actions", "not_actions"))
        lines.append(f"{actions} = {self.list(m, depth, ACTIONS)}")
        resources = self.rng.choice(("resources", "resources", "not_resources"))
        lines.append(f"{resources} = {self.list(m, depth, RESOURCES)}")
        body = "\n    ".join(lines)
        for _ in range(self.rng.randrange(0, 3)):
            body += (
                "\n    condition {\n"
                f"      test     = {_q(self.rng.choice(OPERATORS))}\n"
                f"      variable = {_q(self.rng.choice(CONDITION_KEYS))}\n"
                f"      values   = {self.list(m, depth - 1, WORDS)}\n    }}"
            )
        return f"  statement {{\n    {body}\n  }}\n"

    def policy_document(self, m: _Module, depth: int) -> str:
        name = m.name("doc")
        blocks = "".join(self.statement_block(m, depth) for _ in range(self.rng.randrange(1, 3)))
        if self.rng.random() < 0.3:
            groups = range(self.rng.randrange(1, 3))
            items = {f"g{i}": [self.word(ACTIONS) for _ in range(2)] for i in groups}
            local = m.name("dyn")
            m.locals.append(f"  {local} = {json.dumps(items)}")
            blocks += (
                f'  dynamic "statement" {{\n    for_each = local.{local}\n    content {{\n'
                "      sid       = statement.key\n      actions   = statement.value\n"
                '      resources = ["*"]\n    }\n  }\n'
            )
        extra = ""
        if self.rng.random() < 0.3:
            other = self.policy_document(m, depth - 1)
            which = self.rng.choice(("source_policy_documents", "override_policy_documents"))
            extra = f"  {which} = [{other}]\n"
        m.blocks.append(f'data "aws_iam_policy_document" "{name}" {{\n{extra}{blocks}}}\n')
        return f"data.aws_iam_policy_document.{name}.json"

    def heredoc_policy(self, m: _Module, depth: int) -> str:
        action = self.list(m, depth, ACTIONS)
        resource = self.string(m, depth, RESOURCES)
        return (
            '<<-EOT\n    {\n      "Version": "2012-10-17",\n      "Statement": [{\n'
            '        "Effect": "Allow",\n'
            f'        "Action": ${{jsonencode({action})}},\n'
            f'        "Resource": "${{{resource}}}"\n'
            "      }]\n    }\n  EOT"
        )

    def templatefile_policy(self, m: _Module, depth: int) -> str:
        name = m.name("tpl")
        m.files[f"{name}.json.tpl"] = (
            '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
            "%{ for index, action in actions ~}\n"
            '    {"Sid": "T${index}", "Effect": "Allow", "Action": "${action}", '
            '"Resource": ${jsonencode(resources)}}%{ if index < length(actions) - 1 },%{ endif }\n'
            "%{ endfor ~}\n  ]\n}\n"
        )
        actions = self.list(m, depth, ACTIONS)
        resources = self.list(m, depth, RESOURCES)
        return (
            f'templatefile("${{path.module}}/{name}.json.tpl", '
            f"{{ actions = tolist({actions}), resources = {resources} }})"
        )

    def object_variable_policy(self, m: _Module, depth: int) -> str:
        name = m.name("cfg")
        default = {"actions": [self.word(ACTIONS)]}
        if self.rng.random() < 0.5:
            default["effect"] = self.rng.choice(("Allow", "Deny"))
        m.variables.append(
            f'variable "{name}" {{\n  type = object({{\n    actions   = list(string)\n'
            '    effect    = optional(string, "Allow")\n'
            '    resources = optional(list(string), ["*"])\n'
            f"    sid       = optional(string)\n  }})\n  default = {json.dumps(default)}\n}}\n"
        )
        doc = m.name("odoc")
        m.blocks.append(
            f'data "aws_iam_policy_document" "{doc}" {{\n  statement {{\n'
            f"    sid       = var.{name}.sid\n    effect    = var.{name}.effect\n"
            f"    actions   = var.{name}.actions\n    resources = var.{name}.resources\n  }}\n}}\n"
        )
        return f"data.aws_iam_policy_document.{doc}.json"

    def policy(self, m: _Module, depth: int) -> str:
        form = self.rng.randrange(6)
        if form == 0:
            return self.jsonencode_policy(m, depth)
        if form == 1:
            return self.policy_document(m, depth)
        if form == 2:
            return self.heredoc_policy(m, depth)
        if form == 3:
            return self.templatefile_policy(m, depth)
        if form == 4:
            return self.object_variable_policy(m, depth)
        name = m.name("lp")
        m.locals.append(f"  {name} = {self.jsonencode_policy(m, depth)}")
        return f"local.{name}"

    # -- cases ----------------------------------------------------------------------------------

    def case(self, index: int) -> Case:
        m = _Module()
        depth = self.rng.randrange(1, 4)
        resources = []
        for r in range(self.rng.randrange(1, 3)):
            policy = self.policy(m, depth)
            repetition = ""
            name_expr = f'"p{index}-{r}"'
            if self.rng.random() < 0.2:
                repetition = f"  count = {self.rng.randrange(1, 3)}\n"
                name_expr = f'"p{index}-{r}-${{count.index}}"'
            elif self.rng.random() < 0.2:
                repetition = '  for_each = toset(["blue", "green"])\n'
                name_expr = f'"p{index}-{r}-${{each.key}}"'
            resources.append(
                f'resource "aws_iam_policy" "p{r}" {{\n{repetition}  name   = {name_expr}\n'
                f"  policy = {policy}\n}}\n"
            )
        text = "".join(m.variables)
        if m.locals:
            text += "locals {\n" + "\n".join(m.locals) + "\n}\n"
        text += "".join(m.blocks) + "".join(resources)
        files = {"main.tf": text, **m.files}
        return Case(name=f"gen{index:04d}", files=files)


def generate(seed: int, count: int) -> list[Case]:
    generator = Generator(seed)
    return [generator.case(i) for i in range(count)]
