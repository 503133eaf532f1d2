"""One stage's endpoint, end to end: package, upload, role, model, configuration, endpoint, logs, scaling.

Everything that could be refused (a bucket in another region, a serving-mode switch SageMaker cannot do in place)
is checked before anything is created.
"""
import argparse
from pathlib import Path

import boto3
from botocore.exceptions import NoRegionError

from scripts.aws_contract import API_GATEWAY_INTEGRATION_TIMEOUT_S
from scripts.chalice_project import ChaliceProjectError, read_config, stage_variable
from scripts.log_retention import endpoint_log_group, set_retention
from scripts.model_deploy import endpoint, roles, scaling
from scripts.model_deploy.archive import ModelArchive, build_model_archive
from scripts.model_deploy.artefacts import artefact_key, check_bucket, upload_archive
from scripts.model_deploy.errors import DeployError, say
from scripts.model_deploy.images import ServingImage, serving_image
from scripts.model_deploy.wheelhouse import download_wheels

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTAINER_CODE_DIR = "/opt/ml/model/code"
SERVERLESS_COLD_START_SECONDS = 30
"""What a serverless endpoint's first call after idling may take: SageMaker starts a container (image pull of the
multi-GB PyTorch inference image, the model server's start), installs the shipped wheels and loads the model
(bench/container_start.py measures those last two). AWS publishes no figure for a given image; this is an
assumption on the safe side, above the API's timeouts (aws_contract.API_GATEWAY_INTEGRATION_TIMEOUT_S)."""


def stage_settings(stage: str, project_dir: Path = PROJECT_ROOT) -> tuple[str, str]:
    """(app name, endpoint name) of a Chalice stage: the endpoint its deployed API invokes."""
    try:
        endpoint_name = stage_variable(project_dir, stage, "SAGEMAKER_ENDPOINT_NAME")
        app_name = read_config(project_dir)["app_name"]
    except (ChaliceProjectError, KeyError) as error:
        raise DeployError(f"{error}") from None
    if not endpoint_name:
        raise DeployError(f"stage {stage!r} sets no SAGEMAKER_ENDPOINT_NAME in .chalice/config.json.")
    return app_name, endpoint_name


def packaged_model(model_path: Path, image: ServingImage) -> ModelArchive:
    return build_model_archive(model_path, download_wheels(image.python, image.glibc))


def model_spec(role_arn: str, image: str, model_url: str, region: str) -> dict:
    return {
        "ExecutionRoleArn": role_arn,
        "PrimaryContainer": {
            "Image": image,
            "ModelDataUrl": model_url,
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": CONTAINER_CODE_DIR,
                            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_REGION": region},
        },
    }


def stage_gives_up_after_s(stage: str) -> float:
    """How long the stage's API waits for the endpoint: its read timeout, cut short by API Gateway's own."""
    read_timeout = float(stage_variable(PROJECT_ROOT, stage, "SAGEMAKER_READ_TIMEOUT") or 8)
    return min(read_timeout, API_GATEWAY_INTEGRATION_TIMEOUT_S)


def cold_start_notice(stage: str, args: argparse.Namespace) -> str | None:
    """What the first visitor after an idle spell sees on a serverless endpoint without provisioned concurrency:
    the stage gives up (its read timeout, then API Gateway's 29 s) before a cold start may be over."""
    if not args.serverless or args.provisioned_concurrency:
        return None
    gives_up = stage_gives_up_after_s(stage)
    return (f"note: serverless without provisioned concurrency: the first request after the endpoint idles waits for "
            f"a cold start (up to about {SERVERLESS_COLD_START_SECONDS} s), but stage {stage} gives up after "
            f"{gives_up:g} s, so that visitor gets an error (503 or 504) and the next request, once the container is "
            f"warm, an answer. Pass --provisioned-concurrency 1 to keep one warm (billed by the hour).")


def production_variant(args: argparse.Namespace, model_name: str) -> dict:
    if args.serverless:
        return endpoint.serverless_variant(model_name, args.serverless, args.max_concurrency,
                                           args.provisioned_concurrency)
    return endpoint.real_time_variant(model_name, args.instance_type, args.min_instances)


def hosting_role(iam, args: argparse.Namespace, app_name: str, account: str, partition: str, region: str,
                 prefix: str, image: str) -> tuple[str, bool]:
    """(role ARN, whether its policies were just written) for the stage: given, created/updated, or the existing one.
    Another resource of the stage that needs IAM (a feedback store's table, say) gets its statement in
    roles.hosting_policy, so that this one write covers it."""
    name = roles.role_name(app_name, args.stage)
    if args.role_arn:
        return args.role_arn, False
    if not args.create_role:
        return roles.existing_role(iam, name), False
    arn = roles.ensure_role(iam, name, partition, region, account)
    roles.put_policy(iam, name, roles.hosting_policy_name(app_name, args.stage),
                     roles.hosting_policy(partition, account, args.bucket, prefix, image))
    return arn, True


def deploy(args: argparse.Namespace, session: boto3.session.Session) -> str:
    """Everything after parsing; returns the endpoint name."""
    app_name, endpoint_name = stage_settings(args.stage)
    region = args.region or session.region_name
    if not region:
        raise NoRegionError()
    partition = session.get_partition_for_region(region)
    image = serving_image(region, partition, args.image_uri, args.image_python)
    sts, s3, iam, sagemaker, logs, autoscaling = (
        session.client(name, region_name=region)
        for name in ("sts", "s3", "iam", "sagemaker", "logs", "application-autoscaling"))

    scaling_target = scaling_target_of(args)
    account = sts.get_caller_identity()["Account"]
    mode = endpoint.SERVERLESS if args.serverless else endpoint.REAL_TIME
    running_variant = endpoint.check_endpoint_can_take(sagemaker, endpoint_name, mode)
    check_bucket(s3, args.bucket, region)
    notice = cold_start_notice(args.stage, args)
    if notice:
        say(notice)
    archive = packaged_model(args.model, image)
    prefix = f"{app_name}/models"
    role_arn, role_policy_written = hosting_role(iam, args, app_name, account, partition, region, prefix, image.uri)

    key = artefact_key(prefix, archive)
    upload_archive(s3, args.bucket, key, archive)
    model_name = endpoint.ensure_model(sagemaker, endpoint_name,
                                       model_spec(role_arn, image.uri, f"s3://{args.bucket}/{key}", region),
                                       role_policy_written)
    config_name = endpoint.ensure_endpoint_config(sagemaker, endpoint_name, production_variant(args, model_name))
    set_retention(logs, endpoint_log_group(endpoint_name), args.log_retention_days)
    if running_variant and running_variant.get("InstanceType") not in (None, args.instance_type):
        # Application Auto Scaling refuses an update that changes a scaled variant's instance type.
        scaling.remove_scaling(autoscaling, endpoint_name, endpoint.VARIANT_NAME)
    changed = endpoint.ensure_endpoint(sagemaker, endpoint_name, config_name)
    if not args.no_wait:
        endpoint.wait_in_service(sagemaker, endpoint_name, config_name)
    if mode == endpoint.REAL_TIME:
        scale(autoscaling, args, endpoint_name, scaling_target, ready=not (args.no_wait and changed))
    return endpoint_name


def scaling_target_of(args: argparse.Namespace) -> float | None:
    """Invocations per instance per minute to scale on; None when the endpoint does not scale."""
    if args.serverless or args.max_instances <= args.min_instances:
        return None
    return args.target_invocations or scaling.default_target(args.instance_type)


def scale(autoscaling, args: argparse.Namespace, endpoint_name: str, target: float | None, ready: bool) -> None:
    if target is None:
        scaling.remove_scaling(autoscaling, endpoint_name, endpoint.VARIANT_NAME)
        return
    if not ready:
        say("auto-scaling not set: the endpoint is still being created or updated (--no-wait); run again once it is "
            "InService")
        return
    scaling.apply_scaling(autoscaling, endpoint_name, endpoint.VARIANT_NAME, args.min_instances, args.max_instances,
                          target)
