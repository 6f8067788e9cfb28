#!/usr/bin/env python3
"""Hostile HTTP clients, an RSS and /healthz sampler, and the report for bench/hostile_mix.sh.

Python 3 standard library only. bench/hostile_mix.sh runs it; by hand:
  hostile_clients.py attack KIND --port P --seconds S --out F.json [--conns N] [--idle-timeout S]
  hostile_clients.py sample --pid PID --port P --seconds S --out F.json
  hostile_clients.py probe --port P [--warm N]       (exit 0 once /healthz answers 200)
  hostile_clients.py rss --pid PID --seconds S       (prints the median VmRSS in kB)
  hostile_clients.py report DIR                      (prints the summary; exit 1 on a failure)
KINDS lists the attack kinds. Each attempt is classified as expected (the documented 4xx, or
the server closing the connection) or not; `report` fails on any unexpected outcome.
"""
import argparse
import collections
import json
import os
import random
import re
import resource
import selectors
import socket
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"
CLOSE_WAIT_S = 10.0  # how long an attempt waits for the server's answer and close
STREAM_CAP = 8 << 20  # an endless body that got no answer after this many bytes is a failure


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------------------------------------
# Reading answers


def parse_responses(data):
    """Splits the bytes a server sent into responses: (statuses, headers of the first, junk)."""
    statuses, first_headers = [], {}
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return statuses, first_headers, True
        lines = data[:end].decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            return statuses, first_headers, True
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if not statuses:
            first_headers = headers
        statuses.append(int(m.group(1)))
        length = int(headers.get("content-length", "0") or 0)
        data = data[end + 4 + length:]
    return statuses, first_headers, False


def first_response_complete(data):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", data[:end], re.I)
    return len(data) >= end + 4 + (int(m.group(1)) if m else 0)


def read_answer(sock, deadline):
    """Reads until the server closes. After the first complete response, shuts the sending side
    so a server draining the rest of a refused request closes at once. Returns (data, how)."""
    data, shut = b"", False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, "timeout"
        except (ConnectionResetError, BrokenPipeError):
            return data, "reset"
        if not chunk:
            return data, "eof"
        data += chunk
        if not shut and first_response_complete(data):
            shut = True
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def classify(data, how, expected):
    """An attempt's label and whether it is what the server should do."""
    statuses, headers, junk = parse_responses(data)
    if junk:
        return f"unparsable answer ({data[:40]!r})", False
    if not statuses:
        if how == "timeout":
            return f"no answer, connection left open after {CLOSE_WAIT_S:.0f} s", False
        return ("closed, no answer" if how == "eof" else "reset, no answer"), True
    status = statuses[0]
    if len(statuses) > 1:
        return f"{status}, then another response {statuses[1:]} (the rest was read!)", False
    closes = headers.get("connection", "").lower() == "close"
    if how == "timeout":
        return f"{status}, connection left open after {CLOSE_WAIT_S:.0f} s", False
    label = f"{status}, closed" if closes else f"{status} without Connection: close"
    # 503 is the answer to any connection past the server's cap (an idle flood larger than it).
    if status == 503 and closes:
        return "503, closed (over the connection cap)", True
    return label, status in expected and closes


# ---------------------------------------------------------------------------------------------
# Short attacks: one connection each, answered (4xx) or closed


def request(path, headers, body=b"", method="POST", version="1.1"):
    head = f"{method} {path} HTTP/{version}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
    return head.encode("latin-1") + body


SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def chunked_head(path):
    return request(path, ["Host: localhost", "Transfer-Encoding: chunked"])


def one_shot_variants():
    """kind -> [(variant, bytes to send, expected statuses)]; SMUGGLED follows each smuggling
    attempt: a second response means the server read it as a request."""
    h = "Host: localhost"
    smuggling = [
        ("TE chunked + CL", request("/factorial", [h, "Transfer-Encoding: chunked",
                                                   "Content-Length: 5"], b"0\r\n\r\n"), {400}),
        ("CL + TE chunked", request("/factorial", [h, "Content-Length: 5",
                                                   "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
         {400}),
        ("TE xchunked", request("/factorial", [h, "Transfer-Encoding: xchunked"], b"0\r\n\r\n"),
         {400}),
        ("TE chunked, identity", request("/shout", [h, "Transfer-Encoding: chunked, identity"],
                                         b"0\r\n\r\n"), {400}),
        ("TE chunked twice", request("/factorial", [h, "Transfer-Encoding: chunked",
                                                    "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
         {400}),
        ("TE in HTTP/1.0", request("/factorial", [h, "Transfer-Encoding: chunked"], b"0\r\n\r\n",
                                   version="1.0"), {400}),
        ("TE gzip, chunked", request("/factorial", [h, "Transfer-Encoding: gzip, chunked"],
                                     b"0\r\n\r\n"), {501}),
        ("'Transfer-Encoding :'", request("/factorial", [h, "Transfer-Encoding : chunked"],
                                          b"0\r\n\r\n"), {400}),
        ("two Content-Lengths", request("/factorial", [h, "Content-Length: 4",
                                                       "Content-Length: 5"], b"[10]x"), {400}),
        ("duplicate Host", request("/factorial?args=3", [h, "Host: evil"], method="GET"), {400}),
        ("no Host", request("/factorial?args=3", [], method="GET"), {400}),
    ]
    oversize_headers = [
        ("one 20 KiB field", request("/factorial?args=3", [h, "X-Big: " + "a" * 20000],
                                     method="GET"), {431}),
        ("3000 fields", request("/factorial?args=3", [h] + [f"X-{i}: v" for i in range(3000)],
                                method="GET"), {431}),
        ("20 KiB target", request("/factorial?args=3&" + "a" * 20000, [h], method="GET"), {431}),
    ]
    trailers_oversize = [
        ("one 5000-byte trailer", chunked_head("/factorial") + b"4\r\n[10]\r\n0\r\nX-T: " +
         b"a" * 5000 + b"\r\n\r\n", {431}),
        ("200 trailers", chunked_head("/shout") + b"5\r\nhello\r\n0\r\n" +
         b"".join(b"X-T%d: aaaaaaaaaaaaaaaaaaaaaaaa\r\n" % i for i in range(200)) + b"\r\n",
         {431}),
    ]
    return {"smuggling": smuggling, "oversize_headers": oversize_headers,
            "trailers_oversize": trailers_oversize}


def garbage_variant(rng):
    kind = rng.randrange(3)
    if kind == 0:
        return "random bytes", rng.randbytes(rng.randrange(16, 4096)) + b"\r\n\r\n", {400}
    if kind == 1:
        return "binary after a request line", (b"GET / HTTP/1.1\r\n" +
                                               rng.randbytes(rng.randrange(16, 2048)) +
                                               b"\r\n\r\n"), {400}
    return "random bytes, then half-close", rng.randbytes(rng.randrange(16, 4096)), {400}


# Endless bodies: the head, then one piece sent again and again until the server answers.
STREAMS = {
    "trailers_endless": [
        ("trailer lines forever", chunked_head("/factorial") + b"4\r\n[10]\r\n0\r\n",
         b"X-Trailer: aaaaaaaaaaaaaaaa\r\n", {431}),
        ("one trailer line forever", chunked_head("/shout") + b"5\r\nhello\r\n0\r\nX-T: ",
         b"a" * 64, {431}),
    ],
    "chunk_ext_flood": [
        ("extension on every chunk", chunked_head("/factorial"),
         b"1;ext=aaaaaaaaaaaaaaaaaaaaaaaa\r\n \r\n", {400}),
        ("one endless extension", chunked_head("/shout") + b"5;e=", b"a" * 64, {400}),
        ("many extensions on one chunk", chunked_head("/shout") + b"5", b";a=b" * 16, {400}),
    ],
    "one_byte_chunks": [
        ("1-byte chunks", chunked_head("/factorial"), b"1\r\n \r\n", {400}),
        ("1-byte chunks, zero padded", chunked_head("/shout"), b"0000000001\r\na\r\n", {400}),
        ("chunk-size line of zeros", chunked_head("/factorial"), b"0" * 64, {400}),
    ],
}


def stream_attempt(port, head, piece, deadline):
    """Sends head, then piece until the server sends something; returns (data, how)."""
    sock = socket.create_connection((HOST, port), timeout=5)
    try:
        sock.sendall(head)
        sock.setblocking(False)
        batch, sent = piece * max(1, 1024 // len(piece)), 0
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        answered = False
        while time.monotonic() < deadline and sent < STREAM_CAP:
            events = sel.select(timeout=0.5)
            if any(mask & selectors.EVENT_READ for _, mask in events):
                answered = True
                break
            if events:
                try:
                    sent += sock.send(batch)
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    answered = True
                    break
        sel.close()
        sock.setblocking(True)
        if not answered:
            return b"", f"no answer after {sent} bytes"
        return read_answer(sock, time.monotonic() + CLOSE_WAIT_S)
    finally:
        sock.close()


def one_shot_attempt(port, payload, half_close, deadline):
    sock = socket.create_connection((HOST, port), timeout=5)
    try:
        try:
            sock.sendall(payload)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before the whole payload is in: read its answer
        return read_answer(sock, deadline)
    finally:
        sock.close()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = collections.Counter()  # (label, ok) -> count
        self.attempts = 0

    def add(self, label, ok):
        with self.lock:
            self.attempts += 1
            self.outcomes[(label, ok)] += 1

    def result(self, kind, **extra):
        return {"kind": kind, "attempts": self.attempts,
                "outcomes": [{"label": l, "ok": ok, "count": c}
                             for (l, ok), c in sorted(self.outcomes.items(), key=lambda x: -x[1])],
                **extra}


def run_short(kind, port, seconds, workers, pause):
    tally, stop_at = Tally(), time.monotonic() + seconds
    variants = one_shot_variants().get(kind)

    def worker(seed):
        rng = random.Random(seed)
        i = seed
        while time.monotonic() < stop_at:
            deadline = time.monotonic() + CLOSE_WAIT_S
            try:
                if kind in STREAMS:
                    name, head, piece, expected = STREAMS[kind][i % len(STREAMS[kind])]
                    data, how = stream_attempt(port, head, piece, deadline + 5)
                elif kind == "garbage":
                    name, payload, expected = garbage_variant(rng)
                    data, how = one_shot_attempt(port, payload, "half-close" in name, deadline)
                else:
                    name, payload, expected = variants[i % len(variants)]
                    data, how = one_shot_attempt(port, payload, False, deadline)
                if how.startswith("no answer after"):
                    label, ok = how, False
                else:
                    label, ok = classify(data, how, expected)
            except OSError as e:
                name, label, ok = "connect", f"connect/send failed: {e.__class__.__name__}", False
            tally.add(f"{name}: {label}", ok)
            i += workers
            time.sleep(pause)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 3 * CLOSE_WAIT_S)
    return tally.result(kind)


# ---------------------------------------------------------------------------------------------
# Floods: many connections held open (idle: silent; slowloris: a header byte every few seconds)


def run_flood(kind, port, seconds, conns, idle_timeout, interval):
    """Keeps `conns` connections open; one the server closes is opened again. A connection is
    expected to be closed by the server, without an answer, within the idle timeout (+ slack)."""
    slack = 10.0
    sel = selectors.DefaultSelector()
    tally, live, start = Tally(), {}, time.monotonic()
    stop_at = start + seconds
    head = b"GET /factorial?args=5 HTTP/1.1\r\nHost: localhost\r\n"
    trickle = b"X-Slow-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    connect_failures = collections.Counter()
    peak_open = 0

    def open_one():
        try:
            s = socket.create_connection((HOST, port), timeout=3)
        except OSError as e:
            connect_failures[e.__class__.__name__] += 1
            return False
        s.setblocking(False)
        now = time.monotonic()
        st = {"opened": now, "sent": 0, "next": now + random.uniform(0, interval or 1)}
        if interval:
            try:
                s.send(head)
            except OSError:
                pass
        live[s] = st
        sel.register(s, selectors.EVENT_READ)
        return True

    def finish(s, label, ok):
        sel.unregister(s)
        s.close()
        del live[s]
        tally.add(label, ok)

    def bucket(age):
        lo = int(age // 5) * 5
        return f"{lo}-{lo + 5} s"

    while time.monotonic() < stop_at:
        # Top up to `conns` (a bounded number per turn, so reads and sends keep their pace).
        opened = 0
        while len(live) < conns and opened < 500 and time.monotonic() < stop_at:
            if not open_one():
                time.sleep(0.05)
                break
            opened += 1
        peak_open = max(peak_open, len(live))
        for key, _ in sel.select(timeout=0.1):
            s, st = key.fileobj, live[key.fileobj]
            age = time.monotonic() - st["opened"]
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                finish(s, f"reset by server after {bucket(age)}", age <= idle_timeout + slack)
                continue
            except BlockingIOError:
                continue
            if not data:
                finish(s, f"closed by server, no answer, after {bucket(age)}",
                       age <= idle_timeout + slack)
            else:
                statuses, _, _ = parse_responses(data)
                st_ = statuses[0] if statuses else "?"
                finish(s, f"answered {st_} after {bucket(age)}",
                       isinstance(st_, int) and 400 <= st_ < 500)
        if interval:
            now = time.monotonic()
            for s, st in list(live.items()):
                if now >= st["next"]:
                    st["next"] = now + interval
                    try:
                        s.send(trickle[st["sent"] % len(trickle):][:1])
                        st["sent"] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        age = now - st["opened"]
                        finish(s, f"send failed after {bucket(age)}", age <= idle_timeout + slack)
    now = time.monotonic()
    for s, st in list(live.items()):
        age = now - st["opened"]
        if age <= idle_timeout + slack:
            finish(s, "still open at the end (younger than the idle timeout + 10 s)", True)
        else:
            finish(s, f"still open at the end after {age:.0f} s (past the idle timeout!)", False)
    for name, n in connect_failures.items():
        tally.outcomes[(f"connect failed ({name})", False)] += n
    return tally.result(kind, peak_open=peak_open, target_open=conns)


KINDS = ["slowloris", "idle_flood", "trailers_oversize", "trailers_endless", "chunk_ext_flood",
         "one_byte_chunks", "smuggling", "oversize_headers", "garbage"]


def cmd_attack(a):
    raise_fd_limit()
    if a.kind == "slowloris":
        res = run_flood(a.kind, a.port, a.seconds, a.conns or 300, a.idle_timeout, a.interval)
    elif a.kind == "idle_flood":
        res = run_flood(a.kind, a.port, a.seconds, a.conns or 1000, a.idle_timeout, 0)
    elif a.kind in KINDS:
        res = run_short(a.kind, a.port, a.seconds, a.workers, a.pause_ms / 1000)
    else:
        sys.exit(f"unknown kind {a.kind}; kinds: {' '.join(KINDS)}")
    with open(a.out, "w") as f:
        json.dump(res, f)


# ---------------------------------------------------------------------------------------------
# Sampler, probe, report


def healthz(port, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data, how = read_answer(s, t0 + timeout)
        statuses, _, _ = parse_responses(data)
        if statuses == [200]:
            return time.monotonic() - t0, None
        return None, f"{statuses or 'no answer'} ({how})"
    except OSError as e:
        return None, e.__class__.__name__


def count_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def cmd_sample(a):
    """VmRSS (and open descriptors) every 0.5 s, GET /healthz once a second (new connection)."""
    rss, checks, start = [], [], time.monotonic()
    stop_at = start + a.seconds

    def prober():
        while time.monotonic() < stop_at:
            t = time.monotonic()
            latency, err = healthz(a.port, a.healthz_timeout)
            checks.append({"t": round(t - start, 2), "latency_s": latency, "error": err})
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))

    th = threading.Thread(target=prober, daemon=True)
    th.start()
    while time.monotonic() < stop_at:
        t = time.monotonic()
        try:
            rss.append({"t": round(t - start, 2), "kb": vm_rss_kb(a.pid), "fds": count_fds(a.pid)})
        except OSError:
            rss.append({"t": round(t - start, 2), "kb": None, "fds": None})  # the server is gone
        time.sleep(max(0.0, 0.5 - (time.monotonic() - t)))
    th.join(timeout=a.healthz_timeout + 1)
    with open(a.out, "w") as f:
        json.dump({"rss": rss, "healthz": checks}, f)


def cmd_probe(a):
    deadline = time.monotonic() + a.timeout
    while True:
        latency, err = healthz(a.port, 2)
        if latency is not None:
            break
        if time.monotonic() > deadline:
            sys.exit(f"/healthz did not answer within {a.timeout} s: {err}")
        time.sleep(0.2)
    # Warm-up: a few requests on each route, so the instances a good client needs exist before
    # the idle RSS is taken (what they cost is not the hostile clients' doing).
    for _ in range(a.warm):
        for payload in (b"GET /factorial?args=10 HTTP/1.1\r\nHost: localhost\r\n"
                        b"Connection: close\r\n\r\n",
                        b"POST /shout HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                        b"Connection: close\r\n\r\nhello"):
            with socket.create_connection((HOST, a.port), timeout=10) as s:
                s.sendall(payload)
                data, _ = read_answer(s, time.monotonic() + 10)
            statuses, _, _ = parse_responses(data)
            if statuses != [200]:
                sys.exit(f"warm-up request failed: {statuses} {data[:200]!r}")


def cmd_rss(a):
    samples = []
    for _ in range(max(1, int(a.seconds / 0.25))):
        samples.append(vm_rss_kb(a.pid))
        time.sleep(0.25)
    print(int(statistics.median(samples)))


def parse_wrk(text):
    out = {"requests_per_s": None, "latency": None, "non_2xx": 0, "socket_errors": {},
           "requests": None}
    m = re.search(r"Requests/sec:\s*([\d.]+)", text)
    if m:
        out["requests_per_s"] = float(m.group(1))
    m = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        out["latency"] = {"avg": m.group(1), "stdev": m.group(2), "max": m.group(3)}
    out["percentiles"] = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if m:
        out["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors:\s*(.*)", text)
    if m:
        out["socket_errors"] = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", m.group(1))}
    return out


def cmd_report(a):
    d = a.dir
    meta = json.load(open(os.path.join(d, "meta.json")))
    failures = []
    idle = meta["idle_rss_kb"]
    print(f"machine: {meta['machine']}")
    print(f"load average: before {meta['load_before']}, after {meta['load_after']}")
    print(f"server: {meta['server_line']}; connection cap {meta['cap']}; "
          f"{meta['seconds']} s of hostile mix beside wrk")
    print(f"config: {meta['config']}")
    print()

    samples = json.load(open(os.path.join(d, "sample.json")))
    rss = [s["kb"] for s in samples["rss"] if s["kb"]]
    fds = [s["fds"] for s in samples["rss"] if s["fds"] is not None and s["fds"] >= 0]
    peak = max(rss) if rss else 0
    ratio = peak / idle if idle else float("inf")
    print("== server memory (VmRSS)")
    print(f"  idle (cold, right after start): {meta['cold_rss_kb'] / 1024:.1f} MiB")
    print(f"  idle (after warm-up, the baseline): {idle / 1024:.1f} MiB")
    print(f"  peak during the mix: {peak / 1024:.1f} MiB  ({len(rss)} samples every 0.5 s)")
    print(f"  ratio peak/idle: {ratio:.2f}  (target <= 2)")
    if rss:
        marks = [samples["rss"][int(i * (len(samples["rss"]) - 1) / 12)] for i in range(13)]
        print("  over time: " + ", ".join(f"{m['t']:.0f}s {m['kb'] / 1024:.1f}" for m in marks
                                          if m["kb"]) + " MiB")
    if fds:
        print(f"  server descriptors: peak {max(fds)} (connections, roughly)")
    if meta.get("after_rss_kb"):
        print(f"  after the mix (clients gone, 3 s later): {meta['after_rss_kb'] / 1024:.1f} MiB")
    if ratio > 2:
        failures.append(f"peak RSS is {ratio:.2f}x the idle RSS (> 2)")
    print()

    print("== well-behaved client: " + meta["wrk_cmd"])
    wrk_text = open(os.path.join(d, "wrk.txt")).read()
    w = parse_wrk(wrk_text)
    print(f"  requests/s: {w['requests_per_s']}  ({w['requests']} requests)")
    if w["latency"]:
        print(f"  latency: avg {w['latency']['avg']}, stdev {w['latency']['stdev']}, "
              f"max {w['latency']['max']}; "
              + ", ".join(f"p{k} {v}" for k, v in w["percentiles"].items()))
    errs = sum(w["socket_errors"].values())
    print(f"  non-2xx/3xx responses: {w['non_2xx']}")
    print(f"  socket errors: {w['socket_errors'] or 0}")
    if w["requests_per_s"] is None:
        failures.append("wrk printed no result")
        print("  wrk output:\n" + wrk_text)
    if w["non_2xx"] or errs:
        failures.append(f"wrk saw {w['non_2xx']} non-2xx responses and {errs} socket errors")
    print()

    checks = samples["healthz"]
    ok = [c["latency_s"] for c in checks if c["latency_s"] is not None]
    bad = [c for c in checks if c["latency_s"] is None]
    print("== /healthz once a second (a new connection each, 3 s timeout)")
    if ok:
        print(f"  {len(ok)} answered: median {statistics.median(ok) * 1000:.1f} ms, "
              f"max {max(ok) * 1000:.1f} ms")
    print(f"  failures: {len(bad)}" + (": " + "; ".join(f"t={c['t']}s {c['error']}"
                                                       for c in bad[:10]) if bad else ""))
    if bad or not ok:
        failures.append(f"/healthz failed {len(bad)} of {len(checks)} times")
    print()

    print("== hostile clients (attempts; what each got; '!!' marks an unexpected outcome)")
    for kind in meta["kinds"]:
        path = os.path.join(d, f"{kind}.json")
        if not os.path.exists(path):
            print(f"  {kind}: no result (the client did not finish)")
            failures.append(f"{kind}: no result")
            continue
        r = json.load(open(path))
        extra = ""
        if "peak_open" in r:
            extra = f", at most {r['peak_open']} open at once (target {r['target_open']})"
        print(f"  {kind}: {r['attempts']} attempts{extra}")
        for o in r["outcomes"]:
            print(f"    {'  ' if o['ok'] else '!!'} {o['count']:6d}  {o['label']}")
        unexpected = sum(o["count"] for o in r["outcomes"] if not o["ok"])
        if unexpected:
            failures.append(f"{kind}: {unexpected} unexpected outcomes")
    print()

    print(f"== server stop (SIGTERM): {meta['stop']}")
    if meta["stop"] != "exit 0":
        failures.append(f"server stop: {meta['stop']}")
    if meta.get("server_stderr"):
        print("  server stderr:\n    " + "\n    ".join(meta["server_stderr"].splitlines()[-20:]))
    print()
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS: RSS within 2x idle, no errors for wrk, /healthz always answered, every hostile "
          "attempt refused or closed as expected")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    at = sub.add_parser("attack")
    at.add_argument("kind")
    at.add_argument("--port", type=int, required=True)
    at.add_argument("--seconds", type=float, required=True)
    at.add_argument("--out", required=True)
    at.add_argument("--conns", type=int, default=0, help="floods: connections held open")
    at.add_argument("--idle-timeout", type=float, default=30.0, help="the server's, in s")
    at.add_argument("--interval", type=float, default=3.0, help="slowloris: s between bytes")
    at.add_argument("--workers", type=int, default=2, help="short attacks: concurrent clients")
    at.add_argument("--pause-ms", type=float, default=20, help="short attacks: pause per client")
    sa = sub.add_parser("sample")
    sa.add_argument("--pid", type=int, required=True)
    sa.add_argument("--port", type=int, required=True)
    sa.add_argument("--seconds", type=float, required=True)
    sa.add_argument("--out", required=True)
    sa.add_argument("--healthz-timeout", type=float, default=3.0)
    pr = sub.add_parser("probe")
    pr.add_argument("--port", type=int, required=True)
    pr.add_argument("--timeout", type=float, default=60)
    pr.add_argument("--warm", type=int, default=0)
    rs = sub.add_parser("rss")
    rs.add_argument("--pid", type=int, required=True)
    rs.add_argument("--seconds", type=float, default=2)
    rp = sub.add_parser("report")
    rp.add_argument("dir")
    a = p.parse_args()
    {"attack": cmd_attack, "sample": cmd_sample, "probe": cmd_probe, "rss": cmd_rss,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
