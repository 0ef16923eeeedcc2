"""`govpulse alerts build`: regenerate Prometheus rules, Alertmanager and Grafana alert files from config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from collector.cli import EXIT_OK, add_config_option, settings_from
from collector.rulegen import write_rules


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("alerts", help="generate alert rules and Alertmanager configuration")
    commands = parser.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND", required=True)
    build = commands.add_parser("build", help="write rules from the detection thresholds and notify chats")
    add_config_option(build)
    build.add_argument("-o", "--out", type=Path, default=Path("alerts"), help="directory for the rule files")
    build.add_argument(
        "--grafana-dir",
        type=Path,
        default=None,
        help="also write Grafana-managed alert rules here (e.g. deploy/grafana/provisioning/alerting)",
    )
    build.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    for path in write_rules(settings, args.out, grafana_dir=args.grafana_dir):
        print(path)
    return EXIT_OK
