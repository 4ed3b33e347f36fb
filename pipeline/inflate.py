"""Content-Encoding decoding (gzip, deflate) that never produces more than one piece at a time.

httpx decodes each network chunk in one call, so a 2 KB response encoded `gzip, gzip` (a gzip
bomb inside a gzip bomb) becomes gigabytes in a single `decompress()` before any size limit can
look at it. Here every stage asks zlib for at most `piece` bytes per call and hands them on
lazily, so a caller that stops reading at its body limit holds one piece per stage and the
pieces it kept, whatever the compression ratio. Used by `fetch` alone; stdlib only, no I/O.

We only advertise and decode gzip and deflate; any other coding (br, zstd, compress) is refused
with `UnsupportedEncoding` rather than handed on as undecodable bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

ACCEPT_ENCODING = "gzip, deflate"
PIECE = 64 * 1024
MAX_LAYERS = 3  # real servers send one; a long list only multiplies the work a bomb can ask for

_GZIP_WBITS = zlib.MAX_WBITS | 16
_IDENTITY = frozenset({"", "identity"})


class UnsupportedEncoding(ValueError):
    """A Content-Encoding we did not ask for and cannot decode."""


class BadEncoding(ValueError):
    """Bytes that do not decode under the Content-Encoding the server declared."""


class _Stage:
    """One zlib decompressor that yields at most `piece` bytes per step."""

    def __init__(self, coding: str, piece: int) -> None:
        self._coding = coding
        self._piece = piece
        self._started = False
        self._z = zlib.decompressobj(_GZIP_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of `data`, drained as far as zlib can go."""
        if not data or self._z.eof:
            return  # bytes after the end of the stream are ignored, as browsers do
        try:
            yield from self._drain(data)
        except zlib.error as exc:
            if self._coding == "deflate" and not self._started:
                # Many servers send raw deflate (no zlib header) as "deflate"; httpx retries the
                # same way.
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                yield from self._decode_or_raise(data)
                return
            raise BadEncoding(f"cannot decode the {self._coding} body: {exc}") from exc

    def _decode_or_raise(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._drain(data)
        except zlib.error as exc:
            raise BadEncoding(f"cannot decode the {self._coding} body: {exc}") from exc

    def _drain(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._z.decompress(data, self._piece)
            self._started = True
            data = self._z.unconsumed_tail
            if out:
                yield out
            # A full piece may leave output pending inside zlib even with no input left.
            if self._z.eof or (not data and len(out) < self._piece):
                return


class Decoder:
    """Decodes a body sent with the given Content-Encoding values, in bounded pieces."""

    def __init__(self, encodings: Sequence[str], piece: int = PIECE) -> None:
        codings = [e.strip().lower() for e in encodings if e.strip().lower() not in _IDENTITY]
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise UnsupportedEncoding(
                f"unsupported Content-Encoding {', '.join(unknown)!r} (we ask for {ACCEPT_ENCODING})"
            )
        if len(codings) > MAX_LAYERS:
            raise UnsupportedEncoding(f"{len(codings)} Content-Encoding layers (at most {MAX_LAYERS})")
        # Codings are listed in the order they were applied, so they are undone in reverse.
        self._stages = [_Stage(c, piece) for c in reversed(codings)]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next raw chunk; lazy, so the caller may stop at any piece."""
        return self._through(data, 0)

    def _through(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        for out in self._stages[index].feed(data):
            yield from self._through(out, index + 1)
