#!/usr/bin/env python3
"""The engine's own exec floor: one exec of CMD in each container, through
the raw Docker API calls and nothing else, N at a time.

    exec_floor.py [--host URL] [--concurrency N] ID... -- CMD ARGS...

For each container: POST /containers/ID/exec (stdout and stderr attached,
no TTY), POST /exec/EID/start attached (the connection upgraded, as the
docker CLI and bollard do it; the multiplexed stream read to its end),
then GET /exec/EID/json until it says Running: false, and the exit code
must be 0. One new connection per request, N containers in flight from a
thread pool. URL is unix:///PATH (default unix:///var/run/docker.sock) or
tcp://HOST:PORT (plain, as the testbed serves it).

Prints `elapsed=SECONDS` last: the time from the first request to the
last answer, without this program's start-up, so it is a floor for any
client (scripts/bench_timer.py reads it for a self-timed command). Used
by scripts/bench-actions.sh; see docs/benchmarks.md.
"""
import concurrent.futures
import json
import socket
import sys
import time

TIMEOUT = 120.0  # seconds any one socket operation may take
INSPECT_DEADLINE = 60.0  # seconds an exec may go on saying Running: true


def connect(host):
    if host.startswith("unix://"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        sock.connect(host[len("unix://"):])
        return sock
    if host.startswith("tcp://"):
        addr, _, port = host[len("tcp://"):].rstrip("/").rpartition(":")
        sock = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
        return sock
    sys.exit(f"exec_floor: not a unix:// or tcp:// URL: {host}")


def read_all(sock):
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def request(host, method, path, body=None, upgrade=False):
    """One request on its own connection; (status, headers text, body bytes)."""
    data = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", "Host: docker"]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    head += ["Connection: Upgrade", "Upgrade: tcp"] if upgrade else ["Connection: close"]
    sock = connect(host)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        raw = read_all(sock)
    finally:
        sock.close()
    header, _, rest = raw.partition(b"\r\n\r\n")
    lines = header.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    if "transfer-encoding: chunked" in header.decode(errors="replace").lower():
        rest = dechunk(rest)
    return status, rest


def dechunk(data):
    out, pos = [], 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


def exec_once(host, container, cmd):
    status, body = request(
        host,
        "POST",
        f"/containers/{container}/exec",
        {"AttachStdout": True, "AttachStderr": True, "Tty": False, "Cmd": cmd},
    )
    if status != 201:
        raise RuntimeError(f"exec create in {container}: HTTP {status}: {body[:200]!r}")
    exec_id = json.loads(body)["Id"]
    status, _ = request(
        host, "POST", f"/exec/{exec_id}/start", {"Detach": False, "Tty": False}, upgrade=True
    )
    if status not in (101, 200):
        raise RuntimeError(f"exec start in {container}: HTTP {status}")
    deadline = time.monotonic() + INSPECT_DEADLINE
    while True:
        status, body = request(host, "GET", f"/exec/{exec_id}/json")
        if status != 200:
            raise RuntimeError(f"exec inspect in {container}: HTTP {status}")
        info = json.loads(body)
        if not info.get("Running"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"exec in {container} still running after {INSPECT_DEADLINE} s")
    if info.get("ExitCode") != 0:
        raise RuntimeError(f"exec in {container} exited {info.get('ExitCode')}")


def main():
    args = sys.argv[1:]
    host, concurrency = "unix:///var/run/docker.sock", 8
    while args and args[0].startswith("--") and args[0] != "--":
        if args[0] == "--host":
            host, args = args[1], args[2:]
        elif args[0] == "--concurrency":
            concurrency, args = int(args[1]), args[2:]
        else:
            sys.exit(f"exec_floor: unknown option {args[0]}")
    if "--" not in args:
        sys.exit("usage: exec_floor.py [--host URL] [--concurrency N] ID... -- CMD ARGS...")
    split = args.index("--")
    containers, cmd = args[:split], args[split + 1 :]
    if not containers or not cmd:
        sys.exit("exec_floor: no containers or no command")
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for result in pool.map(lambda c: exec_once(host, c, cmd), containers):
            pass
    elapsed = time.perf_counter() - started
    print(f"elapsed={elapsed:.6f}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        sys.exit(f"exec_floor: {e}")
