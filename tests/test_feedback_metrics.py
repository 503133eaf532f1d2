"""Counting feedback: one EMF record per stored answer by verdict and agreement, and the dashboard's "Visitors
agree" widget that shows those series."""
import json

from chalicelib.feedback_metrics import FEEDBACK_METRIC, count_feedback
from tests.aws_like import contract_parameters  # noqa: F401
from tests.test_alarms import FUNCTION_NAME, dashboard, deploy_alarms, project  # noqa: F401


def test_each_answer_is_one_emf_count_by_verdict_and_agreement(capsys):
    count_feedback("thriller/crime", "disagrees", {"AWS_LAMBDA_FUNCTION_NAME": "fn-prod"})
    record = json.loads(capsys.readouterr().out)
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "IsThisMovieAThriller"
    assert directive["Metrics"] == [{"Name": FEEDBACK_METRIC, "Unit": "Count"}]
    assert sorted(directive["Dimensions"][0]) == ["agreement", "service", "verdict"]
    assert (record["service"], record["verdict"], record["agreement"], record[FEEDBACK_METRIC]) == \
        ("fn-prod", "thriller/crime", "disagrees", [1.0])


def test_the_dashboard_shows_whether_visitors_agree_by_verdict(project, contract_parameters):  # noqa: F811
    deploy_alarms(project)
    [widget] = [w for w in dashboard()["widgets"] if w["properties"].get("title", "").startswith("Visitors agree")]
    [[expression]] = widget["properties"]["metrics"]
    assert f'service="{FUNCTION_NAME}"' in expression["expression"]
    assert f'MetricName="{FEEDBACK_METRIC}"' in expression["expression"]
    assert "verdict,agreement}" in expression["expression"]
