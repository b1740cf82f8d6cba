"""Synthetic CloudTrail logs in the S3 delivery layout, for the usage benchmark and tests.

Records follow the documented record format and weigh about 1.5 KB each, like real ones:
many roles with per-session names, users, AWS services, S3/DynamoDB/Lambda/SQS data events,
Lambda's dated event names, ~4 % errors (AccessDenied with each policy type, EC2's
Client.UnauthorizedOperation, throttling, not-found), service events and an unmapped service.

    python bench/gen_cloudtrail.py OUT --files 200 --records 700 [--seed 1]

The output is a pure function of the arguments (gzip mtime 0), so runs are comparable.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGIONS = ("us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-west-2")
START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 90
USER_AGENTS = (
    "Boto3/1.34.61 md/Botocore#1.34.61 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.61",
    "aws-sdk-java/2.25.16 Linux/5.10.216-204.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11 "
    "Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/adaptive",
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
    "terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
)

# (weight, eventSource, eventName, category, readOnly, resource kind)
EVENTS: tuple[tuple[int, str, str, str, bool, str], ...] = (
    (18, "s3.amazonaws.com", "GetObject", "Data", True, "s3object"),
    (8, "s3.amazonaws.com", "PutObject", "Data", False, "s3object"),
    (5, "s3.amazonaws.com", "HeadObject", "Data", True, "s3object"),
    (5, "s3.amazonaws.com", "ListObjectsV2", "Data", True, "s3bucket"),
    (2, "s3.amazonaws.com", "DeleteObject", "Data", False, "s3object"),
    (1, "s3.amazonaws.com", "CopyObject", "Data", False, "s3object"),
    (6, "dynamodb.amazonaws.com", "GetItem", "Data", True, "table"),
    (4, "dynamodb.amazonaws.com", "PutItem", "Data", False, "table"),
    (3, "dynamodb.amazonaws.com", "Query", "Data", True, "table"),
    (4, "lambda.amazonaws.com", "Invoke", "Data", False, "function"),
    (2, "lambda.amazonaws.com", "GetFunction20150331v2", "Management", True, "function"),
    (
        1,
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        "Management",
        False,
        "function",
    ),
    (1, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "Management", False, "function"),
    (1, "lambda.amazonaws.com", "ListFunctions20150331", "Management", True, "none"),
    (4, "sqs.amazonaws.com", "SendMessage", "Data", False, "queue"),
    (3, "sqs.amazonaws.com", "ReceiveMessage", "Data", True, "queue"),
    (6, "kms.amazonaws.com", "Decrypt", "Management", True, "key"),
    (3, "kms.amazonaws.com", "GenerateDataKey", "Management", True, "key"),
    (4, "sts.amazonaws.com", "AssumeRole", "Management", True, "role"),
    (2, "sts.amazonaws.com", "GetCallerIdentity", "Management", True, "none"),
    (3, "ec2.amazonaws.com", "DescribeInstances", "Management", True, "none"),
    (1, "ec2.amazonaws.com", "RunInstances", "Management", False, "none"),
    (3, "monitoring.amazonaws.com", "PutMetricData", "Management", False, "none"),
    (2, "logs.amazonaws.com", "CreateLogStream", "Management", False, "none"),
    (2, "secretsmanager.amazonaws.com", "GetSecretValue", "Management", True, "secret"),
    (1, "iam.amazonaws.com", "GetRole", "Management", True, "role"),
    (1, "apigateway.amazonaws.com", "GetRestApis", "Management", True, "none"),
    (1, "ssm.amazonaws.com", "GetParameter", "Management", True, "none"),
    (1, "example-preview.amazonaws.com", "ListWidgets", "Management", True, "none"),
)
_WEIGHTS = [e[0] for e in EVENTS]

DENY_REASONS = (
    "because no identity-based policy allows the {action} action",
    "because no identity-based policy allows the {action} action",
    "because no resource-based policy allows the {action} action",
    "because no permissions boundary allows the {action} action",
    "with an explicit deny in a service control policy",
    "with an explicit deny in an identity-based policy",
)


def _hex(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("0123456789abcdef") for _ in range(n))


class _World:
    """Roles behave like workloads: each uses a handful of APIs on a handful of resources."""

    def __init__(self, rnd: random.Random, roles: int) -> None:
        self.roles = [
            f"svc-{i:04d}-{rnd.choice(['etl', 'api', 'worker', 'deploy', 'batch'])}"
            for i in range(roles)
        ]
        self.users = [f"user-{i:03d}" for i in range(max(3, roles // 20))]
        self.buckets = [f"example-data-{i:03d}" for i in range(max(3, roles // 4))]
        self.tables = [f"table-{i:03d}" for i in range(max(3, roles // 5))]
        self.functions = [f"fn-{i:03d}" for i in range(max(3, roles // 3))]
        self.queues = [f"queue-{i:03d}" for i in range(max(3, roles // 6))]
        self.keys = [
            f"{_hex(rnd, 8)}-{_hex(rnd, 4)}-{_hex(rnd, 4)}-{_hex(rnd, 4)}-{_hex(rnd, 12)}"
            for _ in range(max(3, roles // 10))
        ]
        # A secret's ARN ends in six random characters fixed when it is created.
        self.secrets = [f"app/{table}-{_hex(rnd, 6)}" for table in self.tables]
        self.role_events = {
            role: rnd.sample(range(len(EVENTS)), k=rnd.randrange(4, 12)) for role in self.roles
        }

    def narrowed(self, role: str) -> _World:
        """The same world seen by one role: two resources of each kind."""
        view = object.__new__(_World)
        seed = sum(map(ord, role))
        for kind in ("buckets", "tables", "functions", "queues", "keys", "secrets"):
            items = getattr(self, kind)
            start = seed % len(items)
            setattr(view, kind, (items + items)[start : start + 2])
        view.roles, view.users = self.roles, self.users
        return view


def _identity(rnd: random.Random, world: _World, when: datetime) -> dict[str, Any]:
    roll = rnd.random()
    if roll < 0.82:
        role = rnd.choice(world.roles)
        session = rnd.choice(
            [
                f"i-{_hex(rnd, 17)}",
                f"botocore-session-{int(when.timestamp())}",
                f"gha-{rnd.randrange(10**6)}",
                role,
            ]
        )
        role_id = "AROA" + _hex(rnd, 16).upper()
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIA" + _hex(rnd, 16).upper(),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                    "accountId": ACCOUNT,
                    "userName": role,
                },
                "webIdFederationData": {},
                "attributes": {
                    "creationDate": (when - timedelta(minutes=rnd.randrange(60))).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "mfaAuthenticated": "false",
                },
            },
        }
    if roll < 0.94:
        user = rnd.choice(world.users)
        return {
            "type": "IAMUser",
            "principalId": "AIDA" + _hex(rnd, 16).upper(),
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIA" + _hex(rnd, 16).upper(),
            "userName": user,
        }
    if roll < 0.99:
        return {
            "type": "AWSService",
            "invokedBy": rnd.choice(
                ["lambda.amazonaws.com", "events.amazonaws.com", "ec2.amazonaws.com"]
            ),
        }
    return {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIA" + _hex(rnd, 16).upper(),
    }


def _resources(
    rnd: random.Random, world: _World, kind: str, region: str
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    if kind in ("s3object", "s3bucket"):
        bucket = rnd.choice(world.buckets)
        out = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
        params: dict[str, Any] = {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.{region}.amazonaws.com",
        }
        if kind == "s3object":
            key = (
                f"{rnd.choice(['input', 'output', 'tmp', 'archive'])}/"
                f"{2025}/{rnd.randrange(1, 13):02d}/{rnd.randrange(1, 29):02d}/"
                f"part-{rnd.randrange(10**5):05d}-{_hex(rnd, 8)}.parquet"
            )
            out.append({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"})
            params["key"] = key
        return out, params
    arn_of = {
        "table": (
            "AWS::DynamoDB::Table",
            lambda: f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{rnd.choice(world.tables)}",
        ),
        "function": (
            "AWS::Lambda::Function",
            lambda: f"arn:aws:lambda:{region}:{ACCOUNT}:function:{rnd.choice(world.functions)}",
        ),
        "queue": (
            "AWS::SQS::Queue",
            lambda: f"arn:aws:sqs:{region}:{ACCOUNT}:{rnd.choice(world.queues)}",
        ),
        "key": (
            "AWS::KMS::Key",
            lambda: f"arn:aws:kms:{region}:{ACCOUNT}:key/{rnd.choice(world.keys)}",
        ),
        "role": (
            "AWS::IAM::Role",
            lambda: f"arn:aws:iam::{ACCOUNT}:role/{rnd.choice(world.roles)}",
        ),
        "secret": (
            "AWS::SecretsManager::Secret",
            lambda: f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{rnd.choice(world.secrets)}",
        ),
    }
    if kind not in arn_of:
        return [], {"maxResults": rnd.choice([50, 100, 1000])}
    type_name, make = arn_of[kind]
    arn = make()
    return [{"accountId": ACCOUNT, "type": type_name, "ARN": arn}], {"resourceArn": arn}


def _action_of(source: str, name: str) -> str:
    prefix = {"monitoring": "cloudwatch"}.get(source.split(".")[0], source.split(".")[0])
    base = name.split("2015")[0].split("2017")[0]
    renamed = {"Invoke": "InvokeFunction", "ListObjectsV2": "ListBucket", "HeadObject": "GetObject"}
    return f"{prefix}:{renamed.get(base, base)}"


def _record(
    rnd: random.Random, world: _World, when: datetime, region: str, seq: int
) -> dict[str, Any]:
    identity = _identity(rnd, world, when)
    issuer = identity.get("sessionContext", {}).get("sessionIssuer", {}).get("userName")
    if issuer:
        choices = world.role_events[issuer]
        _, source, name, category, read_only, kind = EVENTS[
            rnd.choices(choices, weights=[_WEIGHTS[i] for i in choices])[0]
        ]
        resources, params = _resources(rnd, world.narrowed(issuer), kind, region)
    else:
        _, source, name, category, read_only, kind = rnd.choices(EVENTS, weights=_WEIGHTS)[0]
        resources, params = _resources(rnd, world, kind, region)
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}",
        "userAgent": rnd.choice(USER_AGENTS),
        "requestParameters": params,
        "responseElements": None if read_only else {"requestId": _hex(rnd, 32)},
        "additionalEventData": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": rnd.randrange(10**4),
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": _hex(rnd, 48),
            "bytesTransferredOut": rnd.randrange(10**6),
        },
        "requestID": _hex(rnd, 16).upper(),
        "eventID": f"{_hex(rnd, 8)}-{_hex(rnd, 4)}-4{_hex(rnd, 3)}-8{_hex(rnd, 3)}-{_hex(rnd, 12)}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": category == "Management",
        "recipientAccountId": ACCOUNT,
        "eventCategory": category,
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
        },
    }
    if resources:
        record["resources"] = resources
    if seq % 97 == 0:
        record["eventType"] = "AwsServiceEvent"
        record["userIdentity"] = {"accountId": ACCOUNT, "invokedBy": source}
    roll = rnd.random()
    if roll < 0.025 and "arn" in identity:
        action = _action_of(source, name)
        target = resources[-1]["ARN"] if resources else "*"
        reason = rnd.choice(DENY_REASONS).format(action=action)
        message = (
            f"User: {identity['arn']} is not authorized to perform: {action} "
            f"on resource: {target} {reason}"
        )
        if source.startswith("ec2."):
            record["errorCode"] = "Client.UnauthorizedOperation"
            message = (
                f"You are not authorized to perform this operation. {message}. "
                f"Encoded authorization failure message: {_hex(rnd, 120)}"
            )
        else:
            record["errorCode"] = (
                "AccessDenied" if source.startswith("s3.") else "AccessDeniedException"
            )
        record["errorMessage"] = message
        record.pop("resources", None) if rnd.random() < 0.5 else None
        record["responseElements"] = None
    elif roll < 0.04:
        record["errorCode"], record["errorMessage"] = rnd.choice(
            [
                ("ThrottlingException", "Rate exceeded"),
                ("ResourceNotFoundException", "Requested resource not found"),
                ("NoSuchKey", "The specified key does not exist."),
            ]
        )
    return record


def generate(
    out: Path | str, files: int, records_per_file: int, seed: int = 1, roles: int = 200
) -> list[Path]:
    rnd = random.Random(seed)
    world = _World(rnd, roles)
    out = Path(out)
    written: list[Path] = []
    seq = 0
    for index in range(files):
        delivered = START + timedelta(seconds=WINDOW_DAYS * 86400 * index // max(files, 1))
        region = REGIONS[index % len(REGIONS)]
        records = []
        for _ in range(records_per_file):
            seq += 1
            when = delivered - timedelta(seconds=rnd.randrange(900))
            records.append(_record(rnd, world, when, region, seq))
        folder = out / "AWSLogs" / ACCOUNT / "CloudTrail" / region / delivered.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        unique = "".join(
            rnd.choice("ABCDEFGHIJKLMNOPabcdefghijklmnop0123456789") for _ in range(16)
        )
        path = (
            folder
            / f"{ACCOUNT}_CloudTrail_{region}_{delivered.strftime('%Y%m%dT%H%MZ')}_{unique}.json.gz"
        )
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
            gz.write(json.dumps({"Records": records}, separators=(",", ":")).encode())
        path.write_bytes(buffer.getvalue())
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--records", type=int, default=700, help="records per file")
    parser.add_argument("--roles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = generate(args.out, args.files, args.records, args.seed, args.roles)
    raw = sum(len(gzip.decompress(p.read_bytes())) for p in paths)
    print(
        f"{len(paths)} files, {args.files * args.records:,} records, "
        f"{raw / 1e6:.1f} MB uncompressed, "
        f"{raw / max(args.files * args.records, 1):.0f} B/record"
    )


if __name__ == "__main__":
    main()
