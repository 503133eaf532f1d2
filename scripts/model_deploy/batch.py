"""Classify a whole catalogue with a SageMaker Batch Transform job on the model the stage's endpoint serves.

The job reads the catalogue's images through a manifest (only image files, as a local classify.py run picks
them), sends each to the same container code as one request (Content-Type application/x-image, Accept JSON), and
writes each answer next to the input's relative path with `.out` appended. The answers are then turned into the
JSON lines a local `scripts/classify.py` run writes, one per image, in the catalogue's order.
"""
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath

from scripts.classify import IMAGE_CONTENT_TYPES, answer_summary
from scripts.model_deploy.errors import DeployError, say
from scripts.model_deploy.endpoint import MAX_NAME_LENGTH, current_variant, describe_endpoint

CONTENT_TYPE = "application/x-image"
ACCEPT = "application/json"
OUTPUT_SUFFIX = ".out"
MANIFEST_SUFFIX = ".manifest"
MAX_PAYLOAD_MB = 6
"""One poster per request, at most what a real-time invocation takes; with --concurrency it must stay within
aws_contract.MAX_TRANSFORM_PAYLOAD_PRODUCT_MB."""
POLL_SECONDS = 30
RUNNING_STATUSES = frozenset({"InProgress", "Stopping"})
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    """Empty, or ending with '/': a folder."""

    @classmethod
    def parse(cls, url: str) -> "S3Location":
        if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
            raise DeployError(f"{url} is not an S3 folder URL like s3://bucket/folder/.")
        bucket, _, prefix = url[5:].partition("/")
        return cls(bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/")

    def url(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"


def catalogue_images(s3, catalogue: S3Location) -> list[str]:
    """Keys (relative to the catalogue folder) of its image files, sorted, as classify.py picks files in a folder."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=catalogue.bucket, Prefix=catalogue.prefix):
        keys += [item["Key"][len(catalogue.prefix):] for item in page.get("Contents", [])
                 if PurePosixPath(item["Key"]).suffix.lower() in IMAGE_CONTENT_TYPES]
    if not keys:
        raise DeployError(f"{catalogue.url()} holds no image files ({', '.join(IMAGE_CONTENT_TYPES)}).")
    return sorted(keys)


def stage_model(sagemaker, endpoint_name: str) -> dict:
    """The SageMaker model the stage's endpoint serves: the batch job runs that very package."""
    endpoint = describe_endpoint(sagemaker, endpoint_name)
    if endpoint is None:
        raise DeployError(f"endpoint {endpoint_name} does not exist: deploy the model first with "
                          f"scripts/deploy_model.py, whose model the batch transform runs.")
    return sagemaker.describe_model(ModelName=current_variant(sagemaker, endpoint)["ModelName"])


def job_name(endpoint_name: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return f"{endpoint_name[:MAX_NAME_LENGTH - len(stamp) - 1]}-{stamp}"


def write_manifest(s3, catalogue: S3Location, keys: list[str], answers: S3Location, name: str) -> str:
    """A manifest listing only the catalogue's images; returns its URL."""
    key = f"{answers.prefix}{name}{MANIFEST_SUFFIX}"
    s3.put_object(Bucket=answers.bucket, Key=key, Body=json.dumps([{"prefix": catalogue.url()}, *keys]).encode(),
                  ContentType="application/json")
    return f"s3://{answers.bucket}/{key}"


def transform_job_spec(name: str, model_name: str, manifest_url: str, answers: S3Location, instance_type: str,
                       instance_count: int, concurrency: int) -> dict:
    return {
        "TransformJobName": name, "ModelName": model_name,
        "BatchStrategy": "SingleRecord", "MaxPayloadInMB": MAX_PAYLOAD_MB, "MaxConcurrentTransforms": concurrency,
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": manifest_url}},
                           "ContentType": CONTENT_TYPE, "SplitType": "None", "CompressionType": "None"},
        "TransformOutput": {"S3OutputPath": answers.url().rstrip("/"), "Accept": ACCEPT, "AssembleWith": "None"},
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": instance_count},
    }


def answer_keys(s3, answers: S3Location) -> list[str]:
    """Keys of every answer the job has written so far."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=answers.bucket, Prefix=answers.prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(OUTPUT_SUFFIX)]
    return keys


def answers_written(s3, answers: S3Location) -> int:
    return len(answer_keys(s3, answers))


def answer_key_of(key: str, answers: S3Location, written: set[str]) -> str | None:
    """Where the job wrote an image's answer: under the output path at the image's path relative to the manifest's
    prefix, + .out. AWS's documentation also shows the input prefix's last folder in between, so a single written
    key ending in /<relative path>.out is taken too."""
    expected = f"{answers.prefix}{key}{OUTPUT_SUFFIX}"
    if expected in written:
        return expected
    candidates = [item for item in written if item.endswith(f"/{key}{OUTPUT_SUFFIX}")]
    return candidates[0] if len(candidates) == 1 else None


def wait_for_job(sagemaker, s3, name: str, answers: S3Location, total: int) -> dict:
    """Poll until the job ends, printing its status and how many answers are written; returns its description."""
    started, last_line = time.monotonic(), None
    on_terminal = sys.stderr.isatty()
    while True:
        job = sagemaker.describe_transform_job(TransformJobName=name)
        status, elapsed = job["TransformJobStatus"], int(time.monotonic() - started)
        line = (f"transform {name}: {status}, {answers_written(s3, answers)}/{total} answers "
                f"({elapsed // 60}m{elapsed % 60:02d}s)")
        if on_terminal:
            print(f"\r{line}\033[K", end="" if status in RUNNING_STATUSES else "\n", file=sys.stderr, flush=True)
        elif line.split(" (")[0] != last_line:
            say(line)
        last_line = line.split(" (")[0]
        if status not in RUNNING_STATUSES:
            return job
        time.sleep(POLL_SECONDS)


def answer_lines(s3, catalogue: S3Location, keys: list[str], answers: S3Location, failure: str | None):
    """One classify.py line per image: its answer turned into the local run's fields, or an error."""
    written = set(answer_keys(s3, answers))
    for key in keys:
        path = catalogue.url(key)
        answer_key = answer_key_of(key, answers, written)
        if answer_key is None:
            reason = f"the batch transform wrote no answer ({failure or 'see ' + TRANSFORM_LOG_GROUP})"
            yield {"path": path, "error": reason}
            continue
        body = s3.get_object(Bucket=answers.bucket, Key=answer_key)["Body"].read()
        try:
            yield {"path": path, **answer_summary(json.loads(body))}
        except (ValueError, KeyError, TypeError, IndexError) as error:
            yield {"path": path, "error": f"the model answered something unexpected: {error}"}
