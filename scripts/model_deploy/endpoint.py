"""The SageMaker model, endpoint configuration and endpoint: created once, named by content, rolled out in place.

A model or configuration is named after a hash of its spec, so an unchanged deploy changes nothing. SageMaker
cannot switch an endpoint between real-time and serverless with UpdateEndpoint, so that switch is refused before
anything is created, with the command that does it.
"""
import hashlib
import json
import sys
import time

from scripts.aws_failures import retry_while_iam_propagates
from scripts.log_retention import endpoint_log_group
from scripts.model_deploy.errors import DeployError, describe_or_none, say

VARIANT_NAME = "AllTraffic"
MAX_NAME_LENGTH = 63
POLL_SECONDS = 15
WAIT_TIMEOUT_SECONDS = 45 * 60
IN_PROGRESS_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})
SERVERLESS, REAL_TIME = "serverless", "real-time"


def resource_name(base: str, spec: dict) -> str:
    """base-<hash of spec>: a different spec gets a different name; the same spec the same one."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"{base[:MAX_NAME_LENGTH - len(digest) - 1]}-{digest}"


def serving_mode(variant: dict) -> str:
    return SERVERLESS if variant.get("ServerlessConfig") else REAL_TIME


def real_time_variant(model_name: str, instance_type: str, instance_count: int) -> dict:
    return {"VariantName": VARIANT_NAME, "ModelName": model_name, "InstanceType": instance_type,
            "InitialInstanceCount": instance_count, "InitialVariantWeight": 1.0}


def serverless_variant(model_name: str, memory_mb: int, max_concurrency: int,
                       provisioned_concurrency: int | None) -> dict:
    config = {"MemorySizeInMB": memory_mb, "MaxConcurrency": max_concurrency}
    if provisioned_concurrency:
        config["ProvisionedConcurrency"] = provisioned_concurrency
    return {"VariantName": VARIANT_NAME, "ModelName": model_name, "ServerlessConfig": config}


def ensure_model(sagemaker, endpoint_name: str, spec: dict, role_policy_written: bool) -> str:
    """The model of that spec, created when missing; right after its role's policy was written, SageMaker may not
    be able to use the role yet (IAM is eventually consistent), so the creation is retried a while."""
    name = resource_name(endpoint_name, spec)
    if describe_or_none(sagemaker, "DescribeModel", ModelName=name) is not None:
        say(f"model {name} exists")
        return name
    create = lambda: sagemaker.create_model(ModelName=name, **spec)  # noqa: E731
    if role_policy_written:
        retry_while_iam_propagates(create, f"CreateModel with role {spec['ExecutionRoleArn']}")
    else:
        create()
    say(f"created model {name} ({spec['PrimaryContainer']['Image']})")
    return name


def ensure_endpoint_config(sagemaker, endpoint_name: str, variant: dict) -> str:
    spec = {"ProductionVariants": [variant]}
    name = resource_name(endpoint_name, spec)
    if describe_or_none(sagemaker, "DescribeEndpointConfig", EndpointConfigName=name) is not None:
        say(f"endpoint configuration {name} exists")
    else:
        sagemaker.create_endpoint_config(EndpointConfigName=name, **spec)
        say(f"created endpoint configuration {name}")
    return name


def describe_endpoint(sagemaker, name: str) -> dict | None:
    return describe_or_none(sagemaker, "DescribeEndpoint", EndpointName=name)


def current_variant(sagemaker, endpoint: dict) -> dict:
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return config["ProductionVariants"][0]


def check_endpoint_can_take(sagemaker, name: str, mode: str) -> dict | None:
    """The endpoint's current variant (None when there is no endpoint), refusing what UpdateEndpoint cannot do."""
    endpoint = describe_endpoint(sagemaker, name)
    if endpoint is None:
        return None
    status = endpoint["EndpointStatus"]
    if status == "Failed":
        raise DeployError(f"endpoint {name} is Failed ({endpoint.get('FailureReason', 'no reason given')}): "
                          f"delete it with `aws sagemaker delete-endpoint --endpoint-name {name}` and run again.")
    variant = current_variant(sagemaker, endpoint)
    if serving_mode(variant) != mode:
        raise DeployError(
            f"endpoint {name} is {serving_mode(variant)} and SageMaker cannot switch an endpoint to {mode} in "
            f"place: delete it with `aws sagemaker delete-endpoint --endpoint-name {name}`, wait until "
            f"`aws sagemaker describe-endpoint --endpoint-name {name}` says it does not exist, then run this "
            f"command again (the API answers 503 until the new endpoint is InService).")
    return variant


def ensure_endpoint(sagemaker, name: str, config_name: str) -> bool:
    """Create the endpoint, or point it at config_name; False when it already uses it."""
    endpoint = describe_endpoint(sagemaker, name)
    if endpoint is None:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
        say(f"creating endpoint {name} with {config_name}")
        return True
    if endpoint["EndpointConfigName"] == config_name:
        say(f"endpoint {name} already uses {config_name}: nothing to change")
        return False
    if endpoint["EndpointStatus"] in IN_PROGRESS_STATUSES:
        raise DeployError(f"endpoint {name} is {endpoint['EndpointStatus']}: run again once it is InService.")
    sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
    say(f"updating endpoint {name} from {endpoint['EndpointConfigName']} to {config_name}")
    return True


def wait_in_service(sagemaker, name: str, config_name: str) -> None:
    """Poll until InService with config_name, printing one progress line (rewritten in place on a terminal)."""
    started = time.monotonic()
    on_terminal = sys.stderr.isatty()
    last_status = None
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
        status, elapsed = endpoint["EndpointStatus"], int(time.monotonic() - started)
        line = f"endpoint {name}: {status} ({elapsed // 60}m{elapsed % 60:02d}s)"
        if on_terminal:
            print(f"\r{line}\033[K", end="" if status in IN_PROGRESS_STATUSES else "\n", file=sys.stderr, flush=True)
        elif status != last_status:
            say(line)
        last_status = status
        if status == "InService":
            if endpoint["EndpointConfigName"] != config_name:
                raise DeployError(f"the update of endpoint {name} failed and was rolled back to "
                                  f"{endpoint['EndpointConfigName']}: {endpoint.get('FailureReason', 'no reason')}.")
            return
        if status not in IN_PROGRESS_STATUSES:
            raise DeployError(f"endpoint {name} is {status}: {endpoint.get('FailureReason', 'no reason given')} "
                              f"(see CloudWatch log group {endpoint_log_group(name)}).")
        if elapsed > WAIT_TIMEOUT_SECONDS:
            raise DeployError(f"endpoint {name} is still {status} after {elapsed // 60} minutes: see CloudWatch "
                              f"log group {endpoint_log_group(name)}.")
        time.sleep(POLL_SECONDS)
