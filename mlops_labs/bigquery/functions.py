"""BigQuery functions DuckDB lacks, registered as DuckDB functions on the sandbox's connection.

- ``FARM_FINGERPRINT``: FarmHash's Fingerprint64 (farmhashna's 64-bit hash), signed like INT64,
  so a split by ``MOD(ABS(FARM_FINGERPRINT(...)), 10)`` picks the same rows as BigQuery.
- ``FORMAT``'s ``%t`` / ``%T``: any value printed the way BigQuery prints it (a row as
  ``(a, b, c)``), reached through DuckDB's ``to_json`` so one function serves every type.
"""

from __future__ import annotations

import json
import math
from typing import Any

import duckdb

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_MUL = 0x9DDFEA08EB382D69

FINGERPRINT_FUNCTION = "bq_farm_fingerprint"
TEXT_FUNCTION = "bq_format_text"
LITERAL_FUNCTION = "bq_format_literal"


def register(connection: duckdb.DuckDBPyConnection) -> None:
    """Make the sandbox's helper functions callable from SQL on this connection."""
    connection.create_function(
        FINGERPRINT_FUNCTION, _fingerprint_sql, ["VARCHAR"], "BIGINT", side_effects=False
    )
    connection.create_function(
        f"{FINGERPRINT_FUNCTION}_bytes", _fingerprint_sql, ["BLOB"], "BIGINT"
    )
    for name, function in ((TEXT_FUNCTION, _text_sql), (LITERAL_FUNCTION, _literal_sql)):
        connection.create_function(name, function, ["VARCHAR"], "VARCHAR", null_handling="special")


def _text_sql(json_text: str | None) -> str:
    return format_value(json_text)


def _literal_sql(json_text: str | None) -> str:
    return format_value(json_text, literal=True)


def _fingerprint_sql(value: str | bytes) -> int:
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return signed(fingerprint64(data))


def signed(value: int) -> int:
    """An unsigned 64-bit value as the INT64 holding the same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of ``data``, as an unsigned 64-bit integer."""
    size = len(data)
    if size <= 16:
        return _len_0_to_16(data)
    if size <= 32:
        return _len_17_to_32(data)
    if size <= 64:
        return _len_33_to_64(data)
    return _long(data)


def _fetch64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _fetch32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _rotate(value: int, shift: int) -> int:
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash_16(low: int, high: int, mul: int = _MUL) -> int:
    a = ((low ^ high) * mul) & _MASK
    a ^= a >> 47
    b = ((high ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _len_0_to_16(data: bytes) -> int:
    size = len(data)
    if size >= 8:
        mul = _K2 + size * 2
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, size - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_16(c, d, mul)
    if size >= 4:
        mul = _K2 + size * 2
        first = _fetch32(data, 0)
        return _hash_16((size + (first << 3)) & _MASK, _fetch32(data, size - 4), mul)
    if size > 0:
        y = (data[0] + (data[size >> 1] << 8)) & 0xFFFFFFFF
        z = (size + (data[size - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _len_17_to_32(data: bytes) -> int:
    size = len(data)
    mul = _K2 + size * 2
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, size - 8) * mul) & _MASK
    d = (_fetch64(data, size - 16) * _K2) & _MASK
    return _hash_16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _len_33_to_64(data: bytes) -> int:
    size = len(data)
    mul = _K2 + size * 2
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, size - 8) * mul) & _MASK
    d = (_fetch64(data, size - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, size - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, size - 24)) * mul) & _MASK
    return _hash_16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_32(data: bytes, at: int, a: int, b: int) -> tuple[int, int]:
    w, x = _fetch64(data, at), _fetch64(data, at + 8)
    y, z = _fetch64(data, at + 16), _fetch64(data, at + 24)
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _long(data: bytes) -> int:
    size = len(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((size - 1) // 64) * 64
    last = end + ((size - 1) & 63) - 63
    at = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, at + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v[1] + _fetch64(data, at + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, at + 40)) & _MASK
        z = (_rotate((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_32(data, at, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_32(data, at + 32, (z + w[1]) & _MASK, (y + _fetch64(data, at + 16)) & _MASK)
        z, x = x, z
        at += 64
        if at == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    at = last
    w = ((w[0] + ((size - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, at + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(data, at + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, at + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_32(data, at, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_32(data, at + 32, (z + w[1]) & _MASK, (y + _fetch64(data, at + 16)) & _MASK)
    z, x = x, z
    return _hash_16(
        (_hash_16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )


def format_value(json_text: str | None, literal: bool = False) -> str:
    """A value (given as DuckDB's ``to_json`` of it) printed as FORMAT's %t (or %T) prints it."""
    if json_text is None:
        return "NULL"
    return _text(json.loads(json_text), literal)


def _text(value: Any, literal: bool) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
            return f'CAST("{text}" AS FLOAT64)' if literal else text
        return repr(value)
    if isinstance(value, dict):
        return "(" + ", ".join(_text(item, literal) for item in value.values()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_text(item, literal) for item in value) + "]"
    if isinstance(value, str) and literal:
        return json.dumps(value, ensure_ascii=False)
    return str(value)
