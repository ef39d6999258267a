#!/usr/bin/env python3
"""A minimal RFB server that misbehaves the way QEMU can when a guest
changes mode during the handshake: on the first connection it announces a
100x60 screen, then sends a 200x80 rectangle with no resize message (which
libvncclient rejects: "Rect too large"). Later connections announce 200x80
and send a green frame. Used by tests/tui/tui-vnc.sh to check that the
viewer reconnects. Usage: fake-resize-server.py SOCKET_PATH"""
import os
import socket
import struct
import sys


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, first):
    w, h = (100, 60) if first else (200, 80)
    conn.sendall(b"RFB 003.008\n")
    read_exact(conn, 12)
    conn.sendall(bytes([1, 1]))          # one security type: None
    read_exact(conn, 1)
    conn.sendall(struct.pack(">I", 0))   # security result: OK
    read_exact(conn, 1)                  # ClientInit
    pf = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
    name = b"fake"
    conn.sendall(struct.pack(">HH", w, h) + pf + struct.pack(">I", len(name)) + name)
    # Client messages until the first update request.
    while True:
        t = read_exact(conn, 1)[0]
        if t == 0:
            read_exact(conn, 19)
        elif t == 2:
            n = struct.unpack(">xH", read_exact(conn, 3))[0]
            read_exact(conn, 4 * n)
        elif t == 3:
            read_exact(conn, 9)
            break
        elif t == 4:
            read_exact(conn, 7)
        elif t == 5:
            read_exact(conn, 5)
        else:
            return
    # Stripes two pixels high, green over blue, in the client's 32 bpp
    # format (bytes R, G, B, pad): at half size every terminal cell shows
    # green on top and blue below, so the picture needs half blocks.
    rw, rh = 200, 80
    green, blue = bytes([0, 0xC0, 0, 0]), bytes([0, 0, 0xC0, 0])
    rows = b"".join((green if y % 4 < 2 else blue) * rw for y in range(rh))
    conn.sendall(struct.pack(">BxH", 0, 1) + struct.pack(">HHHHi", 0, 0, rw, rh, 0) + rows)
    # Then stay quiet, answering nothing, until the client leaves.
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def main():
    path = sys.argv[1]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    first = True
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn, first)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()
        first = False


if __name__ == "__main__":
    main()
