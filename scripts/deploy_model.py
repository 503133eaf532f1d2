"""Host the poster classifier on a SageMaker endpoint that the stage's deployed API calls.

Run `.venv/bin/python scripts/deploy_model.py --stage dev --bucket NAME [--create-role | --role-arn ARN]
[--serverless MEMORY_MB [--provisioned-concurrency N] | --instance-type TYPE [--min-instances N --max-instances M]]`.
It packages model.tar.gz for the AWS PyTorch inference container (the ONNX file, code/inference.py with the
poster_model modules it needs, and the wheels of its requirements for the image's Python, installed offline at
start), uploads it to s3://BUCKET/<app>/models/ under its content hash, creates the stage's IAM role if asked, the
SageMaker model and endpoint configuration (named after their spec, so an unchanged model changes nothing), and
creates the endpoint named by the stage's SAGEMAKER_ENDPOINT_NAME or rolls a change out to it; then sets the
endpoint's log retention and, for a real-time endpoint, its auto-scaling. Progress goes to stderr; the endpoint name
is printed on stdout. The work is done by the scripts/model_deploy package.
"""
import argparse
import sys
from pathlib import Path

import boto3

from poster_model.predictor import DEFAULT_MODEL_PATH
from scripts.aws_contract import auto_scaling_refusal
from scripts.aws_failures import run_reporting_failures
from scripts.log_retention import add_retention_argument
from scripts.model_deploy.deployment import deploy, packaged_model
from scripts.model_deploy.errors import DeployError, say
from scripts.model_deploy.images import ServingImage, wheel_target

DEFAULT_INSTANCE_TYPE = "ml.c6i.large"
"""2 vCPUs of a CPU with AVX-512 VNNI, where the int8 model runs fastest, and (unlike ml.t2/ml.t3) auto-scalable."""
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
MAX_SERVERLESS_CONCURRENCY = 200


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", help="Chalice stage whose SAGEMAKER_ENDPOINT_NAME is the endpoint (dev, prod)")
    parser.add_argument("--bucket", help="existing S3 bucket, in the endpoint's region, for model.tar.gz")
    parser.add_argument("--region", help="region of the endpoint, the same as the API's (default: AWS configuration)")
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--role-arn", help="IAM role SageMaker assumes (default: the stage's role, see --create-role)")
    role.add_argument("--create-role", action="store_true",
                      help="create (or update) the stage's minimal IAM role <app>-<stage>-sagemaker and use it")
    hosting = parser.add_mutually_exclusive_group()
    hosting.add_argument("--instance-type", default=DEFAULT_INSTANCE_TYPE,
                         help="real-time endpoint instance type (default: %(default)s)")
    hosting.add_argument("--serverless", type=int, metavar="MEMORY_MB", choices=SERVERLESS_MEMORY_SIZES,
                         help=f"serverless endpoint with this memory ({', '.join(map(str, SERVERLESS_MEMORY_SIZES))})")
    parser.add_argument("--max-concurrency", type=int, default=5,
                        help="serverless: concurrent invocations at most (default: %(default)s)")
    parser.add_argument("--provisioned-concurrency", type=int, metavar="N",
                        help="serverless: keep N invocations warm (no cold start for them; billed by the hour)")
    parser.add_argument("--min-instances", type=int, default=1, help="real-time: fewest instances (default: 1)")
    parser.add_argument("--max-instances", type=int, default=4,
                        help="real-time: most instances auto-scaling may run (default: 4; equal to "
                             "--min-instances for no auto-scaling)")
    parser.add_argument("--target-invocations", type=float, metavar="PER_MINUTE",
                        help="real-time: invocations per instance per minute auto-scaling aims at (default: half of "
                             "the instance type's measured capacity)")
    add_retention_argument(parser, "days the endpoint's CloudWatch logs are kept (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="ONNX model (default: %(default)s)")
    parser.add_argument("--image-uri", help="inference container image (default: AWS PyTorch CPU inference image)")
    parser.add_argument("--image-python", metavar="X.Y",
                        help="Python version of --image-uri's interpreter, when the image is not in the table")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the endpoint to be InService")
    parser.add_argument("--package-only", type=Path, metavar="PATH",
                        help="only write model.tar.gz to PATH; no AWS call")
    args = parser.parse_args(argv)
    if args.package_only is None:
        missing = [f"--{name}" for name in ("stage", "bucket") if not getattr(args, name)]
        if missing:
            parser.error(f"the following arguments are required: {', '.join(missing)}")
    if not 1 <= args.max_concurrency <= MAX_SERVERLESS_CONCURRENCY:
        parser.error(f"--max-concurrency must be between 1 and {MAX_SERVERLESS_CONCURRENCY}")
    if args.provisioned_concurrency is not None:
        if not args.serverless:
            parser.error("--provisioned-concurrency applies to a serverless endpoint: add --serverless MEMORY_MB")
        if not 1 <= args.provisioned_concurrency <= args.max_concurrency:
            parser.error("--provisioned-concurrency must be between 1 and --max-concurrency")
    if not 1 <= args.min_instances <= args.max_instances:
        parser.error("--min-instances and --max-instances need 1 <= min <= max")
    refusal = auto_scaling_refusal(args.instance_type)
    if not args.serverless and args.max_instances > args.min_instances and refusal:
        parser.error(refusal)
    return args


def package_only(args: argparse.Namespace) -> None:
    """model.tar.gz for the image the flags name (the default image without --image-uri)."""
    python, glibc = wheel_target(args.image_uri, args.image_python)
    archive = packaged_model(args.model, ServingImage(args.image_uri or "", python, glibc))
    args.package_only.write_bytes(archive.data)
    say(f"wrote {args.package_only} (sha256 of its tar stream {archive.digest})")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def deploy_and_print_endpoint() -> None:
        print(deploy(args, boto3.session.Session()))

    try:
        return run_reporting_failures(lambda: package_only(args) if args.package_only else deploy_and_print_endpoint(),
                                      (DeployError, OSError, ValueError))
    except KeyboardInterrupt:
        print("error: interrupted: SageMaker goes on with what was started; run again to wait for it.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
