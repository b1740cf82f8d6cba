"""T4xx: who can get in, and with what kind of credential.

T401 trust or resource policy open to any principal, T402 OIDC trust without ``aud``/``sub``,
T403 OIDC ``sub`` too broad, T404 cross-account trust without ExternalId or an organization
condition, T405 long role sessions, T406 long-lived access keys, T407 policies attached to IAM
users, T408 service principals without ``aws:SourceArn``/``aws:SourceAccount``.

A condition counts as restricting only when it can fail for an outsider: a negated operator,
``...IfExists`` or ``ForAllValues:`` pass when the key is absent, and a ``*Like`` value made
only of wildcards matches everyone. Deny statements never open anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Certainty, Finding
from iamlint.model import Location, Unknown
from iamlint.policy.conditions import NEGATED_OPERATORS
from iamlint.policy.document import ConditionClause, Policy, PrincipalSpec, Statement
from iamlint.policy.patterns import action_matches
from iamlint.policy.tri import Tri, any_of
from iamlint.terraform.project import AttributeValue, PolicyRecord, ResourceRecord

# --- conditions --------------------------------------------------------------------------------


def restricts(clause: ConditionClause) -> Tri:
    """Whether a clause can fail for a caller nobody vouched for (UNKNOWN: its values are
    unresolved and a ``*Like`` operator could make them match anyone)."""
    if not _requires(clause):
        return Tri.FALSE  # passes when the key is absent (ForAllValues: vacuously)
    like = clause.base_operator.endswith("Like")
    values = clause.values
    if isinstance(values, Unknown):
        return Tri.UNKNOWN if like else Tri.TRUE
    known = [v for v in values if not isinstance(v, Unknown)]
    if like and any(v.strip("*?") == "" for v in known):
        return Tri.FALSE  # one value matching anything makes the clause match anything
    if known:
        return Tri.TRUE
    if like and any(isinstance(v, Unknown) and s.may_be_anything(v) for v in values):
        return Tri.UNKNOWN
    return Tri.TRUE if values else Tri.FALSE


def _requires(clause: ConditionClause) -> bool:
    """Whether the clause demands the key be present with a matching value."""
    base = clause.base_operator
    return not (
        base in NEGATED_OPERATORS
        or base == "Null"
        or clause.if_exists
        or clause.set_qualifier == "ForAllValues"
    )


def _restricted_by(statement: Statement, keys: re.Pattern[str]) -> Tri:
    """TRUE when a restricting clause on one of ``keys`` guards the statement."""
    if isinstance(statement.conditions, Unknown):
        return Tri.UNKNOWN
    results = []
    for clause in s.clauses(statement):
        key, unresolved = s.clause_key(clause)
        if unresolved:
            # An unresolved key may be one of them: at best it restricts "possibly".
            results.append(restricts(clause) & Tri.UNKNOWN)
        elif keys.match(key):
            results.append(restricts(clause) & _pins_account(clause, key))
    return any_of(results)


_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})


def _pins_account(clause: ConditionClause, key: str) -> Tri:
    """An ARN pattern with a wildcard account (``arn:aws:iam::*:role/deploy``) matches roles
    anyone can create in their own account: it narrows nothing."""
    if key.lower() not in _ARN_KEYS or isinstance(clause.values, Unknown):
        return Tri.TRUE
    for value in clause.values:
        if isinstance(value, Unknown):
            continue
        parts = value.split(":")
        account = parts[4] if len(parts) > 5 else ""
        if any(ch in account for ch in "*?") or (account == "" and parts[2:3] != ["s3"]):
            return Tri.FALSE
    return Tri.TRUE


# Keys whose restricting clause means "not just anyone" (T401).
_NARROWING_KEYS = re.compile(
    r"^(aws:(sourcearn|sourceaccount|sourceowner|sourceorgid|sourceorgpaths|principalorgid|"
    r"principalorgpaths|principalarn|principalaccount|sourcevpc|sourcevpce|sourceip|"
    r"vpcsourceip|userid|username|principalservicename)|kms:calleraccount|"
    r"s3:dataaccesspointaccount|s3:dataaccesspointarn)$",
    re.IGNORECASE,
)
# Keys that tie a service principal's access to your own resources (T408).
_SOURCE_KEYS = re.compile(
    r"^(aws:(sourcearn|sourceaccount|sourceowner|sourceorgid|sourceorgpaths)|"
    r"kms:encryptioncontext:.+)$",
    re.IGNORECASE,
)
# Keys that make a cross-account trust safe to delegate (T404).
_CROSS_ACCOUNT_KEYS = re.compile(
    r"^(sts:externalid|aws:principalorgid|aws:principalorgpaths|aws:multifactorauthpresent)$",
    re.IGNORECASE,
)


def _conditions_note(statement: Statement) -> str:
    if not statement.has_conditions:
        return "no condition restricts it"
    return f"its conditions ({s.condition_summary(statement)}) do not restrict who"


# --- principals --------------------------------------------------------------------------------


def _open_principal(statement: Statement) -> tuple[Tri, str]:
    """(is the statement open to any principal, the unresolved text if that is unknown)."""
    spec = statement.principal
    if spec is None:
        return Tri.FALSE, ""
    if isinstance(spec, Unknown):
        return Tri.UNKNOWN, spec.text
    if statement.not_principal or spec.everyone:
        return Tri.TRUE, ""
    values = spec.values_of("AWS")
    if isinstance(values, Unknown):
        return Tri.UNKNOWN, values.text
    if "*" in values:
        return Tri.TRUE, ""
    for value in values:
        if isinstance(value, Unknown) and s.may_be_anything(value):
            return Tri.UNKNOWN, value.text
    return Tri.FALSE, ""


def _known(spec: PrincipalSpec, kind: str) -> list[tuple[int, str | Unknown]]:
    values = spec.values_of(kind)
    if isinstance(values, Unknown):
        return [(-1, values)]
    return list(enumerate(values))


def _principal_location(
    record: PolicyRecord, statement: Statement, kind: str, index: int
) -> Location:
    element = "NotPrincipal" if statement.not_principal else "Principal"
    return s.locate(
        record,
        s.pointer(statement, element, kind, index),
        s.pointer(statement, element, kind),
        s.pointer(statement, element),
        s.pointer(statement),
    )


# --- T401 --------------------------------------------------------------------------------------


def _open_to_anyone(
    ctx: CheckContext, record: PolicyRecord, statement: Statement, judged_possible: bool
) -> Iterator[Finding]:
    open_, principal_text = _open_principal(statement)
    if open_ is Tri.FALSE:
        return
    restricted = _restricted_by(statement, _NARROWING_KEYS)
    if restricted is Tri.TRUE:
        return
    effect_unknown = s.is_allow(statement) is None
    reasons = []
    if principal_text:
        reasons.append(f'if the unresolved principal {principal_text} is "*"')
    if restricted is Tri.UNKNOWN:
        reasons.append("unless the unresolved condition values restrict it")
    if effect_unknown and isinstance(statement.effect, Unknown):
        reasons.append(f"if the unresolved Effect {statement.effect.text} is Allow")
    what = (
        "trust policy: any AWS principal can assume the role"
        if record.kind == s.TRUST
        else ("resource policy: any principal, in any account or anonymous, gets access")
    )
    element = "NotPrincipal" if statement.not_principal else "Principal"
    yield s.finding(
        ctx,
        "T401",
        record,
        statement,
        subject=principal_text or "*",
        message=f"{what}; {_conditions_note(statement)}"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + ": add aws:PrincipalOrgID, aws:PrincipalArn or aws:SourceArn/aws:SourceAccount",
        location=s.element_location(record, statement, element),
        possible=bool(reasons) or judged_possible,
        # An unresolved principal is no evidence of "*", and a narrowing key whose values are
        # unresolved (built by a `for` expression, say) most likely narrows: one step lower.
        lowered=1 if principal_text or restricted is Tri.UNKNOWN else 0,
    )


def _unknown_statements(
    ctx: CheckContext, record: PolicyRecord, policy: Policy
) -> Iterator[Finding]:
    """Statements nobody can know (``policy = var.x``, a dynamic block over a variable)."""
    for unknown in policy.unknown_statements:
        yield s.finding(
            ctx,
            "T401",
            record,
            None,
            subject=f"unresolved {unknown.text}",
            message=f"statements from {unknown.text} are unresolved: they may open the "
            f"{'role' if record.kind == s.TRUST else 'resource'} to any principal",
            location=unknown.location or record.location,
            possible=True,
            lowered=2,  # no literal evidence at all: a note, not an alarm
        )


# --- T402 / T403: web identity ------------------------------------------------------------------

_PROVIDER = re.compile(r":oidc-provider/(.+)$")
_BUILTIN_PROVIDERS = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com")


def _web_identity(statement: Statement) -> bool:
    if isinstance(statement.actions, Unknown) or statement.not_action:
        return False
    return any(
        isinstance(a, str) and action_matches(a, "sts:AssumeRoleWithWebIdentity")
        for a in statement.actions
    )


def _providers(statement: Statement) -> list[str] | None:
    """The OIDC provider hosts the statement trusts; None when they are unresolved."""
    spec = statement.principal
    if not isinstance(spec, PrincipalSpec):
        return None
    hosts: list[str] = []
    for _, value in _known(spec, "Federated"):
        if isinstance(value, Unknown):
            return None
        match = _PROVIDER.search(value)
        hosts.append(match.group(1) if match else value)
    return hosts


def _claim_clauses(
    statement: Statement, hosts: list[str] | None, claim: str
) -> list[ConditionClause]:
    out = []
    for clause in s.clauses(statement):
        key, unresolved = s.clause_key(clause)
        prefix, _, name = key.rpartition(":")
        if name.lower() != claim:
            continue
        if hosts is None or unresolved or prefix.lower() in (h.lower() for h in hosts):
            out.append(clause)
    return out


def _checks_claim(clause: ConditionClause) -> bool:
    """A positive check of a claim. Tokens always carry aud and sub, so ForAllValues: and
    ...IfExists cannot pass vacuously here."""
    return clause.base_operator not in NEGATED_OPERATORS and clause.base_operator != "Null"


def _oidc_findings(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    if not _web_identity(statement):
        return
    hosts = _providers(statement)
    if isinstance(statement.conditions, Unknown):
        yield s.finding(
            ctx,
            "T402",
            record,
            statement,
            subject="aud, sub",
            message=f"web-identity trust whose Condition is unresolved "
            f"({statement.conditions.text}): it may not check the token's aud and sub",
            possible=True,
        )
        return
    cognito = hosts is not None and "cognito-identity.amazonaws.com" in hosts
    subject_claim = "amr" if cognito else "sub"
    # Presence is T402's question; whether the values are too broad is T403's.
    aud = [c for c in _claim_clauses(statement, hosts, "aud") if _checks_claim(c)]
    sub = _claim_clauses(statement, hosts, "sub") + (
        _claim_clauses(statement, hosts, "amr") if cognito else []
    )
    checked_sub = [c for c in sub if _checks_claim(c)]
    missing = [name for name, found in (("aud", aud), (subject_claim, checked_sub)) if not found]
    if missing:
        provider = ", ".join(hosts) if hosts else "the identity provider"
        yield s.finding(
            ctx,
            "T402",
            record,
            statement,
            subject=", ".join(missing),
            message=f"web-identity trust of {provider} without a condition on "
            f"{' and '.join(missing)}: "
            + (
                "any token the provider issues (any repository, any project) can assume the role"
                if subject_claim in missing
                else "tokens issued to other audiences are accepted"
            ),
            location=s.element_location(record, statement, "Condition"),
            lowered=0 if subject_claim in missing else 1,
        )
    for clause in sub:
        yield from _broad_subject(ctx, record, statement, clause)


def broad_subject(value: str) -> str | None:
    """Why an OIDC subject pattern (for a *Like operator) is too broad, or None."""
    if not value:
        return None  # matches only an empty subject: useless, not broad
    if value.strip("*?") == "":
        return "matches any subject"
    if value.startswith("repo:"):  # GitHub Actions: repo:OWNER/REPO:...
        owner_repo = value[len("repo:") :].split(":", 1)[0]
        owner, _, repo = owner_repo.partition("/")
        if any(ch in owner for ch in "*?"):
            return "matches repositories of any owner"
        if not repo or any(ch in repo for ch in "*?"):
            return f"matches every repository of {owner}"
        return None
    if value.startswith("project_path:"):  # GitLab: project_path:GROUP/PROJECT:...
        path = value[len("project_path:") :].split(":", 1)[0]
        if any(ch in path for ch in "*?"):
            return f"matches every project under {path.split('*')[0] or 'any group'}"
        return None
    if value[0] in "*?":
        return "starts with a wildcard"
    return None


def _broad_subject(
    ctx: CheckContext, record: PolicyRecord, statement: Statement, clause: ConditionClause
) -> Iterator[Finding]:
    if clause.base_operator in NEGATED_OPERATORS or not clause.base_operator.endswith("Like"):
        return  # StringEquals compares literally: a "*" in it matches only "*"
    for item in s.items(clause.values):
        value = item.value
        if isinstance(value, Unknown):
            if s.may_be_anything(value):
                yield s.finding(
                    ctx,
                    "T403",
                    record,
                    statement,
                    subject=value.text,
                    message=f"{s.clause_key(clause)[0]} {clause.operator} {value.text} is "
                    "unresolved: "
                    "if it is a wildcard, any workflow of the provider can assume the role",
                    location=s.condition_location(record, statement, clause, item.index),
                    possible=True,
                )
            continue
        why = broad_subject(value)
        if why:
            yield s.finding(
                ctx,
                "T403",
                record,
                statement,
                subject=value,
                message=f"{s.clause_key(clause)[0]} {value!r} {why}: pin the repository and the "
                "branch or "
                "environment (e.g. repo:ORG/REPO:environment:prod)",
                location=s.condition_location(record, statement, clause, item.index),
            )


# --- T404: cross-account trust ------------------------------------------------------------------

_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]*:(?:iam|sts)::(\d{12}):")
_ACCOUNT = re.compile(r"^\d{12}$")


def _account_of(value: str) -> str | None:
    if _ACCOUNT.match(value):
        return value
    match = _ACCOUNT_IN_ARN.match(value)
    return match.group(1) if match else None


def _cross_account(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    spec = statement.principal
    if record.kind != s.TRUST or not isinstance(spec, PrincipalSpec) or statement.not_principal:
        return
    restricted = _restricted_by(statement, _CROSS_ACCOUNT_KEYS)
    if restricted is Tri.TRUE:
        return
    own = ctx.config.account_id
    for index, value in _known(spec, "AWS"):
        if isinstance(value, Unknown):
            continue  # `data.aws_caller_identity...` is this account; others T401 judges
        account = _account_of(value)
        if account is None or account == own:
            continue
        reasons = []
        if own is None:
            reasons.append(f"unless {account} is this configuration's own account (set account-id)")
        if restricted is Tri.UNKNOWN:
            reasons.append("unless the unresolved condition restricts it")
        # The whole account (root or bare id) delegates to whoever it lets in; one named role
        # or user of it is narrower, so one step lower.
        whole_account = _ACCOUNT.match(value) is not None or value.endswith(":root")
        who = f"account {account}" if whole_account else f"{value} (account {account})"
        yield s.finding(
            ctx,
            "T404",
            record,
            statement,
            subject=value,
            message=f"{who} can assume the role without sts:ExternalId, aws:PrincipalOrgID or "
            "MFA" + (f" ({'; '.join(reasons)})" if reasons else ""),
            location=_principal_location(record, statement, "AWS", index),
            possible=bool(reasons),
            lowered=0 if whole_account else 1,
        )


# --- T408: confused deputy ---------------------------------------------------------------------

_SERVICE = re.compile(r"\.amazonaws\.com(\.cn)?$")
# Services whose role trust policies AWS documents with aws:SourceAccount/aws:SourceArn
# (their "cross-service confused deputy prevention" pages): they send the keys on AssumeRole.
_DEPUTIES_IN_TRUST = frozenset(
    {
        "bedrock",
        "codebuild",
        "config",
        "datasync",
        "fis",
        "personalize",
        "sagemaker",
        "scheduler",
        "ssm",
        "states",
        "transfer",
    }
)


def _confused_deputy(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    spec = statement.principal
    if record.kind not in (s.RESOURCE, s.TRUST) or not isinstance(spec, PrincipalSpec):
        return
    if statement.not_principal:
        return
    restricted = _restricted_by(statement, _SOURCE_KEYS)
    if restricted is Tri.TRUE:
        return
    trust = record.kind == s.TRUST
    for index, value in _known(spec, "Service"):
        if isinstance(value, Unknown) or not _SERVICE.search(value):
            continue
        if trust and value.split(".", 1)[0].lower() not in _DEPUTIES_IN_TRUST:
            continue  # ec2, lambda, ecs-tasks...: used only through iam:PassRole, no source keys
        unresolved = restricted is Tri.UNKNOWN
        yield s.finding(
            ctx,
            "T408",
            record,
            statement,
            subject=value,
            message=f"{value} is allowed without aws:SourceArn or aws:SourceAccount: the "
            "service acting for any other account can use this access (confused deputy)"
            + (" (unless the unresolved condition restricts it)" if unresolved else ""),
            location=_principal_location(record, statement, "Service", index),
            possible=unresolved,
            lowered=1 if trust else 0,  # assuming the role still needs a configured resource
        )


# --- policy records ----------------------------------------------------------------------------


def _policy_findings(ctx: CheckContext, record: PolicyRecord) -> Iterator[Finding]:
    policy: Policy = ctx.policy(record)
    document = record.kind == s.DOCUMENT
    if not (record.kind in (s.TRUST, s.RESOURCE) or document):
        return
    if not document:
        yield from _unknown_statements(ctx, record, policy)
    for statement in policy.statements:
        if s.is_allow(statement) is False:
            continue
        yield from _open_to_anyone(ctx, record, statement, judged_possible=document)
        if record.kind == s.TRUST:
            yield from _oidc_findings(ctx, record, statement)
            yield from _cross_account(ctx, record, statement)
        yield from _confused_deputy(ctx, record, statement)


# --- principals and resources ------------------------------------------------------------------


def _session_findings(ctx: CheckContext) -> Iterator[Finding]:
    limit = ctx.config.max_session_duration
    for principal in ctx.project.principals:
        attr = principal.attributes.get("max_session_duration")
        if principal.type != "role" or attr is None:
            continue
        seconds = _seconds(attr)
        if seconds is None or (isinstance(seconds, int) and seconds <= limit):
            continue  # None: null or not a number (Terraform would reject the latter)
        unresolved = isinstance(seconds, Unknown)
        shown = seconds.text if isinstance(seconds, Unknown) else f"{seconds:,} s"
        yield Finding(
            rule="T405",
            severity=s.lower(ctx.severity("T405"), 1 if unresolved else 0),
            message=f"max_session_duration {shown} "
            + ("is unresolved: it may be" if unresolved else "is")
            + f" above the configured limit of {limit:,} s: stolen session credentials stay "
            "valid that long",
            location=attr.location,
            address=principal.address,
            subject="max_session_duration",
            certainty=Certainty.POSSIBLE if unresolved else Certainty.DEFINITE,
            fix=None
            if unresolved
            else s.replace_literal(
                attr.location, str(attr.value), str(limit), f"set max_session_duration to {limit}"
            ),
        )


def _seconds(attr: AttributeValue) -> int | Unknown | None:
    value = attr.value
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _access_keys(ctx: CheckContext) -> Iterator[Finding]:
    for resource in ctx.project.resources:
        if resource.type != "aws_iam_access_key":
            continue
        user = _shown(resource, "user")
        status = resource.attributes.get("status")
        inactive = status is not None and status.value == "Inactive"
        yield Finding(
            rule="T406",
            severity=s.lower(ctx.severity("T406"), 1 if inactive else 0),
            message=f"long-lived access key for IAM user {user}"
            + (" (inactive)" if inactive else "")
            + ": prefer federation or role sessions (OIDC, IAM Identity Center); the secret "
            "also lands in the Terraform state",
            location=resource.location,
            address=resource.address,
            subject=user,
        )


def _shown(resource: ResourceRecord, attribute: str) -> str:
    attr = resource.attributes.get(attribute)
    if attr is None:
        return "?"
    value = attr.value
    if isinstance(value, Unknown):
        return value.text
    if isinstance(value, list):
        return ", ".join(v.text if isinstance(v, Unknown) else str(v) for v in value)
    return str(value)


_USER_ATTACHMENTS = {
    "aws_iam_user_policy_attachment": ("user", "policy_arn"),
    "aws_iam_user_policy_attachments_exclusive": ("user_name", "policy_arns"),
    "aws_iam_policy_attachment": ("users", "policy_arn"),
}


def _user_policies(ctx: CheckContext) -> Iterator[Finding]:
    advice = ": attach it to a group or a role the user assumes"
    for record in ctx.project.records:
        if record.resource_type == "aws_iam_user_policy":
            yield Finding(
                rule="T407",
                severity=ctx.severity("T407"),
                message="inline policy on an IAM user" + advice,
                location=record.location,
                address=record.address,
                subject="inline",
            )
    for resource in ctx.project.resources:
        if resource.type not in _USER_ATTACHMENTS:
            continue
        users_attr, policy_attr = _USER_ATTACHMENTS[resource.type]
        users = resource.attributes.get(users_attr)
        if users is None or users.value in ([], None, ""):
            continue  # aws_iam_policy_attachment to roles or groups only
        unresolved = isinstance(users.value, Unknown)
        yield Finding(
            rule="T407",
            severity=s.lower(ctx.severity("T407"), 1 if unresolved else 0),
            message=f"{_shown(resource, policy_attr)} attached directly to IAM user "
            f"{_shown(resource, users_attr)}"
            + (" (if the unresolved list holds users)" if unresolved else "")
            + advice,
            location=users.location,
            address=resource.address,
            subject=_shown(resource, policy_attr),
            certainty=Certainty.POSSIBLE if unresolved else Certainty.DEFINITE,
        )


# --- the family --------------------------------------------------------------------------------


def run(ctx: CheckContext) -> Iterator[Finding]:
    for record in ctx.project.records:
        if ctx.reports(record):
            yield from _policy_findings(ctx, record)
    yield from _session_findings(ctx)
    yield from _access_keys(ctx)
    yield from _user_policies(ctx)


__all__ = ["broad_subject", "restricts", "run"]
