"""Classify a whole catalogue of posters in S3 with a SageMaker Batch Transform job, as JSON lines.

    .venv/bin/python scripts/batch_transform.py --stage dev s3://catalogue/posters/ s3://answers/run-1/ [--output FILE]

The job runs the model the stage's endpoint serves (deploy it first with scripts/deploy_model.py) on instances of
its own, started for the job and stopped after it: the endpoint's traffic is untouched. It waits with progress on
stderr, then writes one line per image, the same fields a local `scripts/classify.py` run writes, with the image's
s3:// URL as path. `--job-name NAME` picks up a job that was started before (after Ctrl-C, or --no-wait). Exit
status 1 if the job failed or any image got no answer.
"""
import argparse
import contextlib
import json
import sys
from pathlib import Path

import boto3
from botocore.exceptions import NoRegionError

from scripts.aws_contract import transform_payload_refusal
from scripts.aws_failures import retry_while_iam_propagates, run_reporting_failures
from scripts.log_retention import add_retention_argument, set_retention
from scripts.model_deploy import batch, roles
from scripts.model_deploy.deployment import stage_settings
from scripts.model_deploy.errors import DeployError, describe_or_none, say

DEFAULT_INSTANCE_TYPE = "ml.m5.large"


class JobFailed(Exception):
    """The job ended without answering every image; the lines are written all the same."""


def existing_job(sagemaker, name: str | None) -> dict | None:
    if not name:
        return None
    return describe_or_none(sagemaker, "DescribeTransformJob", TransformJobName=name)


def start_job(args, session, region: str, catalogue: batch.S3Location, answers: batch.S3Location,
              keys: list[str]) -> str:
    app_name, endpoint_name = stage_settings(args.stage)
    sagemaker, s3, iam, logs = (session.client(name, region_name=region) for name in ("sagemaker", "s3", "iam", "logs"))
    model = batch.stage_model(sagemaker, endpoint_name)
    stage_role = roles.role_name(app_name, args.stage)
    policy_written = model["ExecutionRoleArn"].endswith(f":role/{stage_role}")
    if policy_written:
        partition = session.get_partition_for_region(region)
        roles.put_policy(iam, stage_role, roles.batch_policy_name(app_name, args.stage), roles.batch_policy(
            partition, catalogue.bucket, catalogue.prefix, answers.bucket, answers.prefix))
    else:
        say(f"the model's role {model['ExecutionRoleArn']} is not this project's: it must read {catalogue.url()} "
            f"and write {answers.url()}")
    name = args.job_name or batch.job_name(endpoint_name)
    manifest = batch.write_manifest(s3, catalogue, keys, answers, name)
    set_retention(logs, batch.TRANSFORM_LOG_GROUP, args.log_retention_days)
    spec = batch.transform_job_spec(name, model["ModelName"], manifest, answers, args.instance_type,
                                    args.instance_count, args.concurrency)
    create = lambda: sagemaker.create_transform_job(**spec)  # noqa: E731
    if policy_written:
        retry_while_iam_propagates(create, f"CreateTransformJob {name} with role {model['ExecutionRoleArn']}")
    else:
        create()
    say(f"started batch transform {name}: {len(keys)} images from {catalogue.url()} with model {model['ModelName']}")
    return name


def transform(args: argparse.Namespace, session: boto3.session.Session) -> None:
    region = args.region or session.region_name
    if not region:
        raise NoRegionError()
    catalogue, answers = batch.S3Location.parse(args.catalogue), batch.S3Location.parse(args.answers)
    sagemaker, s3 = session.client("sagemaker", region_name=region), session.client("s3", region_name=region)
    keys = batch.catalogue_images(s3, catalogue)
    if existing_job(sagemaker, args.job_name):
        name = args.job_name
        say(f"following batch transform {name}")
    else:
        name = start_job(args, session, region, catalogue, answers, keys)
    if args.no_wait:
        say(f"not waiting: run again with --job-name {name} to wait and write the lines")
        return
    job = batch.wait_for_job(sagemaker, s3, name, answers, len(keys))
    failure = None if job["TransformJobStatus"] == "Completed" else job.get("FailureReason", job["TransformJobStatus"])
    failed_images = 0
    with open(args.output, "w", encoding="utf-8") if args.output else contextlib.nullcontext(sys.stdout) as out:
        for line in batch.answer_lines(s3, catalogue, keys, answers, failure):
            failed_images += "error" in line
            out.write(json.dumps(line) + "\n")
    if failure or failed_images:
        raise JobFailed(f"batch transform {name} ended {job['TransformJobStatus']}"
                        f"{': ' + failure if failure else ''}; {failed_images} of {len(keys)} images got no answer "
                        f"(see CloudWatch log group {batch.TRANSFORM_LOG_GROUP}).")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogue", help="s3://bucket/folder/ of poster images (searched recursively)")
    parser.add_argument("answers", help="s3://bucket/folder/ where the job writes its answers")
    parser.add_argument("--stage", required=True, help="Chalice stage whose endpoint's model classifies")
    parser.add_argument("--region", help="region of the endpoint and buckets (default: AWS configuration)")
    parser.add_argument("--instance-type", default=DEFAULT_INSTANCE_TYPE, help="default: %(default)s")
    parser.add_argument("--instance-count", type=int, default=1, help="instances the job runs on (default: 1)")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="requests each instance serves at once (default: 2, one per vCPU of ml.m5.large)")
    parser.add_argument("--job-name", help="name of the job; an existing job of that name is followed, not started")
    parser.add_argument("--no-wait", action="store_true", help="start the job and return")
    parser.add_argument("--output", type=Path, help="write the JSON lines to this file (default: stdout)")
    add_retention_argument(parser, "days the transform jobs' logs are kept, set only where the account's shared "
                                   "group /aws/sagemaker/TransformJobs has no retention yet (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.instance_count < 1 or args.concurrency < 1:
        parser.error("--instance-count and --concurrency must be at least 1")
    refusal = transform_payload_refusal(args.concurrency, batch.MAX_PAYLOAD_MB)
    if refusal:
        parser.error(refusal)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run_reporting_failures(lambda: transform(args, boto3.session.Session()), (DeployError, JobFailed,
                                                                                           OSError))
    except KeyboardInterrupt:
        print("error: interrupted: the job goes on; run again with --job-name to follow it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
