"""Host the poster classifier on a SageMaker endpoint that the stage's deployed API calls.

Run `.venv/bin/python scripts/deploy_model.py --stage dev --bucket NAME [--create-role | --role-arn ARN]
[--serverless MEMORY_MB | --instance-type TYPE] [--region REGION] [--no-wait]`. It packages model.tar.gz
for the AWS PyTorch inference container (the ONNX file at the root, code/inference.py with the
poster_model modules it needs, code/requirements.txt that the container pip-installs at start), uploads it
to s3://BUCKET/<app>/models/ under its content hash, creates the SageMaker model and endpoint configuration
(named after that hash, so an unchanged model changes nothing) and creates the endpoint named by the stage's
SAGEMAKER_ENDPOINT_NAME, or rolls a changed model out to it with UpdateEndpoint. Progress goes to stderr;
the endpoint name is printed on stdout. boto3 clients are created the standard way, so profiles and
AWS_ENDPOINT_URL apply.
"""
import argparse
import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError, NoRegionError

from poster_model.predictor import DEFAULT_MODEL_PATH, MODEL_FILE_NAME
from scripts.aws_failures import run_reporting_failures
from scripts.chalice_project import ChaliceProjectError, read_config, stage_variable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_ROOT / "poster_model"
INFERENCE_SOURCE = PACKAGE_DIR / "sagemaker_inference.py"
SHIPPED_PACKAGE_FILES = ("__init__.py", "invocation.py", "predictor.py", "preprocess.py")
"""The poster_model modules the inference code imports: no web server, nothing beyond onnxruntime/numpy/Pillow."""
SERVING_PACKAGES = ("onnxruntime", "numpy", "Pillow")
REQUIREMENT_FILES = (PROJECT_ROOT / "requirements.txt", PROJECT_ROOT / "requirements-dev.txt")
ARCHIVE_MTIME = 946684800
"""2000-01-01: every archive member gets this time, so an unchanged model packs to the same bytes."""

PYTORCH_INFERENCE_REPOSITORY = "pytorch-inference"
PYTORCH_INFERENCE_TAG = "2.6.0-cpu-py312"
# Registry account of the AWS PyTorch inference images (x86, version 2.6.0) per region, as in the
# SageMaker Python SDK's table sagemaker-core/src/sagemaker/core/image_uri_config/pytorch.json
# ("inference" -> "versions" -> "2.6.0" -> "registries"), which image_uris.retrieve(framework="pytorch",
# version="2.6.0", py_version="py312", image_scope="inference", instance_type="ml.*") reads. Kept here
# instead of depending on the SDK (sagemaker 3.x is a meta-package pulling sagemaker-core, -train, -serve
# and -mlops). The container runs any Python inference.py and pip-installs code/requirements.txt.
PYTORCH_INFERENCE_REGISTRIES = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}
PARTITION_DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}

CONTAINER_CODE_DIR = "/opt/ml/model/code"
VARIANT_NAME = "AllTraffic"
DEFAULT_INSTANCE_TYPE = "ml.t2.medium"
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
MAX_NAME_LENGTH = 63
POLL_SECONDS = 15
WAIT_TIMEOUT_SECONDS = 45 * 60
ROLE_PROPAGATION_SECONDS = 60
"""A new IAM role takes a few seconds before SageMaker can assume it."""
IN_PROGRESS_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


class DeployError(Exception):
    """A problem the user can fix; main() prints it as one line."""


@dataclass(frozen=True)
class ModelArchive:
    data: bytes
    digest: str
    """sha256 of the uncompressed tar stream: independent of the zlib build that gzipped it."""


def pinned_versions() -> dict[str, str]:
    """The project's own pins ("name==version") of SERVING_PACKAGES, so the endpoint runs what the tests ran."""
    wanted = {name.lower(): name for name in SERVING_PACKAGES}
    pins = {}
    for path in REQUIREMENT_FILES:
        for line in path.read_text().splitlines():
            match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+).*", line)
            if match and match.group(1).lower() in wanted:
                pins.setdefault(wanted[match.group(1).lower()], match.group(2))
    missing = [name for name in SERVING_PACKAGES if name not in pins]
    if missing:
        raise DeployError(f"no pinned version (name==version) of {', '.join(missing)} in "
                          f"{', '.join(path.name for path in REQUIREMENT_FILES)}.")
    return pins


def container_requirements() -> bytes:
    pins = pinned_versions()
    return "".join(f"{name}=={pins[name]}\n" for name in SERVING_PACKAGES).encode()


def archive_members(model_path: Path) -> dict[str, bytes]:
    """Archive path -> content, in the layout the SageMaker framework containers load."""
    if not model_path.is_file():
        raise DeployError(f"model file {model_path} not found: train it with `make model` or pass --model PATH.")
    members = {MODEL_FILE_NAME: model_path.read_bytes(),
               "code/inference.py": INFERENCE_SOURCE.read_bytes(),
               "code/requirements.txt": container_requirements()}
    for name in SHIPPED_PACKAGE_FILES:
        members[f"code/poster_model/{name}"] = (PACKAGE_DIR / name).read_bytes()
    return members


def build_model_archive(model_path: Path) -> ModelArchive:
    """model.tar.gz with fixed order, times, owners and modes: the same inputs give the same bytes."""
    members = archive_members(model_path)
    directories = sorted({str(Path(name).parent) for name in members} - {"."})
    tar_stream = io.BytesIO()
    with tarfile.open(fileobj=tar_stream, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for directory in directories:
            archive.addfile(tar_entry(directory, tarfile.DIRTYPE, 0o755))
        for name in sorted(members):
            entry = tar_entry(name, tarfile.REGTYPE, 0o644)
            entry.size = len(members[name])
            archive.addfile(entry, io.BytesIO(members[name]))
    tar_bytes = tar_stream.getvalue()
    return ModelArchive(gzip.compress(tar_bytes, compresslevel=9, mtime=0), hashlib.sha256(tar_bytes).hexdigest())


def tar_entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.type, entry.mode, entry.mtime = kind, mode, ARCHIVE_MTIME
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = "root"
    return entry


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


def container_image(region: str, partition: str) -> str:
    """The AWS PyTorch CPU inference image in region (see PYTORCH_INFERENCE_REGISTRIES)."""
    account = PYTORCH_INFERENCE_REGISTRIES.get(region)
    if account is None or partition not in PARTITION_DNS_SUFFIXES:
        raise DeployError(f"no AWS PyTorch inference image is known for region {region}: "
                          f"pass --image-uri or use one of {', '.join(sorted(PYTORCH_INFERENCE_REGISTRIES))}.")
    return (f"{account}.dkr.ecr.{region}.{PARTITION_DNS_SUFFIXES[partition]}/"
            f"{PYTORCH_INFERENCE_REPOSITORY}:{PYTORCH_INFERENCE_TAG}")


def resource_name(base: str, spec: dict) -> str:
    """base-<hash of spec>: a different spec gets a different name; the same spec the same one."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"{base[:MAX_NAME_LENGTH - len(digest) - 1]}-{digest}"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


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


def trust_policy() -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
                       r"(?P<repository>[^:@]+)")


def image_repository_arn(image: str, partition: str) -> str:
    """The ECR repository the role may pull from: the one the endpoint's image lives in."""
    match = ECR_IMAGE.match(image)
    if not match:
        raise DeployError(f"--create-role needs an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), "
                          f"not {image}.")
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def hosting_policy(partition: str, account: str, bucket: str, prefix: str, image: str) -> dict:
    """Only what hosting needs: read the model artefacts, pull the image, write the endpoint's logs."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadModelArtefacts", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}/*"},
        {"Sid": "WriteEndpointLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": f"arn:{partition}:logs:*:{account}:log-group:/aws/sagemaker/*"},
        {"Sid": "PullContainerImageToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
         "Resource": "*"},
        {"Sid": "PullContainerImage", "Effect": "Allow",
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
         "Resource": image_repository_arn(image, partition)},
    ]}


def create_role(iam, role_name: str, policy_name: str, policy: dict) -> tuple[str, bool]:
    """Create the role (or keep the one of that name) and set its inline policy; (ARN, created)."""
    try:
        arn = iam.create_role(
            RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust_policy()),
            Description="Lets SageMaker host the poster classifier: read its model artefacts, pull the "
                        "PyTorch inference image, write the endpoint's logs.")["Role"]["Arn"]
        created = True
        say(f"created IAM role {arn}, assumable by sagemaker.amazonaws.com")
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
        arn, created = iam.get_role(RoleName=role_name)["Role"]["Arn"], False
        say(f"IAM role {arn} already exists")
    iam.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
    reading, pulling = policy["Statement"][0]["Resource"], policy["Statement"][-1]["Resource"]
    say(f"set its inline policy {policy_name}: s3:GetObject on {reading}, CloudWatch Logs writes to "
        f"/aws/sagemaker/*, ECR pulls from {pulling}")
    return arn, created


def existing_role(iam, role_name: str) -> str:
    try:
        return iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise DeployError(f"IAM role {role_name} does not exist: pass --create-role to create it, or "
                              f"--role-arn ARN to use a role of yours.") from error
        raise


def ensure_model(sagemaker, endpoint_name: str, spec: dict, new_role: bool) -> str:
    name = resource_name(endpoint_name, spec)
    try:
        sagemaker.describe_model(ModelName=name)
        say(f"model {name} exists")
        return name
    except ClientError as error:
        if not is_missing(error):
            raise
    deadline = time.monotonic() + (ROLE_PROPAGATION_SECONDS if new_role else 0)
    while True:
        try:
            sagemaker.create_model(ModelName=name, **spec)
            break
        except ClientError as error:
            if "assume" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(5)
    say(f"created model {name} ({spec['PrimaryContainer']['Image']})")
    return name


def ensure_endpoint_config(sagemaker, endpoint_name: str, variant: dict) -> str:
    spec = {"ProductionVariants": [variant]}
    name = resource_name(endpoint_name, spec)
    try:
        sagemaker.describe_endpoint_config(EndpointConfigName=name)
        say(f"endpoint configuration {name} exists")
    except ClientError as error:
        if not is_missing(error):
            raise
        sagemaker.create_endpoint_config(EndpointConfigName=name, **spec)
        say(f"created endpoint configuration {name}")
    return name


def is_missing(error: ClientError) -> bool:
    """SageMaker answers a describe of a missing resource with ValidationException 'Could not find ...'."""
    return error_code(error) == "ValidationException" and "could not find" in str(error).lower()


def describe_endpoint(sagemaker, name: str) -> dict | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as error:
        if is_missing(error):
            return None
        raise


def ensure_endpoint(sagemaker, name: str, config_name: str) -> None:
    """Create the endpoint, or point it at config_name; leave it alone when it already uses it."""
    endpoint = describe_endpoint(sagemaker, name)
    if endpoint is None:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
        say(f"creating endpoint {name} with {config_name}")
        return
    status = endpoint["EndpointStatus"]
    if status == "Failed":
        raise DeployError(f"endpoint {name} is Failed ({endpoint.get('FailureReason', 'no reason given')}): "
                          f"delete it with `aws sagemaker delete-endpoint --endpoint-name {name}` and run again.")
    if endpoint["EndpointConfigName"] == config_name:
        say(f"endpoint {name} already uses {config_name}: nothing to change")
        return
    if status in IN_PROGRESS_STATUSES:
        raise DeployError(f"endpoint {name} is {status}: run again once it is InService.")
    sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
    say(f"updating endpoint {name} from {endpoint['EndpointConfigName']} to {config_name}")


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
                              f"(see CloudWatch log group /aws/sagemaker/Endpoints/{name}).")
        if elapsed > WAIT_TIMEOUT_SECONDS:
            raise DeployError(f"endpoint {name} is still {status} after {elapsed // 60} minutes: see CloudWatch "
                              f"log group /aws/sagemaker/Endpoints/{name}.")
        time.sleep(POLL_SECONDS)


def production_variant(args: argparse.Namespace, model_name: str) -> dict:
    variant = {"VariantName": VARIANT_NAME, "ModelName": model_name}
    if args.serverless:
        variant["ServerlessConfig"] = {"MemorySizeInMB": args.serverless, "MaxConcurrency": args.max_concurrency}
    else:
        variant.update(InstanceType=args.instance_type, InitialInstanceCount=1, InitialVariantWeight=1.0)
    return variant


def deploy(args: argparse.Namespace, session: boto3.session.Session) -> str:
    """Everything after packaging; returns the endpoint name."""
    app_name, endpoint_name = stage_settings(args.stage)
    archive = build_model_archive(args.model)
    region = args.region or session.region_name
    if not region:
        raise NoRegionError()
    partition = session.get_partition_for_region(region)
    image = args.image_uri or container_image(region, partition)
    sts, s3, iam, sagemaker = (session.client(name, region_name=region) for name in ("sts", "s3", "iam", "sagemaker"))

    account = sts.get_caller_identity()["Account"]
    check_bucket(s3, args.bucket, region)
    prefix = f"{app_name}/models"
    role_name = f"{app_name}-sagemaker"
    new_role = False
    if args.role_arn:
        role_arn = args.role_arn
    elif args.create_role:
        role_arn, new_role = create_role(iam, role_name, f"{app_name}-model-hosting",
                                         hosting_policy(partition, account, args.bucket, prefix, image))
    else:
        role_arn = existing_role(iam, role_name)

    key = f"{prefix}/model-{archive.digest[:16]}.tar.gz"
    upload_archive(s3, args.bucket, key, archive)
    model_spec = {
        "ExecutionRoleArn": role_arn,
        "PrimaryContainer": {
            "Image": image,
            "ModelDataUrl": f"s3://{args.bucket}/{key}",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": CONTAINER_CODE_DIR,
                            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_REGION": region},
        },
    }
    model_name = ensure_model(sagemaker, endpoint_name, model_spec, new_role)
    config_name = ensure_endpoint_config(sagemaker, endpoint_name, production_variant(args, model_name))
    ensure_endpoint(sagemaker, endpoint_name, config_name)
    if not args.no_wait:
        wait_in_service(sagemaker, endpoint_name, config_name)
    return endpoint_name


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", help="Chalice stage whose SAGEMAKER_ENDPOINT_NAME is the endpoint (dev, prod)")
    parser.add_argument("--bucket", help="existing S3 bucket, in the endpoint's region, for model.tar.gz")
    parser.add_argument("--region", help="region of the endpoint, the same as the API's (default: AWS configuration)")
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--role-arn", help="IAM role SageMaker assumes (default: the project's role, see --create-role)")
    role.add_argument("--create-role", action="store_true",
                      help="create (or update) the project's minimal IAM role <app>-sagemaker and use it")
    hosting = parser.add_mutually_exclusive_group()
    hosting.add_argument("--instance-type", default=DEFAULT_INSTANCE_TYPE,
                         help="real-time endpoint instance type (default: %(default)s)")
    hosting.add_argument("--serverless", type=int, metavar="MEMORY_MB", choices=SERVERLESS_MEMORY_SIZES,
                         help=f"serverless endpoint with this memory ({', '.join(map(str, SERVERLESS_MEMORY_SIZES))})")
    parser.add_argument("--max-concurrency", type=int, default=5,
                        help="serverless: concurrent invocations at most (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="ONNX model (default: %(default)s)")
    parser.add_argument("--image-uri", help="inference container image (default: AWS PyTorch CPU inference image)")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the endpoint to be InService")
    parser.add_argument("--package-only", type=Path, metavar="PATH",
                        help="only write model.tar.gz to PATH; no AWS call")
    args = parser.parse_args(argv)
    if args.package_only is None:
        missing = [f"--{name}" for name in ("stage", "bucket") if not getattr(args, name)]
        if missing:
            parser.error(f"the following arguments are required: {', '.join(missing)}")
    if not 1 <= args.max_concurrency <= 200:
        parser.error("--max-concurrency must be between 1 and 200")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def package_only() -> None:
        archive = build_model_archive(args.model)
        args.package_only.write_bytes(archive.data)
        say(f"wrote {args.package_only} (sha256 of its tar stream {archive.digest})")

    def deploy_and_print_endpoint() -> None:
        print(deploy(args, boto3.session.Session()))

    try:
        return run_reporting_failures(package_only if args.package_only else deploy_and_print_endpoint,
                                      (DeployError, OSError, ValueError))
    except KeyboardInterrupt:
        print("error: interrupted: SageMaker goes on with what was started; run again to wait for it.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
