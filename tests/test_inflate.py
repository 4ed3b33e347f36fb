"""Tests for pipeline.inflate: bounded Content-Encoding decoding (pure, no network)."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterable

import pytest

from pipeline.inflate import BadEncoding, Decoder, UnsupportedEncoding

TEXT = b"<rss version='2.0'><channel><title>Bakhmut</title></channel></rss>\n" * 2000


def gzip_zeros(size: int) -> bytes:
    """A gzip stream of `size` zero bytes, built a MiB at a time (a bomb: ~1000:1)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    return b"".join([compressor.compress(block) for _ in range(size >> 20)] + [compressor.flush()])


def decode(decoder: Decoder, body: bytes, chunk: int = 4096) -> bytes:
    return b"".join(piece for i in range(0, len(body), chunk) for piece in decoder.feed(body[i : i + chunk]))


def sizes(pieces: Iterable[bytes]) -> list[int]:
    return [len(piece) for piece in pieces]


@pytest.mark.parametrize(
    ("encodings", "body"),
    [
        pytest.param([], TEXT, id="none"),
        pytest.param(["identity"], TEXT, id="identity"),
        pytest.param(["gzip"], gzip.compress(TEXT), id="gzip"),
        pytest.param(["x-gzip"], gzip.compress(TEXT), id="x-gzip"),
        pytest.param([" GZip "], gzip.compress(TEXT), id="case-and-spaces"),
        pytest.param(["deflate"], zlib.compress(TEXT), id="deflate-zlib-wrapped"),
        pytest.param(["deflate"], zlib.compress(TEXT)[2:-4], id="deflate-raw"),
        # "deflate, gzip": deflate applied first, so gzip is undone first.
        pytest.param(["deflate", "gzip"], gzip.compress(zlib.compress(TEXT)), id="deflate-then-gzip"),
        pytest.param(["gzip", "identity", "gzip"], gzip.compress(gzip.compress(TEXT)), id="gzip-twice"),
    ],
)
def test_decodes_what_we_ask_for(encodings: list[str], body: bytes) -> None:
    assert decode(Decoder(encodings), body) == TEXT


def test_pieces_never_exceed_the_piece_size() -> None:
    body = gzip.compress(bytes(5_000_000))
    got = sizes(Decoder(["gzip"], piece=1000).feed(body))
    assert sum(got) == 5_000_000
    assert max(got) == 1000


def test_bytes_after_the_end_of_the_stream_are_ignored() -> None:
    assert decode(Decoder(["gzip"]), gzip.compress(TEXT) + b"trailing junk") == TEXT


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "x-custom"])
def test_codings_we_did_not_ask_for_are_refused(coding: str) -> None:
    with pytest.raises(UnsupportedEncoding, match=f"unsupported Content-Encoding '{coding}'"):
        Decoder(["gzip", coding])


def test_more_than_three_layers_are_refused() -> None:
    with pytest.raises(UnsupportedEncoding, match="4 Content-Encoding layers"):
        Decoder(["gzip"] * 4)


@pytest.mark.parametrize(
    ("encodings", "body"),
    [
        pytest.param(["gzip"], b"definitely not gzip", id="gzip"),
        pytest.param(["deflate"], b"\xff" * 64, id="deflate"),
        pytest.param(["gzip"], gzip.compress(TEXT)[:-8] + b"\0" * 8, id="bad-checksum"),
    ],
)
def test_corrupt_bodies_raise_bad_encoding(encodings: list[str], body: bytes) -> None:
    with pytest.raises(BadEncoding, match="cannot decode"):
        decode(Decoder(encodings), body)


def test_nested_gzip_bomb_stays_small_when_the_reader_stops() -> None:
    # 64 MiB of zeros, gzipped, gzipped again: a few hundred bytes on the wire. httpx's decoder
    # turns one network chunk of it into 64 MiB in a single call; here the reader stops after
    # 1 MiB and nothing else was ever held.
    bomb = gzip.compress(gzip_zeros(64 << 20))
    assert len(bomb) < 2000
    decoder = Decoder(["gzip", "gzip"])
    tracemalloc.start()
    try:
        total = 0
        for piece in decoder.feed(bomb):
            total += len(piece)
            if total > 1 << 20:
                break
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total > 1 << 20
    assert peak < 2 << 20, f"peak {peak} bytes"
