"""Which Terraform resources hold IAM policies, in which attribute, and of which kind.

Data, not logic: adding a resource type that carries a policy is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY = "identity"
TRUST = "trust"
RESOURCE = "resource"
SCP = "scp"
RCP = "rcp"
BOUNDARY = "boundary"
DOCUMENT = "document"  # a policy document data source no resource uses
ENDPOINT = "endpoint"  # a VPC endpoint policy: a filter on what passes through the endpoint

KINDS = (IDENTITY, TRUST, RESOURCE, SCP, RCP, BOUNDARY, ENDPOINT, DOCUMENT)


@dataclass(frozen=True, slots=True)
class PolicyAttribute:
    attribute: str
    kind: str
    # The attribute naming what the policy applies to (a role, a bucket...), if not the resource.
    target: str | None = None
    block: str | None = None  # the nested block holding the attribute (`inline_policy`)


POLICY_ATTRIBUTES: dict[str, tuple[PolicyAttribute, ...]] = {
    "aws_iam_policy": (PolicyAttribute("policy", IDENTITY),),
    "aws_iam_role_policy": (PolicyAttribute("policy", IDENTITY, target="role"),),
    "aws_iam_user_policy": (PolicyAttribute("policy", IDENTITY, target="user"),),
    "aws_iam_group_policy": (PolicyAttribute("policy", IDENTITY, target="group"),),
    "aws_iam_role": (
        PolicyAttribute("assume_role_policy", TRUST),
        PolicyAttribute("policy", IDENTITY, block="inline_policy"),
    ),
    "aws_organizations_policy": (PolicyAttribute("content", SCP),),
    "aws_s3_bucket_policy": (PolicyAttribute("policy", RESOURCE, target="bucket"),),
    "aws_s3_bucket": (PolicyAttribute("policy", RESOURCE),),
    "aws_kms_key": (PolicyAttribute("policy", RESOURCE),),
    "aws_kms_key_policy": (PolicyAttribute("policy", RESOURCE, target="key_id"),),
    "aws_sqs_queue": (PolicyAttribute("policy", RESOURCE),),
    "aws_sqs_queue_policy": (PolicyAttribute("policy", RESOURCE, target="queue_url"),),
    "aws_sns_topic": (PolicyAttribute("policy", RESOURCE),),
    "aws_sns_topic_policy": (PolicyAttribute("policy", RESOURCE, target="arn"),),
    "aws_ecr_repository_policy": (PolicyAttribute("policy", RESOURCE, target="repository"),),
    "aws_ecr_registry_policy": (PolicyAttribute("policy", RESOURCE),),
    "aws_secretsmanager_secret": (PolicyAttribute("policy", RESOURCE),),
    "aws_secretsmanager_secret_policy": (PolicyAttribute("policy", RESOURCE, target="secret_arn"),),
    "aws_opensearch_domain_policy": (
        PolicyAttribute("access_policies", RESOURCE, target="domain_name"),
    ),
    "aws_elasticsearch_domain_policy": (
        PolicyAttribute("access_policies", RESOURCE, target="domain_name"),
    ),
    "aws_cloudwatch_log_resource_policy": (PolicyAttribute("policy_document", RESOURCE),),
    "aws_backup_vault_policy": (PolicyAttribute("policy", RESOURCE, target="backup_vault_name"),),
    "aws_efs_file_system_policy": (PolicyAttribute("policy", RESOURCE, target="file_system_id"),),
    "aws_api_gateway_rest_api_policy": (PolicyAttribute("policy", RESOURCE, target="rest_api_id"),),
    "aws_glacier_vault": (PolicyAttribute("access_policy", RESOURCE),),
    "aws_vpc_endpoint": (PolicyAttribute("policy", ENDPOINT),),
    "aws_vpc_endpoint_policy": (PolicyAttribute("policy", ENDPOINT, target="vpc_endpoint_id"),),
    "aws_ssoadmin_permission_set_inline_policy": (
        PolicyAttribute("inline_policy", IDENTITY, target="permission_set_arn"),
    ),
}

# aws_lambda_permission has no policy attribute: iamlint builds the statement it adds.
LAMBDA_PERMISSION = "aws_lambda_permission"

PRINCIPAL_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}

# AWS-managed policies broad enough that attaching one deserves a look.
AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
