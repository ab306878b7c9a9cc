import pytest

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
    [(None, ("default",)), ("", ("default",)), ("high, default", ("high", "default")),
     (["a", "b"], ("a", "b"))],
)
def test_queue_names(value, names):
    assert queue_names(value) == names


def test_mask_url():
    assert mask_url("redis://u:s3cret@h:6379/0") == "redis://u:***@h:6379/0"
    assert mask_url("rediss://:s3cret@h/1") == "rediss://:***@h/1"
    assert mask_url("redis://h:6379/0") == "redis://h:6379/0"


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
