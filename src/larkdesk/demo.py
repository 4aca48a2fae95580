"""Deterministic, realistic demo data, shared by `larkdesk demo`, `serve --demo` and the tests.

Everything is derived from the seed: the same seed gives the same tickets *and the
same credentials*, so fixtures are stable across machines and `serve --demo` can
print its curl pair again later. Demo secrets are therefore not secret: they are
for demos and tests only (`larkdesk app create` makes real ones).
"""

from __future__ import annotations

import calendar
import random
import string
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import accumulate

from . import admin
from .demo_records import demo_records
from .helpdesk.definitions import with_tags
from .helpdesk.fields import (
    TicketCustomizedField,
    encode_definition,
    is_digits,
)
from .helpdesk.models import (
    NEVER_UPDATED,
    Comments,
    CustomizedFieldDisplayItem,
    I18n,
    Ticket,
    TicketTag,
    TicketUser,
)
from .store.base import CustomizedFieldRecord, Store, TagRecord, TicketRecord, User

DEMO_END_MS = calendar.timegm((2026, 10, 31, 16, 0, 0)) * 1000  # 2026-11-01T00:00+08:00
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
SPAN_MS = 730 * DAY_MS  # two years
LEAD_MS = 4 * HOUR_MS  # room after the last creation for agents to answer and close
CHINA_OFFSET_MS = 8 * HOUR_MS
BATCH = 50_000  # tickets per store.upsert_tickets call (one transaction)
AGENTS = 200
GUESTS = 5000
ID_MASK = (1 << 22) - 1  # the low bits of a ticket id, below its created_at
TIE_SHARE = 0.03  # tickets created in the same millisecond as the one before

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 志强 建华 晓东 "
    "雪 婷 浩然 子涵 欣怡 梓轩 一诺 思远 雨桐 宇航 佳琪"
).split()
FIRST = "Emily James Olivia Liam Sophia Noah Ava Ethan Mia Lucas Grace Daniel Chloe Ryan".split()
LAST = "Chen Wang Smith Lee Tan Johnson Lim Brown Ng Garcia Wong Miller Sato Kim Zhang".split()
DEPARTMENTS = (
    "研发部|市场部|财务部|人力资源部|销售部|客户成功部|法务部|行政部|"
    "Engineering|Marketing|Finance|Sales|Customer Success|IT Support"
).split("|")
PLACES = [
    ("北京", "CN"),
    ("上海", "CN"),
    ("深圳", "CN"),
    ("杭州", "CN"),
    ("广州", "CN"),
    ("成都", "CN"),
    ("武汉", "CN"),
    ("Singapore", "SG"),
    ("Tokyo", "JP"),
    ("London", "GB"),
    ("San Francisco", "US"),
    ("New York", "US"),
    ("Hong Kong", "HK"),
    ("Sydney", "AU"),
]
TAG_NAMES = (
    "账号问题|登录失败|密码重置|权限申请|VPN|邮箱|打印机|电脑故障|网络|报销|发票|薪资|考勤|请假|"
    "入职|离职|合同|采购|Billing|Refund|Invoice|Bug|Feature request|Onboarding|Security|Outage|"
    "Performance|Mobile app|Desktop app|API|Integration|SSO|Data export|Calendar|Docs|Sheets|"
    "Meetings|Approval|Wiki|Bot|紧急|投诉|建议|咨询|培训|硬件|软件安装|会议室|门禁|快递"
).split("|")
COMMENTS = [
    "已联系用户确认问题",
    "Escalated to the network team",
    "用户反馈已恢复正常",
    "Waiting for the user's screenshot",
    "已提交工单给IT",
    "Duplicate of an earlier ticket",
    "需要财务审批",
    "Reset done, asked the user to retry",
    "已远程协助处理",
    "Asked the vendor for an ETA",
    "已转交二线支持",
    "Known issue, fix scheduled for next release",
]
REASONS = [
    I18n(zh_cn="答案看不懂", en_us="I don't understand", ja_jp="回答が複雑すぎる"),
    I18n(zh_cn="响应太慢", en_us="The response was too slow", ja_jp="対応が遅すぎる"),
    I18n(zh_cn="问题没有解决", en_us="My problem was not solved", ja_jp="問題が解決されなかった"),
]
AVATAR = "https://s1-imfile.feishucdn.com/static-resource/v1/{}~?image_size=72x72"


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    """A dropdown custom field of the demo helpdesk."""

    id: str
    key_name: str
    display_name: str
    position: int
    values: tuple[str, ...]
    required: bool = False
    editable: bool = True

    def items(self) -> list[CustomizedFieldDisplayItem]:
        """The field as a ticket shows it, once per dropdown value."""
        return [
            CustomizedFieldDisplayItem(
                id=self.id,
                value=value,
                key_name=self.key_name,
                display_name=self.display_name,
                position=self.position,
                required=self.required,
                editable=self.editable,
            )
            for value in self.values
        ]

    def record(
        self, helpdesk_id: str, created_at: int, creator: TicketUser
    ) -> CustomizedFieldRecord:
        """The definition as the helpdesk keeps it (what ticket_customized_fields lists)."""
        definition = TicketCustomizedField(
            ticket_customized_field_id=self.id,
            helpdesk_id=helpdesk_id,
            key_name=self.key_name,
            display_name=self.display_name,
            position=str(self.position),
            field_type="dropdown",
            description=f"{self.display_name}: one of {', '.join(self.values)}",
            visible=True,
            editable=self.editable,
            required=self.required,
            created_at=str(created_at),
            updated_at=str(created_at),
            created_by=creator,
            updated_by=creator,
            dropdown_options=with_tags(self.id, list(self.values), None),
            dropdown_allow_multiple=False,
        )
        return CustomizedFieldRecord(
            helpdesk_id, self.id, self.position, encode_definition(definition)
        )


CUSTOMIZED_FIELDS = (
    FieldDefinition(
        "6746384425543548981", "system", "业务系统", 1, ("飞书", "OA", "ERP", "CRM", "HR System")
    ),
    FieldDefinition("6746384425543548982", "priority", "Priority", 2, ("P0", "P1", "P2", "P3")),
)
"""The demo helpdesk's custom fields (dropdowns): what demo tickets' customized_fields use."""

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


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    tenant_key: str
    app_id: str
    app_secret: str
    helpdesk_id: str
    helpdesk_token: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """The people and tags a demo helpdesk uses."""

    agents: list[User]
    guests: list[User]
    tags: list[TicketTag]


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def demo_credentials(seed: int) -> DemoCredentials:
    """The demo's identities, derived from the seed."""
    rng = random.Random(f"larkdesk-demo-{seed}")
    alphabet = string.ascii_letters + string.digits
    return DemoCredentials(
        tenant_key=_hex(rng, 16),
        app_id="cli_" + _hex(rng, 16),
        app_secret="".join(rng.choice(alphabet) for _ in range(32)),
        helpdesk_id=str(rng.randrange(10**18, 10**19)),
        helpdesk_token="ht-" + _hex(rng, 32),
    )


def _person(rng: random.Random, tenant_key: str, number: int) -> User:
    if rng.random() < 0.6:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        handle = f"user{number:05d}"
    else:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name, handle = f"{first} {last}", f"{first}.{last}{number}".lower()
    city, country = rng.choice(PLACES)
    return User(
        user_id="ou_" + _hex(rng, 32),
        tenant_key=tenant_key,
        name=name,
        email=f"{handle}@example.com",
        department=rng.choice(DEPARTMENTS),
        city=city,
        country=country,
        avatar_url=AVATAR.format(_hex(rng, 24)),
    )


def demo_world(seed: int, tenant_key: str) -> DemoWorld:
    rng = random.Random(f"larkdesk-world-{seed}")
    people = [_person(rng, tenant_key, n) for n in range(AGENTS + GUESTS)]
    tags = [TicketTag(id=str(rng.randrange(10**18, 10**19)), name=n) for n in TAG_NAMES]
    return DemoWorld(agents=people[:AGENTS], guests=people[AGENTS:], tags=tags)


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
        self.salt = int(helpdesk_id) & ID_MASK if is_digits(helpdesk_id) else 0
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


def seed_catalog(store: Store, helpdesk_id: str, world: DemoWorld) -> None:
    """The demo helpdesk's tags and custom-field definitions (idempotent; also brings a
    demo database made before they existed up to date)."""
    store.save_tags(helpdesk_id, [TagRecord(t.id or "", t.name or "") for t in world.tags])
    owner = TicketUser.of(world.agents[0])
    store.save_customized_fields(
        f.record(helpdesk_id, DEMO_END_MS - SPAN_MS, owner) for f in CUSTOMIZED_FIELDS
    )


def seed_demo(
    store: Store,
    tickets: int = 1000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> DemoCredentials:
    """Create (idempotently) the demo tenant, app, helpdesk, people and `tickets` tickets."""
    creds = demo_credentials(seed)
    admin.ensure_tenant(store, creds.tenant_key, f"Demo tenant {seed}")
    admin.create_app(
        store,
        "larkdesk demo",
        tenant_key=creds.tenant_key,
        app_id=creds.app_id,
        app_secret=creds.app_secret,
    )
    admin.create_helpdesk(
        store,
        creds.app_id,
        "Demo helpdesk",
        helpdesk_id=creds.helpdesk_id,
        helpdesk_token=creds.helpdesk_token,
    )
    world = demo_world(seed, creds.tenant_key)
    store.upsert_users([*world.agents, *world.guests])
    helpdesk_id = creds.helpdesk_id
    seed_catalog(store, helpdesk_id, world)
    # Newest first: the store's descending indexes then fill their pages (see generate_tickets).
    records = demo_records(seed, helpdesk_id, creds.tenant_key, tickets)
    done = store.load_tickets(_counted(records, progress))
    if progress is not None:
        progress(done)
    return creds


def _counted(
    records: Iterator[TicketRecord], progress: Callable[[int], None] | None
) -> Iterator[TicketRecord]:
    for done, record in enumerate(records, start=1):
        yield record
        if progress is not None and done % BATCH == 0:
            progress(done)
