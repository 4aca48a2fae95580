"""The demo helpdesk's knowledge base, agents and notifications: deterministic (a seeded
stream of its own), bilingual, written once (a helpdesk that has categories already is
left as it is)."""

from __future__ import annotations

import random

from ..helpdesk.agents.bodies import SkillRule, StoredSchedule, StoredSkill, WeekdaySchedule
from ..helpdesk.agents.bodies import encode as encode_agent_json
from ..helpdesk.agents.skills import RULES
from ..helpdesk.faq.bodies import Faq
from ..helpdesk.faq.service import ONLINE, record_of
from ..helpdesk.models import TicketUser
from ..helpdesk.notifications.bodies import Notification, NotificationUser
from ..helpdesk.notifications.bodies import encode as encode_notification
from ..store.agent_records import AgentRecord, SkillRecord
from ..store.base import Store, User
from ..store.faq_records import CategoryRecord
from .world import DEMO_END_MS, SPAN_MS

SUBJECTS = (
    ("VPN", "VPN", "网络"),
    ("邮箱", "email", "账号"),
    ("打印机", "printer", "硬件"),
    ("笔记本电脑", "laptop", "硬件"),
    ("报销", "expense claim", "财务"),
    ("请假", "leave request", "人事"),
    ("会议室", "meeting room", "行政"),
    ("账号密码", "account password", "账号"),
    ("Wi-Fi", "Wi-Fi", "网络"),
    ("飞书文档", "Feishu Docs", "软件"),
    ("工资条", "payslip", "财务"),
    ("门禁卡", "access badge", "行政"),
    ("显示器", "monitor", "硬件"),
    ("软件安装", "software installation", "软件"),
)
CATEGORY_NAMES = {
    "网络": "Network",
    "账号": "Accounts",
    "硬件": "Hardware",
    "财务": "Finance",
    "人事": "HR",
    "行政": "Facilities",
    "软件": "Software",
}
QUESTIONS = (
    ("如何申请{zh}？", "How do I request a {en}?"),
    ("{zh}无法使用怎么办？", "What if my {en} does not work?"),
    ("{zh}很慢怎么办？", "Why is my {en} slow?"),
    ("在哪里查看{zh}的状态？", "Where can I see the status of my {en}?"),
    ("{zh}需要审批吗？", "Does a {en} need approval?"),
    ("出差时如何使用{zh}？", "How do I use my {en} while travelling?"),
    ("{zh}出现报错提示怎么办？", "My {en} shows an error message. What now?"),
    ("谁负责处理{zh}问题？", "Who handles {en} issues?"),
    ("{zh}的使用规范是什么？", "What are the rules for using a {en}?"),
    ("新员工如何开通{zh}？", "How do new joiners set up a {en}?"),
)
ANSWERS_ZH = (
    "请在飞书服务台提交工单，选择“{zh}”类别，通常一个工作日内处理。",
    "先重启设备并检查网络连接；如果问题仍然存在，请联系 IT 服务台。",
    "请访问内部门户的自助服务页面，按照指引完成操作。",
)
ANSWERS_EN = (
    "Open a ticket in the helpdesk under '{en}'; most are handled within one working day.",
    "Restart the device and check the network first; if it persists, contact the IT desk.",
    "Use the self-service page on the intranet portal and follow the steps there.",
)


def _id(rng: random.Random, at: int) -> str:
    return str(at << 22 | rng.getrandbits(22))


def seed_knowledge(store: Store, helpdesk_id: str, seed: int, agents: list[User]) -> None:
    """Categories and FAQs (Chinese and English), agents with schedules and skills, and
    notifications in several states; nothing when the helpdesk has categories already."""
    if store.list_faq_categories(helpdesk_id):
        return
    rng = random.Random(f"knowledge-{seed}")
    start = DEMO_END_MS - SPAN_MS
    owner = TicketUser.of(agents[0])
    shelves: dict[tuple[str, str], CategoryRecord] = {}
    for n, (zh, en) in enumerate(CATEGORY_NAMES.items()):
        for language, name in (("zh_cn", zh), ("en_us", en)):
            at = start + n * 1000 + (language == "en_us")
            record = CategoryRecord(_id(rng, at), helpdesk_id, "0", name, language, at, at)
            store.save_faq_category(record)
            shelves[(zh, language)] = record
    faqs = []
    for s, (zh, en, shelf) in enumerate(SUBJECTS):
        for q, (question_zh, question_en) in enumerate(QUESTIONS):
            for language, question, answers in (
                ("zh_cn", question_zh, ANSWERS_ZH),
                ("en_us", question_en, ANSWERS_EN),
            ):
                at = start + 3_600_000 * (s * 40 + q * 2 + (language == "en_us"))
                faq_id = _id(rng, at)
                faq = Faq(
                    faq_id=faq_id,
                    id=faq_id,
                    helpdesk_id=helpdesk_id,
                    question=question.format(zh=zh, en=en),
                    answer=rng.choice(answers).format(zh=zh, en=en),
                    create_time=at,
                    update_time=at,
                    tags=[shelf, en.split()[0].lower()],
                    create_user=owner,
                    update_user=owner,
                )
                faqs.append(record_of(faq, shelves[(shelf, language)].category_id, ONLINE))
    store.insert_faqs(faqs)
    _seed_agents(store, helpdesk_id, rng, agents[:12], start)
    for notification in demo_notifications(seed, agents[0]):
        store.save_notification(
            notification.id or "",
            helpdesk_id,
            notification.status or 0,
            int(notification.updated_at or 0),
            encode_notification(notification),
        )


def _seed_agents(
    store: Store, helpdesk_id: str, rng: random.Random, agents: list[User], at: int
) -> None:
    ids = [a.user_id for a in agents]
    rule = {r.id: r for r in RULES}
    skills = [
        ("中文支持", [("2", 1, "zh_cn")], ids[:8]),
        ("English support", [("2", 1, "en_us")], ids[4:]),
        ("Hardware", [("3", 3, "hardware")], ids[::3]),
    ]
    skill_ids = []
    for n, (name, rules, members) in enumerate(skills):
        chosen = [
            SkillRule(
                id=i,
                selected_operator=op,
                operator_options=rule[i].operator_options,
                operand=operand,
                category=rule[i].category,
                display_name=rule[i].display_name,
            )
            for i, op, operand in rules
        ]
        skill_id = _id(rng, at + n)
        skill_ids.append(skill_id)
        body = encode_agent_json(StoredSkill(name, chosen, members))
        store.save_agent_skill(SkillRecord(skill_id, helpdesk_id, at + n, body))
    records = []
    for n, agent_id in enumerate(ids):
        early = rng.random() < 0.5
        week = [
            WeekdaySchedule("08:00" if early else "10:00", "17:00" if early else "19:00", 10),
            *([WeekdaySchedule("10:00", "16:00", 6)] if n % 4 == 0 else []),
        ]
        pairs = zip(skill_ids, skills, strict=True)
        mine = [skill_id for skill_id, (_, _, members) in pairs if agent_id in members]
        schedule = encode_agent_json(StoredSchedule(week, mine)) if n < 10 else None
        status = 2 if n % 5 == 4 else 1
        records.append(AgentRecord(helpdesk_id, agent_id, status, at + n, schedule))
    store.save_agents(records)


def demo_notifications(seed: int, author: User) -> list[Notification]:
    """The demo's notifications, one in each of several states (their own seeded stream)."""
    rng = random.Random(f"notifications-{seed}")
    jobs = (
        ("系统维护通知", 0),
        ("新版 VPN 客户端上线", 1),
        ("Expense policy update", 2),
        ("年会报名提醒", 3),
        ("Security awareness week", 5),
    )
    user = NotificationUser(user_id=author.user_id, name=author.name)
    made = []
    for n, (job, status) in enumerate(jobs):
        when = DEMO_END_MS - SPAN_MS + 86_400_000 * (n + 1)
        made.append(
            Notification(
                id=_id(rng, when),
                job_name=job,
                status=status,
                create_user=user,
                created_at=str(when),
                update_user=user,
                updated_at=str(when),
                target_user_count=200,
                sent_user_count=200 if status == 5 else 0,
                read_user_count=0,
                send_at=str(when + 3_600_000) if status == 5 else None,
                push_content='{"text": "' + job + '"}',
                push_type=0,
                push_scope_type=1,
            )
        )
    return made
