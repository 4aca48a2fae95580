"""The demo's identities, people, tags and custom fields, all derived from the seed.

The same seed gives the same credentials, so fixtures are stable across machines and
`serve --demo` can print its curl pair again later. Demo secrets are therefore not secret:
they are for demos and tests only (`larkdesk app create` makes real ones).
"""

from __future__ import annotations

import calendar
import random
import string
from dataclasses import asdict, dataclass

from ..helpdesk.fields.bodies import TicketCustomizedField, encode_definition
from ..helpdesk.fields.rules import with_tags
from ..helpdesk.models import CustomizedFieldDisplayItem, I18n, TicketTag, TicketUser
from ..store.base import CustomizedFieldRecord, User

DEMO_END_MS = calendar.timegm((2026, 10, 31, 16, 0, 0)) * 1000  # 2026-11-01T00:00+08:00
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
SPAN_MS = 730 * DAY_MS  # two years
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
