"""Give a `chalice deploy`ed stage CloudWatch alarms, the SNS topic they notify, and a dashboard.

    .venv/bin/python scripts/alarms.py --stage prod [--alarm-email ops@example.com]
    .venv/bin/python scripts/alarms.py --stage prod --stack-name STACK   (after the CloudFormation route)

Alarms: the API's 5xx rate, the function's errors and throttles, the model endpoint's model errors and
latency. Each notifies the topic <function>-alarms when it fires and when it clears; --alarm-email
subscribes an address to it (AWS sends a confirmation mail first). The dashboard <function> shows the
same metrics with the API's own ones: verdicts, refusals by error code, endpoint failures by kind (the
EMF metrics of chalicelib/observability.py), and whether visitors agree with the verdicts (chalicelib/
feedback_metrics.py). Every call overwrites what it creates, so re-running it after each deploy changes nothing
that is already right.
"""
import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

from chalicelib.feedback_metrics import FEEDBACK_METRIC
from chalicelib.observability import DEFAULT_NAMESPACE
from scripts.api_gateway_settings import api_url_location, deployed_api_location
from scripts.aws_failures import run_reporting_failures
from scripts.chalice_project import ChaliceProjectError, deployed_path, deployed_resources, stage_variables
from scripts.log_retention import lambda_log_group
from scripts.model_deploy.endpoint import VARIANT_NAME

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PERIOD_S = 300
ERRORS_QUERY = ("fields @timestamp, request_id, status, error_code, message, detail | filter status >= 500 "
                "| sort @timestamp desc | limit 50")
"""Logs Insights: the function's 5xx answers, newest first (docs/operations.md has more)."""


@dataclass(frozen=True)
class Deployment:
    """Names the alarms and the dashboard watch, all read from the Chalice project and the deployed API."""
    region: str
    function_name: str
    api_name: str
    api_stage: str
    endpoint_name: str
    variant_name: str
    namespace: str

    @property
    def topic_name(self) -> str:
        return f"{self.function_name}-alarms"


class AlarmsError(Exception):
    """A problem the user can fix; its message is the one sentence they see."""


def deployed_function_name(project_dir: Path, stage: str, resources: list) -> str:
    """The API handler's function name, from the lambda_arn that `chalice deploy` recorded (resources:
    deployed_resources' answer)."""
    for resource in resources:
        if isinstance(resource, dict) and resource.get("resource_type") == "lambda_function" \
                and resource.get("name") == "api_handler" and resource.get("lambda_arn"):
            return resource["lambda_arn"].split(":")[6]
    raise ChaliceProjectError(f"{deployed_path(project_dir, stage)} records no API function: run "
                              f"`chalice deploy --stage {stage}` first.")


def stack_outputs(session: boto3.session.Session, stack_name: str, region: str | None) -> tuple[str, str, str, str]:
    """(rest API id, region, API Gateway stage, function name) from the outputs of the stack that
    `aws cloudformation deploy` made of `chalice package`'s template."""
    stacks = session.client("cloudformation", region_name=region).describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}
    missing = {"RestAPIId", "APIHandlerName", "EndpointURL"} - set(outputs)
    if missing:
        raise AlarmsError(f"Stack {stack_name} has no output {', '.join(sorted(missing))}: is it a Chalice stack?")
    return outputs["RestAPIId"], *api_url_location(outputs["EndpointURL"]), outputs["APIHandlerName"]


def read_deployment(args: argparse.Namespace, session: boto3.session.Session) -> Deployment:
    if args.stack_name:
        rest_api_id, region, api_stage, function_name = stack_outputs(session, args.stack_name, args.region)
    else:
        resources = deployed_resources(args.project_dir, args.stage)
        rest_api_id, region, api_stage = deployed_api_location(args.project_dir, args.stage, resources)
        function_name = deployed_function_name(args.project_dir, args.stage, resources)
    variables = stage_variables(args.project_dir, args.stage)
    endpoint_name = variables.get("SAGEMAKER_ENDPOINT_NAME")
    if not endpoint_name:
        raise AlarmsError(f"Stage {args.stage} sets no SAGEMAKER_ENDPOINT_NAME in .chalice/config.json.")
    api_name = session.client("apigateway", region_name=region).get_rest_api(restApiId=rest_api_id)["name"]
    return Deployment(
        region=region, function_name=function_name, api_name=api_name,
        api_stage=api_stage, endpoint_name=endpoint_name, variant_name=args.variant,
        namespace=variables.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE)


def dimensions(**values: str) -> list[dict]:
    return [{"Name": name, "Value": value} for name, value in values.items()]


def alarm_specs(deployment: Deployment) -> list[dict]:
    """put_metric_alarm arguments, less the actions: what wakes someone, and why that threshold."""
    d = deployment
    api = dimensions(ApiName=d.api_name, Stage=d.api_stage)
    function = dimensions(FunctionName=d.function_name)
    endpoint = dimensions(EndpointName=d.endpoint_name, VariantName=d.variant_name)
    common = {"Period": PERIOD_S, "TreatMissingData": "notBreaching"}
    return [
        {"AlarmName": f"{d.function_name}-api-5xx-rate", **common,
         "AlarmDescription": "More than 5% of the API's answers were 5xx in two 5-minute periods running: "
                             "the endpoint fails, times out or is missing, or the function crashes.",
         "Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Dimensions": api, "Statistic": "Average",
         "Threshold": 0.05, "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 2,
         "DatapointsToAlarm": 2},
        {"AlarmName": f"{d.function_name}-function-errors", **common,
         "AlarmDescription": "The API function crashed or timed out (its log has the traceback).",
         "Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": function, "Statistic": "Sum",
         "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "EvaluationPeriods": 1},
        {"AlarmName": f"{d.function_name}-function-throttles", **common,
         "AlarmDescription": "Lambda refused to run the API function: the account's concurrency is used up.",
         "Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": function, "Statistic": "Sum",
         "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "EvaluationPeriods": 1},
        {"AlarmName": f"{d.function_name}-endpoint-model-errors", **common,
         "AlarmDescription": "The model container failed at least 5 requests in 5 minutes (the API answers "
                             "them 502 ModelFailed); its log group /aws/sagemaker/Endpoints/... says why.",
         "Namespace": "AWS/SageMaker", "MetricName": "InvocationModelErrors", "Dimensions": endpoint,
         "Statistic": "Sum", "Threshold": 5, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
         "EvaluationPeriods": 1},
        {"AlarmName": f"{d.function_name}-endpoint-latency", **common,
         "AlarmDescription": "The model took over 2 s for one request in ten, three 5-minute periods running "
                             "(the API gives up after SAGEMAKER_READ_TIMEOUT): scale the endpoint up or out.",
         "Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Dimensions": endpoint,
         "ExtendedStatistic": "p90", "Unit": "Microseconds", "Threshold": 2_000_000,
         "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 3, "DatapointsToAlarm": 3},
    ]


def search(namespace: str, dimension_names: tuple[str, ...], service: str, metric: str) -> dict:
    """Every series of one of our EMF metrics, whatever its dimension values (verdicts, error codes)."""
    schema = ",".join((namespace, *dimension_names))
    return {"expression": f"SEARCH('{{{schema}}} service=\"{service}\" MetricName=\"{metric}\"', 'Sum', "
                          f"{PERIOD_S})", "id": metric.lower()}


def metric_widget(title: str, metrics: list, region: str, stat: str = "Sum", **properties) -> dict:
    return {"type": "metric", "width": 12, "height": 6,
            "properties": {"title": title, "region": region, "stat": stat, "period": PERIOD_S,
                           "view": "timeSeries", "metrics": metrics, **properties}}


def dashboard_body(deployment: Deployment, alarm_arns: list[str]) -> dict:
    d = deployment
    api = ["AWS/ApiGateway", "Count", "ApiName", d.api_name, "Stage", d.api_stage]
    function = ["AWS/Lambda", "Invocations", "FunctionName", d.function_name]
    endpoint = ["AWS/SageMaker", "Invocations", "EndpointName", d.endpoint_name, "VariantName", d.variant_name]
    service = d.function_name
    widgets = [
        {"type": "alarm", "width": 24, "height": 3,
         "properties": {"title": "Alarms", "alarms": alarm_arns}},
        metric_widget("Verdicts", [[search(d.namespace, ("service", "verdict"), service, "Requests")]],
                      d.region),
        metric_widget("Visitors agree: answers to \"Was this right?\" by verdict and agreement",
                      [[search(d.namespace, ("service", "verdict", "agreement"), service, FEEDBACK_METRIC)]], d.region),
        metric_widget("Refusals by error code",
                      [[search(d.namespace, ("service", "error_code"), service, "Refusals")]], d.region),
        metric_widget("Endpoint failures by kind",
                      [[search(d.namespace, ("service", "kind"), service, "EndpointFailures")]], d.region),
        metric_widget("API requests and errors", [api, [*api[:1], "4XXError", *api[2:]],
                                                  [*api[:1], "5XXError", *api[2:]]], d.region),
        metric_widget("Function invocations, errors, throttles",
                      [function, [*function[:1], "Errors", *function[2:]],
                       [*function[:1], "Throttles", *function[2:]]], d.region),
        metric_widget("Endpoint invocations and model errors",
                      [endpoint, [*endpoint[:1], "InvocationModelErrors", *endpoint[2:]]], d.region),
        metric_widget("Latency p90 (ms): API, function, endpoint as the API sees it",
                      [[*api[:1], "Latency", *api[2:]], [*function[:1], "Duration", *function[2:]],
                       [d.namespace, "EndpointLatency", "service", service]], d.region, stat="p90"),
        metric_widget("Model latency p90 (microseconds, inside SageMaker)",
                      [[*endpoint[:1], "ModelLatency", *endpoint[2:]]], d.region, stat="p90"),
        {"type": "log", "width": 24, "height": 6,
         "properties": {"title": "Last errors", "region": d.region, "view": "table",
                        "query": f"SOURCE '{lambda_log_group(d.function_name)}' | {ERRORS_QUERY}"}},
    ]
    return {"widgets": widgets}


def topic_arn(sns, deployment: Deployment, email: str | None) -> str:
    """The alarms' topic (CreateTopic returns the existing one), and the address subscribed once."""
    arn = sns.create_topic(Name=deployment.topic_name)["TopicArn"]
    print(f"topic {arn}")
    if email:
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        subscribed = {item["Endpoint"].lower() for page in pages for item in page["Subscriptions"]
                      if item["Protocol"] == "email"}
        if email.lower() in subscribed:
            print(f"  {email} is already subscribed (or was sent its confirmation mail)")
        else:
            sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)
            print(f"  subscribed {email}: AWS sends it a mail to confirm before any alarm reaches it")
    return arn


def apply(args: argparse.Namespace, session: boto3.session.Session) -> None:
    deployment = read_deployment(args, session)
    sns = session.client("sns", region_name=deployment.region)
    cloudwatch = session.client("cloudwatch", region_name=deployment.region)
    topic = topic_arn(sns, deployment, args.alarm_email)
    alarm_names = []
    for spec in alarm_specs(deployment):
        cloudwatch.put_metric_alarm(**spec, ActionsEnabled=True, AlarmActions=[topic], OKActions=[topic])
        alarm_names.append(spec["AlarmName"])
        print(f"alarm {spec['AlarmName']}: {spec['Namespace']} {spec['MetricName']}")
    alarms = cloudwatch.describe_alarms(AlarmNames=alarm_names)["MetricAlarms"]
    cloudwatch.put_dashboard(DashboardName=deployment.function_name,
                             DashboardBody=json.dumps(dashboard_body(deployment, [a["AlarmArn"] for a in alarms])))
    print(f"dashboard {deployment.function_name}: https://{deployment.region}.console.aws.amazon.com/cloudwatch/"
          f"home?region={deployment.region}#dashboards/dashboard/{deployment.function_name}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument("--alarm-email", help="subscribe this address to the alarms' SNS topic")
    parser.add_argument("--variant", default=VARIANT_NAME,
                        help="the endpoint's production variant (default: %(default)s, as deploy_model.py makes)")
    parser.add_argument("--stack-name", help="the CloudFormation stack of the API (docs/deploy.md, step 9) "
                                             "instead of what `chalice deploy` recorded")
    parser.add_argument("--region", help="the stack's region, with --stack-name (default: AWS configuration)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: here)")
    args = parser.parse_args(argv)
    if args.region and not args.stack_name:
        parser.error("--region goes with --stack-name; otherwise the region is the deployed API's")
    if args.alarm_email is not None and "@" not in args.alarm_email:
        parser.error(f"--alarm-email {args.alarm_email!r} is not an email address")
    return args


def main(argv: list[str] | None = None, session: boto3.session.Session | None = None) -> int:
    args = parse_args(argv)
    return run_reporting_failures(lambda: apply(args, session or boto3.session.Session()),
                                  (AlarmsError, ChaliceProjectError))


if __name__ == "__main__":
    sys.exit(main())
