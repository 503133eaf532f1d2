"""Make the fake honest: every call checked against botocore's service model, and moto made to answer like AWS.

botocore validates a call's names, types, required members and minimums before sending it, but not enums, maximums
or patterns: `contract_parameters` checks those too, on every client, and fails the test on any call that AWS
would refuse. Where moto 5.2.5 answers differently from AWS, a fixture here makes it answer as AWS documents
(scripts/aws_contract.py names the rules), never the other way round:

- `aws_like_sagemaker`: CreateEndpointConfig accepts every instance type the service model enumerates (moto 5.2.5
  knows an old list without ml.c6i/m6i/c7i); DescribeTransformJob of a missing job answers ResourceNotFound (the
  code the operation declares; moto says ValidationException "Could not find"); RegisterScalableTarget refuses a
  burstable (ml.t2/t3) variant; CreateTransformJob refuses MaxConcurrentTransforms x MaxPayloadInMB over 100.
- `iam_lag`: a role policy (IAM) or a lowered Block Public Access (S3) is not in force for the next call that
  relies on it, which is refused as AWS refuses it meanwhile; the retries' pauses are recorded, not slept.
- `aws_like_cloudfront`: GetDistributionConfig answers AllowedMethods/CachedMethods in CloudFront's order
  (HEAD before GET), keeps FunctionAssociations (moto drops them), and the cache and response headers policy
  operations moto lacks are answered by `CloudFrontPolicies`, which keeps them as CloudFront does (unique names,
  ETag preconditions). `Edge` is what a visitor's nearest edge location serves under the distribution's cache
  policy.
"""
import itertools
import re
import urllib.parse
from dataclasses import dataclass, field

import boto3
import botocore.session
import botocore.validate
import moto.cloudfront.models
import pytest
from botocore.exceptions import ParamValidationError
from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.iam.models import IAMBackend
from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeEndpointConfig, SageMakerModelBackend, sagemaker_backends

from scripts import aws_contract, aws_failures

CACHING_OPTIMIZED = {
    "Name": "Managed-CachingOptimized", "MinTTL": 1, "DefaultTTL": 86400, "MaxTTL": 31536000,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": True, "EnableAcceptEncodingBrotli": True,
        "HeadersConfig": {"HeaderBehavior": "none"}, "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"}}}
"""CloudFront developer guide, "Use managed cache policies": CachingOptimized (658327ea-f89d-4fab-a63d-7e88639e58f6)
includes no query string in the cache key."""
MANAGED_CACHE_POLICIES = {"658327ea-f89d-4fab-a63d-7e88639e58f6": CACHING_OPTIMIZED}
PRODUCTION_VARIANT_INSTANCE_TYPES = frozenset(botocore.session.get_session().get_service_model("sagemaker").shape_for(
    "ProductionVariantInstanceType").enum)
CLOUDFRONT_METHOD_ORDER = ("HEAD", "GET", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")
"""The order GetDistributionConfig answers methods in, whatever order they were sent in."""


# ---- every call against the service model ----

def contract_violations(value, shape, path: str) -> list[str]:
    """What botocore's own validation leaves out: enum values, maximum lengths and values, and patterns."""
    meta, kind = shape.metadata, shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return [problem for name, item in value.items() if name in shape.members
                for problem in contract_violations(item, shape.members[name], f"{path}.{name}")]
    if kind == "list" and isinstance(value, list):
        found = [f"{path}: {len(value)} items, more than {meta['max']}"] if len(value) > meta.get("max", len(value)) \
            else []
        return found + [problem for index, item in enumerate(value)
                        for problem in contract_violations(item, shape.member, f"{path}[{index}]")]
    if kind == "map" and isinstance(value, dict):
        return [problem for key, item in value.items()
                for problem in contract_violations(key, shape.key, f"{path} key")
                + contract_violations(item, shape.value, f"{path}[{key}]")]
    if kind == "string" and isinstance(value, str):
        found = []
        if shape.enum and value not in shape.enum:
            found.append(f"{path}: {value!r} is not one of the model's values")
        if len(value) > meta.get("max", len(value)):
            found.append(f"{path}: {len(value)} characters, more than {meta['max']}")
        if "pattern" in meta and not matches_pattern(meta["pattern"], value):
            found.append(f"{path}: {value!r} does not match {meta['pattern']}")
        return found
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        return [f"{path}: {value} is more than {meta['max']}"] if value > meta.get("max", value) else []
    return []


def matches_pattern(pattern: str, value: str) -> bool:
    """AWS checks a value against the whole pattern (SageMaker refuses "under_scores" as an EndpointName whose
    pattern has no closing $); a pattern Python's re cannot read (Java's \\p{...} classes) is not checked here."""
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:
        return True


@pytest.fixture
def contract_parameters(monkeypatch):
    """Every call any botocore client makes during the test is checked against the whole service model; a call AWS
    would refuse fails there, and fails the test even where the code under test swallowed the error."""
    violations = []
    original = botocore.validate.ParamValidator.validate

    def validate(self, params, shape):
        report = original(self, params, shape)
        found = contract_violations(params, shape, shape.name)
        if found:
            violations.append(found)
            raise ParamValidationError(report="; ".join(found))
        return report

    monkeypatch.setattr(botocore.validate.ParamValidator, "validate", validate)
    yield violations
    assert violations == [], f"calls outside the service model: {violations}"


# ---- SageMaker and Application Auto Scaling as AWS answers ----

@pytest.fixture
def aws_like_sagemaker(aws, monkeypatch):
    describe_transform_job = SageMakerModelBackend.describe_transform_job
    create_transform_job = SageMakerModelBackend.create_transform_job
    register_scalable_target = ApplicationAutoscalingBackend.register_scalable_target

    def describe_missing_as_declared(self, transform_job_name):
        if transform_job_name not in self.transform_jobs:
            raise ResourceNotFound(message=f"Could not find requested job with name {transform_job_name}")
        return describe_transform_job(self, transform_job_name)

    def refuse_oversized_product(self, *args, **kwargs):
        refusal = aws_contract.transform_payload_refusal(kwargs.get("max_concurrent_transforms") or 1,
                                                         kwargs.get("max_payload_in_mb") or 6)
        if refusal:
            raise ValidationError(message=refusal)
        return create_transform_job(self, *args, **kwargs)

    def refuse_burstable(self, namespace, r_id, *args, **kwargs):
        match = re.fullmatch(r"endpoint/([^/]+)/variant/([^/]+)", r_id)
        if namespace == "sagemaker" and match:
            backend = sagemaker_backends[self.account_id][self.region_name]
            config = backend.describe_endpoint_config(backend.describe_endpoint(match[1])["EndpointConfigName"])
            for variant in config["ProductionVariants"]:
                if variant["VariantName"] == match[2] and aws_contract.auto_scaling_refusal(
                        variant.get("InstanceType", "")):
                    raise AWSValidationException("SageMaker doesn't support auto scaling for burstable instances")
        return register_scalable_target(self, namespace, r_id, *args, **kwargs)

    def instance_type_of_the_model(self, instance_type):
        if instance_type not in PRODUCTION_VARIANT_INSTANCE_TYPES:
            raise ValidationError(message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint")

    monkeypatch.setattr(FakeEndpointConfig, "validate_instance_type", instance_type_of_the_model)
    monkeypatch.setattr(SageMakerModelBackend, "describe_transform_job", describe_missing_as_declared)
    monkeypatch.setattr(SageMakerModelBackend, "create_transform_job", refuse_oversized_product)
    monkeypatch.setattr(ApplicationAutoscalingBackend, "register_scalable_target", refuse_burstable)


# ---- IAM's eventual consistency ----

@dataclass
class IamLag:
    """How many calls after each policy write are still refused, what was refused, and the pauses asked for."""
    calls_refused: int = 1
    pending: int = 0
    refused: list = field(default_factory=list)
    pauses: list = field(default_factory=list)

    def refuse(self, operation: str) -> bool:
        if self.pending:
            self.pending -= 1
            self.refused.append(operation)
            return True
        return False


@pytest.fixture
def iam_lag(aws, monkeypatch):
    lag = IamLag()
    put_role_policy, put_public_access_block = IAMBackend.put_role_policy, S3Backend.put_public_access_block
    create_model, create_transform_job = SageMakerModelBackend.create_model, SageMakerModelBackend.create_transform_job
    put_bucket_policy = S3Backend.put_bucket_policy

    def policy_written(original):
        def write(self, *args, **kwargs):
            lag.pending = lag.calls_refused
            return original(self, *args, **kwargs)
        return write

    def sagemaker_relying_on_it(original, operation):
        def call(self, *args, **kwargs):
            if lag.refuse(operation):
                raise ValidationError(message="Could not assume role: SageMaker is not authorized to use it yet")
            return original(self, *args, **kwargs)
        return call

    def s3_relying_on_it(self, *args, **kwargs):
        if lag.refuse("PutBucketPolicy"):
            raise S3ClientError("AccessDenied", "Access Denied")
        return put_bucket_policy(self, *args, **kwargs)

    monkeypatch.setattr(IAMBackend, "put_role_policy", policy_written(put_role_policy))
    monkeypatch.setattr(S3Backend, "put_public_access_block", policy_written(put_public_access_block))
    monkeypatch.setattr(SageMakerModelBackend, "create_model", sagemaker_relying_on_it(create_model, "CreateModel"))
    monkeypatch.setattr(SageMakerModelBackend, "create_transform_job",
                        sagemaker_relying_on_it(create_transform_job, "CreateTransformJob"))
    monkeypatch.setattr(S3Backend, "put_bucket_policy", s3_relying_on_it)
    monkeypatch.setattr(aws_failures, "pause", lag.pauses.append, raising=False)
    return lag


# ---- CloudFront as AWS answers ----

class CloudFrontPolicies:
    """Cache and response headers policies, which moto 5.2.5 does not have, kept as CloudFront keeps them: one
    name per account and kind, an ETag per version, updates only against the current ETag."""

    def __init__(self):
        self.policies = {"CachePolicy": {}, "ResponseHeadersPolicy": {}}
        self.ids = (f"{number:08d}-0000-4000-8000-000000000000" for number in itertools.count(1))
        self.etags = (f"E{number}" for number in itertools.count(1))

    def answer(self, operation: str, params: dict):
        for kind in self.policies:
            if operation.endswith(kind) or operation.endswith(f"{kind[:-len('Policy')]}Policies"):
                return getattr(self, operation[:operation.index(kind[:5])].lower())(kind, params)
        return None

    def list(self, kind, params):
        items = [{"Type": "custom", kind: {"Id": policy_id, f"{kind}Config": entry["config"]}}
                 for policy_id, entry in self.policies[kind].items()] if params.get("Type") != "managed" else []
        return 200, {f"{kind}List": {"MaxItems": 100, "Quantity": len(items), "Items": items}}

    def create(self, kind, params):
        config = params[f"{kind}Config"]
        if any(entry["config"]["Name"] == config["Name"] for entry in self.policies[kind].values()):
            return error(409, f"{kind}AlreadyExists", f"A {kind} named {config['Name']} exists.")
        policy_id = next(self.ids)
        self.policies[kind][policy_id] = {"config": config, "etag": next(self.etags)}
        return self.get(kind, {"Id": policy_id}, status=201)

    def get(self, kind, params, status=200):
        entry = self.policies[kind].get(params["Id"])
        if entry is None:
            return error(404, f"NoSuch{kind}", f"No {kind} {params['Id']}.")
        return status, {kind: {"Id": params["Id"], f"{kind}Config": entry["config"]}, "ETag": entry["etag"]}

    def update(self, kind, params):
        entry = self.policies[kind].get(params["Id"])
        if entry is None:
            return error(404, f"NoSuch{kind}", f"No {kind} {params['Id']}.")
        if params["IfMatch"] != entry["etag"]:
            return error(412, "PreconditionFailed", "The If-Match version is missing or not valid.")
        entry.update(config=params[f"{kind}Config"], etag=next(self.etags))
        return self.get(kind, params)

    def config(self, kind: str, policy_id: str) -> dict:
        return self.policies[kind][policy_id]["config"]


def error(status: int, code: str, message: str):
    return status, {"Error": {"Code": code, "Message": message}}


@dataclass
class StandInResponse:
    status_code: int
    headers: dict = field(default_factory=dict)


@pytest.fixture
def aws_like_cloudfront(aws, monkeypatch):
    """The CloudFront policies' stand-in, answering every CloudFront client's policy calls (after botocore has
    validated them, as for any call); and moto's distribution kept and answered as CloudFront does."""
    policies = CloudFrontPolicies()
    original_client = boto3.session.Session.client

    def remember_params(params, context, **_):
        context["api_params"] = dict(params)

    def answer_policy_call(model, context, **_):
        answered = policies.answer(model.name, context.get("api_params", {}))
        if answered is None:
            return None
        status, parsed = answered
        return StandInResponse(status), {**parsed, "ResponseMetadata": {"HTTPStatusCode": status}}

    def client(self, service_name, *args, **kwargs):
        made = original_client(self, service_name, *args, **kwargs)
        if service_name == "cloudfront":
            made.meta.events.register("before-parameter-build.cloudfront", remember_params)
            made.meta.events.register("before-call.cloudfront", answer_policy_call)
        return made

    allowed_methods_init = moto.cloudfront.models.AllowedMethods.__init__
    behaviour_init = moto.cloudfront.models.DefaultCacheBehaviour.__init__
    origin_init = moto.cloudfront.models.Origin.__init__

    def in_cloudfronts_order(self, config):
        allowed_methods_init(self, config)
        self.items = sorted(self.items, key=CLOUDFRONT_METHOD_ORDER.index)
        self.cached_methods["Items"] = sorted(self.cached_methods["Items"], key=CLOUDFRONT_METHOD_ORDER.index)

    def keeping_functions(self, config):
        behaviour_init(self, config)
        self.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}

    def keeping_access_control(self, origin):
        origin_init(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId", "")
        self.s3_origin_config = origin.get("S3OriginConfig")

    monkeypatch.setattr(boto3.session.Session, "client", client)
    monkeypatch.setattr(moto.cloudfront.models.AllowedMethods, "__init__", in_cloudfronts_order)
    monkeypatch.setattr(moto.cloudfront.models.DefaultCacheBehaviour, "__init__", keeping_functions)
    monkeypatch.setattr(moto.cloudfront.models.Origin, "__init__", keeping_access_control)
    return policies


class Edge:
    """One CloudFront edge location as a visitor meets it: the cache key is the path plus what the distribution's
    cache policy names (here: its query strings), a cached copy is served until an invalidation of its path, and a
    no-cache object is fetched from the bucket every time. The bucket is read straight from moto's S3."""

    def __init__(self, policies: CloudFrontPolicies, bucket: str):
        self.policies, self.bucket = policies, bucket
        self.cloudfront, self.s3 = boto3.client("cloudfront"), boto3.client("s3")
        self.cached: dict[str, bytes] = {}
        self.invalidations_seen: set[str] = set()

    def cache_policy(self) -> dict:
        [summary] = self.cloudfront.list_distributions()["DistributionList"]["Items"]
        config = self.cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
        self.apply_invalidations(summary["Id"])
        policy_id = config["DefaultCacheBehavior"]["CachePolicyId"]
        return MANAGED_CACHE_POLICIES.get(policy_id) or self.policies.config("CachePolicy", policy_id)

    def apply_invalidations(self, distribution_id: str) -> None:
        listing = self.cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
        for summary in listing.get("Items", []):
            if summary["Id"] in self.invalidations_seen:
                continue
            paths = self.cloudfront.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])[
                "Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
            self.cached = {key: body for key, body in self.cached.items() if key.split("?")[0] not in paths}
            self.invalidations_seen.add(summary["Id"])

    def fetch(self, url: str) -> bytes:
        path, _, query = url.partition("?")
        key = path if path != "/" else "/index.html"
        kept = cache_key_query(self.cache_policy(), query)
        cache_key = f"{key}?{kept}" if kept else key
        if cache_key in self.cached:
            return self.cached[cache_key]
        answer = self.s3.get_object(Bucket=self.bucket, Key=key.lstrip("/"))
        body = answer["Body"].read()
        if "no-cache" not in answer.get("CacheControl", ""):
            self.cached[cache_key] = body
        return body


def cache_key_query(policy: dict, query: str) -> str:
    config = policy["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    named = set(config.get("QueryStrings", {}).get("Items", []))
    behaviour = config["QueryStringBehavior"]
    kept = {"none": [], "all": pairs, "whitelist": [pair for pair in pairs if pair[0] in named],
            "allExcept": [pair for pair in pairs if pair[0] not in named]}[behaviour]
    return urllib.parse.urlencode(sorted(kept))
