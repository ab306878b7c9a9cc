import pytest

from equipment.Errors import ConfigError
from equipment.Queue.Settings import QueueSettings, mask_url, queue_names, redis_settings, scrub


def test_env_strings_are_converted():
    s = QueueSettings.from_config(
        {
            "connection": "redis",
            "timezone": "Europe/Madrid",
            "redis": {"port": "6380", "db": "3", "password": "", "username": "", "ssl": "yes"},
        }
    )
    r = s.redis
    assert (r.port, r.db, r.password, r.username, r.ssl) == (6380, 3, None, None, True)
    assert s.timezone == "Europe/Madrid"
    assert r.push_retry_seconds == 2.0


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, ("default",)),
        ("", ("default",)),
        ("high, default", ("high", "default")),
        (["a", "b"], ("a", "b")),
    ],
)
def test_queue_names(value, names):
    assert queue_names(value) == names


def test_mask_url():
    assert mask_url("redis://u:s3cret@h:6379/0") == "redis://u:***@h:6379/0"
    assert mask_url("rediss://:s3cret@h/1") == "rediss://:***@h/1"
    assert mask_url("redis://h:6379/0") == "redis://h:6379/0"


def test_userinfo_without_a_colon_is_masked_whole_and_scrubbed():
    # redis-py reads it as a username; people write a password there.
    url = "redis://Us3rSecret@127.0.0.1:6392/9"
    settings = redis_settings({"url": url})
    assert mask_url(url) == "redis://***@127.0.0.1:6392/9"
    assert settings.display == "redis://***@127.0.0.1:6392/9"
    assert "Us3rSecret" not in settings.description()
    assert "Us3rSecret" in settings.secrets
    assert scrub(f"Connection<{url}> lost", settings.secrets) == (
        "Connection<redis://***@127.0.0.1:6392/9> lost"
    )


def test_display_never_shows_the_password():
    r = redis_settings({"host": "h", "password": "s3cret", "username": "app"})
    assert r.display == "redis://app:***@h:6379/0"
    assert "s3cret" not in r.display
    u = redis_settings({"url": "redis://app:s3cret@h:1/2", "password": "other"})
    assert u.display == "redis://app:***@h:1/2"
    assert set(u.secrets) == {"s3cret", "other"}
    assert scrub("auth s3cret failed", u.secrets) == "auth *** failed"


def test_rediss_url_turns_tls_on():
    redis = pytest.importorskip("redis")
    from equipment.Queue.RedisConnection import make_redis

    client = make_redis(redis_settings({"url": "rediss://u:pw@example.com:6380/4"}))
    pool = client.connection_pool
    assert issubclass(pool.connection_class, redis.connection.SSLConnection)
    kw = pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"], kw["password"]) == ("example.com", 6380, 4, "pw")


def test_url_wins_over_host_fields():
    pytest.importorskip("redis")
    from equipment.Queue.RedisConnection import make_redis

    client = make_redis(redis_settings({"url": "redis://other:7000/5", "host": "h", "port": 1}))
    kw = client.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("other", 7000, 5)


def test_host_fields_with_ssl_flag():
    redis = pytest.importorskip("redis")
    from equipment.Queue.RedisConnection import make_redis

    client = make_redis(redis_settings({"host": "h", "port": "6390", "ssl": "true"}))
    assert issubclass(client.connection_pool.connection_class, redis.connection.SSLConnection)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://:pw-secret@127.0.0.1:abc/0", "port from 1 to 65535"),
        ("redis://:pw-secret@127.0.0.1:99999/0", "port from 1 to 65535"),
        ("redis://u:pw-secret@127.0.0.1:0/0", "port from 1 to 65535"),
        ("redis://:pw-secret@127.0.0.1:6379/x", "database number"),
        ("redis://:pw-secret@127.0.0.1:6379/-1", "database number"),
        ("rediss://:pw-secret@h/0?db=two", "whole-number db="),
        ("http://:pw-secret@h/0", "redis://, rediss:// or unix://"),
        ("unix://", "name a socket"),
        ("redis://:pw-secret@h:6379/0?bogus=1", "unexpected keyword argument 'bogus'"),
        ("redis://:pw-secret@h:6379/0?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
        ("redis://:pw-secret@h:6379/0?ssl_password=pw-secret", "argument 'ssl_password'"),
        ("redis://:pw-secret@h:6379/0?protocol=5", "protocol must be either 2 or 3"),
        ("rediss://:pw-secret@h:6379/0?ssl_cert_reqs=bogus", "Invalid SSL Certificate"),
    ],
)
def test_a_bad_url_is_one_line_naming_the_key_with_the_password_masked(url, problem):
    with pytest.raises(ConfigError) as caught:
        redis_settings({"url": url})
    message = str(caught.value)
    assert message.startswith("queue.redis.url ") and problem in message
    assert "pw-secret" not in message and "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "redis://h",
        "redis://h/3",
        "redis://u:p@h:65535/15",
        "rediss://:p@h:1/0?db=2",
        "unix:///run/redis.sock?db=1",
        "redis://[::1]:6379/0",
        "redis://h/0?socket_timeout=5&health_check_interval=10",
        "rediss://h/0?ssl_password=p&ssl_cert_reqs=none",
    ],
)
def test_good_urls_pass(url):
    assert redis_settings({"url": url}).url == url


def test_mask_url_keeps_a_bad_port_visible_and_the_password_hidden():
    assert mask_url("redis://:pw@h:abc/0") == "redis://:***@h:abc/0"
    assert mask_url("redis://u:p@w@h:1/2") == "redis://u:***@h:1/2"


def test_port_field_must_be_a_tcp_port():
    with pytest.raises(ConfigError, match="queue.redis.port must be between 1 and 65535"):
        redis_settings({"port": "99999"})


def test_every_credential_redis_py_reads_from_a_url_is_masked():
    assert mask_url("redis://h:6390/9?password=s3cret") == "redis://h:6390/9?password=***"
    assert mask_url("unix:///run/r.sock?db=9&password=s3cret") == (
        "unix:///run/r.sock?db=9&password=***"
    )
    assert mask_url("rediss://u:a%23b@h/0?ssl_password=k3y&socket_timeout=1") == (
        "rediss://u:***@h/0?ssl_password=***&socket_timeout=1"
    )
    r = redis_settings({"url": "rediss://u:a%23b@h/0?password=s3%40cret&ssl_password=k3y"})
    assert set(r.secrets) >= {"a%23b", "a#b", "s3%40cret", "s3@cret", "k3y"}
    assert scrub("AUTH failed for s3@cret", r.secrets) == "AUTH failed for ***"


def test_the_description_names_the_driver_and_masks_the_password():
    assert QueueSettings.from_config(None).description == "sync"
    settings = QueueSettings.from_config(
        {"connection": "redis", "redis": {"password": "s3cret", "queues": "high,default"}}
    )
    assert settings.description == "redis at redis://:***@127.0.0.1:6379/0 (queues: high, default)"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"conection": "redis"}, "config/queue.yaml: unknown key 'conection' (known keys: "
         "connection, redis, timezone)"),
        ({"redis": {"pasword": "x"}}, "config/queue.yaml: unknown key 'redis.pasword' "
         "(known keys under redis: connect_timeout, db, failure_ttl, host, job_timeout, "
         "outage_summary_seconds, password, port, push_retry_seconds, queues, result_ttl, "
         "socket_timeout, ssl, url, username)"),
    ],
)
def test_an_unknown_key_is_refused_with_the_known_ones(config, message):
    with pytest.raises(ConfigError) as info:
        QueueSettings.from_config(config)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("push_retry_seconds", "1e12", "must be between 0 and 300 seconds"),
        ("push_retry_seconds", "-1", "must be between 0 and 300 seconds"),
        ("connect_timeout", "1e12", "must be between 0.01 and 300 seconds"),
        ("connect_timeout", "0", "must be between 0.01 and 300 seconds"),
        ("socket_timeout", "1e12", "must be between 0.01 and 3600 seconds"),
        ("outage_summary_seconds", "1e12", "must be between 1 and 86400 seconds"),
        ("job_timeout", 10**12, "must be between 1 and 604800"),
        ("result_ttl", 10**12, "must be between -1 and 31622400"),
        ("failure_ttl", 10**12, "must be between 1 and 31622400"),
    ],
)
def test_every_number_has_bounds_checked_at_start(key, value, message):
    # 1e12 overflowed the socket's timer at every push, or made a push retry for ever.
    with pytest.raises(ConfigError) as caught:
        QueueSettings.from_config({"connection": "redis", "redis": {key: value}})

    assert str(caught.value) == f"queue.redis.{key} {message}, got {value!r}"


def test_the_bounds_themselves_are_accepted():
    settings = redis_settings(
        {
            "push_retry_seconds": 300,
            "connect_timeout": 300,
            "socket_timeout": 3600,
            "outage_summary_seconds": 86400,
            "job_timeout": 604800,
            "result_ttl": -1,
            "failure_ttl": 31622400,
        }
    )

    assert (settings.connect_timeout, settings.socket_timeout) == (300.0, 3600.0)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"db": 2**31 - 1}, "queue.redis.db must be between 0 and 2147483646, got 2147483647"),
        ({"db": "-1"}, "queue.redis.db must be between 0 and 2147483646, got '-1'"),
        ({"db": "1.5"}, "queue.redis.db must be a whole number, got '1.5'"),
        (
            {"url": "redis://h:6379/99999999999"},
            "queue.redis.url's database must be between 0 and 2147483646, "
            "got 'redis://h:6379/99999999999'",
        ),
        (
            {"url": "redis://:pw@h:6379?db=2147483647"},
            "queue.redis.url's database must be between 0 and 2147483646, "
            "got 'redis://:***@h:6379?db=2147483647'",
        ),
    ],
)
def test_a_database_no_redis_can_have_is_refused_at_start(section, message):
    with pytest.raises(ConfigError) as caught:
        redis_settings(section)

    assert str(caught.value) == message


def test_the_highest_database_a_redis_can_have_is_accepted():
    assert redis_settings({"db": "2147483646"}).db == 2147483646
    redis_settings({"url": "redis://h:6379/2147483646"})
