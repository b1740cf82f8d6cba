"""Joining usage evidence to Terraform principals (fixtures/checks/usage)."""

from __future__ import annotations

import pytest
import usage_helpers as h  # beside this file (on the path: conftest.py)

from iamlint.checks.config import ConfigError, parse_table
from iamlint.checks.context import Config
from iamlint.checks.usage_join import JoinStatus, code_identity, join_principals, parse_iam_arn

APP = "aws_iam_role.app"
BLUE, GREEN = 'module.twin["blue"].aws_iam_role.this', 'module.twin["green"].aws_iam_role.this'


def join(principals, config: Config | None = None):
    return join_principals(h.project(), h.snapshot(principals), config or Config())


def test_parse_iam_arn() -> None:
    assert parse_iam_arn("arn:aws:iam::111122223333:role/teams/app") == {
        "partition": "aws",
        "account": "111122223333",
        "kind": "role",
        "path": "/teams/",
        "name": "app",
    }
    assert parse_iam_arn("arn:aws:sts::111122223333:assumed-role/app/s") is None


def test_code_identity_keeps_path_and_leaves_the_account_unknown() -> None:
    app = next(p for p in h.project().principals if p.address == APP)
    identity = code_identity(app, Config())
    assert identity is not None
    assert (identity.kind, identity.name, identity.path, identity.account) == (
        "role",
        "app",
        "/teams/",
        None,
    )
    assert identity.pattern == "arn:aws:iam::*:role/teams/app"
    filled = code_identity(app, Config(account_id="444455556666"))
    assert filled is not None and filled.account == "444455556666"


def test_joined_by_name_says_the_account_came_from_the_evidence() -> None:
    result = join([h.principal(h.role("app", "/teams/"))])
    app = result.get(APP)
    assert app is not None and app.status is JoinStatus.JOINED
    assert app.arns == (h.role("app", "/teams/"),)
    assert "account is not in the code" in app.note()
    assert "aws_iam_role.idle" in result.joins  # present, but absent from the evidence
    assert result.get("aws_iam_role.idle").status is JoinStatus.ABSENT


def test_groups_are_never_joined() -> None:
    assert join([]).get("aws_iam_group.readers") is None


def test_a_known_account_must_match() -> None:
    other = h.role("app", "/teams/", account="999999999999")
    config = Config(account_id=h.ACCOUNT)
    assert join([h.principal(other)], config).get(APP).status is JoinStatus.ABSENT
    both = join([h.principal(other), h.principal(h.role("app", "/teams/"))], config)
    assert both.get(APP).arns == (h.role("app", "/teams/"),)
    assert not any("not in the code" in n for n in both.get(APP).notes)


def test_unknown_account_matches_every_account_and_lists_them() -> None:
    other = h.role("app", "/teams/", account="999999999999")
    app = join([h.principal(other), h.principal(h.role("app", "/teams/"))]).get(APP)
    assert app.arns == (h.role("app", "/teams/"), other)
    assert "111122223333, 999999999999" in app.note()


def test_a_different_path_still_joins_with_a_note() -> None:
    app = join([h.principal(h.role("app"))]).get(APP)
    assert app.status is JoinStatus.JOINED
    assert any("path / in the evidence, /teams/ in the code" in n for n in app.notes)


def test_name_case_is_ignored_kind_is_not() -> None:
    assert join([h.principal(h.role("APP", "/teams/"))]).get(APP).joined
    user = "arn:aws:iam::111122223333:user/teams/app"
    assert not join([h.principal(user)]).get(APP).joined


def test_generated_name_is_not_guessed_but_candidates_are_listed() -> None:
    result = join([h.principal(h.role("gen-20261001abc")), h.principal(h.role("other"))])
    generated = result.get("aws_iam_role.generated")
    assert generated.status is JoinStatus.UNKNOWN_NAME
    assert generated.candidates == (h.role("gen-20261001abc"),)
    assert generated.expected == "arn:aws:iam::*:role/gen-*"
    assert h.role("gen-20261001abc") in result.unclaimed


def test_two_principals_matching_one_arn_are_ambiguous() -> None:
    result = join([h.principal(h.role("twin"))])
    for address, rival in ((BLUE, GREEN), (GREEN, BLUE)):
        twin = result.get(address)
        assert twin.status is JoinStatus.AMBIGUOUS
        assert twin.rivals == (rival,) and twin.arns == ()
        assert twin.candidates == (h.role("twin"),)
    assert result.unclaimed == (h.role("twin"),)


def test_mapping_resolves_an_ambiguity_and_joins_a_generated_name() -> None:
    config = Config(
        principals={
            BLUE: [h.role("twin")],
            "aws_iam_role.generated": ["arn:aws:iam::111122223333:role/gen-*"],
        }
    )
    result = join([h.principal(h.role("twin")), h.principal(h.role("gen-1"))], config)
    assert result.get(BLUE).status is JoinStatus.JOINED and result.get(BLUE).how == "mapping"
    green = result.get(GREEN)
    assert green.status is JoinStatus.ABSENT
    assert "mapped to another address" in green.notes[0]
    assert result.get("aws_iam_role.generated").arns == (h.role("gen-1"),)
    assert result.unclaimed == ()


def test_mapping_accepts_a_session_arn_and_reports_a_missing_one() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/app/run-42"
    config = Config(principals={"aws_iam_role.idle": [session]})
    idle = join([h.principal(h.role("app", "/teams/"))], config).get("aws_iam_role.idle")
    assert idle.arns == (h.role("app", "/teams/"),)
    config = Config(principals={"aws_iam_role.idle": [h.role("nothing")]})
    idle = join([h.principal(h.role("app", "/teams/"))], config).get("aws_iam_role.idle")
    assert idle.status is JoinStatus.ABSENT and idle.expected == h.role("nothing")


def test_config_principals_table_unquoted_quoted_and_lists() -> None:
    import tomllib

    text = (
        "[principals]\n"
        'aws_iam_role.ci = "arn:aws:iam::111122223333:role/ci"\n'
        '\'module.svc["a"].aws_iam_role.this\' = ["arn:aws:iam::1:role/a-*", '
        '"arn:aws:iam::2:role/a-*"]\n'
    )
    config = parse_table(tomllib.loads(text), ".iamlint.toml", text)
    assert config.principals == {
        "aws_iam_role.ci": ["arn:aws:iam::111122223333:role/ci"],
        'module.svc["a"].aws_iam_role.this': ["arn:aws:iam::1:role/a-*", "arn:aws:iam::2:role/a-*"],
    }


@pytest.mark.parametrize(
    "table",
    [
        {"principals": "arn:aws:iam::1:role/x"},
        {"principals": {"a.b": 3}},
        {"principals": {"a": "x"}},
    ],
)
def test_config_principals_rejects_non_arns(table) -> None:
    with pytest.raises(ConfigError, match="principals must be"):
        parse_table(table, ".iamlint.toml")
