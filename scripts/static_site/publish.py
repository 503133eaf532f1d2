"""The whole sync: decide from what the bucket holds, then publish as a website or behind CloudFront.

Every decision is taken before the first change, so a refused sync changes nothing; --dry-run prints the
plan and only reads.
"""
import argparse
import json
from dataclasses import dataclass
from urllib.parse import urlparse

import boto3

from scripts.aws_contract import CLOUDFRONT_CERTIFICATE_REGION
from scripts.chalice_project import (ChaliceProjectError, deployed_rest_api, placeholder_origin_problem,
                                     stage_variable)
from scripts.static_site import bucket as buckets
from scripts.static_site import certificate, cloudfront, dns
from scripts.static_site.errors import Refusal, SyncError
from scripts.static_site.site_files import collect_site_files


def read_deployed_api_url(args: argparse.Namespace) -> str:
    """The REST API URL that `chalice deploy --stage STAGE` recorded in .chalice/deployed/STAGE.json."""
    try:
        return deployed_rest_api(args.project_dir, args.stage)["rest_api_url"]
    except ChaliceProjectError as error:
        raise SyncError(f"{error} Or pass --api-url.") from None


def checked_api_url(api_url: str) -> str:
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SyncError(f"API URL {api_url!r} is not an http(s) URL.")
    return api_url


def cors_mismatch(args: argparse.Namespace, site_origin: str) -> str | None:
    """Why the stage's API would refuse the page's requests (CORS_ALLOW_ORIGIN in .chalice/config.json), if so."""
    try:
        allowed = stage_variable(args.project_dir, args.stage, "CORS_ALLOW_ORIGIN")
    except ChaliceProjectError:
        return None
    if allowed in (None, "*", site_origin):
        return None
    return (f"stage {args.stage} allows CORS origin {allowed}, but the site is served from {site_origin}: set "
            f"CORS_ALLOW_ORIGIN of stage {args.stage} in .chalice/config.json to {site_origin} and deploy the API "
            f"again.")


def refuse_placeholder_origin(args: argparse.Namespace) -> None:
    try:
        problem = placeholder_origin_problem(args.project_dir, args.stage)
    except ChaliceProjectError:
        return
    if problem and args.dry_run:
        print(f"warning: {problem}")
    elif problem:
        raise Refusal(problem)


def checked_arguments(args: argparse.Namespace, region: str | None) -> tuple[str, str | None]:
    domain = dns.normalised_domain(args.domain) if args.domain else None
    if not region:
        raise SyncError("No AWS region: pass --region or set AWS_DEFAULT_REGION (or a profile's region).")
    if domain is not None and not args.cloudfront:
        if args.bucket != domain:
            raise SyncError(f"--domain {domain} needs a bucket named exactly {domain} (an S3 website endpoint serves "
                            f"a host name only from the bucket of that name), not {args.bucket}; or use "
                            f"--cloudfront, which serves any bucket.")
        if region not in dns.WEBSITE_HOSTED_ZONE_IDS:
            raise SyncError(f"No S3 website hosted zone is known for region {region}: add it to "
                            f"WEBSITE_HOSTED_ZONE_IDS in scripts/static_site/dns.py, or use another --region.")
    return region, domain


@dataclass(frozen=True)
class Target:
    """Where the site goes, as decided before the first change."""
    bucket: str
    region: str
    partition: str
    domain: str | None
    zone_id: str | None
    readable_keys: list[str] | None
    """The objects the read policy names one by one when the bucket also holds foreign ones; None: all."""
    dry_run: bool

    @property
    def prefix(self) -> str:
        return "would " if self.dry_run else ""


def publish(args: argparse.Namespace, session: boto3.session.Session) -> None:
    region, domain = checked_arguments(args, args.region or session.region_name)
    refuse_placeholder_origin(args)
    api_url = checked_api_url(args.api_url or read_deployed_api_url(args))
    files = collect_site_files(args.source, api_url)
    if args.error_document not in {site_file.key for site_file in files}:
        raise SyncError(f"The error document {args.error_document} is not in {args.source}.")
    s3 = session.client("s3", region_name=region)
    route53 = session.client("route53", region_name=region) if domain else None
    zone_id = dns.find_public_hosted_zone(route53, domain) if domain else None

    state = buckets.inspect_bucket(s3, args.bucket)
    if state.region is not None and state.region != region:
        raise SyncError(f"Bucket {args.bucket} is in region {state.region}, not {region}: "
                        f"run again with --region {state.region}.")
    foreign = buckets.foreign_objects(state, files)
    target = Target(args.bucket, region, session.get_partition_for_region(region), domain, zone_id,
                    sorted(file.key for file in files) if foreign else None, args.dry_run)
    cdn = session.client("cloudfront") if args.cloudfront else None
    distribution = cloudfront.find_distribution(cdn, args.bucket) if cdn else None
    if args.cloudfront:
        candidates = [read_policy(target, distribution)] if distribution else []
    else:
        candidates = [read_policy(target, None)]
    foreign_policy = buckets.policy_is_foreign(state, candidates)
    buckets.refuse_foreign(state, files, foreign, foreign_policy, args.force, args.dry_run,
                           website=not args.cloudfront)

    if state.region is None:
        print(f"{target.prefix}create bucket {args.bucket} in {region}")
        if not args.dry_run:
            buckets.create_bucket(s3, args.bucket, region)
    if foreign:
        print(f"keep    {len(foreign)} object(s) this script did not publish, unreadable through the site: "
              f"{', '.join(foreign)}")
    replaced = f"; replaces the current policy {json.dumps(state.policy)}" if foreign_policy else ""
    if args.cloudfront:
        distribution = publish_behind_cloudfront(args, session, target, s3, cdn, route53, state, distribution,
                                                 replaced)
    else:
        print(f"{target.prefix}configure bucket {args.bucket}: public read of the site's objects by bucket "
              f"policy{replaced}, website (index index.html, errors {args.error_document})")
        if not args.dry_run:
            buckets.open_as_website(s3, state, read_policy(target, None), args.error_document)

    uploaded, deleted = publish_objects(s3, target, state, files, foreign, read_policy(target, distribution),
                                        "cloudfront" if args.cloudfront else "website",
                                        distribution["Id"] if distribution else None)
    if args.cloudfront:
        finish_cloudfront(target, cdn, route53, distribution, files, uploaded + deleted, args.deploy_timeout)
        site_origin = f"https://{domain or distribution['DomainName']}"
    else:
        if domain:
            print(f"{target.prefix}upsert Route 53 alias A {domain} -> {dns.website_host(region)} in zone {zone_id}")
            if not args.dry_run:
                dns.upsert_website_alias(route53, zone_id, domain, region)
        site_origin = f"http://{domain}" if domain else dns.website_url(args.bucket, region)
    mismatch = cors_mismatch(args, site_origin)
    if mismatch:
        print(f"warning: {mismatch}")
    if args.dry_run:
        print("Dry run: nothing was changed.")
    if not args.cloudfront:
        print(f"Website: {dns.website_url(args.bucket, region)}")
    if args.cloudfront or domain:
        print(f"Site: {site_origin}")


def read_policy(target: Target, distribution: dict | None) -> dict:
    """Public read for a website; read by the distribution alone behind CloudFront."""
    if distribution is None:
        return buckets.public_read_policy(target.bucket, target.partition, target.readable_keys)
    return buckets.cloudfront_read_policy(target.bucket, target.partition, distribution["ARN"], target.readable_keys)


def publish_objects(s3, target: Target, state: buckets.BucketState, files: list, foreign: list[str], policy: dict,
                    mode: str, distribution_id: str | None) -> tuple[int, int]:
    """Upload what changed and delete what the sync published before and the site no longer has, keeping the
    manifest ahead of both; return (uploaded, deleted)."""
    stale = buckets.stale_objects(state, files)
    uploaded = buckets.upload_changed(s3, state, files, target.dry_run, before_first_upload=lambda: (
        # the intent first, so that an interrupted run still owns what it uploaded
        buckets.write_manifest(s3, state, {**state.published, **{file.key: file.md5 for file in files}},
                               foreign, policy, mode, distribution_id)))
    buckets.delete_objects(s3, target.bucket, stale, target.dry_run)
    if not target.dry_run:
        buckets.write_manifest(s3, state, {file.key: file.md5 for file in files}, foreign, policy, mode,
                               distribution_id)
    print(f"{target.prefix}upload {uploaded}, {target.prefix}delete {len(stale)}, unchanged {len(files) - uploaded}")
    return uploaded, len(stale)


def publish_behind_cloudfront(args: argparse.Namespace, session: boto3.session.Session, target: Target, s3, cdn,
                              route53, state: buckets.BucketState, found: dict | None, replaced: str) -> dict:
    """Private bucket, certificate, origin access control, distribution and its read policy; returns the
    distribution's summary (in a dry run that would create one, a stand-in with a placeholder ARN)."""
    print(f"{target.prefix}configure bucket {target.bucket}: private (Block Public Access fully on), readable "
          f"only by its CloudFront distribution{replaced}")
    if not target.dry_run:
        buckets.make_private(s3, state)
    certificate_arn = None
    if target.domain:
        acm = session.client("acm", region_name=CLOUDFRONT_CERTIFICATE_REGION)
        if target.dry_run:
            certificate_arn = certificate.find_certificate(acm, target.domain)
            print(f"use ACM certificate {certificate_arn}" if certificate_arn else
                  f"would request ACM certificate for {target.domain} in {CLOUDFRONT_CERTIFICATE_REGION}, "
                  f"validated by DNS in zone {target.zone_id}")
        else:
            certificate_arn = certificate.issued_certificate(acm, route53, target.zone_id, target.domain,
                                                             args.certificate_timeout)
    if target.dry_run:
        print(f"{'update if needed' if found else 'would create'} origin access control, cache policy (key: path "
              f"and ?v), security headers policy and CloudFront distribution {found['Id'] if found else ''} "
              f"(index.html at /, HTTP redirected to HTTPS"
              f"{', alias ' + target.domain if target.domain else ''})")
        return found or {"Id": None, "ARN": "arn:aws:cloudfront::ACCOUNT:distribution/NEW",
                         "DomainName": "NEW.cloudfront.net"}
    control_id = cloudfront.ensure_origin_access_control(cdn, target.bucket)
    cache_policy_id = cloudfront.ensure_policy(cdn, "CachePolicy", cloudfront.cache_policy_config(target.bucket))
    headers_policy_id = cloudfront.ensure_policy(cdn, "ResponseHeadersPolicy",
                                                 cloudfront.security_headers_config(target.bucket))
    settings = cloudfront.managed_settings(target.bucket, target.region, control_id, args.error_document,
                                           target.domain, certificate_arn, cache_policy_id, headers_policy_id)
    distribution, done = cloudfront.ensure_distribution(cdn, target.bucket, settings, found)
    print(f"distribution {distribution['Id']} ({distribution['DomainName']}): {done}")
    buckets.put_policy(s3, state, read_policy(target, distribution))
    return distribution


def finish_cloudfront(target: Target, cdn, route53, distribution: dict, files: list, changes: int,
                      deploy_timeout_s: float) -> None:
    """The domain's aliases, an invalidation when files changed, and the wait until the distribution is Deployed."""
    if target.domain:
        print(f"{target.prefix}upsert Route 53 aliases A, AAAA {target.domain} -> {distribution['DomainName']} "
              f"in zone {target.zone_id}")
        if not target.dry_run:
            dns.upsert_distribution_alias(route53, target.zone_id, target.domain, distribution["DomainName"])
    if changes and distribution.get("Id"):
        paths = cloudfront.entry_point_paths(files)
        print(f"{target.prefix}invalidate {', '.join(paths)} on distribution {distribution['Id']}")
        if not target.dry_run:
            cloudfront.invalidate_entry_points(cdn, distribution["Id"], paths)
    if target.dry_run or not distribution.get("Id"):
        return
    print(f"waiting for distribution {distribution['Id']} to be Deployed (up to {deploy_timeout_s:g} s)...",
          flush=True)
    if cloudfront.wait_deployed(cdn, distribution["Id"], deploy_timeout_s):
        print(f"distribution {distribution['Id']} is Deployed")
    else:
        print(f"note: distribution {distribution['Id']} is still deploying (InProgress): until it is Deployed, "
              f"some edge locations serve the previous configuration or nothing yet; `aws cloudfront "
              f"get-distribution --id {distribution['Id']}` tells when it is done.")
