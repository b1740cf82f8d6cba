"""Long Action and Resource lists are matched through an index; the answers are those of the
entry-by-entry match of short lists, policy variables and unknown entries included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import iamlint.policy.matching as matching
from iamlint.model import Unknown
from iamlint.policy.conditions import RequestContext
from iamlint.policy.document import Effect, Statement
from iamlint.policy.tri import Tri

ENTRY = st.one_of(
    st.text(alphabet="ab:/*?", max_size=8).map(lambda t: "arn:aws:s3:::" + t),
    st.text(alphabet="ab:/*?", max_size=8),
    st.sampled_from(["*", "arn:aws:s3:::${aws:username}/*", "arn:aws:s3", "a${*}b"]),
    st.just(Unknown("var.x", parts=("arn:aws:s3:::a", None))),
    st.just(Unknown("var.y")),
)
ACTION = st.one_of(
    st.text(alphabet="aB:*?", max_size=8),
    st.sampled_from(["s3:Get*", "S3:getobject", "*", "iam:Pass?ole"]),
    st.just(Unknown("var.a", parts=("s3:", None))),
)
VALUE = st.one_of(
    st.text(alphabet="ab:/*", max_size=8).map(lambda t: "arn:aws:s3:::" + t),
    st.text(alphabet="ab:/*", max_size=6),
)
CONTEXTS = [
    RequestContext.of({"aws:username": ["a"]}),
    RequestContext(),
    RequestContext.of({}, complete=True),
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(ENTRY, min_size=1, max_size=40), VALUE, st.booleans(), st.booleans(), st.integers(0, 2)
)
def test_resource_lists_match_alike_through_the_index(entries, value, negated, variables, context):
    statement = Statement(
        effect=Effect.ALLOW, actions=("*",), resources=tuple(entries), not_resource=negated
    )
    ctx = CONTEXTS[context]
    saved = matching._INDEXED
    try:
        matching._INDEXED = 0
        indexed = matching.match_resource(statement, value, ctx, variables=variables)
        matching._INDEXED = 10**9
        plain = matching.match_resource(statement, value, ctx, variables=variables)
    finally:
        matching._INDEXED = saved
    assert indexed is plain


@settings(max_examples=300, deadline=None)
@given(
    st.lists(ACTION, min_size=1, max_size=40), st.text(alphabet="aBS3:", max_size=8), st.booleans()
)
def test_action_lists_match_alike_through_the_index(entries, action, negated):
    statement = Statement(effect=Effect.ALLOW, actions=tuple(entries), not_action=negated)
    saved = matching._INDEXED
    try:
        matching._INDEXED = 0
        indexed = matching.match_action(statement, action)
        matching._INDEXED = 10**9
        plain = matching.match_action(statement, action)
    finally:
        matching._INDEXED = saved
    assert indexed is plain
    assert isinstance(indexed, Tri)
