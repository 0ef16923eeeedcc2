"""`govpulse notify serve`: the notification relay (Alertmanager and Grafana webhooks → Max / Telegram)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from collector.cli import EXIT_BAD_INPUT, EXIT_OK, add_config_option, settings_from


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("notify", help="the notification relay")
    actions = parser.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="receive Alertmanager/Grafana webhooks and deliver them to Max and Telegram chats",
        description="Endpoints: POST /alertmanager, POST /grafana (header Authorization: Bearer "
        "<notify.bearer_token>), GET /healthz. Prints the URL it listens on once ready.",
    )
    add_config_option(serve)
    serve.add_argument(
        "--web.listen-address",
        dest="listen_address",
        metavar="HOST:PORT",
        help="overrides notify.listen_address (port 0 picks a free port)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from exporters.relay import RelayConfigError, relay_config, run_relay

    settings = settings_from(args)
    try:
        config = relay_config(settings, listen_address=args.listen_address)
    except RelayConfigError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def ready(url: str) -> None:
        print(url, flush=True)

    asyncio.run(run_relay(config, on_ready=ready))
    return EXIT_OK
