#!/usr/bin/env python3
"""Write assets/demo/demo.jsonl, the demo data set `make run` loads (kvtui import format).

Deterministic (fixed seed), stdlib only. The output is committed, so running kvtui never needs
Python; rerun this script only to change the data set:

    python3 assets/demo/make_demo.py [OUTPUT]

Each line is one document: {"key","flags","format","expiry","value"[,"encoding"][,"ttl"]}.
"ttl" (relative seconds) is an import extension so that session TTLs count down after loading.
"""
import base64
import datetime
import json
import os
import pickle
import random
import struct
import sys
import zlib

FLAGS = {"json": 0x02000000, "utf8": 0x04000004, "bytes": 0x03000002, "pickle": 0x01000001}

FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances",
         "José", "Zoë", "Søren", "Amélie", "Łukasz", "Chloé", "Björn", "Nadia", "Omar", "Priya",
         "Wei", "Yuki", "Olu", "Mateo", "Ingrid", "李雷", "Анна", "Fatima", "Kai", "Noor", "Elif"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
        "Allen", "García", "Müller", "Kierkegaard", "Dubois", "Nowak", "Öztürk", "Nakamura",
        "Okafor", "Silva", "Chen", "Kowalski", "Ivanova", "Haddad", "Patel", "Johansson", "Rossi"]
CITIES = [("Paris", "FR"), ("Berlin", "DE"), ("Kraków", "PL"), ("São Paulo", "BR"),
          ("Tokyo", "JP"), ("Lagos", "NG"), ("Austin", "US"), ("Montréal", "CA"),
          ("Zürich", "CH"), ("Reykjavík", "IS"), ("Mumbai", "IN"), ("Seoul", "KR")]
PRODUCTS = [("Mechanical keyboard", 89.99), ("USB-C cable", 9.99), ("Laptop stand", 34.5),
            ("Noise-cancelling headphones", 199.0), ("Ergonomic mouse", 49.95),
            ("27\" monitor", 279.99), ("Webcam 1080p", 59.0), ("Desk lamp", 24.99),
            ("Standing desk", 449.0), ("Coffee beans 1kg", 19.99), ("Notebook (dot grid)", 7.25),
            ("Fountain pen", 32.0), ("Cable ties ×100", 3.49), ("SSD 1 TB", 74.9)]
ROLES = ["admin", "editor", "viewer", "billing", "support"]
TAGS = ["beta", "newsletter", "vip", "churn-risk", "mobile", "desktop", "early-adopter"]
STATUSES = ["pending", "paid", "shipped", "delivered", "refunded", "cancelled"]


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def line(key, fmt, value_text=None, flags=None, encoded=None, ttl=None, expiry=0):
    """One import line; value_text is inserted verbatim (it must be one line of JSON)."""
    out = ['{"key":', compact(key), ',"flags":"0x%08x"' % (FLAGS[fmt] if flags is None else flags),
           ',"format":"', fmt, '","expiry":', str(expiry), ',"value":']
    if encoded is not None:
        out += ['"', base64.b64encode(encoded).decode("ascii"), '","encoding":"base64"']
    else:
        out.append(value_text)
    if ttl is not None:
        out.append(',"ttl":%d' % ttl)
    out.append("}")
    text = "".join(out)
    assert "\n" not in text and "\r" not in text
    return text


def timestamp(rng, start=1672531200, span=60 * 86400 * 6):
    moment = datetime.datetime.fromtimestamp(start + rng.randrange(span), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user(rng, n):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, country = rng.choice(CITIES)
    handle = "%s.%s%d" % (first.lower(), last.lower(), n)
    return {
        "id": n,
        "name": "%s %s" % (first, last),
        "email": handle.encode("ascii", "ignore").decode() + "@example.com",
        "created": timestamp(rng),
        "active": rng.random() > 0.15,
        "roles": sorted(rng.sample(ROLES, rng.randint(1, 2))),
        "address": {"city": city, "country": country, "zip": "%05d" % rng.randrange(100000)},
        "score": round(rng.uniform(0, 100), 2),
        "tags": rng.sample(TAGS, rng.randint(0, 3)),
        "last_login": None if rng.random() < 0.1 else timestamp(rng),
    }


def order(rng, n, users):
    items = []
    for _ in range(rng.randint(1, 5)):
        name, price = rng.choice(PRODUCTS)
        items.append({"sku": "SKU-%04d" % rng.randrange(10000), "name": name,
                      "qty": rng.randint(1, 4), "price": price})
    total = round(sum(i["qty"] * i["price"] for i in items), 2)
    doc = {"id": n, "user": "user::%04d" % rng.randrange(users), "status": rng.choice(STATUSES),
           "placed": timestamp(rng), "items": items, "total": total, "currency": "EUR"}
    if n % 7 == 0:
        # Payment-provider ids above 2^53: a viewer that goes through doubles would corrupt them.
        doc["payment_id"] = 2 ** 53 + rng.randrange(2 ** 62)
    if n % 11 == 0:
        doc["discount"] = {"code": "SPRING%d" % rng.randint(5, 30), "rate": 0.1}
    return doc


def session(rng):
    sid = "%010x" % rng.randrange(16 ** 10)
    return sid, {"sid": sid, "user": "user::%04d" % rng.randrange(1500),
                 "ip": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
                 "agent": rng.choice(["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.4.0",
                                      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1)"]),
                 "csrf": "%032x" % rng.randrange(16 ** 32)}


def png_like():
    """A small valid PNG (8x8 RGB gradient): real magic, chunks and CRCs."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + bytes(c for x in range(8) for c in (x * 32, y * 32, 128 + x * y))
                    for y in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def catalog(rng, target=900_000):
    """A large pretty-printed JSON document (stored multi-line, so exported as base64)."""
    products, n = [], 0
    while True:
        name, price = rng.choice(PRODUCTS)
        products.append({"sku": "SKU-%05d" % n, "name": name, "price": price,
                         "stock": rng.randrange(500), "weight_kg": round(rng.uniform(0.05, 30), 3),
                         "dimensions_cm": [rng.randint(1, 120) for _ in range(3)],
                         "tags": rng.sample(TAGS, 2), "rating": round(rng.uniform(1, 5), 1)})
        n += 1
        if n % 500 == 0 and len(json.dumps(products, indent=2)) > target:
            break
    return json.dumps({"version": 3, "generated": "2024-05-01T00:00:00Z", "currency": "EUR",
                       "count": len(products), "products": products}, indent=2,
                      ensure_ascii=False) + "\n"


README = """Welcome to kvtui!

This demo store holds users, orders, sessions (whose TTLs count down), counters,
a pickled settings object, a PNG blob and one big catalog document.

Try: / to filter keys, Enter to open, e to edit, t to set a TTL, + and - on counters.
Unicode works: naïve café, Ελληνικά, 日本語, emoji 🚀, right-to-left עברית.
"""

EVIL = ("Terminal escape test: \x1b[2J\x1b[H screen cleared?\n"
        "OSC 52 clipboard write: \x1b]52;c;ZWNobyBwd25lZA==\x07\n"
        "carriage return:\rOVERWRITTEN\n"
        "backspaces: abc\b\b\bXYZ\n"
        "bidi override: \u202egnp.exe\u202c and C1 CSI \u009b31m\n"
        "bell \x07 and title \x1b]0;pwned\x07 and NUL-free end\n")


def documents(rng):
    for n in range(1500):
        yield line("user::%04d" % n, "json", compact(user(rng, n)))
    for n in range(2000):
        yield line("order::%05d" % (10000 + n), "json", compact(order(rng, 10000 + n, 1500)))
    for _ in range(300):
        sid, doc = session(rng)
        yield line("session::" + sid, "json", compact(doc), ttl=rng.randint(30, 900))
    for name in ["page_views", "signups", "api_calls", "errors_5xx", "cart_checkouts"]:
        yield line("counter::" + name, "json", str(rng.randrange(10 ** 6)), flags=0)
    yield line("readme::welcome", "utf8", compact(README))
    yield line("evil::escape", "utf8", compact(EVIL))
    yield line("blob::logo", "bytes", encoded=png_like())
    settings = {"theme": "dark", "page_size": 50, "beta": True, "ratio": 0.75, "owner": None,
                "shortcuts": ["ctrl+s", "ctrl+q"], "limits": {"rps": 100, "burst": 250},
                "name": "Zoë's workspace"}
    yield line("pickle::settings", "pickle", encoded=pickle.dumps(settings, protocol=2))
    job = {"created": datetime.datetime(2024, 5, 1, 12, 30), "retries": 3}
    yield line("pickle::job", "pickle", encoded=pickle.dumps(job, protocol=2))
    yield line("catalog::full", "json", encoded=catalog(rng).encode("utf-8"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "demo.jsonl")
    rng = random.Random(20240501)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for text in documents(rng):
            out.write(text + "\n")
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
