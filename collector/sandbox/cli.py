"""`govpulse sandbox serve|export`: run the platform simulator, or write its registry and ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from collector.models import Platform
from collector.sandbox.clock import iso, parse_time
from collector.sandbox.faults import FaultSpec
from collector.sandbox.runner import is_loopback, serve_forever
from collector.sandbox.state import DEFAULT_TOKENS, SandboxConfig
from collector.sandbox.truth import export_registry, export_truth
from collector.sandbox.world import World, WorldSpec


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `sandbox` command group (serve, export) to a parent parser's subparsers."""
    parser = subparsers.add_parser("sandbox", help="the simulator of the Max, VK and Telegram APIs")
    commands = parser.add_subparsers(dest="sandbox_command", required=True)
    serve = commands.add_parser("serve", help="serve the three APIs over HTTP (prints the URL first)")
    _world_options(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    serve.add_argument("--port", type=int, default=0, help="0 = a free port")
    serve.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    serve.add_argument("--now", help="simulated moment to begin at (default: --start)")
    for platform in Platform:
        serve.add_argument(
            f"--rate-{platform.value}", type=float, help=f"requests/s per {platform.value} token"
        )
    serve.add_argument("--tokens-file", type=Path, help="YAML/JSON {platform: [token, ...]}")
    serve.add_argument("--token", action="append", default=[], metavar="PLATFORM=TOKEN")
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="PLATFORM.KNOB=VALUE",
        help="e.g. max.error_rate=0.05, all.latency_ms=20, vk.daily_quota=1000",
    )
    serve.add_argument("--fault-seed", type=int)
    serve.add_argument("--export-registry", type=Path, help="also write the registry CSV (at --now)")
    serve.add_argument("--export-truth", type=Path, help="also write the ground truth (.json or .csv)")
    serve.set_defaults(handler=run)
    export = commands.add_parser("export", help="write the registry CSV and/or the ground truth, then exit")
    _world_options(export)
    export.add_argument("--at", help="moment (ISO or Unix; default: --start)")
    export.add_argument("--registry", type=Path)
    export.add_argument("--truth", type=Path)
    export.set_defaults(handler=run_export)


def _world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default=iso(WorldSpec.start), help="world start (ISO or Unix)")
    parser.add_argument("--max-channels", type=int, default=WorldSpec.max_channels)
    parser.add_argument("--max-future-channels", type=int, default=WorldSpec.max_future_channels)
    parser.add_argument("--vk-channels", type=int, default=WorldSpec.vk_channels)
    parser.add_argument("--telegram-channels", type=int, default=WorldSpec.telegram_channels)
    parser.add_argument("--round-large-counts", action="store_true", help="2 significant digits from 10,000")


def _spec(args: argparse.Namespace) -> WorldSpec:
    return WorldSpec(
        seed=args.seed,
        start=parse_time(args.start),
        max_channels=args.max_channels,
        max_future_channels=args.max_future_channels,
        vk_channels=args.vk_channels,
        telegram_channels=args.telegram_channels,
        round_large_counts=args.round_large_counts,
    )


def _tokens(args: argparse.Namespace) -> dict[Platform, list[str]]:
    tokens: dict[Platform, list[str]] = {}
    if args.tokens_file is not None:
        loaded = yaml.safe_load(args.tokens_file.read_text(encoding="utf-8")) or {}
        for name, values in loaded.items():
            tokens.setdefault(Platform(name), []).extend(str(v) for v in values)
    for item in args.token:
        name, sep, token = item.partition("=")
        if not sep or not token:
            raise ValueError(f"--token expects PLATFORM=TOKEN, got {item!r}")
        tokens.setdefault(Platform(name), []).append(token)
    # Platforms given no token keep the default sandbox tokens.
    return {p: tokens.get(p) or list(DEFAULT_TOKENS[p]) for p in Platform}


def _faults(items: list[str]) -> dict[Platform, FaultSpec]:
    specs = {p: FaultSpec() for p in Platform}
    for item in items:
        target, sep, value = item.partition("=")
        name, dot, knob = target.partition(".")
        if not sep or not dot:
            raise ValueError(f"--fault expects PLATFORM.KNOB=VALUE, got {item!r}")
        parsed: Any = None if value.lower() in ("none", "null", "") else _scalar(value)
        for platform in list(Platform) if name == "all" else [Platform(name)]:
            specs[platform] = specs[platform].updated({knob: parsed})
    return specs


def _scalar(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return parse_time(value) if value[:1].isdigit() else value


def _config(args: argparse.Namespace) -> SandboxConfig:
    config = SandboxConfig(
        spec=_spec(args),
        tokens=_tokens(args),
        speed=args.speed,
        now=parse_time(args.now) if args.now else None,
        faults=_faults(args.fault),
        fault_seed=args.fault_seed,
    )
    for platform in Platform:
        rate = getattr(args, f"rate_{platform.value}")
        if rate is not None:
            config.rates[platform] = rate
    return config


def run(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"refusing to listen on {args.host}: pass --allow-remote to serve beyond loopback",
            file=sys.stderr,
        )
        return 2
    try:
        config = _config(args)
    except (ValueError, OSError, yaml.YAMLError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    world = World.build(config.spec)
    at = config.now if config.now is not None else config.spec.start
    if args.export_registry:
        export_registry(world, args.export_registry, at)
    if args.export_truth:
        export_truth(world, args.export_truth, at)

    def ready(url: str) -> None:
        print(url, flush=True)
        print(
            f"Max: {url}  VK: {url}/method  Telegram: {url}/bot<token>/  control: {url}/sandbox/",
            file=sys.stderr,
            flush=True,
        )

    try:
        serve_forever(config, args.host, args.port, ready, world)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def run_export(args: argparse.Namespace) -> int:
    if args.registry is None and args.truth is None:
        print("sandbox export: give --registry and/or --truth", file=sys.stderr)
        return 2
    try:
        spec = _spec(args)
        at = parse_time(args.at) if args.at else spec.start
    except ValueError as exc:
        print(f"sandbox export: {exc}", file=sys.stderr)
        return 2
    world = World.build(spec)
    if args.registry:
        print(f"registry: {export_registry(world, args.registry, at)} channels → {args.registry}")
    if args.truth:
        print(f"truth: {export_truth(world, args.truth, at)} channels → {args.truth}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: `python -m collector.sandbox.cli serve ...`."""
    parser = argparse.ArgumentParser(prog="govpulse")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", *(argv if argv is not None else sys.argv[1:])])
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
