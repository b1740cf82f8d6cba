from __future__ import annotations

from iamlint.report.text import render_problems, render_statistics, render_text


def test_grouped_by_file_with_positions_and_summary(result):
    out = render_text(result)
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "infra/main.tf"
    assert lines[1].startswith("infra/main.tf:50:12: W201 critical ")
    assert lines[1].endswith("[aws_iam_role_policy.ci]")
    assert "(possible) [fix]" in lines[2]
    assert lines[3] == ""
    assert lines[4] == "infra/users dir/iam.tf"
    assert lines[-1] == (
        "Found 3 findings (1 critical, 1 medium, 1 low); 4 files, 7 policies, 2 suppressed, "
        "1 in the baseline, 1 with a fix, 2 errors (see above)."
    )


def test_colour_only_when_asked(result):
    assert "\x1b[" in render_text(result, colour=True)


def test_clean_summary(clean):
    assert render_text(clean) == "No findings; 1 files, 1 policies.\n"


def test_problems_and_statistics(result):
    problems = render_problems(result).splitlines()
    assert problems == [
        "error: infra/broken.tf:5:3: expected an expression",
        "internal error: rule family 'trust' failed: KeyError: 'x'",
    ]
    stats = render_statistics(result).splitlines()
    assert stats == [
        "1  T406   long-lived-access-key",
        "1  W201   full-admin",
        "1  W203   service-wildcard [fix]",
    ]
