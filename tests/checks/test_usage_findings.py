"""U601-U606 over fixtures/checks/usage with small snapshots, and `check --usage` on the demo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import usage_helpers as h  # beside this file (on the path: conftest.py)
from click.testing import CliRunner

from iamlint.checks import usage
from iamlint.checks.commands import check
from iamlint.checks.context import Config
from iamlint.checks.finding import Certainty, Finding, Severity
from iamlint.checks.usage import Evidence

TODAY = dt.date(2026, 11, 25)
APP, POLICY = "aws_iam_role.app", "aws_iam_role_policy.app"
APP_ARN = h.role("app", "/teams/")
BOT_ARN = "arn:aws:iam::111122223333:user/deploy-bot"
DEMO = h.ROOT / "fixtures" / "demo"
DEMO_SNAPSHOT = h.ROOT / "fixtures" / "usage" / "demo-snapshot.json"

# The app uses part of each statement; other roles are absent unless a test adds them.
APP_ROWS = [
    h.row("s3:GetObject", "arn:aws:s3:::data-bucket/*"),
    h.row("s3:PutObject", "arn:aws:s3:::data-bucket/*"),
    h.row("ec2:DescribeInstances", "*"),
]


def run(principals, *, sources=None, unmapped=(), config=None, today=TODAY) -> list[Finding]:
    snap = h.snapshot(principals, sources, unmapped)
    return list(usage.run(h.context(Evidence(snap, today), config)))


def of(findings: list[Finding], rule: str, address: str | None = None) -> list[Finding]:
    return [f for f in findings if f.rule == rule and (address is None or f.address == address)]


def statements(findings: list[Finding], rule: str, address: str = POLICY) -> dict[str, str]:
    return {f.statement: f.subject for f in of(findings, rule, address)}


def text_at(finding: Finding) -> str:
    loc = finding.location
    source = (h.ROOT / loc.file).read_text()
    return source[loc.start : loc.end]


@pytest.fixture(scope="module")
def app() -> list[Finding]:
    return run([h.principal(APP_ARN, APP_ROWS)])


# --- quiet without evidence ------------------------------------------------------------------


def test_no_snapshot_no_findings() -> None:
    assert list(usage.run(h.context(None))) == []


# --- U601 ------------------------------------------------------------------------------------


def test_u601_unused_visible_actions_at_their_item(app: list[Finding]) -> None:
    found = statements(app, "U601")
    assert found["Objects"] == "s3:DeleteObject"
    assert found["Ec2"] == "ec2:RunInstances"
    delete = next(f for f in of(app, "U601") if f.statement == "Objects")
    assert text_at(delete) == '"s3:DeleteObject"'
    assert "not used in 80 days, though the evidence could have seen it" in delete.message
    star = next(f for f in demo_findings() if f.rule == "U601" and f.subject == "*")
    assert "kept, the evidence could not see: " in star.message
    assert delete.certainty is Certainty.DEFINITE and delete.severity is Severity.MEDIUM


def test_u601_never_for_used_or_invisible_actions(app: list[Finding]) -> None:
    subjects = " ".join(f.subject for f in of(app, "U601"))
    assert "s3:GetObject" not in subjects and "s3:PutObject" not in subjects
    assert "iam:PassRole" not in subjects and "dynamodb:GetItem" not in subjects
    # Without S3 data events, S3 object calls are invisible: kept, never "unused".
    dark = run([h.principal(APP_ARN, APP_ROWS[2:])], sources=[h.source(data=())])
    assert "Objects" not in statements(dark, "U601")
    blind = {f.subject for f in of(dark, "U605") if f.statement == "Objects"}
    assert blind == {f"blind: s3:{a}Object" for a in ("Get", "Put", "Delete")}


def test_u601_a_denied_call_counts_as_used() -> None:
    rows = [*APP_ROWS, h.row("ec2:RunInstances", None, denials=[h.denial("scp", "unknown")])]
    found = run([h.principal(APP_ARN, rows)])
    assert "Ec2" not in statements(found, "U601")


def test_u601_wildcard_item_is_one_finding_listing_actions() -> None:
    # The demo's s3:Get* for svc-reports: one finding at the pattern, used actions named.
    findings = demo_findings()
    get = next(f for f in findings if f.rule == "U601" and "s3:Get*" in f.message)
    assert text_at(get) == '"s3:Get*"' and get.subject == "s3:Get*"  # stable fingerprint
    star = [f for f in findings if f.address == "aws_iam_role_policy.ci"]
    assert {(f.rule, f.subject) for f in star if f.rule in ("U601", "U602")} == {
        ("U601", "*"),
        ("U602", "*"),
    }
    assert "used: s3:GetObject, s3:GetObjectTagging" in get.message
    assert "s3:GetObject" not in get.extra["unused"] and len(get.extra["unused"]) > 20


# --- U602 ------------------------------------------------------------------------------------


def test_u602_service_never_called(app: list[Finding]) -> None:
    queues = next(f for f in of(app, "U602") if f.statement == "Queues")
    assert queues.subject == "sqs"
    assert text_at(queues).startswith('["sqs:CreateQueue"')  # two items: the Action element
    assert "service sqs never called in 80 days (2 actions)" in queues.message


def test_u602_not_when_part_of_the_service_is_invisible(app: list[Finding]) -> None:
    # dynamodb:GetItem is a data event nobody logged: DynamoDB may well be in use.
    assert "Tables" not in statements(app, "U602")
    assert statements(app, "U601")["Tables"] == "dynamodb:DescribeTable"
    assert statements(app, "U605")["Tables"] == "blind: dynamodb:GetItem"


def test_u602_not_for_used_services(app: list[Finding]) -> None:
    assert {f.subject for f in of(app, "U602")} == {"sqs"}


# --- U603 ------------------------------------------------------------------------------------


def test_u603_resource_never_used(app: list[Finding]) -> None:
    (other,) = of(app, "U603", POLICY)
    assert other.subject == "arn:aws:s3:::other-bucket/*"
    assert text_at(other) == '"arn:aws:s3:::other-bucket/*"'
    assert "observed: arn:aws:s3:::data-bucket/*" in other.message


def test_u603_star_broader_than_observed() -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/abcd"
    found = run([h.principal(BOT_ARN, [h.row("kms:Decrypt", key)])])
    (broad,) = of(found, "U603", "aws_iam_user_policy.bot")
    assert broad.subject == "*" and key in broad.message
    assert broad.certainty is Certainty.DEFINITE


def test_u603_not_when_observed_resources_are_as_wide() -> None:
    rows = [h.row("kms:Decrypt", "*"), h.row("ssm:GetParameter", None)]
    assert of(run([h.principal(BOT_ARN, rows)]), "U603") == []
    # Only unnamed resources: nothing to compare with.
    assert of(run([h.principal(BOT_ARN, [h.row("kms:Decrypt", None)])]), "U603") == []


# --- U604 ------------------------------------------------------------------------------------


def test_u604_absent_unknown_name_ambiguous(app: list[Finding]) -> None:
    by_address = {f.address: f for f in of(app, "U604")}
    assert by_address["aws_iam_role.idle"].subject == "absent"
    assert "accounts 111122223333" in by_address["aws_iam_role.idle"].message
    generated = run([h.principal(h.role("gen-1")), h.principal(h.role("twin"))])
    found = {f.address: f for f in of(generated, "U604")}
    assert found["aws_iam_role.generated"].subject == "unjoined"
    assert "candidates: " + h.role("gen-1") in found["aws_iam_role.generated"].message
    assert found["aws_iam_role.generated"].certainty is Certainty.POSSIBLE
    twin = found['module.twin["blue"].aws_iam_role.this']
    assert twin.subject == "ambiguous" and "does not guess" in twin.message


def test_u604_joined_but_silent() -> None:
    claim = {"scope": "role", "name": None, "last_accessed": None, "sources": [h.CT]}
    found = run([h.principal(h.role("idle"), unused=[claim])])
    (idle,) = of(found, "U604", "aws_iam_role.idle")
    assert idle.subject == "no-calls" and "Access Analyzer also reports it unused" in idle.message
    # Its policy is not judged: nothing was observed.
    assert of(found, "U601", "aws_iam_role_policy.idle") == []


def test_u604_not_for_active_principals(app: list[Finding]) -> None:
    assert of(app, "U604", APP) == []


def test_u604_holders_without_evidence_keep_the_policy_unjudged() -> None:
    found = run([h.principal(h.role("gen-1"), [h.row("sqs:GetQueueUrl", "*")])])
    assert [f for f in found if f.address == "aws_iam_role_policy.generated"] == []


# --- U605 ------------------------------------------------------------------------------------


def test_u605_blind_action_kept_and_named(app: list[Finding]) -> None:
    (passrole,) = [f for f in of(app, "U605") if f.statement == "Pass"]
    assert "iam:PassRole (never logged)" in passrole.message
    assert passrole.severity is Severity.INFO


def test_u605_not_on_strong_evidence(app: list[Finding]) -> None:
    assert [f for f in of(app, "U605") if f.address == APP] == []


def test_u605_short_window_makes_unused_possible() -> None:
    short = h.source(start="2026-11-10T00:00:00Z", end="2026-11-20T00:00:00Z")
    found = run([h.principal(APP_ARN, APP_ROWS)], sources=[short])
    (weak,) = of(found, "U605", APP)
    assert weak.subject == "short-window" and "less than 35" in weak.message
    delete = next(f for f in of(found, "U601") if f.statement == "Objects")
    assert delete.certainty is Certainty.POSSIBLE and delete.severity is Severity.LOW
    assert "weak evidence: only 10 days observed" in delete.message


def test_u605_stale_incomplete_and_unmapped() -> None:
    sources = [
        h.source(),
        h.source(
            id="aa-1",
            kind="access_analyzer.generated_policy",
            complete=False,
            problems=["trail/x.json.gz"],
        ),
    ]
    unmapped = [{"event_source": "preview.amazonaws.com", "event_name": "ListWidgets",
                 "principal": APP_ARN, "count": 4, "first_seen": h.START, "last_seen": h.END,
                 "sources": [h.CT]}]  # fmt: skip
    found = run([h.principal(APP_ARN, APP_ROWS)], sources=sources, unmapped=unmapped,
                today=dt.date(2027, 3, 1))  # fmt: skip
    subjects = {f.subject: f.message for f in of(found, "U605", APP)}
    assert set(subjects) == {"stale", "incomplete", "unmapped"}
    assert "101 days ago" in subjects["stale"]
    assert "aa-1 is marked incomplete" in subjects["incomplete"]
    assert "trail/x.json.gz" in subjects["incomplete"]
    assert "preview.amazonaws.com:ListWidgets" in subjects["unmapped"]


# --- U606 ------------------------------------------------------------------------------------


def test_u606_missing_grant_points_at_the_statement() -> None:
    denied = h.row("s3:GetObject", "arn:aws:s3:::secret-bucket/*", denials=[h.denial()])
    found = run([h.principal(APP_ARN, [*APP_ROWS, denied])])
    (missing,) = of(found, "U606", APP)
    assert missing.message.startswith("a grant is missing: s3:GetObject on arn:aws:s3:::secret")
    assert text_at(missing).startswith('["arn:aws:s3:::data-bucket/*"')  # Objects' Resource
    assert missing.extra["grant_would_fix"] is True and missing.severity is Severity.MEDIUM


def test_u606_already_allowed_in_code() -> None:
    denied = h.row("s3:GetObject", "arn:aws:s3:::data-bucket/*", denials=[h.denial()])
    (found,) = of(run([h.principal(APP_ARN, [denied])]), "U606")
    assert "this statement allows it as written" in found.message
    assert found.severity is Severity.LOW


def test_u606_guardrails_point_at_what_denied() -> None:
    rows = [
        h.row("kms:Decrypt", None, denials=[h.denial("boundary")]),
        h.row("ssm:GetParameter", None, denials=[h.denial("scp", "unknown")]),
    ]
    found = {f.subject: f for f in of(run([h.principal(BOT_ARN, rows)]), "U606")}
    boundary, scp = found["kms:Decrypt -"], found["ssm:GetParameter -"]
    assert text_at(boundary) == '"arn:aws:iam::111122223333:policy/bot-boundary"'
    assert "the permissions boundary" in boundary.message and "guardrail works" in boundary.message
    assert '"DenyOtherRegions"' in text_at(scp)
    assert boundary.extra["grant_would_fix"] is False and scp.severity is Severity.LOW


def test_u606_explicit_identity_deny() -> None:
    denied = h.row("s3:DeleteBucket", "arn:aws:s3:::data-bucket",
                   denials=[h.denial("identity", "explicit")])  # fmt: skip
    (found,) = of(run([h.principal(APP_ARN, [*APP_ROWS, denied])]), "U606")
    assert '"NoDelete"' in text_at(found) and "explicit deny" in found.message


def test_u606_none_without_denials(app: list[Finding]) -> None:
    assert of(app, "U606") == []


# --- check --usage ---------------------------------------------------------------------------


def demo_findings() -> list[Finding]:
    from iamlint.checks.runner import CheckOptions, run_check
    from iamlint.usage.snapshot import load_snapshot

    snap = load_snapshot(DEMO_SNAPSHOT)
    options = CheckOptions([DEMO], Config(select=["U"]), cwd=h.ROOT, usage=snap)
    return run_check(options).findings


def test_demo_findings() -> None:
    found = {(f.rule, f.address) for f in demo_findings()}
    reports = 'module.service["reports"]'
    assert ("U602", "aws_iam_role_policy.ci") in found
    assert ("U606", "aws_iam_role.ci") in found  # the SCP region guardrail
    assert ("U606", f"{reports}.aws_iam_role.this") in found  # GetObjectTagging
    assert ("U603", f"{reports}.aws_iam_role_policy.access") in found  # acme-invoices unused
    billing = 'module.service["billing"].aws_iam_role_policy.access'
    assert {r for r, a in found if a == billing} == {"U605"}  # logs:PutLogEvents kept


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(check, [str(DEMO), "--select", "U", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_without_usage_is_quiet() -> None:
    code, out, _ = invoke()
    assert code == 0 and "U60" not in out


def test_cli_with_usage_and_merged_snapshots(tmp_path: Path) -> None:
    code, out, _ = invoke("--usage", str(DEMO_SNAPSHOT), "--format", "json")
    assert code == 1
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert rules == {"U601", "U602", "U603", "U605", "U606"}
    other = tmp_path / "other.json"
    other_snap = h.snapshot([h.principal(h.role("ci-deployer"), [h.row("kms:Decrypt", "*")])],
                            [h.source(id="cloudtrail-other")])  # fmt: skip
    other.write_text(json.dumps(other_snap))
    code, out, _ = invoke("--usage", str(DEMO_SNAPSHOT), "--usage", str(other), "--format", "json")
    merged = [f for f in json.loads(out)["findings"] if f["rule"] == "U602"]
    assert code == 1 and "used: ecr, ecs, iam, kms" in merged[0]["message"]


def test_cli_bad_snapshot_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "nope"}')
    code, _, err = invoke("--usage", str(bad))
    assert code == 2 and "bad.json" in err and "not a valid usage snapshot" in err
    code, _, err = invoke("--usage", str(DEMO_SNAPSHOT), "--usage", str(DEMO_SNAPSHOT))
    assert code == 2 and "merging it twice" in err


def test_demo_snapshot_is_the_import_of_the_demo_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamlint.usage.commands import usage as usage_command

    monkeypatch.chdir(h.ROOT)
    out = tmp_path / "snapshot.json"
    logs = "fixtures/usage/demo-cloudtrail/AWSLogs"
    result = CliRunner().invoke(
        usage_command, ["import", "cloudtrail", logs, "--jobs", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == DEMO_SNAPSHOT.read_text()
    window = json.loads(out.read_text())["window"]
    assert (window["start"][:10], window["end"][:10]) == ("2026-09-28", "2026-11-24")


def test_usage_suppressions_are_not_unused_without_a_snapshot(tmp_path: Path) -> None:
    from iamlint.checks.runner import CheckOptions, run_check

    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy" "p" {\n  role = aws_iam_role.r.id\n'
        "  # iamlint:ignore[U601] the nightly job needs it\n"
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow",'
        ' Action = "s3:GetObject", Resource = "arn:aws:s3:::b/*" }] })\n}\n'
    )
    options = CheckOptions([tmp_path], Config(select=["U", "S"]), cwd=tmp_path)
    assert run_check(options).findings == []
    with_usage = CheckOptions(
        [tmp_path], Config(select=["U", "S"]), cwd=tmp_path, usage=h.snapshot([])
    )
    rules = {f.rule for f in run_check(with_usage).findings}
    assert "U604" in rules  # the family ran; the suppression is judged again


def test_stale_is_judged_on_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = h.snapshot([h.principal(APP_ARN, APP_ROWS)])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795996800")  # 2026-11-30: fresh
    assert of(list(usage.run(h.context(snap))), "U605", APP) == []
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1804464000")  # 2027-03-08: stale
    (stale,) = of(list(usage.run(h.context(snap))), "U605", APP)
    assert stale.subject == "stale" and "108 days ago" in stale.message


# --- sources that speak for some principals only -----------------------------------------------


def claim(scope: str, name: str | None, source_id: str = "aa-unused") -> dict:
    return {"scope": scope, "name": name, "last_accessed": None, "sources": [source_id]}


AA_UNUSED = h.source(id="aa-unused", kind="access_analyzer.unused_access", start=None, data=())


def test_unused_access_findings_count_only_what_they_claim() -> None:
    claims = [claim("action", "s3:DeleteObject"), claim("service", "sqs")]
    found = run([h.principal(APP_ARN, unused=claims)], sources=[AA_UNUSED])
    assert statements(found, "U601") == {"Objects": "s3:DeleteObject"}  # not RunInstances
    assert statements(found, "U602") == {"Queues": "sqs"}
    assert of(found, "U604", APP) == []  # it made calls: only some grants are unused
    assert {f.subject for f in of(found, "U605", APP)} == {"short-window"}  # no window


def test_unused_role_claim_is_a_u604_without_cloudtrail() -> None:
    found = run([h.principal(h.role("idle"), unused=[claim("role", None)])], sources=[AA_UNUSED])
    (idle,) = of(found, "U604", "aws_iam_role.idle")
    assert idle.subject == "no-calls" and "Access Analyzer reports it unused" in idle.message


def test_another_principals_report_says_nothing_about_this_one() -> None:
    iamlive = h.source(id="iamlive-1", kind="iamlive", start=None, data=())
    report = h.source(id="la-other", kind="iam.last_accessed", start=None, data=())
    report["coverage"]["service_level_only_services"] = ["ec2", "s3", "sqs"]
    found = run(
        [
            h.principal(APP_ARN, [h.row("s3:GetObject", None, source_id="iamlive-1")]),
            h.principal(h.role("idle"), [h.row("s3:*", None, granularity="service",
                                               source_id="la-other")]),
        ],
        sources=[iamlive, report],
    )  # fmt: skip
    assert of(found, "U602", POLICY) == [] and of(found, "U601", POLICY) == []
    # The idle role's own report does judge the idle role's policy.
    assert of(found, "U604", "aws_iam_role.idle") == []


def test_u603_not_when_generalized_evidence_hides_the_part_used() -> None:
    # Observed "logs-bucket/*" (object keys generalized) does not say which prefix was read.
    rows = [h.row("s3:GetObject", "arn:aws:s3:::logs-bucket/*")]
    found = run([h.principal(h.role("prefixed"), rows)])
    assert of(found, "U603") == [] and of(found, "U601") == []
    # A prefix with no observed call at all is still reported.
    rows = [h.row("s3:GetObject", "arn:aws:s3:::logs-bucket/in/2026-10-01.json")]
    found = {f.subject: f.message for f in of(run([h.principal(h.role("prefixed"), rows)]), "U603")}
    assert "no observed call" in found["arn:aws:s3:::logs-bucket/out/*"]
    assert "broader than the resources observed" in found["arn:aws:s3:::logs-bucket/in/*"]


def test_baseline_with_usage_findings(tmp_path: Path) -> None:
    from iamlint.checks.commands import baseline

    out = tmp_path / "baseline.json"
    created = CliRunner().invoke(
        baseline, ["create", str(DEMO), "--usage", str(DEMO_SNAPSHOT), "-o", str(out)]
    )
    assert created.exit_code == 0, created.output
    code, out_text, _ = invoke("--usage", str(DEMO_SNAPSHOT), "--baseline", str(out))
    assert code == 0 and "U60" not in out_text


def test_group_policies_are_judged_on_their_members_usage() -> None:
    found = run([h.principal(BOT_ARN, [h.row("kms:Decrypt", "*")])])
    (sns,) = of(found, "U602", "aws_iam_group_policy.readers")
    assert sns.subject == "sns" and "evidence: " + BOT_ARN in sns.message
    assert statements(found, "U601", "aws_iam_group_policy.readers") == {"Read": "kms:DescribeKey"}
