"""--configs accepts ``default`` and refuses unknown names; the audit append's scripts and table."""

import pytest

from bench import audit_append, capture, servers


def test_default_is_the_config_the_gunicorn_file_gives():
    (config,) = servers.resolve_configs("default")
    workers, threads = servers.config_default()
    if config.key == servers.DEFAULT_NAME:
        assert config.env == ()  # nothing set: the config file decides
    else:
        assert dict(config.env) == {"WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}


def test_no_names_is_every_config_and_names_keep_their_order_once():
    assert servers.resolve_configs(None) == servers.SERVER_CONFIGS
    assert servers.resolve_configs("") == servers.SERVER_CONFIGS
    chosen = servers.resolve_configs("sync-5,gthread-4x2,sync-5")
    assert [c.key for c in chosen] == ["sync-5", "gthread-4x2"]


@pytest.mark.parametrize("names", ["nope", "default,nope", " , "])
def test_unknown_names_are_refused_with_the_known_ones(names):
    with pytest.raises(ValueError, match="known: default, gthread-4x2"):
        servers.resolve_configs(names)


def test_the_suite_turns_an_unknown_config_into_a_usage_error(monkeypatch, capsys):
    from bench import suite

    monkeypatch.setattr("sys.argv", ["suite.py", "--configs", "defualt"])
    with pytest.raises(SystemExit) as exited:
        suite.main()
    assert exited.value.code == 2
    assert "unknown server config(s): defualt" in capsys.readouterr().err


INSERT = 'INSERT INTO "audit_auditevent" ("event_id", "hash") VALUES (%s, %s)'


def _statements():
    fresh = (f"'{capture.FRESH_UUID}'", f"'{capture.FRESH_HASH}'")
    return [
        capture.Statement("BEGIN", True),
        capture.Statement("SELECT pg_advisory_xact_lock(1)", True),
        capture.Statement(INSERT % ("'x'", "'y'"), True, INSERT % fresh),
        capture.Statement("COMMIT", True),
    ]


def test_the_app_script_keeps_everything_and_the_plain_one_is_the_insert_alone(tmp_path):
    files = audit_append.scripts(_statements(), tmp_path)
    app = files["app"].read_text().splitlines()
    plain = files["plain"].read_text().splitlines()
    assert app[0] == "BEGIN;"
    assert app[1] == "SELECT pg_advisory_xact_lock(1);"
    assert app[-1] == "COMMIT;"
    assert plain == [app[2]]
    assert "gen_random_uuid()" in plain[0]  # fresh unique values on every run


def test_a_capture_without_exactly_one_insert_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="one audit INSERT"):
        audit_append.scripts([capture.Statement("SELECT 1", False)], tmp_path)


def test_the_table_shows_each_client_count_and_the_targets():
    result = {
        "clients": [1, 4, 8],
        "statements": 3,
        "tps": {"app": {"1": 800.0, "4": 700.0, "8": 640.0}, "plain": {"1": 1000.0, "4": 2300.0, "8": 3000.0}},
        "ratios": {"app_8_vs_app_1": 0.8, "app_vs_plain_at_8": 0.21},
    }
    table = audit_append.markdown(result)
    assert "| 8 | 640 | 3,000 | 0.21 |" in table
    assert "(target >= 2)" in table
