"""The CloudFront distribution in front of the private bucket: origin access control, HTTPS, its cache and security
headers policies, invalidations.

The sync finds its own distribution and policies by name (one each per bucket), so every run is idempotent. It
decides only the settings of managed_settings and merges them into the distribution's configuration, so what an
operator added (a function, another response headers policy) stays.
"""
import re
import time

from botocore.exceptions import WaiterError

from scripts.aws_contract import same_setting
from scripts.static_site.dns import aws_domain
from scripts.static_site.site_files import INDEX_KEY, NO_CACHE, VERSION_PARAMETER

ONE_YEAR_S = 31536000
PRICE_CLASS = "PriceClass_100"
"""Edge locations in North America and Europe only: the cheapest class."""


def comment_for(bucket: str) -> str:
    return f"sync_static: site in S3 bucket {bucket}"


def policy_name(bucket: str) -> str:
    """Cache and response headers policy names allow letters, digits, - and _ only."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"sync-static-{bucket}")[:128]


def cache_policy_config(bucket: str) -> dict:
    """The managed CachingOptimized policy leaves every query string out of the cache key, so app.js?v=NEW would be
    answered with the cached app.js of the last release. This one keys on the v query string the published
    index.html puts on every long-cached file (site_files.published_index) and on nothing else; the objects'
    own Cache-Control decides how long within MinTTL..MaxTTL, as with CachingOptimized."""
    return {
        "Name": policy_name(bucket),
        "Comment": f"sync_static: {bucket}, cache key = path + ?{VERSION_PARAMETER}",
        "MinTTL": 0, "DefaultTTL": 86400, "MaxTTL": ONE_YEAR_S,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True, "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist",
                                   "QueryStrings": {"Quantity": 1, "Items": [VERSION_PARAMETER]}},
        },
    }


def security_headers_config(bucket: str) -> dict:
    """Headers a <meta> CSP cannot give: HSTS (browsers keep to HTTPS for a year), nosniff, and no framing by any
    other site (X-Frame-Options for old browsers, CSP frame-ancestors for the rest); the page's own <meta> CSP still
    applies beside this header's."""
    return {
        "Name": policy_name(bucket),
        "Comment": f"sync_static: security headers of the site in {bucket}",
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": ONE_YEAR_S,
                                        "IncludeSubdomains": False, "Preload": False},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "frame-ancestors 'none'"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
        },
    }


POLICY_CALLS = {
    "CachePolicy": ("list_cache_policies", "get_cache_policy", "update_cache_policy", "create_cache_policy"),
    "ResponseHeadersPolicy": ("list_response_headers_policies", "get_response_headers_policy",
                              "update_response_headers_policy", "create_response_headers_policy"),
}
"""The same four calls for either kind of policy (list, get, update, create)."""


def ensure_policy(cloudfront, kind: str, config: dict) -> str:
    """The Id of the custom policy of this kind ("CachePolicy" or "ResponseHeadersPolicy") named config["Name"],
    created, or updated where its configuration differs."""
    list_policies, get_policy, update_policy, create_policy = (getattr(cloudfront, name) for name in POLICY_CALLS[kind])
    marker = None
    while True:
        listing = list_policies(Type="custom", **({"Marker": marker} if marker else {}))[f"{kind}List"]
        for item in listing.get("Items", []):
            policy = item[kind]
            if policy[f"{kind}Config"]["Name"] != config["Name"]:
                continue
            if not same_setting(policy[f"{kind}Config"], config):
                etag = get_policy(Id=policy["Id"])["ETag"]
                update_policy(Id=policy["Id"], IfMatch=etag, **{f"{kind}Config": config})
                print(f"updated CloudFront {kind} {config['Name']}")
            return policy["Id"]
        marker = listing.get("NextMarker")
        if not marker:
            break
    created = create_policy(**{f"{kind}Config": config})[kind]
    print(f"created CloudFront {kind} {config['Name']}")
    return created["Id"]


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
                     domain: str | None, certificate_arn: str | None, cache_policy_id: str,
                     headers_policy_id: str) -> dict:
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
            "CachePolicyId": cache_policy_id,
            "ResponseHeadersPolicyId": headers_policy_id,
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
    """The top-level settings of wanted that current does not already have (wanted's keys only, recursively; the
    lists CloudFront answers in its own order compared as sets)."""
    return [key for key, value in wanted.items() if not same_setting(current.get(key), value, key)]


def merged(current, wanted):
    """current with wanted's settings put in, key by key: a setting the sync does not decide stays as it is."""
    if isinstance(current, dict) and isinstance(wanted, dict):
        return {**current, **{key: merged(current.get(key), value) for key, value in wanted.items()}}
    return wanted


def keeping_operators_headers_policy(current: dict, settings: dict) -> dict:
    """settings, less our response headers policy where someone else put another on the default behaviour."""
    theirs = current.get("DefaultCacheBehavior", {}).get("ResponseHeadersPolicyId")
    ours = settings["DefaultCacheBehavior"].get("ResponseHeadersPolicyId")
    if not theirs or theirs == ours:
        return settings
    print(f"note: the distribution keeps the response headers policy {theirs} set outside this script: the site's "
          f"security headers are whatever that policy sends")
    behaviour = {key: value for key, value in settings["DefaultCacheBehavior"].items()
                 if key != "ResponseHeadersPolicyId"}
    return {**settings, "DefaultCacheBehavior": behaviour}


def ensure_distribution(cloudfront, bucket: str, settings: dict, found: dict | None) -> tuple[dict, str]:
    """Create the distribution, or merge in the settings of ours that differ (found: find_distribution's answer);
    return (its summary, what was done)."""
    if found is None:
        config = {"CallerReference": f"sync-static-{bucket}-{time.time_ns()}", **settings}
        distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
        return distribution, "created"
    answer = cloudfront.get_distribution_config(Id=found["Id"])
    settings = keeping_operators_headers_policy(answer["DistributionConfig"], settings)
    changed = differs(answer["DistributionConfig"], settings)
    if not changed:
        return found, "unchanged"
    config = merged(answer["DistributionConfig"], settings)
    distribution = cloudfront.update_distribution(Id=found["Id"], IfMatch=answer["ETag"],
                                                  DistributionConfig=config)["Distribution"]
    return distribution, f"updated ({', '.join(changed)})"


DEPLOY_POLL_S = 20
"""How often the sync asks whether the distribution is Deployed (the distribution_deployed waiter's own pace is
60 s)."""


def wait_deployed(cloudfront, distribution_id: str, timeout_s: float) -> bool:
    """Wait until the distribution's edge locations serve its configuration; False when timeout_s ran out first."""
    if timeout_s <= 0:
        return cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"] == "Deployed"
    attempts = max(1, int(timeout_s // DEPLOY_POLL_S))
    try:
        cloudfront.get_waiter("distribution_deployed").wait(
            Id=distribution_id, WaiterConfig={"Delay": DEPLOY_POLL_S, "MaxAttempts": attempts})
    except WaiterError:
        return False
    return True


def entry_point_paths(files) -> list[str]:
    """The no-cache files (every page and config.js) and the root, which CloudFront caches apart from /index.html;
    every other file is asked for by version, so a new release never needs its path invalidated."""
    return ["/", *sorted(f"/{site_file.key}" for site_file in files if site_file.cache_control == NO_CACHE)]


def invalidate_entry_points(cloudfront, distribution_id: str, paths: list[str]) -> str:
    return cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": len(paths), "Items": paths},
        "CallerReference": f"sync-static-{time.time_ns()}",
    })["Invalidation"]["Id"]
