"""Notifications (push campaigns) over the wire on each store: the status machine through
httpx and lark-oapi, a user token's writes, and `larkdesk notification approve|reject`
firing `helpdesk.notification.approve_v1` to a lark-oapi receiver."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import lark_oapi as lark
from lark_oapi.api.helpdesk.v1 import (
    CreateNotificationRequest,
    GetNotificationRequest,
    Notification,
    NotificationUser,
    SubmitApproveNotificationRequest,
    SubmitApproveNotificationRequestBody,
)

from .conftest import larkdesk
from .served import ok
from .test_events_delivery import (  # noqa: F401  (the module's served demo, on each store)
    Desk,
    api_for,
    desk,
    listening_app,
)
from .test_lifecycle import assert_bad_request

NOTIFICATIONS = "/open-apis/helpdesk/v1/notifications"
APPROVE = "helpdesk.notification.approve_v1"
BODY = {
    "job_name": "系统维护通知",
    "push_content": json.dumps({"text": "周六 02:00 维护"}, ensure_ascii=False),
    "user_list": [{"user_id": "ou_a"}, {"user_id": "ou_b"}],
}


def status(api: httpx.Client, notification_id: str) -> int:
    return int(ok(api.get(f"{NOTIFICATIONS}/{notification_id}"))["notification"]["status"])


def decide(desk: Desk, verdict: str, notification_id: str) -> dict[str, Any]:  # noqa: F811
    out = larkdesk("notification", verdict, notification_id, db=desk.db)  # type: ignore[arg-type]
    return dict(json.loads(out.stdout))


def test_the_status_machine_and_its_events(desk: Desk) -> None:  # noqa: F811
    app, receiver = listening_app(desk)
    with api_for(desk, app) as api:
        events = [{"type": "helpdesk.notification", "subtype": "notification.approve_v1"}]
        assert (
            ok(api.post("/open-apis/helpdesk/v1/events/subscribe", json={"events": events})) == {}
        )
    with api_for(desk, desk.creds) as api, receiver:
        made = ok(api.post(NOTIFICATIONS, json=BODY))
        nid = made["notification_id"]
        assert made["status"] == 0
        shown = ok(api.get(f"{NOTIFICATIONS}/{nid}"))["notification"]
        assert shown["job_name"] == "系统维护通知" and shown["target_user_count"] == 2
        assert shown["created_at"].isdigit() and shown["sent_user_count"] == 0
        assert_bad_request(api.post(f"{NOTIFICATIONS}/{nid}/execute_send", json={}), "created")
        assert ok(api.post(f"{NOTIFICATIONS}/{nid}/preview")) == {}

        assert ok(api.post(f"{NOTIFICATIONS}/{nid}/submit_approve", json={"reason": "维护"})) == {
            "has_access": True
        }
        assert_bad_request(api.patch(f"{NOTIFICATIONS}/{nid}", json={"job_name": "x"}), "awaiting")
        ok(api.post(f"{NOTIFICATIONS}/{nid}/cancel_approve"))
        assert status(api, nid) == 0
        ok(api.post(f"{NOTIFICATIONS}/{nid}/submit_approve", json={}))
        assert decide(desk, "reject", nid)["state"] == "rejected"
        ok(api.patch(f"{NOTIFICATIONS}/{nid}", json={"job_name": "维护通知（改）"}))
        assert status(api, nid) == 0
        ok(api.post(f"{NOTIFICATIONS}/{nid}/submit_approve", json={}))
        approved = decide(desk, "approve", nid)
        assert approved == {"notification_id": nid, "status": 3, "state": "approved"}
        verdicts = [r.parsed.event.approve_status for r in receiver.wait_for(3, APPROVE)]
        assert verdicts == ["CANCELED", "REJECTED", "APPROVED"]
        event = receiver.of_type(APPROVE)[-1].parsed.event
        assert (event.notification_id, event.helpdesk_id) == (nid, desk.creds["helpdesk_id"])

        later = str(int(time.time() * 1000) + 3_600_000)
        ok(api.post(f"{NOTIFICATIONS}/{nid}/execute_send", json={"send_at": later}))
        assert status(api, nid) == 4
        ok(api.post(f"{NOTIFICATIONS}/{nid}/cancel_send", json={}))
        assert status(api, nid) == 6
        assert_bad_request(api.post(f"{NOTIFICATIONS}/{nid}/cancel_send", json={}), "cancelled")


def test_sending_now_then_recalling(desk: Desk) -> None:  # noqa: F811
    with api_for(desk, desk.creds) as api:
        nid = ok(api.post(NOTIFICATIONS, json=BODY))["notification_id"]
        ok(api.post(f"{NOTIFICATIONS}/{nid}/submit_approve"))
        decide(desk, "approve", nid)
        ok(api.post(f"{NOTIFICATIONS}/{nid}/execute_send", json={}))
        sent = ok(api.get(f"{NOTIFICATIONS}/{nid}"))["notification"]
        assert (sent["status"], sent["sent_user_count"]) == (5, 2)
        assert_bad_request(api.post(f"{NOTIFICATIONS}/{nid}/cancel_send", json={}), "is_recall")
        ok(api.post(f"{NOTIFICATIONS}/{nid}/cancel_send", json={"is_recall": True}))
        assert status(api, nid) == 7
        out = larkdesk("notification", "approve", nid, db=desk.db, check=False)  # type: ignore[arg-type]
        assert out.returncode != 0 and "recalled" in out.stderr


def test_bad_bodies_and_unknown_ids(desk: Desk) -> None:  # noqa: F811
    with api_for(desk, desk.creds) as api:
        assert_bad_request(api.post(NOTIFICATIONS, json={}), "job_name is required")
        assert_bad_request(api.post(NOTIFICATIONS, json={"job_name": "x"}), "push_content")
        assert_bad_request(api.post(NOTIFICATIONS, json={**BODY, "push_type": "1"}), "push_type")
        assert_bad_request(
            api.post(NOTIFICATIONS, json={**BODY, "user_list": [{"name": "x"}]}), "user_list[0]"
        )
        nid = ok(api.post(NOTIFICATIONS, json=BODY))["notification_id"]
        ok(api.post(f"{NOTIFICATIONS}/{nid}/submit_approve"))
        decide(desk, "approve", nid)
        assert_bad_request(
            api.post(f"{NOTIFICATIONS}/{nid}/execute_send", json={"send_at": "soon"}), "send_at"
        )
        tails = (("GET", ""), ("PATCH", ""), ("POST", "/preview"), ("POST", "/submit_approve"))
        for method, tail in tails:
            answer = api.request(method, f"{NOTIFICATIONS}/7000000000000000001{tail}", json={})
            assert (answer.status_code, answer.json()["code"]) == (404, 154004), tail


def test_through_lark_oapi_with_a_user_token(desk: Desk) -> None:  # noqa: F811
    added = larkdesk(
        "user",
        "add",
        "--app",
        desk.creds["app_id"],
        "--name",
        "运营小王",
        db=desk.db,  # type: ignore[arg-type]
    )
    open_id = json.loads(added.stdout)["open_id"]
    grant = json.loads(
        larkdesk(
            "user",
            "token",
            "--app",
            desk.creds["app_id"],
            "--user",
            open_id,
            db=desk.db,  # type: ignore[arg-type]
        ).stdout
    )
    client = (
        lark.Client.builder()
        .app_id(desk.creds["app_id"])
        .app_secret(desk.creds["app_secret"])
        .domain(desk.server.base_url)
        .enable_set_token(True)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    from larkdesk.auth.credentials import encode_helpdesk_header

    header = encode_helpdesk_header(desk.creds["helpdesk_id"], desk.creds["helpdesk_token"])
    option = (
        lark.RequestOption.builder()
        .user_access_token(grant["user_access_token"])
        .headers({"X-Lark-Helpdesk-Authorization": header})
        .build()
    )
    body = (
        Notification.builder()
        .job_name("SDK campaign")
        .push_content('{"text": "hi"}')
        .user_list([NotificationUser.builder().user_id("ou_a").build()])
        .build()
    )
    made = client.helpdesk.v1.notification.create(
        CreateNotificationRequest.builder().user_id_type("open_id").request_body(body).build(),
        option,
    )
    assert made.success(), made.msg
    nid = made.data.notification_id
    got = client.helpdesk.v1.notification.get(
        GetNotificationRequest.builder().notification_id(nid).build(), option
    )
    assert got.success() and got.data.notification.create_user.user_id == open_id
    assert got.data.notification.create_user.name == "运营小王"
    submitted = client.helpdesk.v1.notification.submit_approve(
        SubmitApproveNotificationRequest.builder()
        .notification_id(nid)
        .request_body(SubmitApproveNotificationRequestBody.builder().reason("ok").build())
        .build(),
        option,
    )
    assert submitted.success() and submitted.data.has_access is True
