"""Publish static/ to an S3 bucket: a public static website (default), or a private bucket behind CloudFront.

Run `.venv/bin/python scripts/sync_static.py --bucket NAME [--stage dev] [--api-url URL] [--region REGION]
[--domain DOMAIN] [--cloudfront] [--dry-run] [--force FINGERPRINT]`. Every AWS client is created the standard way, so
boto3's usual configuration (profiles, AWS_ENDPOINT_URL, ...) applies to every call. Exit status: 0 done,
1 an error, 2 refused (the bucket holds what this script did not make, or the stage is not ready): nothing changed.
"""
import argparse
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from scripts import aws_failures
from scripts.aws_failures import run_reporting_failures
from scripts.static_site.errors import Refusal, SyncError
from scripts.static_site.publish import publish
from scripts.static_site.site_files import INDEX_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGION_ERRORS = frozenset({
    "IllegalLocationConstraintException", "IncompatibleLocationConstraint", "InvalidLocationConstraint",
    "PermanentRedirect", "AuthorizationHeaderMalformed",
})


def describe_client_error(error: ClientError, bucket: str) -> str:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    operation = error.operation_name
    if code in REGION_ERRORS:
        return f"Bucket {bucket} is in another region than the one used: pass the bucket's region with --region."
    if code == "InvalidBucketName":
        return f"{bucket} is not a valid S3 bucket name."
    if operation == "PutBucketPolicy" and code == "AccessDenied":
        return (f"AWS refused the bucket policy on {bucket}: for a public website turn off the account-level S3 "
                f"Block Public Access for policies (or use --cloudfront), or grant s3:PutBucketPolicy.")
    return aws_failures.describe_client_error(error)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="S3 bucket to publish to (created when missing)")
    parser.add_argument("--stage", default="dev", help="Chalice stage whose API the page calls (default: dev)")
    parser.add_argument("--api-url", help="API URL for config.js (default: from .chalice/deployed/STAGE.json)")
    parser.add_argument("--region", help="bucket region (default: the AWS configuration's region)")
    parser.add_argument("--domain", help="serve the site on this domain of a Route 53 hosted zone")
    parser.add_argument("--cloudfront", action="store_true",
                        help="serve through CloudFront over HTTPS from a private bucket (with --domain: an ACM "
                             "certificate and alias records)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--force", metavar="FINGERPRINT",
                        help="publish into a bucket holding objects or a policy this script did not make, as the "
                             "dry run that printed FINGERPRINT showed it; those objects are kept, unreadable "
                             "through the site")
    parser.add_argument("--source", type=Path, default=PROJECT_ROOT / "static", help="site folder (default: static/)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT,
                        help="Chalice project holding .chalice/deployed (default: this repository)")
    parser.add_argument("--error-document", default=INDEX_KEY,
                        help=f"page served for unknown paths (default: {INDEX_KEY})")
    parser.add_argument("--certificate-timeout", type=float, default=3600,
                        help="seconds to wait for ACM to validate the domain's certificate (default: 3600)")
    parser.add_argument("--deploy-timeout", type=float, default=1800,
                        help="with --cloudfront: seconds to wait for the distribution to be Deployed before saying "
                             "it is still deploying (default: 1800; 0: do not wait)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, session: boto3.session.Session | None = None) -> int:
    """Run the sync; return the exit status. Pass session to use a configured boto3 session."""
    args = parse_args(argv)
    return run_reporting_failures(lambda: publish(args, session or boto3.session.Session()), (SyncError,),
                                  lambda error: describe_client_error(error, args.bucket), refusals=(Refusal,))


if __name__ == "__main__":
    sys.exit(main())
