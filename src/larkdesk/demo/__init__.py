"""Deterministic demo data, shared by `larkdesk demo`, `serve --demo`, the tests and the
benchmarks: `world` (identities, people, tags, custom fields) | `tickets` (the generator) |
`records` (a second process for big demos) | `seed` (into a store).
"""

from .seed import seed_catalog, seed_demo
from .tickets import generate_tickets
from .world import (
    CUSTOMIZED_FIELDS,
    DEMO_END_MS,
    DemoCredentials,
    DemoWorld,
    demo_credentials,
    demo_world,
)

__all__ = [
    "CUSTOMIZED_FIELDS",
    "DEMO_END_MS",
    "DemoCredentials",
    "DemoWorld",
    "demo_credentials",
    "demo_world",
    "generate_tickets",
    "seed_catalog",
    "seed_demo",
]
