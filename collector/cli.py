"""The `govpulse` command line (DESIGN 4.6). Exit codes: 0 ok, 1 failure, 2 bad input.

Each command lives in its own module with `add_parser(subparsers)` and a handler `run(args) -> int`;
this module only assembles them and turns the project's errors into messages and exit codes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from collector import __version__
from collector.config import ConfigError, Settings, load_config
from collector.logsetup import redact, setup_logging

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

log = logging.getLogger("govpulse")

Handler = Callable[[argparse.Namespace], int]


def add_config_option(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "-c",
        "--config.file",
        "--config",
        dest="config",
        type=Path,
        required=required,
        metavar="FILE",
        help="YAML configuration file (secrets may come from GOVPULSE_... environment variables)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Load the configuration named by -c (defaults plus environment when absent) and set up logging."""
    settings = load_config(getattr(args, "config", None))
    level = getattr(args, "log_level", None) or settings.logging.level
    json_logs = getattr(args, "log_json", False) or settings.logging.format.value == "json"
    setup_logging(level, json_logs)
    return settings


def _build_parser() -> argparse.ArgumentParser:
    from collector import commands

    parser = argparse.ArgumentParser(
        prog="govpulse",
        description="Monitoring of official government channels in Max, VK and Telegram.",
    )
    parser.add_argument("--version", action="version", version=f"govpulse {__version__}")
    parser.add_argument("--log.level", dest="log_level", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log.json", dest="log_json", action="store_true", help="log JSON lines")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in commands.MODULES:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level or "info", args.log_json)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print("invalid configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as exc:  # the one broad edge: report without a secret, exit 1
        log.exception("govpulse %s failed: %s", args.command, redact(str(exc)))
        return EXIT_FAILURE
