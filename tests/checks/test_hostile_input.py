"""`iamlint check` on policies built from one enormous template line: bounded memory, and time
that grows with the list, not with the list times every question asked about it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

TRUST = (
    'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n'
    'resource "aws_iam_role_policy" "p" {\n  role = aws_iam_role.r.id\n  policy = <<EOT\n'
)


def run_check(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """``iamlint check`` in a fresh interpreter: its result, CPU seconds and peak memory (KB).
    CPU time and memory, not wall time: a loaded machine slows a run, not its verdict."""
    code = (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: print('maxrss', resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss, file=sys.stderr))\n"
        f"sys.argv = ['iamlint', 'check', '.', *{list(args)!r}]\n"
        "from iamlint.cli import run\nrun()\n"
    )
    env = {**os.environ, "IAMLINT_CACHE_DIR": str(folder / ".cache")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,  # only stops a hang
        env=env,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = int(done.stderr.rsplit("maxrss ", 1)[1].split()[0])
    return done, cpu, peak


def test_an_unresolved_megabyte_template_line_takes_bounded_memory(tmp_path):
    # Known entries, then a loop over a variable without a value: the whole policy is unknown,
    # and its text (the line) used to be copied into every reason of every probe: 2 GB.
    entries = "".join(f'"arn:aws:s3:::bucket-{i:06d}/*",' for i in range(30000))
    (tmp_path / "main.tf").write_text(
        'variable "buckets" {}\n' + TRUST + '{"Version": "2012-10-17", "Statement": [{"Effect": '
        '"Allow", "Action": ["iam:*", "s3:*"], "Resource": [' + entries + "%{ for b in "
        'var.buckets }"arn:aws:s3:::${b}/*",%{ endfor }"arn:aws:s3:::last"]}]}\nEOT\n}\n'
    )
    done, _, peak = run_check(tmp_path, "--select", "P,W")
    assert done.returncode == 1, done.stderr[-2000:]
    assert peak < 400_000, f"{peak} KB"  # about 1.1 GB before
    (message,) = [line for line in done.stdout.splitlines() if " W202 " in line]
    assert "(930193 characters)" in message and len(message) < 600  # named, not pasted whole


def test_a_resource_list_of_thousands_of_entries_is_read_once(tmp_path):
    names = ", ".join(f'"bucket-{i:06d}"' for i in range(40000))
    (tmp_path / "main.tf").write_text(
        f"locals {{\n  buckets = [{names}]\n}}\n" + TRUST + '{"Version": "2012-10-17", '
        '"Statement": [{"Effect": "Allow", "Action": ["iam:*", "s3:*"], "Resource": [%{ for b '
        'in local.buckets }"arn:aws:s3:::${b}/*",%{ endfor }"arn:aws:s3:::last"]}]}\nEOT\n}\n'
    )
    done, cpu, _ = run_check(tmp_path, "--select", "P")
    assert done.returncode == 0, done.stderr[-2000:]  # S3 objects only: no escalation
    # Every probe matched every entry, compiling each anew: over 30 s of CPU; about 3 s now.
    assert cpu < 15, f"{cpu:.1f} s of CPU"


def test_actions_and_arns_longer_than_aws_allows_are_reported_where_they_are(tmp_path):
    action, arn = "s3:" + "Get" * 60, "arn:aws:s3:::" + "b" * 2100
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  name = "p"\n  policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = '
        f'["{action}", "s3:GetObject"], Resource = ["{arn}", "arn:aws:s3:::ok/*"] }}]\n'
        "  })\n}\n"
    )
    done, _, _ = run_check(tmp_path, "--select", "V")
    lines = [line for line in done.stdout.splitlines() if " V106 " in line]
    assert [line.split(" V106 ")[0] for line in lines] == ["main.tf:5:48:", "main.tf:5:264:"]
    assert "183-character action: no AWS action name is longer than 128" in lines[0]
    assert "2113-character resource: an ARN has at most 2048 characters" in lines[1]
