#!/usr/bin/env python3
"""Generates the pickle fixtures of tests/data/pickle/ with CPython's own pickle module.

The outputs are committed; the tests never need Python. Run from anywhere:

    python3 tests/data/make_pickles.py            # (re)write the fixtures
    python3 tests/data/make_pickles.py --verify F.pickle F.json ...
                                                  # load pickles our encoder wrote (a restricted
                                                  # Unpickler: no globals) and compare to JSON

Fixture kinds (the C test finds them by name):
  plain_pN.pickle / plain.json      plain data at protocol N (0..5), expected JSON
  bytes_pN.pickle / bytes.json      plain data with bytes at protocol 3..5
  hand_*.pickle / hand_*.json       hand-assembled opcodes Python 3 never emits, expected JSON
  evil_*.pickle                     code-like pickles: must decode as symbolic, unsafe nodes
  other_*.pickle                    non-plain but harmless-looking data (datetime, set, ...)
  limit_*.pickle                    hostile shapes that must fail or truncate quickly
  enc_*.json / enc_*.pickle         JSON and pickle.dumps(json.loads(text), protocol 2 or 3)
"""
import base64
import copyreg
import datetime
import io
import json
import os
import pickle
import pickletools
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pickle")
CANARY = "/tmp/kvtui_pickle_canary"

PLAIN = {
    "name": "kvtui",
    "count": 42,
    "negative": -7,
    "medium": 70000,
    "int32_min": -2147483648,
    "int64_max": 9223372036854775807,
    "int64_min": -9223372036854775808,
    "big": 2**100,
    "neg_big": -(2**70) + 1,
    "pi": 3.141592653589793,
    "tenth": 0.1,
    "huge_float": 1e300,
    "tiny_float": 5e-324,
    "integral_float": 2.0,
    "yes": True,
    "no": False,
    "nothing": None,
    "unicode": "h\u00e9llo w\u00f6rld \u2713 \U0001d11e \u65e5\u672c",
    "escapes": 'line1\nline2\t"quoted" back\\slash \x1b[31m',
    "list": [1, [2, [3, []]], {}],
    "tuple": (1, "two", 3.5),
    "empty_tuple": (),
    "nested": {"a": {"b": {"c": [None, True]}}},
    "many": list(range(1500)),
    "wide": {"k%d" % i: i for i in range(1200)},
}

BYTES_DATA = {
    "short": b"\x00\x01\x02\xff",
    "long": bytes(range(256)) * 2,
    "empty": b"",
    "mixed": [b"abc", "abc", (b"x",)],
}


class Thing:
    """A plain class: its instances pickle as NEWOBJ/BUILD (or REDUCE at protocol 0/1)."""

    def __init__(self):
        self.colour = "red"
        self.size = 3


class Evil:
    """The classic: unpickling calls os.system."""

    def __reduce__(self):
        return (os.system, ("touch " + CANARY,))


class NewEx:
    """Keyword-only construction arguments force NEWOBJ_EX at protocol 4."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __getnewargs_ex__(self):
        return (("positional",), {"key": "word"})


class PersistentPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return "user:42" if isinstance(obj, Thing) else None


def jsonable(value):
    """Python's values mapped as the decoder's JSON: tuples become arrays, bytes {"$bytes"}."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    return value


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def write_json(name, value):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(jsonable(value), f, indent=2, ensure_ascii=False)
        f.write("\n")


def make_plain():
    for proto in range(6):
        write("plain_p%d.pickle" % proto, pickle.dumps(PLAIN, protocol=proto))
    write_json("plain.json", PLAIN)
    for proto in range(3, 6):
        write("bytes_p%d.pickle" % proto, pickle.dumps(BYTES_DATA, protocol=proto))
    write_json("bytes.json", BYTES_DATA)
    # protocol 5 in-band bytearray (BYTEARRAY8) is not plain but must render
    write("other_bytearray_p5.pickle", pickle.dumps(bytearray(b"ab\x00"), protocol=5))


def make_evil():
    write("evil_reduce_p0.pickle", pickle.dumps(Evil(), protocol=0))  # GLOBAL + REDUCE
    write("evil_reduce_p2.pickle", pickle.dumps(Evil(), protocol=2))
    write("evil_stack_global_p4.pickle", pickle.dumps(Evil(), protocol=4))
    write("evil_hand_global.pickle", b"cos\nsystem\n(S'touch " + CANARY.encode() + b"'\ntR.")
    write("evil_inst.pickle", b"(S'touch " + CANARY.encode() + b"'\nios\nsystem\n.")
    write("evil_obj.pickle", b"(cos\nsystem\nS'touch " + CANARY.encode() + b"'\no.")
    write("evil_newobj_ex_p4.pickle", pickle.dumps(NewEx(), protocol=4))
    write("evil_build_p2.pickle", pickle.dumps(Thing(), protocol=2))  # NEWOBJ + BUILD
    copyreg.add_extension(__name__, "Thing", 42)
    try:
        write("evil_ext1_p2.pickle", pickle.dumps(Thing(), protocol=2))
    finally:
        copyreg.remove_extension(__name__, "Thing", 42)
    write("evil_ext2.pickle", b"\x80\x02\x83\x39\x30.")  # EXT2 12345
    write("evil_ext4.pickle", b"\x80\x02\x84\x40\xe2\x01\x00.")  # EXT4 123456
    for proto in (0, 2):
        buf = io.BytesIO()
        PersistentPickler(buf, protocol=proto).dump({"owner": Thing()})
        write("evil_persid_p%d.pickle" % proto, buf.getvalue())
    buffers = []
    data = pickle.dumps(
        [pickle.PickleBuffer(b"out of band"), pickle.PickleBuffer(bytearray(b"rw"))],
        protocol=5,
        buffer_callback=buffers.append,
    )
    write("evil_oob_buffer_p5.pickle", data)
    write("evil_bytes_p2.pickle", pickle.dumps(b"\x00\xff", protocol=2))  # _codecs.encode


def make_other():
    when = datetime.datetime(2024, 2, 29, 12, 30, 45, 123456)
    write("other_datetime_p2.pickle", pickle.dumps(when, protocol=2))
    write("other_datetime_p4.pickle", pickle.dumps(when, protocol=4))
    write("other_sets_p4.pickle", pickle.dumps([{1, 2}, frozenset({"a"}), set()], protocol=4))
    write("other_intkeys_p2.pickle", pickle.dumps({1: "one", (2, 3): "pair"}, protocol=2))
    shared = [1, 2]
    loop = [shared, shared]
    loop.append(loop)
    write("other_cycle_p2.pickle", pickle.dumps(loop, protocol=2))
    write("other_ordereddict_p2.pickle", pickle.dumps(__import__("collections").OrderedDict(a=1), protocol=2))


HAND = {
    # name: (bytes, expected value)
    "dup": (b"(K\x012l.", [1, 1]),
    "string": (b"S'hello\\n\\x41\\101 \\'q\\''\n.", "hello\nAA 'q'"),
    "string_dq": (b'S"it\'s"\n.', "it's"),
    "binstring": (b"T\x05\x00\x00\x00hello.", "hello"),
    "short_binstring": (b"U\x05world.", "world"),
    "binbytes8": (b"\x80\x04\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.", b"abc"),
    "binunicode8": (b"\x80\x04\x8d\x03\x00\x00\x00\x00\x00\x00\x00h\xc3\xa9.", "h\u00e9"),
    "long4": (b"\x80\x02\x8b\x09\x00\x00\x00" + (2**64 + 1).to_bytes(9, "little") + b".", 2**64 + 1),
    "long4_negative": (b"\x80\x02\x8b\x09\x00\x00\x00" + (-(2**64) - 1).to_bytes(9, "little", signed=True) + b".", -(2**64) - 1),
    "long_text": (b"L123456789012345678901234567890L\n.", 123456789012345678901234567890),
    "int_bool": (b"(I01\nI00\nI-12\nl.", [True, False, -12]),
    "pop_mark": (b"(K\x01(K\x02K\x031K\x04l.", [1, 4]),
    "pop": (b"(K\x01K\x020l.", [1]),
    "pop_mark_via_pop": (b"K\x01(0.", 1),
    "get_put": (b"(lp0\nI7\nag0\n.", [7]),
    "unicode": (b"V\\u00e9t\xe9 \\U0001d11e\n.", "\u00e9t\u00e9 \U0001d11e"),
    "float_text": (b"F-2.5e-3\n.", -0.0025),
    "dict_mark": (b"(X\x01\x00\x00\x00aK\x01d.", {"a": 1}),
    "tuples": (b"\x80\x02K\x01\x85K\x01K\x02\x86K\x01K\x02K\x03\x87\x87.", [[1], [1, 2], [1, 2, 3]]),
    "memoize": (b"\x80\x04\x95" + struct.pack("<Q", 9) + b"]\x94(K\x01h\x00e.", None),
}

_STRS = ["s%d" % i for i in range(300)]
HAND["long_binget"] = (pickle.dumps(_STRS + _STRS, protocol=2), _STRS + _STRS)  # memo > 255


def make_hand():
    for name, (data, value) in HAND.items():
        loaded = pickle.loads(data)  # hand-made and inert: safe to load here
        if name != "memoize":
            assert jsonable(loaded) == jsonable(value), (name, loaded, value)
        write("hand_%s.pickle" % name, data)
        if name != "memoize":  # a self-containing list: not plain
            write_json("hand_%s.json" % name, value)


def make_limits():
    write("limit_long_binput.pickle", b"\x80\x02Nr\xff\xff\xff\x7f.")
    write("limit_binunicode8.pickle", b"\x80\x04\x8d" + struct.pack("<Q", 2**62) + b"abcd.")
    write("limit_binbytes8.pickle", b"\x80\x04\x8e" + struct.pack("<Q", 2**64 - 1) + b"abcd.")
    write("limit_bytearray8.pickle", b"\x80\x05\x96" + struct.pack("<Q", 2**40) + b"x.")
    write("limit_long4.pickle", b"\x80\x02\x8b\xff\xff\xff\x7fab.")
    write("limit_long4_negative.pickle", b"\x80\x02\x8b\xff\xff\xff\xffab.")
    write("limit_binstring.pickle", b"T\xff\xff\xff\xffab.")
    write("limit_frame.pickle", b"\x80\x04\x95" + struct.pack("<Q", 10**12) + b"N.")
    write("limit_get_undefined.pickle", b"\x80\x02h\x05.")
    write("limit_trailing.pickle", b"\x80\x02N.garbage")
    write("limit_no_stop.pickle", b"\x80\x02]K\x01a")
    write("limit_underflow.pickle", b"\x80\x02a.")
    write("limit_unknown_opcode.pickle", b"\x80\x02\xff.")
    write("limit_proto9.pickle", b"\x80\x09N.")
    write("limit_empty.pickle", b"")


def make_encoder_fixtures():
    cases = {
        "enc_small": '{"name": "kvtui", "n": 42, "neg": -1000, "big": 1180591620717411303424,'
        ' "neg_big": -9223372036854775809, "pi": 2.5, "ok": true, "off": false,'
        ' "none": null, "list": [1, -2, 70000, "x", 4294967296], "one": [7],'
        ' "nested": {"a": []}, "e": {}, "u": "\\u00e9\\ud834\\udd1e"}',
        "enc_batches": json.dumps({"many": list(range(2500)), "wide": {"k%d" % i: i for i in range(1001)}}),
        "enc_scalar": "123",
    }
    for name, text in cases.items():
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            f.write(text)
        write(name + ".pickle", pickle.dumps(json.loads(text), protocol=2))
    text = '{"data": {"$bytes": "AAEC/w=="}, "long": {"$bytes": "%s"}}' % base64.b64encode(
        bytes(300)
    ).decode()
    with open(os.path.join(OUT, "enc_bytes.json"), "w") as f:
        f.write(text)
    value = {"data": b"\x00\x01\x02\xff", "long": bytes(300)}
    write("enc_bytes.pickle", pickle.dumps(value, protocol=3))


def opcode_coverage():
    seen = set()
    for name in os.listdir(OUT):
        if not name.endswith(".pickle") or name.startswith("limit_"):
            continue
        with open(os.path.join(OUT, name), "rb") as f:
            data = f.read()
        try:
            for op, _, _ in pickletools.genops(data):
                seen.add(op.name)
        except Exception as e:  # evil_inst etc. are valid; report anything odd
            print("genops failed on", name, e)
    missing = sorted(op.name for op in pickletools.opcodes if op.name not in seen)
    print("opcodes covered: %d/%d; missing: %s" % (len(seen), len(pickletools.opcodes), missing))


class NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("global %s.%s refused" % (module, name))


def verify(paths):
    ok = True
    for pickle_path, json_path in zip(paths[::2], paths[1::2]):
        with open(pickle_path, "rb") as f:
            value = NoGlobals(f).load()
        with open(json_path) as f:
            expected = json.load(f)
        match = jsonable(value) == expected
        ok &= match
        print("%s: %s" % ("ok" if match else "MISMATCH", pickle_path))
    return ok


def main():
    if sys.argv[1:2] == ["--verify"]:
        sys.exit(0 if verify(sys.argv[2:]) else 1)
    os.makedirs(OUT, exist_ok=True)
    make_plain()
    make_evil()
    make_other()
    make_hand()
    make_limits()
    make_encoder_fixtures()
    opcode_coverage()


if __name__ == "__main__":
    main()
