"""Feishu's per-API rate limits on the endpoints of the rest of the surface (knowledge
base, agents, custom-field overview, notifications): each API is counted apart, per app,
and the 51st call within a second is 429/99991400. The limiter's clock is frozen for the
test (a loaded box must not let a second pass between the calls)."""

from __future__ import annotations

from unittest import mock

import pytest
from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import Store

from .backends import db_location
from .conftest import auth_headers, provision

PREFIX = "/open-apis/helpdesk/v1"


@pytest.mark.parametrize(
    ("path", "other"),
    [
        ("/faqs", "/categories"),
        ("/categories", "/faqs"),
        ("/agent_skills", "/agent_skill_rules"),
        ("/customized_fields", "/faqs"),
        ("/agent_skill_rules", "/agent_skills"),
    ],
)
def test_each_new_api_keeps_feishus_limit_apart(store: Store, path: str, other: str) -> None:
    identity = provision(store)
    settings = Settings(db=db_location(store), rate_limit="feishu")
    with mock.patch("time.monotonic", return_value=1_000.0):
        app = create_app(settings, store)  # the limiter keeps the frozen clock
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = auth_headers(client, identity)
        answers = [client.get(PREFIX + path, headers=headers) for _ in range(51)]
        assert [r.status_code for r in answers] == [200] * 50 + [429], path
        refused = answers[-1]
        assert refused.json()["code"] == 99991400
        assert refused.headers["x-ogw-ratelimit-limit"] == "50"
        assert client.get(PREFIX + other, headers=headers).status_code == 200  # apart
