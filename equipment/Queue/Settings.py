"""The queue configuration (`config/queue.yaml`), read and validated once.

Values from the environment arrive as strings; each is converted here with the framework's
converters, so a bad value fails at start-up with a `ConfigError` naming its key
(`queue.redis.port must be a whole number, got 'abc'`). Nothing here imports redis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from equipment.Config.Values import as_bool, as_int, as_seconds, as_str
from equipment.Errors import ConfigError

DRIVERS = ("redis", "sync")
URL_SCHEMES = ("redis", "rediss", "unix")
#: The bounds checked at start (beyond them a value is a typo: 1e12 seconds overflowed the
#: socket's timer at every push, and a push retried that long never returned).
#: A push blocks its caller (a scheduler's job) for at most its retry budget.
PUSH_RETRY_LIMIT = 300.0
CONNECT_TIMEOUT_LIMITS = (0.01, 300.0)
SOCKET_TIMEOUT_LIMITS = (0.01, 3600.0)
OUTAGE_SUMMARY_LIMITS = (1.0, 86400.0)
#: A job a worker lets run for more than a week is a typo; results and failures kept for
#: more than a year too (result_ttl -1 keeps them for ever, as RQ reads it).
JOB_TIMEOUT_LIMIT = 7 * 86400
TTL_LIMIT = 366 * 86400
#: The highest database index any Redis server can have (`databases` is at most 2**31 - 1);
#: whether this server has it (16 by default: 0 to 15) is known at the first command.
DB_LIMIT = 2**31 - 2


@dataclass(frozen=True)
class RedisSettings:
    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    url: str | None = None
    ssl: bool = False
    queues: tuple[str, ...] = ("default",)
    push_retry_seconds: float = 2.0
    connect_timeout: float = 1.0
    socket_timeout: float = 5.0
    job_timeout: int = 180
    result_ttl: int = 500
    failure_ttl: int = 7 * 24 * 3600
    outage_summary_seconds: float = 60.0

    @property
    def display(self) -> str:
        """Where Redis is, as a URL safe to log: the password is always masked."""
        if self.url:
            return mask_url(self.url)
        scheme = "rediss" if self.ssl else "redis"
        auth = f"{self.username or ''}:***@" if self.password else ""
        if self.username and not self.password:
            auth = f"{self.username}@"
        return f"{scheme}://{auth}{self.host}:{self.port}/{self.db}"

    def description(self, queues: Sequence[str] | None = None) -> str:
        """'redis at redis://127.0.0.1:6379/0 (queues: default)', password masked."""
        return f"redis at {self.display} (queues: {', '.join(queues or self.queues)})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log line (scrubbed from error messages)."""
        found = [self.password or "", *url_secrets(self.url or "")]
        return tuple(dict.fromkeys(s for s in found if s))


@dataclass(frozen=True)
class QueueSettings:
    connection: str = "sync"
    timezone: str = "local"
    redis: RedisSettings = RedisSettings()

    @property
    def description(self) -> str:
        """The driver in a few words, safe to log: 'sync', or
        'redis at redis://127.0.0.1:6379/0 (queues: default)' with any password masked."""
        return self.redis.description() if self.connection == "redis" else self.connection

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> QueueSettings:
        config = config or {}
        if not isinstance(config, Mapping):
            raise ConfigError(f"queue config must be a mapping, got {config!r}")
        check_keys(config, ("connection", "timezone", "redis"), "")
        connection = as_str(config.get("connection"), "queue.connection", "sync").lower()
        if connection not in DRIVERS:
            raise ConfigError(
                f"queue.connection must be one of {', '.join(DRIVERS)}, got {connection!r}"
            )
        timezone = as_str(config.get("timezone"), "queue.timezone", "local")
        check_zone(timezone, "queue.timezone")
        return cls(connection, timezone, redis_settings(config.get("redis")))


def redis_settings(section: Any) -> RedisSettings:
    section = section or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"queue.redis must be a mapping, got {section!r}")
    check_keys(section, tuple(RedisSettings.__dataclass_fields__), "redis.")
    d = RedisSettings()

    def key(name: str) -> tuple[Any, str]:
        return section.get(name), f"queue.redis.{name}"

    url = as_str(*key("url"), "") or None
    if url:
        check_url(url)
    return RedisSettings(
        host=as_str(*key("host"), d.host),
        port=as_int(*key("port"), d.port, minimum=1, maximum=65535),
        db=as_int(*key("db"), d.db, minimum=0, maximum=DB_LIMIT),
        username=as_str(*key("username"), "") or None,
        password=as_str(*key("password"), "") or None,
        url=url,
        ssl=as_bool(*key("ssl"), d.ssl),
        queues=queue_names(section.get("queues")),
        push_retry_seconds=as_seconds(
            *key("push_retry_seconds"), d.push_retry_seconds, maximum=PUSH_RETRY_LIMIT
        ),
        connect_timeout=_within(key("connect_timeout"), d.connect_timeout, CONNECT_TIMEOUT_LIMITS),
        socket_timeout=_within(key("socket_timeout"), d.socket_timeout, SOCKET_TIMEOUT_LIMITS),
        job_timeout=as_int(
            *key("job_timeout"), d.job_timeout, minimum=1, maximum=JOB_TIMEOUT_LIMIT
        ),
        result_ttl=as_int(*key("result_ttl"), d.result_ttl, minimum=-1, maximum=TTL_LIMIT),
        failure_ttl=as_int(*key("failure_ttl"), d.failure_ttl, minimum=1, maximum=TTL_LIMIT),
        outage_summary_seconds=_within(
            key("outage_summary_seconds"), d.outage_summary_seconds, OUTAGE_SUMMARY_LIMITS
        ),
    )


def _within(value_and_key: tuple[Any, str], default: float, limits: tuple[float, float]) -> float:
    """`as_seconds` between `limits`: 'queue.redis.connect_timeout must be between 0.01 and
    300 seconds, got 1e12'."""
    return as_seconds(*value_and_key, default, minimum=limits[0], maximum=limits[1])


def check_keys(section: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> None:
    """A misspelt key would silently fall back to a default (the sync driver, no password)."""
    unknown = sorted(str(key) for key in section if key not in known)
    if unknown:
        where = f" under {prefix.rstrip('.')}" if prefix else ""
        raise ConfigError(
            f"config/queue.yaml: unknown key '{prefix}{unknown[0]}' "
            f"(known keys{where}: {', '.join(sorted(known))})"
        )


def queue_names(value: Any) -> tuple[str, ...]:
    """A list, or a comma-separated string (`REDIS_QUEUE=high,default`); order is priority."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ("default",)
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"queue.redis.queues must be a list of names, got {value!r}")
    names = tuple(str(item).strip() for item in items if str(item).strip())
    return names or ("default",)


def check_url(url: str) -> None:
    """The URL redis-py will be given: a scheme it knows, a port 1-65535, a whole-number db.

    redis-py's own parsing would crash with a traceback on a bad port, and silently use db 0
    for `/x`; every message here shows the URL with its password masked.
    """
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError(f"queue.redis.url is not a valid URL: {shown!r}") from None
    if parts.scheme not in URL_SCHEMES:
        raise ConfigError(
            f"queue.redis.url must start with redis://, rediss:// or unix://, got {shown!r}"
        )
    if parts.scheme != "unix":
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            raise ConfigError(
                "queue.redis.url must have a port from 1 to 65535 (or none for 6379), "
                f"got {shown!r}"
            )
        db = parts.path.strip("/")
        if db and not _whole_number(db):
            raise ConfigError(
                f"queue.redis.url must end with a database number like /0, got {shown!r}"
            )
        _check_db(db, shown)
    elif not parts.path:
        raise ConfigError(f"queue.redis.url must name a socket, like unix:///path, got {shown!r}")
    for db in parse_qs(parts.query).get("db", []):
        if not _whole_number(db):
            raise ConfigError(f"queue.redis.url must have a whole-number db=, got {shown!r}")
        _check_db(db, shown)
    _check_options(url, shown)


def _check_options(url: str, shown: str) -> None:
    """What redis-py makes of the URL's query (?socket_timeout=, ?ssl_password=...), tried
    without connecting: it would otherwise fail at the first push, in the middle of a run."""
    import redis

    try:
        redis.ConnectionPool.from_url(url).make_connection()
    except (TypeError, ValueError, redis.RedisError) as error:
        reason = scrub(str(error), url_secrets(url))
        raise ConfigError(
            f"queue.redis.url has an option redis-py refuses ({reason}), got {shown!r}"
        ) from None


def _check_db(db: str, shown: str) -> None:
    if db and int(db) > DB_LIMIT:
        raise ConfigError(
            f"queue.redis.url's database must be between 0 and {DB_LIMIT}, got {shown!r}"
        )


def _whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def check_zone(name: str, key: str) -> None:
    if name.lower() in ("local", "utc"):
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{key} must be an IANA zone like 'Europe/Madrid' or 'local', got {name!r}"
        ) from None


def mask_url(url: str) -> str:
    """The URL with every credential redis-py would read from it masked.

    `redis://user:secret@host:6379/0` -> `redis://user:***@host:6379/0`; userinfo without a
    colon (`redis://secret@host`, which redis-py reads as a username but people write as a
    password) is masked whole -> `redis://***@host`; a password in
    the query (`?password=...`, `?ssl_password=...`, redis-py reads any `*password*`
    argument) -> `?password=***`. Works on the text, so a URL with a bad port is still
    shown, and still masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hostport}"
    elif at:
        netloc = f"***@{hostport}"
    query = "&".join(_mask_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return shown + (f"?{query}" if query else "") + ("#***" if parts.fragment else "")


def _mask_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    return f"{name}=***" if equals and _is_secret_name(name) else pair


def _is_secret_name(name: str) -> bool:
    return "password" in unquote(name).lower()


def url_secrets(url: str) -> tuple[str, ...]:
    """Every credential in `url`, as written and as redis-py decodes it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    found: list[str] = []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.partition(":")[2])
    elif at and userinfo != "default":  # no colon: masked whole (`mask_url`), scrubbed
        found.append(userinfo)  # whole ('default', Redis's own user, is no secret)
    for pair in parts.query.split("&"):
        name, equals, value = pair.partition("=")
        if equals and _is_secret_name(name):
            found.append(value)
    decoded = [unquote(secret) for secret in found] + [unquote_plus(s) for s in found]
    return tuple(dict.fromkeys(s for s in [*found, *decoded] if s))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove every secret from `text` (an exception message may quote a URL); longest
    first, so a secret that contains another is removed whole."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
