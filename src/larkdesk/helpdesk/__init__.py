"""The helpdesk v1 APIs, one folder per resource with the same files in each (routes.py
thin | bodies.py wire models | service.py rules), and what they share: the wire ticket
(`models`), query parameters (`params`), request bodies (`json_body`), ids and scopes."""
