#!/usr/bin/env python3
"""Fake VMs on a virtty-netd port socket (tests/net/netd-switch.sh).

Usage: netd_fakevm.py SOCKET CONTROL

Connects a few SOCK_SEQPACKET clients, each with its own MAC, and checks
the switch's forwarding and robustness: broadcast to all others, unicast
after learning only to the owner, a hostile port that does not disturb the
others, control "stats" counters. "Only to the owner" is checked without
timing: after the unicast the sender broadcasts a marker, and every other
port reads up to the marker (frames of one port are switched in order).
Prints PASS:/FAIL: lines; exit status 1 if anything failed.
"""
import json
import socket
import struct
import sys
import time

SOCK, CTL = sys.argv[1], sys.argv[2]
ETHERTYPE = 0x88B5  # local experimental
BCAST = b"\xff" * 6
failed = 0


def report(ok, what):
    global failed
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failed += 1


def control(cmd, **args):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(CTL)
    req = dict(cmd=cmd, **args)
    s.sendall((json.dumps(req) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf)


def mac(n):
    return bytes([0x52, 0x54, 0x00, 0x12, 0x34, n])


def macstr(m):
    return ":".join("%02x" % b for b in m)


class VM:
    def __init__(self, n):
        self.mac = mac(n)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(SOCK)
        self.s.settimeout(10)

    def send(self, dst, payload):
        self.s.send(dst + self.mac + struct.pack("!H", ETHERTYPE) + payload)

    def recv(self):
        """The next frame of ours (other traffic is skipped), or None."""
        while True:
            try:
                f = self.s.recv(70000)
            except socket.timeout:
                return None
            if len(f) >= 14 and struct.unpack("!H", f[12:14])[0] == ETHERTYPE:
                return f

    def until_marker(self, marker):
        """Payloads received before the marker; None if it never came."""
        got = []
        while True:
            f = self.recv()
            if f is None:
                return None
            if f[14:] == marker:
                return got
            got.append(f[14:])


def port_of(stats, m):
    for p in stats["data"]["ports"]:
        if macstr(m) in p["macs"]:
            return p
    return None


def main():
    a, b, c = VM(1), VM(2), VM(3)
    st = control("status")
    base = st["data"]["ports"]
    report(st.get("ok") and st["data"]["ports"] >= 3,
           "status counts the 3 attached VMs (ports %s)" % st.get("data", {}).get("ports"))

    # Broadcast from A: B and C get it, A does not get its own back.
    a.send(BCAST, b"hello from a")
    report(b.recv()[14:] == b"hello from a" and c.recv()[14:] == b"hello from a",
           "broadcast from A reaches B and C")
    b.send(BCAST, b"hello from b")
    c.send(BCAST, b"hello from c")
    a.send(BCAST, b"marker-1")
    # A sees B's and C's broadcasts but never its own.
    seen = []
    while True:
        f = a.recv()
        if f is None:
            break
        seen.append(f[14:])
        if f[14:] == b"hello from c":
            break
    report(b"hello from b" in seen and b"hello from c" in seen and b"marker-1" not in seen,
           "A gets B's and C's broadcasts, not its own")
    b.until_marker(b"marker-1")
    c.until_marker(b"marker-1")

    # Unicast B -> A (A is learnt): only A gets it.
    b.send(a.mac, b"to a only")
    b.send(BCAST, b"marker-2")
    report(a.until_marker(b"marker-2") == [b"to a only"], "unicast B->A reaches A")
    report(c.until_marker(b"marker-2") == [], "unicast B->A does not reach C")

    # Unknown unicast floods to every other port.
    c.send(mac(99), b"to nobody yet")
    report(a.recv()[14:] == b"to nobody yet" and b.recv()[14:] == b"to nobody yet",
           "unicast to an unknown MAC floods to A and B")

    stats = control("stats")
    pa = port_of(stats, a.mac)
    report(pa is not None and pa["kind"] == "vm", "stats list A's MAC on a vm port")
    report(pa is not None and pa["rx_packets"] >= 2 and pa["tx_packets"] >= 4,
           "A's port counts its frames (rx %s, tx %s)" %
           (pa and pa["rx_packets"], pa and pa["tx_packets"]))

    # A hostile port: runts, oversized packets, garbage; not closed for it.
    h = VM(66)
    h.send(BCAST, b"hostile says hi")  # learnt, so its port has a MAC
    for x in (a, b, c):
        x.recv()
    for _ in range(50):
        h.s.send(b"\x01")
    for _ in range(5):
        h.s.send(b"\x00" * 13)
    big = 0
    for _ in range(5):
        try:
            h.s.send(BCAST + h.mac + struct.pack("!H", ETHERTYPE) + b"x" * 70000)
            big += 1
        except OSError:
            pass
    h.send(BCAST, b"hostile still here")
    report(all(x.until_marker(b"hostile still here") == [] for x in (a, b, c)),
           "runts and %d oversized packets reach no one; the port still works" % big)
    ph = port_of(control("stats"), h.mac)
    report(ph is not None and ph["errors"] >= 55 + big,
           "the hostile port's errors are counted (%s, want >= %d)" %
           (ph and ph["errors"], 55 + big))

    # Connections that close at once, and more connections than ports.
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(SOCK)
        s.close()
    many = []
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(SOCK)
            many.append(s)
        except OSError:
            s.close()
    # One frame through the crowd: the switch handles it and keeps going.
    b.send(a.mac, b"through the crowd")
    b.send(BCAST, b"marker-3")
    report(a.until_marker(b"marker-3") == [b"through the crowd"],
           "unicast B->A still works with %d more connections open" % len(many))
    report(c.until_marker(b"marker-3") == [], "and C does not see it")
    st = control("status")
    vms = sum(1 for p in control("stats")["data"]["ports"] if p["kind"] == "vm")
    report(vms == 64, "the 64-port limit holds (%d VM ports with %d more clients)" %
           (vms, len(many)))
    for s in many:
        s.close()
    h.s.close()
    # Removal is asynchronous: wait for the count to come back (no
    # threshold on how long, only that it does).
    for _ in range(200):
        if control("status")["data"]["ports"] == base:
            break
        time.sleep(0.05)
    report(port_of(control("stats"), h.mac) is None,
           "a port that disconnects is removed and its MAC forgotten")
    b.send(a.mac, b"after the storm")
    b.send(BCAST, b"marker-4")
    report(a.until_marker(b"marker-4") == [b"after the storm"] and
           c.until_marker(b"marker-4") == [], "A, B, C undisturbed after the hostile ports left")
    for x in (a, b, c):
        x.s.close()
    return 1 if failed else 0


sys.exit(main())
