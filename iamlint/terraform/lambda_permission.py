"""``aws_lambda_permission`` adds one statement to a function's resource policy; we build it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamlint.model import Location, Unknown
from iamlint.terraform.documents import Document, normalize
from iamlint.terraform.evaluate import Evaluator
from iamlint.terraform.values import LDict, LList, LStr

if TYPE_CHECKING:
    from iamlint.terraform.project import _Instance


def lambda_permission_document(item: _Instance) -> tuple[Document, Location]:
    body = item.declared.block.body
    file = item.declared.file
    where = file.location(*item.declared.block.span)
    evaluator = Evaluator(item.scope)

    def value(name: str) -> Any:
        attr = body.attributes.get(name)
        return evaluator.eval(attr.value) if attr is not None else None

    principal = value("principal")
    if isinstance(principal, str) and principal.endswith(".amazonaws.com"):
        principal_element: Any = LDict({"Service": LList([principal])})
    elif isinstance(principal, str) and principal == "*":
        principal_element = LStr("*", None)
    else:
        principal_element = LDict({"AWS": LList([principal])})
    statement = LDict(loc=where)
    statement_id = value("statement_id")
    if isinstance(statement_id, str | Unknown):
        statement["Sid"] = statement_id
    statement["Effect"] = "Allow"
    statement["Principal"] = principal_element
    statement["Action"] = value("action") or Unknown("action", where, "action is required")
    function = value("function_name")
    if isinstance(function, str) and not function.startswith("arn:"):
        # A bare function name: the policy's resource is the function's ARN.
        function = Unknown(
            str(function),
            where,
            "function ARN includes the account and region",
            ("arn:aws:lambda:", None, ":", None, f":function:{function}"),
        )
    statement["Resource"] = (
        LList([function])
        if function is not None
        else (
            function
            if function is not None
            else Unknown("function_name", where, "function_name is required")
        )
    )
    condition = LDict()
    source_arn = value("source_arn")
    if source_arn is not None:
        condition["ArnLike"] = LDict({"AWS:SourceArn": source_arn})
    source_account = value("source_account")
    if source_account is not None:
        condition.setdefault("StringEquals", LDict())["AWS:SourceAccount"] = source_account
    org_id = value("principal_org_id")
    if org_id is not None:
        condition.setdefault("StringEquals", LDict())["aws:PrincipalOrgID"] = org_id
    if condition:
        statement["Condition"] = condition
    data = LDict({"Version": "2012-10-17", "Statement": LList([statement])}, loc=where)
    return normalize(data, where), where
