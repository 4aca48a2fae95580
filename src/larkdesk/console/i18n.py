"""The console's two languages: English and Simplified Chinese, chosen by the `lang`
cookie (the switch), else the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

LANGS = ("en", "zh")
LANG_COOKIE = "larkdesk_console_lang"

# key: (English, 中文)
TEXTS: dict[str, tuple[str, str]] = {
    "console": ("larkdesk console", "larkdesk 控制台"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出登录"),
    "app_id": ("App ID", "应用 ID"),
    "app_secret": ("App secret", "应用密钥"),
    "helpdesk_id": ("Helpdesk ID", "服务台 ID"),
    "helpdesk_token": ("Helpdesk token", "服务台令牌"),
    "or_operator": (
        "Or an operator token (larkdesk console token)",
        "或运维令牌（larkdesk console token）",
    ),
    "operator_token": ("Operator token", "运维令牌"),
    "helpdesks": ("Helpdesks", "服务台"),
    "tickets": ("Tickets", "工单"),
    "metrics": ("Metrics", "数据报表"),
    "events": ("Events", "事件"),
    "filter": ("Filter", "筛选"),
    "clear": ("Clear", "清除"),
    "download_csv": ("Download CSV", "下载 CSV"),
    "save_view": ("Save view", "保存视图"),
    "saved_views": ("Saved views", "已存视图"),
    "next_page": ("Next page", "下一页"),
    "first_page": ("First page", "第一页"),
    "matching": ("matching tickets", "个匹配的工单"),
    "ticket": ("Ticket", "工单"),
    "status": ("Status", "状态"),
    "type": ("Type", "类型"),
    "channel": ("Channel", "渠道"),
    "solved": ("Solved", "是否解决"),
    "score": ("Score", "评分"),
    "agent": ("Agent", "客服"),
    "closed_by": ("Closed by", "关单人"),
    "guest": ("Guest", "用户"),
    "guest_name": ("Guest name", "用户名"),
    "guest_id": ("Guest ID", "用户 ID"),
    "tags": ("Tags", "标签"),
    "created": ("Created", "创建时间"),
    "updated": ("Updated", "更新时间"),
    "created_from": ("Created from", "创建起"),
    "created_to": ("Created to", "创建止"),
    "updated_from": ("Updated from", "更新起"),
    "updated_to": ("Updated to", "更新止"),
    "any": ("any", "全部"),
    "fields": ("Fields", "字段"),
    "custom_fields": ("Custom fields", "自定义字段"),
    "timeline": ("Messages", "消息记录"),
    "comments": ("Comments", "备注"),
    "events_delivered": ("Events delivered", "已推送事件"),
    "status_history": ("Status and stage history", "状态与阶段记录"),
    "stage": ("Stage", "阶段"),
    "changed_by": ("By", "操作人"),
    "changed_at": ("When", "时间"),
    "reply": ("Reply", "回复"),
    "send": ("Send", "发送"),
    "change_status": ("Change status", "修改状态"),
    "set_tags": ("Tags (comma-separated)", "标签（逗号分隔）"),
    "add_comment": ("Add comment", "添加备注"),
    "save": ("Save", "保存"),
    "none": ("none", "无"),
    "period": ("Period", "时间范围"),
    "apply": ("Apply", "应用"),
    "created_count": ("Created", "创建工单数"),
    "resolution_rate": ("Resolution rate", "工单解决率"),
    "bot_rate": ("Bot interception rate", "机器人拦截率"),
    "frt": ("First response", "首次响应时长"),
    "resolution_time": ("Resolution time", "解决时长"),
    "median": ("median", "中位数"),
    "satisfaction": ("Satisfaction", "满意度"),
    "reasons": ("Dissatisfaction reasons", "不满意原因"),
    "daily_trend": ("Daily trend", "每日趋势"),
    "heatmap": ("When tickets arrive (weekday × hour, UTC)", "工单到达时间（星期 × 小时，UTC）"),
    "by_tag": ("By tag", "按标签"),
    "by_channel": ("By channel", "按渠道"),
    "by_city": ("By city", "按城市"),
    "per_agent": ("Per agent", "客服绩效"),
    "busiest_day": ("Busiest weekday", "每周繁忙日"),
    "busiest_hour": ("Busiest hour", "每天繁忙时段"),
    "retry_now": ("Retry now", "立即重试"),
    "state": ("State", "状态"),
    "attempts": ("Attempts", "尝试"),
    "event_type": ("Event type", "事件类型"),
    "app": ("App", "应用"),
    "no_events": ("No events yet.", "暂无事件。"),
    "no_tickets": ("No tickets match.", "没有匹配的工单。"),
    "language": ("中文", "English"),
    "queued_retry": ("Delivery queued for retry.", "已加入重试队列。"),
    "done": ("Done.", "已完成。"),
    "unsatisfied": ("unsatisfied", "不满意"),
    "neutral": ("neutral", "一般"),
    "satisfied": ("satisfied", "满意"),
    "bot": ("bot", "机器人"),
    "human": ("human", "人工"),
    "ticket_count": ("Tickets", "工单数"),
    "not_allowed": ("This helpdesk is not yours.", "无权访问该服务台。"),
}

STATUS_NAMES: dict[int, tuple[str, str]] = {
    1: ("bot serving", "机器人服务中"),
    2: ("in process", "人工处理中"),
    3: ("queued", "排队中"),
    4: ("pending", "待定"),
    5: ("waiting for reply", "等待回复"),
    50: ("closed by bot", "机器人关闭"),
    51: ("closed by agent", "客服关闭"),
    52: ("closed by guest", "用户关闭"),
}


def choose(cookie: str | None, accept_language: str | None) -> str:
    """`en` or `zh`: the switch's cookie, else the first language the browser prefers."""
    if cookie in LANGS:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "zh" else 0

    def t(key: str) -> str:
        return TEXTS[key][index] if key in TEXTS else key

    return t


def status_name(lang: str, status: int | None) -> str:
    if status is None:
        return ""
    names = STATUS_NAMES.get(status)
    return f"{status}" if names is None else names[1 if lang == "zh" else 0]
