"""larkdesk: a Feishu (Lark) Helpdesk-compatible ticket service you run yourself."""

__version__ = "0.1.0"
