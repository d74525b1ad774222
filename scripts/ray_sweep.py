#!/usr/bin/env python3
"""Run a kalshi-bot parameter sweep as N shards on Ray, then merge them.

One Ray task per shard calls the `kalshi-bot` binary:

    kalshi-bot backtest <BACKTEST ARGS> --shard K/N --threads 1 --report OUT/shard-K

and, once every task is done, `kalshi-bot sweep merge OUT/shard-1 ... OUT/shard-N --out OUT`
prints the same table an unsharded sweep prints and writes OUT/sweep.json.

    pip install -r scripts/requirements-cluster.txt      # ray, only when you want this
    python3 scripts/ray_sweep.py --bin target/release/kalshi-bot --shards 4 --out sweep-out \
        -- --journal s3://journals/recorded/date=2026-12-07/run=RUN \
           --sweep strategy.fair_offset_ticks=1,2,3 --sweep fill.cancel_position=front,back

Without --address, Ray starts on this machine with --workers CPUs (default: the shard
count); with --address (e.g. `auto` inside a cluster) the tasks go to that cluster, and every
node must have the binary at --bin and reach the journals (an s3:// URL reads them from the
bucket with the node's AWS_* settings). Exit status: 0 when every shard and the merge
succeeded, 1 otherwise (the failing shard's stderr is printed).
"""

import argparse
import os
import subprocess
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s --bin PATH --shards N --out DIR [--workers W] [--address ADDR] -- BACKTEST_ARGS...",
    )
    parser.add_argument("--bin", required=True, help="path of the kalshi-bot binary")
    parser.add_argument("--shards", type=int, required=True, help="number of shards N")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="CPUs of the local Ray instance (default: N); ignored with --address",
    )
    parser.add_argument("--address", default=None, help="address of an existing Ray cluster")
    parser.add_argument("backtest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.backtest_args and args.backtest_args[0] == "--":
        args.backtest_args = args.backtest_args[1:]
    if args.shards < 1:
        parser.error("--shards must be at least 1")
    if not any(arg == "--sweep" or arg.startswith("--sweep=") for arg in args.backtest_args):
        parser.error("the backtest arguments need at least one --sweep KEY=V1,V2")
    return args


def run_shard(binary, backtest_args, shard, shards, report):
    """Runs one shard; returns (shard, exit code, stdout, stderr, seconds)."""
    started = time.monotonic()
    command = [
        binary,
        "backtest",
        *backtest_args,
        "--shard",
        f"{shard}/{shards}",
        "--threads",
        "1",
        "--report",
        report,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return shard, done.returncode, done.stdout, done.stderr, time.monotonic() - started


def main(argv):
    args = parse_args(argv)
    import ray  # imported here so --help works without it

    binary = os.path.abspath(args.bin)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    started = time.monotonic()
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.workers or args.shards, include_dashboard=False)
    ready = time.monotonic()
    task = ray.remote(num_cpus=1)(run_shard)
    reports = [os.path.join(out, f"shard-{k}") for k in range(1, args.shards + 1)]
    pending = [
        task.remote(binary, args.backtest_args, k, args.shards, reports[k - 1])
        for k in range(1, args.shards + 1)
    ]
    failed = False
    for shard, code, stdout, stderr, seconds in sorted(ray.get(pending)):
        print(f"shard {shard}/{args.shards}: exit {code} in {seconds:.1f} s", file=sys.stderr)
        if code != 0:
            failed = True
            sys.stderr.write(stderr)
    shards_done = time.monotonic()
    ray.shutdown()
    if failed:
        return 1
    merge = subprocess.run(
        [binary, "sweep", "merge", *reports, "--out", out],
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stdout.write(merge.stdout)
    sys.stderr.write(merge.stderr)
    print(
        f"wall time: {time.monotonic() - started:.1f} s "
        f"(ray start {ready - started:.1f} s, shards {shards_done - ready:.1f} s)",
        file=sys.stderr,
    )
    return merge.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
