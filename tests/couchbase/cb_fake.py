#!/usr/bin/env python3
"""A fake Couchbase Server cluster for kvtui's tests, written from shared/reference/protocol.md.

    cb_fake.py --nodes 2 --vbuckets 64 --replicas 1 --bucket default --user U
               --password-file F [--scenario NAME] [--rebalance-after N] --port-file F
               [--watch-stdin]

Listens on one free 127.0.0.1 port per node (all nodes share one in-memory bucket), writes the
ports to --port-file, one "port\\n" line per node in node order, once every node listens, and
serves until SIGTERM/SIGINT. It speaks the memcached binary protocol as Couchbase extends it
(section numbers refer to protocol.md): HELLO (2.2), GET_ERROR_MAP (2.15), SASL PLAIN and
SCRAM-SHA512/256/1 answered the Couchbase way (2.5, 8), SELECT_BUCKET (2.1), GET_CLUSTER_CONFIG
with "$HOST" (2.6), the document operations with CAS, flags, expiry and the JSON datatype (1.2-1.6,
2.3), NOT_MY_VBUCKET with the map as body (2.9), GET_META (2.11), GET_REPLICA (2.10),
GET_LOCKED/UNLOCK_KEY (2.12), OBSERVE (2.13), key-only RangeScan (2.18), the error remapping of
clients without XERROR (2.4), and UNKNOWN_COMMAND for everything else. With --tls-cert and
--tls-key every node speaks TLS only, and the map advertises its port as kvSSL.

Scenarios:
  rebalance     after --rebalance-after data operations (default 10) every even vbucket moves to
                the next node; the old node answers NOT_MY_VBUCKET with the new map (rev + 1)
  no-xerror     HELLO never accepts XERROR, so errors are remapped (or the connection closed)
  no-rangescan  RangeScan opcodes answer UNKNOWN_COMMAND; no "rangeScan" bucket capability
  auth-fail     every SASL_AUTH fails with AUTH_ERROR
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import ssl
import struct
import sys
import time

HEADER = struct.Struct(">BBHBBHIIQ")
REQUEST_MAGIC, RESPONSE_MAGIC = 0x80, 0x81
MAX_BODY = 30 * 1024 * 1024  # max_packet_size (2.16): larger frames disconnect
KEY_MAX = 250
RELATIVE_MAX = 60 * 60 * 24 * 30  # 1.4
PERSIST_DELAY = 0.1  # OBSERVE reports "persisted" this long after a mutation
LOCK_DEFAULT, LOCK_MAX = 15, 30  # 2.12
SCRAM_ITERATIONS = 4096
SCAN_CHUNK = 64  # keys per RangeScan continue frame
ALL_ONES = 0xFFFFFFFFFFFFFFFF

OP = dict(GET=0x00, SET=0x01, ADD=0x02, REPLACE=0x03, DELETE=0x04, INCR=0x05, DECR=0x06,
          NOOP=0x0A, VERSION=0x0B, GETK=0x0C, APPEND=0x0E, PREPEND=0x0F, TOUCH=0x1C, GAT=0x1D,
          HELLO=0x1F, SASL_LIST=0x20, SASL_AUTH=0x21, SASL_STEP=0x22, GET_REPLICA=0x83,
          SELECT_BUCKET=0x89, OBSERVE=0x92, GET_LOCKED=0x94, UNLOCK=0x95, GET_META=0xA0,
          GET_CLUSTER_CONFIG=0xB5, SCAN_CREATE=0xDA, SCAN_CONTINUE=0xDB, SCAN_CANCEL=0xDC,
          GET_ERROR_MAP=0xFE)

SUCCESS, KEY_ENOENT, KEY_EEXISTS, E2BIG, EINVAL, NOT_STORED, DELTA_BADVAL = 0, 1, 2, 3, 4, 5, 6
NOT_MY_VBUCKET, NO_BUCKET, LOCKED, NOT_LOCKED, CAS_VALUE_INVALID = 0x07, 0x08, 0x09, 0x0E, 0x0F
AUTH_STALE, AUTH_ERROR, AUTH_CONTINUE, EACCESS = 0x1F, 0x20, 0x21, 0x24
UNKNOWN_COMMAND, NOT_SUPPORTED, ETMPFAIL = 0x81, 0x83, 0x86
UNKNOWN_COLLECTION, UNKNOWN_SCOPE = 0x88, 0x8C
SCAN_CANCELLED, SCAN_MORE, SCAN_COMPLETE, VB_UUID_NOT_EQUAL = 0xA5, 0xA6, 0xA7, 0xA8

FEATURE_TCPNODELAY, FEATURE_MUTATION_SEQNO, FEATURE_XERROR = 0x03, 0x04, 0x07
FEATURE_SELECT_BUCKET, FEATURE_JSON = 0x08, 0x0B
SUPPORTED_FEATURES = {FEATURE_TCPNODELAY, FEATURE_MUTATION_SEQNO, FEATURE_XERROR,
                      FEATURE_SELECT_BUCKET, FEATURE_JSON}
DATATYPE_JSON = 0x01

MECHANISMS = b"SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN"  # 2.5, non-TLS default
SCRAM_HASHES = {b"SCRAM-SHA512": hashlib.sha512, b"SCRAM-SHA256": hashlib.sha256,
                b"SCRAM-SHA1": hashlib.sha1}

# 2.4: what a client without XERROR gets instead; None = the server closes the connection.
CLOSE_WITHOUT_XERROR = {EACCESS, NO_BUCKET, AUTH_STALE, 0xA0, 0xA1, 0xA3, SCAN_CANCELLED,
                        SCAN_MORE, SCAN_COMPLETE, VB_UUID_NOT_EQUAL}

ERROR_MAP = {"version": 2, "revision": 1, "errors": {
    "0": {"name": "SUCCESS", "desc": "Success", "attrs": ["success"]},
    "1": {"name": "KEY_ENOENT", "desc": "Not Found", "attrs": ["item-only"]},
    "2": {"name": "KEY_EEXISTS", "desc": "key already exists, or CAS mismatch",
          "attrs": ["item-only"]},
    "4": {"name": "EINVAL", "desc": "Invalid packet", "attrs": ["internal", "invalid-input"]},
    "7": {"name": "NOT_MY_VBUCKET", "desc": "Server which received this command is not the "
          "master for the vbucket", "attrs": ["fetch-config", "invalid-input"]},
    "9": {"name": "LOCKED", "desc": "Requested resource is locked",
          "attrs": ["item-locked", "item-only", "retry-later"]},
    "e": {"name": "NOT_LOCKED", "desc": "Requested resource is not locked",
          "attrs": ["item-only"]},
    "20": {"name": "AUTH_ERROR", "desc": "Authentication failed", "attrs": ["auth"]},
    "81": {"name": "UNKNOWN_COMMAND", "desc": "Unknown command", "attrs": ["support"]},
    "86": {"name": "ETMPFAIL", "desc": "Temporary failure", "attrs": ["temp", "retry-later"]},
    "a6": {"name": "RANGE_SCAN_MORE", "desc": "Scan has more items", "attrs": ["success"]},
    "a7": {"name": "RANGE_SCAN_COMPLETE", "desc": "Scan complete", "attrs": ["success"]},
}}


class Fail(Exception):
    """An error answer: STATUS with an optional Couchbase-style error context body."""

    def __init__(self, status, context=None):
        super().__init__(context or "")
        self.status = status
        self.context = context


def response(opcode, opaque, status=SUCCESS, extras=b"", key=b"", value=b"", cas=0, datatype=0):
    body = extras + key + value
    return HEADER.pack(RESPONSE_MAGIC, opcode, len(key), len(extras), datatype, status,
                       len(body), opaque, cas) + body


def absolute_expiry(exptime, now):
    """1.4: 0 = never, up to 30 days relative, above that an absolute Unix time."""
    if exptime == 0:
        return 0
    return int(now) + exptime if exptime <= RELATIVE_MAX else exptime


def is_json(value):
    try:
        json.loads(value.decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def leb128(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Doc:
    __slots__ = ("value", "flags", "expiry", "cas", "datatype", "seqno", "deleted",
                 "lock_cas", "lock_until", "persisted_at")

    def __init__(self):
        self.value, self.flags, self.expiry, self.cas, self.datatype = b"", 0, 0, 0, 0
        self.seqno, self.deleted, self.persisted_at = 0, False, 0
        self.lock_cas, self.lock_until = 0, 0

    def locked(self, now):
        return self.lock_cas != 0 and now < self.lock_until


class Cluster:
    """The shared state: one bucket, the vbucket map, the documents per vbucket, the scans."""

    def __init__(self, args, password):
        self.args, self.password = args, password
        self.nodes, self.nvb, self.replicas = args.nodes, args.vbuckets, args.replicas
        self.ports = []
        self.rev, self.rebalanced, self.ops = 1, False, 0
        self.active = [v % self.nodes for v in range(self.nvb)]
        self.docs = [dict() for _ in range(self.nvb)]
        self.seqnos = [0] * self.nvb
        self.vb_uuids = [int.from_bytes(os.urandom(8), "big") for _ in range(self.nvb)]
        self.last_cas = 0
        self.scans, self.cancelled = {}, set()
        self.salt = os.urandom(16)

    def row(self, v):
        a = self.active[v]
        replicas = [(a + i + 1) % self.nodes if i + 1 < self.nodes else -1
                    for i in range(self.replicas)]
        return [a] + replicas

    def count_op(self):
        """Data operations drive the rebalance scenario: op N+1 already sees the new map."""
        self.ops += 1
        if (self.args.scenario == "rebalance" and not self.rebalanced
                and self.ops > self.args.rebalance_after):
            self.rebalanced = True
            self.active = [(a + 1) % self.nodes if v % 2 == 0 else a
                           for v, a in enumerate(self.active)]
            self.rev += 1
            log("rebalance: even vbuckets moved, rev %d" % self.rev)

    def config(self, node):
        """2.6: the map as NODE serves it, "$HOST" standing for NODE itself."""
        def host(n):
            return "$HOST" if n == node else "127.0.0.1"
        caps = ["cccp", "xattr", "dcp", "cbhello", "touch", "durableWrite", "nodesExt"]
        if self.args.scenario != "no-rangescan":
            caps.append("rangeScan")
        nodes_ext = []
        for n, port in enumerate(self.ports):
            entry = {"services": {"kv": port, "mgmt": 8091}}
            if self.args.tls_cert:  # TLS only: the same port, advertised as kvSSL (2.6)
                entry["services"]["kvSSL"] = port
            if n == node:
                entry["thisNode"] = True
            else:
                entry["hostname"] = host(n)
            nodes_ext.append(entry)
        cfg = {"rev": self.rev, "revEpoch": 1, "name": self.args.bucket,
               "uuid": "fa4e5e0000000000000000000000c0de", "nodeLocator": "vbucket",
               "bucketCapabilitiesVer": "", "bucketCapabilities": caps, "nodesExt": nodes_ext,
               "vBucketServerMap": {
                   "hashAlgorithm": "CRC", "numReplicas": self.replicas,
                   "serverList": ["%s:%d" % (host(n), p) for n, p in enumerate(self.ports)],
                   "vBucketMap": [self.row(v) for v in range(self.nvb)]}}
        return json.dumps(cfg, separators=(",", ":")).encode()

    def next_cas(self):
        self.last_cas = max(self.last_cas + 1, time.time_ns() & ~0xFFFF)
        return self.last_cas

    def lookup(self, vb, key, now):
        """The live document, or None; an expired one becomes a tombstone first."""
        doc = self.docs[vb].get(key)
        if doc and not doc.deleted and doc.expiry and doc.expiry <= now:
            self.tombstone(vb, doc, now)
        return doc if doc and not doc.deleted else None

    def tombstone(self, vb, doc, now):
        doc.value, doc.deleted, doc.lock_cas, doc.datatype = b"", True, 0, 0
        self.mutated(vb, doc, now)

    def mutated(self, vb, doc, now):
        doc.cas = self.next_cas()
        self.seqnos[vb] += 1
        doc.seqno = self.seqnos[vb]
        doc.persisted_at = now + PERSIST_DELAY


class Connection(asyncio.Protocol):
    def __init__(self, cluster, node):
        self.cluster, self.node = cluster, node
        self.buf = bytearray()
        self.features = set()
        self.user = None
        self.bucket = None
        self.scram = None
        self.transport = None

    # ---- framing ----

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while len(self.buf) >= 24 and not self.transport.is_closing():
            magic, opcode, keylen, extlen, datatype, vbucket, bodylen, opaque, cas = \
                HEADER.unpack_from(self.buf)
            if magic != REQUEST_MAGIC or bodylen > MAX_BODY or extlen + keylen > bodylen:
                log("node %d: bad frame (magic 0x%02x), closing" % (self.node, magic))
                self.transport.close()
                return
            if len(self.buf) < 24 + bodylen:
                return
            body = bytes(self.buf[24:24 + bodylen])
            del self.buf[:24 + bodylen]
            req = Request(opcode, datatype, vbucket, opaque, cas, body[:extlen],
                          body[extlen:extlen + keylen], body[extlen + keylen:])
            self.dispatch(req)

    def dispatch(self, req):
        handler = HANDLERS.get(req.opcode)
        if req.opcode in SCAN_OPS and self.cluster.args.scenario == "no-rangescan":
            handler = None
        try:
            if handler is None:
                raise Fail(UNKNOWN_COMMAND)
            out = handler(self, req)
        except Fail as fail:
            out = self.error(req, fail)
        except Exception as exc:  # a bug here must show, not kill the connection silently
            sys.stderr.write("cb_fake: node %d: 0x%02x failed: %r\n" % (self.node, req.opcode, exc))
            out = self.error(req, Fail(EINVAL, "cb_fake internal error"))
        if out is None:
            log("node %d: closing on 0x%02x (no XERROR)" % (self.node, req.opcode))
            self.transport.close()
        else:
            self.transport.write(out)

    def error(self, req, fail):
        status = fail.status
        if FEATURE_XERROR not in self.features:
            if status in CLOSE_WITHOUT_XERROR:
                return None
            status = remap_without_xerror(status, req.opcode)
        if status == NOT_MY_VBUCKET:
            log("node %d: NOT_MY_VBUCKET for opcode 0x%02x" % (self.node, req.opcode))
            return self.reply(req, status, value=self.cluster.config(self.node), json_body=True)
        body = b""
        if fail.context:
            body = json.dumps({"error": {"context": fail.context}}).encode()
        return self.reply(req, status, value=body, json_body=bool(body))

    def reply(self, req, status=SUCCESS, extras=b"", key=b"", value=b"", cas=0, datatype=0,
              json_body=False):
        if json_body:
            datatype = DATATYPE_JSON
        if FEATURE_JSON not in self.features:
            datatype &= ~DATATYPE_JSON
        return response(req.opcode, req.opaque, status, extras, key, value, cas, datatype)

    # ---- checks shared by the data operations ----

    def data_op(self, req, extras=(0,), key=True, cas_zero=False, replica=False):
        """Validate, then route: the checks a real node makes before the engine sees it."""
        if len(req.extras) not in extras:
            raise Fail(EINVAL, "Request must include extras of length %s" % "/".join(
                map(str, extras)))
        if key and not 1 <= len(req.key) <= KEY_MAX:
            raise Fail(EINVAL, "Key length must be 1..%d" % KEY_MAX)
        if cas_zero and req.cas:
            raise Fail(EINVAL, "Request CAS must be 0")
        self.check_datatype(req)
        self.check_session()
        self.cluster.count_op()
        self.check_vbucket(req.vbucket, replica)

    def check_datatype(self, req):
        allowed = DATATYPE_JSON if (FEATURE_JSON in self.features and req.opcode in STORE_OPS) \
            else 0
        if req.opcode == OP["SCAN_CREATE"] and FEATURE_JSON in self.features:
            allowed = DATATYPE_JSON
        if req.datatype & ~allowed:
            raise Fail(EINVAL, "Datatype (%d) not enabled for the connection" % req.datatype)

    def check_session(self):
        if self.user is None:
            raise Fail(AUTH_ERROR)
        if self.bucket is None:
            raise Fail(NO_BUCKET)

    def check_vbucket(self, vb, replica=False, any_copy=False):
        """2.9: a node answers only for the vbuckets it holds (active, or replica if asked)."""
        if vb >= self.cluster.nvb:
            raise Fail(NOT_MY_VBUCKET)
        row = self.cluster.row(vb)
        held = row if any_copy else row[1:] if replica else row[:1]
        if self.node not in held:
            raise Fail(NOT_MY_VBUCKET)

    def seqno_extras(self, vb, doc):
        if FEATURE_MUTATION_SEQNO not in self.features:
            return b""
        return struct.pack(">QQ", self.cluster.vb_uuids[vb], doc.seqno)

    def mutation_reply(self, req, doc, value=b""):
        return self.reply(req, extras=self.seqno_extras(req.vbucket, doc), value=value,
                          cas=doc.cas)


class Request:
    __slots__ = ("opcode", "datatype", "vbucket", "opaque", "cas", "extras", "key", "value")

    def __init__(self, opcode, datatype, vbucket, opaque, cas, extras, key, value):
        self.opcode, self.datatype, self.vbucket, self.opaque = opcode, datatype, vbucket, opaque
        self.cas, self.extras, self.key, self.value = cas, extras, key, value


def remap_without_xerror(status, opcode):
    """2.4: the classic status a client without XERROR receives."""
    if status == LOCKED:
        return ETMPFAIL if opcode in (OP["GET_LOCKED"], OP["UNLOCK"]) else KEY_EEXISTS
    if status in (NOT_LOCKED, 0xA2, 0xA4):
        return ETMPFAIL
    if status == CAS_VALUE_INVALID:
        return KEY_EEXISTS
    if status in (UNKNOWN_COLLECTION, UNKNOWN_SCOPE):
        return EINVAL
    return status


def log(text):
    if os.environ.get("CB_FAKE_VERBOSE"):
        sys.stderr.write("cb_fake: %s\n" % text)


# ---- bootstrap: HELLO, error map, SASL, bucket, cluster map ----

def do_hello(conn, req):
    if len(req.value) % 2 or req.extras:
        raise Fail(EINVAL, "HELLO value must be a list of u16 features")
    asked = struct.unpack(">%dH" % (len(req.value) // 2), req.value)
    offered = set(SUPPORTED_FEATURES)
    if conn.cluster.args.scenario == "no-xerror":
        offered.discard(FEATURE_XERROR)
    enabled = []
    for code in asked:
        if code in offered and code not in enabled:
            enabled.append(code)
    conn.features = set(enabled)
    log("node %d: HELLO %r -> %s" % (conn.node, req.key[:80], enabled))
    return conn.reply(req, value=struct.pack(">%dH" % len(enabled), *enabled))


def do_error_map(conn, req):
    if len(req.value) != 2 or struct.unpack(">H", req.value)[0] == 0:
        raise Fail(EINVAL, "GET_ERROR_MAP value must be a u16 version > 0")
    version = min(struct.unpack(">H", req.value)[0], 2)
    body = dict(ERROR_MAP, version=version)
    return conn.reply(req, value=json.dumps(body).encode(), json_body=True)


def do_sasl_list(conn, req):
    return conn.reply(req, value=MECHANISMS)


def do_sasl_auth(conn, req):
    conn.user, conn.scram = None, None
    log("node %d: SASL_AUTH %s" % (conn.node, req.key.decode("ascii", "replace")))
    if conn.cluster.args.scenario == "auth-fail":
        raise Fail(AUTH_ERROR)
    if req.key == b"PLAIN":
        parts = req.value.split(b"\0")
        if len(parts) != 3 or not authentic(conn, parts[1], parts[2]):
            raise Fail(AUTH_ERROR)
        conn.user = parts[1]
        return conn.reply(req)
    if req.key in SCRAM_HASHES:
        return scram_first(conn, req)
    raise Fail(AUTH_ERROR)


def authentic(conn, user, password):
    return (user == conn.cluster.args.user.encode() and
            hmac.compare_digest(password, conn.cluster.password))


def scram_attrs(text):
    attrs = {}
    for part in text.split(b","):
        if len(part) >= 2 and part[1:2] == b"=":
            attrs[part[:1]] = part[2:]
    return attrs


def scram_first(conn, req):
    """RFC 5802 server-first: r=client nonce+server nonce, s=salt, i=iterations."""
    if not req.value.startswith((b"n,,", b"y,,")):
        raise Fail(AUTH_ERROR)
    bare = req.value[3:]
    attrs = scram_attrs(bare)
    user = attrs.get(b"n", b"").replace(b"=2C", b",").replace(b"=3D", b"=")
    if b"r" not in attrs:
        raise Fail(AUTH_ERROR)
    nonce = attrs[b"r"] + base64.b64encode(os.urandom(18))
    first = b"r=%s,s=%s,i=%d" % (nonce, base64.b64encode(conn.cluster.salt), SCRAM_ITERATIONS)
    conn.scram = (req.key, user, bare, first, nonce, req.value[:3])
    return conn.reply(req, AUTH_CONTINUE, value=first)


def do_sasl_step(conn, req):
    """RFC 5802 client-final; Couchbase answers status 0 with v=signature (protocol.md 8)."""
    if conn.scram is None or req.key != conn.scram[0]:
        raise Fail(AUTH_ERROR)
    mech, user, client_first, server_first, nonce, gs2 = conn.scram
    conn.scram = None
    attrs = scram_attrs(req.value)
    without_proof, _, _ = req.value.rpartition(b",p=")
    if (attrs.get(b"r") != nonce or attrs.get(b"c") != base64.b64encode(gs2)
            or b"p" not in attrs or user != conn.cluster.args.user.encode()):
        raise Fail(AUTH_ERROR)
    digest = SCRAM_HASHES[mech]
    name = digest().name
    salted = hashlib.pbkdf2_hmac(name, conn.cluster.password, conn.cluster.salt,
                                 SCRAM_ITERATIONS)
    auth_message = client_first + b"," + server_first + b"," + without_proof
    stored_key = digest(hmac.new(salted, b"Client Key", digest).digest()).digest()
    signature = hmac.new(stored_key, auth_message, digest).digest()
    try:
        proof = base64.b64decode(attrs[b"p"], validate=True)
    except ValueError:
        raise Fail(AUTH_ERROR)
    client_key = bytes(a ^ b for a, b in zip(proof, signature))
    if len(proof) != len(signature) or digest(client_key).digest() != stored_key:
        raise Fail(AUTH_ERROR)
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    verifier = base64.b64encode(hmac.new(server_key, auth_message, digest).digest())
    conn.user = user
    return conn.reply(req, value=b"v=" + verifier)


def do_select_bucket(conn, req):
    if conn.user is None:
        raise Fail(EACCESS)
    if req.key == b"@no bucket@":
        conn.bucket = None
        return conn.reply(req)
    if req.key != conn.cluster.args.bucket.encode():
        raise Fail(KEY_ENOENT)
    conn.bucket = req.key
    return conn.reply(req)


def do_cluster_config(conn, req):
    if req.extras or req.key or req.value:
        raise Fail(EINVAL, "GET_CLUSTER_CONFIG takes no extras, key or value")
    conn.check_session()
    return conn.reply(req, value=conn.cluster.config(conn.node), json_body=True)


def do_noop(conn, req):
    return conn.reply(req)


def do_version(conn, req):
    return conn.reply(req, value=b"7.6.0-fake")


# ---- documents ----

def check_lock(doc, req, now):
    """1.5/2.12: only the lock CAS may touch a locked document, and it releases the lock."""
    if doc is not None and doc.locked(now):
        if req.cas != doc.lock_cas:
            raise Fail(LOCKED)
        doc.lock_cas = 0


def check_cas(doc, req):
    if req.cas and doc.cas != req.cas:
        raise Fail(KEY_EEXISTS)


def store(conn, req, doc, value, flags, expiry, now):
    cluster = conn.cluster
    if doc is None:
        doc = cluster.docs[req.vbucket].get(req.key) or Doc()
        cluster.docs[req.vbucket][req.key] = doc
    doc.value, doc.flags, doc.expiry, doc.deleted = value, flags, expiry, False
    doc.datatype = DATATYPE_JSON if is_json(value) else 0
    log("node %d: store %r with datatype 0x%02x" % (conn.node, req.key[:40], req.datatype))
    cluster.mutated(req.vbucket, doc, now)
    return doc


def do_get(conn, req):
    conn.data_op(req, cas_zero=True)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(KEY_ENOENT)
    cas = ALL_ONES if doc.locked(now) else doc.cas
    key = req.key if req.opcode == OP["GETK"] else b""
    return conn.reply(req, extras=struct.pack(">I", doc.flags), key=key, value=doc.value,
                      cas=cas, datatype=doc.datatype)


def do_store(conn, req):
    add = req.opcode == OP["ADD"]
    conn.data_op(req, extras=(8,), cas_zero=add)
    if len(req.value) > 20 * 1024 * 1024:
        raise Fail(E2BIG)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if add and doc is not None:
        raise Fail(KEY_EEXISTS)
    if req.opcode == OP["REPLACE"] or (req.opcode == OP["SET"] and req.cas):
        if doc is None:
            raise Fail(KEY_ENOENT)
    check_lock(doc, req, now)
    if doc is not None:
        check_cas(doc, req)
    flags, exptime = struct.unpack(">II", req.extras)
    doc = store(conn, req, doc, req.value, flags, absolute_expiry(exptime, now), now)
    return conn.mutation_reply(req, doc)


def do_delete(conn, req):
    conn.data_op(req)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(KEY_ENOENT)
    check_lock(doc, req, now)
    check_cas(doc, req)
    conn.cluster.tombstone(req.vbucket, doc, now)
    return conn.mutation_reply(req, doc)


def do_concat(conn, req):
    conn.data_op(req)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(NOT_STORED)
    check_lock(doc, req, now)
    check_cas(doc, req)
    value = doc.value + req.value if req.opcode == OP["APPEND"] else req.value + doc.value
    doc = store(conn, req, doc, value, doc.flags, doc.expiry, now)
    return conn.mutation_reply(req, doc)


def do_arithmetic(conn, req):
    """1.6: a missing key is created with initial (delta not applied) unless exptime is ~0."""
    conn.data_op(req, extras=(20,), cas_zero=True)
    delta, initial, exptime = struct.unpack(">QQI", req.extras)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        if exptime == 0xFFFFFFFF:
            raise Fail(KEY_ENOENT)
        number = initial
        doc = store(conn, req, None, str(number).encode(), 0, absolute_expiry(exptime, now), now)
    else:
        check_lock(doc, req, now)
        text = doc.value.decode("ascii", "replace")
        if not text.isdigit() or int(text) > ALL_ONES:
            raise Fail(DELTA_BADVAL)
        if req.opcode == OP["INCR"]:
            number = (int(text) + delta) & ALL_ONES
        else:
            number = max(int(text) - delta, 0)
        doc = store(conn, req, doc, str(number).encode(), doc.flags, doc.expiry, now)
    doc.datatype = DATATYPE_JSON
    return conn.mutation_reply(req, doc, value=struct.pack(">Q", number))


def do_touch(conn, req):
    """TOUCH answers with the CAS only; GAT also returns flags and value (1.2)."""
    conn.data_op(req, extras=(4,), cas_zero=True)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(KEY_ENOENT)
    check_lock(doc, req, now)
    doc.expiry = absolute_expiry(struct.unpack(">I", req.extras)[0], now)
    conn.cluster.mutated(req.vbucket, doc, now)
    if req.opcode == OP["TOUCH"]:
        return conn.reply(req, cas=doc.cas)
    return conn.reply(req, extras=struct.pack(">I", doc.flags), value=doc.value, cas=doc.cas,
                      datatype=doc.datatype)


def do_get_replica(conn, req):
    """2.10: exactly a GET, but only a node holding a replica of the vbucket answers it."""
    conn.data_op(req, cas_zero=True, replica=True)
    doc = conn.cluster.lookup(req.vbucket, req.key, time.time())
    if doc is None:
        raise Fail(KEY_ENOENT)
    return conn.reply(req, extras=struct.pack(">I", doc.flags), value=doc.value, cas=doc.cas,
                      datatype=doc.datatype)


def do_get_meta(conn, req):
    """2.11: deleted, flags, exptime, seqno (+ datatype when asked with extras 0x02)."""
    conn.data_op(req, extras=(0, 1), cas_zero=True)
    now = time.time()
    conn.cluster.lookup(req.vbucket, req.key, now)  # expires it if due
    doc = conn.cluster.docs[req.vbucket].get(req.key)
    if doc is None:
        raise Fail(KEY_ENOENT)
    extras = struct.pack(">IIIQ", 1 if doc.deleted else 0, doc.flags, doc.expiry, doc.seqno)
    if req.extras == b"\x02":
        extras += bytes([doc.datatype])
    return conn.reply(req, extras=extras, cas=doc.cas)


def do_get_locked(conn, req):
    conn.data_op(req, extras=(0, 4), cas_zero=True)
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(KEY_ENOENT)
    if doc.locked(now):
        raise Fail(LOCKED)
    seconds = struct.unpack(">I", req.extras)[0] if req.extras else 0
    if seconds == 0 or seconds > LOCK_MAX:
        seconds = LOCK_DEFAULT
    doc.cas = doc.lock_cas = conn.cluster.next_cas()
    doc.lock_until = now + seconds
    return conn.reply(req, extras=struct.pack(">I", doc.flags), value=doc.value, cas=doc.cas,
                      datatype=doc.datatype)


def do_unlock(conn, req):
    """2.4/2.12: missing -> KEY_ENOENT, not locked -> NOT_LOCKED, wrong CAS -> LOCKED."""
    conn.data_op(req)
    if req.cas == 0:
        raise Fail(EINVAL, "UNLOCK needs the lock CAS")
    now = time.time()
    doc = conn.cluster.lookup(req.vbucket, req.key, now)
    if doc is None:
        raise Fail(KEY_ENOENT)
    if not doc.locked(now):
        raise Fail(NOT_LOCKED)
    if req.cas != doc.lock_cas:
        raise Fail(LOCKED)
    doc.lock_cas = 0
    return conn.reply(req, cas=doc.cas)


def do_observe(conn, req):
    """2.13: per key vbid, keylen, key, state, cas; every vbucket must live on this node."""
    if req.key or req.extras or req.cas:
        raise Fail(EINVAL, "OBSERVE takes only a value")
    conn.check_session()
    entries, at, now = [], 0, time.time()
    while at < len(req.value):
        if at + 4 > len(req.value):
            raise Fail(EINVAL, "truncated OBSERVE entry")
        vb, keylen = struct.unpack_from(">HH", req.value, at)
        key = req.value[at + 4:at + 4 + keylen]
        if len(key) != keylen:
            raise Fail(EINVAL, "truncated OBSERVE key")
        at += 4 + keylen
        conn.check_vbucket(vb, any_copy=True)
        entries.append(observe_entry(conn.cluster, vb, key, now))
    return conn.reply(req, value=b"".join(entries))


def observe_entry(cluster, vb, key, now):
    cluster.lookup(vb, key, now)
    doc = cluster.docs[vb].get(key)
    persisted = doc is not None and now >= doc.persisted_at
    if doc is None or (doc.deleted and persisted):
        state, cas = 0x80, 0
    elif doc.deleted:
        state, cas = 0x81, doc.cas
    else:
        state, cas = (0x01 if persisted else 0x00), doc.cas
    return struct.pack(">HH", vb, len(key)) + key + struct.pack(">BQ", state, cas)


# ---- RangeScan (2.18): key-only, default collection ----

def do_scan_create(conn, req):
    if FEATURE_JSON not in conn.features or req.datatype != DATATYPE_JSON:
        raise Fail(EINVAL, "RangeScan create needs the JSON datatype")
    conn.data_op(req, key=False, cas_zero=True)
    try:
        spec = json.loads(req.value)
        start, end, excl_start, excl_end = scan_bounds(spec["range"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Fail(EINVAL, "bad RangeScan create body")
    if spec.get("collection", "0") not in ("0", "00"):
        raise Fail(UNKNOWN_COLLECTION)
    if spec.get("key_only") is not True or "sampling" in spec:
        raise Fail(NOT_SUPPORTED, "this fake scans keys only")
    now = time.time()
    keys = sorted(k for k in list(conn.cluster.docs[req.vbucket])
                  if conn.cluster.lookup(req.vbucket, k, now) is not None
                  and (start < k if excl_start else start <= k)
                  and (k < end if excl_end else k <= end))
    if not keys:
        raise Fail(KEY_ENOENT)
    uuid = os.urandom(16)
    conn.cluster.scans[uuid] = {"vb": req.vbucket, "keys": keys, "at": 0}
    return conn.reply(req, value=uuid)


def scan_bounds(spec):
    def b64(name):
        return base64.b64decode(spec[name], validate=True)
    start = b64("excl_start") if "excl_start" in spec else b64("start")
    end = b64("excl_end") if "excl_end" in spec else b64("end")
    return start, end, "excl_start" in spec, "excl_end" in spec


def do_scan_continue(conn, req):
    conn.data_op(req, extras=(28,), key=False, cas_zero=True)
    uuid = req.extras[:16]
    item_limit, _time_limit, byte_limit = struct.unpack(">III", req.extras[16:])
    if uuid in conn.cluster.cancelled:
        conn.cluster.cancelled.discard(uuid)
        raise Fail(SCAN_CANCELLED)
    scan = conn.cluster.scans.get(uuid)
    if scan is None or scan["vb"] != req.vbucket:
        raise Fail(KEY_ENOENT)
    batch, size = [], 0
    while scan["at"] < len(scan["keys"]):
        if (item_limit and len(batch) >= item_limit) or (byte_limit and size >= byte_limit):
            break
        key = scan["keys"][scan["at"]]
        scan["at"] += 1
        batch.append(key)
        size += len(key)
    done = scan["at"] >= len(scan["keys"])
    if done:
        del conn.cluster.scans[uuid]
    return scan_frames(conn, req, batch, SCAN_COMPLETE if done else SCAN_MORE)


def scan_frames(conn, req, keys, final):
    """Status-0 frames of SCAN_CHUNK keys each; the last chunk rides on the final status."""
    chunks = [keys[i:i + SCAN_CHUNK] for i in range(0, len(keys), SCAN_CHUNK)] or [[]]
    out = []
    for n, chunk in enumerate(chunks):
        status = final if n == len(chunks) - 1 else SUCCESS
        if status != SUCCESS and FEATURE_XERROR not in conn.features:
            return None  # 2.4: range_scan_* close a connection without XERROR
        payload = b"".join(leb128(len(k)) + k for k in chunk)
        out.append(conn.reply(req, status, extras=struct.pack(">I", 0), value=payload))
    return b"".join(out)


def do_scan_cancel(conn, req):
    conn.data_op(req, extras=(16,), key=False, cas_zero=True)
    if conn.cluster.scans.pop(req.extras, None) is None:
        raise Fail(KEY_ENOENT)
    conn.cluster.cancelled.add(req.extras)
    return conn.reply(req)


HANDLERS = {
    OP["HELLO"]: do_hello, OP["GET_ERROR_MAP"]: do_error_map, OP["SASL_LIST"]: do_sasl_list,
    OP["SASL_AUTH"]: do_sasl_auth, OP["SASL_STEP"]: do_sasl_step,
    OP["SELECT_BUCKET"]: do_select_bucket, OP["GET_CLUSTER_CONFIG"]: do_cluster_config,
    OP["NOOP"]: do_noop, OP["VERSION"]: do_version,
    OP["GET"]: do_get, OP["GETK"]: do_get, OP["SET"]: do_store, OP["ADD"]: do_store,
    OP["REPLACE"]: do_store, OP["DELETE"]: do_delete, OP["APPEND"]: do_concat,
    OP["PREPEND"]: do_concat, OP["INCR"]: do_arithmetic, OP["DECR"]: do_arithmetic,
    OP["TOUCH"]: do_touch, OP["GAT"]: do_touch, OP["GET_REPLICA"]: do_get_replica,
    OP["GET_META"]: do_get_meta, OP["GET_LOCKED"]: do_get_locked, OP["UNLOCK"]: do_unlock,
    OP["OBSERVE"]: do_observe, OP["SCAN_CREATE"]: do_scan_create,
    OP["SCAN_CONTINUE"]: do_scan_continue, OP["SCAN_CANCEL"]: do_scan_cancel,
}
SCAN_OPS = {OP["SCAN_CREATE"], OP["SCAN_CONTINUE"], OP["SCAN_CANCEL"]}
STORE_OPS = {OP["SET"], OP["ADD"], OP["REPLACE"], OP["APPEND"], OP["PREPEND"]}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--vbuckets", type=int, default=64)
    p.add_argument("--replicas", type=int, default=0)
    p.add_argument("--bucket", default="default")
    p.add_argument("--user", default="Administrator")
    p.add_argument("--password-file", help="the password (trailing newline dropped); "
                   "default: 'password'")
    p.add_argument("--scenario", choices=["rebalance", "no-xerror", "no-rangescan", "auth-fail"])
    p.add_argument("--rebalance-after", type=int, default=10)
    p.add_argument("--port-file", required=True)
    p.add_argument("--tls-cert", help="serve TLS only, with this certificate chain (PEM)")
    p.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    p.add_argument("--watch-stdin", action="store_true",
                   help="exit when stdin reaches EOF (start it with a pipe: the fake then dies "
                   "with the test that started it, even on SIGKILL)")
    args = p.parse_args(argv)
    if not 1 <= args.nodes <= 16 or not 1 <= args.vbuckets <= 1024 \
            or not 0 <= args.replicas <= 3:
        p.error("need 1..16 nodes, 1..1024 vbuckets, 0..3 replicas")
    if args.scenario == "rebalance" and args.nodes < 2:
        p.error("the rebalance scenario needs at least 2 nodes")
    return args


async def serve(args, password):
    cluster = Cluster(args, password)
    loop = asyncio.get_running_loop()
    servers = []
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    for node in range(args.nodes):
        server = await loop.create_server(lambda n=node: Connection(cluster, n), "127.0.0.1", 0,
                                          ssl=tls)
        servers.append(server)
        cluster.ports.append(server.sockets[0].getsockname()[1])
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join("%d\n" % port for port in cluster.ports))
    os.replace(tmp, args.port_file)
    log("listening on %s" % cluster.ports)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if args.watch_stdin:
        loop.add_reader(0, lambda: os.read(0, 4096) or stop.done() or stop.set_result(None))
    await stop
    for server in servers:
        server.close()


def main():
    args = parse_args(sys.argv[1:])
    password = b"password"
    if args.password_file:
        with open(args.password_file, "rb") as f:
            password = f.read().rstrip(b"\r\n")
    asyncio.run(serve(args, password))


if __name__ == "__main__":
    main()
