"""Give a `chalice deploy`ed API what Chalice cannot configure: CORS on API Gateway's own errors, throttling, and
a retention for its function's logs.

deploy/merge-template.json is the single description of both (gateway responses DEFAULT_4XX/DEFAULT_5XX and the
stage's rate and burst limits). `chalice package --merge-template` puts it into the CloudFormation template; this
script applies the same settings through the API Gateway API after `chalice deploy`, which ignores merge templates
and resets gateway responses on every deploy, so run it after each one:

    .venv/bin/python scripts/api_gateway_settings.py --stage prod [--rate-limit 10] [--burst-limit 20]
        [--log-retention-days 30]

The function's log group is /aws/lambda/<app>-<stage>, the name `chalice deploy` gives the function.
"""
import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import boto3

from scripts.aws_failures import run_reporting_failures
from scripts.chalice_project import ChaliceProjectError, deployed_rest_api, read_config, stage_variable
from scripts.log_retention import add_retention_argument, lambda_log_group, set_retention

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = PROJECT_ROOT / "deploy" / "merge-template.json"
API_RESOURCE = "RestAPI"
CORS_PARAMETER = "CorsAllowOrigin"
RATE_PARAMETER = "ThrottlingRateLimit"
BURST_PARAMETER = "ThrottlingBurstLimit"


class SettingsError(Exception):
    """A problem the user can fix; its message is the one sentence they see."""


def read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{what} {path} does not exist.") from None
    except ValueError as error:
        raise SettingsError(f"{what} {path} is not valid JSON ({error}).") from None


def stage_cors_origin(project_dir: Path, stage: str) -> str | None:
    """The CORS_ALLOW_ORIGIN that .chalice/config.json gives the stage's Lambda function, if any."""
    return stage_variable(project_dir, stage, "CORS_ALLOW_ORIGIN")


def parameter_values(template: dict, overrides: dict[str, object]) -> dict[str, object]:
    """The merge template's parameter defaults, with the given non-None overrides."""
    specs = template.get("Parameters", {})
    values = {name: spec.get("Default") for name, spec in specs.items()}
    values.update({name: value for name, value in overrides.items() if value is not None})
    for name, value in values.items():
        pattern = specs.get(name, {}).get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, str(value)):
            raise SettingsError(f"{name} {value!r} is not allowed: it must match {pattern}, as CloudFormation "
                                f"would require.")
    return values


def resolve(value, parameters: dict[str, object]):
    """Evaluate the Ref and Fn::Sub of parameters that the merge template uses, as CloudFormation would."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda match: str(parameters[match.group(1)]), value["Fn::Sub"])
    if isinstance(value, dict):
        return {key: resolve(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, parameters) for item in value]
    return value


def gateway_responses(template: dict, parameters: dict[str, object]) -> list[dict]:
    """put_gateway_response arguments for each gateway response of the merge template."""
    responses = resolve(template["Resources"][API_RESOURCE]["Properties"]["GatewayResponses"], parameters)
    prefixes = {"Headers": "header", "Paths": "path", "QueryStrings": "querystring"}
    calls = []
    for response_type, response in responses.items():
        arguments = {
            "responseType": response_type,
            "responseParameters": {
                f"gatewayresponse.{prefixes[kind]}.{name}": value
                for kind, entries in response.get("ResponseParameters", {}).items()
                for name, value in entries.items()
            },
            "responseTemplates": response.get("ResponseTemplates", {}),
        }
        if "StatusCode" in response:
            arguments["statusCode"] = str(response["StatusCode"])
        calls.append(arguments)
    return calls


def throttling_patch(template: dict, parameters: dict[str, object]) -> list[dict]:
    """update_stage patch operations for each MethodSettings entry's limits ("/" in a path is written "~1")."""
    operations = []
    for setting in resolve(template["Resources"][API_RESOURCE]["Properties"]["MethodSettings"], parameters):
        resource_path = "*" if setting["ResourcePath"] == "/*" else setting["ResourcePath"].replace("/", "~1")
        prefix = f"/{resource_path}/{setting['HttpMethod']}"
        operations += [
            {"op": "replace", "path": f"{prefix}/throttling/rateLimit", "value": str(setting["ThrottlingRateLimit"])},
            {"op": "replace", "path": f"{prefix}/throttling/burstLimit", "value": str(setting["ThrottlingBurstLimit"])},
        ]
    return operations


def api_url_location(api_url: str) -> tuple[str, str]:
    """(region, API Gateway stage) of an API's URL, https://ID.execute-api.REGION.amazonaws.com/STAGE/."""
    url = urlparse(api_url)
    return url.hostname.split(".")[2], url.path.strip("/")


def deployed_api_location(project_dir: Path, stage: str, resources: list | None = None) -> tuple[str, str, str]:
    """(rest API id, region, API Gateway stage) that `chalice deploy --stage STAGE` recorded; resources:
    deployed_resources' answer, where the caller has read it already."""
    rest_api = deployed_rest_api(project_dir, stage, resources)
    return rest_api["rest_api_id"], *api_url_location(rest_api["rest_api_url"])


def apply_settings(args: argparse.Namespace, session: boto3.session.Session) -> None:
    rest_api_id, region, api_stage = deployed_api_location(args.project_dir, args.stage)
    template = read_json(args.merge_template, "Merge template")
    parameters = parameter_values(template, {
        CORS_PARAMETER: args.cors_origin or stage_cors_origin(args.project_dir, args.stage),
        RATE_PARAMETER: args.rate_limit,
        BURST_PARAMETER: args.burst_limit,
    })
    apigateway = session.client("apigateway", region_name=region)
    for arguments in gateway_responses(template, parameters):
        apigateway.put_gateway_response(restApiId=rest_api_id, **arguments)
        print(f"gateway response {arguments['responseType']}: {arguments['responseParameters']}")
    apigateway.create_deployment(restApiId=rest_api_id, stageName=api_stage,
                                 description="Gateway responses from deploy/merge-template.json")
    patch = throttling_patch(template, parameters)
    apigateway.update_stage(restApiId=rest_api_id, stageName=api_stage, patchOperations=patch)
    for operation in patch:
        print(f"stage {api_stage}: {operation['path']} = {operation['value']}")
    function_name = f"{read_config(args.project_dir)['app_name']}-{args.stage}"
    set_retention(session.client("logs", region_name=region), lambda_log_group(function_name),
                  args.log_retention_days)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument("--rate-limit", type=float, help="steady requests per second (default: the template's)")
    parser.add_argument("--burst-limit", type=int, help="burst requests (default: the template's)")
    parser.add_argument("--cors-origin", help="origin for error answers (default: the stage's CORS_ALLOW_ORIGIN)")
    add_retention_argument(parser, "days the function's CloudWatch logs are kept (default: %(default)s)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: here)")
    parser.add_argument("--merge-template", type=Path, default=MERGE_TEMPLATE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (args.rate_limit is not None and args.rate_limit <= 0) or (args.burst_limit is not None
                                                                  and args.burst_limit <= 0):
        parser.error("--rate-limit and --burst-limit must be positive")
    return args


def main(argv: list[str] | None = None, session: boto3.session.Session | None = None) -> int:
    args = parse_args(argv)
    return run_reporting_failures(lambda: apply_settings(args, session or boto3.session.Session()),
                                  (SettingsError, ChaliceProjectError))


if __name__ == "__main__":
    sys.exit(main())
