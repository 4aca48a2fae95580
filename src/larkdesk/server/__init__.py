"""The HTTP side: app assembly (`app`), the services it wires (`services`), the serving
entry point (`run`), the response envelope and the request log."""
