"""The typed fast path of `kept_record` (a ticket whose fields have their documented
types) derives exactly the columns the lenient path does, for any JSON it accepts; the
rest goes to the lenient path."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from larkdesk.helpdesk.stored import _lenient_record, _typed_record, kept_record

_TEXT = st.one_of(st.text(max_size=6), st.sampled_from(["", "a\x00b", "Ann", "ANN", "\x00"]))
_NUMBER = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
)
_SCALAR = st.one_of(st.none(), st.booleans(), _NUMBER, st.floats(allow_nan=False), _TEXT)


def _mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` nine times in ten, else any JSON scalar (a wrong type, or null)."""
    return st.tuples(st.integers(0, 9), valid, _SCALAR).map(lambda t: t[1] if t[0] else t[2])


_PERSON = _mostly(
    st.fixed_dictionaries({}, optional={"id": _mostly(_TEXT), "name": _mostly(_TEXT), "x": _SCALAR})
)
_REQUIRED = {"ticket_id": _mostly(_TEXT), "created_at": _mostly(_NUMBER)}
_FIELDS = {
    "updated_at": _mostly(_NUMBER),
    "ticket_type": _mostly(_NUMBER),
    "channel": _mostly(_NUMBER),
    "solve": _mostly(_NUMBER),
    "score": _mostly(_NUMBER),
    "status": _mostly(_NUMBER),
    "guest": _PERSON,
    "closed_by": _PERSON,
    "agents": _mostly(st.lists(_PERSON, max_size=4)),
    "tags": _mostly(st.lists(_PERSON, max_size=4)),
    "unknown": _SCALAR,
}


def _outcome(read: Any, body: bytes) -> Any:
    try:
        return read(body, "hd")
    except ValueError as exc:
        return type(exc).__name__


@settings(max_examples=1000, deadline=None)
@given(st.fixed_dictionaries(_REQUIRED, optional=_FIELDS))
def test_the_typed_path_derives_what_the_lenient_one_does(ticket: dict[str, Any]) -> None:
    body = msgspec.json.encode(ticket)
    typed = _typed_record(body, "hd")
    if typed is not None:
        assert typed == _lenient_record(body, "hd")
    assert _outcome(kept_record, body) == _outcome(_lenient_record, body)


def test_a_plain_ticket_takes_the_typed_path() -> None:
    body = (
        b'{"ticket_id":"1","created_at":5,"status":50,"guest":{"id":"ou_1","name":"Ann Lee"},'
        b'"agents":[{"id":"a"},{"id":"a"},{"id":""}],"tags":[{"id":"1","name":"VPN"}],"x":[1]}'
    )
    record = _typed_record(body, "hd")
    assert record is not None
    assert record.guest_name == "ann lee"
    assert record.agent_ids == ("a",) and record.tag_names == ("VPN",)
    assert record == _lenient_record(body, "hd")
