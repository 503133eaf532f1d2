"""One EMF record per stored answer: the Feedback metric by the model's verdict and the visitor's agreement.

Written to stdout like chalicelib/observability.py's records, so CloudWatch Logs turns it into the metric the
dashboard's "Visitors agree" widget shows (scripts/alarms.py) and nothing is sent from the request path.
"""
import os
import sys

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.observability import DEFAULT_NAMESPACE, LOCAL_FUNCTION_NAME

FEEDBACK_METRIC = "Feedback"


def count_feedback(verdict: str, agreement: str, environ=None) -> None:
    environ = os.environ if environ is None else environ
    dimensions = {"service": environ.get("AWS_LAMBDA_FUNCTION_NAME", LOCAL_FUNCTION_NAME), "verdict": verdict,
                  "agreement": agreement}
    with single_metric(name=FEEDBACK_METRIC, unit=MetricUnit.Count, value=1,
                       namespace=environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE),
                       default_dimensions=dimensions):
        pass
    sys.stdout.flush()
