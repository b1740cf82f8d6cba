"""One `iamlint check` run: read the project, run every rule family, then narrow the findings
to what the user asked about (select/ignore, the files given, suppressions, changed lines,
baseline) and sort them.

A rule family that is missing or raises does not stop the run: it becomes an internal
problem in the result (exit code 2) and the other families' findings are still reported.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import importlib
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.checks import registry as registry_module
from iamlint.checks import suppressions as sup
from iamlint.checks.baseline import read_baseline
from iamlint.checks.changes import changed_lines
from iamlint.checks.context import CheckContext, Config
from iamlint.checks.finding import Finding, Severity
from iamlint.checks.registry import FamilyRun, Registry, load_registry
from iamlint.checks.result import CheckResult, Problem
from iamlint.terraform.errors import InputError
from iamlint.terraform.files import read_text
from iamlint.terraform.loader import is_terraform_file
from iamlint.terraform.project import Project
from iamlint.terraform.project_cache import load_project_cached


@dataclass(slots=True)
class CheckOptions:
    paths: list[Path]
    config: Config = field(default_factory=Config)
    var_files: list[Path] = field(default_factory=list)
    baseline: Path | None = None
    since: str | None = None
    usage: Any = None  # a usage snapshot for the usage rules (U6xx)
    cwd: Path = field(default_factory=Path.cwd)
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True, slots=True)
class Scope:
    """What to load and what to report on.

    A file given by name (pre-commit passes names) loads its whole folder, because references
    cross files within a module, but only findings located in that file are reported."""

    load: list[Path]
    files: frozenset[Path]
    folders: tuple[Path, ...]

    def includes(self, path: Path) -> bool:
        if path in self.files:
            return True
        return any(path == f or f in path.parents for f in self.folders)


def plan_scope(paths: list[Path]) -> Scope:
    from iamlint.terraform.plan import is_plan_file

    load: list[Path] = []
    files: set[Path] = set()
    folders: list[Path] = []
    for given in paths or [Path(".")]:
        path = given.resolve()
        if path.is_dir():
            load.append(path)
            folders.append(path)
        elif is_plan_file(path.name):
            load.append(path)
            files.add(path)
        elif is_terraform_file(path.name):
            load.append(path.parent)
            files.add(path)
        # other files (pre-commit may pass anything its filter lets through) are not ours
    return Scope(sorted(set(load)), frozenset(files), tuple(folders))


def run_check(options: CheckOptions, registry: Registry | None = None) -> CheckResult:
    """Raises `CatalogError`, `SelectorError`, `BaselineError`, `GitError` for usage errors."""
    # As when loading: the cyclic collector would walk the project's millions of objects again
    # and again while the families run, finding nothing to free.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(options, registry)
    finally:
        if enabled:
            gc.enable()


def _run_check(options: CheckOptions, registry: Registry | None) -> CheckResult:
    config = options.config
    registry = registry or load_registry([Path(p) for p in config.rule_packs])
    enabled = registry.enabled(config.select, config.ignore)
    for rule in config.severity:
        if registry.get(rule) is None:
            raise registry_module.SelectorError(f"severity override for {rule!r}: no such rule")
    fail_on = Severity.parse(config.fail_on)
    baseline = read_baseline(options.baseline) if options.baseline else None
    changes = changed_lines(options.since, options.cwd) if options.since else None

    scope = plan_scope(options.paths)
    problems: list[Problem] = []
    if not scope.load:
        return CheckResult([], [], registry, fail_on, root=str(options.cwd.resolve()))
    # Cached by content (checked against every file it read): the pre-commit re-run case.
    project = load_project_cached(scope.load, options.var_files, cwd=options.cwd)
    cwd = options.cwd.resolve()
    absolute = _resolver(cwd)

    for error in project.errors:
        if scope.includes(absolute(error.file)):
            problems.append(Problem("input", error.message, error.file, error.line, error.column))

    ctx = _context(project, config, registry)
    ctx.usage = options.usage
    if scope.files:  # only named files are reported: let families skip the rest
        ctx.reported = lambda file: scope.includes(absolute(file))
    findings, ran = _run_families(ctx, registry, enabled, problems)
    findings = [f for f in findings if scope.includes(absolute(f.location.file))]

    sources = _suppressions(project, scope, absolute)
    applied = sup.apply_suppressions(
        findings,
        sources,
        known_rule=lambda s: bool(registry.matching(s)),
        checked_rule=lambda s: bool(registry.matching(s) & ran & enabled),
        severity=ctx.severity,
        today=options.today,
    )
    findings = applied.kept + [f for f in applied.problems if f.rule in enabled]

    if changes is not None:
        findings = [
            f
            for f in findings
            if changes.touches(absolute(f.location.file), f.location.line, f.location.end_line)
        ]
    baselined = 0
    if baseline is not None:
        findings, known = baseline.split(findings)
        baselined = len(known)

    findings.sort(key=lambda f: (*f.sort_key(), f.address, f.statement, f.fingerprint))
    problems.sort(key=lambda p: (p.kind, p.file, p.line, p.column, p.message))
    reported_files = {f for f in project.files if scope.includes(absolute(f))}
    return CheckResult(
        findings=findings,
        problems=problems,
        registry=registry,
        fail_on=fail_on,
        suppressed=len(applied.suppressed),
        baselined=baselined,
        files=len(reported_files),
        policies=sum(1 for r in project.records if scope.includes(absolute(r.location.file))),
        root=str(cwd),
    )


def _resolver(cwd: Path) -> Callable[[str], Path]:
    """``cwd / file`` with its folder resolved, cached: thousands of records share a few
    hundred files, and resolving walks every component on disk, so each folder is walked
    once. The file itself is not followed: a symbolic link is where the loader found it (its
    folder is its module, and the link's error is reported there)."""

    @functools.cache
    def folder(path: Path) -> Path:
        return path.resolve()

    @functools.cache
    def absolute(file: str) -> Path:
        path = cwd / file  # pathlib drops "." parts but keeps "..": those are resolved whole
        if path.name in ("", ".."):
            return path.resolve()
        return folder(path.parent) / path.name

    return absolute


def _context(project: Project, config: Config, registry: Registry) -> CheckContext:
    from iamlint.policy.catalog import default_catalog

    return CheckContext(
        project=project,
        config=config,
        catalog=default_catalog(),
        severities=registry.severities(),
    )


def _run_families(
    ctx: CheckContext, registry: Registry, enabled: set[str], problems: list[Problem]
) -> tuple[list[Finding], set[str]]:
    """Every registered family that has an enabled rule; returns findings and the ids of the
    rules whose family ran to completion."""
    findings: list[Finding] = []
    ran: set[str] = set()
    family_rules: dict[str, set[str]] = {}
    for rule in registry.rules.values():
        family_rules.setdefault(rule.family, set()).add(rule.id)
    for family, target in sorted(registry_module.FAMILY_MODULES.items()):
        if not family_rules.get(family, set()) & enabled:
            continue
        if family == "usage" and ctx.usage is None:
            continue  # not run, so its suppressions are not reported as suppressing nothing
        run = _resolve(family, target, problems)
        if run is None:
            continue
        try:
            produced = list(run(ctx))
        except Exception as err:  # a bug in one family must not hide the others' findings
            where = traceback.extract_tb(err.__traceback__)[-1]
            detail = ""
            if os.environ.get("IAMLINT_DEBUG"):  # for whoever fixes the family
                detail = "\n" + "".join(traceback.format_exception(err)).rstrip()
            problems.append(
                Problem(
                    "internal",
                    f"rule family {family!r} failed: {type(err).__name__}: {err} "
                    f"(at {Path(where.filename).name}:{where.lineno}); its rules did not run"
                    + detail,
                )
            )
            continue
        ran |= family_rules[family]
        for finding in produced:
            if finding.rule not in registry.rules:
                problems.append(
                    Problem(
                        "internal",
                        f"rule family {family!r} reported {finding.rule!r}, which is not in "
                        "the rule catalog; the finding is dropped",
                    )
                )
                continue
            override = ctx.config.severity.get(finding.rule)
            if override:
                finding.severity = Severity.parse(override)
            if finding.rule in enabled:
                findings.append(finding)
    return findings, ran


def _resolve(family: str, target: str | FamilyRun, problems: list[Problem]) -> FamilyRun | None:
    if callable(target):
        return target
    try:
        module = importlib.import_module(target)
    except ImportError as err:
        problems.append(
            Problem(
                "internal",
                f"rule family {family!r} is not available ({target}: {err}); its rules did not run",
            )
        )
        return None
    except Exception as err:
        problems.append(
            Problem(
                "internal", f"rule family {family!r} failed to load: {type(err).__name__}: {err}"
            )
        )
        return None
    run = getattr(module, "run", None)
    if not callable(run):
        problems.append(Problem("internal", f"rule family {family!r} ({target}) has no run()"))
        return None
    return run


def _suppressions(
    project: Project,
    scope: Scope,
    absolute: Callable[[str], Path],
) -> list[sup.Suppression]:
    out: list[sup.Suppression] = []
    for file in project.files:
        path = absolute(file)
        if not scope.includes(path):
            continue
        try:
            text = read_text(path, file).text
        except InputError:
            continue  # the loader has already reported it
        out.extend(sup.parse_suppressions(file, text))
    return out
