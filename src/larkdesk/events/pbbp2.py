"""The long connection's frames: protobuf (proto2) package `pbbp2`, as Feishu's SDKs
encode them (EVENTS.md §3.7):

    message Header { required string key = 1; required string value = 2; }
    message Frame {
      required uint64 SeqID = 1; required uint64 LogID = 2;
      required int32 service = 3; required int32 method = 4;  // 0 control, 1 data
      repeated Header headers = 5;
      optional string payload_encoding = 6; optional string payload_type = 7;
      optional bytes payload = 8; optional string LogIDNew = 9;
    }

The message classes are built at import from that descriptor with protobuf's runtime, in
a descriptor pool of their own (so they never clash with another `pbbp2` in the process,
such as the one lark-oapi ships): no generated module to keep in step with protobuf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

CONTROL, DATA = 0, 1
TYPE, MESSAGE_ID, SUM, SEQ, TRACE_ID, BIZ_RT = (
    "type",
    "message_id",
    "sum",
    "seq",
    "trace_id",
    "biz_rt",
)
EVENT, PING, PONG = "event", "ping", "pong"

_F = descriptor_pb2.FieldDescriptorProto


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(name="pbbp2.proto", package="pbbp2", syntax="proto2")
    header = proto.message_type.add(name="Header")
    header.field.add(name="key", number=1, type=_F.TYPE_STRING, label=_F.LABEL_REQUIRED)
    header.field.add(name="value", number=2, type=_F.TYPE_STRING, label=_F.LABEL_REQUIRED)
    frame = proto.message_type.add(name="Frame")
    for name, number, kind, label in (
        ("SeqID", 1, _F.TYPE_UINT64, _F.LABEL_REQUIRED),
        ("LogID", 2, _F.TYPE_UINT64, _F.LABEL_REQUIRED),
        ("service", 3, _F.TYPE_INT32, _F.LABEL_REQUIRED),
        ("method", 4, _F.TYPE_INT32, _F.LABEL_REQUIRED),
        ("payload_encoding", 6, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("payload_type", 7, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("payload", 8, _F.TYPE_BYTES, _F.LABEL_OPTIONAL),
        ("LogIDNew", 9, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
    ):
        frame.field.add(name=name, number=number, type=kind, label=label)
    frame.field.add(
        name="headers",
        number=5,
        type=_F.TYPE_MESSAGE,
        label=_F.LABEL_REPEATED,
        type_name=".pbbp2.Header",
    )
    return proto


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file())
_Frame: Any = message_factory.GetMessageClass(_pool.FindMessageTypeByName("pbbp2.Frame"))


class FrameError(ValueError):
    """Bytes that are not a pbbp2 Frame."""


@dataclass(slots=True)
class Frame:
    """One frame, its headers in order (keys may repeat; the first wins on lookup)."""

    method: int
    service: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes = b""
    seq_id: int = 0
    log_id: int = 0

    def header(self, key: str, default: str = "") -> str:
        for k, v in self.headers:
            if k == key:
                return v
        return default

    def encode(self) -> bytes:
        frame = _Frame(
            SeqID=self.seq_id, LogID=self.log_id, service=self.service, method=self.method
        )
        for key, value in self.headers:
            frame.headers.add(key=key, value=value)
        if self.payload:
            frame.payload = self.payload
        data: bytes = frame.SerializeToString()
        return data


def decode(data: bytes) -> Frame:
    """A frame from the wire; FrameError when it is not one (or lacks a required field)."""
    frame = _Frame()
    try:
        frame.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError, or a missing required field
        raise FrameError(str(exc) or "not a pbbp2 frame") from None
    if not frame.IsInitialized():
        raise FrameError(f"a frame without {', '.join(frame.FindInitializationErrors())}")
    return Frame(
        method=int(frame.method),
        service=int(frame.service),
        headers=[(h.key, h.value) for h in frame.headers],
        payload=bytes(frame.payload),
        seq_id=int(frame.SeqID),
        log_id=int(frame.LogID),
    )
