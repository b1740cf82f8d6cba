from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iamlint.usage import resources
from iamlint.usage.resources import DistinctValues, generalize_arn


def test_generalizations_keep_the_part_a_policy_names():
    assert generalize_arn("arn:aws:s3:::bucket/a/b/c.csv") == "arn:aws:s3:::bucket/*"
    assert generalize_arn("arn:aws:s3:::bucket") == "arn:aws:s3:::bucket"
    assert generalize_arn("arn:aws:s3:::bucket/") == "arn:aws:s3:::bucket/"
    assert generalize_arn("arn:aws-cn:s3:::bucket/k") == "arn:aws-cn:s3:::bucket/*"
    assert (
        generalize_arn("arn:aws:logs:us-east-1:111122223333:log-group:/app:log-stream:2025/i-1")
        == "arn:aws:logs:us-east-1:111122223333:log-group:/app:log-stream:*"
    )
    assert (
        generalize_arn("arn:aws:dynamodb:us-east-1:111122223333:table/T/stream/2025-01-01T00:00")
        == "arn:aws:dynamodb:us-east-1:111122223333:table/T/stream/*"
    )
    assert (
        generalize_arn("arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0")
        == "arn:aws:ec2:us-east-1:111122223333:instance/*"
    )
    assert (
        generalize_arn("arn:aws:lambda:us-east-1:111122223333:function:ingest")
        == "arn:aws:lambda:us-east-1:111122223333:function:ingest"
    )


@given(st.lists(st.text(min_size=1, max_size=6), max_size=600), st.randoms())
def test_distinct_values_do_not_depend_on_order_or_split(values, rnd):
    whole = DistinctValues()
    for value in values:
        whole.add(value)
    shuffled = list(values)
    rnd.shuffle(shuffled)
    cut = len(shuffled) // 2
    left, right = DistinctValues(), DistinctValues()
    for value in shuffled[:cut]:
        left.add(value)
    for value in shuffled[cut:]:
        right.add(value)
    left.update(right)
    assert left.samples() == whole.samples() == sorted(set(values))[: resources.SAMPLE_LIMIT]
    assert left.count() == whole.count() == min(len(set(values)), resources.DISTINCT_LIMIT)
    assert left.is_exact() == whole.is_exact() == (len(set(values)) <= resources.DISTINCT_LIMIT)
