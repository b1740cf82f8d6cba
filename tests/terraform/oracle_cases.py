"""Hand-written configurations for the Terraform oracle: every form the README lists, and the
idioms of real modules. Each is a folder of `fixtures/oracle/`, named after what it exercises."""

from __future__ import annotations

from pathlib import Path

from terraform_oracle import Case

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "oracle"


def _load(folder: Path) -> Case:
    files = {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    return Case(name=folder.name, files=files)


CASES: list[Case] = [_load(folder) for folder in sorted(FOLDER.iterdir()) if folder.is_dir()]
