"""`govpulse run`: the long-running service (scheduler, sources, sinks, /metrics)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from typing import Any

from collector.cli import EXIT_BAD_INPUT, EXIT_OK, add_config_option, settings_from
from collector.config import Settings, ShardingSettings
from collector.service import RegistryUnusable, run_service


def add_shard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard",
        metavar="I",
        help="this process's shard ordinal, or 'auto': from the host name (StatefulSet pod govpulse-3 → 3)",
    )
    parser.add_argument("--shards", type=int, metavar="N", help="total number of shards")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the collection service (scheduler, sinks, /metrics)")
    add_config_option(parser)
    add_shard_options(parser)
    parser.add_argument(
        "--web.listen-address",
        dest="listen_address",
        metavar="HOST:PORT",
        help="where /metrics is served (overrides sinks.prometheus.listen_address)",
    )
    parser.set_defaults(handler=run)


def shard_ordinal(value: str) -> int:
    if value != "auto":
        return int(value)
    hostname = os.environ.get("HOSTNAME") or os.uname().nodename
    match = re.search(r"-(\d+)$", hostname)
    if match is None:
        raise ValueError(f"--shard auto: host name {hostname!r} does not end in -<ordinal>")
    return int(match.group(1))


def apply_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line flags win over the file; validated like the file is."""
    updates: dict[str, Any] = {}
    if args.shard is not None or args.shards is not None:
        sharding = ShardingSettings(
            shard=shard_ordinal(args.shard) if args.shard is not None else settings.sharding.shard,
            shards=args.shards if args.shards is not None else settings.sharding.shards,
        )
        updates["sharding"] = sharding
    listen = getattr(args, "listen_address", None)
    if listen:
        prometheus = settings.sinks.prometheus.model_copy(update={"listen_address": listen})
        updates["sinks"] = settings.sinks.model_copy(update={"prometheus": prometheus})
    return settings.model_copy(update=updates) if updates else settings


def run(args: argparse.Namespace) -> int:
    try:
        settings = apply_overrides(settings_from(args), args)
    except ValueError as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        asyncio.run(run_service(settings))
    except RegistryUnusable as exc:
        print(f"registry unusable: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
