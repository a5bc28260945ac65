"""Check a saved KV state before llama.cpp reads it.

llama.cpp believes the counts in a state: a file whose header claims 4 billion cells made
it allocate until the kernel killed docq, and one with positions out of order left a
context that failed every later decode. So every state docq loads (a saved prompt prefix,
a passage) is parsed here first, against what it must hold: one stream, exactly the
cells of the positions expected, one sequence per cell, the model's layer count, row
sizes within bounds, and every byte of the file accounted for. Only then is it handed
to llama.cpp; a state that fails is dropped and recomputed (llm.local, llm.passages).

The layout is llama.cpp's unified KV cache (`llama_kv_cache_unified::state_write`, as
vendored by llama-cpp-python 0.3.16): n_stream; per stream the cell count, then per cell
its position, its sequence count and ids, then `v_trans` and the layer count, then per
layer the K type, row size and rows, then V likewise (or, transposed, its element size,
width and columns). A sequence file (`llama_state_seq_save_file`) puts a magic, a version
and the token list before it. A model whose memory is laid out otherwise (recurrent,
sliding-window caches) fails the check, so its states are never reused (`supported`).
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

SEQ_MAGIC = 0x67677371  # 'ggsq'
SEQ_VERSION = 2
_MAX_ROW = 1 << 24  # bytes of one cell's K or V row in one layer (a 70B model at f32: ~32 KB)
_MAX_ELEMENT = 16  # bytes of one element
_MAX_WIDTH = 1 << 16  # V columns of one layer
_CELL = np.dtype([("pos", "<i4"), ("n_seq", "<u4"), ("seq", "<i4")])


@dataclass(frozen=True)
class Shape:
    """What a state for this context must agree with."""

    n_layer: int
    n_ctx: int


class _Bad(Exception):
    pass


class _Cursor:
    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.size = size

    def left(self) -> int:
        return self.size - self.stream.tell()

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.left():
            raise _Bad("claims more bytes than the file holds")
        data = self.stream.read(n)
        if len(data) != n:
            raise _Bad("short read")
        return data

    def skip(self, n: int) -> None:
        if n < 0 or n > self.left():
            raise _Bad("claims more bytes than the file holds")
        self.stream.seek(n, io.SEEK_CUR)

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def i32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])


def _check_state(cursor: _Cursor, first_position: int, cells: int, shape: Shape) -> None:
    if cursor.u32() != 1:
        raise _Bad("not one stream")
    count = cursor.u32()
    if count != cells or count > shape.n_ctx:
        raise _Bad(f"{count} cells where {cells} are expected")
    if count == 0:
        return
    table = np.frombuffer(cursor.take(count * _CELL.itemsize), dtype=_CELL)
    expected = np.arange(first_position, first_position + count, dtype=np.int64)
    if not np.array_equal(table["pos"].astype(np.int64), expected) or not (table["n_seq"] == 1).all():
        raise _Bad("positions or sequences out of order")
    v_trans = cursor.u32()
    if v_trans > 1 or cursor.u32() != shape.n_layer:
        raise _Bad("another layout or another model")
    for _ in range(shape.n_layer):  # K
        cursor.i32()
        row = cursor.u64()
        if row == 0 or row > _MAX_ROW:
            raise _Bad("K row size out of bounds")
        cursor.skip(row * count)
    for _ in range(shape.n_layer):  # V
        cursor.i32()
        if v_trans:
            element, width = cursor.u32(), cursor.u32()
            if not 0 < element <= _MAX_ELEMENT or not 0 < width <= _MAX_WIDTH:
                raise _Bad("V size out of bounds")
            cursor.skip(element * width * count)
        else:
            row = cursor.u64()
            if row == 0 or row > _MAX_ROW:
                raise _Bad("V row size out of bounds")
            cursor.skip(row * count)
    if cursor.left() != 0:
        raise _Bad("bytes left over")


def sequence_file_ok(path: Path, tokens: Sequence[int], shape: Shape) -> bool:
    """A saved prefix (`llama_state_seq_save_file`) holding exactly `tokens` at positions
    0..n-1, and nothing else. Reads the headers and the cell table only."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        cursor = _Cursor(f, size)
        try:
            if cursor.u32() != SEQ_MAGIC or cursor.u32() != SEQ_VERSION:
                return False
            n = cursor.u32()
            if n != len(tokens):
                return False
            held = np.frombuffer(cursor.take(4 * n), dtype="<i4")
            if not np.array_equal(held, np.asarray(tokens, dtype=np.int32)):
                return False
            _check_state(cursor, 0, n, shape)
        except (_Bad, OSError, struct.error):
            return False
    return True


def sequence_state_ok(blob: bytes, first_position: int, cells: int, shape: Shape) -> bool:
    """A state from `llama_state_seq_get_data` (a passage) holding `cells` cells at positions
    `first_position`.., and nothing else."""
    cursor = _Cursor(io.BytesIO(blob), len(blob))
    try:
        _check_state(cursor, first_position, cells, shape)
    except (_Bad, struct.error):
        return False
    return True
