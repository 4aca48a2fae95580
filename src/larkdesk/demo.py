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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import accumulate, islice

from . import admin
from .helpdesk.models import (
    Comments,
    CustomizedFieldDisplayItem,
    I18n,
    Ticket,
    TicketTag,
    TicketUser,
    to_record,
)
from .store.base import Store, User

DEMO_END_MS = calendar.timegm((2026, 10, 31, 16, 0, 0)) * 1000  # 2026-11-01T00:00+08:00
SPAN_MS = 730 * 24 * 3600 * 1000  # two years
LEAD_MS = 4 * 3600 * 1000  # room after the last creation for agents to answer and close
BATCH = 50_000
AGENTS = 200
GUESTS = 5000

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


CUSTOMIZED_FIELDS = (
    FieldDefinition(
        "6746384425543548981", "system", "业务系统", 1, ("飞书", "OA", "ERP", "CRM", "HR System")
    ),
    FieldDefinition("6746384425543548982", "priority", "Priority", 2, ("P0", "P1", "P2", "P3")),
)
"""The demo helpdesk's custom fields (dropdowns): what demo tickets' customized_fields use."""

STATUS_WEIGHTS = {1: 2, 2: 4, 3: 2, 4: 1, 5: 2, 50: 35, 51: 38, 52: 16}
CHANNEL_WEIGHTS = {0: 10, 2: 15, 9: 20, 13: 25, 14: 30}


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


def _wire_user(user: User) -> TicketUser:
    return TicketUser(
        id=user.user_id,
        avatar_url=user.avatar_url,
        name=user.name,
        email=user.email,
        department=user.department,
        city=user.city,
        country=user.country,
    )


def _weights(table: dict[int, int]) -> tuple[list[int], list[int]]:
    return list(table), list(accumulate(table.values()))


class _Generator:
    """The per-ticket draws of `generate_tickets`, with everything reusable precomputed."""

    def __init__(self, seed: int, helpdesk_id: str, world: DemoWorld, end_ms: int) -> None:
        self.rng = random.Random(f"larkdesk-tickets-{seed}-{helpdesk_id}")
        self.agents = [_wire_user(u) for u in world.agents]
        self.guests = [_wire_user(u) for u in world.guests]
        self.tags = world.tags
        self.author_ids = {a.id: 7_262_656_095_919_128_578 + n for n, a in enumerate(self.agents)}
        self.fields = [definition.items() for definition in CUSTOMIZED_FIELDS]
        self.statuses, self.status_cum = _weights(STATUS_WEIGHTS)
        self.channels, self.channel_cum = _weights(CHANNEL_WEIGHTS)
        self.salt = int(helpdesk_id) & 0x3FFFFF
        self.end_ms = end_ms

    def ticket(self, i: int, created: int) -> Ticket:
        rand, choices = self.rng.random, self.rng.choices
        status = choices(self.statuses, cum_weights=self.status_cum)[0]
        bot = status == 50 or (status in (1, 52) and rand() < 0.4)
        ticket = Ticket(
            ticket_id=str((created << 22) | ((i + self.salt) & 0x3FFFFF)),
            guest=self.guests[int(GUESTS * rand() ** 1.6)],
            ticket_type=1 if bot else 2,
            status=status,
            created_at=created,
            channel=choices(self.channels, cum_weights=self.channel_cum)[0],
        )
        last = created + self.rng.randint(1_000, 120_000)
        if not bot and status != 3:  # queued tickets (3) still wait for an agent
            last = self._serve(ticket, i)
        if status >= 50:
            last = self._close(ticket, last)
        elif rand() < 0.5:
            ticket.solve = 1
        never = status < 50 and rand() < 0.08
        ticket.updated_at = (
            -1 if never else min(last + self.rng.randint(0, 86_400_000), self.end_ms)
        )
        self._decorate(ticket)
        return ticket

    def _serve(self, ticket: Ticket, i: int) -> int:
        """Agents enter, answer and (maybe) comment; returns the last agent response."""
        rand, randint = self.rng.random, self.rng.randint
        team: dict[str | None, TicketUser] = {}
        for _ in range(1 + int(rand() ** 3 * 3)):
            agent = self.agents[int(AGENTS * rand() ** 2)]  # a few agents are very busy
            team[agent.id] = agent
        agents = list(team.values())
        entry = ticket.created_at + randint(5_000, 1_800_000)
        first = entry + randint(5_000, 1_200_000)
        last = first + randint(0, 7_200_000)
        ticket.agents, ticket.agent_owner = agents, agents[0]
        ticket.agent_entry_time, ticket.agent_first_response_time = entry, first
        ticket.agent_last_response_time = last
        if rand() < 0.1:
            ticket.collaborators = [self.agents[randint(0, AGENTS - 1)]]
        if rand() < 0.35:
            author = agents[0]
            ticket.comments = Comments(
                content=COMMENTS[randint(0, len(COMMENTS) - 1)],
                created_at=first,
                id=i + 1,
                user_avatar_url=author.avatar_url,
                user_name=author.name,
                user_id=self.author_ids[author.id or ""],
            )
        return last

    def _close(self, ticket: Ticket, last: int) -> int:
        rand, randint = self.rng.random, self.rng.randint
        closed_at = last + randint(0, 3_600_000)
        ticket.closed_at = closed_at
        ticket.solve = 2 if rand() < 0.75 else 1
        if ticket.status == 51 and ticket.agents:
            ticket.closed_by = ticket.agents[randint(0, len(ticket.agents) - 1)]
        elif ticket.status == 52:
            ticket.closed_by = ticket.guest
        if rand() < 0.6:
            ticket.score = self.rng.choices((1, 2, 3), cum_weights=(15, 40, 100))[0]
            if ticket.score == 1:
                ticket.dissatisfaction_reason = REASONS[randint(0, len(REASONS) - 1)]
        return closed_at

    def _decorate(self, ticket: Ticket) -> None:
        rand, randint = self.rng.random, self.rng.randint
        n_tags = int(rand() ** 1.5 * 4)
        if n_tags:
            picked = {self.tags[int(len(self.tags) * rand() ** 2)].name for _ in range(n_tags)}
            ticket.tags = [t for t in self.tags if t.name in picked]
        if rand() < 0.2:
            chosen = [opts[randint(0, len(opts) - 1)] for opts in self.fields if rand() < 0.7]
            ticket.customized_fields = chosen or None


def generate_tickets(
    seed: int, helpdesk_id: str, world: DemoWorld, count: int, end_ms: int = DEMO_END_MS
) -> Iterator[Ticket]:
    """`count` tickets, the same for the same (seed, helpdesk_id); durations left to `derive`.

    Ticket ids are snowflake-like, `(created_at << 22) | (index + helpdesk salt) mod 2**22`:
    19 digits, below 2**63, unique while a helpdesk has fewer than 4,194,304 tickets in one
    millisecond, and different between helpdesks.
    """
    generator = _Generator(seed, helpdesk_id, world, end_ms)
    rand = generator.rng.random
    start = end_ms - SPAN_MS
    created = start
    for i in range(count):
        if i == 0 or rand() >= 0.03:  # 3% share the previous ticket's millisecond
            created = start + int((SPAN_MS - LEAD_MS) * rand() ** 0.7)  # busier towards the end
        yield generator.ticket(i, created)


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
    generated = generate_tickets(seed, creds.helpdesk_id, world, tickets)
    done = 0
    while batch := sorted(islice(generated, BATCH), key=lambda t: t.created_at):
        store.upsert_tickets(to_record(t, creds.helpdesk_id) for t in batch)
        done += len(batch)
        if progress is not None:
            progress(done)
    return creds
