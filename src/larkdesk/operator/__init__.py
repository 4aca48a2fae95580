"""larkdesk's own API for operators, scripts and the web console, outside `/open-apis`:
what Feishu does through its apps (a guest or an agent speaking in a ticket's chat)."""
