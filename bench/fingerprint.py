"""Revision fingerprint of a plain model folder vs. hashing every byte (the naive baseline).

Run: .venv/bin/python bench/fingerprint.py [--gib 4] [--runs 5]
Writes a sparse checkpoint (a real safetensors header, zero-filled data that takes no disk), then
times openboard's fingerprint and a full sha256 of the same folder side by side.
"""

import argparse
import hashlib
import json
import struct
import tempfile
import time
from pathlib import Path
from statistics import median

from openboard.sources._local import fingerprint_folder


def make_checkpoint(folder: Path, gib: int, shards: int) -> None:
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    per_shard = gib * 1024**3 // shards
    for index in range(shards):
        tensors, offset = {}, 0
        for layer in range(64):
            size = per_shard // 64
            tensors[f"layer.{layer}.weight"] = {
                "dtype": "U8",
                "shape": [size],
                "data_offsets": [offset, offset + size],
            }
            offset += size
        header = json.dumps(tensors).encode()
        path = folder / f"model-{index + 1:05d}-of-{shards:05d}.safetensors"
        with path.open("wb") as stream:
            stream.write(struct.pack("<Q", len(header)) + header)
            stream.truncate(8 + len(header) + offset)


def full_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        with path.open("rb") as stream:
            while chunk := stream.read(16 * 1024 * 1024):
                digest.update(chunk)
    return digest.hexdigest()


def timed(function, folder: Path, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function(folder)
        samples.append(time.perf_counter() - started)
    return median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=int, default=4, help="checkpoint size in GiB (sparse)")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_checkpoint(folder, args.gib, args.shards)
        ours = timed(fingerprint_folder, folder, args.runs)
        baseline = timed(full_hash, folder, max(1, args.runs // 2))
    per_200gb_ours_ms = ours * 1000  # independent of the weight bytes
    print(f"checkpoint: {args.gib} GiB in {args.shards} shards (sparse)")
    print(f"fingerprint_seconds: {ours:.6f}")
    print(f"full_sha256_seconds: {baseline:.3f}")
    print(f"speedup: {baseline / ours:.0f}x")
    print(f"fingerprint_ms: {per_200gb_ours_ms:.2f}")
    print(f"full_sha256_extrapolated_200gb_seconds: {baseline / args.gib * 200:.0f}")


if __name__ == "__main__":
    main()
