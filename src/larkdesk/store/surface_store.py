"""The `Store` protocol's part for the rest of the Helpdesk surface: the knowledge base,
agents and their skills, user tokens, notifications (`store.base.Store` includes it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .agent_records import AgentRecord, SkillRecord, UserTokenRecord
from .event_records import OutboundEvent
from .faq_records import CategoryRecord, FaqFilter, FaqPage, FaqRecord
from .rollups import DaySnapshot


class SurfaceStore(Protocol):
    # -- the knowledge base (store/faqs.py) -------------------------------------

    def save_faq_category(self, record: CategoryRecord) -> None:
        """Create or replace a FAQ category."""
        ...

    def get_faq_category(self, helpdesk_id: str, category_id: str) -> CategoryRecord | None: ...

    def list_faq_categories(self, helpdesk_id: str) -> list[CategoryRecord]:
        """The helpdesk's categories, oldest first."""
        ...

    def delete_faq_category(self, helpdesk_id: str, category_id: str) -> str | None:
        """Delete an empty category; else why not: "missing", "faqs" or "children"."""
        ...

    def insert_faqs(self, records: Sequence[FaqRecord]) -> None: ...
    def update_faq(self, record: FaqRecord) -> bool:
        """Rewrite the helpdesk's FAQ; False if it has no such FAQ."""
        ...

    def get_faq(self, helpdesk_id: str, faq_id: str) -> FaqRecord | None: ...
    def find_faqs(self, helpdesk_id: str, where: FaqFilter, offset: int, limit: int) -> FaqPage:
        """One page of the FAQs that pass `where` (newest first) and their total."""
        ...

    # -- agents and agent skills (store/agents.py) ---------------------------------

    def save_agents(self, records: Sequence[AgentRecord]) -> None:
        """Create or replace agents of helpdesks (status, schedule)."""
        ...

    def list_agents(self, helpdesk_id: str) -> list[AgentRecord]:
        """The helpdesk's agents, in the order they were added."""
        ...

    def get_agent(self, helpdesk_id: str, agent_id: str) -> AgentRecord | None: ...
    def save_agent_skill(self, record: SkillRecord) -> None: ...
    def list_agent_skills(self, helpdesk_id: str) -> list[SkillRecord]: ...
    def delete_agent_skill(self, helpdesk_id: str, agent_skill_id: str) -> bool: ...
    def save_user_token(self, record: UserTokenRecord) -> None:
        """Keep a new user access token (and drop ones expired two days ago)."""
        ...

    def find_user_token(self, token_hash: str) -> UserTokenRecord | None: ...

    # -- notifications (store/notifications.py) -----------------------------------

    def save_notification(
        self,
        notification_id: str,
        helpdesk_id: str,
        status: int,
        updated_at: int,
        body: bytes,
        events: Sequence[OutboundEvent] = (),
    ) -> None:
        """Create or rewrite a notification, and its events, in one transaction."""
        ...

    def get_notification(self, helpdesk_id: str, notification_id: str) -> bytes | None: ...
    def find_notification(self, notification_id: str) -> tuple[str, bytes] | None:
        """(helpdesk_id, body) of a notification of any helpdesk."""
        ...

    # -- metrics rollups (store/rollups.py) ------------------------------------

    def metric_snapshot(
        self, helpdesk_id: str, first_day: int, last_day: int, known: dict[int, int]
    ) -> DaySnapshot:
        """The versions of the helpdesk's metrics rollups of the UTC days (since
        1970-01-01) from `first_day` to `last_day`, and the rows of each day whose version
        is not the one `known` gives, read in one transaction."""
        ...

    def metric_last_day(self, helpdesk_id: str) -> int | None:
        """The newest UTC day (since 1970-01-01) the helpdesk's rollups hold; None: none."""
        ...

    def read_once(self) -> None:
        """The calling thread reads many rows once, then ends (the metrics warm-up): its
        reads keep few of the database's pages cached in this process."""
        ...

    def rebuild_metric_rollups(self, helpdesk_id: str | None = None) -> int:
        """Recompute the rollups (of one helpdesk, or all) from the tickets, in one write
        transaction; returns the tickets read."""
        ...
