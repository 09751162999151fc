"""Structured logging for the bot: one JSON object per line, with the webhook's identifying fields.

Call sites pass their fields as `extra=fields(delivery_id=..., repo=..., ...)`;
the formatter puts them at the top level of the line. A redacting filter
replaces any configured secret value that reaches a message or a field, as a
second line of defence behind "never log a secret".
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable
from typing import Any

FIELDS_ATTRIBUTE = "ainascan_fields"
REDACTED = "[redacted]"


def fields(**values: Any) -> dict[str, Any]:
    """The `extra=` argument carrying structured fields into a log record (None values dropped)."""
    return {FIELDS_ATTRIBUTE: {key: value for key, value in values.items() if value is not None}}


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record carries (empty for records from other libraries)."""
    return dict(getattr(record, FIELDS_ATTRIBUTE, {}))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, then its structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(record_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Replaces secret values in a record's message, arguments and fields before any handler sees them."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret and len(secret) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            if any(secret in trace for secret in self.secrets):
                record.exc_info, record.exc_text = None, None
                redacted += " (exception details dropped: they contained a secret)"
        if redacted != message:
            record.msg, record.args = redacted, None
        carried = getattr(record, FIELDS_ATTRIBUTE, None)
        if carried:
            setattr(record, FIELDS_ATTRIBUTE, {key: self._redact(value) if isinstance(value, str) else value for key, value in carried.items()})
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream=None) -> None:
    """Send every log record (the bot's, uvicorn's, rq's) to `stream` as JSON lines, secrets redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
