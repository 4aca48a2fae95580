"""Deterministic, realistic demo tickets: `generate_tickets`, the same tickets for the same
seed and helpdesk, busier in office hours and lately."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator
from itertools import accumulate

from ..helpdesk.models import NEVER_UPDATED, Comments, Ticket, TicketUser
from .world import (
    COMMENTS,
    CUSTOMIZED_FIELDS,
    DAY_MS,
    DEMO_END_MS,
    HOUR_MS,
    REASONS,
    SPAN_MS,
    DemoWorld,
)

LEAD_MS = 4 * HOUR_MS  # room after the last creation for agents to answer and close
CHINA_OFFSET_MS = 8 * HOUR_MS
ID_MASK = (1 << 22) - 1  # the low bits of a ticket id, below its created_at
TIE_SHARE = 0.03  # tickets created in the same millisecond as the one before

STATUS_WEIGHTS: dict[int, float] = {1: 2, 2: 4, 3: 2, 4: 1, 5: 2, 50: 35, 51: 38, 52: 16}
CHANNEL_WEIGHTS: dict[int, float] = {0: 10, 2: 15, 9: 20, 13: 25, 14: 30}
BOT_OR_HUMAN = (1, 52)  # statuses a bot ticket may have besides 50 (closed by the bot)
WAITING = (1, 3)  # human tickets no agent has entered yet (created, queued)
# Relative ticket volume by hour of day (China time) and by weekday (Monday first).
HOUR_WEIGHTS = (
    *(0.15, 0.1, 0.06, 0.05, 0.05, 0.08, 0.2, 0.45, 0.9, 1.4, 1.6, 1.5),
    *(1.0, 1.2, 1.5, 1.5, 1.4, 1.2, 0.9, 0.7, 0.6, 0.5, 0.35, 0.25),
)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.35, 0.3)
TREND = (0.6, 1.5)  # relative volume at the start and at the end of the two years
# Feishu's numeric user ids (comments' user_id): half of the agents' above 2**53.
SMALL_USER_ID, BIG_USER_ID = 6_917_529_027_641_081_856, 7_262_656_095_919_128_578


def _table(weights: dict[int, float]) -> tuple[list[int], list[float], float]:
    """Values, cumulative weights and total, for `values[bisect(cum, rand() * total)]`."""
    cum = list(accumulate(weights.values()))
    return list(weights), cum, cum[-1]


class _Clock:
    """Creation times for `count` tickets, newest first, busier in office hours and lately.

    The window is cut into hours weighted by hour of day and weekday (China time) and a
    growth trend. Ticket k (0 the oldest) sits at the quantile (k + u) / count of that
    distribution, u uniform in [0, 1): times come out sorted without holding them, and
    consecutive tickets are 0 to 2 average gaps apart.
    """

    def __init__(self, start_ms: int, stop_ms: int, count: int) -> None:
        hours = max(1, (stop_ms - start_ms) // HOUR_MS)
        low, high = TREND
        weights = []
        for h in range(hours):
            local = start_ms + h * HOUR_MS + CHINA_OFFSET_MS
            weekday = (local // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
            trend = low + (high - low) * h / hours
            weights.append(HOUR_WEIGHTS[local // HOUR_MS % 24] * WEEKDAY_WEIGHTS[weekday] * trend)
        self.start = start_ms
        self.cum = [0.0, *accumulate(weights)]
        self.ms_per_weight = [HOUR_MS / w for w in weights]
        self.step = self.cum[-1] / max(count, 1)
        self.count = count

    def newest_first(self, rand: Callable[[], float]) -> Iterator[tuple[int, int]]:
        """(k, created_at) for k = count - 1 down to 0."""
        cum, per, step, start = self.cum, self.ms_per_weight, self.step, self.start
        hour = len(per) - 1
        for k in range(self.count - 1, -1, -1):
            q = (k + rand()) * step
            while hour > 0 and cum[hour] > q:
                hour -= 1
            yield k, start + hour * HOUR_MS + min(int((q - cum[hour]) * per[hour]), HOUR_MS - 1)


class _TicketMaker:
    """The per-ticket draws of `generate_tickets`, everything reusable precomputed."""

    def __init__(self, rng: random.Random, helpdesk_id: str, world: DemoWorld, end_ms: int):
        self.rand = rng.random
        self.agents = [TicketUser.of(u) for u in world.agents]
        self.guests = [TicketUser.of(u) for u in world.guests]
        self.tags = world.tags
        self.numeric_ids = {
            a.id: (BIG_USER_ID if n % 2 else SMALL_USER_ID) + n for n, a in enumerate(self.agents)
        }
        self.fields = [definition.items() for definition in CUSTOMIZED_FIELDS]
        self.statuses = _table(STATUS_WEIGHTS)
        self.channels = _table(CHANNEL_WEIGHTS)
        self.salt = (
            int(helpdesk_id) & ID_MASK if helpdesk_id.isascii() and helpdesk_id.isdigit() else 0
        )
        self.last_update = end_ms - 1

    def ticket(self, k: int, created: int) -> Ticket:
        rand = self.rand
        statuses, status_cum, status_total = self.statuses
        status = statuses[bisect(status_cum, rand() * status_total)]
        bot = status == 50 or (status in BOT_OR_HUMAN and rand() < 0.4)
        guests = self.guests
        ticket = Ticket(
            ticket_id=str(created << 22 | (k + self.salt) & ID_MASK),
            guest=guests[int(len(guests) * rand() ** 1.6)],  # regulars write often
            ticket_type=1 if bot else 2,
            status=status,
            created_at=created,
        )
        if bot or status in WAITING:
            latest = created + 2_000 + int(rand() * 600_000)  # the conversation with the bot
        else:
            latest = self._serve(ticket, created)
        if status >= 50:
            latest = self._close(ticket, latest)
        elif rand() < 0.5:
            ticket.solve = 1
        if status < 50 and rand() < 0.1:
            ticket.updated_at = NEVER_UPDATED
        else:
            ticket.updated_at = min(latest + int(rand() * rand() * DAY_MS), self.last_update)
        self._decorate(ticket)
        return ticket

    def _serve(self, ticket: Ticket, created: int) -> int:
        """Agents enter, answer and maybe comment; return the last agent activity."""
        rand, agents = self.rand, self.agents
        entry = created + 5_000 + int(rand() * 1_800_000)
        owner = agents[int(len(agents) * rand() ** 2)]  # a few agents are very busy
        team = [owner]
        for _ in range(int(rand() ** 3 * 3)):
            helper = agents[int(len(agents) * rand() ** 2)]
            if helper not in team:
                team.append(helper)
        ticket.agents, ticket.agent_owner, ticket.agent_entry_time = team, owner, entry
        if rand() < 0.1:
            other = agents[int(len(agents) * rand())]
            if other not in team:
                ticket.collaborators = [other]
        if ticket.status == 2 and rand() < 0.15:  # in process, not answered yet
            return entry
        first = entry + 5_000 + int(rand() * 1_200_000)
        last = first + int(rand() * rand() * 7_200_000)
        ticket.agent_first_response_time, ticket.agent_last_response_time = first, last
        if rand() < 0.6:
            author = team[int(len(team) * rand())]
            ticket.comments = Comments(
                content=COMMENTS[int(len(COMMENTS) * rand())],
                created_at=first + int((last - first) * rand()),
                id=int(ticket.ticket_id) + 1,
                user_avatar_url=author.avatar_url,
                user_name=author.name,
                user_id=self.numeric_ids[author.id],
            )
        return last

    def _close(self, ticket: Ticket, latest: int) -> int:
        """Close the ticket after its last activity; return the closing time."""
        rand = self.rand
        closed_at = latest + int(rand() * 3_600_000)
        ticket.closed_at = closed_at
        ticket.solve = 2 if rand() < 0.75 else 1
        if ticket.status == 51 and ticket.agents:
            ticket.closed_by = ticket.agents[int(len(ticket.agents) * rand())]
        elif ticket.status == 52:
            ticket.closed_by = ticket.guest
        if rand() < 0.6:
            r = rand()
            ticket.score = 1 if r < 0.15 else 2 if r < 0.4 else 3
            if ticket.score == 1:
                ticket.dissatisfaction_reason = REASONS[int(len(REASONS) * rand())]
        return closed_at

    def _decorate(self, ticket: Ticket) -> None:
        """Channel, tags and custom fields."""
        rand = self.rand
        channels, channel_cum, channel_total = self.channels
        ticket.channel = channels[bisect(channel_cum, rand() * channel_total)]
        n_tags = int(rand() ** 1.5 * 4)  # 0 to 3, mostly few
        if n_tags:
            tags = self.tags
            ticket.tags = [
                tags[j] for j in sorted({int(len(tags) * rand() ** 2) for _ in range(n_tags)})
            ]
        if rand() < 0.2:
            fields = [opts[int(len(opts) * rand())] for opts in self.fields if rand() < 0.7]
            ticket.customized_fields = fields or None


def generate_tickets(
    seed: int, helpdesk_id: str, world: DemoWorld, count: int, end_ms: int = DEMO_END_MS
) -> Iterator[Ticket]:
    """`count` tickets, newest first; the same for the same (seed, helpdesk_id, count).

    `created_at` spans the two years before `end_ms` (busier in office hours, on weekdays
    and lately), 3% of tickets share the previous one's millisecond, and every timestamp
    stays before `end_ms`. Durations are left to `models.derive` (so `to_record`), and
    `helpdesk_id` to `to_record`. Newest first is the list API's order, and the order in
    which the store's (mostly descending) indexes grow compactly.

    Ticket ids are snowflake-like, `created_at << 22 | (k + helpdesk salt) mod 2**22`, k the
    ticket's rank from the oldest: 19 digits and below 2**63 for any `created_at` from 1977
    to 2039. Times are sorted, so only a run of tickets with one `created_at` can share its
    high bits, and the ranks of a run differ by less than 2**22 unless it holds more than
    4,194,304 tickets: ids are unique for any count up to 4,194,304, and for 1,000,000 or
    50,000,000 tickets too unless millions of ties in a row were drawn (the expected run of
    ties is 1.03 tickets). The salt (the helpdesk id's low 22 bits) and the per-helpdesk
    random stream keep different helpdesks' ids apart.
    """
    rng = random.Random(f"larkdesk-tickets-{seed}-{helpdesk_id}")
    rand = rng.random
    maker = _TicketMaker(rng, helpdesk_id, world, end_ms)
    clock = _Clock(end_ms - SPAN_MS, end_ms - LEAD_MS, count)
    created = 0
    for k, moment in clock.newest_first(rand):
        if created == 0 or rand() >= TIE_SHARE:
            created = moment
        yield maker.ticket(k, created)
