"""Hostile patterns cannot hang iamlint: wildcard matching is linear, and the automata walks of
containment and resource relations stop at a step budget with the answer that claims less.

Each hang is run in a fresh interpreter with a timeout well above the bounded time and well
below what the unbounded code took (minutes), so a regression fails instead of hanging."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from iamlint.policy.automata import Alphabet, Automaton, Budget, TooComplex, enumerate_cells
from iamlint.policy.containment import is_contained
from iamlint.policy.document import parse_policy
from iamlint.policy.patterns import resource_tokens


def run_bounded(code: str, cpu_seconds: float = 20) -> None:
    """Run code in a fresh interpreter: an exception fails, and so does spending more than
    ``cpu_seconds`` of CPU (the unbounded code spent minutes). CPU time, not wall time: a
    loaded machine slows the run, not the verdict; the wall-clock timeout only stops a hang."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=cpu_seconds * 6)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"did not finish: {code}") from exc
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert spent < cpu_seconds, f"{spent:.1f} s of CPU: {code}"


def test_star_question_chains_match_in_linear_time():
    run_bounded(
        "from iamlint.policy.patterns import action_matches, resource_matches\n"
        "p = 's3:' + '*?' * 26\n"
        "assert not action_matches(p + 'x', 's3:' + 'a' * 80)\n"
        "assert action_matches(p, 's3:' + 'a' * 80)\n"
        "r = 'arn:aws:s3:::b' + '*?' * 26\n"
        "assert resource_matches(r + 'x', 'arn:aws:s3:::b' + 'a' * 2000) is False\n"
        "r = 'arn:aws:s3:*?*?*?*?*?*?*?*?:' + '*?' * 12 + ':x'\n"
        "assert resource_matches(r, 'arn:aws:s3:' + 'a' * 2000 + '::y') is False\n"
    )


def test_the_catalog_expands_a_star_question_chain_in_linear_time():
    run_bounded(
        "from iamlint.policy.catalog import default_catalog\n"
        "assert len(default_catalog().expand_names('*:' + '*?' * 26)) > 100\n"
    )


# Long patterns with many wildcards: the product of their automata is huge, and each of its
# states costs a step per automaton and character. Unbounded, this took over three minutes.
HOSTILE_CONTAINMENT = """
import random
from iamlint.policy.containment import is_contained
from iamlint.policy.document import parse_policy

rng = random.Random(1)

def pattern(n):
    return "".join(rng.choice("*?") if rng.random() < 0.3 else rng.choice("abcdefghij/-_.0123")
                   for _ in range(n))

def policy(resources):
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}
    return parse_policy({"Version": "2012-10-17", "Statement": [statement]})

for a, b in [
    (["arn:aws:s3:::" + pattern(2000)], ["arn:aws:s3:::" + pattern(2000)]),
    (["arn:aws:s3:::" + pattern(60) for _ in range(100)],
     ["arn:aws:s3:::" + pattern(60) for _ in range(100)]),
]:
    result = is_contained(policy(a), policy(b))
    assert not result.contained
    assert result.counterexample is not None or "not provable" in result.reasons[0], result
"""


def test_containment_of_long_wildcard_patterns_is_bounded():
    run_bounded(HOSTILE_CONTAINMENT, cpu_seconds=60)


def test_an_exhausted_budget_stops_the_walk():
    tokens = resource_tokens("arn:aws:s3:::" + "a*" * 40, variables=False)
    automata = [Automaton(tokens), Automaton(tuple(reversed(tokens)))]
    with pytest.raises(TooComplex):
        enumerate_cells(automata, Alphabet(), keep=lambda v: False, alive=any, budget=Budget(1000))


def test_a_proof_past_its_budget_is_not_provable_never_contained(monkeypatch):
    import iamlint.policy.containment as containment

    a = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a*"}
            ],
        }
    )
    b = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
            ],
        }
    )
    assert is_contained(a, b).contained  # with the normal budget: proven
    monkeypatch.setattr(containment, "PROOF_STEPS", 10)
    result = is_contained(a, b)
    assert not result.contained
    assert result.reasons and "not provable" in result.reasons[0]
