"""Checks `make deploy-api` runs before `chalice deploy`: refuse a stage that cannot work as configured.

Run `.venv/bin/python scripts/deploy_checks.py --stage prod`: exit 0 when the stage may be deployed, else 2 with
one sentence saying what to fix.
"""
import argparse
import sys
from pathlib import Path

from scripts.chalice_project import ChaliceProjectError, placeholder_origin_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, help="Chalice stage about to be deployed")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: this one)")
    args = parser.parse_args(argv)
    try:
        problem = placeholder_origin_problem(args.project_dir, args.stage)
    except ChaliceProjectError as error:
        problem = str(error)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
