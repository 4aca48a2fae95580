"""`serve --log-format json`: every log record as one JSON object on one line.

A request's line carries its fields (`log_id`, `method`, `api`, `path`, `status`, `code`,
`app_id`, `ms`) as keys; any other record has `msg`. JSON escapes every control
character, and with `ensure_ascii` every non-ASCII one too (U+2028 included), so a
client-chosen path can never end or forge a line. Secrets are kept out where the lines
are made (the request log logs no header, query string or body).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["msg"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"), default=str)


def _utc(created: float) -> str:
    """e.g. 2026-11-30T01:02:03.456Z"""
    whole = int(created)
    millis = int((created - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
