from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from iamlint.usage.commands import usage

ETL = "arn:aws:iam::111122223333:role/app-etl"


def run(*args):
    return CliRunner().invoke(usage, list(map(str, args)))


def test_import_cloudtrail_writes_a_valid_snapshot(cloudtrail_dir, tmp_path):
    out = tmp_path / "s.json"
    result = run("import", "cloudtrail", cloudtrail_dir, "-o", out, "--jobs", "2")
    assert result.exit_code == 0, result.output
    first = out.read_bytes()
    assert run("import", "cloudtrail", cloudtrail_dir, "-o", out, "--jobs", "1").exit_code == 0
    assert out.read_bytes() == first  # deterministic


def test_bad_input_exits_2_names_the_file_and_keeps_the_rest(cloudtrail_dir, fixtures, tmp_path):
    out = tmp_path / "s.json"
    result = run("import", "cloudtrail", cloudtrail_dir, fixtures / "broken", "-o", out)
    assert result.exit_code == 2
    assert "truncated.json:3:" in result.output
    assert "Traceback" not in result.output
    assert ETL in out.read_text()


@pytest.mark.parametrize(
    ("kind", "files", "extra"),
    [
        (
            "access-analyzer",
            [
                "access-analyzer/get-generated-policy.json",
                "access-analyzer/get-finding-v2.json",
                "access-analyzer/get-finding-recommendation.json",
            ],
            [],
        ),
        ("last-accessed", ["last-accessed/action-level.json"], ["--principal", ETL]),
        ("iamlive", ["iamlive/policy.json"], ["--principal", ETL]),
    ],
)
def test_import_other_sources(fixtures, tmp_path, kind, files, extra):
    out = tmp_path / "s.json"
    result = run("import", kind, *[fixtures / f for f in files], "-o", out, *extra)
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["sources"]) == len(files)


def test_missing_principal_is_an_input_error(fixtures):
    result = run("import", "iamlive", fixtures / "iamlive/policy.json")
    assert result.exit_code == 2 and "--principal" in result.output


def test_unrecognised_access_analyzer_file(fixtures, tmp_path):
    result = run("import", "access-analyzer", fixtures / "iamlive/policy.json")
    assert result.exit_code == 2 and "get-generated-policy" in result.output


def test_sql_prints_the_query_for_each_engine():
    for engine in ("athena", "trino", "duckdb"):
        result = run("sql", "--engine", engine)
        assert result.exit_code == 0 and "regexp_extract" in result.output
    assert run("sql", "--engine", "athena", "--start", "yesterday").exit_code == 2


def test_merge_and_diff(cloudtrail_dir, fixtures, tmp_path):
    ct, la, merged = tmp_path / "ct.json", tmp_path / "la.json", tmp_path / "m.json"
    assert run("import", "cloudtrail", cloudtrail_dir, "-o", ct).exit_code == 0
    assert (
        run(
            "import",
            "last-accessed",
            fixtures / "last-accessed/action-level.json",
            "--principal",
            ETL,
            "-o",
            la,
        ).exit_code
        == 0
    )
    assert run("merge", ct, la, "-o", merged).exit_code == 0
    result = run("diff", ct, merged)
    assert result.exit_code == 0
    assert f"+ {ETL} now uses s3:ListAllMyBuckets" in result.output
    assert run("diff", ct, merged, "--exit-code").exit_code == 1
    as_json = json.loads(run("diff", ct, merged, "--format", "json").output)
    assert {"principal": ETL, "action": "kms:*"} in as_json["new_actions"]
    assert run("merge", ct, ct).exit_code == 2


def test_invalid_snapshot_in_diff_is_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "nope"}')
    result = run("diff", bad, bad)
    assert result.exit_code == 2 and "bad.json" in result.output


def test_registered_on_the_main_command():
    from iamlint.cli import main

    result = CliRunner().invoke(main, ["usage", "--help"])
    assert result.exit_code == 0 and "import" in result.output


def test_an_unwritable_output_is_an_input_error(cloudtrail_dir, tmp_path):
    result = run("import", "cloudtrail", cloudtrail_dir, "-o", tmp_path / "no-such-dir" / "s.json")
    assert result.exit_code == 2
    assert "s.json: cannot write" in result.output


def test_a_failed_write_leaves_the_old_snapshot_whole(cloudtrail_dir, tmp_path, monkeypatch):
    from iamlint.usage import snapshot as snapshot_module

    target = tmp_path / "s.json"
    target.write_text("previous snapshot\n")

    def broken_chunks(snapshot):
        yield b"{"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot_module, "snapshot_chunks", broken_chunks)
    result = run("import", "cloudtrail", cloudtrail_dir, "-o", target)
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert target.read_text() == "previous snapshot\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_a_new_snapshot_gets_the_usual_permissions_and_an_old_one_keeps_its_own(
    cloudtrail_dir, tmp_path
):
    old_umask = os.umask(0o022)
    try:
        assert (
            run("import", "cloudtrail", cloudtrail_dir, "-o", tmp_path / "new.json").exit_code == 0
        )
        kept = tmp_path / "kept.json"
        kept.write_text("{}\n")
        kept.chmod(0o600)
        assert run("import", "cloudtrail", cloudtrail_dir, "-o", kept).exit_code == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and kept.read_text() != "{}\n"


def test_a_link_stays_a_link_and_a_device_stays_a_device(cloudtrail_dir, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("import", "cloudtrail", cloudtrail_dir, "-o", link).exit_code == 0
    assert link.is_symlink() and '"principals"' in real.read_text()
    assert run("import", "cloudtrail", cloudtrail_dir, "-o", os.devnull).exit_code == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
