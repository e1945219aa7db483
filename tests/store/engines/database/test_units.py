"""Pure parts of the database engine: templates, usernames, passwords, cron, scrubbing."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest

from reconciler.store.engines.database.passwords import ALPHABET, generate_password
from reconciler.store.engines.database.plugins.base import scrub
from reconciler.store.engines.database.plugins.scram import scram_matches, scram_sha256_verifier
from reconciler.store.engines.database.scheduler import (
    CronError,
    CronSchedule,
    next_rotation,
    retry_delay,
)
from reconciler.store.engines.database.templates import (
    embedded_password,
    format_expiration,
    redact_url,
    render_connection_url,
    render_statement,
    split_statements,
)
from reconciler.store.engines.database.usernames import (
    MYSQL_DEFAULT,
    POSTGRES_DEFAULT,
    TemplateError,
    UsernameInput,
    render_username,
)


def ts(text: str) -> float:
    """A UTC timestamp from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_connection_url_escapes_unless_disabled() -> None:
    url = "postgresql://{{username}}:{{password}}@h:5432/db"
    assert (
        render_connection_url(url, "a@b", "p/w:x", False)
        == "postgresql://a%40b:p%2Fw%3Ax@h:5432/db"
    )
    assert render_connection_url(url, "a", "p/w", True) == "postgresql://a:p/w@h:5432/db"


def test_password_in_url_is_detected_and_redacted() -> None:
    assert embedded_password("postgresql://u:secret@h/db")
    assert redact_url("postgresql://u:secret@h/db") == "postgresql://u:*****@h/db"
    assert redact_url("u:secret@tcp(h:3306)/") == "u:*****@tcp(h:3306)/"
    assert redact_url("host=h password=secret user=u") == "host=h password=***** user=u"
    assert not embedded_password("postgresql://{{username}}:{{password}}@h/db")
    assert not embedded_password("{{username}}:{{password}}@tcp(h:3306)/")


def test_expiration_uses_go_layout_plus_five_seconds() -> None:
    assert format_expiration(ts("2024-05-01T12:00:00"), 3600) == "2024-05-01 13:00:05+0000"


def test_statement_rendering_and_splitting() -> None:
    rendered = render_statement("CREATE ROLE \"{{name}}\" PASSWORD '{{ password }}' {{x}}",
                                {"name": "n", "password": "p"})  # fmt: skip
    assert rendered == "CREATE ROLE \"n\" PASSWORD 'p' {{x}}"
    assert split_statements("A; B ;; C;") == ["A", "B", "C"]
    assert split_statements("SELECT 'a;b'; SELECT \"c;d\"") == ["SELECT 'a;b'", 'SELECT "c;d"']
    block = "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$; SELECT 1"
    assert split_statements(block) == ["DO $$ BEGIN PERFORM 1; PERFORM 2; END $$", "SELECT 1"]
    tagged = "DO $body$ SELECT 1; $body$; SELECT 2"
    assert split_statements(tagged) == ["DO $body$ SELECT 1; $body$", "SELECT 2"]
    proc = "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND"
    assert split_statements(proc) == [proc]


def test_default_username_templates() -> None:
    pg = render_username(POSTGRES_DEFAULT, UsernameInput("approle", "readonly"))
    assert re.fullmatch(r"v-approle-readonly-[A-Za-z0-9]{20}-\d{10}", pg)
    long = UsernameInput("token-very-long-display", "a-very-long-role-name")
    my = render_username(MYSQL_DEFAULT, long)
    assert len(my) == 32 and my.startswith("v-token-very-a-very-lon-")
    assert len(render_username(POSTGRES_DEFAULT, long)) <= 63


def test_username_template_functions() -> None:
    data = UsernameInput("Token", "My-Role")
    render = lambda t: render_username(t, data)  # noqa: E731
    assert render("{{.RoleName | lowercase}}") == "my-role"
    assert render("{{ .DisplayName | uppercase }}") == "TOKEN"
    assert render('{{ .RoleName | replace "-" "_" }}') == "My_Role"
    assert render('{{ printf "%s.%d.%%" .RoleName 7 }}') == "My-Role.7.%"
    assert render("{{ .RoleName | truncate 2 }}") == "My"
    assert render("{{ .RoleName | truncate_sha256 9 }}") == "My-Role"
    assert len(render('{{ "abcdefghijklmnop" | truncate_sha256 10 }}')) == 10
    assert re.fullmatch(r"[A-Za-z0-9]{12}", render("{{random 12}}"))
    assert re.fullmatch(r"\d{13}", render("{{unix_time_millis}}"))
    assert re.fullmatch(r"[0-9a-f-]{36}", render("{{uuid}}"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", render('{{timestamp "2006-01-02"}}'))
    assert render('{{ "a" | base64 }}') == "YQ=="
    assert render("pre-{{ (.RoleName | lowercase) }}-post") == "pre-my-role-post"
    for bad in ("{{ nope }}", "{{ .Missing }}", "{{ (random 3 }}", "{{ truncate }}"):
        with pytest.raises(TemplateError):
            render(bad)


def test_generated_passwords() -> None:
    for _ in range(200):
        password = generate_password()
        assert len(password) == 20 and set(password) <= set(ALPHABET)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits, "-"):
            assert set(password) & set(group)
    assert len({generate_password() for _ in range(100)}) == 100


def test_cron_schedules() -> None:
    every_15 = CronSchedule.parse("*/15 * * * *")
    assert every_15.next_after(ts("2024-05-01T12:07:30")) == ts("2024-05-01T12:15:00")
    nightly = CronSchedule.parse("30 2 * * *")
    assert nightly.next_after(ts("2024-05-01T02:30:00")) == ts("2024-05-02T02:30:00")
    monday = CronSchedule.parse("0 9 * * 1")
    assert monday.next_after(ts("2024-05-01T00:00:00")) == ts("2024-05-06T09:00:00")
    either = CronSchedule.parse("0 0 1 * 0")  # the 1st, or any Sunday
    assert either.next_after(ts("2024-05-01T00:00:00")) == ts("2024-05-05T00:00:00")
    yearly = CronSchedule.parse("0 0 29 2 *")
    assert yearly.next_after(ts("2024-03-01T00:00:00")) == ts("2028-02-29T00:00:00")
    assert next_rotation(ts("2024-05-01T00:00:00"), 0, "0 * * * *") == ts("2024-05-01T01:00:00")
    assert next_rotation(100.0, 60, "") == 160.0
    for bad in ("* * * *", "60 * * * *", "a * * * *", "5-1 * * * *", "*/0 * * * *"):
        with pytest.raises(CronError):
            CronSchedule.parse(bad)


def test_retry_backoff_grows_and_caps() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(50) == 300


def test_scrub_removes_passwords_from_driver_messages() -> None:
    echoed = "near 'BOGUS IDENTIFIED BY 'Abc-123xyz'' at line 1"
    assert "Abc-123xyz" not in scrub(echoed)
    assert "s3cret" not in scrub("ALTER ROLE \"x\" WITH PASSWORD 's3cret'")
    assert "s3cret" not in scrub("failed: host=h password=s3cret")
    assert "s3cret" not in scrub("postgresql://u:s3cret@h/db")
    assert scrub("token Known-Value here", ["Known-Value"]) == "token [redacted] here"


def test_scram_verifier_round_trip() -> None:
    verifier = scram_sha256_verifier("pencil")
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    assert scram_matches("pencil", verifier)
    assert not scram_matches("pen", verifier)
    assert not scram_matches("pencil", "md5abc")
