"""Deploying a stage whose CORS_ALLOW_ORIGIN is still the documentation placeholder is refused with the fix."""
import os
import subprocess

import pytest

from devkit.servers import PROJECT_ROOT, free_port
from scripts.chalice_project import is_placeholder_origin
from scripts.deploy_checks import main
from tests.test_sync_static import project_allowing


@pytest.mark.parametrize("origin", ["http://thriller.example.com", "https://example.org", "http://site.test",
                                    "https://www.example.net:8443"])
def test_documentation_domains_are_placeholders(origin):
    assert is_placeholder_origin(origin)


@pytest.mark.parametrize("origin", ["https://thriller.movies", "http://127.0.0.1:8001", "*",
                                    "https://d1234abcd.cloudfront.net", "http://notexample.com"])
def test_real_origins_are_not_placeholders(origin):
    assert not is_placeholder_origin(origin)


def test_a_placeholder_origin_is_refused_with_the_fix(tmp_path, capsys):
    project = project_allowing(tmp_path, "http://thriller.example.com")
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: Stage prod's CORS_ALLOW_ORIGIN is the placeholder http://thriller.example.com")
    assert "stages.prod.environment_variables.CORS_ALLOW_ORIGIN in .chalice/config.json" in error


def test_a_real_origin_passes(tmp_path):
    project = project_allowing(tmp_path, "https://thriller.movies")
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0


def test_make_deploy_api_stops_before_chalice_deploy_on_the_repositorys_placeholder():
    """The repository's prod stage ships with the placeholder; no AWS is reachable, so nothing else could pass."""
    environment = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    result = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "deploy-api", "STAGE=prod"],
                            cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "CORS_ALLOW_ORIGIN is the placeholder http://thriller.example.com" in result.stderr
    assert "chalice deploy" not in result.stdout
