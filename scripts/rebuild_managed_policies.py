"""Rebuild iamlint/data/aws-managed-policies.json.gz from a checkout of iann0036/iam-dataset.

    python scripts/rebuild_managed_policies.py PATH/TO/iam-dataset --commit SHA --date YYYY-MM-DD

Reads every `aws/managedpolicies/*.json` of the checkout, keeps the fields iamlint uses
(arn, version, updated, deprecated, document) and writes compact JSON with sorted keys, gzipped
with a zero timestamp, so the same upstream commit always gives the same bytes. Also records the
commit and date in `managed_policies_source.json`. The upstream licence (MIT) must travel with
the data: copy its LICENSE to `iamlint/data/LICENSE-iam-dataset` if it changed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "iamlint" / "data"


def extract(checkout: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in sorted((checkout / "aws" / "managedpolicies").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        out[entry.get("name") or path.stem] = {
            "arn": entry.get("arn"),
            "version": entry.get("version"),
            "updated": entry.get("updatedate"),
            "deprecated": bool(entry.get("deprecated")),
            "document": entry["document"],
        }
    return out


def write(policies: dict[str, dict[str, object]], target: Path) -> None:
    text = json.dumps(policies, sort_keys=True, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    name = target.name.removesuffix(".gz")  # recorded in the gzip header, as upstream tools do
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename=name) as handle:
        handle.write(text)
    target.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--date", required=True, help="the upstream commit's date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    policies = extract(args.checkout)
    if not policies:
        print(f"no aws/managedpolicies/*.json under {args.checkout}", file=sys.stderr)
        return 2
    write(policies, DATA / "aws-managed-policies.json.gz")
    source = {
        "commit": args.commit,
        "date": args.date,
        "repository": "https://github.com/iann0036/iam-dataset",
    }
    (DATA / "managed_policies_source.json").write_text(json.dumps(source, indent=2) + "\n")
    print(f"{len(policies)} managed policies written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
