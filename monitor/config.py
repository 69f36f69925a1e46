"""config.yaml: pydantic models, validation with one clear message, secrets from the environment.

Secrets never live in the file: it names environment variables (keys ending in `_env`), and the values
are read at load time into pydantic `SecretStr`, whose repr and str are masked.
"""

from __future__ import annotations

import itertools
import os
import types
import typing
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from monitor.connector import PlatformSettings
from monitor.errors import ConfigError
from monitor.settings import Duration, SettingsModel

__all__ = ["Config", "ConfigError", "Duration", "PlatformSettings", "config_model", "load_config", "parse_config"]

DEFAULT_CONFIG_NAME = "config.yaml"
CONFIG_ENV = "MONITOR_CONFIG"


class _Model(SettingsModel):
    pass


class BrandConfig(_Model):
    name: str = Field(min_length=1)
    # platform name -> search queries; a platform with no entry searches for the brand name
    queries: dict[str, list[str]] = Field(default_factory=dict)
    # platform name -> the brand's own accounts (handles, or channel ids on YouTube): their posts are skipped
    handles: dict[str, list[str]] = Field(default_factory=dict)

    def queries_for(self, platform: str) -> list[str]:
        return self.queries.get(platform) or [self.name]

    def own_handles(self, platform: str) -> set[str]:
        return {h.lstrip("@").lower() for h in self.handles.get(platform, [])}


class PlatformsConfig(_Model):
    """`platforms:`: one key per installed connector, each validated by that connector's own settings model.

    The fields are made at load time from the installed connectors (see `platforms_model`); a platform
    left out of the file is disabled.
    """

    # the order the config file lists the platforms in: they are polled in that order
    _order: list[str] = PrivateAttr(default_factory=list)

    def enabled(self) -> dict[str, PlatformSettings]:
        out: dict[str, PlatformSettings] = {}
        for name in self.names():
            platform = getattr(self, name)
            if platform.enabled:
                out[name] = platform
        return out

    def get(self, name: str) -> PlatformSettings | None:
        value = getattr(self, name, None) if name in type(self).model_fields else None
        return value if isinstance(value, PlatformSettings) else None

    def names(self) -> list[str]:
        fields = list(type(self).model_fields)
        return [n for n in self._order if n in fields] + [n for n in fields if n not in self._order]

    def only(self, names: set[str]) -> PlatformsConfig:
        """A copy with every platform outside `names` disabled (secrets kept)."""
        update = {}
        for name in type(self).model_fields:
            current = getattr(self, name)
            clone = current.model_copy(update={"enabled": current.enabled and name in names})
            clone.with_secrets(current._secrets)
            update[name] = clone
        copy = self.model_copy(update=update)
        copy._order = list(self._order)
        return copy


def _disabled(settings: type[PlatformSettings]) -> Any:
    # model_construct: a connector's required keys need no value while it is switched off
    return lambda: settings.model_construct(enabled=False)


@cache
def _platforms_model(classes: tuple[tuple[str, type[PlatformSettings]], ...]) -> type[PlatformsConfig]:
    fields: dict[str, Any] = {name: (cls, Field(default_factory=_disabled(cls))) for name, cls in classes}
    return create_model("PlatformsConfig", __base__=PlatformsConfig, **fields)


@cache
def _config_model(platforms: type[PlatformsConfig]) -> type[Config]:
    return create_model("Config", __base__=Config, platforms=(platforms, Field(default_factory=platforms)))


def config_model() -> type[Config]:
    """The Config model for the connectors installed now (their settings under platforms.<name>)."""
    from monitor import plugins  # plug-ins import the contract, which imports nothing of config

    classes = tuple((name, c.cls.Settings) for name, c in plugins.connectors().items())
    return _config_model(_platforms_model(classes))


def _default_sla() -> dict[int, timedelta]:
    return {4: timedelta(hours=1), 3: timedelta(hours=2), 2: timedelta(hours=4), 1: timedelta(hours=8)}


class FairnessConfig(_Model):
    # The most a case's reach (spread, then followers) can move it ahead of its SLA deadline.
    max_reach_boost: Duration = timedelta(minutes=15)
    # Hide follower counts and verified badges in queue views until a case is claimed.
    blind_triage: bool = True
    # A claim not followed by a response within this time returns the case to the queue.
    claim_timeout: Duration = timedelta(minutes=30)
    # The digest raises an alert when the slowest tier's median first response exceeds the fastest's by this.
    parity_alert: float = Field(default=1.25, ge=1.0)
    # Follower-count tier boundaries for the audit: <100, 100-1k, 1k-10k, 10k-100k, >=100k.
    follower_tiers: list[int] = Field(default_factory=lambda: [100, 1_000, 10_000, 100_000])
    # Spread (interactions per minute between posting and fetch) that earns half of the spread share of the
    # boost; the spread share saturates towards (1 - follower_boost_share) of max_reach_boost.
    spread_half_velocity: float = Field(default=1.0, gt=0)
    # The most of max_reach_boost that follower count alone can earn (log scale, full at 1M followers).
    follower_boost_share: float = Field(default=0.05, ge=0, le=1)
    # Posts younger than this at fetch time are measured over this age, so one early like is not "viral".
    spread_min_age: Duration = timedelta(minutes=10)
    # The live queue's service order: a name from monitor.queue.policies (fair, fifo, followers) or a plug-in.
    policy: str = "fair"

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        from monitor.queue.policies import get_policy, policy_names  # here: the policies use this module's types

        try:
            get_policy(value)
        except KeyError:
            raise ValueError(f"unknown queue policy; choose one of: {', '.join(policy_names())}") from None
        return value

    @field_validator("follower_tiers")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if not value or any(b <= a for a, b in itertools.pairwise(value)) or value[0] <= 0:
            raise ValueError("must be a non-empty list of positive, strictly increasing numbers")
        return value


class DigestConfig(_Model):
    recipients: list[str] = Field(default_factory=list)
    sender: str = "complaint-monitor@localhost"
    subject: str = "Complaint digest for {date}"
    oldest_unanswered: int = Field(default=10, ge=0, le=100)

    @field_validator("recipients", "sender")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        for addr in value if isinstance(value, list) else [value]:
            if "@" not in addr.rsplit("<", 1)[-1]:
                raise ValueError(f"{addr!r} is not an email address")
        return value


class SmtpConfig(_Model):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    timeout: Duration = timedelta(seconds=30)
    # Extra CA bundle (PEM) to trust for ssl/starttls, e.g. an internal relay's private CA.
    ca_file: Path | None = None


class Config(_Model):
    # Path of the SQLite store; relative paths are relative to the config file's folder.
    store: Path = Path("complaint-monitor.db")
    timezone: str = "UTC"
    brands: list[BrandConfig] = Field(min_length=1)
    platforms: PlatformsConfig = Field(default_factory=PlatformsConfig)  # typed per install: config_model()
    # SLA per severity (X-CI scale, 4 = most severe): time from first seen to first response.
    sla: dict[int, Duration] = Field(default_factory=_default_sla)
    fairness: FairnessConfig = Field(default_factory=FairnessConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)

    _source: Path | None = PrivateAttr(default=None)
    _smtp_secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: IsADirectoryError
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)") from None
        return value

    @field_validator("sla")
    @classmethod
    def _sla_levels(cls, value: dict[int, timedelta]) -> dict[int, timedelta]:
        unknown = sorted(set(value) - {1, 2, 3, 4})
        if unknown:
            raise ValueError(f"severity levels are 1-4, not {unknown}")
        merged = _default_sla() | value
        return dict(sorted(merged.items(), reverse=True))

    @model_validator(mode="after")
    def _unique_brands(self) -> Config:
        names = [b.name for b in self.brands]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"brand names must be unique; repeated: {dupes}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def sla_for(self, severity: int | None) -> timedelta:
        """SLA of a severity; an unknown severity gets the most generous (least severe) SLA."""
        return self.sla.get(severity or 1, self.sla[1])

    def smtp_secret(self, name: str) -> str | None:
        secret = self._smtp_secrets.get(name)
        return secret.get_secret_value() if secret else None

    def with_store(self, path: Path) -> Config:
        """A copy that uses another store path (the --db override)."""
        clone = self.model_copy(update={"store": path})
        clone._source = self._source
        clone._smtp_secrets = self._smtp_secrets
        return clone


# --- loading -----------------------------------------------------------------------------------


def _fmt_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """Walk the Config model along a location to find the model that owns the last key."""
    current: Any = config_model()
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        # unwrap Optional / list / dict to the model inside
        while typing.get_origin(current) in (list, dict, typing.Union, types.UnionType, Annotated):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[-1] if typing.get_origin(current) is not Annotated else args[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _explain(err: Any) -> str:
    loc = tuple(err["loc"])
    path = _fmt_loc(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(loc[:-1])
        allowed = ", ".join(owner.model_fields) if owner else ""
        hint = f" (allowed keys here: {allowed})" if allowed else ""
        return f"{path}: unknown key; remove it or fix its spelling{hint}"
    if kind == "missing":
        return f"{path}: required key is missing; add it"
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None or repr(got) in msg else f" (got {got!r})"
    return f"{path}: {msg}{shown}"


def _check_secrets(config: Config, environ: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for pname, platform in config.platforms.enabled().items():
        resolved: dict[str, SecretStr] = {}
        for secret, env_name in platform.secret_env_names().items():
            value = environ.get(env_name, "")
            if not value:
                problems.append(
                    f"platforms.{pname}.{secret}_env: environment variable {env_name} is not set; "
                    f"export {env_name}=... or set platforms.{pname}.enabled: false"
                )
            else:
                resolved[secret] = SecretStr(value)
        platform.with_secrets(resolved)
    smtp = {}
    for secret in ("username", "password"):
        env_name = getattr(config.smtp, f"{secret}_env")
        if env_name and environ.get(env_name):
            smtp[secret] = SecretStr(environ[env_name])
    config._smtp_secrets = smtp
    return problems


def parse_config(data: Any, *, source: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Validate already-parsed YAML data. Raises ConfigError naming every bad key path and its fix."""
    where = f"{source}: " if source else ""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}the config must be a YAML mapping of keys (brands:, platforms:, ...)")
    try:
        config = config_model().model_validate(data)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors()]
        raise ConfigError(f"{where}invalid config:\n  " + "\n  ".join(lines)) from None
    if isinstance(data.get("platforms"), dict):
        config.platforms._order = [str(k) for k in data["platforms"]]
    problems = _check_secrets(config, os.environ if environ is None else environ)
    if problems:
        raise ConfigError(f"{where}invalid config:\n  " + "\n  ".join(problems))
    if source is not None:
        config._source = source
        if not config.store.is_absolute():
            object.__setattr__(config, "store", (source.parent / config.store).resolve())
    return config


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $MONITOR_CONFIG, else ./config.yaml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file. Every problem raises ConfigError with the key path and fix."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {file}: pass --config PATH, set {CONFIG_ENV}, "
            "or copy config.yaml from the project and edit it (`monitor demo` needs none)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {file}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}: not valid YAML{at}: {problem}") from None
    except RecursionError:  # PyYAML composes nested collections recursively: "[[[[...]]]]" x 10,000
        raise ConfigError(f"{file}: not valid YAML: collections nested too deeply") from None
    return parse_config(data, source=file.resolve(), environ=environ)
