"""Route 53: the zone that holds the domain, the alias records to the site, the certificate's validation record."""
from scripts.static_site.errors import SyncError

CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
"""Route 53's hosted zone of every CloudFront distribution (the alias target's zone)."""

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


def aws_domain(region: str) -> str:
    """The domain of the region's AWS endpoints: amazonaws.com, or amazonaws.com.cn in China."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def website_host(region: str) -> str:
    """The regional S3 website endpoint, without the bucket name (also the Route 53 alias target)."""
    separator = "-" if region in DASH_WEBSITE_REGIONS else "."
    return f"s3-website{separator}{region}.{aws_domain(region)}"


def website_url(bucket: str, region: str) -> str:
    return f"http://{bucket}.{website_host(region)}"


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


def upsert(route53, zone_id: str, comment: str, records: list[dict]) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Comment": comment,
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record} for record in records],
    })


def upsert_website_alias(route53, zone_id: str, domain: str, region: str) -> None:
    upsert(route53, zone_id, f"S3 website for {domain}", [{
        "Name": f"{domain}.", "Type": "A",
        "AliasTarget": {"HostedZoneId": WEBSITE_HOSTED_ZONE_IDS[region], "DNSName": website_host(region),
                        "EvaluateTargetHealth": False},
    }])


def upsert_distribution_alias(route53, zone_id: str, domain: str, distribution_domain: str) -> None:
    """A and AAAA aliases: the distribution answers over IPv4 and IPv6."""
    target = {"HostedZoneId": CLOUDFRONT_HOSTED_ZONE_ID, "DNSName": distribution_domain,
              "EvaluateTargetHealth": False}
    upsert(route53, zone_id, f"CloudFront distribution for {domain}",
           [{"Name": f"{domain}.", "Type": record_type, "AliasTarget": target} for record_type in ("A", "AAAA")])


def upsert_validation_record(route53, zone_id: str, record: dict) -> None:
    upsert(route53, zone_id, "ACM certificate validation", [{
        "Name": record["Name"], "Type": record["Type"], "TTL": 300,
        "ResourceRecords": [{"Value": record["Value"]}],
    }])
