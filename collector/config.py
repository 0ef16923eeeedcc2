"""Typed configuration: one YAML file plus `GOVPULSE_...` environment overrides (DESIGN 4.5).

Environment variables override the file; nested keys are joined with a double underscore, for example
`GOVPULSE_PLATFORMS__MAX__TOKENS='["t1","t2"]'` (or `t1,t2`) or `GOVPULSE_SINKS__INFLUXDB__TOKEN=...`.
Every secret is a `SecretStr`, shown as `**********` in `repr`, and registered with the log redactor
(`collector.logsetup`) so it cannot leak through a log line or an error message either.

`load_config` reports *every* problem at once, each with its key path and, where the YAML parser knows
it, the line; the command line prints them and exits 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from collector.logsetup import register_secret
from collector.models import Category, Platform

ENV_PREFIX = "GOVPULSE_"


def _split_commas(value: Any) -> Any:
    """Let list settings come from the environment as `a,b,c` as well as a JSON list."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("not a valid JSON list") from None
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


SecretList = Annotated[list[SecretStr], NoDecode, BeforeValidator(_split_commas)]
PathList = Annotated[list[Path], NoDecode, BeforeValidator(_split_commas)]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors (a typo must not silently use a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformSettings(Strict):
    enabled: bool = False
    tokens: SecretList = Field(default_factory=list)
    base_url: HttpUrl
    rate_per_second: float = Field(gt=0, description="requests per second allowed per token")
    concurrency: int = Field(default=16, ge=1, le=1024)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    interval_seconds: float = Field(default=3600.0, ge=1)
    cron: str | None = Field(default=None, description="crontab expression; overrides interval_seconds")
    max_retries: int = Field(default=3, ge=0, le=20)
    retry_base_seconds: float = Field(default=0.5, gt=0, le=60)
    retry_max_seconds: float = Field(default=30.0, gt=0, le=3600)
    spread: bool = Field(default=True, description="spread requests over the interval instead of bursting")
    ca_bundle: Path | None = None

    @model_validator(mode="after")
    def _tokens_when_enabled(self) -> PlatformSettings:
        if self.enabled and not self.tokens:
            raise ValueError("the platform is enabled but has no tokens")
        return self


class MaxDiscovery(StrEnum):
    OFF = "off"
    POLLING = "polling"
    WEBHOOK = "webhook"


def _yaml_off(value: Any) -> Any:
    """YAML 1.1 reads a bare `off` as False; take it to mean the word the user wrote."""
    return "off" if value is False else value


class MaxSettings(PlatformSettings):
    base_url: HttpUrl = HttpUrl("https://platform-api2.max.ru")
    rate_per_second: float = Field(default=25.0, gt=0)
    concurrency: int = Field(default=8, ge=1, le=1024)
    discovery: Annotated[MaxDiscovery, BeforeValidator(_yaml_off)] = MaxDiscovery.OFF
    webhook_secret: SecretStr | None = None
    webhook_public_url: HttpUrl | None = None


class VkSettings(PlatformSettings):
    base_url: HttpUrl = HttpUrl("https://api.vk.com/method")
    rate_per_second: float = Field(default=3.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=256)
    api_version: str = "5.199"
    batch_size: int = Field(default=500, ge=1, le=500)
    use_execute: bool = True
    execute_calls: int = Field(default=25, ge=1, le=25)


class TelegramSettings(PlatformSettings):
    base_url: HttpUrl = HttpUrl("https://api.telegram.org")
    rate_per_second: float = Field(default=1.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=256)


class PlatformsSettings(Strict):
    max: MaxSettings = Field(default_factory=MaxSettings)
    vk: VkSettings = Field(default_factory=VkSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)

    def get(self, platform: Platform) -> PlatformSettings:
        settings: PlatformSettings = getattr(self, platform.value)
        return settings

    def enabled(self) -> list[Platform]:
        return [p for p in Platform if self.get(p).enabled]


class RegistrySettings(Strict):
    files: PathList = Field(default_factory=list, description="CSV or YAML channel registries")


class RegionsSettings(Strict):
    population_overrides: dict[str, int] = Field(
        default_factory=dict, description="population for regions Rosstat does not cover, by code"
    )

    @field_validator("population_overrides")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        from collector.regions import load_regions

        regions = load_regions()
        problems = [f"{code}: unknown region" for code in value if code not in regions]
        problems += [f"{code}: population must be positive" for code, n in value.items() if n <= 0]
        if problems:
            raise ValueError("; ".join(problems))
        return {regions.canonical(code) or code: n for code, n in value.items()}


class StoreSettings(Strict):
    enabled: bool = True
    path: Path = Path("var/govpulse.sqlite3")
    # Raw samples: ~2.6 GB for 40,000 channels hourly over 90 days; daily roll-ups are kept for good.
    raw_retention_days: int = Field(default=90, ge=1, description="days of raw samples kept")


class PrometheusSettings(Strict):
    enabled: bool = True
    listen_address: str = Field(default="127.0.0.1:9877", pattern=r"^[^\s:]*:\d{1,5}$")
    web_config_file: Path | None = Field(default=None, description="basic auth / TLS, exporter-toolkit style")


class InfluxApi(StrEnum):
    V2 = "v2"
    V1 = "v1"


class InfluxSettings(Strict):
    enabled: bool = False
    api: InfluxApi = InfluxApi.V2
    url: HttpUrl = HttpUrl("http://127.0.0.1:8086")
    # v2 API (InfluxDB 2.x, 3.x, 1.8+)
    org: str = ""
    bucket: str = "govpulse"
    token: SecretStr | None = None
    # v1 API (InfluxDB 1.x)
    database: str = "govpulse"
    retention_policy: str = ""
    username: str = ""
    password: SecretStr | None = None
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    gzip: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=50)
    ca_bundle: Path | None = None


class PushgatewaySettings(Strict):
    enabled: bool = False
    url: HttpUrl = HttpUrl("http://127.0.0.1:9091")
    job: str = "govpulse"


class SinksSettings(Strict):
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    influxdb: InfluxSettings = Field(default_factory=InfluxSettings)
    pushgateway: PushgatewaySettings = Field(default_factory=PushgatewaySettings)


class SpoolFullPolicy(StrEnum):
    DROP_OLDEST = "drop_oldest"
    REFUSE_NEW = "refuse_new"


class SpoolSettings(Strict):
    directory: Path = Path("var/spool")
    max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    full_policy: SpoolFullPolicy = SpoolFullPolicy.DROP_OLDEST


class ShardingSettings(Strict):
    shard: int = Field(default=0, ge=0)
    shards: int = Field(default=1, ge=1, le=1024)

    @model_validator(mode="after")
    def _in_range(self) -> ShardingSettings:
        if self.shard >= self.shards:
            raise ValueError(f"shard {self.shard} is out of range for {self.shards} shards")
        return self


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LoggingSettings(Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: LogFormat = LogFormat.TEXT


class DetectionSettings(Strict):
    """Thresholds shared by the alert rules, the Grafana alerts and the analytics (one source of truth)."""

    stalled_window_days: float = Field(default=7, gt=0)
    min_age_days: float = Field(default=14, ge=0, description="a channel younger than this is not judged")
    declining_window_days: float = Field(default=7, gt=0)
    declining_min_loss_ratio: float = Field(default=0.02, gt=0, lt=1)
    drop_window_days: float = Field(default=1, gt=0)
    drop_min_loss_ratio: float = Field(default=0.2, gt=0, lt=1)
    mass_drop_min_channels: int = Field(default=20, ge=2)
    spike_window_days: float = Field(default=1, gt=0)
    spike_baseline_days: float = Field(default=14, gt=0)
    spike_min_factor: float = Field(default=5.0, gt=1)
    spike_min_gain_ratio: float = Field(default=0.1, gt=0)
    flatline_after_push_days: float = Field(default=7, gt=0)
    stale_after_sweeps: int = Field(default=3, ge=1)
    per_1000_target: float = Field(default=5.0, ge=0)


class NotifySettings(Strict):
    listen_address: str = Field(default="127.0.0.1:9878", pattern=r"^[^\s:]*:\d{1,5}$")
    bearer_token: SecretStr | None = None
    outbox_path: Path = Path("var/outbox.sqlite3")
    dashboard_url: str = ""
    max_chat_ids: dict[str, int] = Field(
        default_factory=dict, description="region code (or 'default') → Max chat"
    )
    telegram_chat_ids: dict[str, str] = Field(default_factory=dict)


class Settings(BaseSettings):
    """The whole configuration. Every key has a default, so an empty file is a valid configuration."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    regions: RegionsSettings = Field(default_factory=RegionsSettings)
    platforms: PlatformsSettings = Field(default_factory=PlatformsSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    sinks: SinksSettings = Field(default_factory=SinksSettings)
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    sharding: ShardingSettings = Field(default_factory=ShardingSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file (secrets live there), not the other way round.
        return (env_settings, init_settings)

    def secrets(self) -> Iterable[str]:
        """Every secret value in this configuration, for the log redactor."""
        for platform in Platform:
            yield from (t.get_secret_value() for t in self.platforms.get(platform).tokens)
        optional = (
            self.platforms.max.webhook_secret,
            self.sinks.influxdb.token,
            self.sinks.influxdb.password,
            self.notify.bearer_token,
        )
        yield from (s.get_secret_value() for s in optional if s is not None)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    path: str  # key path, e.g. "platforms.max.rate_per_second"
    message: str
    line: int | None = None
    source: str = ""  # the file, or "environment"

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        location = f"{where}: " if where else ""
        return f"{location}{self.path or '(top level)'}: {self.message}"


class ConfigError(Exception):
    """The configuration could not be loaded; `problems` lists every one found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _line_index(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map every key path in a composed YAML document to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines.update(_line_index(value_node, path))
            lines[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, (*prefix, str(i))))
    return lines


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem("", "file not found", source=source)]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem("", f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source)]
        ) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem("", f"cannot read: {exc.strerror}", source=source)]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem("", f"invalid YAML: {problem}", line=line, source=source)]) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigProblem("", "the top level must be a mapping of sections", line=1, source=source)]
        )
    return data, _line_index(node) if node is not None else {}


def _env_keys() -> set[tuple[str, ...]]:
    return {
        tuple(name[len(ENV_PREFIX) :].lower().split("__"))
        for name in os.environ
        if name.startswith(ENV_PREFIX)
    }


def load_config(path: Path | None) -> Settings:
    """Load and validate; raise ConfigError listing every problem. `path=None`: defaults + environment."""
    data, lines = _read_yaml(path) if path is not None else ({}, {})
    try:
        settings = Settings(**data)
    except SettingsError as exc:
        # An environment value that is not valid JSON for a structured setting.
        raise ConfigError([ConfigProblem("", _plain(str(exc)), source="environment")]) from None
    except ValidationError as exc:
        env_keys = _env_keys()
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            loc = tuple(str(part) for part in error["loc"])
            # Strip the validator names pydantic appends for annotated/union types.
            loc = tuple(part for part in loc if not part.startswith(("function-", "lax-", "json-")))
            from_env = any(loc[: len(key)] == key for key in env_keys)
            line = _nearest_line(lines, loc)
            problems.append(
                ConfigProblem(
                    path=".".join(loc),
                    message=_plain(error["msg"]),
                    line=None if from_env else line,
                    source="environment" if from_env else (str(path) if path else ""),
                )
            )
        raise ConfigError(problems) from None
    for secret in settings.secrets():
        register_secret(secret)
    return settings


def _nearest_line(lines: dict[tuple[str, ...], int], loc: tuple[str, ...]) -> int | None:
    """The line of the key, or of its closest existing parent (a missing key is reported at its section)."""
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def known_categories() -> list[str]:
    return [c.value for c in Category]
