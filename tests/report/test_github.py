from __future__ import annotations

from iamlint.report.github import render_github


def test_workflow_commands_escaped(result):
    lines = render_github(result).splitlines()
    assert lines[0] == (
        "::error file=infra/broken.tf,line=5,col=3,title=iamlint input error::"
        "expected an expression"
    )
    assert (
        lines[1]
        == "::error title=iamlint internal error::rule family 'trust' failed: KeyError: 'x'"
    )
    assert lines[2] == (
        "::error file=infra/main.tf,line=50,col=12,endLine=50,endColumn=17,title=W201 full-admin::"
        '[critical] full administrator access: Allow "*" on "*" (aws_iam_role_policy.ci)'
    )
    # messages escape %, CR and LF; only properties escape : and ,
    assert lines[3].startswith("::notice file=infra/main.tf,line=61,")
    assert "2,3 <and> 100%25 of them%0Asecond line (possible)" in lines[3]
    assert len(lines) == 5


def test_clean_is_empty(clean):
    assert render_github(clean) == ""


def test_paths_are_relative_to_the_repository_root(result, tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "live" / "prod").mkdir(parents=True)
    result.root = str(tmp_path / "live" / "prod")
    lines = render_github(result).splitlines()
    assert lines[0].startswith("::error file=live/prod/infra/broken.tf,line=5,")
    assert "file=live/prod/infra/main.tf,line=50," in lines[2]
