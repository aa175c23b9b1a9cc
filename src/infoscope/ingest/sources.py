"""Open input files as streams of sources: plain, compressed or inside an archive.

Compression and archives are recognised by their magic bytes, never by trying to open them.
Archives (.tar.xz, .tar.gz, .tar.bz2, .zip) are read member by member as streams, so nothing is
extracted to disk and memory stays bounded whatever the archive size.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

__all__ = [
    "FIRST_LINE_BYTES",
    "HEAD_BYTES",
    "Source",
    "compression_of",
    "fingerprint",
    "iter_sources",
]

HEAD_BYTES = 1 << 16
# A JSON source whose first line is longer than HEAD_BYTES (a post with a long text or many
# entities first) is read on to the end of that line, up to this, so that detection sees the
# whole first record rather than the keys that happen to fit.
FIRST_LINE_BYTES = 8 << 20
_READ_BUFFER = 1 << 20

_MAGIC = {
    b"\xfd7zXZ\x00": "xz",
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"PK\x03\x04": "zip",
}


@dataclass
class Source:
    """One logical input: a file, or one member of an archive.

    `head` holds the first bytes (already decompressed) for format detection; `stream` yields the
    whole content from the beginning, head included.
    """

    name: str
    head: bytes
    stream: io.BufferedReader


class _Prepend(io.RawIOBase):
    """A raw stream that replays `head` and then continues with `rest`."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class _CrToLf(io.RawIOBase):
    """A raw stream of `inner` with every CR read as LF (same length, so offsets hold)."""

    def __init__(self, inner: IO[bytes]):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._inner.read(len(buffer)).replace(b"\r", b"\n")
        n = len(data)
        buffer[:n] = data
        return n


def _cr_line_ends(head: bytes) -> bool:
    """Text whose lines end in a bare CR (old Mac exports, "CSV (Macintosh)"): no LF at all."""
    return b"\r" in head and b"\n" not in head and b"\x00" not in head


def _first_line_head(head: bytes, stream: IO[bytes]) -> bytes:
    """`head`, read on to the end of its first line when it is JSON cut inside that line."""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if len(head) < HEAD_BYTES or body[:1] not in (b"{", b"[") or b"\n" in body:
        return head
    parts = [head]
    size = len(head)
    while size < FIRST_LINE_BYTES:
        more = stream.read(HEAD_BYTES)
        if not more:
            break
        parts.append(more)
        size += len(more)
        if b"\n" in more:
            break
    return b"".join(parts)


def _with_head(stream: IO[bytes]) -> tuple[bytes, io.BufferedReader]:
    head = _first_line_head(stream.read(HEAD_BYTES), stream)
    if _cr_line_ends(head):
        # Read as LF-terminated text: a CR inside a quoted field becomes a newline there too.
        head = head.replace(b"\r", b"\n")
        stream = _CrToLf(stream)  # type: ignore[assignment]
    return head, io.BufferedReader(_Prepend(head, stream), buffer_size=_READ_BUFFER)


def compression_of(head: bytes) -> str | None:
    """Name the compression or archive container from the magic bytes, or None for plain."""
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _is_tar(head: bytes) -> bool:
    return len(head) > 262 and head[257:262] == b"ustar"


def _decompress(raw: BinaryIO, kind: str) -> IO[bytes]:
    if kind == "xz":
        return lzma.LZMAFile(raw)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return bz2.BZ2File(raw)


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes, as recorded in the runs and the ingest ledger."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def iter_sources(path: Path, *, name: str | None = None) -> Iterator[Source]:
    """Yield every source inside `path`; each must be consumed before asking for the next.

    Sources are named after `name` (default: the path), with ``!member`` for archive members.
    """
    label = name or str(path)
    with path.open("rb") as raw:
        kind = compression_of(raw.read(8))
        raw.seek(0)
        if kind == "zip":
            yield from _iter_zip(path, label)
            return
        stream: IO[bytes] = raw if kind is None else _decompress(raw, kind)
        head, buffered = _with_head(stream)
        if _is_tar(head):
            with tarfile.open(fileobj=buffered, mode="r|") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        continue
                    mhead, mstream = _with_head(extracted)
                    yield Source(f"{label}!{member.name}", mhead, mstream)
            return
        yield Source(label, head, buffered)


def _iter_zip(path: Path, label: str) -> Iterator[Source]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            with archive.open(info) as member:
                head, stream = _with_head(member)
                yield Source(f"{label}!{info.filename}", head, stream)
