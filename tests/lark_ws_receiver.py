"""An app receiving helpdesk events over the long connection with lark-oapi's own
`lark.ws.Client` and `EventDispatcherHandler`, unchanged (run as a subprocess: the SDK
runs its own event loop, one per process). Usage: APP_ID APP_SECRET DOMAIN.

Prints {"ready": true} once the SDK is imported, waits for a line on stdin, then starts the
client; prints one JSON line per event the SDK parsed into its `P2Helpdesk...` models, or
{"refused": code, "msg": ...} when the SDK gave up connecting.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import lark_oapi as lark
from lark_oapi.ws.exception import ClientException


def _print(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _keep(kind: str) -> Any:
    def keep(data: Any) -> None:
        event = data.event
        line = {
            "type": data.header.event_type,
            "model": type(data).__name__,
            "event_id": data.header.event_id,
            "app_id": data.header.app_id,
        }
        if kind == "created":
            line.update(ticket_id=event.ticket_id, open_id=event.guest.id.open_id)
        elif kind == "updated":
            line.update(
                ticket_id=event.object.ticket_id,
                status=event.object.status,
                old_status=event.old_object.status,
            )
        else:
            line.update(ticket_id=event.ticket.ticket_id, text=event.text)
        _print(line)

    return keep


def main() -> None:
    app_id, app_secret, domain = sys.argv[1:4]
    handler = (
        lark.EventDispatcherHandler.builder("", "", lark.LogLevel.ERROR)
        .register_p2_helpdesk_ticket_created_v1(_keep("created"))
        .register_p2_helpdesk_ticket_updated_v1(_keep("updated"))
        .register_p2_helpdesk_ticket_message_created_v1(_keep("message"))
        .build()
    )
    client = lark.ws.Client(
        app_id, app_secret, event_handler=handler, domain=domain, log_level=lark.LogLevel.INFO
    )
    _print({"ready": True})
    sys.stdin.readline()
    try:
        client.start()
    except ClientException as exc:  # refused for good (no reconnect): say with what
        _print({"refused": exc.code, "msg": str(exc)})


if __name__ == "__main__":
    main()
