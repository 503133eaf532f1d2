"""AWS rules that no botocore service model encodes, each with the page that documents it.

botocore's service models carry parameter names, types, required members, enums and min/max; the deploy tooling
leans on them (and the tests check every call against them). What follows is the rest of AWS's contract: rules
written only in prose. The deploy code consults these before calling, and the tests make moto keep them too.
"""
from botocore.exceptions import ClientError

BURSTABLE_INSTANCE_PREFIXES = ("ml.t2.", "ml.t3.")
"""SageMaker Developer Guide, "Configure model auto scaling with the console" (endpoint-auto-scaling-add-console):
Application Auto Scaling checks "You aren't registering a variant with an instance that is a burstable performance
instance such as T2" -- "SageMaker doesn't support auto scaling for burstable instances such as T2". ml.t3 is the
other burstable (CPU-credit) family SageMaker hosting offers."""

MAX_TRANSFORM_PAYLOAD_PRODUCT_MB = 100
"""SageMaker API reference, CreateTransformJob MaxPayloadInMB (the service model's documentation text, not its
constraints): "The value of MaxPayloadInMB cannot be greater than 100 MB. If you specify the
MaxConcurrentTransforms parameter, the value of (MaxConcurrentTransforms * MaxPayloadInMB) also cannot exceed
100 MB." """

MAX_CUSTOM_ATTRIBUTES_CHARS = 1024
"""SageMaker Runtime InvokeEndpoint CustomAttributes: "no more than 1024 visible US-ASCII characters" (the service
model's max 1024, which botocore itself does not enforce: the service answers a ValidationError)."""

CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"
"""CloudFront developer guide, "Requirements for using SSL/TLS certificates with CloudFront": a certificate from
ACM must be requested or imported in US East (N. Virginia), us-east-1."""

CLOUDFRONT_UNORDERED_LISTS = frozenset({"AllowedMethods", "CachedMethods"})
"""CloudFront answers these method lists in its own order (GetDistributionConfig gives ["HEAD", "GET"] for
["GET", "HEAD"] sent): they are sets, compared as sets."""

SHARED_LOG_GROUPS = frozenset({"/aws/sagemaker/TransformJobs", "/aws/sagemaker/TrainingJobs",
                               "/aws/sagemaker/ProcessingJobs"})
"""SageMaker writes every job of that kind in the account and region to one log group ("Log Amazon SageMaker AI
events with Amazon CloudWatch"): its retention belongs to the account, not to one project."""

IAM_PROPAGATION_SECONDS = 120
"""IAM User Guide, "Changes that I make are not always immediately visible": IAM is eventually consistent, and a
role or policy written a moment ago can take a while to be in force for the services that use it. The retries
after writing one stop after this long."""
IAM_PROPAGATION_POLL_SECONDS = 5
IAM_PROPAGATION_CODES = frozenset({"AccessDenied", "AccessDeniedException"})
IAM_PROPAGATION_PHRASES = ("assume", "not authorized", "access denied", "permission")
"""SageMaker answers a role it cannot use yet with ValidationException "Could not assume role ..." or an
access error naming the missing permission."""

SAGEMAKER_MISSING_CODE, SAGEMAKER_MISSING_PHRASE = "ValidationException", "could not find"
"""DescribeModel, DescribeEndpoint and DescribeEndpointConfig declare no error at all in the service model; SageMaker
answers a missing one with ValidationException "Could not find model/endpoint ...". Only for such operations is that
the sign of "missing"."""

API_GATEWAY_INTEGRATION_TIMEOUT_S = 29
"""API Gateway quotas: a REST API's integration times out after 29 seconds (the Lambda's own timeout is the
stage's lambda_timeout, 25 s here); a request still waiting then gets 504."""


def auto_scaling_refusal(instance_type: str) -> str | None:
    """Why Application Auto Scaling would refuse a variant of this instance type, or None."""
    if instance_type.startswith(BURSTABLE_INSTANCE_PREFIXES):
        return (f"SageMaker does not auto-scale burstable instances such as {instance_type}: choose a non-burstable "
                f"type (e.g. ml.c6i.large), or pass --max-instances equal to --min-instances for a fixed count.")
    return None


def transform_payload_refusal(concurrency: int, payload_mb: int) -> str | None:
    """Why CreateTransformJob would refuse these settings, or None."""
    if concurrency * payload_mb > MAX_TRANSFORM_PAYLOAD_PRODUCT_MB:
        return (f"SageMaker refuses MaxConcurrentTransforms x MaxPayloadInMB over {MAX_TRANSFORM_PAYLOAD_PRODUCT_MB} "
                f"MB: --concurrency {concurrency} x {payload_mb} MB per image is {concurrency * payload_mb} MB; use "
                f"--concurrency {MAX_TRANSFORM_PAYLOAD_PRODUCT_MB // payload_mb} or less (or more --instance-count).")
    return None


def same_setting(have, want, key: str | None = None) -> bool:
    """Whether have already holds want (want's keys only, recursively; key: the one want sits under). The Items of
    CLOUDFRONT_UNORDERED_LISTS compare as sets, every other list in order."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            same_setting(have.get(name), value, f"{key}.Items" if name == "Items" else name)
            for name, value in want.items())
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return False
        if key and key.endswith(".Items") and key.removesuffix(".Items") in CLOUDFRONT_UNORDERED_LISTS:
            return sorted(have) == sorted(want)
        return all(same_setting(item_have, item_want) for item_have, item_want in zip(have, want))
    return have == want


def not_found_codes(client, operation_name: str) -> frozenset[str]:
    """The error codes an operation's service model declares for a missing resource (ResourceNotFound,
    NoSuchEntity, ...)."""
    operation = client.meta.service_model.operation_model(operation_name)
    return frozenset(shape.error_code or shape.name for shape in operation.error_shapes
                     if "NotFound" in shape.name or shape.name.startswith("NoSuch"))


def is_not_found(client, operation_name: str, error: ClientError) -> bool:
    """Whether AWS's answer means "no such resource", by the codes the operation declares (or, for a SageMaker
    operation that declares none, by the ValidationException SageMaker sends instead)."""
    code = error.response.get("Error", {}).get("Code", "")
    declared = not_found_codes(client, operation_name)
    if declared:
        return code in declared
    operation = client.meta.service_model.operation_model(operation_name)
    return (client.meta.service_model.service_name == "sagemaker" and not operation.error_shapes
            and code == SAGEMAKER_MISSING_CODE and SAGEMAKER_MISSING_PHRASE in str(error).lower())


def is_iam_propagation_error(error: ClientError) -> bool:
    """An answer that a role or policy written a moment ago may not be in force yet."""
    code = error.response.get("Error", {}).get("Code", "")
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return code in IAM_PROPAGATION_CODES or (code == "ValidationException"
                                             and any(phrase in message for phrase in IAM_PROPAGATION_PHRASES))

PERMISSIONS_NO_CALL_SHOWS = {
    "iam:PassRole": "CreateModel and CreateTransformJob pass the stage's execution role to SageMaker (SageMaker "
                    "Developer Guide, \"How to use SageMaker AI execution roles\"); chalice deploy passes the "
                    "function's role to Lambda",
    "iam:CreateServiceLinkedRole": "the first RegisterScalableTarget of a SageMaker variant creates "
                                   "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint (Application Auto "
                                   "Scaling User Guide, \"Amazon SageMaker AI and Application Auto Scaling\")",
    "sagemaker:DescribeEndpoint": "Application Auto Scaling checks the variant as the caller (SageMaker Developer "
                                  "Guide, \"Auto scaling prerequisites\")",
    "sagemaker:DescribeEndpointConfig": "the same prerequisites",
    "sagemaker:UpdateEndpointWeightsAndCapacities": "the same prerequisites: scaling changes the variant's count",
    "cloudwatch:PutMetricAlarm": "a target-tracking policy creates its CloudWatch alarms as the caller (Application "
                                 "Auto Scaling User Guide, \"Target tracking scaling policies\")",
    "cloudwatch:DescribeAlarms": "the same target-tracking policy",
    "cloudwatch:DeleteAlarms": "the same target-tracking policy, when it is replaced or deregistered",
    "acm:AddTagsToCertificate": "RequestCertificate with Tags also needs it (ACM User Guide, \"Tag ACM "
                                "certificates\")",
}
"""Permissions the deploying identity needs although no call of the tooling names them: AWS uses them on the
caller's behalf. deploy/deployer-policy.json must hold them beside the actions of the calls themselves."""
