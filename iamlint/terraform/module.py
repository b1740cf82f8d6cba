"""A Terraform module as written: the declarations of one directory's `.tf` and `.tf.json` files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iamlint.terraform.errors import InputError
from iamlint.terraform.files import SourceFile
from iamlint.terraform.syntax import Attribute, Block, Body


@dataclass(slots=True)
class Declared:
    """A block and the file it is written in."""

    file: SourceFile
    block: Block


@dataclass(slots=True)
class DeclaredAttribute:
    file: SourceFile
    attribute: Attribute


@dataclass(slots=True)
class ModuleSource:
    directory: Path
    files: list[tuple[SourceFile, Body]] = field(default_factory=list)
    variables: dict[str, Declared] = field(default_factory=dict)
    locals: dict[str, DeclaredAttribute] = field(default_factory=dict)
    resources: dict[str, Declared] = field(default_factory=dict)  # "aws_iam_role.this"
    data: dict[str, Declared] = field(default_factory=dict)  # "aws_iam_policy_document.x"
    module_calls: dict[str, Declared] = field(default_factory=dict)
    outputs: dict[str, DeclaredAttribute] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)

    def add_file(self, file: SourceFile, body: Body) -> None:
        self.files.append((file, body))
        for block in body.blocks:
            labels = block.labels
            if block.type == "variable" and labels:
                self.variables[labels[0]] = Declared(file, block)
            elif block.type == "locals":
                for name, attr in block.body.attributes.items():
                    self.locals[name] = DeclaredAttribute(file, attr)
            elif block.type == "resource" and len(labels) >= 2:
                self.resources[f"{labels[0]}.{labels[1]}"] = Declared(file, block)
            elif block.type == "data" and len(labels) >= 2:
                self.data[f"{labels[0]}.{labels[1]}"] = Declared(file, block)
            elif block.type == "module" and labels:
                self.module_calls[labels[0]] = Declared(file, block)
            elif block.type == "output" and labels and "value" in block.body.attributes:
                self.outputs[labels[0]] = DeclaredAttribute(file, block.body.attributes["value"])

    @property
    def line_count(self) -> int:
        return sum(f.text.count("\n") + 1 for f, _ in self.files)
