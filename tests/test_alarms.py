"""scripts/alarms.py against a real moto server: a `chalice deploy`ed stage gets its alarms, topic and dashboard."""
import json

import boto3
import pytest

from devkit.servers import PROJECT_ROOT
from scripts.alarms import main
from tests.aws_like import contract_parameters  # noqa: F401
from tests.moto_server import REGION

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

API_NAME = "is-this-movie-a-thriller"
FUNCTION_NAME = "is-this-movie-a-thriller-prod"
ENDPOINT_NAME = "is-this-movie-a-thriller"
API_STAGE = "api"
EMAIL = "ops@example.com"


def record_deployment(chalice_dir, stage: str, api_id: str, api_stage: str) -> None:
    """What `chalice deploy --stage STAGE` records: the function and the API's URL, which ends in its API Gateway
    stage."""
    (chalice_dir / "deployed" / f"{stage}.json").write_text(json.dumps({"resources": [
        {"name": "api_handler", "resource_type": "lambda_function",
         "lambda_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{API_NAME}-{stage}"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id,
         "rest_api_url": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{api_stage}/"},
    ]}))


def test_the_dev_and_prod_stages_alarms_watch_different_api_gateway_stages(aws, tmp_path):
    """Chalice names both stages' REST APIs after the app, and API Gateway's metrics are per ApiName and Stage: only
    a stage of their own (api_gateway_stage in .chalice/config.json) keeps dev's 5xx out of prod's alarm."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    chalice_dir = tmp_path / ".chalice"
    (chalice_dir / "deployed").mkdir(parents=True)
    (chalice_dir / "config.json").write_text(json.dumps(config))
    apigateway = boto3.client("apigateway", region_name=REGION)
    for stage in ("dev", "prod"):
        api_id = apigateway.create_rest_api(name=config["app_name"])["id"]
        record_deployment(chalice_dir, stage, api_id, config["stages"][stage].get("api_gateway_stage", "api"))
        assert main(["--stage", stage, "--project-dir", str(tmp_path)]) == 0
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    watched = {alarm["AlarmName"]: dimensions_of(alarm) for alarm in alarms if alarm["MetricName"] == "5XXError"}
    assert len(watched) == 2
    assert len({json.dumps(dimensions, sort_keys=True) for dimensions in watched.values()}) == 2


@pytest.fixture
def project(aws, tmp_path):
    """A Chalice project whose prod stage was deployed: a REST API in moto and the function chalice recorded."""
    api_id = boto3.client("apigateway", region_name=REGION).create_rest_api(name=API_NAME)["id"]
    chalice_dir = tmp_path / ".chalice"
    (chalice_dir / "deployed").mkdir(parents=True)
    (chalice_dir / "config.json").write_text(json.dumps({"version": "2.0", "app_name": API_NAME, "stages": {
        "prod": {"environment_variables": {"SAGEMAKER_ENDPOINT_NAME": ENDPOINT_NAME}}}}))
    (chalice_dir / "deployed" / "prod.json").write_text(json.dumps({"resources": [
        {"name": "api_handler", "resource_type": "lambda_function",
         "lambda_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION_NAME}"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id,
         "rest_api_url": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{API_STAGE}/"},
    ]}))
    return tmp_path


def deploy_alarms(project, *extra):
    assert main(["--stage", "prod", "--project-dir", str(project), *extra]) == 0


def alarms_by_name():
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    return {alarm["AlarmName"].removeprefix(f"{FUNCTION_NAME}-"): alarm for alarm in alarms}


def dimensions_of(alarm) -> dict:
    return {item["Name"]: item["Value"] for item in alarm["Dimensions"]}


def topic_arn() -> str:
    (topic,) = boto3.client("sns", region_name=REGION).list_topics()["Topics"]
    return topic["TopicArn"]


def dashboard() -> dict:
    body = boto3.client("cloudwatch", region_name=REGION).get_dashboard(DashboardName=FUNCTION_NAME)["DashboardBody"]
    return json.loads(body)


def test_alarms_watch_the_api_the_function_and_the_endpoint(project):
    deploy_alarms(project)
    alarms = alarms_by_name()
    assert set(alarms) == {"api-5xx-rate", "function-errors", "function-throttles", "endpoint-model-errors",
                           "endpoint-latency"}
    assert (alarms["api-5xx-rate"]["Namespace"], alarms["api-5xx-rate"]["MetricName"]) == ("AWS/ApiGateway",
                                                                                            "5XXError")
    assert dimensions_of(alarms["api-5xx-rate"]) == {"ApiName": API_NAME, "Stage": API_STAGE}
    assert (alarms["api-5xx-rate"]["Statistic"], alarms["api-5xx-rate"]["Threshold"]) == ("Average", 0.05), \
        "the average of 5XXError is the share of answers that were 5xx: a rate, whatever the traffic"
    assert {alarms[name]["MetricName"] for name in ("function-errors", "function-throttles")} == {"Errors",
                                                                                                 "Throttles"}
    assert dimensions_of(alarms["function-errors"]) == {"FunctionName": FUNCTION_NAME}
    assert alarms["endpoint-model-errors"]["MetricName"] == "InvocationModelErrors"
    assert alarms["endpoint-latency"]["MetricName"] == "ModelLatency"
    assert dimensions_of(alarms["endpoint-latency"]) == {"EndpointName": ENDPOINT_NAME, "VariantName": "AllTraffic"}


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(project):
    deploy_alarms(project)
    topic = topic_arn()
    assert topic.endswith(f":{FUNCTION_NAME}-alarms")
    for alarm in alarms_by_name().values():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]


def test_alarm_email_is_subscribed_to_the_topic_once_however_often_it_runs(project):
    deploy_alarms(project, "--alarm-email", EMAIL)
    deploy_alarms(project, "--alarm-email", EMAIL)
    subscriptions = boto3.client("sns", region_name=REGION).list_subscriptions_by_topic(
        TopicArn=topic_arn())["Subscriptions"]
    assert [(item["Protocol"], item["Endpoint"]) for item in subscriptions] == [("email", EMAIL)]


def test_running_it_again_changes_nothing(project):
    deploy_alarms(project)
    before = alarms_by_name(), dashboard(), topic_arn()
    deploy_alarms(project)
    after = alarms_by_name(), dashboard(), topic_arn()
    strip = lambda alarms: {name: {k: v for k, v in alarm.items() if not k.startswith("StateUpdated")  # noqa: E731
                                   and k not in ("AlarmConfigurationUpdatedTimestamp", "StateTransitionedTimestamp")}
                            for name, alarm in alarms.items()}
    assert (strip(after[0]), after[1], after[2]) == (strip(before[0]), before[1], before[2])


def test_dashboard_shows_the_alarms_and_the_verdict_counts(project):
    deploy_alarms(project)
    widgets = dashboard()["widgets"]
    (alarm_widget,) = [widget for widget in widgets if widget["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(a["AlarmArn"] for a in alarms_by_name().values())
    verdicts = next(widget for widget in widgets if widget["properties"].get("title") == "Verdicts")
    (expression,) = verdicts["properties"]["metrics"][0]
    assert f'service="{FUNCTION_NAME}"' in expression["expression"]
    assert 'MetricName="Requests"' in expression["expression"] and "verdict" in expression["expression"]


def test_dashboard_shows_the_metrics_the_alarms_watch(project):
    deploy_alarms(project)
    shown = json.dumps(dashboard())
    for alarm in alarms_by_name().values():
        assert f'"{alarm["Namespace"]}", "{alarm["MetricName"]}"' in shown


def test_the_cloudformation_route_names_its_api_and_function_through_the_stack_outputs(aws, project):
    """What `aws cloudformation deploy` of `chalice package`'s template leaves: its outputs name the resources."""
    (api,) = boto3.client("apigateway", region_name=REGION).get_rest_apis()["items"]
    outputs = {"RestAPIId": api["id"], "APIHandlerName": "thriller-stack-APIHandler-1A2B3C",
               "EndpointURL": f"https://{api['id']}.execute-api.{REGION}.amazonaws.com/{API_STAGE}/"}
    template = {"Resources": {"Placeholder": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {key: {"Value": value} for key, value in outputs.items()}}
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName="thriller-stack",
                                                                     TemplateBody=json.dumps(template))
    assert main(["--stage", "prod", "--project-dir", str(project), "--stack-name", "thriller-stack"]) == 0
    alarms = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    errors = next(alarm for alarm in alarms if alarm["AlarmName"] == "thriller-stack-APIHandler-1A2B3C-function-errors")
    assert dimensions_of(errors) == {"FunctionName": "thriller-stack-APIHandler-1A2B3C"}


def test_an_undeployed_stage_is_a_clear_error_before_any_change(aws, project, capsys):
    assert main(["--stage", "dev", "--project-dir", str(project)]) == 1
    error = capsys.readouterr().err
    assert "chalice deploy --stage dev" in error and "Traceback" not in error
    assert boto3.client("sns", region_name=REGION).list_topics()["Topics"] == []


def test_a_malformed_email_is_refused(project, capsys):
    with pytest.raises(SystemExit):
        main(["--stage", "prod", "--project-dir", str(project), "--alarm-email", "not-an-address"])
    assert "not an email address" in capsys.readouterr().err
