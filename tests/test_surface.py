"""Feishu's whole Helpdesk v1 surface through lark-oapi unchanged: every request class of
`lark_oapi.api.helpdesk.v1` is called through its SDK method against the server, and each
answer must parse into the SDK's response (never a JSONDecodeError, never `code=None`).
Served endpoints answer as themselves; the rest answer 501/155000 naming the API, after
the gateway. The table in docs/api.md says which is which, and this test holds it to it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lark_oapi as lark
import pytest
from lark_oapi.api.helpdesk import v1
from lark_oapi.core.model import BaseRequest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from larkdesk.auth.gateway import Gateway
from larkdesk.helpdesk.surface import ENDPOINTS, PREFIX, USER, Endpoint
from larkdesk.helpdesk.unserved import not_served_routes, unserved_endpoints
from larkdesk.server.app import route_table
from larkdesk.server.requestlog import RequestLogMiddleware
from larkdesk.server.services import build_services
from larkdesk.settings import Settings

from .backends import BACKEND_NAMES, db_location, open_backend
from .conftest import Identity, larkdesk, provision
from .wire import Wire, serve

API_DOCS = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()


def sdk_methods() -> dict[str, tuple[str, str]]:
    """Each helpdesk v1 request class name → (resource attribute, method) of the SDK."""
    from lark_oapi.api.helpdesk.v1.version import V1

    config = lark.Client.builder().app_id("a").app_secret("b").build()._config
    found: dict[str, tuple[str, str]] = {}
    for resource_name, resource in vars(V1(config)).items():
        for method_name, method in inspect.getmembers(resource, inspect.ismethod):
            if method_name.startswith("_") or inspect.iscoroutinefunction(method):
                continue
            hints = typing.get_type_hints(method)
            request_type = hints.get("request")
            if request_type is not None:
                found[request_type.__name__] = (resource_name, method_name)
    return found


def request_classes() -> dict[str, type[BaseRequest]]:
    return {
        name: cls
        for name, cls in vars(v1).items()
        if inspect.isclass(cls)
        and issubclass(cls, BaseRequest)
        and cls is not BaseRequest
        and name.endswith("Request")
    }


def test_the_surface_table_is_lark_oapis_whole_helpdesk_v1() -> None:
    classes = request_classes()
    assert len(classes) == 50
    table = {e.request_class: e for e in ENDPOINTS}
    assert set(table) == set(classes)
    for name, cls in classes.items():
        built = cls.builder().build()  # type: ignore[attr-defined]
        endpoint = table[name]
        assert endpoint.method == built.http_method.name, name
        assert endpoint.path == re.sub(r":(\w+)", r"{\1}", built.uri), name
        assert set(endpoint.tokens) == {t.name.lower() for t in built.token_types}, name
    assert set(sdk_methods()) == set(classes)


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Wire, Identity]]:
    with open_backend(request.param, tmp_path_factory.mktemp("surface")) as store:
        identity = provision(store, name=f"surface-{request.param}")
        with serve(db_location(store), "--rate-limit", "off") as wire:
            yield wire, identity


def sdk_client(wire: Wire, identity: Identity, set_token: bool) -> Any:
    builder = (
        lark.Client.builder()
        .app_id(identity.app_id)
        .app_secret(identity.app_secret)
        .domain(wire.base_url)
        .log_level(lark.LogLevel.ERROR)
    )
    return builder.enable_set_token(set_token).build()


def tenant_token(wire: Wire, identity: Identity) -> str:
    with wire.client() as client:
        body = client.post(
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": identity.app_id, "app_secret": identity.app_secret},
        ).json()
    return str(body["tenant_access_token"])


def call(wire: Wire, identity: Identity, name: str, asynchronous: bool = False) -> Any:
    """`name` called through its SDK method, path ids unknown to the helpdesk; a USER-token
    API with the app's token set as the user token (larkdesk accepts the tenant token
    where lark-oapi asks for a user's, docs/api.md)."""
    resource_name, method_name = sdk_methods()[name]
    request = request_classes()[name].builder().build()  # type: ignore[attr-defined]
    for key in re.findall(r":(\w+)", request.uri):
        request.paths[key] = "7000000000000000001"
    user = "USER" in {t.name for t in request.token_types}
    client = sdk_client(wire, identity, set_token=user)
    option = lark.RequestOption.builder().headers(
        {"X-Lark-Helpdesk-Authorization": identity.helpdesk_header}
    )
    if user:
        option = option.user_access_token(tenant_token(wire, identity))
    resource = getattr(client.helpdesk.v1, resource_name)
    if asynchronous:  # lark-oapi's `a...` twin of the method
        return asyncio.run(getattr(resource, "a" + method_name)(request, option.build()))
    return getattr(resource, method_name)(request, option.build())


_SERVED: set[str] = set()


def served_names() -> set[str]:
    """The request classes whose endpoint has a route of its own (not the 501 answer)."""
    if not _SERVED:
        with open_backend("sqlite", Path.cwd()) as store:
            services = build_services(Settings(db=db_location(store), rate_limit="off"), store)
            unserved = {e.request_class for e in unserved_endpoints(route_table(services))}
        _SERVED.update({e.request_class for e in ENDPOINTS} - unserved)
    return _SERVED


@pytest.mark.parametrize("name", [e.request_class for e in ENDPOINTS])
def test_every_endpoint_answers_json_lark_oapi_parses(
    server: tuple[Wire, Identity], name: str
) -> None:
    wire, identity = server
    response = call(wire, identity, name)  # a JSONDecodeError would raise here
    assert response.code is not None, (name, response.raw.status_code, response.raw.content)
    assert response.raw.headers.get("X-Tt-Logid"), name
    if name in served_names():
        assert response.raw.status_code != 501, (name, response.msg)
    else:
        assert (response.raw.status_code, response.code) == (501, 155000), name
        assert "does not serve" in response.msg and name in response.msg


BINARY_APIS = {"TicketImageTicketRequest", "FaqImageFaqRequest"}


@pytest.mark.parametrize("name", [e.request_class for e in ENDPOINTS])
def test_every_endpoint_answers_json_the_async_sdk_parses(
    server: tuple[Wire, Identity], name: str
) -> None:
    wire, identity = server
    response = call(wire, identity, name, asynchronous=True)
    if name in BINARY_APIS and response.code is None:
        # lark-oapi's async file downloads leave an error's JSON body unparsed (the sync
        # ones parse it): the body must still be Feishu's JSON.
        assert isinstance(json.loads(response.raw.content)["code"], int), name
    else:
        assert response.code is not None, (name, response.raw.status_code, response.raw.content)
    assert name not in served_names() or response.raw.status_code != 501, (name, response.msg)


def test_an_endpoint_left_unserved_answers_501_json_after_the_gateway(tmp_path: Path) -> None:
    """larkdesk now serves all 50; a route table that leaves some out (a build that drops
    a resource) still answers them in Feishu's JSON, after the gateway's checks."""
    with open_backend("sqlite", tmp_path) as store:
        identity = provision(store)
        services = build_services(Settings(db=db_location(store), rate_limit="off"), store)
        gateway = Gateway(store, services.tokens, services.limiter)
        served = [r for r in route_table(services) if "/faqs" not in getattr(r, "path", "")]
        app = Starlette(
            routes=served + not_served_routes(gateway, served),
            middleware=[Middleware(RequestLogMiddleware)],  # where errors become answers
        )
        with TestClient(app) as client:
            bare = client.get(f"{PREFIX}/faqs/search")
            assert (bare.status_code, bare.json()["code"]) == (400, 99991661)
            token = client.post(
                "/open-apis/auth/v3/tenant_access_token/internal",
                json={"app_id": identity.app_id, "app_secret": identity.app_secret},
            ).json()["tenant_access_token"]
            headers = {
                "Authorization": f"Bearer {token}",
                "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
            }
            answer = client.get(f"{PREFIX}/faqs/search", headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (501, 155000)
            assert "SearchFaqRequest" in answer.json()["msg"]
            assert client.get(f"{PREFIX}/categories", headers=headers).json()["code"] == 0


def test_paths_feishu_does_not_serve_stay_plain_text(server: tuple[Wire, Identity]) -> None:
    wire, _ = server
    with wire.client() as client:
        for method, path in (
            ("GET", f"{PREFIX}/no_such_api"),
            ("DELETE", f"{PREFIX}/tickets/1"),
            ("GET", f"{PREFIX}/faqs/1/image"),
        ):
            answer = client.request(method, path)
            assert (answer.status_code, answer.text) == (404, "404 page not found"), path


def test_the_docs_table_says_which_endpoints_are_served() -> None:
    served = served_names()
    for endpoint in ENDPOINTS:
        row = re.search(
            rf"^\| `{endpoint.method} {re.escape(endpoint.path[len(PREFIX) :])}` \|.*$",
            API_DOCS,
            re.MULTILINE,
        )
        assert row, f"docs/api.md has no row for {endpoint.method} {endpoint.path}"
        cells = [c.strip() for c in row.group(0).strip("|").split("|")]
        assert cells[1] == f"`{endpoint.request_class}`", endpoint
        assert cells[-1] == ("served" if endpoint.request_class in served else "501"), endpoint


@pytest.fixture(scope="module")
def user_token(server: tuple[Wire, Identity]) -> str:
    """A `u-` token from `larkdesk user token` for a user added with `larkdesk user add`."""
    wire, identity = server
    added = larkdesk("user", "add", "--app", identity.app_id, "--name", "Wang Fang", db=wire.db)
    open_id = json.loads(added.stdout)["open_id"]
    out = larkdesk("user", "token", "--app", identity.app_id, "--user", open_id, db=wire.db)
    grant = json.loads(out.stdout)
    assert grant["expire"] == 7200 and grant["open_id"] == open_id
    token = str(grant["user_access_token"])
    assert token.startswith("u-")
    return token


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.request_class)
def test_a_user_token_is_taken_where_lark_oapi_sends_one(
    server: tuple[Wire, Identity], user_token: str, endpoint: Endpoint
) -> None:
    wire, identity = server
    path = re.sub(r"\{\w+\}", "7000000000000000001", endpoint.path)
    headers = {
        "Authorization": f"Bearer {user_token}",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }
    with wire.client(headers=headers) as client:
        answer = client.request(endpoint.method, path, json={})
    code = answer.json()["code"]
    if USER in endpoint.tokens:
        assert code != 99991663, (endpoint, answer.text)
    else:
        assert (answer.status_code, code) == (400, 99991663), endpoint
        assert "tenant access token" in answer.json()["msg"]


def test_an_unknown_or_strangers_user_token_is_refused(
    server: tuple[Wire, Identity], user_token: str
) -> None:
    wire, identity = server
    for token in ("u-" + "x" * 43, user_token[:-1]):
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
        }
        with wire.client(headers=headers) as client:
            answer = client.post(f"{PREFIX}/faqs", json={})
        assert (answer.status_code, answer.json()["code"]) == (400, 99991663)
    out = larkdesk(
        "user", "token", "--app", identity.app_id, "--user", "ou_nobody", db=wire.db, check=False
    )
    assert out.returncode != 0 and "no user 'ou_nobody'" in out.stderr
