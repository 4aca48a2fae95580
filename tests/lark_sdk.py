"""lark-oapi pointed at a live larkdesk, as an integration would build it."""

from __future__ import annotations

from typing import Any

import lark_oapi as lark
from lark_oapi.api.helpdesk.v1 import GetTicketRequest, ListTicketRequest

from .conftest import Identity


class LarkHelpdesk:
    """The SDK's ticket list and get calls for one app and helpdesk."""

    def __init__(self, base_url: str, identity: Identity) -> None:
        self.client = (
            lark.Client.builder()
            .app_id(identity.app_id)
            .app_secret(identity.app_secret)
            .domain(base_url)
            .log_level(lark.LogLevel.ERROR)
            .build()
        )
        self.option = (
            lark.RequestOption.builder()
            .headers({"X-Lark-Helpdesk-Authorization": identity.helpdesk_header})
            .build()
        )

    def list(self, page_size: int = 50) -> Any:
        request = ListTicketRequest.builder().page_size(page_size).build()
        return self.client.helpdesk.v1.ticket.list(request, self.option)

    def get(self, ticket_id: str) -> Any:
        request = GetTicketRequest.builder().ticket_id(ticket_id).build()
        return self.client.helpdesk.v1.ticket.get(request, self.option)
