#!/usr/bin/env python3
"""Self-test of cb_fake.py: raw sockets and struct, frames checked byte for byte against the
layouts of shared/reference/protocol.md (sections cited per test). Runs in a few seconds."""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "cb_fake.py")
HEADER = struct.Struct(">BBHBBHIIQ")
USER, PASSWORD = b"kvtui", b"s3cret"
FEATURES = (0x03, 0x07, 0x08, 0x0B)  # TCPNODELAY, XERROR, SELECT_BUCKET, JSON
HIGHEST = b"\xff" * 250


class Reply:
    def __init__(self, raw):
        (self.magic, self.opcode, keylen, extlen, self.datatype, self.status, bodylen,
         self.opaque, self.cas) = HEADER.unpack_from(raw)
        self.raw = raw
        self.extras = raw[24:24 + extlen]
        self.key = raw[24 + extlen:24 + extlen + keylen]
        self.value = raw[24 + extlen + keylen:]


class Client:
    """One connection to one node of the fake."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.opaque = 0

    def close(self):
        self.sock.close()

    def send(self, opcode, key=b"", extras=b"", value=b"", vbucket=0, cas=0, datatype=0):
        self.opaque += 1
        body = extras + key + value
        self.sock.sendall(HEADER.pack(0x80, opcode, len(key), len(extras), datatype, vbucket,
                                      len(body), self.opaque, cas) + body)

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def recv(self):
        header = self.read_exact(24)
        bodylen = struct.unpack_from(">I", header, 8)[0]
        return Reply(header + self.read_exact(bodylen))

    def call(self, opcode, **fields):
        self.send(opcode, **fields)
        reply = self.recv()
        assert reply.opaque == self.opaque, "opaque not echoed"
        return reply

    def closed_by_server(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def hello(self, features=FEATURES):
        value = struct.pack(">%dH" % len(features), *features)
        return self.call(0x1F, key=b'{"a":"selftest","i":"0000000000000001/0000000000000001"}',
                         value=value)

    def plain(self, user=USER, password=PASSWORD):
        return self.call(0x21, key=b"PLAIN", value=b"\0" + user + b"\0" + password)

    def bootstrap(self, features=FEATURES):
        self.hello(features)
        assert self.plain().status == 0
        assert self.call(0x89, key=b"default").status == 0


def frame(opcode, opaque, status=0, extras=b"", key=b"", value=b"", cas=0, datatype=0):
    """A response as 1.1 lays it out."""
    body = extras + key + value
    return HEADER.pack(0x81, opcode, len(key), len(extras), datatype, status, len(body), opaque,
                       cas) + body


def vbucket_of(key, nvb):
    """2.7 with zlib: ((crc32 >> 16) & 0x7fff) % numVBuckets."""
    return ((zlib.crc32(key) >> 16) & 0x7FFF) % nvb


def keys_in_vbucket(vb, nvb, count, prefix=b"k"):
    out, i = [], 0
    while len(out) < count:
        key = prefix + b"%d" % i
        if vbucket_of(key, nvb) == vb:
            out.append(key)
        i += 1
    return out


def set_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def leb128(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class FakeCase(unittest.TestCase):
    ARGS = ["--nodes", "2", "--vbuckets", "64", "--replicas", "1"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        password_file = os.path.join(cls.tmp.name, "password")
        with open(password_file, "wb") as f:
            f.write(PASSWORD + b"\n")
        port_file = os.path.join(cls.tmp.name, "ports")
        cls.proc = subprocess.Popen([sys.executable, FAKE, *cls.ARGS, "--bucket", "default",
                                     "--user", USER.decode(), "--password-file", password_file,
                                     "--port-file", port_file, "--watch-stdin"],
                                    stdin=subprocess.PIPE)
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if time.time() > deadline or cls.proc.poll() is not None:
                cls.proc.kill()
                raise RuntimeError("cb_fake.py did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            cls.ports = [int(line) for line in f]
        cls.clients = []

    @classmethod
    def tearDownClass(cls):
        for client in cls.clients:
            client.close()
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.proc.stdin.close()
        cls.tmp.cleanup()

    def connect(self, node=0, bootstrap=True, features=FEATURES):
        client = Client(self.ports[node])
        self.clients.append(client)
        if bootstrap:
            client.bootstrap(features)
        return client

    def config(self, client):
        reply = client.call(0xB5)
        self.assertEqual(reply.status, 0)
        return json.loads(reply.value)

    def route(self, key, copy=0):
        """The node holding copy COPY of KEY's vbucket, from the map itself."""
        cfg = self.config(self.connect())
        vb = vbucket_of(key, len(cfg["vBucketServerMap"]["vBucketMap"]))
        return vb, cfg["vBucketServerMap"]["vBucketMap"][vb][copy]

    def active(self, key):
        vb, node = self.route(key)
        return vb, self.connect(node)


class Bootstrap(FakeCase):
    def test_hello_echoes_the_supported_features(self):
        """2.2: the reply value is the enabled subset; Snappy 0x0a, Collections 0x12 refused."""
        client = self.connect(bootstrap=False)
        reply = client.hello((0x03, 0x0A, 0x07, 0x08, 0x12, 0x0B))
        self.assertEqual(reply.raw, bytes.fromhex(
            "811f0000 00000000 00000008 00000001 0000000000000000 0003 0007 0008 000b"))

    def test_error_map_is_version_2_json(self):
        """2.15: value = u16 version; reply JSON with version, revision, errors."""
        client = self.connect(bootstrap=False)
        client.hello()
        reply = client.call(0xFE, value=b"\x00\x02")
        self.assertEqual((reply.status, reply.datatype), (0, 1))
        body = json.loads(reply.value)
        self.assertEqual(body["version"], 2)
        self.assertIn("9", body["errors"])

    def test_list_mechs_is_the_couchbase_default(self):
        """2.5: non-TLS default list, Couchbase spelling."""
        client = self.connect(bootstrap=False)
        client.send(0x20)
        self.assertEqual(client.recv().raw,
                         frame(0x20, 1, value=b"SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN"))

    def test_plain_accepts_the_password_and_refuses_another(self):
        """2.5: PLAIN \\0user\\0password, one round trip; failure is 0x20."""
        self.assertEqual(self.connect(bootstrap=False).plain().status, 0)
        self.assertEqual(self.connect(bootstrap=False).plain(password=b"wrong").status, 0x20)
        self.assertEqual(self.connect(bootstrap=False).plain(user=b"other").status, 0x20)

    def scram(self, mech, name):
        """RFC 5802 client; Couchbase answers the proof with status 0 and v= (protocol.md 8)."""
        client = self.connect(bootstrap=False)
        cnonce = base64.b64encode(os.urandom(12))
        first_bare = b"n=" + USER + b",r=" + cnonce
        reply = client.call(0x21, key=mech, value=b"n,," + first_bare)
        self.assertEqual(reply.status, 0x21)
        server_first = reply.value
        attrs = dict(part.split(b"=", 1) for part in server_first.split(b","))
        self.assertTrue(attrs[b"r"].startswith(cnonce))
        salted = hashlib.pbkdf2_hmac(name, PASSWORD, base64.b64decode(attrs[b"s"]),
                                     int(attrs[b"i"]))
        client_key = hmac.new(salted, b"Client Key", name).digest()
        without_proof = b"c=biws,r=" + attrs[b"r"]
        auth_message = first_bare + b"," + server_first + b"," + without_proof
        signature = hmac.new(hashlib.new(name, client_key).digest(), auth_message, name).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        reply = client.call(0x22, key=mech, value=without_proof + b",p=" + base64.b64encode(proof))
        server_key = hmac.new(salted, b"Server Key", name).digest()
        self.assertEqual(reply.status, 0)
        self.assertEqual(reply.value, b"v=" + base64.b64encode(
            hmac.new(server_key, auth_message, name).digest()))
        self.assertEqual(client.call(0x89, key=b"default").status, 0)
        # The same exchange with a wrong proof fails.
        bad = self.connect(bootstrap=False)
        reply = bad.call(0x21, key=mech, value=b"n,," + first_bare)
        nonce = dict(part.split(b"=", 1) for part in reply.value.split(b","))[b"r"]
        reply = bad.call(0x22, key=mech, value=b"c=biws,r=" + nonce + b",p=" +
                         base64.b64encode(b"\0" * len(proof)))
        self.assertEqual(reply.status, 0x20)

    def test_scram_sha512(self):
        self.scram(b"SCRAM-SHA512", "sha512")

    def test_scram_sha256(self):
        self.scram(b"SCRAM-SHA256", "sha256")

    def test_scram_sha1(self):
        self.scram(b"SCRAM-SHA1", "sha1")

    def test_commands_before_auth_fail(self):
        """8: a command sent before authentication completes fails with 0x20."""
        client = self.connect(bootstrap=False)
        client.hello()
        self.assertEqual(client.call(0x00, key=b"k").status, 0x20)
        self.assertEqual(client.call(0x89, key=b"default").status, 0x24)

    def test_select_bucket(self):
        """2.1: an unknown bucket is KEY_ENOENT."""
        client = self.connect(bootstrap=False)
        client.hello()
        client.plain()
        self.assertEqual(client.call(0x89, key=b"nope").status, 0x01)
        self.assertEqual(client.call(0x89, key=b"default").status, 0)

    def test_no_bucket_is_an_error_with_xerror_and_a_close_without(self):
        """2.1/2.4: NO_BUCKET with XERROR; without it the server disconnects."""
        client = self.connect(bootstrap=False)
        client.hello()
        client.plain()
        self.assertEqual(client.call(0x00, key=b"k").status, 0x08)
        legacy = self.connect(bootstrap=False)
        legacy.hello((0x03, 0x08, 0x0B))
        legacy.plain()
        legacy.send(0x00, key=b"k")
        self.assertTrue(legacy.closed_by_server())

    def test_cluster_map_names_itself_host(self):
        """2.6: "$HOST" for the node the map came from; numReplicas; vBucketMap rows."""
        cfg = self.config(self.connect(1))
        servers = cfg["vBucketServerMap"]["serverList"]
        self.assertEqual(servers, ["127.0.0.1:%d" % self.ports[0], "$HOST:%d" % self.ports[1]])
        self.assertEqual(cfg["nodesExt"][1]["services"]["kv"], self.ports[1])
        self.assertNotIn("hostname", cfg["nodesExt"][1])
        self.assertEqual(cfg["vBucketServerMap"]["numReplicas"], 1)
        rows = cfg["vBucketServerMap"]["vBucketMap"]
        self.assertEqual(len(rows), 64)
        self.assertTrue(all(len(row) == 2 and row[0] != row[1] for row in rows))
        self.assertIn("rangeScan", cfg["bucketCapabilities"])
        self.assertIsInstance(cfg["rev"], int)

    def test_unknown_commands_answer_0x81(self):
        client = self.connect()
        client.send(0x49, key=b"k")
        self.assertEqual(client.recv().raw, frame(0x49, client.opaque, status=0x81))


class Documents(FakeCase):
    def test_a_get_reply_is_byte_exact(self):
        """1.2/2.3: GET answers 4-byte flags, the value, the CAS and the JSON datatype bit."""
        vb, client = self.active(b"doc")
        stored = client.call(0x01, key=b"doc", extras=set_extras(0x02000000), value=b'{"a":1}',
                             vbucket=vb)
        self.assertEqual((stored.status, stored.extras, stored.value), (0, b"", b""))
        self.assertNotEqual(stored.cas, 0)
        client.send(0x00, key=b"doc", vbucket=vb)
        self.assertEqual(client.recv().raw, frame(0x00, client.opaque, extras=b"\x02\0\0\0",
                                                  value=b'{"a":1}', cas=stored.cas, datatype=1))

    def test_without_json_the_datatype_stays_0(self):
        vb, node = self.route(b"doc2")
        client = self.connect(node, features=(0x03, 0x07, 0x08))
        client.call(0x01, key=b"doc2", extras=set_extras(), value=b"[1]", vbucket=vb)
        self.assertEqual(client.call(0x00, key=b"doc2", vbucket=vb).datatype, 0)
        bad = client.call(0x01, key=b"doc2", extras=set_extras(), value=b"[1]", vbucket=vb,
                          datatype=1)
        self.assertEqual(bad.status, 0x04)  # 2.3: a datatype not enabled is EINVAL

    def test_the_wrong_node_answers_not_my_vbucket_with_the_map(self):
        """2.9: status 0x07, value = the current map JSON."""
        vb, node = self.route(b"nmvb")
        other = self.connect(1 - node)
        reply = other.call(0x00, key=b"nmvb", vbucket=vb)
        self.assertEqual((reply.status, reply.datatype), (0x07, 1))
        self.assertEqual(json.loads(reply.value)["vBucketServerMap"]["vBucketMap"][vb][0], node)

    def test_cas_rules(self):
        """1.5: SET with a stale CAS, ADD on an existing key, REPLACE on a missing one."""
        vb, client = self.active(b"cas")
        first = client.call(0x01, key=b"cas", extras=set_extras(), value=b"1", vbucket=vb)
        second = client.call(0x01, key=b"cas", extras=set_extras(), value=b"2", vbucket=vb,
                             cas=first.cas)
        self.assertEqual(second.status, 0)
        self.assertGreater(second.cas, first.cas)
        stale = client.call(0x01, key=b"cas", extras=set_extras(), value=b"3", vbucket=vb,
                            cas=first.cas)
        self.assertEqual(stale.status, 0x02)
        self.assertEqual(client.call(0x02, key=b"cas", extras=set_extras(), value=b"x",
                                     vbucket=vb).status, 0x02)
        self.assertEqual(client.call(0x02, key=b"cas", extras=set_extras(), value=b"x",
                                     vbucket=vb, cas=5).status, 0x04)
        vb2, client2 = self.active(b"missing")
        self.assertEqual(client2.call(0x03, key=b"missing", extras=set_extras(), value=b"x",
                                      vbucket=vb2).status, 0x01)
        self.assertEqual(client2.call(0x04, key=b"missing", vbucket=vb2).status, 0x01)

    def test_counters(self):
        """1.6: missing + ~0 expiry fails; initial without delta; floor at 0; non-numeric."""
        vb, client = self.active(b"cnt")

        def arith(op, delta, initial, exptime):
            return client.call(op, key=b"cnt", vbucket=vb,
                               extras=struct.pack(">QQI", delta, initial, exptime))
        self.assertEqual(arith(0x05, 1, 0, 0xFFFFFFFF).status, 0x01)
        created = arith(0x05, 5, 10, 0)
        self.assertEqual((created.status, created.value), (0, struct.pack(">Q", 10)))
        self.assertEqual(arith(0x05, 5, 0, 0).value, struct.pack(">Q", 15))
        self.assertEqual(arith(0x06, 100, 0, 0).value, struct.pack(">Q", 0))
        got = client.call(0x00, key=b"cnt", vbucket=vb)
        self.assertEqual((got.value, got.extras, got.datatype), (b"0", b"\0\0\0\0", 1))
        client.call(0x01, key=b"cnt", extras=set_extras(), value=b"abc", vbucket=vb)
        self.assertEqual(arith(0x05, 1, 0, 0).status, 0x06)

    def test_append_and_prepend(self):
        """1.5: a missing key is NOT_STORED; flags are kept."""
        vb, client = self.active(b"cat")
        self.assertEqual(client.call(0x0E, key=b"cat", value=b"x", vbucket=vb).status, 0x05)
        client.call(0x01, key=b"cat", extras=set_extras(0x04000004), value=b"middle", vbucket=vb)
        client.call(0x0E, key=b"cat", value=b" end", vbucket=vb)
        client.call(0x0F, key=b"cat", value=b"begin ", vbucket=vb)
        got = client.call(0x00, key=b"cat", vbucket=vb)
        self.assertEqual((got.value, got.extras), (b"begin middle end", b"\x04\0\0\x04"))

    def test_mutation_seqno_extras(self):
        """2.2: with MutationSeqno a mutation reply carries vbucket uuid and seqno (16 bytes)."""
        vb, node = self.route(b"seq")
        client = self.connect(node, features=FEATURES + (0x04,))
        one = client.call(0x01, key=b"seq", extras=set_extras(), value=b"1", vbucket=vb)
        two = client.call(0x01, key=b"seq", extras=set_extras(), value=b"2", vbucket=vb)
        self.assertEqual(len(one.extras), 16)
        self.assertEqual(one.extras[:8], two.extras[:8])
        self.assertGreater(struct.unpack(">Q", two.extras[8:])[0],
                           struct.unpack(">Q", one.extras[8:])[0])

    def test_expiry_and_get_meta(self):
        """1.4/2.11: a 1 s TTL expires; GET_META shows absolute expiry, then a tombstone."""
        vb, client = self.active(b"ttl")
        before = int(time.time())
        client.call(0x01, key=b"ttl", extras=set_extras(7, 1), value=b'"v"', vbucket=vb)
        meta = client.call(0xA0, key=b"ttl", extras=b"\x02", vbucket=vb)
        self.assertEqual(len(meta.extras), 21)
        deleted, flags, expiry, seqno, datatype = struct.unpack(">IIIQB", meta.extras)
        self.assertEqual((deleted, flags, datatype), (0, 7, 1))
        self.assertIn(expiry, (before + 1, before + 2))
        self.assertNotEqual(meta.cas, 0)
        self.assertEqual(len(client.call(0xA0, key=b"ttl", vbucket=vb).extras), 20)
        time.sleep(1.6)
        self.assertEqual(client.call(0x00, key=b"ttl", vbucket=vb).status, 0x01)
        meta = client.call(0xA0, key=b"ttl", extras=b"\x02", vbucket=vb)
        self.assertEqual((meta.status, struct.unpack_from(">I", meta.extras)[0]), (0, 1))
        self.assertEqual(client.call(0xA0, key=b"never", vbucket=vb).status, 0x01)

    def test_touch_and_gat(self):
        """1.2: Couchbase TOUCH returns the CAS only; GAT returns flags and value."""
        vb, client = self.active(b"touch")
        stored = client.call(0x01, key=b"touch", extras=set_extras(3), value=b"v", vbucket=vb)
        touched = client.call(0x1C, key=b"touch", extras=struct.pack(">I", 100), vbucket=vb)
        self.assertEqual((touched.status, touched.extras, touched.value), (0, b"", b""))
        self.assertNotEqual(touched.cas, stored.cas)
        gat = client.call(0x1D, key=b"touch", extras=struct.pack(">I", 0), vbucket=vb)
        self.assertEqual((gat.extras, gat.value), (b"\0\0\0\x03", b"v"))
        meta = client.call(0xA0, key=b"touch", vbucket=vb)
        self.assertEqual(struct.unpack_from(">I", meta.extras, 8)[0], 0)

    def test_get_replica_only_from_a_replica(self):
        """2.10: a GET with opcode 0x83 on vBucketMap[v][1]; the active node says 0x07."""
        vb, node = self.route(b"rep")
        self.connect(node).call(0x01, key=b"rep", extras=set_extras(1), value=b"r", vbucket=vb)
        _, replica_node = self.route(b"rep", copy=1)
        got = self.connect(replica_node).call(0x83, key=b"rep", vbucket=vb)
        self.assertEqual((got.status, got.value, got.extras), (0, b"r", b"\0\0\0\x01"))
        self.assertEqual(self.connect(node).call(0x83, key=b"rep", vbucket=vb).status, 0x07)

    def test_locks(self):
        """2.12/2.4 with XERROR: LOCKED for mutations and a second lock, NOT_LOCKED."""
        vb, client = self.active(b"lock")
        client.call(0x01, key=b"lock", extras=set_extras(), value=b"v", vbucket=vb)
        locked = client.call(0x94, key=b"lock", extras=struct.pack(">I", 5), vbucket=vb)
        self.assertEqual((locked.status, locked.value), (0, b"v"))
        self.assertEqual(client.call(0x00, key=b"lock", vbucket=vb).cas, 0xFFFFFFFFFFFFFFFF)
        self.assertEqual(client.call(0x01, key=b"lock", extras=set_extras(), value=b"w",
                                     vbucket=vb).status, 0x09)
        self.assertEqual(client.call(0x94, key=b"lock", vbucket=vb).status, 0x09)
        self.assertEqual(client.call(0x95, key=b"lock", vbucket=vb, cas=locked.cas + 1).status,
                         0x09)
        self.assertEqual(client.call(0x95, key=b"lock", vbucket=vb, cas=locked.cas).status, 0)
        self.assertEqual(client.call(0x95, key=b"lock", vbucket=vb, cas=locked.cas).status, 0x0E)
        # A mutation carrying the lock CAS succeeds and releases the lock.
        again = client.call(0x94, key=b"lock", extras=struct.pack(">I", 5), vbucket=vb)
        self.assertEqual(client.call(0x01, key=b"lock", extras=set_extras(), value=b"x",
                                     vbucket=vb, cas=again.cas).status, 0)
        self.assertEqual(client.call(0x01, key=b"lock", extras=set_extras(), value=b"y",
                                     vbucket=vb).status, 0)

    def test_a_lock_expires(self):
        vb, client = self.active(b"lock2")
        client.call(0x01, key=b"lock2", extras=set_extras(), value=b"v", vbucket=vb)
        client.call(0x94, key=b"lock2", extras=struct.pack(">I", 1), vbucket=vb)
        time.sleep(1.2)
        self.assertEqual(client.call(0x01, key=b"lock2", extras=set_extras(), value=b"w",
                                     vbucket=vb).status, 0)

    def test_observe_reports_persistence(self):
        """2.13: value (vbid, keylen, key, state, cas)*; 0x00 found, 0x01 persisted, 0x80."""
        vb, client = self.active(b"obs")
        stored = client.call(0x01, key=b"obs", extras=set_extras(), value=b"v", vbucket=vb)
        body = struct.pack(">HH", vb, 3) + b"obs"
        reply = client.call(0x92, value=body)
        self.assertEqual(reply.value, body + struct.pack(">BQ", 0x00, stored.cas))
        time.sleep(0.2)
        self.assertEqual(client.call(0x92, value=body).value,
                         body + struct.pack(">BQ", 0x01, stored.cas))
        missing = struct.pack(">HH", vb, 4) + b"nope"
        self.assertEqual(client.call(0x92, value=missing).value,
                         missing + struct.pack(">BQ", 0x80, 0))

    def scan_create(self, client, vb, start=b"\0", end=HIGHEST, json_datatype=1):
        body = json.dumps({"key_only": True, "range": {
            "start": base64.b64encode(start).decode(), "end": base64.b64encode(end).decode()}})
        return client.call(0xDA, value=body.encode(), vbucket=vb, datatype=json_datatype)

    def scan_continue(self, client, vb, uuid, limit=0):
        client.send(0xDB, extras=uuid + struct.pack(">III", limit, 0, 0), vbucket=vb)
        frames = [client.recv()]
        while frames[-1].status == 0:
            frames.append(client.recv())
        return frames

    def test_range_scan_lists_a_vbucket(self):
        """2.18: create -> uuid; continue -> key-only frames, 0xa6 more, 0xa7 complete."""
        vb = 5
        keys = keys_in_vbucket(vb, 64, 70, prefix=b"scan")
        client = self.connect(self.config(self.connect())["vBucketServerMap"]["vBucketMap"][vb][0])
        for key in keys:
            client.call(0x01, key=key, extras=set_extras(), value=b"v", vbucket=vb)
        created = self.scan_create(client, vb, start=b"scan", end=b"scan\xff")
        self.assertEqual((created.status, len(created.value)), (0, 16))
        uuid = created.value
        first = self.scan_continue(client, vb, uuid, limit=2)
        ordered = sorted(keys)
        payload = b"".join(leb128(len(k)) + k for k in ordered[:2])
        self.assertEqual([f.raw for f in first], [frame(0xDB, client.opaque, status=0xA6,
                                                        extras=b"\0\0\0\0", value=payload)])
        rest = self.scan_continue(client, vb, uuid)
        self.assertEqual([f.status for f in rest], [0, 0xA7])  # 64 keys, then 4 with the end
        listed, at = [], 0
        for f in rest:
            at = 0
            while at < len(f.value):
                n = f.value[at]
                listed.append(f.value[at + 1:at + 1 + n])
                at += 1 + n
        self.assertEqual(listed, ordered[2:])
        self.assertEqual(self.scan_continue(client, vb, uuid)[0].status, 0x01)

    def test_range_scan_edges(self):
        """2.18: empty range 0x01; JSON datatype required; cancel, then continue says 0xa5."""
        vb, low, high = 9, b"edge", b"edge\xff"
        client = self.connect(self.config(self.connect())["vBucketServerMap"]["vBucketMap"][vb][0])
        self.assertEqual(self.scan_create(client, vb, start=low, end=high).status, 0x01)
        key = keys_in_vbucket(vb, 64, 1, prefix=b"edge")[0]
        client.call(0x01, key=key, extras=set_extras(), value=b"v", vbucket=vb)
        self.assertEqual(self.scan_create(client, vb, json_datatype=0).status, 0x04)
        self.assertEqual(self.scan_create(client, vb, start=key + b"\0", end=high).status, 0x01)
        uuid = self.scan_create(client, vb, start=low, end=high).value
        self.assertEqual(client.call(0xDC, extras=uuid, vbucket=vb).status, 0)
        self.assertEqual(self.scan_continue(client, vb, uuid)[0].status, 0xA5)
        self.assertEqual(client.call(0xDC, extras=uuid, vbucket=vb).status, 0x01)


class NoReplicas(FakeCase):
    ARGS = ["--nodes", "2", "--vbuckets", "16", "--replicas", "0"]

    def test_get_replica_is_not_my_vbucket_everywhere(self):
        """2.10: with no replica of the vbucket, no node holds one: NOT_MY_VBUCKET."""
        vb = vbucket_of(b"k", 16)
        for node in (0, 1):
            self.assertEqual(self.connect(node).call(0x83, key=b"k", vbucket=vb).status, 0x07)
        self.assertEqual(self.config(self.connect())["vBucketServerMap"]["vBucketMap"][vb],
                         [vb % 2])


class NoXerror(FakeCase):
    ARGS = ["--nodes", "1", "--vbuckets", "8", "--scenario", "no-xerror"]

    def test_hello_refuses_xerror(self):
        reply = self.connect(bootstrap=False).hello()
        self.assertEqual(reply.value, struct.pack(">3H", 0x03, 0x08, 0x0B))

    def test_lock_conflicts_are_remapped(self):
        """2.4: locked mutation -> 0x02, second lock / bad unlock / not locked -> 0x86."""
        client = self.connect()
        vb = vbucket_of(b"l", 8)
        client.call(0x01, key=b"l", extras=set_extras(), value=b"v", vbucket=vb)
        locked = client.call(0x94, key=b"l", extras=struct.pack(">I", 5), vbucket=vb)
        self.assertEqual(client.call(0x01, key=b"l", extras=set_extras(), value=b"w",
                                     vbucket=vb).status, 0x02)
        self.assertEqual(client.call(0x94, key=b"l", vbucket=vb).status, 0x86)
        self.assertEqual(client.call(0x95, key=b"l", vbucket=vb, cas=1).status, 0x86)
        self.assertEqual(client.call(0x95, key=b"l", vbucket=vb, cas=locked.cas).status, 0)
        self.assertEqual(client.call(0x95, key=b"l", vbucket=vb, cas=locked.cas).status, 0x86)

    def test_range_scan_end_closes_the_connection(self):
        """2.4: range_scan_* statuses close a connection without XERROR."""
        client = self.connect()
        client.call(0x01, key=b"s", extras=set_extras(), value=b"v", vbucket=vbucket_of(b"s", 8))
        body = json.dumps({"key_only": True, "range": {"start": "AA==", "end": "/w=="}})
        uuid = client.call(0xDA, value=body.encode(), vbucket=vbucket_of(b"s", 8),
                           datatype=1).value
        client.send(0xDB, extras=uuid + bytes(12), vbucket=vbucket_of(b"s", 8))
        self.assertTrue(client.closed_by_server())


class NoRangeScan(FakeCase):
    ARGS = ["--nodes", "1", "--vbuckets", "8", "--scenario", "no-rangescan"]

    def test_range_scan_is_an_unknown_command(self):
        client = self.connect()
        self.assertNotIn("rangeScan", self.config(client)["bucketCapabilities"])
        reply = client.call(0xDA, value=b'{"key_only":true}', datatype=1)
        self.assertEqual(reply.raw, frame(0xDA, client.opaque, status=0x81))


class AuthFail(FakeCase):
    ARGS = ["--nodes", "1", "--scenario", "auth-fail"]

    def test_the_right_password_is_refused(self):
        client = self.connect(bootstrap=False)
        self.assertEqual(client.plain().status, 0x20)
        self.assertEqual(client.call(0x21, key=b"SCRAM-SHA256", value=b"n,,n=kvtui,r=abc")
                         .status, 0x20)


class Rebalance(FakeCase):
    ARGS = ["--nodes", "2", "--vbuckets", "8", "--replicas", "1", "--scenario", "rebalance",
            "--rebalance-after", "3"]

    def test_vbuckets_move_and_the_old_node_sends_the_new_map(self):
        old = self.config(self.connect())
        vb = 0  # even vbuckets move
        owner = old["vBucketServerMap"]["vBucketMap"][vb][0]
        key = keys_in_vbucket(vb, 8, 1, prefix=b"rb")[0]
        client = self.connect(owner)
        for _ in range(3):
            self.assertEqual(client.call(0x01, key=key, extras=set_extras(), value=b"v",
                                         vbucket=vb).status, 0)
        moved = client.call(0x00, key=key, vbucket=vb)
        self.assertEqual(moved.status, 0x07)
        new = json.loads(moved.value)
        self.assertGreater(new["rev"], old["rev"])
        new_owner = new["vBucketServerMap"]["vBucketMap"][vb][0]
        self.assertNotEqual(new_owner, owner)
        self.assertEqual(new["vBucketServerMap"]["vBucketMap"][1],
                         old["vBucketServerMap"]["vBucketMap"][1])  # odd ones stay
        got = self.connect(new_owner).call(0x00, key=key, vbucket=vb)
        self.assertEqual((got.status, got.value), (0, b"v"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
