"""`govpulse dashboards build|push`: generate the Grafana dashboards, or upload them to a Grafana."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from collector.dashboards.build import DEFAULT_OUT, drift, write
from collector.dashboards.push import connect, ensure_folder, push_files

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("dashboards", help="Grafana dashboards: generate JSON or upload it")
    commands = parser.add_subparsers(dest="dashboards_command", metavar="ACTION", required=True)

    build = commands.add_parser("build", help="write dashboards/generated/<flavour>/<uid>.json")
    build.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=f"output folder ({DEFAULT_OUT})"
    )
    build.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the files are out of date"
    )
    build.set_defaults(handler=run_build)

    push = commands.add_parser(
        "push", help="upload the generated dashboards to Grafana (create or overwrite)"
    )
    push.add_argument("--url", required=True, help="Grafana base URL, e.g. http://127.0.0.1:3000")
    push.add_argument("--token", help="service account token (or GOVPULSE_GRAFANA_TOKEN)")
    push.add_argument("--user", help="basic auth user")
    push.add_argument("--password", help="basic auth password")
    push.add_argument("--folder", default="Госпаблики", help="folder title (created when missing)")
    push.add_argument(
        "--dir", type=Path, default=DEFAULT_OUT, dest="source", metavar="DIR", help="generated JSON"
    )
    push.set_defaults(handler=run_push)


def run_build(args: argparse.Namespace) -> int:
    if args.check:
        problems = drift(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("dashboards are out of date: run `govpulse dashboards build`", file=sys.stderr)
            return EXIT_FAILURE
        print(f"dashboards in {args.out} are up to date")
        return EXIT_OK
    written = write(args.out)
    print(f"wrote {len(written)} dashboards to {args.out}")
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("GOVPULSE_GRAFANA_TOKEN")
    if token is None and args.user is None:
        print("give --token (or GOVPULSE_GRAFANA_TOKEN) or --user and --password", file=sys.stderr)
        return EXIT_BAD_INPUT
    files = sorted(args.source.glob("*/*.json"))
    if not files:
        print(f"no dashboards in {args.source}: run `govpulse dashboards build` first", file=sys.stderr)
        return EXIT_BAD_INPUT
    api = connect(args.url, token=token, user=args.user, password=args.password)
    folder_uid = ensure_folder(api, args.folder)
    for result in push_files(api, files, folder_uid):
        print(f"{result.uid}: {result.status} {result.url}")
    return EXIT_OK
