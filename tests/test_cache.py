"""The user cache: a folder only this user can write to, and nothing in it is loaded unless
this user wrote it. A planted or damaged entry is deleted and rebuilt, never loaded."""

from __future__ import annotations

import json
import os
import pickle
import stat
import tempfile
from pathlib import Path

import pytest

from iamlint import cache
from iamlint.terraform import loader
from iamlint.terraform.project import load_project
from iamlint.terraform.project_cache import _entry_name, _key, load_project_cached

POLICY = """\
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = "s3:GetObject", Resource = "*" } ] })
}
"""


class RunsCode:
    """Unpickling this runs ``os.mkdir(marker)``: what a planted cache entry could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


class FailsToLoad:
    def __reduce__(self):
        return (int, ("not a number",))


@pytest.fixture
def only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point every cache candidate into tmp_path; return a function choosing the first."""
    cache._open.cache_clear()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def choose(folder: Path) -> Path:
        cache._open.cache_clear()
        monkeypatch.setenv("IAMLINT_CACHE_DIR", str(folder))
        return folder

    yield choose
    cache._open.cache_clear()


def project_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "main.tf").write_text(POLICY)
    return folder


def test_the_folder_is_made_private_with_a_private_key(tmp_path, only):
    folder = only(tmp_path / "new" / "cache")
    opened = cache.open_cache()
    assert opened is not None and opened.folder == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    key = folder / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_a_folder_others_can_write_to_is_refused(tmp_path, only):
    # The planted $TMPDIR/iamlint-<uid> of the report: world-writable, as are the others here.
    for folder in (tmp_path / "env", tmp_path / "xdg" / "iamlint",
                   tmp_path / "tmp" / f"iamlint-{os.getuid()}"):  # fmt: skip
        folder.mkdir(parents=True)
        folder.chmod(0o777)
    only(tmp_path / "env")
    assert cache.open_cache() is None
    project = load_project([project_folder(tmp_path)], cwd=tmp_path)
    assert project.records and project.errors == []  # read without a cache
    assert not any((tmp_path / "tmp" / f"iamlint-{os.getuid()}").iterdir())  # nothing written
    from iamlint.checks.registry import _validated_folder

    assert _validated_folder() is None


def test_a_folder_another_user_owns_is_refused(tmp_path, only, monkeypatch):
    only(tmp_path / "theirs")
    (tmp_path / "theirs").mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 4242)  # we are someone else
    assert cache.open_cache() is None


def test_a_planted_pickle_never_runs(tmp_path, only):
    folder = only(tmp_path / "cache")
    project = project_folder(tmp_path)
    assert cache.open_cache() is not None  # makes the folder and key
    marker = tmp_path / "code-ran"
    key = loader._cache_key(POLICY.encode("utf-8"), "hcl")
    planted = folder / loader._cache_name(key)
    planted.parent.mkdir(parents=True)
    planted.write_bytes(pickle.dumps(RunsCode(marker)))
    entry = folder / _entry_name(_key([project], [], tmp_path))
    entry.parent.mkdir(parents=True)
    entry.write_bytes(pickle.dumps(RunsCode(marker)))

    result = load_project_cached([project], cwd=tmp_path)
    assert not marker.exists()
    assert [r.address for r in result.records] == ["aws_iam_policy.p"]
    # Both were replaced by entries this user wrote.
    for path in (planted, entry):
        assert path.read_bytes().startswith(b"iamlint-cache-v1\n")


def test_a_planted_grammar_never_runs(tmp_path, only):
    from iamlint.terraform import parser

    folder = only(tmp_path / "cache")
    assert cache.open_cache() is not None
    marker = tmp_path / "code-ran"
    parser._parser.cache_clear()
    try:
        name = next(iter(_grammar_names()))
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_bytes(pickle.dumps(RunsCode(marker)))
        assert parser.parse_hcl("a = 1\n", "x.tf") is not None
        assert not marker.exists()
    finally:
        parser._parser.cache_clear()


def _grammar_names():
    import sys

    import lark

    from iamlint.terraform.parser import _hcl2_version

    yield (
        f"grammar/hcl2-{_hcl2_version()}-lark-{lark.__version__}"
        f"-py{sys.version_info[0]}.{sys.version_info[1]}-nopos.pickle"
    )


@pytest.mark.parametrize(
    "content",
    [
        pickle.dumps(FailsToLoad()),  # an exception while loading
        pickle.dumps({"a": list(range(100))})[:-7],  # truncated
        b"\x80\x04X\x02\x00\x00\x00\xff\xfe.",  # a str that is not UTF-8: UnicodeDecodeError
        b"not a pickle at all",
    ],
    ids=["raises", "truncated", "unicode", "garbage"],
)
def test_an_entry_that_fails_to_load_is_deleted_and_rebuilt(tmp_path, only, content):
    only(tmp_path / "cache")
    opened = cache.open_cache()
    assert opened is not None
    key = loader._cache_key(POLICY.encode("utf-8"), "hcl")
    name = loader._cache_name(key)
    opened.store(name, content)  # authentic (this user wrote it) yet unloadable
    assert opened.load_object(name) is None
    assert not (opened.folder / name).exists()
    # Through the reader: no crash, and the next run finds a good entry.
    opened.store(name, content)
    assert load_project([project_folder(tmp_path)], cwd=tmp_path).errors == []
    assert opened.load_object(name) is not None


def test_a_damaged_or_foreign_entry_is_deleted(tmp_path, only):
    only(tmp_path / "cache")
    opened = cache.open_cache()
    assert opened is not None
    opened.store("x/entry", b"payload")
    path = opened.folder / "x" / "entry"
    assert opened.load("x/entry") == b"payload"
    path.write_bytes(path.read_bytes()[:-1] + b"!")  # one byte changed
    assert opened.load("x/entry") is None and not path.exists()
    opened.store("x/entry", b"payload")
    os.rename(path, opened.folder / "x" / "other")  # a valid entry under another name
    assert opened.load("x/other") is None


def test_a_key_others_can_read_is_replaced(tmp_path, only):
    folder = only(tmp_path / "cache")
    first = cache.open_cache()
    assert first is not None
    (folder / "key").chmod(0o644)
    cache._open.cache_clear()
    second = cache.open_cache()
    assert second is not None and second.key != first.key
    assert stat.S_IMODE((folder / "key").stat().st_mode) == 0o600


def test_a_catalog_index_of_the_wrong_shape_is_rebuilt(tmp_path, only):
    from iamlint.policy.catalog import Catalog

    folder = only(tmp_path / "cache")
    opened = cache.open_cache(folder)
    assert opened is not None
    catalog = Catalog(cache_dir=folder)
    catalog.services()  # writes the index
    (index,) = folder.glob("catalog-index-*.json")
    wrong = json.dumps({"version": catalog.version, "services": 5}).encode()
    index.write_bytes(wrong)  # planted, or left by an older iamlint: not authentic
    assert Catalog(cache_dir=folder).service_exists("s3")  # used to fail on every run
    opened.store(index.name, wrong)  # authentic, yet not an index
    assert Catalog(cache_dir=folder).service_exists("s3")
    assert b'"services":{' in (opened.load(index.name) or b"")
