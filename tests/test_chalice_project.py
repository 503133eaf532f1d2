"""What the deploy scripts read from a Chalice project, and the one-sentence errors when it is not there."""
import json

import pytest

from scripts.chalice_project import ChaliceProjectError, deployed_rest_api, stage_variable


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps({
        "app_name": "app", "environment_variables": {"LABELS": "app-wide", "ORIGIN": "*"},
        "stages": {"prod": {"environment_variables": {"ORIGIN": "https://example.com"}}}}))
    return tmp_path


def test_a_stage_variable_is_the_stages_own_value_else_the_app_wide_one(project):
    assert stage_variable(project, "prod", "ORIGIN") == "https://example.com"
    assert stage_variable(project, "prod", "LABELS") == "app-wide"
    assert stage_variable(project, "prod", "MISSING") is None


def test_an_unknown_stage_is_named_with_the_stages_that_exist(project):
    with pytest.raises(ChaliceProjectError, match="Stage dev is not in .* which defines prod"):
        stage_variable(project, "dev", "ORIGIN")


def test_the_deployed_rest_api_is_read_from_what_chalice_deploy_recorded(project):
    rest_api = {"resource_type": "rest_api", "rest_api_id": "abc123",
                "rest_api_url": "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"}
    (project / ".chalice" / "deployed" / "prod.json").write_text(json.dumps(
        {"resources": [{"resource_type": "iam_role", "name": "x"}, rest_api]}))
    assert deployed_rest_api(project, "prod") == rest_api


@pytest.mark.parametrize("recorded", [None, "not json", '{"resources": [{"resource_type": "rest_api"}]}', "[1]"])
def test_a_missing_or_partial_deployment_record_says_to_deploy_first(project, recorded):
    if recorded is not None:
        (project / ".chalice" / "deployed" / "prod.json").write_text(recorded)
    with pytest.raises(ChaliceProjectError, match="prod"):
        deployed_rest_api(project, "prod")
