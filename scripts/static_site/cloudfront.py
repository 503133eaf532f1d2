"""The CloudFront distribution in front of the private bucket: origin access control, HTTPS, invalidations.

The sync finds its own distribution by its comment (one per bucket), so every run is idempotent.
"""
import time

from scripts.static_site.dns import aws_domain
from scripts.static_site.site_files import CONFIG_KEY, INDEX_KEY

CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""CloudFront's managed cache policy "CachingOptimized": honours the objects' Cache-Control, compresses."""
PRICE_CLASS = "PriceClass_100"
"""Edge locations in North America and Europe only: the cheapest class."""
INVALIDATED_PATHS = ["/", f"/{INDEX_KEY}", f"/{CONFIG_KEY}"]
"""The no-cache files (and the root, which CloudFront caches apart from /index.html); the rest is versioned."""


def comment_for(bucket: str) -> str:
    return f"sync_static: site in S3 bucket {bucket}"


def origin_access_control_name(bucket: str) -> str:
    return f"sync-static-{bucket}"[:64]


def find_origin_access_control(cloudfront, bucket: str) -> str | None:
    name = origin_access_control_name(bucket)
    marker = None
    while True:
        page = cloudfront.list_origin_access_controls(**({"Marker": marker} if marker else {}))
        listing = page["OriginAccessControlList"]
        for item in listing.get("Items", []):
            if item["Name"] == name:
                return item["Id"]
        marker = listing.get("NextMarker")
        if not listing.get("IsTruncated") or not marker:
            return None


def ensure_origin_access_control(cloudfront, bucket: str) -> str:
    found = find_origin_access_control(cloudfront, bucket)
    if found:
        return found
    return cloudfront.create_origin_access_control(OriginAccessControlConfig={
        "Name": origin_access_control_name(bucket),
        "Description": f"CloudFront signs its requests to S3 bucket {bucket}",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    })["OriginAccessControl"]["Id"]


def find_distribution(cloudfront, bucket: str) -> dict | None:
    """The summary (Id, ARN, DomainName) of the distribution this sync made for bucket."""
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page["DistributionList"].get("Items", []):
            if item.get("Comment") == comment_for(bucket):
                return item
    return None


def managed_settings(bucket: str, region: str, origin_access_control_id: str, error_document: str,
                     domain: str | None, certificate_arn: str | None) -> dict:
    """The part of the distribution's configuration the sync decides; the rest is left as it is."""
    origin_id = f"s3-{bucket}"
    methods = {"Quantity": 2, "Items": ["GET", "HEAD"]}
    if certificate_arn:
        certificate = {"ACMCertificateArn": certificate_arn, "SSLSupportMethod": "sni-only",
                       "MinimumProtocolVersion": "TLSv1.2_2021", "CloudFrontDefaultCertificate": False}
    else:
        certificate = {"CloudFrontDefaultCertificate": True}
    error_pages = [{"ErrorCode": code, "ResponsePagePath": f"/{error_document}", "ResponseCode": "404",
                    "ErrorCachingMinTTL": 10} for code in (403, 404)]
    return {
        "Comment": comment_for(bucket),
        "Enabled": True,
        "DefaultRootObject": INDEX_KEY,
        "Aliases": {"Quantity": 1, "Items": [domain]} if domain else {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{
            "Id": origin_id,
            "DomainName": f"{bucket}.s3.{region}.{aws_domain(region)}",
            "OriginPath": "",
            "OriginAccessControlId": origin_access_control_id,
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": origin_id,
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHING_OPTIMIZED_POLICY_ID,
            "Compress": True,
            "AllowedMethods": {**methods, "CachedMethods": methods},
        },
        "CustomErrorResponses": {"Quantity": 2, "Items": error_pages},
        "ViewerCertificate": certificate,
        "PriceClass": PRICE_CLASS,
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
    }


def differs(current: dict, wanted: dict) -> list[str]:
    """The top-level settings of wanted that current does not already have (wanted's keys only, recursively)."""
    def covers(have, want) -> bool:
        if isinstance(want, dict):
            return isinstance(have, dict) and all(covers(have.get(key), value) for key, value in want.items())
        if isinstance(want, list):
            return isinstance(have, list) and len(have) == len(want) and all(map(covers, have, want))
        return have == want
    return [key for key, value in wanted.items() if not covers(current.get(key), value)]


def ensure_distribution(cloudfront, bucket: str, settings: dict, found: dict | None) -> tuple[dict, str]:
    """Create the distribution, or update the settings of ours that differ (found: find_distribution's answer);
    return (its summary, what was done)."""
    if found is None:
        config = {"CallerReference": f"sync-static-{bucket}-{time.time_ns()}", **settings}
        distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
        return distribution, "created"
    answer = cloudfront.get_distribution_config(Id=found["Id"])
    changed = differs(answer["DistributionConfig"], settings)
    if not changed:
        return found, "unchanged"
    config = {**answer["DistributionConfig"], **settings}
    distribution = cloudfront.update_distribution(Id=found["Id"], IfMatch=answer["ETag"],
                                                  DistributionConfig=config)["Distribution"]
    return distribution, f"updated ({', '.join(changed)})"


def invalidate_entry_points(cloudfront, distribution_id: str) -> str:
    return cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": len(INVALIDATED_PATHS), "Items": INVALIDATED_PATHS},
        "CallerReference": f"sync-static-{time.time_ns()}",
    })["Invalidation"]["Id"]
