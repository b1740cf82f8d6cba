"""Usage evidence → one normalized, schema-validated snapshot (see docs/usage.md).

Importers: `cloudtrail_import` (streaming, parallel), `sql` (Athena/Trino/DuckDB),
`access_analyzer`, `last_accessed`, `iamlive`. Snapshots: `snapshot` (load/dump), `merge`,
`diff`. Questions for the usage checks: `evidence` and `observability`.
"""
