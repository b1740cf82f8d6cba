"""`iamlint diff-access REF`: per principal, the access a change adds and removes.

Semantic, not textual: both sides are reduced to what the principal can do with
`iamlint.policy`: its identity policies and its groups', cut by its permissions boundary and
the SCPs in scope, gathered as the privilege-escalation and guardrail rules gather them
(`iamlint.checks.principals`). Reordering statements, splitting one into two or renaming a Sid
changes nothing and reports nothing. Attachments whose content is not in the code (AWS managed
policies by ARN) cannot be compared; their appearing or going away is reported as a note.

Two steps per principal:

1. actions: the catalog actions effectively allowed before and after (`effective_permissions`);
   the difference is the actions gained and lost;
2. widening: for actions allowed on both sides, `is_contained` looks for a request (action,
   resource, context) allowed after and not before, e.g. a wider resource or a dropped
   condition; every counterexample is one widened action, and the search goes on with that
   action set aside, up to `MAX_WIDENED` actions. The same in the other direction gives what
   was narrowed.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.checks.changes import GitError, repo_root
from iamlint.checks.context import CheckContext, Config
from iamlint.checks.principals import PrincipalScope, scope_of, scp_levels
from iamlint.policy.catalog import Catalog, default_catalog
from iamlint.policy.containment import Grant, is_contained
from iamlint.policy.document import Policy
from iamlint.policy.effective import PrincipalPolicies, effective_permissions
from iamlint.terraform.project import Project, load_project

MAX_WIDENED = 25  # counterexample searches per principal and direction


@dataclass(frozen=True, slots=True)
class Widened:
    """An action allowed on both sides whose allowed requests grew (or shrank)."""

    action: str
    example: str  # a request allowed on one side only: "on RESOURCE [with context]"
    allowed_by: str  # the statement that allows it on that side


@dataclass(slots=True)
class PrincipalDiff:
    address: str
    type: str
    status: str  # added | removed | changed
    gained: list[str] = field(default_factory=list)  # catalog actions, sorted
    lost: list[str] = field(default_factory=list)
    widened: list[Widened] = field(default_factory=list)
    narrowed: list[Widened] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # unknowns, searches cut short

    @property
    def empty(self) -> bool:
        return not (self.gained or self.lost or self.widened or self.narrowed or self.notes)

    def to_json(self) -> dict[str, Any]:
        def rows(items: list[Widened]) -> list[dict[str, str]]:
            return [
                {"action": w.action, "example": w.example, "allowed_by": w.allowed_by}
                for w in items
            ]

        return {
            "principal": self.address,
            "type": self.type,
            "status": self.status,
            "gained": self.gained,
            "lost": self.lost,
            "widened": rows(self.widened),
            "narrowed": rows(self.narrowed),
            "notes": self.notes,
        }


def scopes_of(project: Project, catalog: Catalog) -> dict[str, PrincipalScope]:
    """Each role and user with everything that decides its access, gathered exactly as the
    privilege-escalation and guardrail rules gather it (identity policies and its groups',
    boundary, SCPs in scope, attachments whose content is not in the code)."""
    ctx = CheckContext(project=project, config=Config(), catalog=catalog)
    levels = scp_levels(ctx)
    return {p.address: scope_of(ctx, p, levels) for p in project.principals if p.type != "group"}


def _effective_actions(policies: PrincipalPolicies, catalog: Catalog) -> tuple[set[str], list[str]]:
    effective = effective_permissions(policies, catalog=catalog)
    actions = {g.action.full_name for g in effective.grants}
    return actions, list(effective.open_questions)


def _widened(
    more: list[Policy],
    less: list[Policy],
    set_aside: set[str],
    catalog: Catalog,
    notes: list[str],
    direction: str,
) -> list[Widened]:
    """Actions on which ``more`` allows requests ``less`` does not, besides ``set_aside``."""
    found: list[Widened] = []
    extra = [Grant(action, "*", "set aside") for action in sorted(set_aside)]
    while len(found) < MAX_WIDENED:
        answer = is_contained(
            more, less, expected_extra=extra, catalog=catalog, include_uncatalogued=False
        )
        if answer.contained:
            return found
        example = answer.counterexample
        if example is None:
            notes.append(f"{direction}: not provable ({'; '.join(answer.reasons)})")
            return found
        info = catalog.action(example.action)
        name = info.full_name if info else example.action
        context = f" with context {example.context}" if example.context else ""
        found.append(Widened(name, f"on {example.resource}{context}", example.allowed_by))
        extra.append(Grant(example.action, "*", "already reported"))
    notes.append(f"{direction}: stopped after {MAX_WIDENED} actions; there may be more")
    return found


def diff_principal(
    address: str,
    type_: str,
    was: PrincipalScope | None,
    now: PrincipalScope | None,
    catalog: Catalog,
) -> PrincipalDiff:
    status = "changed" if was and now else ("added" if now else "removed")
    diff = PrincipalDiff(address, type_, status)
    before = was.policies() if was else None
    after = now.policies() if now else None
    # Attachments whose content is not in the code (AWS managed policies by ARN, unresolved
    # references) cannot be compared: say that they appeared or went away.
    old_opaque = set(was.widening) if was else set()
    new_opaque = set(now.widening) if now else set()
    diff.notes += [
        f"added: {item} (content not in this code)" for item in sorted(new_opaque - old_opaque)
    ]
    diff.notes += [f"removed: {item}" for item in sorted(old_opaque - new_opaque)]
    old_actions, old_open = _effective_actions(before, catalog) if before else (set(), [])
    new_actions, new_open = _effective_actions(after, catalog) if after else (set(), [])
    diff.gained = sorted(new_actions - old_actions)
    diff.lost = sorted(old_actions - new_actions)
    diff.notes += [f"unknown after the change: {q}" for q in new_open if q not in old_open]
    if before and after:
        both = old_actions & new_actions
        # Actions outside `both` are already counted above (or blocked by the boundary).
        aside_new = (new_actions | _all_listed(after, catalog)) - both
        aside_old = (old_actions | _all_listed(before, catalog)) - both
        diff.widened = _widened(
            list(after.identity), list(before.identity), aside_new, catalog, diff.notes, "added"
        )
        diff.narrowed = _widened(
            list(before.identity), list(after.identity), aside_old, catalog, diff.notes, "removed"
        )
        diff.widened = [w for w in diff.widened if w.action in both]
        diff.narrowed = [w for w in diff.narrowed if w.action in both]
    return diff


def _all_listed(policies: PrincipalPolicies, catalog: Catalog) -> set[str]:
    """Identity-allowed actions without the caps: those the boundary or an SCP blocks are set
    aside in the widening search, since they are not access the principal has."""
    if policies.boundary is None and not policies.scps:
        return set()
    actions, _ = _effective_actions(PrincipalPolicies(policies.name, policies.identity), catalog)
    return actions


def diff_projects(
    before: Project, after: Project, catalog: Catalog | None = None
) -> list[PrincipalDiff]:
    catalog = catalog or default_catalog()
    old = scopes_of(before, catalog)
    new = scopes_of(after, catalog)
    out = []
    for address in sorted(old.keys() | new.keys()):
        was, now = old.get(address), new.get(address)
        record = (now or was).principal  # type: ignore[union-attr]
        diff = diff_principal(address, record.type if record else "?", was, now, catalog)
        if not diff.empty or diff.status != "changed":
            out.append(diff)
    return out


@contextmanager
def checkout(ref: str, cwd: Path) -> Iterator[tuple[Path, Path]]:
    """The repository's files at REF in a temporary folder: (repository root, that folder)."""
    root = repo_root(cwd)
    done = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=root, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise GitError(done.stderr.decode(errors="replace").strip() or f"cannot read {ref}")
    with tempfile.TemporaryDirectory(prefix="iamlint-ref-") as temp:
        try:
            extract(done.stdout, Path(temp))
        except tarfile.TarError as err:
            raise GitError(f"cannot extract {ref}: {err}") from None
        yield root, Path(temp)


def extract(archive: bytes, into: Path) -> None:
    """Extract a `git archive` tar into ``into`` as the checkout would be, committed symbolic
    links included, and nothing outside ``into``.

    A link is recreated as it was committed, whatever it points to, but only after every file
    is written, so that no later member can be written through it. Reading the old tree then
    follows the same rule as reading the working tree (`iamlint.terraform.files.Repository`):
    a link that leads out of the extracted tree (to /etc/passwd, or ../../x) is reported, not
    read. An empty ``.git`` marks the tree's root as the repository root, as in the checkout,
    so that local modules and ``file()`` reach as far as they do there.
    """
    links: list[tarfile.TarInfo] = []

    def files_first(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        if member.issym():
            links.append(member)
            return None
        return tarfile.data_filter(member, dest)

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter=files_first)
    top = into.resolve()
    for link in links:
        place = _place_inside(top, link.name)
        if place is not None:
            place.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(link.linkname, place)
    (top / ".git").mkdir(exist_ok=True)


def _place_inside(top: Path, name: str) -> Path | None:
    """Where a link named ``name`` goes, if that is inside ``top`` (through the links made so
    far) and free; None otherwise."""
    name = os.path.normpath(name)
    if os.path.isabs(name) or name == ".." or name.startswith("../"):
        return None
    place = top / name
    try:
        inside = place.parent.resolve().is_relative_to(top)
    except (OSError, RuntimeError):  # a loop among the links made so far
        return None
    return place if inside and not os.path.lexists(place) else None


def load_at_ref(
    ref: str, paths: list[Path], var_files: list[Path], cwd: Path
) -> tuple[Project, Project]:
    """(project at REF, project in the working tree), read from the same relative paths."""
    cwd = cwd.resolve()
    now = load_project(paths or [Path(".")], var_files, cwd=cwd)
    with checkout(ref, cwd) as (root, temp):

        def moved(path: Path) -> Path:
            absolute = (cwd / path).resolve()
            try:
                return temp / absolute.relative_to(root)
            except ValueError:
                raise GitError(f"{path} is outside the git repository {root}") from None

        old_cwd = moved(Path("."))
        old_paths = [moved(p) for p in paths or [Path(".")]]
        present = [p for p in old_paths if p.exists()]  # a folder the change adds has no past
        old_vars = [moved(v) if moved(v).exists() else v for v in var_files]
        before = load_project(present, old_vars, cwd=old_cwd) if present else Project()
    return before, now


def render_text(diffs: list[PrincipalDiff], catalog: Catalog | None = None) -> str:
    if not diffs:
        return "No principal gains or loses access.\n"
    catalog = catalog or default_catalog()
    lines: list[str] = []
    for diff in diffs:
        if lines:
            lines.append("")
        label = {"added": " (new)", "removed": " (deleted)", "changed": ""}[diff.status]
        lines.append(f"{diff.address} [{diff.type}]{label}")
        if diff.gained:
            lines.append(f"  + {_actions_summary(diff.gained, catalog)}")
        for w in diff.widened:
            lines.append(f"  + {w.action} {w.example} (newly allowed by {w.allowed_by})")
        if diff.lost:
            lines.append(f"  - {_actions_summary(diff.lost, catalog)}")
        for w in diff.narrowed:
            lines.append(f"  - {w.action} {w.example} (no longer allowed; was by {w.allowed_by})")
        if diff.empty:
            lines.append("  (no access either way)")
        lines += [f"  ? {note}" for note in diff.notes]
    gained = sum(1 for d in diffs if d.gained or d.widened)
    lost = sum(1 for d in diffs if d.lost or d.narrowed)
    summary = f"{gained} principals gain access, {lost} lose access"
    maybe = sum(1 for d in diffs if not (d.gained or d.widened) and d.notes)
    if maybe:
        summary += f", {maybe} may gain or lose access the code does not show (see ?)"
    lines += ["", summary + "."]
    return "\n".join(lines) + "\n"


def _actions_summary(actions: list[str], catalog: Catalog, limit: int = 8) -> str:
    """Up to ``limit`` actions by name; more are summarized per service and access level."""
    if len(actions) <= limit:
        return ", ".join(actions)
    per_service: dict[str, dict[str, int]] = {}
    for action in actions:
        info = catalog.action(action)
        service, level = (info.service, info.access_level.value) if info else ("?", "?")
        levels = per_service.setdefault(service, {})
        levels[level] = levels.get(level, 0) + 1
    parts = [
        f"{service} ({', '.join(f'{level} {n}' for level, n in sorted(levels.items()))})"
        for service, levels in sorted(per_service.items())
    ]
    return f"{len(actions)} actions: " + "; ".join(parts)
