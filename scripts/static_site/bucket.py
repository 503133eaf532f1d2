"""The S3 bucket: what it holds now, who made it, how it is exposed, and the objects the sync owns.

The sync keeps a manifest (MANIFEST_KEY) of the objects it published and the bucket policy it wrote. It
deletes only objects of that manifest, and calls anything else in the bucket foreign: a foreign object or
policy stops the sync unless --force, and even then a foreign object is never deleted nor made readable.
"""
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from scripts.aws_failures import error_code, retry_while_iam_propagates
from scripts.static_site.errors import Refusal, SyncError
from scripts.static_site.site_files import INDEX_KEY, SiteFile

MANIFEST_KEY = ".sync-static/manifest.json"
PUBLISHER = "scripts/sync_static.py"
POLICY_SIZE_LIMIT = 20 * 1024
"""S3 refuses bucket policies larger than 20 KB."""
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}
WEBSITE_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
                 "RestrictPublicBuckets": False}
"""ACLs stay blocked; only a public bucket policy (never an ACL) makes the website's objects readable."""


@dataclass
class BucketState:
    """What the bucket holds before the sync changes anything; region None when there is no such bucket."""
    name: str
    region: str | None
    etags: dict[str, str] = field(default_factory=dict)
    policy: dict | None = None
    public_access_block: dict | None = None
    website: dict | None = None
    manifest: dict = field(default_factory=dict)

    @property
    def published(self) -> dict[str, str]:
        """The objects the sync published last time, with their MD5."""
        return self.manifest.get("objects", {})

    @property
    def kept(self) -> dict[str, str]:
        """The foreign objects a forced sync published beside, as they were then (ETag)."""
        return self.manifest.get("kept", {})


def bucket_region(s3, bucket: str) -> str | None:
    """The bucket's region, or None when no bucket has that name."""
    try:
        response = s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or error_code(error) in ("404", "NoSuchBucket"):
            return None
        if status == 403:
            raise SyncError(f"Bucket {bucket} exists but belongs to another AWS account (or your credentials may "
                            f"not use it): choose another --bucket name.") from None
        raise
    headers = response["ResponseMetadata"].get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region")


def inspect_bucket(s3, bucket: str) -> BucketState:
    """Read everything the decisions need; writes nothing."""
    region = bucket_region(s3, bucket)
    if region is None:
        return BucketState(bucket, None)
    state = BucketState(bucket, region)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            state.etags[item["Key"]] = item["ETag"].strip('"')
    try:
        state.policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error_code(error) != "NoSuchBucketPolicy":
            raise
    try:
        state.public_access_block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
    try:
        website = s3.get_bucket_website(Bucket=bucket)
        state.website = {key: website[key] for key in ("IndexDocument", "ErrorDocument") if key in website}
    except ClientError as error:
        if error_code(error) != "NoSuchWebsiteConfiguration":
            raise
    if MANIFEST_KEY in state.etags:
        try:
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=MANIFEST_KEY)["Body"].read())
        except ValueError:
            manifest = {}
        if isinstance(manifest, dict) and manifest.get("published_by") == PUBLISHER:
            state.manifest = manifest
    return state


def create_bucket(s3, bucket: str, region: str) -> None:
    arguments = {"Bucket": bucket}
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**arguments)
    except ClientError as error:
        if error_code(error) == "BucketAlreadyExists":
            raise SyncError(f"Bucket name {bucket} is taken by another AWS account: "
                            f"choose another --bucket name.") from None
        if error_code(error) != "BucketAlreadyOwnedByYou":
            raise


def foreign_objects(state: BucketState, files: list[SiteFile]) -> list[str]:
    """Objects the sync did not publish: not in its manifest, and not byte for byte a file it would upload."""
    ours = {file.key: file.md5 for file in files}
    return sorted(key for key, etag in state.etags.items()
                  if key != MANIFEST_KEY and key not in state.published and ours.get(key) != etag)


def unacknowledged(state: BucketState, foreign: list[str]) -> list[str]:
    """Foreign objects no forced sync has seen as they are now: new ones, or changed since."""
    return [key for key in foreign if state.kept.get(key) != state.etags[key]]


def policy_is_foreign(state: BucketState, candidates: list[dict]) -> bool:
    """A bucket policy the sync did not write: neither the one its manifest records nor one it would write now."""
    return state.policy is not None and state.policy != state.manifest.get("policy") and state.policy not in candidates


def blocks_public_policies(state: BucketState) -> bool:
    """A bucket without its own Block Public Access settings gets AWS's default for new buckets: all on."""
    block = state.public_access_block or ALL_BLOCKED
    return bool(block.get("BlockPublicPolicy") or block.get("RestrictPublicBuckets"))


def read_resources(bucket: str, partition: str, keys: list[str] | None) -> str | list[str]:
    """Every object, or when the bucket also holds foreign objects exactly the published ones."""
    if keys is None:
        return f"arn:{partition}:s3:::{bucket}/*"
    return [f"arn:{partition}:s3:::{bucket}/{key}" for key in sorted(keys)]


def public_read_policy(bucket: str, partition: str, keys: list[str] | None = None) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": read_resources(bucket, partition, keys),
        }],
    }


def cloudfront_read_policy(bucket: str, partition: str, distribution_arn: str, keys: list[str] | None = None) -> dict:
    """Only the distribution (through its origin access control) may read the objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudFrontReadsObjects",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": read_resources(bucket, partition, keys),
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        }],
    }


def checked_policy(policy: dict) -> str:
    text = json.dumps(policy)
    if len(text) > POLICY_SIZE_LIMIT:
        raise SyncError("The site has too many files to name each in a bucket policy beside objects the sync did "
                        "not publish: publish it to a bucket of its own.")
    return text


def open_as_website(s3, state: BucketState, policy: dict, error_document: str) -> None:
    """Lift only the policy part of Block Public Access, then the policy, then the website; each only if it differs.
    S3 may go on refusing a public policy for a while after Block Public Access was lowered, so that policy is
    retried."""
    if state.public_access_block == WEBSITE_BLOCK:
        put_policy(s3, state, policy)
    else:
        s3.put_public_access_block(Bucket=state.name, PublicAccessBlockConfiguration=WEBSITE_BLOCK)
        retry_while_iam_propagates(lambda: put_policy(s3, state, policy),
                                   f"PutBucketPolicy on {state.name} right after lowering its Block Public Access "
                                   f"(an account-level Block Public Access refuses it for good: then use --cloudfront)")
    website = {"IndexDocument": {"Suffix": INDEX_KEY}, "ErrorDocument": {"Key": error_document}}
    if state.website != website:
        s3.put_bucket_website(Bucket=state.name, WebsiteConfiguration=website)


def make_private(s3, state: BucketState) -> None:
    """Block Public Access fully on (raising it never exposes anything), and no website endpoint of ours."""
    if state.public_access_block != ALL_BLOCKED:
        s3.put_public_access_block(Bucket=state.name, PublicAccessBlockConfiguration=ALL_BLOCKED)
    if state.website is not None and state.manifest.get("mode") == "website":
        s3.delete_bucket_website(Bucket=state.name)


def put_policy(s3, state: BucketState, policy: dict) -> None:
    if state.policy != policy:
        s3.put_bucket_policy(Bucket=state.name, Policy=checked_policy(policy))


def write_manifest(s3, state: BucketState, objects: dict[str, str], kept: list[str], policy: dict, mode: str,
                   distribution_id: str | None) -> None:
    """Record what the sync owns and what it publishes beside; an unchanged manifest is not written again, so a
    no-change sync writes nothing."""
    manifest = {"published_by": PUBLISHER, "mode": mode, "objects": dict(sorted(objects.items())),
                "kept": {key: state.etags[key] for key in kept}, "policy": policy}
    if distribution_id:
        manifest["distribution_id"] = distribution_id
    if manifest == state.manifest:
        return
    s3.put_object(Bucket=state.name, Key=MANIFEST_KEY, Body=json.dumps(manifest, indent=1).encode(),
                  ContentType="application/json", CacheControl="no-cache")
    state.manifest = manifest


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


def upload_changed(s3, state: BucketState, files: list[SiteFile], dry_run: bool,
                   before_first_upload: Callable[[], None]) -> int:
    """Upload what differs; print one line per file; return how many were (or would be) uploaded."""
    prefix = "would " if dry_run else ""
    uploaded = 0
    for site_file in files:
        reason = upload_reason(s3, state.name, site_file, state.etags)
        if reason is None:
            print(f"skip    {site_file.key}")
            continue
        print(f"{prefix}upload  {site_file.key} ({reason}, {site_file.content_type}, {site_file.cache_control})")
        if not dry_run and uploaded == 0:
            before_first_upload()
        if not dry_run:
            s3.put_object(Bucket=state.name, Key=site_file.key, Body=site_file.body,
                          ContentType=site_file.content_type, CacheControl=site_file.cache_control)
        uploaded += 1
    return uploaded


def stale_objects(state: BucketState, files: list[SiteFile]) -> list[str]:
    """Objects the sync published before that the site no longer has: the only ones it ever deletes."""
    return sorted(set(state.published) & set(state.etags) - {file.key for file in files})


def delete_objects(s3, bucket: str, keys: list[str], dry_run: bool) -> None:
    for key in keys:
        print(f"{'would ' if dry_run else ''}delete  {key}")
    if dry_run:
        return
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start:start + 1000]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if response.get("Errors"):
            failure = response["Errors"][0]
            raise SyncError(f"Could not delete {failure['Key']}: {failure.get('Message', failure['Code'])}.")


def foreign_fingerprint(state: BucketState, foreign: list[str], foreign_policy: bool) -> str:
    """Names exactly what --force would publish beside: the foreign objects as they are now, and the policy."""
    seen = {"bucket": state.name, "objects": {key: state.etags[key] for key in foreign},
            "policy": state.policy if foreign_policy else None}
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:12]


def refuse_foreign(state: BucketState, files: list[SiteFile], foreign: list[str], foreign_policy: bool,
                   force: str | None, dry_run: bool, website: bool) -> None:
    """Stop before any change when the bucket holds what the sync did not make, unless --force names the
    fingerprint a dry run printed for the bucket as it still is. Foreign objects a forced sync already
    published beside, unchanged since, need no new --force."""
    overwritten = sorted(set(foreign) & {file.key for file in files})
    if overwritten:
        raise Refusal(f"Bucket {state.name} holds {describe_objects(overwritten)} this script did not publish, which "
                      f"the site would overwrite: publish to a bucket of its own. Nothing was changed.")
    if website and foreign and blocks_public_policies(state):
        raise Refusal(f"Bucket {state.name} holds {foreign_things(foreign, foreign_policy)}, and its Block Public "
                      f"Access stops public policies: a public website would need it lowered, which this script "
                      f"never does on a bucket holding anything else; publish to a bucket of its own, or use "
                      f"--cloudfront (the bucket stays private). Nothing was changed.")
    foreign = unacknowledged(state, foreign)
    if not foreign and not foreign_policy:
        return
    what = foreign_things(foreign, foreign_policy)
    fingerprint = foreign_fingerprint(state, foreign, foreign_policy)
    if dry_run:
        print(f"note: bucket {state.name} holds {what}; to publish beside them run again with --force "
              f"{fingerprint}: every foreign object is kept, never deleted nor made readable"
              + (", and the policy is replaced" if foreign_policy else ""))
        return
    if force is None:
        raise Refusal(f"Bucket {state.name} holds {what}, so nothing was changed: run again with --dry-run to see "
                      f"what would change and the --force value that publishes beside them.")
    if force != fingerprint:
        raise Refusal(f"--force {force} does not match bucket {state.name} as it is now (it holds {what}), so "
                      f"nothing was changed: run --dry-run again to see what changed.")


def describe_objects(keys: list[str]) -> str:
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return f"{len(keys)} object(s) ({shown})"


def foreign_things(foreign: list[str], foreign_policy: bool) -> str:
    return " and ".join(part for part in (
        f"{describe_objects(foreign)} this script did not publish" if foreign else "",
        "a bucket policy this script did not write" if foreign_policy else "") if part)
