"""The knowledge base over the wire (`.../categories`, `.../faqs`, `.../faqs/search`):
served on each store (in-process; `--live`: `larkdesk serve`), driven with httpx and with
lark-oapi unchanged (sync and async)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import lark_oapi as lark
import pytest
from lark_oapi.api.helpdesk.v1 import (
    Category,
    CreateCategoryRequest,
    CreateFaqRequest,
    CreateFaqRequestBody,
    FaqCreateInfo,
    GetFaqRequest,
    ListCategoryRequest,
    ListFaqRequest,
    SearchFaqRequest,
)

from larkdesk.auth import provision as accounts

from .backends import BACKEND_NAMES, db_location, open_backend
from .conftest import TOKEN_PATH, Identity, larkdesk, provision
from .served import api_client as http
from .served import ok, sibling_desk
from .test_lifecycle import assert_bad_request
from .wire import Wire, serve

PREFIX = "/open-apis/helpdesk/v1"
FAQS, CATEGORIES = PREFIX + "/faqs", PREFIX + "/categories"


@dataclass
class Desks:
    wire: Wire
    main: Identity
    other: Identity  # another tenant's app and helpdesk
    sibling: Identity  # a second helpdesk of the main tenant, same app
    reader: Identity  # an app of the main tenant with helpdesk:all:readonly only


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def desks(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desks]:
    with open_backend(request.param, tmp_path_factory.mktemp("faq")) as store:
        main = provision(store, name=f"faq-{request.param}")
        other = provision(store, name=f"faq-other-{request.param}")
        sibling = sibling_desk(store, main, "second desk")
        made = accounts.create_app(
            store, "reader", tenant_key=main.tenant_key, scopes=("helpdesk:all:readonly",)
        )
        reader = Identity(
            made.app_id, made.app_secret, main.tenant_key, main.helpdesk_id, main.helpdesk_token
        )
        with serve(db_location(store), "--rate-limit", "off") as wire:
            yield Desks(wire, main, other, sibling, reader)


@pytest.fixture(scope="module")
def api(desks: Desks) -> Iterator[httpx.Client]:
    with http(desks.wire, desks.main) as client:
        yield client


def category(api: httpx.Client, name: str, **more: str) -> dict[str, Any]:
    return dict(ok(api.post(CATEGORIES, json={"name": name, **more}))["category"])


def faq(api: httpx.Client, question: str, answer: str, **more: Any) -> dict[str, Any]:
    made = ok(api.post(FAQS, json={"faq": {"question": question, "answer": answer, **more}}))
    return dict(made["faq"])


def test_categories_are_created_read_listed_changed_and_deleted(api: httpx.Client) -> None:
    top = category(api, "账户与登录")
    child = category(api, "Passwords", parent_id=top["category_id"], language="en_us")
    assert top["id"] == top["category_id"] and top["parent_id"] == "0"
    assert top["language"] == "zh_cn" and len(top["category_id"]) == 19
    assert ok(api.get(f"{CATEGORIES}/{child['id']}")) == child
    english = ok(api.get(CATEGORIES, params={"lang": "en_us"}))["categories"]
    assert child in english and top not in english
    ids = [c["id"] for c in ok(api.get(CATEGORIES))["categories"]]
    assert ids.index(top["id"]) < ids.index(child["id"])
    backwards = [c["id"] for c in ok(api.get(CATEGORIES, params={"asc": "false"}))["categories"]]
    assert backwards == ids[::-1]

    ok(api.patch(f"{CATEGORIES}/{top['id']}", json={"name": "Account"}))
    assert ok(api.get(f"{CATEGORIES}/{top['id']}"))["name"] == "Account"
    by_update = ok(api.get(CATEGORIES, params={"order_by": 1}))["categories"]
    assert by_update[-1]["id"] == top["id"]  # changed last
    assert_bad_request(api.delete(f"{CATEGORIES}/{top['id']}"), "subcategories")
    assert_bad_request(
        api.patch(f"{CATEGORIES}/{top['id']}", json={"parent_id": child["id"]}), "parent_id"
    )
    ok(api.delete(f"{CATEGORIES}/{child['id']}"))
    ok(api.delete(f"{CATEGORIES}/{top['id']}"))
    gone = api.get(f"{CATEGORIES}/{top['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, 154004)


def test_category_bodies_and_queries_are_checked(api: httpx.Client) -> None:
    assert_bad_request(api.post(CATEGORIES, json={}), "name is required")
    assert_bad_request(api.post(CATEGORIES, json={"name": 5}), "name", "str")
    assert_bad_request(api.post(CATEGORIES, json={"name": "x", "language": "fr"}), "language")
    assert_bad_request(api.post(CATEGORIES, json={"name": "x", "parent_id": "9"}), "parent_id")
    assert_bad_request(api.post(CATEGORIES, content=b"{"), "not valid JSON")
    assert_bad_request(api.get(CATEGORIES, params={"order_by": 7}), "order_by")
    assert_bad_request(api.get(CATEGORIES, params={"asc": "yes"}), "asc")
    assert_bad_request(api.get(CATEGORIES, params={"lang": "xx"}), "lang")
    for method in ("GET", "PATCH", "DELETE"):
        answer = api.request(method, f"{CATEGORIES}/7000000000000000001", json={"name": "n"})
        assert (answer.status_code, answer.json()["code"]) == (404, 154004), method


def test_a_faq_is_created_read_changed_and_deleted(api: httpx.Client) -> None:
    shelf = category(api, "Billing", language="en_us")
    made = faq(
        api,
        "How do I get an invoice?",
        "Open Billing, then Invoices.",
        category_id=shelf["id"],
        tags=["billing", "invoice"],
        answer_richtext=json.dumps([{"type": "text", "content": "Open Billing"}]),
    )
    assert made["id"] == made["faq_id"] and made["categories"] == [shelf]
    assert made["answer_richtext"] == [{"type": "text", "content": "Open Billing"}]
    assert made["create_time"] == made["update_time"] > 1_600_000_000_000
    assert "create_user" not in made  # a tenant token acts as the app, not a user
    assert ok(api.get(f"{FAQS}/{made['id']}"))["faq"] == made

    ok(api.patch(f"{FAQS}/{made['id']}", json={"faq": {"answer": "Billing → Invoices."}}))
    after = ok(api.get(f"{FAQS}/{made['id']}"))["faq"]
    assert after["answer"] == "Billing → Invoices." and after["question"] == made["question"]
    assert after["update_time"] > made["update_time"] and after["tags"] == made["tags"]
    ok(api.patch(f"{CATEGORIES}/{shelf['id']}", json={"name": "Invoices"}))
    assert ok(api.get(f"{FAQS}/{made['id']}"))["faq"]["categories"][0]["name"] == "Invoices"
    assert_bad_request(api.delete(f"{CATEGORIES}/{shelf['id']}"), "still holds FAQs")

    ok(api.delete(f"{FAQS}/{made['id']}"))
    for method in ("GET", "PATCH", "DELETE"):
        answer = api.request(method, f"{FAQS}/{made['id']}", json={"faq": {"answer": "a"}})
        assert (answer.status_code, answer.json()["code"]) == (404, 154004), method
    deleted = ok(api.get(FAQS, params={"status": 0, "category_id": shelf["id"]}))
    assert [i["id"] for i in deleted["items"]] == [made["id"]]
    ok(api.delete(f"{CATEGORIES}/{shelf['id']}"))  # only deleted FAQs are left in it


def test_faq_bodies_are_checked_naming_the_field(api: httpx.Client) -> None:
    assert_bad_request(api.post(FAQS, json={}), "faq is required")
    assert_bad_request(api.post(FAQS, json={"faq": {"answer": "a"}}), "faq.question")
    assert_bad_request(api.post(FAQS, json={"faq": {"question": "q"}}), "faq.answer")
    assert_bad_request(
        api.post(FAQS, json={"faq": {"question": "q", "answer": 3}}), "faq.answer", "str"
    )
    assert_bad_request(
        api.post(FAQS, json={"faq": {"question": "q", "answer_richtext": "[{"}}),
        "faq.answer_richtext",
    )
    assert_bad_request(
        api.post(FAQS, json={"faq": {"question": "q", "answer": "a", "category_id": "1"}}),
        "faq.category_id",
    )
    assert_bad_request(
        api.post(FAQS, json={"faq": {"question": " ", "answer": "a"}}), "faq.question", "blank"
    )
    assert_bad_request(
        api.post(FAQS, json={"faq": {"question": "q", "answer": "a", "tags": ["x"] * 21}}),
        "faq.tags",
    )
    made = faq(api, "Checked question", "checked answer")
    assert_bad_request(api.patch(f"{FAQS}/{made['id']}", json={"faq": {}}), "nothing to change")
    assert_bad_request(api.get(FAQS, params={"status": "9"}), "status")
    assert_bad_request(api.get(FAQS, params={"page_size": 101}), "page_size")
    assert_bad_request(api.get(FAQS, params={"page_token": "x"}), "page_token")
    assert_bad_request(api.get(FAQS, params={"category_id": "404"}), "category_id")
    ok(api.delete(f"{FAQS}/{made['id']}"))


def test_the_faq_list_filters_and_pages(api: httpx.Client) -> None:
    shelf = category(api, "Paging")
    made = [
        faq(api, f"Paging question {n}", f"answer number {n}", category_id=shelf["id"])
        for n in range(7)
    ]
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"category_id": shelf["id"], "page_size": 3}
        if token:
            params["page_token"] = token
        page = ok(api.get(FAQS, params=params))
        assert page["total"] == 7 and page["page_size"] == 3
        seen += [i["id"] for i in page["items"]]
        if not page["has_more"]:
            assert "page_token" not in page
            break
        token = page["page_token"]
    assert seen == [m["id"] for m in reversed(made)]  # newest first, each once
    found = ok(api.get(FAQS, params={"category_id": shelf["id"], "search": "NUMBER 4"}))
    assert [i["id"] for i in found["items"]] == [made[4]["id"]] and found["total"] == 1


def test_search_finds_chinese_and_english_text_and_base64_queries(api: httpx.Client) -> None:
    reset = faq(api, "如何重置密码？", "打开设置，点击“忘记密码”，按提示操作。")
    vpn = faq(api, "VPN cannot connect", "Check the VPN client and restart your laptop.")
    both = faq(api, "Laptop 无法开机", "Hold the power button for ten seconds, 然后重启.")

    def search(query: str, **more: Any) -> list[str]:
        data = ok(api.get(f"{FAQS}/search", params={"query": query, **more}))
        return [item["id"] for item in data["items"]]

    assert search("密码") == [reset["id"]]  # two characters: shorter than a trigram
    assert search("忘记密码") == [reset["id"]]
    assert search("vpn RESTART") == [vpn["id"]]  # every term, any case
    assert search("laptop") == [both["id"], vpn["id"]]  # newest first
    assert search("重启 power") == [both["id"]]
    assert search("nothing-like-this") == []
    encoded = base64.b64encode("无法 开机".encode()).decode()
    assert search(encoded, base64="true") == [both["id"]]
    urlsafe = base64.urlsafe_b64encode("重置密码".encode()).decode().rstrip("=")
    assert search(urlsafe, base64="true") == [reset["id"]]
    assert search("50%_off") == []  # LIKE metacharacters are text
    assert_bad_request(api.get(f"{FAQS}/search"), "query is required")
    assert_bad_request(api.get(f"{FAQS}/search", params={"query": "  "}), "query", "blank")
    assert_bad_request(
        api.get(f"{FAQS}/search", params={"query": "%%%", "base64": "true"}), "base64"
    )
    assert_bad_request(api.get(f"{FAQS}/search", params={"query": "a", "base64": "1"}), "base64")
    ok(api.delete(f"{FAQS}/{vpn['id']}"))
    assert search("vpn") == []  # a deleted FAQ is not found


def test_search_pages_through_many_matches(api: httpx.Client) -> None:
    made = [faq(api, f"Printer jam {n}", "Open tray 2 and pull the paper") for n in range(5)]
    first = ok(api.get(f"{FAQS}/search", params={"query": "printer jam", "page_size": 3}))
    assert first["has_more"] and len(first["items"]) == 3
    rest = ok(
        api.get(
            f"{FAQS}/search",
            params={"query": "printer jam", "page_size": 3, "page_token": first["page_token"]},
        )
    )
    assert not rest["has_more"] and "page_token" not in rest
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(m["id"] for m in made)


def test_helpdesks_and_tenants_do_not_see_each_others_knowledge_base(
    desks: Desks, api: httpx.Client
) -> None:
    shelf = category(api, "Private shelf")
    secret = faq(api, "Secret sauce recipe", "tomatoes", category_id=shelf["id"])
    for who in (desks.other, desks.sibling):
        with http(desks.wire, who) as them:
            for path in (f"{FAQS}/{secret['id']}", f"{CATEGORIES}/{shelf['id']}"):
                answer = them.get(path)
                assert (answer.status_code, answer.json()["code"]) == (404, 154004), path
            assert ok(them.get(f"{FAQS}/search", params={"query": "secret sauce"}))["items"] == []
            assert secret["id"] not in str(ok(them.get(FAQS)))
            assert shelf["id"] not in str(ok(them.get(CATEGORIES)))
            answer = them.patch(f"{FAQS}/{secret['id']}", json={"faq": {"answer": "x"}})
            assert answer.status_code == 404
    assert ok(api.get(f"{FAQS}/{secret['id']}"))["faq"]["answer"] == "tomatoes"


def test_a_read_only_app_reads_but_cannot_write(desks: Desks, api: httpx.Client) -> None:
    made = faq(api, "Readable question", "readable answer")
    with http(desks.wire, desks.reader) as reader:
        assert ok(reader.get(f"{FAQS}/{made['id']}"))["faq"]["id"] == made["id"]
        assert ok(reader.get(CATEGORIES))["categories"] is not None
        for method, path in (
            ("POST", FAQS),
            ("PATCH", f"{FAQS}/{made['id']}"),
            ("DELETE", f"{FAQS}/{made['id']}"),
            ("POST", CATEGORIES),
        ):
            answer = reader.request(method, path, json={"name": "n"})
            assert (answer.status_code, answer.json()["code"]) == (400, 99991672), path


def test_faq_image_of_an_unknown_key_is_not_found_in_json(api: httpx.Client) -> None:
    made = faq(api, "Where is the image?", "nowhere")
    answer = api.get(f"{FAQS}/{made['id']}/image/img_v2_unknown")
    assert (answer.status_code, answer.json()["code"]) == (404, 154004)


# -- lark-oapi, sync and async ------------------------------------------------------


def lark_client(desks: Desks) -> tuple[Any, Any]:
    """lark-oapi with set tokens: the FAQ and category writes are USER-token APIs in the
    SDK; larkdesk takes the app's tenant token there too (docs/api.md)."""
    client = (
        lark.Client.builder()
        .app_id(desks.main.app_id)
        .app_secret(desks.main.app_secret)
        .domain(desks.wire.base_url)
        .enable_set_token(True)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    with desks.wire.client() as raw:
        token = raw.post(
            TOKEN_PATH, json={"app_id": desks.main.app_id, "app_secret": desks.main.app_secret}
        ).json()["tenant_access_token"]
    option = (
        lark.RequestOption.builder()
        .tenant_access_token(token)
        .user_access_token(token)
        .headers({"X-Lark-Helpdesk-Authorization": desks.main.helpdesk_header})
        .build()
    )
    return client, option


def test_lark_oapi_creates_lists_gets_and_searches(desks: Desks) -> None:
    client, option = lark_client(desks)
    kb = client.helpdesk.v1
    shelf = kb.category.create(
        CreateCategoryRequest.builder()
        .request_body(Category.builder().name("SDK 分类").language("zh_cn").build())
        .build(),
        option,
    )
    assert shelf.success(), shelf.msg
    shelf_id = shelf.data.category.category_id
    info = (
        FaqCreateInfo.builder()
        .category_id(shelf_id)
        .question("SDK 如何登录？")
        .answer("使用单点登录 (SSO)。")
        .tags(["sdk"])
        .build()
    )
    made = kb.faq.create(
        CreateFaqRequest.builder()
        .request_body(CreateFaqRequestBody.builder().faq(info).build())
        .build(),
        option,
    )
    assert made.success(), made.msg
    faq_id = made.data.faq.faq_id
    got = kb.faq.get(GetFaqRequest.builder().id(faq_id).build(), option)
    assert got.success() and got.data.faq.question == "SDK 如何登录？"
    assert got.data.faq.categories[0].name == "SDK 分类"
    listed = kb.faq.list(ListFaqRequest.builder().category_id(shelf_id).build(), option)
    assert listed.success() and [f.id for f in listed.data.items] == [faq_id]
    assert listed.data.total == 1 and listed.data.has_more is False
    query = base64.b64encode("单点登录".encode()).decode()
    found = kb.faq.search(SearchFaqRequest.builder().query(query).base64("true").build(), option)
    assert found.success() and [f.faq_id for f in found.data.items] == [faq_id]
    shelves = kb.category.list(ListCategoryRequest.builder().lang("zh_cn").build(), option)
    assert shelf_id in [c.category_id for c in shelves.data.categories]

    async def asynchronously() -> tuple[Any, Any]:
        return await asyncio.gather(
            kb.faq.aget(GetFaqRequest.builder().id(faq_id).build(), option),
            kb.faq.asearch(SearchFaqRequest.builder().query("SSO").build(), option),
        )

    got_async, found_async = asyncio.run(asynchronously())
    assert got_async.success() and got_async.data.faq.answer == "使用单点登录 (SSO)。"
    assert [f.faq_id for f in found_async.data.items] == [faq_id]
    missing = kb.faq.get(GetFaqRequest.builder().id("7000000000000000001").build(), option)
    assert (missing.code, missing.raw.status_code) == (154004, 404)


def test_a_user_token_acts_as_its_user(desks: Desks, api: httpx.Client) -> None:
    db = desks.wire.db
    added = larkdesk(
        "user",
        "add",
        "--app",
        desks.main.app_id,
        "--name",
        "张伟",
        "--email",
        "zw@example.com",
        db=db,
    )
    open_id = json.loads(added.stdout)["open_id"]
    token = json.loads(
        larkdesk("user", "token", "--app", desks.main.app_id, "--user", open_id, db=db).stdout
    )["user_access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": desks.main.helpdesk_header,
    }
    with desks.wire.client(headers=headers) as user:
        made = ok(user.post(FAQS, json={"faq": {"question": "Who wrote me?", "answer": "张伟"}}))
        faq_id = made["faq"]["id"]
        writer = {"id": open_id, "name": "张伟", "email": "zw@example.com"}
        assert made["faq"]["create_user"] == made["faq"]["update_user"] == writer
        reading = user.get(f"{FAQS}/{faq_id}")  # a TENANT-token API: the user token is refused
        assert (reading.status_code, reading.json()["code"]) == (400, 99991663)
    ok(api.patch(f"{FAQS}/{faq_id}", json={"faq": {"answer": "the app"}}))
    after = ok(api.get(f"{FAQS}/{faq_id}"))["faq"]
    assert after["update_user"]["id"] == open_id  # a tenant token's write names no user
