"""Submission validation: openboard's checks vs. the public leaderboard guide's naive check.

Run: .venv/bin/python bench/validate.py [--sizes 0.1,1,3] [--runs 3] [--work DIR]
Writes Llama-architecture checkpoints of about 0.1, 1 and 3 B parameters (bfloat16 zeros, sharded
safetensors with an index, the tiny demo model's tokenizer, a model card) into the work folder
(default /tmp/openboard-bench-validate, 8.3 GB for all three) once; reruns reuse them. Then, per
size, each side runs `--runs` times, each time in a fresh Python process:

- openboard: `LocalModelSource.snapshot` + `validate` (safetensors headers, config, card, and the
  AutoClasses probe on the meta device). Cold is the first call in the process, imports included;
  warm is the median of 5 more calls in the same process, as in a running server.
- naive: the guide's check, AutoConfig, AutoModel (bfloat16) and AutoTokenizer `from_pretrained`
  on the local folder, trust_remote_code=False. Imports included.
- naive+read: the same, then every parameter read once. transformers 5 maps same-dtype weights
  lazily, so the plain calls return before most bytes are read; an eager load (transformers 4) or
  the model's first use reads them all.

Measured: wall time, the process's peak RSS (VmHWM), and the bytes of the weight files read. The
weight files are evicted from the page cache (fadvise DONTNEED) before each run; afterwards the
bytes of them in the page cache (fincore, or mincore) are what the run read, kernel read-ahead
included. A calibration (evict, count, read it all, count) shows that eviction and count work.
Prints a table, the ratios naive/openboard, then the headline figures as `name: value` lines.
"""

import argparse
import ctypes
import ctypes.util
import json
import math
import mmap
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

# Heavy libraries (torch, transformers, openboard) are imported inside functions only: this file
# is also the child process, whose cold time must include importing them.

ORG = "bench"
RESULT_PREFIX = "BENCH_RESULT "
MAX_SHARD_BYTES = 2 * 1000**3  # save_pretrained's usual shard size
WARM_REPEATS = 5
CARD = """---
license: apache-2.0
tags:
- openboard-bench
---
# {name}

A Llama-architecture checkpoint of {params:,} parameters whose weights are all zero, written by
openboard's `bench/validate.py` to time submission validation on a checkpoint of realistic size.
It has {layers} layers of width {hidden}, bfloat16 weights in {shards} safetensors shards with an
index, and the byte-level BPE tokenizer of openboard's tiny demo model. It has learned nothing.
"""


@dataclass(frozen=True, slots=True)
class LlamaSpec:
    hidden: int
    layers: int
    intermediate: int
    heads: int
    kv_heads: int
    vocab: int = 32000  # the tiny demo tokenizer has 512 tokens; embeddings may be larger

    def tensors(self) -> list[tuple[str, tuple[int, ...]]]:
        """LlamaForCausalLM's parameter names and shapes, in save order (embeddings first)."""
        head_dim = self.hidden // self.heads
        kv = self.kv_heads * head_dim
        shapes: list[tuple[str, tuple[int, ...]]] = [
            ("model.embed_tokens.weight", (self.vocab, self.hidden))
        ]
        for i in range(self.layers):
            prefix = f"model.layers.{i}"
            shapes += [
                (f"{prefix}.input_layernorm.weight", (self.hidden,)),
                (f"{prefix}.self_attn.q_proj.weight", (self.hidden, self.hidden)),
                (f"{prefix}.self_attn.k_proj.weight", (kv, self.hidden)),
                (f"{prefix}.self_attn.v_proj.weight", (kv, self.hidden)),
                (f"{prefix}.self_attn.o_proj.weight", (self.hidden, self.hidden)),
                (f"{prefix}.post_attention_layernorm.weight", (self.hidden,)),
                (f"{prefix}.mlp.gate_proj.weight", (self.intermediate, self.hidden)),
                (f"{prefix}.mlp.up_proj.weight", (self.intermediate, self.hidden)),
                (f"{prefix}.mlp.down_proj.weight", (self.hidden, self.intermediate)),
            ]
        shapes += [
            ("model.norm.weight", (self.hidden,)),
            ("lm_head.weight", (self.vocab, self.hidden)),
        ]
        return shapes

    @property
    def params(self) -> int:
        return sum(math.prod(shape) for _, shape in self.tensors())


# GPT-2-small's width; TinyLlama with 20 layers; Llama-3.2-3B. All with a 32k untied vocabulary.
SPECS: dict[str, LlamaSpec] = {
    "0.1": LlamaSpec(hidden=768, layers=8, intermediate=2048, heads=12, kv_heads=4),
    "1": LlamaSpec(hidden=2048, layers=20, intermediate=5632, heads=32, kv_heads=4),
    "3": LlamaSpec(hidden=3072, layers=28, intermediate=8192, heads=24, kv_heads=8),
}


# --- the checkpoints ---------------------------------------------------------------------------


def model_name(size: str) -> str:
    return f"llama-{size}b"


def weight_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.safetensors"))


def ensure_tokenizer(work: Path) -> Path:
    """The tiny demo model's folder, for its tokenizer files; written once per work folder."""
    from openboard.demo import TinyModelSpec, write_tiny_model_files

    tiny = work / "tiny"
    if not (tiny / "tokenizer.json").is_file():
        write_tiny_model_files(tiny, TinyModelSpec(seed=1))
    return tiny


def ensure_model(work: Path, size: str) -> Path:
    """Write the checkpoint unless the same spec was written before; returns its folder."""
    spec = SPECS[size]
    folder = work / "models" / ORG / model_name(size)
    if is_written(work, size):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write_checkpoint(staging, folder.name, spec, ensure_tokenizer(work))
    staging.rename(folder)
    _marker(folder).write_text(_stamp(spec))
    return folder


def _marker(folder: Path) -> Path:
    # Beside the folder: a file inside it would change the model's fingerprint.
    return folder.with_name(f"{folder.name}.done")


def is_written(work: Path, size: str) -> bool:
    folder = work / "models" / ORG / model_name(size)
    marker = _marker(folder)
    return folder.is_dir() and marker.is_file() and marker.read_text() == _stamp(SPECS[size])


def _stamp(spec: LlamaSpec) -> str:
    # Bump the version when the files written change, so that cached checkpoints are rewritten.
    return f"checkpoint v2 {spec!r}"


def write_checkpoint(folder: Path, name: str, spec: LlamaSpec, tiny: Path) -> None:
    from transformers import AutoTokenizer, LlamaConfig

    for filename in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tiny / filename).is_file():
            shutil.copy2(tiny / filename, folder / filename)
    tokenizer = AutoTokenizer.from_pretrained(tiny, local_files_only=True)
    assert len(tokenizer) <= spec.vocab, "the embeddings must cover the tokenizer"
    LlamaConfig(
        vocab_size=spec.vocab,
        hidden_size=spec.hidden,
        intermediate_size=spec.intermediate,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.kv_heads,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="bfloat16",
        architectures=["LlamaForCausalLM"],
    ).save_pretrained(folder)
    shards = write_shards(folder, spec)
    (folder / "README.md").write_text(
        CARD.format(
            name=name,
            params=spec.params,
            layers=spec.layers,
            hidden=spec.hidden,
            shards=shards,
        )
    )


def write_shards(folder: Path, spec: LlamaSpec) -> int:
    """Zero bfloat16 tensors, one shard in memory at a time; writes the index; returns the count."""
    import torch
    from safetensors.torch import save_file

    tensors = spec.tensors()
    total = 2 * spec.params
    # At least two shards even for the small model, so that every size has an index to check.
    limit = min(MAX_SHARD_BYTES, math.ceil(total / 2))
    groups: list[list[tuple[str, tuple[int, ...]]]] = [[]]
    used = 0
    for name, shape in tensors:
        nbytes = 2 * math.prod(shape)
        if groups[-1] and used + nbytes > limit:
            groups.append([])
            used = 0
        groups[-1].append((name, shape))
        used += nbytes
    weight_map: dict[str, str] = {}
    for number, group in enumerate(groups, start=1):
        filename = f"model-{number:05d}-of-{len(groups):05d}.safetensors"
        shard = {name: torch.zeros(shape, dtype=torch.bfloat16) for name, shape in group}
        save_file(shard, folder / filename, metadata={"format": "pt"})
        del shard
        weight_map.update(dict.fromkeys((name for name, _ in group), filename))
        with (folder / filename).open("rb") as stream:
            os.fsync(stream.fileno())  # clean pages: fadvise DONTNEED drops only clean ones
        stat = (folder / filename).stat()
        # Zeros written by write() take real blocks; a sparse file would be read from no disk.
        assert stat.st_blocks * 512 >= stat.st_size, f"{filename} is sparse"
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return len(groups)


# --- the page cache ----------------------------------------------------------------------------


def evict(paths: list[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)  # dirty pages would stay cached
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def resident_bytes(paths: list[Path]) -> int:
    """Bytes of `paths` in the page cache: util-linux fincore, or mincore(2) where it is missing."""
    if not paths:
        return 0
    if shutil.which("fincore"):
        command = ["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES"]
        out = subprocess.run([*command, *map(str, paths)], check=True, capture_output=True)
        return sum(int(line) for line in out.stdout.split())
    return sum(_mincore_bytes(path) for path in paths)


def _mincore_bytes(path: Path) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    size_t, c_int = ctypes.c_size_t, ctypes.c_int
    libc.mmap.argtypes = [ctypes.c_void_p, size_t, c_int, c_int, c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    if size == 0:
        return 0
    page = mmap.PAGESIZE
    with path.open("rb") as stream:
        # A mapping of our own that is never touched: mincore then reports the page cache only.
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, stream.fileno(), 0)
        if address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), f"mmap {path}")
        try:
            vector = ctypes.create_string_buffer((size + page - 1) // page)
            if libc.mincore(address, size, vector) != 0:
                raise OSError(ctypes.get_errno(), f"mincore {path}")
            pages = sum(byte & 1 for byte in vector.raw)
        finally:
            libc.munmap(address, size)
    return min(pages * page, size)


def read_all(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as stream:
            while stream.read(16 * 1024 * 1024):
                pass


def header_bytes(paths: list[Path]) -> int:
    """What openboard asks for: the 8-byte length and the JSON header of each shard."""
    total = 0
    for path in paths:
        with path.open("rb") as stream:
            total += 8 + int.from_bytes(stream.read(8), "little")
    return total


# --- the sides, each a fresh process ----------------------------------------------------------


def cpu_s() -> float:
    """CPU seconds of this process so far: unlike wall time, not inflated by other processes."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_openboard(root: Path, checkouts: Path, model: str, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    from datetime import UTC, datetime

    from openboard.domain import ModelType, Precision, SubmissionRequest
    from openboard.sources import LocalModelSource
    from openboard.validation import ValidationPolicy, validate

    source = LocalModelSource(root=root, checkouts=checkouts)
    request = SubmissionRequest(
        model=model, model_type=ModelType.PRETRAINED, sender="bench", precision=Precision.BFLOAT16
    )
    policy = ValidationPolicy()

    def check() -> Any:
        snapshot = source.snapshot(request.model_id, request.revision)
        return validate(snapshot, request, policy, datetime.now(UTC))

    verdict = check()
    cold, cold_cpu = time.perf_counter() - started, cpu_s()
    if not verdict.accepted:
        for finding in verdict.findings:
            print(f"{finding.severity}: {finding.check}: {finding.message}", file=sys.stderr)
        raise SystemExit(f"{model} was not accepted")
    warm = []
    for _ in range(repeats):
        begun = time.perf_counter()
        check()
        warm.append(time.perf_counter() - begun)
    return {
        "cold_s": cold,
        "cold_cpu_s": cold_cpu,
        "warm_s": median(warm),
        "params": verdict.params,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_naive(root: Path, model: str, read_weights: bool) -> dict[str, Any]:
    started = time.perf_counter()
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    path = root / model
    # The guide's three calls, on a local path. transformers 5 names torch_dtype `dtype`.
    AutoConfig.from_pretrained(path, trust_remote_code=False)
    loaded = AutoModel.from_pretrained(path, dtype=torch.bfloat16, trust_remote_code=False)
    AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    if read_weights:
        # transformers 5 maps same-dtype CPU weights lazily: from_pretrained returns before most
        # bytes are read. An eager load (transformers 4) or the model's first use reads them all.
        # One byte per page (and the last) faults every page in without timing arithmetic.
        checksum = 0
        with torch.no_grad():
            for tensor in loaded.parameters():
                raw = tensor.detach().reshape(-1).view(torch.uint8)
                checksum += int(raw[:: mmap.PAGESIZE].sum()) + int(raw[-1])
        assert checksum == 0, "the weights were written as zeros"
    cold, cold_cpu = time.perf_counter() - started, cpu_s()
    params = sum(p.numel() for p in loaded.parameters())
    return {"cold_s": cold, "cold_cpu_s": cold_cpu, "params": params, "peak_rss_mb": peak_rss_mb()}


def child_main(side: str, work: Path, size: str) -> None:
    model = f"{ORG}/{model_name(size)}"
    if side == "openboard":
        result = child_openboard(work / "models", work / "checkouts", model, WARM_REPEATS)
    else:
        result = child_naive(work / "models", model, read_weights=side == "naive-read")
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(side: str, work: Path, size: str) -> dict[str, Any]:
    """One side on one model in a fresh process, the weights evicted from the page cache first."""
    files = weight_files(work / "models" / ORG / model_name(size))
    evict(files)
    before = resident_bytes(files)
    command = [sys.executable, __file__, "--child", side, "--work", str(work), "--sizes", size]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{side} on {model_name(size)} failed:\n{done.stdout}\n{done.stderr}")
    (line,) = (x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX))
    result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
    result.update(resident_before=before, weight_bytes=resident_bytes(files))
    return result


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over fresh processes (import times vary by seconds)."""
    merged = {key: median(r[key] for r in results) for key in results[0]}
    merged["resident_before"] = max(r["resident_before"] for r in results)
    return merged


# --- the report --------------------------------------------------------------------------------

SIDES = {"openboard": "openboard", "naive": "naive", "naive-read": "naive+read"}


def calibrate(files: list[Path]) -> tuple[int, int]:
    """Evict, count, read everything, count: the count must go from ~0 to the full size."""
    evict(files)
    empty = resident_bytes(files)
    read_all(files)
    full = resident_bytes(files)
    evict(files)
    return empty, full


def warm_libraries() -> None:
    """Import everything once, so that no side pays for reading the libraries from disk."""
    subprocess.run(
        [sys.executable, "-c", "import torch, transformers, openboard.validation"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="0.1,1,3", help=f"comma-separated, of {list(SPECS)}")
    parser.add_argument("--work", type=Path, default=Path("/tmp/openboard-bench-validate"))
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per side and size")
    parser.add_argument("--child", choices=list(SIDES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    if unknown := [s for s in sizes if s not in SPECS]:
        parser.error(f"unknown sizes {unknown}; choose from {list(SPECS)}")
    work: Path = args.work.resolve()
    if args.child:
        child_main(args.child, work, sizes[0])
        return

    work.mkdir(parents=True, exist_ok=True)
    need = sum(2 * SPECS[s].params for s in sizes if not is_written(work, s))
    free = shutil.disk_usage(work).free
    print(f"work folder: {work} ({free / 1e9:.0f} GB free, {need / 1e9:.1f} GB to write)")
    if need > free - 2e9:  # leave the other users of the disk some room
        raise SystemExit(f"not enough disk in {work}; choose another with --work or fewer --sizes")
    rows: dict[str, dict[str, Any]] = {}
    for size in sizes:
        started = time.perf_counter()
        folder = ensure_model(work, size)
        files = weight_files(folder)
        total = sum(p.stat().st_size for p in files)
        print(
            f"{folder.name}: {SPECS[size].params:,} parameters, {total:,} B in {len(files)} "
            f"shards (ready in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        rows[size] = {"total": total, "shards": len(files), "headers": header_bytes(files)}
        rows[size]["calibration"] = calibrate(files)
    warm_libraries()
    # Round-robin over the sides, so that load from other processes falls on all of them alike.
    results: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for size in sizes:
        for run in range(args.runs):
            for side in SIDES:
                result = run_child(side, work, size)
                results[size, side].append(result)
                print(
                    f"{model_name(size)} {side} run {run + 1}: {result['cold_s']:.2f} s "
                    f"({result['cold_cpu_s']:.2f} s CPU), {result['peak_rss_mb']:.0f} MB, "
                    f"{result['weight_bytes']:,} B of weights read",
                    flush=True,
                )
        rows[size].update({side: merge(results[size, side]) for side in SIDES})
    report(rows, args.runs)


def report(rows: dict[str, dict[str, Any]], runs: int) -> None:
    print()
    print(f"median of {runs} fresh processes; weights evicted from the page cache before each")
    # (heading, width); the first two columns are text, the rest numbers.
    columns = [("model", 11), ("side", 10), ("cold s", 6), ("CPU s", 6), ("warm ms", 7)]
    columns += [("peak RSS MB", 11), ("weight B read", 13), ("share", 7), ("evicted", 7)]

    def table_row(*cells: str) -> str:
        return " ".join(
            f"{cell:<{width}}" if i < 2 else f"{cell:>{width}}"
            for i, (cell, (_, width)) in enumerate(zip(cells, columns, strict=True))
        )

    heading = table_row(*(name for name, _ in columns))
    print(heading)
    print("-" * len(heading))
    for size, row in rows.items():
        for side, label in SIDES.items():
            r = row[side]
            print(
                table_row(
                    model_name(size),
                    label,
                    f"{r['cold_s']:.2f}",
                    f"{r['cold_cpu_s']:.2f}",
                    f"{r['warm_s'] * 1000:.1f}" if "warm_s" in r else "-",
                    f"{r['peak_rss_mb']:.0f}",
                    f"{r['weight_bytes']:,.0f}",
                    f"{r['weight_bytes'] / row['total']:.2%}",
                    f"{r['resident_before']:,}",
                )
            )
    print(
        "share: of the checkpoint's weight bytes; evicted: weight bytes still cached before the run"
    )
    print()
    for size, row in rows.items():
        ours, naive, read = row["openboard"], row["naive"], row["naive-read"]
        empty, full = row["calibration"]
        print(
            f"{model_name(size)}: {row['total']:,} B of weights in {row['shards']} shards; "
            f"calibration: {empty:,} B cached after eviction, {full:,} B after reading it all"
        )
        print(
            f"  naive/openboard: cold time {naive['cold_s'] / ours['cold_s']:.1f}x "
            f"(naive+read {read['cold_s'] / ours['cold_s']:.1f}x), naive cold over openboard "
            f"warm {naive['cold_s'] / ours['warm_s']:.0f}x (naive+read "
            f"{read['cold_s'] / ours['warm_s']:.0f}x); openboard's cold minus warm, "
            f"{ours['cold_s'] - ours['warm_s']:.2f} s, is start-up (imports: torch, transformers)"
        )
        print(
            f"  peak RSS {naive['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x (naive+read "
            f"{read['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x); openboard read "
            f"{ours['weight_bytes']:,.0f} B of weights for {row['headers']:,} B of safetensors "
            f"headers (the rest is kernel read-ahead)"
        )
        print(
            f"  parameters: openboard counts {ours['params']:,.0f} from the headers; AutoModel "
            f"builds {naive['params']:,.0f} (the base model, without lm_head)"
        )
    print()
    for size, row in rows.items():
        ours, naive, read = row["openboard"], row["naive"], row["naive-read"]
        tag = f"{size}b"
        figures = {
            "weight_bytes": row["total"],
            "calibration_cached_after_evict_bytes": row["calibration"][0],
            "calibration_cached_after_full_read_bytes": row["calibration"][1],
            "openboard_warm_ms": f"{ours['warm_s'] * 1000:.1f}",
            "openboard_cold_s": f"{ours['cold_s']:.2f}",
            "openboard_cold_cpu_s": f"{ours['cold_cpu_s']:.2f}",
            "openboard_peak_rss_mb": f"{ours['peak_rss_mb']:.0f}",
            "openboard_weight_bytes_read": f"{ours['weight_bytes']:.0f}",
            "openboard_header_bytes": row["headers"],
            "naive_s": f"{naive['cold_s']:.2f}",
            "naive_cpu_s": f"{naive['cold_cpu_s']:.2f}",
            "naive_peak_rss_mb": f"{naive['peak_rss_mb']:.0f}",
            "naive_weight_bytes_read": f"{naive['weight_bytes']:.0f}",
            "naive_read_s": f"{read['cold_s']:.2f}",
            "naive_read_cpu_s": f"{read['cold_cpu_s']:.2f}",
            "naive_read_peak_rss_mb": f"{read['peak_rss_mb']:.0f}",
            "naive_read_weight_bytes_read": f"{read['weight_bytes']:.0f}",
            "speedup_cold": f"{naive['cold_s'] / ours['cold_s']:.1f}",
            "speedup_cold_read": f"{read['cold_s'] / ours['cold_s']:.1f}",
            "speedup_warm": f"{naive['cold_s'] / ours['warm_s']:.0f}",
            "speedup_warm_read": f"{read['cold_s'] / ours['warm_s']:.0f}",
            "memory_ratio": f"{naive['peak_rss_mb'] / ours['peak_rss_mb']:.1f}",
            "memory_ratio_read": f"{read['peak_rss_mb'] / ours['peak_rss_mb']:.1f}",
        }
        for name, value in figures.items():
            print(f"{name}_{tag}: {value}")


if __name__ == "__main__":
    main()
