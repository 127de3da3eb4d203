"""Passage encoding: speed of every precision path against the model card loop and ONNX Runtime peers, and
accuracy of the faster paths on real weights.

Speed: a BERT-base DPR context encoder from ``DPRConfig()`` defaults (RDR's exact architecture and cost, random
weights: no RDR weights load offline) on real squad-dev-a passages of about 126 tokens. Accuracy: the stand-in
all-MiniLM-L6-v2 (real weights, BERT architecture; random weights hide quantisation outliers) on all of
squad-dev-a. Only ratios within one run mean anything; other processes on the machine add noise, so each speed
is the best of ``--rounds`` interleaved runs.

    python -m benchmarks.bench_encode                      # full run (a few minutes on 2 cores)
    python -m benchmarks.bench_encode --passages 16 --rounds 1 --questions 300   # quick look
"""

from __future__ import annotations

import argparse
import functools
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks._common import (
    MINILM_DIR,
    OpenVinoPeer,
    OrtPeer,
    bert_gflop_per_input,
    best_of,
    build_dpr_pair,
    cosines,
    load_squad,
    machine_line,
    matmul_rates,
    onnxruntime_available,
    top_k,
)
from rdr_search.encoders import (
    PRECISIONS,
    EncoderPair,
    EncoderSpec,
    Tokens,
    cpu_has_native_bf16,
    openvino_available,
    resolve_precision,
)
from rdr_search.evaluation import answer_recall, dpr_normalize_question
from rdr_search.settings import Settings

KS = (1, 5, 20)


def _paths(args: argparse.Namespace) -> dict[str, tuple[str, str]]:
    """rdr-search's own paths: label -> (precision, runtime); the openvino runtime where it is installed."""
    # Without native bf16 torch emulates it (~0.3 GFLOP/s on AVX2, minutes per passage): not worth timing.
    skipped = set() if cpu_has_native_bf16() else {"bf16"}
    if skipped:
        print("(this CPU has no native bf16: rdr-search bf16 skipped; auto resolves to fp32 here)")
    paths = {f"rdr-search {p}": (p, "torch") for p in PRECISIONS if p != "auto" and p not in skipped}
    if openvino_available() and not args.no_peers:
        paths.update({f"rdr-search openvino {p}": (p, "openvino") for p in ("fp32", "bf16", "int8")})
    return paths


def _quiet_load(spec: EncoderSpec, path: tuple[str, str], batch_size: int, cache: Path) -> EncoderPair:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    precision, runtime = path
    settings = Settings(
        precision=precision, runtime=runtime, runtime_cache=str(cache), device="cpu", batch_size=batch_size
    )
    return EncoderPair(spec, settings)


def _typical_passages(pair: EncoderPair, count: int) -> tuple[list[str], list[str]]:
    """(titles, texts) of ``count`` squad-dev-a passages of 110-145 tokens, the usual size of a 100-word passage."""
    squad, _ = load_squad(0)
    lengths = [len(t) for t in pair.tokenize_passages([p.title for p in squad], [p.text for p in squad])]
    chosen = [p for p, n in zip(squad, lengths, strict=True) if 110 <= n <= 145][:count]
    return [p.title for p in chosen], [p.text for p in chosen]


def _model_card_loop(ctx_dir: Path, titles: list[str], texts: list[str]) -> Callable[[], np.ndarray]:
    """The model card recipe, one passage at a time with transformers alone: the baseline of every ratio."""
    from transformers import DPRContextEncoder, DPRContextEncoderTokenizerFast

    tokenizer = DPRContextEncoderTokenizerFast.from_pretrained(str(ctx_dir))
    model = DPRContextEncoder.from_pretrained(str(ctx_dir)).eval()

    def run() -> np.ndarray:
        with torch.no_grad():
            out = [
                model(**tokenizer(title, text, return_tensors="pt")).pooler_output[0]
                for title, text in zip(titles, texts, strict=True)
            ]
        return torch.stack(out).numpy()

    return run


def _compiled_bf16(spec: EncoderSpec, args: argparse.Namespace, workdir: Path) -> EncoderPair:
    """The default bf16 pair with its context tower under ``torch.compile`` (inductor, weights frozen and
    prepacked, dynamic shapes so every batch shape shares one compilation): an experiment, not a runtime."""
    import torch._inductor.config as inductor

    inductor.freezing = True
    inductor.cpp.weight_prepack = True
    pair = _quiet_load(spec, ("bf16", "torch"), args.batch_size, workdir / "runtimes")
    pair.ctx.model = torch.compile(pair.ctx.model, dynamic=True)
    started = time.perf_counter()
    pair.encode_passages(["warm-up"], ["one passage compiles the graph"])
    print(f"(torch.compile of the context tower, first call: {time.perf_counter() - started:.0f} s)")
    return pair


def _peer_runs(
    pairs: dict[str, EncoderPair], tokens: list[Tokens], args: argparse.Namespace, folder: Path
) -> dict[str, Callable[[], np.ndarray]]:
    """The ONNX Runtime fp32/int8 and OpenVINO f32/bf16 peers of the fp32 tower (none when skipped or absent)."""
    if args.no_peers:
        return {}
    encoder = pairs["rdr-search fp32"].ctx
    runs: dict[str, Callable[[], np.ndarray]] = {}
    if onnxruntime_available():
        started = time.perf_counter()
        peer = OrtPeer(encoder, folder, torch.get_num_threads())
        print(f"(ONNX export + dynamic int8 quantisation of the peer: {time.perf_counter() - started:.0f} s)")
        for which in ("fp32", "int8"):
            runs[f"ONNX Runtime {which}"] = functools.partial(peer.encode, which, tokens, args.batch_size, encoder.dim)
    else:
        print("(onnxruntime is not installed: its peers skipped; pip install onnxruntime onnx)")
    converted = getattr(pairs.get("rdr-search openvino fp32"), "ctx", None)
    if converted is not None and converted.compiled is not None:
        ov_peer = OpenVinoPeer(converted.compiled.converted.xml, torch.get_num_threads())
        for which in ("f32", "bf16"):
            runs[f"OpenVINO {which}"] = functools.partial(ov_peer.encode, which, tokens, args.batch_size, encoder.dim)
    else:
        print("(openvino is not installed: its peers skipped; pip install openvino)")
    return runs


def _print_speed(rate: dict[str, float], vectors: dict[str, Any], peers: list[str], gflop_s: float) -> None:
    """The speed table: passages per second, ratios to the model card loop and the fastest peer, and the
    fraction of the machine's best matrix-product rate each path reaches (``gflop_s``: GFLOP/s per passage/s)."""
    header = "| path | passages/s | x model card loop | x fastest peer | % of matmul rate | min cos vs fp32 (random) |"
    print(header + "\n|---|---:|---:|---:|---:|---:|")
    fastest_peer = max(peers, key=lambda n: rate[n]) if peers else None
    for name in rate:
        vs_peer = f"{rate[name] / rate[fastest_peer]:.2f}" if fastest_peer else "-"
        cos = cosines(vectors["rdr-search fp32"], vectors[name]).min()
        print(
            f"| {name} | {rate[name]:.1f} | {rate[name] / rate['model card loop']:.2f} | {vs_peer} | "
            f"{100 * rate[name] / gflop_s:.0f}% | {cos:.4f} |"
        )
    if fastest_peer:
        print(f"\nfastest peer: {fastest_peer}")


def speed(args: argparse.Namespace, workdir: Path) -> None:
    """Passages per second on the BERT-base DPR stand-in, as a table of ratios."""
    ctx_dir, question_dir = build_dpr_pair(workdir / "dpr", question_layers=1)
    spec = EncoderSpec.pair(str(ctx_dir), str(question_dir))
    pairs = {}
    for name, path in _paths(args).items():
        started = time.perf_counter()
        pairs[name] = _quiet_load(spec, path, args.batch_size, workdir / "runtimes")
        if path == ("fp32", "openvino"):
            print(f"(first load of the openvino runtime, conversion included: {time.perf_counter() - started:.0f} s)")
    if args.torch_compile and "rdr-search bf16" in pairs:
        pairs["torch.compile bf16 (experiment)"] = _compiled_bf16(spec, args, workdir)
    titles, texts = _typical_passages(pairs["rdr-search fp32"], args.passages)
    tokens = pairs["rdr-search fp32"].tokenize_passages(titles, texts)
    runs: dict[str, Callable[[], object]] = {"model card loop": _model_card_loop(ctx_dir, titles, texts)}
    for name, pair in pairs.items():
        runs[name] = functools.partial(pair.encode_passages, titles, texts)
    peers = _peer_runs(pairs, tokens, args, workdir / "onnx-dpr")
    runs.update(peers)

    best_of(1, {name: run for name, run in runs.items() if name != "model card loop"})  # warm every path once
    vectors: dict[str, Any] = {}
    seconds = best_of(args.rounds, runs, vectors)
    print("\n## Encoding speed: BERT-base DPR context encoder (DPRConfig() defaults, random weights)")
    print(
        f"{len(titles)} squad-dev-a passages, mean {np.mean([len(t) for t in tokens]):.0f} tokens, "
        f"batch {args.batch_size}, best of {args.rounds} interleaved rounds; {machine_line()}"
    )
    cpu = torch.device("cpu")
    print(
        f"auto resolves to: {resolve_precision('auto', cpu)} on the torch runtime, "
        f"{resolve_precision('auto', cpu, 'openvino')} with --runtime openvino"
    )
    config = pairs["rdr-search fp32"].ctx.model.config
    mean_tokens = float(np.mean([len(t) for t in tokens]))
    rates = matmul_rates(config, args.batch_size * round(mean_tokens))
    gflop = bert_gflop_per_input(config, mean_tokens)
    best = max(rates.values())
    print(
        f"matmul probe (BERT-base shapes, {args.batch_size}x{mean_tokens:.0f} tokens): "
        + ", ".join(f"{n} {r:.0f} GFLOP/s" for n, r in rates.items())
        + f"; {gflop:.1f} GFLOP per passage, so the best rate allows {best / gflop:.1f} passages/s\n"
    )
    _print_speed({name: len(titles) / s for name, s in seconds.items()}, vectors, list(peers), best / gflop)


Encoded = dict[str, tuple[np.ndarray, np.ndarray, float]]
"""Per path: (passage vectors, question vectors, seconds)."""


def _encode_all(
    args: argparse.Namespace, workdir: Path, titles: list[str], texts: list[str], questions: list[str]
) -> Encoded:
    """Every path (and the ONNX Runtime int8 peer) over the same passages and questions; the openvino
    runtime's rows are also the accuracy of the OpenVINO peers, which run the same converted model."""
    spec = EncoderSpec.single(str(MINILM_DIR))
    results: Encoded = {}
    for name, path in _paths(args).items():
        pair = _quiet_load(spec, path, args.batch_size, workdir / "runtimes")
        started = time.perf_counter()
        p_vec = pair.encode_passages(titles, texts)
        q_vec = pair.encode_questions(questions)
        results[name] = (p_vec, q_vec, time.perf_counter() - started)
        if path == ("fp32", "torch") and onnxruntime_available() and not args.no_peers:
            peer = OrtPeer(pair.ctx, workdir / "onnx-minilm", torch.get_num_threads())
            started = time.perf_counter()
            p_tok, q_tok = pair.tokenize_passages(titles, texts), pair.question.tokenize(questions)
            results["ONNX Runtime int8 (peer)"] = (
                peer.encode("int8", p_tok, args.batch_size, pair.dim),
                peer.encode("int8", q_tok, args.batch_size, pair.dim),
                time.perf_counter() - started,
            )
        del pair
        gc.collect()
    return results


def _print_accuracy(results: Encoded, answers: list[list[str]], texts: list[str]) -> None:
    """The accuracy table: agreement with fp32 vectors and rankings, and answer recall."""
    print(
        "| path | min cos passages | min cos questions | top-10 overlap mean (min) | "
        + " | ".join(f"R@{k}" for k in KS)
        + " | max abs R delta | seconds |"
    )
    print("|---|---:|---:|---:|" + "---:|" * len(KS) + "---:|---:|")
    ref_p, ref_q, _ = results["rdr-search fp32"]
    ref_top = top_k(ref_q, ref_p, 10)
    ref_recall = None
    for name, (p_vec, q_vec, seconds) in results.items():
        top = top_k(q_vec, p_vec, max(KS))
        recall = answer_recall(answers, [[texts[i] for i in row] for row in top], KS)
        ref_recall = ref_recall or recall
        overlap = np.array([len(set(a) & set(b)) / 10 for a, b in zip(top[:, :10], ref_top, strict=True)])
        delta = max(abs(recall[k] - ref_recall[k]) for k in KS)
        figures = " | ".join(f"{recall[k]:.2f}" for k in KS)
        print(
            f"| {name} | {cosines(ref_p, p_vec).min():.4f} | {cosines(ref_q, q_vec).min():.4f} | "
            f"{overlap.mean():.3f} ({overlap.min():.1f}) | {figures} | {delta:.2f} | {seconds:.1f} |"
        )


def accuracy(args: argparse.Namespace, workdir: Path) -> None:
    """Faster paths against fp32 on real weights (all-MiniLM-L6-v2, stand-in) over squad-dev-a."""
    passages, qas = load_squad(args.questions or None)
    if args.accuracy_passages:
        passages = passages[: args.accuracy_passages]
    titles, texts = [p.title for p in passages], [p.text for p in passages]
    questions = [dpr_normalize_question(q.question) for q in qas]
    results = _encode_all(args, workdir, titles, texts, questions)
    print("\n## Accuracy on real weights: all-MiniLM-L6-v2 (stand-in), squad-dev-a")
    print(
        f"{len(passages)} passages, {len(questions)} questions; targets: min cos >= 0.99, top-10 overlap >= 0.9, "
        "recall within 0.5 points of fp32\n"
    )
    _print_accuracy(results, [q.answers for q in qas], texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=40, help="passages timed per path (speed)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved timing rounds; the best counts")
    parser.add_argument("--questions", type=int, default=0, help="questions for accuracy (0: all 5397)")
    parser.add_argument("--accuracy-passages", type=int, default=0, help="passages for accuracy (0: all 1023)")
    parser.add_argument("--batch-size", type=int, default=Settings().batch_size)
    parser.add_argument("--threads", type=int, default=2, help="torch and ONNX Runtime threads")
    parser.add_argument("--no-peers", action="store_true", help="skip the ONNX Runtime and OpenVINO paths")
    parser.add_argument(
        "--torch-compile", action="store_true", help="also time the bf16 tower under torch.compile (an experiment)"
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="rdr-bench-") as tmp:
        if not args.skip_speed:
            speed(args, Path(tmp))
        if not args.skip_accuracy:
            accuracy(args, Path(tmp))


if __name__ == "__main__":
    main()
