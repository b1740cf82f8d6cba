"""Compare iamlint with checkov, repository by repository, on IAM findings.

A benchmark/report script, not a test. CORPUS holds one folder per repository
(``owner__repo``, third-party code, never committed). For each folder it runs

* ``checkov -d <repo> --framework terraform -o json --quiet --compact --skip-download
  -c <the IAM checks below>`` (checkov lives in its own venv: ``--checkov``), and
* ``iamlint check <repo> --format json`` and ``iamlint policies <repo> --format json``,

then matches checkov's failed IAM checks with iamlint's findings and prints, per repository,
a side-by-side table: matched pairs, checkov findings iamlint has no counterpart for,
iamlint findings (of a mapped family) checkov has no counterpart for, iamlint crashes
(tracebacks, exit codes other than 0/1/2) and input errors, and counts. ``--markdown FILE``
writes the same as Markdown, ``--save DIR`` keeps every raw JSON output.

    python bench/compare_checkov.py /work/corpus2
    python bench/compare_checkov.py /work/corpus2 --only trussworks__terraform-aws-mfa -v
    python bench/compare_checkov.py /work/corpus2 --markdown /tmp/table.md --save /tmp/cmp

Mapping (checkov check -> iamlint rules that answer the same question). A pair matches
when the iamlint rule is in the mapped set, and the two point at the same thing: the same
file with iamlint's line inside checkov's line range, or the same Terraform address (checkov
names a ``data`` block ``aws_iam_policy_document.x``; iamlint reports a document where it is
used or as ``data.aws_iam_policy_document.x``; a policy record's ``origins`` also count).

=================  ==========================================  ======================
checkov            question                                    iamlint
=================  ==========================================  ======================
CKV_AWS_1, 62      Allow ``*`` on ``*`` (admin)                W201
CKV_AWS_49, 63     Allow ``Action: "*"``                       W201, W202
CKV_AWS_72         SQS policy allows ``*`` actions             W201, W202, W203
CKV_AWS_355, 356   ``Resource: "*"`` on restrictable actions   W205 (P30x also accepted)
CKV_AWS_110, 286   privilege escalation                        P301, G504, P305
CKV_AWS_107, 287   credentials exposure                        P303
CKV_AWS_108, 288   data exfiltration                           P302
CKV_AWS_109, 289   permissions management                      P304, P301, P305
CKV_AWS_111, 290   write access without constraints            W205, P30x (no exact twin)
CKV2_AWS_40        full IAM privileges (``iam:*``)             W201, W202, W203, P301, P304
CKV_AWS_40         policy attached to a user                   T407
CKV_AWS_274, 275,  AdministratorAccess / IAMFullAccess         W208
CKV2_AWS_56        attached
CKV_AWS_60, 61     trust open to any principal / service       T401
CKV_AWS_283, 70,   resource policy open to ``*``               T401
32, 33, 168, 169,
387, 301
CKV_AWS_385        SNS cross-account                           T404, T401
CKV_AWS_358, 393   GitHub OIDC trust claims                    T402, T403
CKV_AWS_364        Lambda permission without SourceArn         T408
=================  ==========================================  ======================

iamlint findings of families without a checkov twin (V1xx, W204, W206, W207, G5xx, T405,
T406, S9xx) are counted separately as "iamlint-only (no checkov twin)", not as unmatched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# checkov check id -> the iamlint rules that answer the same question
MAPPING: dict[str, frozenset[str]] = {}


def _map(ids: str, rules: str) -> None:
    for check in ids.split():
        MAPPING[check] = frozenset(rules.split())


_P = "P301 P302 P303 P304 P305"
_map("CKV_AWS_1 CKV_AWS_62", "W201")
_map("CKV_AWS_49 CKV_AWS_63", "W201 W202")
_map("CKV_AWS_72", "W201 W202 W203")
_map("CKV_AWS_355 CKV_AWS_356", "W205 " + _P)
_map("CKV_AWS_110 CKV_AWS_286", "P301 G504 P305")
_map("CKV_AWS_107 CKV_AWS_287", "P303")
_map("CKV_AWS_108 CKV_AWS_288", "P302")
_map("CKV_AWS_109 CKV_AWS_289", "P304 P301 P305")
_map("CKV_AWS_111 CKV_AWS_290", "W205 " + _P)
_map("CKV2_AWS_40", "W201 W202 W203 P301 P304")
_map("CKV_AWS_40", "T407")
_map("CKV_AWS_274 CKV_AWS_275 CKV2_AWS_56", "W208")
_map("CKV_AWS_60 CKV_AWS_61", "T401")
_map(
    "CKV_AWS_283 CKV_AWS_70 CKV_AWS_32 CKV_AWS_33 CKV_AWS_168 CKV_AWS_169 CKV_AWS_387 CKV_AWS_301",
    "T401",
)
_map("CKV_AWS_385", "T404 T401")
_map("CKV_AWS_358 CKV_AWS_393", "T402 T403")
_map("CKV_AWS_364", "T408")

CHECKS = sorted(MAPPING)
# iamlint rules that some checkov check answers; the others have no twin
TWINNED = frozenset(r for rules in MAPPING.values() for r in rules)


@dataclass
class CkFinding:
    check: str
    name: str
    resource: str
    file: str  # relative to the repository
    lines: tuple[int, int]

    def label(self) -> str:
        return f"{self.check} {self.resource} {self.file}:{self.lines[0]}-{self.lines[1]}"


@dataclass
class IlFinding:
    rule: str
    severity: str
    certainty: str
    address: str
    file: str
    line: int
    message: str
    related_lines: list[tuple[str, int]] = field(default_factory=list)

    def label(self) -> str:
        cert = "" if self.certainty in ("", "definite") else f" ({self.certainty})"
        return f"{self.rule}{cert} {self.address} {self.file}:{self.line}"


@dataclass
class RepoResult:
    repo: str
    checkov: list[CkFinding] = field(default_factory=list)
    iamlint: list[IlFinding] = field(default_factory=list)
    matched: list[tuple[CkFinding, list[IlFinding]]] = field(default_factory=list)
    ck_only: list[CkFinding] = field(default_factory=list)
    il_only: list[IlFinding] = field(default_factory=list)
    il_untwinned: list[IlFinding] = field(default_factory=list)
    il_rc: int = 0
    il_policies_rc: int = 0
    il_crash: str = ""
    il_errors: list[str] = field(default_factory=list)
    ck_error: str = ""
    records: int = 0
    unknowns: int = 0
    seconds_ck: float = 0.0
    seconds_il: float = 0.0


def _rel(path: str, repo: Path) -> str:
    p = path.lstrip("/") if not os.path.isabs(path) or not path.startswith(str(repo)) else path
    try:
        return str(Path(p).resolve().relative_to(repo.resolve()))
    except ValueError:
        return p.lstrip("/")


def run_checkov(checkov: str, repo: Path) -> tuple[list[CkFinding], str, float]:
    cmd = [
        checkov,
        "-d",
        str(repo),
        "--framework",
        "terraform",
        "-o",
        "json",
        "--quiet",
        "--compact",
        "--skip-download",
        "-c",
        ",".join(CHECKS),
    ]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=repo)
    seconds = time.perf_counter() - t0
    out = proc.stdout.strip()
    if not out:
        return [], f"checkov rc={proc.returncode}, no output: {proc.stderr[-300:]}", seconds
    try:
        data = json.loads(out)
    except json.JSONDecodeError:
        return [], f"checkov output is not JSON: {out[:200]}", seconds
    reports = data if isinstance(data, list) else [data]
    found: list[CkFinding] = []
    for report in reports:
        if not isinstance(report, dict):
            continue
        for item in report.get("results", {}).get("failed_checks", []):
            rng = item.get("file_line_range") or [0, 0]
            found.append(
                CkFinding(
                    check=item.get("check_id", ""),
                    name=item.get("check_name", ""),
                    resource=item.get("resource", ""),
                    file=_rel(item.get("file_abs_path") or item.get("file_path", ""), repo),
                    lines=(int(rng[0]), int(rng[1])),
                )
            )
    found.sort(key=lambda f: (f.file, f.lines, f.check))
    return found, "", seconds


def _run_iamlint(iamlint: str, args: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run([iamlint, *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def _count_unknowns(value: Any) -> int:
    if isinstance(value, dict):
        return (1 if "$unknown" in value else 0) + sum(_count_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_unknowns(v) for v in value)
    return 0


def run_iamlint(iamlint: str, repo: Path, result: RepoResult, save: Path | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    rc, out, err = _run_iamlint(iamlint, ["check", str(repo), "--format", "json"])
    result.seconds_il = time.perf_counter() - t0
    result.il_rc = rc
    if "Traceback (most recent call last)" in err or rc not in (0, 1, 2):
        result.il_crash = f"check rc={rc}: {err.strip()[-600:]}"
    check: dict[str, Any] = {}
    try:
        check = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        result.il_crash = result.il_crash or f"check output is not JSON: {out[:200]}"
    for e in check.get("errors", []):
        result.il_errors.append(e if isinstance(e, str) else json.dumps(e)[:300])
    for f in check.get("findings", []):
        loc = f.get("location") or {}
        result.iamlint.append(
            IlFinding(
                rule=f.get("rule", ""),
                severity=f.get("severity", ""),
                certainty=f.get("certainty", ""),
                address=f.get("address", ""),
                file=_rel(loc.get("file", ""), repo),
                line=int(loc.get("line") or 0),
                message=f.get("message", ""),
                related_lines=[
                    (_rel(r.get("file", ""), repo), int(r.get("line") or 0))
                    for r in f.get("related", [])
                    if isinstance(r, dict)
                ],
            )
        )
    prc, pout, perr = _run_iamlint(iamlint, ["policies", str(repo), "--format", "json"])
    result.il_policies_rc = prc
    if "Traceback (most recent call last)" in perr or prc not in (0, 1, 2):
        result.il_crash += f" policies rc={prc}: {perr.strip()[-600:]}"
    policies: dict[str, Any] = {}
    try:
        policies = json.loads(pout) if pout.strip() else {}
    except json.JSONDecodeError:
        result.il_crash += f" policies output is not JSON: {pout[:200]}"
    records = policies.get("policies", []) if isinstance(policies, dict) else []
    result.records = len(records)
    result.unknowns = _count_unknowns(records)
    if save:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{repo.name}.check.json").write_text(out)
        (save / f"{repo.name}.policies.json").write_text(pout)
    return policies


def _norm(address: str) -> str:
    """``module.a.data.x.y["k"]`` -> ``x.y`` (checkov and iamlint spell addresses differently)."""
    parts = address.split(".")
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    if parts and parts[0] == "data":
        parts = parts[1:]
    text = ".".join(parts)
    for sep in ("[",):
        text = text.split(sep)[0]
    return text


def _aliases(policies: dict[str, Any], repo: Path) -> dict[str, set[str]]:
    """Normalized address -> every normalized address of the same policy record."""
    out: dict[str, set[str]] = {}
    for rec in policies.get("policies", []) if isinstance(policies, dict) else []:
        names = {_norm(rec.get("address", ""))}
        names |= {_norm(o) for o in rec.get("origins", []) if isinstance(o, str)}
        for n in names:
            out.setdefault(n, set()).update(names)
    return out


def _block_text(repo: Path, ck: CkFinding) -> str:
    try:
        lines = (repo / ck.file).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[max(ck.lines[0] - 1, 0) : ck.lines[1]])


def _same_place(ck: CkFinding, il: IlFinding, aliases: dict[str, set[str]], repo: Path) -> bool:
    lo, hi = ck.lines
    places = [(il.file, il.line), *il.related_lines]
    if any(f == ck.file and lo <= line <= hi for f, line in places):
        return True
    ck_addr = _norm(ck.resource)
    il_addr = _norm(il.address)
    if il_addr == ck_addr or il_addr in aliases.get(ck_addr, set()):
        return True
    # a principal-level finding (P30x on a role) names the policy that grants it
    for alias in aliases.get(ck_addr, {ck_addr}):
        if re.search(re.escape(alias) + r"(?![\w-])", il.message):
            return True
    # checkov names an attachment, iamlint the principal it attaches to (W208, T407):
    # the checkov block mentions the iamlint address (`role = aws_iam_role.x.name`)
    return (
        il.file == ck.file
        and bool(il_addr)
        and re.search(re.escape(il_addr) + r"[\[.]", _block_text(repo, ck)) is not None
    )


def match(result: RepoResult, policies: dict[str, Any], repo: Path) -> None:
    aliases = _aliases(policies, repo)
    used: set[int] = set()
    for ck in result.checkov:
        wanted = MAPPING.get(ck.check, frozenset())
        hits = [
            il for il in result.iamlint if il.rule in wanted and _same_place(ck, il, aliases, repo)
        ]
        if hits:
            result.matched.append((ck, hits))
            used.update(id(h) for h in hits)
        else:
            result.ck_only.append(ck)
    for il in result.iamlint:
        if id(il) in used:
            continue
        if il.rule in TWINNED:
            result.il_only.append(il)
        else:
            result.il_untwinned.append(il)


def compare(repo: Path, checkov: str, iamlint: str, save: Path | None) -> RepoResult:
    result = RepoResult(repo=repo.name)
    result.checkov, result.ck_error, result.seconds_ck = run_checkov(checkov, repo)
    policies = run_iamlint(iamlint, repo, result, save)
    if save and result.checkov:
        (save / f"{repo.name}.checkov.json").write_text(
            json.dumps([c.__dict__ for c in result.checkov], indent=1)
        )
    match(result, policies, repo)
    return result


def render(results: Sequence[RepoResult], verbose: bool, markdown: bool) -> str:
    lines: list[str] = []
    h = "### " if markdown else "== "
    totals = Counter()
    for r in results:
        totals.update(
            repos=1,
            checkov=len(r.checkov),
            matched=len(r.matched),
            ck_only=len(r.ck_only),
            il_only=len(r.il_only),
            il_untwinned=len(r.il_untwinned),
            iamlint=len(r.iamlint),
            crashes=1 if r.il_crash else 0,
            errors=len(r.il_errors),
            records=r.records,
            unknowns=r.unknowns,
        )
    header = (
        "| repository | checkov IAM | matched | checkov-only | iamlint-only (twinned) "
        "| iamlint-only (no twin) | iamlint total | records | unknowns | crash | input errors |"
    )
    lines.append(header)
    lines.append("|" + "---|" * 11)
    for r in results:
        lines.append(
            f"| {r.repo} | {len(r.checkov)} | {len(r.matched)} | {len(r.ck_only)} "
            f"| {len(r.il_only)} | {len(r.il_untwinned)} | {len(r.iamlint)} | {r.records} "
            f"| {r.unknowns} | {'YES' if r.il_crash else '-'} | {len(r.il_errors)} |"
        )
    t = totals
    lines.append(
        f"| **total ({t['repos']} repos)** | {t['checkov']} | {t['matched']} | {t['ck_only']} "
        f"| {t['il_only']} | {t['il_untwinned']} | {t['iamlint']} | {t['records']} "
        f"| {t['unknowns']} | {t['crashes']} | {t['errors']} |"
    )
    lines.append("")
    for r in results:
        lines.append(f"{h}{r.repo}")
        if r.ck_error:
            lines.append(f"- checkov problem: {r.ck_error}")
        if r.il_crash:
            lines.append(f"- **iamlint crash**: {r.il_crash}")
        for e in r.il_errors:
            lines.append(f"- iamlint input error: {e}")
        for ck, hits in r.matched:
            lines.append(f"- MATCH   {ck.label()}  <->  " + "; ".join(h.label() for h in hits))
        for ck in r.ck_only:
            lines.append(f"- CHECKOV-ONLY  {ck.label()}  ({ck.name})")
        for il in r.il_only:
            lines.append(f"- IAMLINT-ONLY  {il.label()}: {il.message[:160]}")
        if verbose:
            for il in r.il_untwinned:
                lines.append(f"- iamlint (no twin)  {il.label()}: {il.message[:160]}")
        elif r.il_untwinned:
            by_rule = Counter(il.rule for il in r.il_untwinned)
            lines.append(
                "- iamlint findings without a checkov twin: "
                + ", ".join(f"{k}×{v}" for k, v in sorted(by_rule.items()))
            )
        lines.append("")
    by_check = Counter(ck.check for r in results for ck, _ in r.matched)
    miss_check = Counter(ck.check for r in results for ck in r.ck_only)
    lines.append(f"{h}by checkov check (matched / checkov-only)")
    for check in sorted(set(by_check) | set(miss_check)):
        lines.append(f"- {check}: {by_check[check]} / {miss_check[check]}")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder of repositories (one folder each)")
    parser.add_argument("--only", action="append", default=[], help="repository folder name")
    parser.add_argument("--checkov", default="/work/corpus2/.checkov/bin/checkov")
    here = Path(sys.executable).parent
    parser.add_argument("--iamlint", default=str(here / "iamlint"))
    parser.add_argument("--save", type=Path, help="keep raw outputs in this folder")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown")
    parser.add_argument("-v", "--verbose", action="store_true", help="list untwinned findings")
    args = parser.parse_args(argv)

    repos = sorted(
        p
        for p in args.corpus.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (not args.only or p.name in args.only)
    )
    results = []
    for repo in repos:
        print(f"... {repo.name}", file=sys.stderr)
        results.append(compare(repo, args.checkov, args.iamlint, args.save))
    print(render(results, args.verbose, markdown=False))
    if args.markdown:
        args.markdown.write_text(render(results, args.verbose, markdown=True))
    return 1 if any(r.il_crash for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
