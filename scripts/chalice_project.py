"""What the deploy scripts read from the Chalice project: a stage's settings and what `chalice deploy` recorded."""
import json
from pathlib import Path
from urllib.parse import urlparse


class ChaliceProjectError(Exception):
    """A .chalice file is missing, malformed or lacks what was asked; the message says which and what to do."""


def read_config(project_dir: Path) -> dict:
    path = project_dir / ".chalice" / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChaliceProjectError(f"{path} does not exist: is {project_dir} a Chalice project?") from None
    except ValueError as error:
        raise ChaliceProjectError(f"{path} is not valid JSON ({error}).") from None
    if not isinstance(config, dict) or not isinstance(config.get("stages", {}), dict):
        raise ChaliceProjectError(f"{path} is not a Chalice config file.")
    return config


def stage_variables(project_dir: Path, stage: str) -> dict:
    """The environment variables a stage gives its Lambda function: the app-wide ones, overridden by the stage's."""
    config = read_config(project_dir)
    stages = config.get("stages", {})
    if stage not in stages:
        raise ChaliceProjectError(f"Stage {stage} is not in {project_dir / '.chalice' / 'config.json'}, "
                                  f"which defines {', '.join(sorted(stages)) or 'none'}.")
    return {**config.get("environment_variables", {}), **stages[stage].get("environment_variables", {})}


def stage_variable(project_dir: Path, stage: str, name: str) -> str | None:
    """The environment variable a stage gives its Lambda function: the stage's own, else the app-wide one."""
    return stage_variables(project_dir, stage).get(name)


def deployed_path(project_dir: Path, stage: str) -> Path:
    return project_dir / ".chalice" / "deployed" / f"{stage}.json"


def deployed_resources(project_dir: Path, stage: str) -> list:
    """The resources that `chalice deploy --stage STAGE` recorded in .chalice/deployed/STAGE.json."""
    path = deployed_path(project_dir, stage)
    if not path.is_file():
        raise ChaliceProjectError(f"No deployed API for stage {stage}: `chalice deploy --stage {stage}` "
                                  f"records it in {path}.")
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("resources", [])
    except (ValueError, AttributeError) as error:
        raise ChaliceProjectError(f"{path} is not a Chalice deployed-resources file ({error}).") from None


def deployed_rest_api(project_dir: Path, stage: str, resources: list | None = None) -> dict:
    """The rest_api resource (rest_api_id, rest_api_url) that `chalice deploy --stage STAGE` recorded; resources:
    deployed_resources' answer, where the caller has read it already."""
    for resource in deployed_resources(project_dir, stage) if resources is None else resources:
        if (isinstance(resource, dict) and resource.get("resource_type") == "rest_api"
                and resource.get("rest_api_id") and resource.get("rest_api_url")):
            return resource
    raise ChaliceProjectError(f"{deployed_path(project_dir, stage)} records no REST API: run "
                              f"`chalice deploy --stage {stage}` first.")


PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")
PLACEHOLDER_SUFFIXES = (".example", ".invalid", ".test")


def is_placeholder_origin(origin: str) -> bool:
    """An origin on a domain reserved for documentation (RFC 2606): nobody's page is served from there."""
    host = urlparse(origin).hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS) \
        or host.endswith(PLACEHOLDER_SUFFIXES)


def placeholder_origin_problem(project_dir: Path, stage: str) -> str | None:
    """Why the stage must not be deployed as configured: its CORS_ALLOW_ORIGIN is still the example; else None."""
    origin = stage_variable(project_dir, stage, "CORS_ALLOW_ORIGIN")
    if origin is None or not is_placeholder_origin(origin):
        return None
    return (f"Stage {stage}'s CORS_ALLOW_ORIGIN is the placeholder {origin}, so the API would refuse your page: "
            f"set stages.{stage}.environment_variables.CORS_ALLOW_ORIGIN in .chalice/config.json to the page's "
            f"origin (`.venv/bin/python scripts/sync_static.py --bucket NAME --stage {stage} --dry-run` prints it; "
            f"https://DOMAIN with --cloudfront --domain DOMAIN), then deploy again.")
