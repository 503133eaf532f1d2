"""Where model.tar.gz lives: an S3 bucket in the endpoint's region, under a key named by its content."""
from botocore.exceptions import ClientError

from scripts.aws_failures import error_code
from scripts.model_deploy.archive import ModelArchive
from scripts.model_deploy.errors import DeployError, say


def check_bucket(s3, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error_code(error) in ("404", "NoSuchBucket"):
            raise DeployError(f"S3 bucket {bucket} does not exist: create it with `aws s3 mb s3://{bucket} "
                              f"--region {region}` or pass another --bucket.") from error
        if error_code(error) in ("403", "AccessDenied", "Forbidden"):
            raise DeployError(f"these credentials may not use S3 bucket {bucket} (it may belong to another "
                              f"account): pass a bucket of yours with --bucket.") from error
        raise
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    location = "eu-west-1" if location == "EU" else location
    if location != region:
        raise DeployError(f"S3 bucket {bucket} is in {location}, but SageMaker reads model artefacts only from "
                          f"its own region {region}: use a bucket in {region}, or pass --region {location}.")


def artefact_key(prefix: str, archive: ModelArchive) -> str:
    return f"{prefix}/model-{archive.digest[:16]}.tar.gz"


def upload_archive(s3, bucket: str, key: str, archive: ModelArchive) -> None:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        say(f"s3://{bucket}/{key} already holds this model")
        return
    except ClientError as error:
        if error_code(error) not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=archive.data, ContentType="application/gzip")
    say(f"uploaded s3://{bucket}/{key} ({len(archive.data) / 1e6:.1f} MB)")
