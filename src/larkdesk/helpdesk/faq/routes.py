"""Thin HTTP handlers for the knowledge base (`.../faqs`, `.../categories`): read
parameters, one service call, wrap.

Reads accept `helpdesk:all:readonly` or `helpdesk:all`; writes need `helpdesk:all`. Each
API has its own rate-limit counter, Feishu's helpdesk tier (docs/api.md).
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...errors import BadRequest
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ...store.faq_records import FaqFilter
from ..json_body import decode_body, read_body
from ..messages.images import file_name
from ..messages.routes import image_response
from ..params import group_params, parse_int, shown
from ..scopes import READ_SCOPES, WRITE_SCOPES
from ..surface import PREFIX
from .bodies import CategoryBody, CreateFaqBody, PatchFaqBody
from .categories import FaqCategories, wire_category
from .service import DEFAULT_FAQ_PAGE, MAX_FAQ_PAGE, Faqs, parse_status
from .text import decoded_query, search_terms

FAQ_BODY_BYTES = 1024 * 1024


def _api(name: str, scopes: tuple[str, ...]) -> Api:
    """Writes are USER-token APIs in lark-oapi: they take a user's token too."""
    writes = scopes == WRITE_SCOPES
    return Api("helpdesk.v1." + name, scopes, FEISHU_HELPDESK_LIMITS, user_token=writes)


LIST_FAQS, GET_FAQ = _api("faq.list", READ_SCOPES), _api("faq.get", READ_SCOPES)
SEARCH_FAQS, FAQ_IMAGE = _api("faq.search", READ_SCOPES), _api("faq.faq_image", READ_SCOPES)
CREATE_FAQ, PATCH_FAQ = _api("faq.create", WRITE_SCOPES), _api("faq.patch", WRITE_SCOPES)
DELETE_FAQ = _api("faq.delete", WRITE_SCOPES)
LIST_CATEGORIES = _api("category.list", READ_SCOPES)
GET_CATEGORY = _api("category.get", READ_SCOPES)
CREATE_CATEGORY = _api("category.create", WRITE_SCOPES)
PATCH_CATEGORY = _api("category.patch", WRITE_SCOPES)
DELETE_CATEGORY = _api("category.delete", WRITE_SCOPES)
FAQS, CATEGORIES = PREFIX + "/faqs", PREFIX + "/categories"


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _page_size(params: dict[str, list[str]]) -> int:
    size = _one(params, "page_size")
    return parse_int("page_size", size, 1, MAX_FAQ_PAGE) if size else DEFAULT_FAQ_PAGE


def _bool(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false, got {shown(value)}")
    return value.lower() == "true"


class KnowledgeRoutes:
    """The FAQ and category APIs' handlers, on the services they are given."""

    def __init__(self, gateway: Gateway, faqs: Faqs, categories: FaqCategories) -> None:
        self._gateway = gateway
        self._faqs = faqs
        self._categories = categories

    async def create_faq(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_FAQ)
        body = decode_body(await read_body(request, FAQ_BODY_BYTES), CreateFaqBody)
        faq = await anyio.to_thread.run_sync(
            self._faqs.create, caller.helpdesk.helpdesk_id, body, caller.user
        )
        return envelope.success({"faq": faq})

    async def list_faqs(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_FAQS)
        params = group_params(request.query_params.multi_items())
        search = _one(params, "search")
        where = FaqFilter(
            category_id=_one(params, "category_id"),
            status=parse_status(_one(params, "status")),
            terms=search_terms("search", search) if search else (),
        )
        size = _page_size(params)
        page = await anyio.to_thread.run_sync(
            self._faqs.find, caller.helpdesk.helpdesk_id, where, _one(params, "page_token"), size
        )
        data: dict[str, object] = {"has_more": page.has_more, "page_size": size}
        data["total"] = page.total
        if page.page_token is not None:
            data["page_token"] = page.page_token
        return envelope.success({**data, "items": page.items})

    async def search_faqs(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, SEARCH_FAQS)
        params = group_params(request.query_params.multi_items())
        query = _one(params, "query")
        if query is None:
            raise BadRequest("query is required")
        text = decoded_query(query, _one(params, "base64"))
        where = FaqFilter(status=1, terms=search_terms("query", text), count=False)
        page = await anyio.to_thread.run_sync(
            self._faqs.find,
            caller.helpdesk.helpdesk_id,
            where,
            _one(params, "page_token"),
            _page_size(params),
        )
        data: dict[str, object] = {"has_more": page.has_more}
        if page.page_token is not None:
            data["page_token"] = page.page_token
        return envelope.success({**data, "items": page.items})

    async def get_faq(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_FAQ)
        faq = await anyio.to_thread.run_sync(
            self._faqs.get, caller.helpdesk.helpdesk_id, request.path_params["id"]
        )
        return envelope.success({"faq": faq})

    async def patch_faq(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_FAQ)
        body = decode_body(await read_body(request, FAQ_BODY_BYTES), PatchFaqBody)
        await anyio.to_thread.run_sync(
            self._faqs.patch,
            caller.helpdesk.helpdesk_id,
            request.path_params["id"],
            body,
            caller.user,
        )
        return envelope.success({})

    async def delete_faq(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_FAQ)
        await anyio.to_thread.run_sync(
            self._faqs.delete, caller.helpdesk.helpdesk_id, request.path_params["id"], caller.user
        )
        return envelope.success({})

    async def faq_image(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, FAQ_IMAGE)
        image = await anyio.to_thread.run_sync(
            self._faqs.image,
            caller.helpdesk.helpdesk_id,
            request.path_params["id"],
            request.path_params["image_key"],
        )
        return image_response(image.data, image.content_type, file_name(image))

    async def create_category(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_CATEGORY)
        body = decode_body(await read_body(request), CategoryBody)
        made = await anyio.to_thread.run_sync(
            self._categories.create, caller.helpdesk.helpdesk_id, body
        )
        return envelope.success({"category": wire_category(made)})

    async def list_categories(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_CATEGORIES)
        params = group_params(request.query_params.multi_items())
        order = _one(params, "order_by")
        found = await anyio.to_thread.run_sync(
            self._categories.list,
            caller.helpdesk.helpdesk_id,
            _one(params, "lang"),
            parse_int("order_by", order) if order else None,
            _bool("asc", _one(params, "asc"), True),
        )
        return envelope.success({"categories": [wire_category(r) for r in found]})

    async def get_category(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_CATEGORY)
        found = await anyio.to_thread.run_sync(
            self._categories.get, caller.helpdesk.helpdesk_id, request.path_params["id"]
        )
        return envelope.success(wire_category(found))

    async def patch_category(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_CATEGORY)
        body = decode_body(await read_body(request), CategoryBody)
        await anyio.to_thread.run_sync(
            self._categories.patch, caller.helpdesk.helpdesk_id, request.path_params["id"], body
        )
        return envelope.success({})

    async def delete_category(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_CATEGORY)
        await anyio.to_thread.run_sync(
            self._categories.delete, caller.helpdesk.helpdesk_id, request.path_params["id"]
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        """The knowledge base's part of the route table (search before `/faqs/{id}`)."""
        faq, category = FAQS + "/{id}", CATEGORIES + "/{id}"
        return [
            Route(FAQS, self.list_faqs, methods=["GET"]),
            Route(FAQS, self.create_faq, methods=["POST"]),
            Route(FAQS + "/search", self.search_faqs, methods=["GET"]),
            Route(faq, self.get_faq, methods=["GET"]),
            Route(faq, self.patch_faq, methods=["PATCH"]),
            Route(faq, self.delete_faq, methods=["DELETE"]),
            Route(faq + "/image/{image_key}", self.faq_image, methods=["GET"]),
            Route(CATEGORIES, self.list_categories, methods=["GET"]),
            Route(CATEGORIES, self.create_category, methods=["POST"]),
            Route(category, self.get_category, methods=["GET"]),
            Route(category, self.patch_category, methods=["PATCH"]),
            Route(category, self.delete_category, methods=["DELETE"]),
        ]
