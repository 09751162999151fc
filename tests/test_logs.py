"""Structured JSON log lines (bot.logs): fields at the top level, secrets redacted before any output."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from bot.logs import REDACTED, JsonFormatter, RedactSecrets, configure_logging, fields, record_fields

SECRET = "whsec-logs-91ab"


def make_record(message: str, *args, extra: dict | None = None, exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, message, args, exc_info)
    for key, value in (extra or {}).items():
        setattr(record, key, value)
    return record


def test_a_record_becomes_one_json_line_with_its_fields_at_the_top_level():
    record = make_record("webhook %s", "queued", extra=fields(delivery_id="d-1", repo="octo/hello", pr=2, head_sha="abc", skipped=None))

    line = JsonFormatter().format(record)

    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "webhook queued"
    assert (parsed["delivery_id"], parsed["repo"], parsed["pr"], parsed["head_sha"]) == ("d-1", "octo/hello", 2, "abc")
    assert "skipped" not in parsed
    assert parsed["level"] == "info" and parsed["logger"] == "bot.test"


def test_records_of_other_libraries_carry_no_fields():
    assert record_fields(make_record("plain")) == {}


def test_secrets_are_redacted_from_messages_arguments_and_fields():
    redact = RedactSecrets([SECRET])
    record = make_record("token %s leaked", SECRET, extra=fields(repo=f"x{SECRET}y", pr=3))

    assert redact.filter(record) is True

    assert SECRET not in record.getMessage() and REDACTED in record.getMessage()
    assert record_fields(record) == {"repo": f"x{REDACTED}y", "pr": 3}


def test_a_traceback_that_contains_a_secret_is_dropped():
    try:
        raise RuntimeError(f"bad secret {SECRET}")
    except RuntimeError:
        record = make_record("failed", exc_info=sys.exc_info())

    RedactSecrets([SECRET]).filter(record)
    line = JsonFormatter().format(record)

    assert SECRET not in line
    assert "exception details dropped" in line


def test_configure_logging_sends_every_logger_through_the_redacting_json_handler():
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging(secrets=[SECRET], stream=stream)
        logging.getLogger("rq.worker").info("secret is %s", SECRET)
        logging.getLogger("bot.web").warning("refused", extra=fields(delivery_id="d-9"))
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["rq.worker", "bot.web"]
    assert lines[1]["delivery_id"] == "d-9"
    assert SECRET not in stream.getvalue()


@pytest.mark.parametrize("short", ["", "abc"])
def test_values_too_short_to_be_secrets_are_not_redacted(short):
    record = make_record("abc def")

    RedactSecrets([short]).filter(record)

    assert record.getMessage() == "abc def"
