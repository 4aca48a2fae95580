"""The `Store` methods of the rest of the Helpdesk surface (knowledge base, agents, user
tokens, notifications), shared by both backends as `SqlStore`'s are."""

from __future__ import annotations

from collections.abc import Sequence

from . import agents, faqs, notifications, rollups
from .agent_records import AgentRecord, SkillRecord, UserTokenRecord
from .event_records import OutboundEvent
from .faq_records import CategoryRecord, FaqFilter, FaqPage, FaqRecord
from .filters import Dialect
from .rollups import DaySnapshot
from .sqlaccess import SqlAccess


class SurfaceSql(SqlAccess):
    dialect: Dialect

    # -- the knowledge base (FAQ categories, FAQs, search) ---------------------

    def save_faq_category(self, record: CategoryRecord) -> None:
        self._write(faqs.save_category, record)

    def get_faq_category(self, helpdesk_id: str, category_id: str) -> CategoryRecord | None:
        return self._read(faqs.get_category, helpdesk_id, category_id)

    def list_faq_categories(self, helpdesk_id: str) -> list[CategoryRecord]:
        return self._read(faqs.list_categories, helpdesk_id)

    def delete_faq_category(self, helpdesk_id: str, category_id: str) -> str | None:
        return self._write(faqs.delete_category, helpdesk_id, category_id)

    def insert_faqs(self, records: Sequence[FaqRecord]) -> None:
        self._write(faqs.insert_faqs, list(records))

    def update_faq(self, record: FaqRecord) -> bool:
        return self._write(faqs.update_faq, record)

    def get_faq(self, helpdesk_id: str, faq_id: str) -> FaqRecord | None:
        return self._read(faqs.get_faq, helpdesk_id, faq_id)

    def find_faqs(self, helpdesk_id: str, where: FaqFilter, offset: int, limit: int) -> FaqPage:
        return self._read(faqs.find_faqs, self.dialect, helpdesk_id, where, offset, limit)

    # -- agents and agent skills -----------------------------------------------

    def save_agents(self, records: Sequence[AgentRecord]) -> None:
        self._write(agents.save_agents, list(records))

    def list_agents(self, helpdesk_id: str) -> list[AgentRecord]:
        return self._read(agents.list_agents, helpdesk_id)

    def get_agent(self, helpdesk_id: str, agent_id: str) -> AgentRecord | None:
        return self._read(agents.get_agent, helpdesk_id, agent_id)

    def save_agent_skill(self, record: SkillRecord) -> None:
        self._write(agents.save_skill, record)

    def list_agent_skills(self, helpdesk_id: str) -> list[SkillRecord]:
        return self._read(agents.list_skills, helpdesk_id)

    def delete_agent_skill(self, helpdesk_id: str, agent_skill_id: str) -> bool:
        return self._write(agents.delete_skill, helpdesk_id, agent_skill_id)

    def save_user_token(self, record: UserTokenRecord) -> None:
        self._write(agents.save_user_token, record)

    def find_user_token(self, token_hash: str) -> UserTokenRecord | None:
        return self._read(agents.find_user_token, token_hash)

    # -- notifications ----------------------------------------------------------

    def save_notification(
        self,
        notification_id: str,
        helpdesk_id: str,
        status: int,
        updated_at: int,
        body: bytes,
        events: Sequence[OutboundEvent] = (),
    ) -> None:
        self._write(
            notifications.save_notification,
            notification_id,
            helpdesk_id,
            status,
            updated_at,
            body,
            events,
        )

    def get_notification(self, helpdesk_id: str, notification_id: str) -> bytes | None:
        return self._read(notifications.get_notification, helpdesk_id, notification_id)

    def find_notification(self, notification_id: str) -> tuple[str, bytes] | None:
        return self._read(notifications.find_notification, notification_id)

    # -- metrics rollups ---------------------------------------------------------

    def metric_snapshot(
        self, helpdesk_id: str, first_day: int, last_day: int, known: dict[int, int]
    ) -> DaySnapshot:
        return self._read(rollups.read_snapshot, helpdesk_id, first_day, last_day, known)

    def metric_last_day(self, helpdesk_id: str) -> int | None:
        return self._read(rollups.last_day, helpdesk_id)

    def read_once(self) -> None:
        """Nothing to do (PostgreSQL caches pages in the server; SQLite overrides it)."""

    def rebuild_metric_rollups(self, helpdesk_id: str | None = None) -> int:
        return self._write(rollups.rebuild, helpdesk_id)
