#!/usr/bin/env python3
"""Read a Tidal model file (format versions 1 and 2) with nothing but the `zstandard` package.

Usage: python3 Scripts/read_tidal_model.py MODEL.tidal
Prints the task and architecture, then one line per weight: name, shape, and the sum of its values.
The layout is documented byte by byte in Docs/model-format.md.
"""
import json, struct, sys, zlib
import zstandard

def read_model(path):
    data = open(path, "rb").read()
    if len(data) < 32 or data[:8] != b"TIDALMDL":
        raise ValueError(f"{path}: not a Tidal model file")
    version, flags, payload_size, compressed_size, header_crc = struct.unpack_from("<HHQQI", data, 8)
    if version > 2:
        raise ValueError(f"{path}: format version {version} is newer than this reader (2)")
    if zlib.crc32(data[:28]) != header_crc:
        raise ValueError(f"{path}: header checksum mismatch")
    if len(data) != 32 + compressed_size:
        raise ValueError(f"{path}: truncated or padded file")
    payload = zstandard.ZstdDecompressor().decompress(data[32:], max_output_size=payload_size)
    (json_length,) = struct.unpack_from("<I", payload, 0)
    document = json.loads(payload[4:4 + json_length])
    base = 4 + json_length
    weights = {}
    for t in document["tensors"]:
        count = 1
        for d in t["shape"]:
            count *= d
        start = base + t["offset"]
        weights[t["name"]] = (t["shape"], struct.unpack_from(f"<{count}f", payload, start))
    return document, weights

if __name__ == "__main__":
    document, weights = read_model(sys.argv[1])
    print("task", document["task"], "architecture", json.dumps(document["architecture"], sort_keys=True))
    for name, (shape, values) in weights.items():
        print(name, "x".join(map(str, shape)), f"{sum(values):.6g}")
