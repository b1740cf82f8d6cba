"""One aggregate SQL for Athena, Trino and DuckDB, and the readers of its results.

The query has three parts:

* a per-engine *adapter* that exposes CloudTrail records as a flat relation ``ct_events``, with
  each record's resources as text twice: raw, and generalized (S3 object keys, log streams,
  stream labels and EC2 ids cut off by the same patterns as `resources.generalize_arn`);
* the engine-neutral *core*, written in the intersection of Trino and DuckDB SQL (``coalesce``,
  ``regexp_extract`` with numbered groups, ``count``/``min``/``max`` over ISO-8601 strings,
  ``min(x, n)``), which groups records by the streaming importer's event key and their
  generalized resources; per group it keeps the number of distinct raw resource texts and the
  201 smallest of them, so a group stays small however many objects were read, while the
  distinct counts and samples of the snapshot come out as the streaming importer's;
* a per-engine line that turns that list into text (CSV has no arrays).

The result rows go through the same event plans as the streaming importer, so action mapping,
resource selection and denial interpretation are written once, in Python.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamlint.usage.builder import SnapshotBuilder, _max, _min
from iamlint.usage.cloudtrail_events import (
    SESSION_PREFIX_PATTERN,
    CloudTrailCoverage,
    EventFolder,
    EventKey,
)
from iamlint.usage.cloudtrail_files import discover, file_digest, parse_log_file, read_bytes
from iamlint.usage.cloudtrail_import import PROVISIONAL_SOURCE, cloudtrail_source, rename_source
from iamlint.usage.denials import (
    DENIED_ACTION_PATTERN,
    DENY_POLICY_ARN_PATTERN,
    DENY_REASON_PATTERN,
    ENCODED_PATTERN,
    MESSAGE_RESOURCE_PATTERN,
)
from iamlint.usage.errors import UsageInputError
from iamlint.usage.resources import DISTINCT_LIMIT, GENERALIZATIONS
from iamlint.usage.source_ids import source_id_for

ENGINES = ("athena", "trino", "duckdb")
KEY_COLUMNS = (
    "event_type",
    "event_source",
    "event_name",
    "event_category",
    "aws_region",
    "recipient_account",
    "principal",
    "session_prefix",
    "error_code",
    "denied_action",
    "deny_reason",
    "deny_policy_arn",
    "encoded",
)
RESULT_COLUMNS = (
    *KEY_COLUMNS,
    "resources",  # the record's resources, generalized, as text
    "resource_type",  # one of them (a result row per resource of the group)
    "resource",  # its generalized ARN
    "events",
    "first_seen",
    "last_seen",
    "raw_resource_count",  # distinct raw ARNs behind that generalized one
    "raw_resources",  # the smallest of them
)
# Enough raw ARNs per resource to tell "at most DISTINCT_LIMIT" from "more".
RAW_SAMPLE_SIZE = DISTINCT_LIMIT + 1


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _extract(column: str, pattern: str, alias: str) -> str:
    return f"regexp_extract({column}, {_literal(pattern)}, 1) AS {alias}"


def core_sql() -> str:
    """The engine-neutral aggregate over ``ct_events`` (ends with the relation ``usage_groups``).

    ``ct_events`` has a row per resource of each record (one row, with no resource, for a
    record that names none); ``resource_position`` is 1 for a record's first row, so records
    are counted once.
    """
    derived = ",\n    ".join(
        [
            "event_type",
            "event_source",
            "event_name",
            "event_category",
            "aws_region",
            "recipient_account",
            "coalesce(issuer_arn, identity_arn, 'service:' || invoked_by) AS principal",
            _extract("identity_arn", SESSION_PREFIX_PATTERN, "session_prefix"),
            "error_code",
            _extract("error_message", DENIED_ACTION_PATTERN, "denied_action"),
            _extract("error_message", DENY_REASON_PATTERN, "deny_reason"),
            _extract("error_message", DENY_POLICY_ARN_PATTERN, "deny_policy_arn"),
            _extract("error_message", ENCODED_PATTERN, "encoded"),
            "general_resources",
            "resource_type",
            "general_arn",
            "raw_arn",
        ]
    )
    keys = ",\n    ".join(KEY_COLUMNS)
    return f"""per_raw AS (
  SELECT
    {derived},
    count_if(resource_position <= 1) AS events,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen
  FROM ct_events
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
),
usage_groups AS (
  SELECT
    {keys},
    general_resources,
    resource_type,
    general_arn,
    sum(events) AS events,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    count(raw_arn) AS raw_resource_count,
    min(raw_arn, {RAW_SAMPLE_SIZE}) AS raw_resources
  FROM per_raw
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
)
"""


def _final_select(list_as_json: str) -> str:
    """The result columns; only the list → JSON text function differs between engines (JSON,
    because an S3 key may hold any character a separator would use)."""
    columns = [
        *KEY_COLUMNS,
        "general_resources AS resources",
        "resource_type",
        "general_arn AS resource",
        "events",
        "first_seen",
        "last_seen",
        "raw_resource_count",
        f"{list_as_json.format('raw_resources')} AS raw_resources",
    ]
    return "SELECT\n  " + ",\n  ".join(columns) + "\nFROM usage_groups\n"


def _generalized(arn: str, backreference: str) -> str:
    """SQL that generalizes one ARN expression like `resources.generalize_arn` (the patterns
    are mutually exclusive, so applying them in turn is "first match wins")."""
    for pattern, replacement in GENERALIZATIONS:
        template = replacement.replace("\\1", backreference)
        arn = f"regexp_replace({arn}, {_literal(pattern.pattern)}, {_literal(template)})"
    return arn


def _message_resource(message: str) -> str:
    """The resource an AccessDenied message names, as `denials.normalize_fields` keeps it."""
    extracted = f"regexp_extract({message}, {_literal(MESSAGE_RESOURCE_PATTERN)}, 1)"
    return f"nullif(regexp_replace({extracted}, '\\.+$', ''), '')"


def _duckdb_adapter(files: Sequence[str]) -> str:
    file_list = "[" + ", ".join(_literal(f) for f in files) + "]"
    # Strings only, as the local importer reads them: ->> would turn a number into text.
    field = "CASE WHEN json_type(e, '$.{path}') = 'VARCHAR' THEN nullif(e->>'$.{path}', '') END"
    resource_type = "CASE WHEN json_type(r, '$.type') = 'VARCHAR' THEN r->>'$.type' END"
    arn = "CASE WHEN json_type(r, '$.ARN') = 'VARCHAR' THEN r->>'$.ARN' END"
    denied = _message_resource("error_message")
    general_x, general_u = _generalized("x.a", "\\1"), _generalized("u.a", "\\1")
    return f"""WITH raw AS (
  SELECT unnest(json_extract(json, '$.Records[*]')) AS e
  -- one CloudTrail file is one JSON object: the 16 MiB default is too small
  FROM read_json_objects({file_list}, maximum_object_size = 1073741824)
),
records AS (
  SELECT
    {field.format(path="eventTime")} AS event_time,
    {field.format(path="eventType")} AS event_type,
    {field.format(path="eventSource")} AS event_source,
    {field.format(path="eventName")} AS event_name,
    {field.format(path="eventCategory")} AS event_category,
    {field.format(path="awsRegion")} AS aws_region,
    {field.format(path="recipientAccountId")} AS recipient_account,
    {field.format(path="userIdentity.sessionContext.sessionIssuer.arn")} AS issuer_arn,
    {field.format(path="userIdentity.arn")} AS identity_arn,
    {field.format(path="userIdentity.invokedBy")} AS invoked_by,
    {field.format(path="errorCode")} AS error_code,
    {field.format(path="errorMessage")} AS error_message,
    coalesce([{{'t': coalesce({resource_type}, ''), 'a': {arn}}}
      FOR r IN json_extract(e, '$.resources[*]') IF coalesce({arn}, '') <> ''], []) AS listed
  FROM raw
),
named AS (
  -- A record naming no resource stands for the one its AccessDenied message names.
  SELECT *,
    CASE WHEN len(listed) = 0 AND {denied} IS NOT NULL
      THEN [{{'t': '', 'a': {denied}}}] ELSE listed END AS resource_list
  FROM records
),
ct_events AS (
  SELECT * EXCLUDE (listed, resource_list, u),
    u.n AS resource_position, u.t AS resource_type, u.a AS raw_arn,
    {general_u} AS general_arn
  FROM (
    SELECT *,
      CAST(to_json(list_sort([[x.t, {general_x}] FOR x IN resource_list])) AS VARCHAR)
        AS general_resources,
      unnest(CASE WHEN len(resource_list) = 0 THEN [{{'n': 0, 't': NULL, 'a': NULL}}]
        ELSE list_transform(resource_list, lambda x, i: {{'n': i, 't': x.t, 'a': x.a}}) END) AS u
    FROM named
  )
),
"""


def _athena_adapter(table: str, start: str | None, end: str | None, partitioned: bool) -> str:
    where: list[str] = []
    if start and partitioned:
        where.append(f'"timestamp" >= {_literal(start.replace("-", "/"))}')
    if end and partitioned:
        where.append(f'"timestamp" <= {_literal(end.replace("-", "/"))}')
    if start:
        where.append(f"eventtime >= {_literal(start + 'T00:00:00Z')}")
    if end:
        where.append(f"eventtime <= {_literal(end + 'T23:59:59Z')}")
    condition = ("\n  WHERE " + "\n    AND ".join(where)) if where else ""
    pair = "ROW(t varchar, a varchar)"
    denied = _message_resource("error_message")
    general_x, general_u = _generalized("x.a", "$1"), _generalized("u.a", "$1")
    return f"""WITH records AS (
  SELECT
    nullif(eventtime, '') AS event_time,
    nullif(eventtype, '') AS event_type,
    nullif(eventsource, '') AS event_source,
    nullif(eventname, '') AS event_name,
    nullif(eventcategory, '') AS event_category,
    nullif(awsregion, '') AS aws_region,
    nullif(recipientaccountid, '') AS recipient_account,
    nullif(useridentity.sessioncontext.sessionissuer.arn, '') AS issuer_arn,
    nullif(useridentity.arn, '') AS identity_arn,
    nullif(useridentity.invokedby, '') AS invoked_by,
    nullif(errorcode, '') AS error_code,
    nullif(errormessage, '') AS error_message,
    filter(
      transform(coalesce(resources, ARRAY[]),
        r -> CAST(ROW(coalesce(r.type, ''), r.arn) AS {pair})),
      x -> coalesce(x.a, '') <> '') AS listed
  FROM {table}{condition}
),
named AS (
  -- A record naming no resource stands for the one its AccessDenied message names.
  SELECT *,
    CASE WHEN cardinality(listed) = 0 AND {denied} IS NOT NULL
      THEN ARRAY[CAST(ROW('', {denied}) AS {pair})] ELSE listed END AS resource_list
  FROM records
),
ct_events AS (
  SELECT
    event_time, event_type, event_source, event_name, event_category, aws_region,
    recipient_account, issuer_arn, identity_arn, invoked_by, error_code, error_message,
    json_format(CAST(array_sort(transform(resource_list,
      x -> ARRAY[x.t, {general_x}])) AS JSON)) AS general_resources,
    coalesce(u.n, 0) AS resource_position, u.t AS resource_type, u.a AS raw_arn,
    {general_u} AS general_arn
  FROM named
  LEFT JOIN UNNEST(resource_list) WITH ORDINALITY AS u (t, a, n) ON TRUE
),
"""


def aggregate_sql(
    engine: str,
    *,
    files: Sequence[str] = (),
    table: str = "cloudtrail_logs_pp",
    start: str | None = None,
    end: str | None = None,
) -> str:
    """The full query for an engine. Athena assumes the AWS-documented partition-projected
    table (``timestamp`` partition ``yyyy/MM/dd``); Trino assumes the same columns unpartitioned.
    """
    if engine == "duckdb":
        adapter = _duckdb_adapter(files or ["AWSLogs/**/*.json.gz"])
        final = _final_select("CAST(to_json({}) AS VARCHAR)")
    elif engine in ("athena", "trino"):
        adapter = _athena_adapter(table, start, end, partitioned=engine == "athena")
        final = _final_select("json_format(CAST({} AS JSON))")
    else:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    return adapter + core_sql() + final


def query_hash(sql: str) -> str:
    return "sha256:" + hashlib.sha256(sql.encode("utf-8")).hexdigest()


def _blank_to_none(value: Any) -> Any:
    # Trino returns NULL where DuckDB's regexp_extract returns '': both mean "absent".
    return None if value == "" else value


@dataclass(slots=True)
class UsageGroup:
    """Result rows with one event key and generalized resources: the records' count and
    times, and per resource the raw ARNs behind its generalized one."""

    key: EventKey
    resources: str
    count: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    # (resource type, generalized ARN, distinct raw ARNs, the smallest of them)
    raw: list[tuple[str, str, int, tuple[str, ...]]] = field(default_factory=list)
    listed: list[Any] = field(default_factory=list)  # `resources`, read: [[type, ARN], ...]


GroupKey = tuple[EventKey, str]


def add_result_row(groups: dict[GroupKey, UsageGroup], row: Sequence[Any]) -> None:
    """One result row into its group; ValueError saying which column is not what the query
    writes."""
    values = [_blank_to_none(v) for v in row]
    count = len(KEY_COLUMNS)
    key = list(values[:count])
    key[KEY_COLUMNS.index("encoded")] = bool(key[KEY_COLUMNS.index("encoded")])
    resources, resource_type, resource, events, first, last, raw_count, raw = values[count:]
    try:
        events, raw_count = int(events), int(raw_count)
    except (TypeError, ValueError):
        raise ValueError(
            "expected integer counts in events and raw_resource_count, "
            f"got {events!r} and {raw_count!r}"
        ) from None
    try:
        listed, raws = _json_list(resources), tuple(_json_list(raw))
    except ValueError as err:
        raise ValueError(f"expected JSON lists in resources and raw_resources: {err}") from None
    group_key = (tuple(key), resources or "")
    group = groups.get(group_key)
    if group is None:
        group = groups[group_key] = UsageGroup(*group_key, listed=listed)
    group.count += events
    group.first_seen = _min(group.first_seen, first)
    group.last_seen = _max(group.last_seen, last)
    if resource is not None:
        group.raw.append((resource_type or "", resource, raw_count, raws))


def _json_list(text: Any) -> list[Any]:
    """A list the query wrote as JSON text ('' or NULL: none); ValueError if it is not one."""
    if not text:
        return []
    value = json.loads(text)
    if not isinstance(value, list):
        raise ValueError(f"expected a JSON list, got {text[:40]!r}")
    return value


def fold_usage_groups(
    groups: Iterable[UsageGroup], builder: SnapshotBuilder, coverage: CloudTrailCoverage
) -> None:
    folder = EventFolder(builder, coverage, PROVISIONAL_SOURCE)
    for group in groups:
        folder.add_group(
            group.key,
            [(kind, arn) for kind, arn in group.listed],
            group.count,
            group.first_seen,
            group.last_seen,
            raw=group.raw,
        )
    folder.finish()


def import_duckdb(
    sources: Sequence[str], threads: int | None = None
) -> tuple[SnapshotBuilder, list[UsageInputError]]:
    """Run the aggregate on DuckDB over local files (``pip install 'iamlint[duckdb]'``)."""
    try:
        import duckdb
    except ImportError:
        raise UsageInputError(
            "duckdb", "the DuckDB engine needs the optional extra: pip install 'iamlint[duckdb]'"
        ) from None
    discovery = discover(sources)
    problems = list(discovery.problems)
    # Each file is checked the way the local importer reads it, so both report the same
    # problems and count the same files; DuckDB then reads only the good ones (it would read
    # an empty file as no records, and fail the whole query on a broken one).
    files: list[str] = []
    digests = []
    for path in discovery.files:
        try:
            raw = read_bytes(path)
            parse_log_file(path, raw)
        except UsageInputError as error:
            problems.append(error.detached())
            continue
        files.append(str(path))
        digests.append(file_digest(raw))
    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    if files:
        connection = duckdb.connect()
        if threads:
            connection.execute(f"SET threads = {int(threads)}")
        try:
            result = connection.execute(aggregate_sql("duckdb", files=files)).fetchall()
        except duckdb.Error as exc:
            # DuckDB reads all files in one query: a bad file fails the query, so say which
            # engine failed and let the user fall back to the streaming importer for details.
            raise UsageInputError(
                ", ".join(files[:3]) + (" ..." if len(files) > 3 else ""),
                f"DuckDB could not read the CloudTrail files: {exc}; "
                "the default engine (python) reports errors per file",
            ) from None
        finally:
            connection.close()
        groups: dict[GroupKey, UsageGroup] = {}
        for row in result:
            add_result_row(groups, row)
        fold_usage_groups(groups.values(), builder, coverage)
    if discovery.duplicates:
        coverage.skipped["duplicate files"] += discovery.duplicates
    source_id = source_id_for("cloudtrail", sorted(digests))
    rename_source(builder, PROVISIONAL_SOURCE, source_id)
    builder.add_source(
        cloudtrail_source(
            source_id, ", ".join(sorted(sources)), "duckdb", coverage, len(digests), problems
        )
    )
    return builder, problems


def import_result_csv(path: str, engine: str = "athena") -> SnapshotBuilder:
    """Read the CSV an engine wrote for `aggregate_sql` (Athena: the query's results file)."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageInputError(path, f"cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip().lower() for h in header) != RESULT_COLUMNS:
            raise UsageInputError(
                path,
                "expected the result of `iamlint usage sql` with columns "
                + ", ".join(RESULT_COLUMNS),
                1,
            )
        row_digests: list[bytes] = []
        groups: dict[GroupKey, UsageGroup] = {}
        for row in reader:
            if not row:
                continue
            if len(row) != len(RESULT_COLUMNS):
                raise UsageInputError(
                    path, f"expected {len(RESULT_COLUMNS)} columns, got {len(row)}", reader.line_num
                )
            try:
                add_result_row(groups, row)
            except ValueError as err:
                raise UsageInputError(path, str(err), reader.line_num) from None
            # Engines return rows in no set order: the id must not depend on it.
            row_digests.append(hashlib.sha256("\x1e".join(row).encode("utf-8")).digest())
    builder = SnapshotBuilder()
    coverage = CloudTrailCoverage()
    fold_usage_groups(groups.values(), builder, coverage)
    source_id = source_id_for(
        "cloudtrail", [hashlib.sha256(b"".join(sorted(row_digests))).hexdigest()]
    )
    rename_source(builder, PROVISIONAL_SOURCE, source_id)
    source = cloudtrail_source(source_id, path, engine, coverage, 0, [])
    del source["coverage"]["files_read"]
    del source["coverage"]["files_failed"]
    builder.add_source(source)
    return builder


__all__ = [
    "ENGINES",
    "aggregate_sql",
    "core_sql",
    "import_duckdb",
    "import_result_csv",
    "query_hash",
]
