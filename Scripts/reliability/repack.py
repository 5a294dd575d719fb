#!/usr/bin/env python3
"""Re-packs a .tidal model file after editing it, with a valid zstd content checksum and header CRC,
so that what the loader sees is the edit itself (issue 14's hostile model files).

  repack.py IN OUT set PATH JSON       # e.g. set architecture.hiddenSize 2147483647
  repack.py IN OUT tensors-overlap     # every tensor at offset 0
  repack.py IN OUT header FIELD VALUE  # flags | payload | compressed (raw u16/u64), CRC recomputed

Uses libzstd through ctypes (the library Tidal links), so it needs only the Python standard library."""
import ctypes, ctypes.util, json, struct, sys, zlib

zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
zstd.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
zstd.ZSTD_compressBound.restype = ctypes.c_size_t
zstd.ZSTD_decompress.restype = ctypes.c_size_t
zstd.ZSTD_compress2.restype = ctypes.c_size_t
zstd.ZSTD_createCCtx.restype = ctypes.c_void_p
zstd.ZSTD_isError.restype = ctypes.c_uint

def decompress(frame):
    size = zstd.ZSTD_getFrameContentSize(frame, len(frame))
    out = ctypes.create_string_buffer(size)
    n = zstd.ZSTD_decompress(out, size, frame, len(frame))
    assert not zstd.ZSTD_isError(n)
    return out.raw[:n]

def compress(data):
    cctx = ctypes.c_void_p(zstd.ZSTD_createCCtx())
    zstd.ZSTD_CCtx_setParameter(cctx, 201, 1)  # ZSTD_c_checksumFlag
    bound = zstd.ZSTD_compressBound(len(data))
    out = ctypes.create_string_buffer(bound)
    n = zstd.ZSTD_compress2(cctx, out, ctypes.c_size_t(bound), data, ctypes.c_size_t(len(data)))
    assert not zstd.ZSTD_isError(n)
    return out.raw[:n]

def header(payload_size, compressed_size, version=1, flags=0):
    h = b"TIDALMDL" + struct.pack("<HHQQ", version, flags, payload_size, compressed_size)
    return h + struct.pack("<I", zlib.crc32(h) & 0xFFFFFFFF)

src, dst, verb = sys.argv[1:4]
raw = open(src, "rb").read()
version, flags, payload_size, compressed_size = struct.unpack("<HHQQ", raw[8:28])
payload = decompress(raw[32:])
length = struct.unpack("<I", payload[:4])[0]
doc, weights = json.loads(payload[4:4 + length]), payload[4 + length:]
if verb == "header":
    field, value = sys.argv[4], int(sys.argv[5])
    values = {"flags": flags, "payload": payload_size, "compressed": compressed_size}
    values[field] = value
    out = header(values["payload"], values["compressed"], version, values["flags"]) + raw[32:]
else:
    if verb == "set":
        *parents, last = sys.argv[4].split(".")
        node = doc
        for key in parents: node = node[key]
        node[last] = json.loads(sys.argv[5])
    elif verb == "tensors-overlap":
        for t in doc["tensors"]: t["offset"] = 0
    text = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    body = struct.pack("<I", len(text)) + text + weights
    frame = compress(body)
    out = header(len(body), len(frame)) + frame
open(dst, "wb").write(out)
