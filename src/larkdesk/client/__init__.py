"""A Feishu-compatible client: tokens, pacing, retries, and every ticket of a helpdesk.

from larkdesk.client import FeishuClient, iter_all_tickets

with FeishuClient(app_id, app_secret, helpdesk_id, helpdesk_token,
                  base_url="https://open.feishu.cn") as client:
    for ticket in iter_all_tickets(client, {"status_list": [50, 51]}):
        ...
"""

from __future__ import annotations

from .errors import (
    ApiError,
    AuthenticationFailed,
    ClientError,
    ConnectionFailed,
    InvalidRequest,
    MillisecondOverflow,
    PermissionDenied,
    RateLimitExceeded,
    ServerError,
    WalkError,
    WindowUnstable,
)
from .http import FEISHU, FeishuClient, TicketListPage
from .pacing import PaceLimit, Pacer
from .walker import Estimate, WindowDone, iter_all_tickets, walk

__all__ = [
    "FEISHU",
    "ApiError",
    "AuthenticationFailed",
    "ClientError",
    "ConnectionFailed",
    "Estimate",
    "FeishuClient",
    "InvalidRequest",
    "MillisecondOverflow",
    "PaceLimit",
    "Pacer",
    "PermissionDenied",
    "RateLimitExceeded",
    "ServerError",
    "TicketListPage",
    "WalkError",
    "WindowDone",
    "WindowUnstable",
    "iter_all_tickets",
    "walk",
]
