"""Feishu's whole Helpdesk v1 surface: every endpoint of lark-oapi 1.7.5's
`lark_oapi.api.helpdesk.v1` (50 request classes), with the token types its request builder
names. `server.app` answers each one larkdesk does not serve yet in Feishu's JSON
(`helpdesk.unserved`), so an SDK gets a failed response instead of a JSONDecodeError;
docs/api.md lists which endpoint takes which token.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "/open-apis/helpdesk/v1"
TENANT = "tenant"
USER = "user"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Helpdesk v1 API: method, path template (Starlette's `{name}`), the lark-oapi
    request class that calls it and the token types that class sends."""

    method: str
    path: str
    request_class: str
    tokens: tuple[str, ...]

    @property
    def reads(self) -> bool:
        return self.method == "GET"


def _endpoint(method: str, tail: str, request_class: str, token: str) -> Endpoint:
    return Endpoint(method, PREFIX + tail, request_class, (token,))


# Order matters where two templates overlap: `/faqs/search` before `/faqs/{id}`.
ENDPOINTS: tuple[Endpoint, ...] = (
    _endpoint("GET", "/tickets", "ListTicketRequest", TENANT),
    _endpoint("GET", "/tickets/{ticket_id}", "GetTicketRequest", TENANT),
    _endpoint("PUT", "/tickets/{ticket_id}", "UpdateTicketRequest", USER),
    _endpoint("POST", "/start_service", "StartServiceTicketRequest", TENANT),
    _endpoint("GET", "/customized_fields", "CustomizedFieldsTicketRequest", TENANT),
    _endpoint("GET", "/ticket_images", "TicketImageTicketRequest", TENANT),
    _endpoint(
        "POST",
        "/tickets/{ticket_id}/answer_user_query",
        "AnswerUserQueryTicketRequest",
        TENANT,
    ),
    _endpoint("GET", "/tickets/{ticket_id}/messages", "ListTicketMessageRequest", TENANT),
    _endpoint("POST", "/tickets/{ticket_id}/messages", "CreateTicketMessageRequest", TENANT),
    _endpoint("POST", "/message", "CreateBotMessageRequest", TENANT),
    _endpoint("GET", "/ticket_customized_fields", "ListTicketCustomizedFieldRequest", TENANT),
    _endpoint("POST", "/ticket_customized_fields", "CreateTicketCustomizedFieldRequest", USER),
    _endpoint(
        "GET",
        "/ticket_customized_fields/{ticket_customized_field_id}",
        "GetTicketCustomizedFieldRequest",
        TENANT,
    ),
    _endpoint(
        "PATCH",
        "/ticket_customized_fields/{ticket_customized_field_id}",
        "PatchTicketCustomizedFieldRequest",
        USER,
    ),
    _endpoint(
        "DELETE",
        "/ticket_customized_fields/{ticket_customized_field_id}",
        "DeleteTicketCustomizedFieldRequest",
        USER,
    ),
    _endpoint("POST", "/events/subscribe", "SubscribeEventRequest", TENANT),
    _endpoint("POST", "/events/unsubscribe", "UnsubscribeEventRequest", TENANT),
    _endpoint("GET", "/agent_emails", "AgentEmailAgentRequest", TENANT),
    _endpoint("PATCH", "/agents/{agent_id}", "PatchAgentRequest", USER),
    _endpoint("GET", "/agents/{agent_id}/schedules", "GetAgentSchedulesRequest", TENANT),
    _endpoint("PATCH", "/agents/{agent_id}/schedules", "PatchAgentSchedulesRequest", USER),
    _endpoint("DELETE", "/agents/{agent_id}/schedules", "DeleteAgentSchedulesRequest", USER),
    _endpoint("GET", "/agent_schedules", "ListAgentScheduleRequest", TENANT),
    _endpoint("POST", "/agent_schedules", "CreateAgentScheduleRequest", USER),
    _endpoint("GET", "/agent_skills", "ListAgentSkillRequest", TENANT),
    _endpoint("POST", "/agent_skills", "CreateAgentSkillRequest", USER),
    _endpoint("GET", "/agent_skills/{agent_skill_id}", "GetAgentSkillRequest", TENANT),
    _endpoint("PATCH", "/agent_skills/{agent_skill_id}", "PatchAgentSkillRequest", USER),
    _endpoint("DELETE", "/agent_skills/{agent_skill_id}", "DeleteAgentSkillRequest", USER),
    _endpoint("GET", "/agent_skill_rules", "ListAgentSkillRuleRequest", TENANT),
    _endpoint("GET", "/faqs", "ListFaqRequest", TENANT),
    _endpoint("POST", "/faqs", "CreateFaqRequest", USER),
    _endpoint("GET", "/faqs/search", "SearchFaqRequest", TENANT),
    _endpoint("GET", "/faqs/{id}", "GetFaqRequest", TENANT),
    _endpoint("PATCH", "/faqs/{id}", "PatchFaqRequest", USER),
    _endpoint("DELETE", "/faqs/{id}", "DeleteFaqRequest", USER),
    _endpoint("GET", "/faqs/{id}/image/{image_key}", "FaqImageFaqRequest", TENANT),
    _endpoint("GET", "/categories", "ListCategoryRequest", TENANT),
    _endpoint("POST", "/categories", "CreateCategoryRequest", USER),
    _endpoint("GET", "/categories/{id}", "GetCategoryRequest", TENANT),
    _endpoint("PATCH", "/categories/{id}", "PatchCategoryRequest", USER),
    _endpoint("DELETE", "/categories/{id}", "DeleteCategoryRequest", USER),
    _endpoint("POST", "/notifications", "CreateNotificationRequest", USER),
    _endpoint("GET", "/notifications/{notification_id}", "GetNotificationRequest", USER),
    _endpoint("PATCH", "/notifications/{notification_id}", "PatchNotificationRequest", USER),
    *(
        _endpoint(
            "POST",
            f"/notifications/{{notification_id}}/{action}",
            f"{''.join(p.title() for p in action.split('_'))}NotificationRequest",
            USER,
        )
        for action in ("preview", "submit_approve", "cancel_approve", "execute_send", "cancel_send")
    ),
)
