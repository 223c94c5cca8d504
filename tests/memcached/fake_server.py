#!/usr/bin/env python3
"""A misbehaving memcached for fault tests: fake_server.py MODE.

Listens on a free 127.0.0.1 port, prints the port on the first line of stdout, and serves until
killed. The binary handshake (SASL_LIST_MECHS, VERSION, NOOP) is answered like a memcached without
SASL; the first data request (GET, SET, ...) of each connection is answered according to MODE:

  ok           a proper reply (GET: value "hello", utf8 flags, CAS 42)
  hickup       a proper reply, sent one byte at a time
  garbage      bytes that are not a response (bad magic)
  truncated    the first 12 bytes of a proper reply, then close
  hugebody     a header claiming a 4 GiB body, then silence
  badlengths   extras length larger than the body
  wrong_opaque a proper reply carrying an opaque nobody asked for
  close        close the connection without replying
  silent       never reply, on binary and text connections (the client must time out)
  greeting     garbage sent as soon as a client connects
  text_garbage binary is proper, the text connection (mg, stats, metadump) answers garbage
  dump_cut     binary is proper, metadump sends half a line and closes

Text connections (first byte not 0x80) answer `mg` with EN, `stats` with the time and
`lru_crawler metadump` with one key, except in the text modes above.
"""
import socket
import socketserver
import struct
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"
HANDSHAKE_OPS = {0x0A, 0x0B, 0x20, 0x10}
GET_OPS = {0x00, 0x09, 0x0C, 0x0D, 0x1D, 0x1E}
FLAGS_UTF8 = 0x04000004


def response(opcode, opaque, status=0, extras=b"", key=b"", value=b"", cas=0):
    body = extras + key + value
    header = struct.pack(">BBHBBHIIQ", 0x81, opcode, len(key), len(extras), 0, status,
                         len(body), opaque, cas)
    return header + body


def proper_reply(opcode, opaque):
    if opcode in GET_OPS:
        return response(opcode, opaque, extras=struct.pack(">I", FLAGS_UTF8), value=b"hello",
                        cas=42)
    if opcode in (0x05, 0x06, 0x15, 0x16):
        return response(opcode, opaque, value=struct.pack(">Q", 7), cas=43)
    return response(opcode, opaque, cas=43)


def handshake_reply(opcode, opaque):
    if opcode == 0x0B:
        return response(opcode, opaque, value=b"1.6.18")
    if opcode == 0x10:
        return response(opcode, opaque)
    if opcode == 0x20:
        return response(opcode, opaque, status=0x81, value=b"Unknown command")
    return response(opcode, opaque)


def meta_get_reply(words):
    """Answer `mg <key> <flags>*` for the one item this server has ("hello"), flags in order."""
    returned = {b"s": b"s5", b"f": b"f%d" % FLAGS_UTF8, b"c": b"c42", b"t": b"t-1"}
    out = [returned[w] for w in words[2:] if w in returned]
    out += [w for w in words[2:] if w.startswith(b"O")]
    if b"v" in words[2:]:
        return b"VA 5 " + b" ".join(out) + b"\r\nhello\r\n"
    return b"HD " + b" ".join(out) + b"\r\n"


class Handler(socketserver.BaseRequestHandler):
    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise ConnectionError("client closed")
            data += chunk
        return data

    def handle(self):
        try:
            if MODE == "greeting":
                self.request.sendall(b"\xde\xad\xbe\xef GARBAGE GREETING\r\n" * 4)
            first = self.read_exact(1)
            if first == b"\x80":
                self.binary(first)
            else:
                self.text(first)
        except (ConnectionError, OSError):
            pass

    def hold(self):
        """Keep the connection open, reading and discarding, until the client goes away."""
        while self.request.recv(65536):
            pass

    def binary(self, first):
        pending = first
        while True:
            header = pending + self.read_exact(24 - len(pending))
            pending = b""
            _, opcode, _, _, _, _, bodylen, opaque, _ = struct.unpack(">BBHBBHIIQ", header)
            self.read_exact(bodylen)
            if opcode in HANDSHAKE_OPS:
                self.request.sendall(handshake_reply(opcode, opaque))
                continue
            self.data_reply(opcode, opaque)

    def data_reply(self, opcode, opaque):
        reply = proper_reply(opcode, opaque)
        sys.stderr.write("fake_server[%s]: data opcode 0x%02x\n" % (MODE, opcode))
        if MODE == "hickup":
            for i in range(len(reply)):
                self.request.sendall(reply[i:i + 1])
                time.sleep(0.002)
        elif MODE == "garbage":
            self.request.sendall(b"\x00NOT A MEMCACHED RESPONSE\x00" * 8)
            self.hold()
        elif MODE == "truncated":
            self.request.sendall(reply[:12])
            self.request.shutdown(socket.SHUT_RDWR)
            raise ConnectionError("truncated")
        elif MODE == "hugebody":
            header = struct.pack(">BBHBBHIIQ", 0x81, opcode, 0, 4, 0, 0, 0xFFFFFFF0, opaque, 1)
            self.request.sendall(header + b"\x00" * 100)
            self.hold()
        elif MODE == "badlengths":
            header = struct.pack(">BBHBBHIIQ", 0x81, opcode, 10, 200, 0, 0, 5, opaque, 1)
            self.request.sendall(header + b"abcde")
            self.hold()
        elif MODE == "wrong_opaque":
            self.request.sendall(proper_reply(opcode, opaque ^ 0x5A5A5A5A))
            self.hold()
        elif MODE == "close":
            self.request.shutdown(socket.SHUT_RDWR)
            raise ConnectionError("closed")
        elif MODE == "silent":
            self.hold()
        else:
            self.request.sendall(reply)

    def text(self, first):
        if MODE == "silent":
            self.hold()
            return
        buf = first
        while True:
            while b"\n" not in buf:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            self.text_reply(line.rstrip(b"\r"))

    def text_reply(self, line):
        sys.stderr.write("fake_server[%s]: text %r\n" % (MODE, line[:80]))
        if MODE == "text_garbage":
            self.request.sendall(b"\x00\x01 garbage \xff\xfe no newline for a while" * 4 + b"\r\n")
            return
        if line.startswith(b"stats"):
            self.request.sendall(b"STAT pid 1\r\nSTAT time %d\r\nEND\r\n" % int(time.time()))
        elif line.startswith(b"lru_crawler metadump"):
            entry = b"key=hello exp=-1 la=%d cas=42 fetch=no cls=1 size=70" % int(time.time())
            if MODE == "dump_cut":
                self.request.sendall(entry[:20])
                self.request.shutdown(socket.SHUT_RDWR)
                raise ConnectionError("dump cut")
            self.request.sendall(entry + b"\nEND\r\n")
        elif line.startswith(b"mg "):
            self.request.sendall(meta_get_reply(line.split()))
        elif line == b"mn":
            self.request.sendall(b"MN\r\n")
        else:
            self.request.sendall(b"ERROR\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
