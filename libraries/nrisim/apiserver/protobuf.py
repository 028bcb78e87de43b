"""Request bodies in Kubernetes' protobuf encoding (``application/vnd.kubernetes.protobuf``).

kubectl's typed commands (``kubectl create namespace``) send their object as protobuf, which
every real API server decodes for the built-in kinds. This server keeps its objects as JSON, so
it decodes the few kinds those commands create here (a Namespace) into the same JSON form; for
any other kind it answers as an API server does for a content type it does not serve: 415,
naming the kind and that JSON is accepted.

The encoding: the magic ``k8s\\x00`` and a ``runtime.Unknown`` message (1 typeMeta {1
apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType) whose ``raw`` is the object's own
message (field numbers from k8s.io/api's generated.proto).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .status import ApiError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: an int for varints, bytes otherwise."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == _LEN:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated field")
            yield number, data[pos:pos + size]
            pos += size
        elif wire in (_I64, _I32):
            size = 8 if wire == _I64 else 4
            yield number, data[pos:pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise ValueError("expected a string field")
    return value.decode("utf-8")


def _string_map_entry(value: int | bytes) -> tuple[str, str]:
    entry = dict(fields(value if isinstance(value, bytes) else b""))
    return _text(entry.get(1, b"")), _text(entry.get(2, b""))


def _object_meta(data: bytes) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace"}
    for number, value in fields(data):
        if number in names:
            meta[names[number]] = _text(value)
        elif number in (11, 12):
            key, text = _string_map_entry(value)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = text
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(value))
    return meta


def _namespace(data: bytes) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace"}
    for number, value in fields(data):
        if number == 1 and isinstance(value, bytes):
            body["metadata"] = _object_meta(value)
        elif number == 2 and isinstance(value, bytes):
            finalizers = [_text(v) for n, v in fields(value) if n == 1]
            if finalizers:
                body["spec"] = {"finalizers": finalizers}
    return body


#: (apiVersion, kind) -> decoder of its message
DECODERS: dict[tuple[str, str], Callable[[bytes], dict[str, Any]]] = {("v1", "Namespace"): _namespace}


def decode(raw: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; ApiError 415 for a kind not decoded here,
    400 for a body that is not Kubernetes protobuf."""
    if not raw.startswith(MAGIC):
        raise ApiError(400, "the request body is not Kubernetes protobuf (no k8s\\x00 prefix)")
    try:
        unknown = dict(fields(raw[len(MAGIC):]))
        type_meta = dict(fields(unknown.get(1, b"")))  # type: ignore[arg-type]
        api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
        decoder = DECODERS.get((api_version, kind))
        if decoder is None:
            raise ApiError(415, f"{MEDIA_TYPE} is not served for {kind or 'this object'} ({api_version or '?'}) "
                                "by this simulated API server: send it as application/json",
                           reason="UnsupportedMediaType")
        return decoder(unknown.get(2, b""))  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"the protobuf request body could not be decoded: {err}") from err
