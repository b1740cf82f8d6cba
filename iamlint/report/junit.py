"""`iamlint check --format junit`: JUnit XML for CI systems that show test reports.

One test suite per file, one failing test case per finding; input and internal errors are
test cases with an <error>. A clean run still has one passing case, so CI shows that the
check ran.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from iamlint.checks.result import CheckResult


def render_junit(result: CheckResult) -> str:
    root = ET.Element("testsuites", name="iamlint")
    total_failures = total_errors = total_tests = 0
    for file, group in groupby(result.findings, key=lambda f: f.location.file):
        findings = list(group)
        suite = ET.SubElement(
            root, "testsuite", name=file, tests=str(len(findings)), failures=str(len(findings))
        )
        suite.set("errors", "0")
        for finding in findings:
            loc = finding.location
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{finding.rule} {finding.address or file}:{loc.line}:{loc.column}",
                classname=file,
                file=file,
                line=str(loc.line),
            )
            failure = ET.SubElement(
                case, "failure", message=finding.message, type=str(finding.severity)
            )
            failure.text = (
                f"{loc.file}:{loc.line}:{loc.column}: {finding.rule} [{finding.severity}, "
                f"{finding.certainty.value}] {finding.message}"
            )
        total_failures += len(findings)
        total_tests += len(findings)
    if result.problems:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="iamlint errors",
            tests=str(len(result.problems)),
            failures="0",
            errors=str(len(result.problems)),
        )
        for problem in result.problems:
            case = ET.SubElement(
                suite, "testcase", name=f"{problem.kind} error", classname="iamlint"
            )
            error = ET.SubElement(case, "error", message=problem.message, type=problem.kind)
            error.text = str(problem)
        total_errors += len(result.problems)
        total_tests += len(result.problems)
    if total_tests == 0:
        suite = ET.SubElement(root, "testsuite", name="iamlint", tests="1", failures="0")
        suite.set("errors", "0")
        ET.SubElement(suite, "testcase", name="no findings", classname="iamlint")
        total_tests = 1
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", str(total_errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
