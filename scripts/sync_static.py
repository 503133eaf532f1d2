"""Publish static/ to an S3 bucket served as a public static website, optionally behind a Route 53 alias.

Run `.venv/bin/python scripts/sync_static.py --bucket NAME [--stage dev] [--api-url URL] [--region REGION]
[--domain DOMAIN] [--dry-run]`. Every AWS client is created the standard way, so boto3's usual configuration
(profiles, AWS_ENDPOINT_URL, ...) applies to every call.
"""
import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError

from scripts import aws_failures
from scripts.aws_failures import run_reporting_failures
from scripts.chalice_project import ChaliceProjectError, deployed_rest_api, stage_variable
from scripts.static_config import render_config_js

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_KEY = "config.js"
INDEX_KEY = "index.html"

# Explicit, because mimetypes answers differently across Python versions and /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}

# index.html and config.js are revalidated on every visit. index.html asks for every other file of the site
# as NAME?v=<content hash>, so a release changes those URLs and the files themselves can be cached for a year.
NO_CACHE = "no-cache"
LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE_KEYS = frozenset({INDEX_KEY, CONFIG_KEY})
ASSET_REFERENCE = re.compile(r"""(?P<before>(?:src|href)=["'])(?P<key>[^"'?#:]+)(?P<after>["'])""")

# Route 53 hosted zone of each region's S3 website endpoint, from
# https://docs.aws.amazon.com/general/latest/gr/s3.html#s3_website_region_endpoints
WEBSITE_HOSTED_ZONE_IDS = {
    "af-south-1": "Z83WF9RJE8B12",
    "ap-east-1": "ZNB98KWMFR0R6",
    "ap-northeast-1": "Z2M4EHUR26P7ZW",
    "ap-northeast-2": "Z3W03O7B5YMIYP",
    "ap-northeast-3": "Z2YQB5RD63NC85",
    "ap-south-1": "Z11RGJOFQNVJUP",
    "ap-south-2": "Z02976202B4EZMXIPMXF7",
    "ap-southeast-1": "Z3O0J2DXBE1FTB",
    "ap-southeast-2": "Z1WCIGYICN2BYD",
    "ap-southeast-3": "Z01846753K324LI26A3VV",
    "ap-southeast-4": "Z0312387243XT5FE14WFO",
    "ap-southeast-5": "Z08660063OXLMA7F1FJHU",
    "ca-central-1": "Z1QDHH18159H29",
    "ca-west-1": "Z03565811Z33SLEZTHOUL",
    "cn-north-1": "Z5CN8UMXT92WN",
    "cn-northwest-1": "Z282HJ1KT0DH03",
    "eu-central-1": "Z21DNDUVLTQW6Q",
    "eu-central-2": "Z030506016YDQGETNASS",
    "eu-north-1": "Z3BAZG2TWCNX0D",
    "eu-south-1": "Z30OZKI7KPW7MI",
    "eu-south-2": "Z0081959F7139GRJC19J",
    "eu-west-1": "Z1BKCTXD74EZPE",
    "eu-west-2": "Z3GKZC51ZF0DB4",
    "eu-west-3": "Z3R1K369G5AVDG",
    "il-central-1": "Z09640613K4A3MN55U7GU",
    "me-central-1": "Z06143092I8HRXZRUZROF",
    "me-south-1": "Z1MPMWCPA7YB62",
    "sa-east-1": "Z7KQH4QJS55SO",
    "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX",
    "us-gov-east-1": "Z2NIFVYYW2VKV1",
    "us-gov-west-1": "Z31GFT0UA1I2HV",
    "us-west-1": "Z2F56UZL2M1ACD",
    "us-west-2": "Z3BJ6K6RIION7M",
}

# The regions whose website endpoint is s3-website-REGION (same page); all others use s3-website.REGION.
DASH_WEBSITE_REGIONS = frozenset({
    "ap-northeast-1", "ap-southeast-1", "ap-southeast-2", "eu-west-1", "sa-east-1",
    "us-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
})

REGION_ERRORS = frozenset({
    "IllegalLocationConstraintException", "IncompatibleLocationConstraint", "InvalidLocationConstraint",
    "PermanentRedirect", "AuthorizationHeaderMalformed",
})


class SyncError(Exception):
    """A problem the user can fix; its message is the one sentence they see."""


@dataclass(frozen=True)
class SiteFile:
    key: str
    body: bytes
    content_type: str
    cache_control: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest()


def website_host(region: str) -> str:
    """The regional S3 website endpoint, without the bucket name (also the Route 53 alias target)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    separator = "-" if region in DASH_WEBSITE_REGIONS else "."
    return f"s3-website{separator}{region}.{suffix}"


def website_url(bucket: str, region: str) -> str:
    return f"http://{bucket}.{website_host(region)}"


def read_deployed_api_url(project_dir: Path, stage: str) -> str:
    """The REST API URL that `chalice deploy --stage STAGE` recorded in .chalice/deployed/STAGE.json."""
    try:
        return deployed_rest_api(project_dir, stage)["rest_api_url"]
    except ChaliceProjectError as error:
        raise SyncError(f"{error} Or pass --api-url.") from None


def cors_mismatch(project_dir: Path, stage: str, site_origin: str) -> str | None:
    """Why the stage's API would refuse the page's requests (CORS_ALLOW_ORIGIN in .chalice/config.json), if so."""
    try:
        allowed = stage_variable(project_dir, stage, "CORS_ALLOW_ORIGIN")
    except ChaliceProjectError:
        return None
    if allowed in (None, "*", site_origin):
        return None
    return (f"stage {stage} allows CORS origin {allowed}, but the site is served from {site_origin}: set "
            f"CORS_ALLOW_ORIGIN of stage {stage} in .chalice/config.json to {site_origin} and deploy the API again.")


def checked_api_url(api_url: str) -> str:
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SyncError(f"API URL {api_url!r} is not an http(s) URL.")
    return api_url


def collect_site_files(source: Path, api_url: str) -> list[SiteFile]:
    """Every visible file under source, with config.js rendered for api_url instead of any local copy."""
    if not (source / INDEX_KEY).is_file():
        raise SyncError(f"{source} holds no {INDEX_KEY}: pass the site's folder with --source.")
    files = [SiteFile(CONFIG_KEY, render_config_js(api_url).encode("utf-8"),
                      CONTENT_TYPES[".js"], NO_CACHE)]
    for path in sorted(source.rglob("*")):
        key = path.relative_to(source).as_posix()
        if not path.is_file() or key == CONFIG_KEY or any(part.startswith(".") for part in key.split("/")):
            continue
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise SyncError(f"{path} has an unknown file type {path.suffix or '(none)'!r}: "
                            f"add it to CONTENT_TYPES in scripts/sync_static.py or remove the file.")
        cache_control = NO_CACHE if key in NO_CACHE_KEYS else LONG_CACHE
        files.append(SiteFile(key, path.read_bytes(), content_type, cache_control))
    return [with_versioned_references(file, files) if file.key == INDEX_KEY else file for file in files]


def with_versioned_references(index: SiteFile, files: list[SiteFile]) -> SiteFile:
    """index.html with each reference to a long-cached file of the site suffixed ?v=<its content hash>."""
    versions = {file.key: file.md5[:12] for file in files if file.cache_control == LONG_CACHE}

    def versioned(match: re.Match) -> str:
        version = versions.get(match["key"].lstrip("./"))
        return match[0] if version is None else f"{match['before']}{match['key']}?v={version}{match['after']}"

    body = ASSET_REFERENCE.sub(versioned, index.body.decode("utf-8")).encode("utf-8")
    return SiteFile(index.key, body, index.content_type, index.cache_control)


def public_read_policy(bucket: str, partition: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/*",
        }],
    }


def bucket_region(s3, bucket: str) -> str | None:
    """The bucket's region, or None when no bucket has that name."""
    try:
        response = s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or error.response["Error"]["Code"] in ("404", "NoSuchBucket"):
            return None
        if status == 403:
            raise SyncError(f"Bucket {bucket} exists but belongs to another AWS account (or your credentials may "
                            f"not use it): choose another --bucket name.") from None
        raise
    headers = response["ResponseMetadata"].get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region")


def create_bucket(s3, bucket: str, region: str) -> None:
    arguments = {"Bucket": bucket}
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**arguments)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "BucketAlreadyExists":
            raise SyncError(f"Bucket name {bucket} is taken by another AWS account: "
                            f"choose another --bucket name.") from None
        if code != "BucketAlreadyOwnedByYou":
            raise


def configure_public_website(s3, bucket: str, partition: str, error_document: str) -> None:
    """Let a bucket policy (never ACLs) make the objects readable, then serve them as a website."""
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    })
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket, partition)))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": INDEX_KEY},
        "ErrorDocument": {"Key": error_document},
    })


def remote_etags(s3, bucket: str) -> dict[str, str]:
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            etags[item["Key"]] = item["ETag"].strip('"')
    return etags


def upload_reason(s3, bucket: str, site_file: SiteFile, etags: dict[str, str]) -> str | None:
    """Why site_file must be uploaded, or None when the bucket already holds it byte for byte, headers included."""
    if site_file.key not in etags:
        return "new"
    if etags[site_file.key] != site_file.md5:
        return "changed"
    head = s3.head_object(Bucket=bucket, Key=site_file.key)
    if head.get("ContentType") != site_file.content_type or head.get("CacheControl") != site_file.cache_control:
        return "headers changed"
    return None


def sync_objects(s3, bucket: str, files: list[SiteFile], etags: dict[str, str], dry_run: bool) -> tuple[int, int]:
    """Upload what differs and delete what is gone locally; print one line per file; return the counts."""
    prefix = "would " if dry_run else ""
    uploaded = 0
    for site_file in files:
        reason = upload_reason(s3, bucket, site_file, etags)
        if reason is None:
            print(f"skip    {site_file.key}")
            continue
        print(f"{prefix}upload  {site_file.key} ({reason}, {site_file.content_type}, {site_file.cache_control})")
        if not dry_run:
            s3.put_object(Bucket=bucket, Key=site_file.key, Body=site_file.body,
                          ContentType=site_file.content_type, CacheControl=site_file.cache_control)
        uploaded += 1
    stale = sorted(set(etags) - {site_file.key for site_file in files})
    for key in stale:
        print(f"{prefix}delete  {key}")
    if stale and not dry_run:
        for start in range(0, len(stale), 1000):
            batch = [{"Key": key} for key in stale[start:start + 1000]]
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                failure = response["Errors"][0]
                raise SyncError(f"Could not delete {failure['Key']}: {failure.get('Message', failure['Code'])}.")
    return uploaded, len(stale)


def normalised_domain(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def find_public_hosted_zone(route53, domain: str) -> str:
    """The id of the most specific public hosted zone that holds domain."""
    best_name, best_id = "", None
    for page in route53.get_paginator("list_hosted_zones").paginate():
        for zone in page["HostedZones"]:
            name = normalised_domain(zone["Name"])
            if zone.get("Config", {}).get("PrivateZone"):
                continue
            if (domain == name or domain.endswith("." + name)) and len(name) > len(best_name):
                best_name, best_id = name, zone["Id"]
    if best_id is None:
        raise SyncError(f"No public Route 53 hosted zone holds {domain}: create one for the domain first.")
    return best_id


def upsert_website_alias(route53, zone_id: str, domain: str, region: str) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Comment": f"S3 website for {domain}",
        "Changes": [{
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": f"{domain}.",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": WEBSITE_HOSTED_ZONE_IDS[region],
                    "DNSName": website_host(region),
                    "EvaluateTargetHealth": False,
                },
            },
        }],
    })


def publish(args: argparse.Namespace, session: boto3.session.Session) -> None:
    domain = normalised_domain(args.domain) if args.domain else None
    if domain is not None and args.bucket != domain:
        raise SyncError(f"--domain {domain} needs a bucket named exactly {domain} (an S3 website endpoint serves "
                        f"a host name only from the bucket of that name), not {args.bucket}.")
    api_url = checked_api_url(args.api_url or read_deployed_api_url(args.project_dir, args.stage))
    files = collect_site_files(args.source, api_url)
    if args.error_document not in {site_file.key for site_file in files}:
        raise SyncError(f"The error document {args.error_document} is not in {args.source}.")

    region = args.region or session.region_name
    if not region:
        raise SyncError("No AWS region: pass --region or set AWS_DEFAULT_REGION (or a profile's region).")
    if domain is not None and region not in WEBSITE_HOSTED_ZONE_IDS:
        raise SyncError(f"No S3 website hosted zone is known for region {region}: add it to "
                        f"WEBSITE_HOSTED_ZONE_IDS from the AWS docs, or use another --region.")
    prefix = "would " if args.dry_run else ""
    s3 = session.client("s3", region_name=region)

    existing_region = bucket_region(s3, args.bucket)
    if existing_region is not None and existing_region != region:
        raise SyncError(f"Bucket {args.bucket} is in region {existing_region}, not {region}: "
                        f"run again with --region {existing_region}.")
    if existing_region is None:
        print(f"{prefix}create bucket {args.bucket} in {region}")
        if not args.dry_run:
            create_bucket(s3, args.bucket, region)
    print(f"{prefix}configure bucket {args.bucket}: public read of objects by bucket policy, website "
          f"(index {INDEX_KEY}, errors {args.error_document})")
    if not args.dry_run:
        configure_public_website(s3, args.bucket, session.get_partition_for_region(region), args.error_document)

    etags = remote_etags(s3, args.bucket) if existing_region is not None else {}
    uploaded, deleted = sync_objects(s3, args.bucket, files, etags, args.dry_run)
    print(f"{prefix}upload {uploaded}, {prefix}delete {deleted}, unchanged {len(files) - uploaded}")

    if domain is not None:
        route53 = session.client("route53", region_name=region)
        zone_id = find_public_hosted_zone(route53, domain)
        print(f"{prefix}upsert Route 53 alias A {domain} -> {website_host(region)} in zone {zone_id}")
        if not args.dry_run:
            upsert_website_alias(route53, zone_id, domain, region)

    mismatch = cors_mismatch(args.project_dir, args.stage,
                             f"http://{domain}" if domain else website_url(args.bucket, region))
    if mismatch:
        print(f"warning: {mismatch}")
    if args.dry_run:
        print("Dry run: nothing was changed.")
    print(f"Website: {website_url(args.bucket, region)}")
    if domain is not None:
        print(f"Site: http://{domain}")


def describe_client_error(error: ClientError, bucket: str) -> str:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    operation = error.operation_name
    if code in REGION_ERRORS:
        return f"Bucket {bucket} is in another region than the one used: pass the bucket's region with --region."
    if code == "InvalidBucketName":
        return f"{bucket} is not a valid S3 bucket name."
    if operation == "PutBucketPolicy" and code == "AccessDenied":
        return (f"AWS refused the public-read policy on {bucket}: turn off the account-level S3 Block Public "
                f"Access for policies, or grant s3:PutBucketPolicy.")
    return aws_failures.describe_client_error(error)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="S3 bucket to publish to (created when missing)")
    parser.add_argument("--stage", default="dev", help="Chalice stage whose API the page calls (default: dev)")
    parser.add_argument("--api-url", help="API URL for config.js (default: from .chalice/deployed/STAGE.json)")
    parser.add_argument("--region", help="bucket region (default: the AWS configuration's region)")
    parser.add_argument("--domain", help="also point this domain's Route 53 A alias at the website")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--source", type=Path, default=PROJECT_ROOT / "static", help="site folder (default: static/)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT,
                        help="Chalice project holding .chalice/deployed (default: this repository)")
    parser.add_argument("--error-document", default=INDEX_KEY,
                        help=f"page served for unknown paths (default: {INDEX_KEY})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, session: boto3.session.Session | None = None) -> int:
    """Run the sync; return the exit status. Pass session to use a configured boto3 session."""
    args = parse_args(argv)
    return run_reporting_failures(lambda: publish(args, session or boto3.session.Session()), (SyncError,),
                                  lambda error: describe_client_error(error, args.bucket))


if __name__ == "__main__":
    sys.exit(main())
