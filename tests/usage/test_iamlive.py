from __future__ import annotations

import pytest

from iamlint.usage.builder import SnapshotBuilder
from iamlint.usage.errors import UsageInputError
from iamlint.usage.evidence import find_principal
from iamlint.usage.iamlive import import_iamlive

DEV = "arn:aws:iam::111122223333:role/dev-sandbox"


def test_csm_and_proxy_outputs(fixtures):
    builder = SnapshotBuilder()
    import_iamlive(str(fixtures / "iamlive/policy.json"), builder, DEV)
    import_iamlive(str(fixtures / "iamlive/policy-proxy.json"), builder, DEV)
    snapshot = builder.render()
    rows = {(r["action"], r["resource"]) for r in find_principal(snapshot, DEV)["usage"]}
    # iamlive sees iam:PassRole, which CloudTrail never logs
    assert ("iam:PassRole", "*") in rows
    assert ("iam:PassRole", "arn:aws:iam::111122223333:role/lambda-exec") in rows
    assert ("s3:GetObject", "arn:aws:s3:::example-data-bucket/*") in rows
    assert len(snapshot["sources"]) == 2
    assert {s["kind"] for s in snapshot["sources"]} == {"iamlive"}


def test_iamlive_needs_a_principal(fixtures):
    with pytest.raises(UsageInputError, match="--principal"):
        import_iamlive(str(fixtures / "iamlive/policy.json"), SnapshotBuilder(), None)


def test_not_a_policy(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"Statement": [{"Effect": "Allow", "Action": 5}]}')
    with pytest.raises(UsageInputError, match=r"Statement\[0\]\.Action"):
        import_iamlive(str(path), SnapshotBuilder(), DEV)
