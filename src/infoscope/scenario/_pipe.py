"""Pickled messages framed by an 8-byte length, between a scenario and its writer process."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

__all__ = ["receive_message", "send_message"]

_LENGTH = struct.Struct("<Q")


def send_message(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive_message(stream: IO[bytes]) -> Any:
    """The next message, or None when the stream ended."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)
