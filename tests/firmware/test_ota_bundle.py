"""The OTA bundle reader (firmware/ota/bundle.py, manifest.py): a good bundle streams its
files; every tamper, truncation, oversize and bad manifest is refused with its reason
(bad-signature, hash-mismatch, bad-bundle) and a message.  Runs on CPython and under
MicroPython; bundles are signed by a key made at test time (tests/firmware/ota_support.py)."""

import io

from firmware.ota import bundle, manifest
from firmware.ota.errors import (
    BAD_BUNDLE,
    BAD_SIGNATURE,
    HASH_MISMATCH,
    BadBundle,
    BadSignature,
    BundleError,
    HashMismatch,
)
from tests.firmware.ota_support import (
    FILES,
    SigningKey,
    Trickle,
    assemble,
    b64,
    encode,
    make_bundle,
    manifest_for,
    sha256_hex,
)
from tests.firmware.support import raises

KEY = SigningKey()
TRUST = [KEY.public]
GOOD = make_bundle(KEY, min_version="1.0.0")


def reader(data, trust=None, **options):
    return bundle.BundleReader(io.BytesIO(data), TRUST if trust is None else trust, **options)


def refusal(data, trust=None, **options):
    """The BundleError that reading ``data`` through ends with."""
    try:
        reader(data, trust, **options).check()
    except BundleError as exc:
        assert exc.message
        assert exc.reason in (BAD_BUNDLE, BAD_SIGNATURE, HASH_MISMATCH)
        return exc
    raise AssertionError("the bundle was accepted")


def sections(data):
    """Offsets where the lengths line, manifest, signature and payload begin."""
    first = len(bundle.FORMAT_LINE)
    second = data.index(b"\n", first) + 1
    m, s = [int(x) for x in data[first : second - 1].split(b" ")]
    return first, second, second + m, second + m + s + 1


def parse(obj, **options):
    raw = encode(obj) if not isinstance(obj, bytes) else obj
    return manifest.parse(raw, sha256_hex(raw), **options)


# -- a good bundle --------------------------------------------------------------------------


def test_a_good_bundle_yields_each_file_in_order():
    r = reader(GOOD)
    m = r.read_manifest()
    assert m.version == "1.2.0" and m.min_version == "1.0.0" and m.self_test is None
    assert m.paths() == [p for p, _ in FILES]
    assert m.total_size == sum(len(d) for _, d in FILES)
    assert m.bundle_size == len(GOOD)
    assert m.payload_offset == sections(GOOD)[3]
    assert r.key == KEY.public
    assert list(r.files()) == FILES


def test_the_manifest_id_is_the_sha256_of_the_signed_bytes():
    first, second, signature, payload = sections(GOOD)
    m = reader(GOOD).read_manifest()
    assert m.id == sha256_hex(GOOD[second:signature])
    assert m.id == sha256_hex(encode(manifest_for(FILES, min_version="1.0.0")))


def test_chunks_stream_a_file_in_pieces_and_mark_the_last():
    big = ("firmware/agent/big.py", bytes(range(256)) * 10)
    files = FILES + [big]
    events = list(reader(make_bundle(KEY, files), chunk_size=1000).chunks())
    pieces = [(e.path, len(d), done) for e, d, done in events if e.path == big[0]]
    assert pieces == [(big[0], 1000, False), (big[0], 1000, False), (big[0], 560, True)]
    assert [e.path for e, d, done in events if done] == [p for p, _ in files]
    assert events[0] == (events[0][0], b"", True)  # the empty __init__.py: one empty chunk


def test_a_stream_that_trickles_bytes_reads_the_same():
    r = bundle.BundleReader(Trickle(GOOD, 3), TRUST)
    assert list(r.files()) == FILES


def test_check_bundle_returns_the_manifest():
    assert bundle.check_bundle(io.BytesIO(GOOD), TRUST).version == "1.2.0"


def test_any_of_several_trusted_keys_may_have_signed():
    other = SigningKey()
    r = reader(GOOD, [other.public, KEY.public])
    assert r.read_manifest().version == "1.2.0"
    assert r.key == KEY.public


def test_the_payload_is_read_once():
    r = reader(GOOD)
    r.check()
    with raises(RuntimeError, "already been read"):
        r.chunks()


def test_may_replace_follows_min_version():
    m = reader(GOOD).read_manifest()
    assert m.may_replace("1.0.0") and m.may_replace("1.10") and not m.may_replace("0.9.9")
    assert reader(make_bundle(KEY)).read_manifest().may_replace("0.0.1")


def test_a_self_test_hook_is_one_of_the_files():
    m = reader(make_bundle(KEY, self_test="firmware/agent/extra.py")).read_manifest()
    assert m.self_test == "firmware/agent/extra.py"
    assert m.to_json()["self_test"] == "firmware/agent/extra.py"


def test_the_target_is_read_and_kept_when_there_is_one():
    m = parse(manifest_for(FILES, target="board"))
    assert m.target == "board" and m.to_json()["target"] == "board"
    m = parse(manifest_for(FILES))
    assert m.target is None and "target" not in m.to_json()


# -- tampering -------------------------------------------------------------------------------


def test_a_changed_manifest_byte_is_a_bad_signature():
    _, start, end, _ = sections(GOOD)
    for at in (start, (start + end) // 2, end - 1):
        data = bytearray(GOOD)
        data[at] ^= 0x01
        exc = refusal(bytes(data))
        assert exc.reason == BAD_SIGNATURE, (at, exc.message)
        assert type(exc) is BadSignature


def test_a_changed_signature_character_is_a_bad_signature():
    _, _, start, end = sections(GOOD)
    text = GOOD[start : end - 1]
    for at, new in ((0, b"N"), (len(text) // 2, None), (len(text) - 3, None), (5, b"!")):
        data = bytearray(GOOD)
        data[start + at] = (new or (b"A" if text[at : at + 1] != b"A" else b"B"))[0]
        exc = refusal(bytes(data))
        assert exc.reason == BAD_SIGNATURE, (at, exc.message)


def test_a_changed_payload_byte_is_a_hash_mismatch_naming_the_file():
    _, _, _, payload = sections(GOOD)
    offset = payload
    for path, content in FILES:
        if content:
            data = bytearray(GOOD)
            data[offset + len(content) - 1] ^= 0x20
            exc = refusal(bytes(data))
            assert type(exc) is HashMismatch and exc.reason == HASH_MISMATCH
            assert path in exc.message
        offset += len(content)


def test_a_hash_mismatch_stops_before_the_bad_file_is_handed_over():
    data = bytearray(GOOD)
    data[-1] ^= 0x20  # the last file
    got = []
    with raises(HashMismatch):
        for path, content in reader(bytes(data)).files():
            got.append(path)
    assert got == [p for p, _ in FILES[:-1]]


def test_a_bundle_signed_by_another_key_is_a_bad_signature():
    exc = refusal(make_bundle(SigningKey()))
    assert exc.message == "the manifest is not signed by the key this device trusts"
    exc = refusal(make_bundle(SigningKey()), [SigningKey().public, SigningKey().public])
    assert "any of the 2 keys" in exc.message


def test_no_trusted_key_refuses_everything():
    exc = refusal(GOOD, [])
    assert exc.reason == BAD_SIGNATURE and "trusts no signing key" in exc.message
    with raises(TypeError):
        reader(GOOD, ["not a key"]).read_manifest()


def test_a_signature_that_is_not_der_is_a_bad_signature():
    raw = encode(manifest_for(FILES))
    payload = b"".join(d for _, d in FILES)
    for text, expected in ((b64(b"\x30\x02\x02\x00"), "not usable"), (b"QUJ=", "not usable")):
        exc = refusal(assemble(raw, text, payload))
        assert exc.reason == BAD_SIGNATURE and expected in exc.message, exc.message


# -- truncation and size ------------------------------------------------------------------------


def test_truncation_at_every_offset_is_a_bad_bundle():
    data = make_bundle(KEY, [("a", b""), ("b/c", b"xyz"), ("d", b"12345")])
    first, second, signature, payload = sections(data)
    for cut in range(len(data)):
        exc = refusal(data[:cut])
        assert type(exc) is BadBundle, (cut, exc.message)
        if cut == 0:
            assert exc.message == "the bundle is empty"
        elif cut < first:
            assert "inside its first line" in exc.message
        elif cut < second:
            assert "inside its header" in exc.message
        elif cut < signature:
            assert "inside its manifest" in exc.message
        elif cut < payload - 1:
            assert "inside its signature" in exc.message
        elif cut == payload - 1:
            assert "after its signature" in exc.message
        else:
            assert exc.message.startswith("truncated: the bundle ends "), exc.message


def test_truncation_names_the_file_and_how_far_it_got():
    data = make_bundle(KEY, [("a", b"xyz"), ("d", b"12345")])
    assert refusal(data[:-2]).message == "truncated: the bundle ends 3 bytes into d (of 5)"
    assert refusal(data[:-5]).message == "truncated: the bundle ends before d"


def test_bytes_after_the_last_file_are_an_oversized_bundle():
    exc = refusal(GOOD + b"\x00")
    assert type(exc) is BadBundle and exc.message.startswith("oversized")


def test_a_payload_larger_than_allowed_is_refused_before_reading_it():
    exc = refusal(GOOD, max_total_size=10)
    assert exc.reason == BAD_BUNDLE and "more than 10" in exc.message


def test_header_lengths_are_bounded():
    huge = b"STEELOTA 1\n%d 96\n" % (manifest.MAX_MANIFEST_BYTES + 1)
    assert "outside 2..65536" in refusal(huge).message
    assert "signature length is 257" in refusal(b"STEELOTA 1\n20 257\n").message
    assert "second line" in refusal(b"STEELOTA 1\n" + b"1" * 40 + b"\n").message


# -- framing ------------------------------------------------------------------------------------


def test_what_is_not_a_bundle_or_has_another_format_is_named():
    assert refusal(b"PK\x03\x04 a zip file").message.startswith("not an OTA bundle")
    assert (
        "unknown bundle format '2'"
        in refusal(GOOD.replace(b"STEELOTA 1", b"STEELOTA 2", 1)).message
    )
    assert refusal(b"STEE").message == "truncated: the bundle ends inside its first line"


def test_the_lengths_line_must_be_two_plain_decimals():
    start = len(bundle.FORMAT_LINE)
    end = GOOD.index(b"\n", start)
    m, s = GOOD[start:end].split(b" ")
    cases = [
        (b"0" + m + b" " + s, "leading zero"),
        (m + b"  " + s, "second line"),
        (m + b"\t" + s, "second line"),
        (m + b" +" + s, "not a decimal"),
        (m + b" " + s + b" 1", "second line"),
        (b"1 " + s, "outside"),
        (m, "second line"),
    ]
    for line, expected in cases:
        exc = refusal(GOOD[:start] + line + GOOD[end:])
        assert type(exc) is BadBundle and expected in exc.message, (line, exc.message)


def test_a_wrong_signature_length_is_caught_by_the_newline():
    start = len(bundle.FORMAT_LINE)
    end = GOOD.index(b"\n", start)
    m, s = GOOD[start:end].split(b" ")
    exc = refusal(GOOD[:start] + m + b" " + str(int(s) - 4).encode() + GOOD[end:])
    assert "not followed by a newline" in exc.message


# -- a signed manifest that breaks a rule ------------------------------------------------------


def test_a_signed_manifest_that_is_not_json_is_a_bad_bundle():
    for raw, expected in (
        (b"{not json", "not valid JSON"),
        (b'{"version":"1.\xff"}', "not UTF-8"),
        (b"[]", "not a JSON object"),
    ):
        exc = refusal(make_bundle(KEY, manifest_bytes=raw))
        assert type(exc) is BadBundle and expected in exc.message, exc.message
    # outside a string a byte that is not UTF-8 is also not JSON: either message is true
    exc = refusal(make_bundle(KEY, manifest_bytes=b"\xff\xfe{}"))
    assert exc.message in ("manifest: not UTF-8 text", "manifest: not valid JSON")


def test_a_signed_manifest_with_an_unsafe_path_is_a_bad_bundle():
    exc = refusal(make_bundle(KEY, [("../boot.py", b"x")]))
    assert type(exc) is BadBundle and "'..' part" in exc.message


def test_unsafe_paths_are_refused():
    cases = [
        ("../main.py", "has a '..' part"),
        ("firmware/../../x", "has a '..' part"),
        ("/main.py", "is absolute"),
        ("firmware//x.py", "empty part"),
        ("firmware/", "empty part"),
        ("./x.py", "has a '.' part"),
        ("a\\b.py", "backslash"),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("", "is empty"),
        ("d/" + "x" * 101, "part longer than 100 bytes"),
        ("/".join(["abcdefghij"] * 19), "longer than 200 bytes"),
    ]
    for path, expected in cases:
        with raises(BadBundle, expected):
            parse(manifest_for([(path, b"x")]))
        assert manifest.path_problem(path) is not None
    assert manifest.path_problem("firmware/agent/core.py") is None
    assert manifest.path_problem(5) == "is not text"


def test_duplicate_and_file_versus_directory_paths_are_refused():
    with raises(BadBundle, "'a/b' is listed twice"):
        parse(manifest_for([("a/b", b"1"), ("a/b", b"2")]))
    with raises(BadBundle, "'a' is both a file and a directory"):
        parse(manifest_for([("a", b"1"), ("a/b", b"2")]))


def test_wrong_typed_and_missing_fields_are_named():
    base = manifest_for(FILES)
    entry = base["files"][1]

    def with_file(**changes):
        changed = dict(entry)
        for key in changes:
            if changes[key] is None:
                del changed[key]
            else:
                changed[key] = changes[key]
        out = dict(base)
        out["files"] = [base["files"][0], changed, base["files"][2]]
        return out

    def replaced(key, value):
        out = dict(base)
        out[key] = value
        return out

    def without(key):
        out = dict(base)
        del out[key]
        return out

    cases = [
        (manifest_for(FILES, format="1"), "format is not an integer"),
        (manifest_for(FILES, format=True), "format is not an integer"),
        (manifest_for(FILES, format=2), "format 2 is not one this device reads"),
        (manifest_for(FILES, version=1), "version: a version must be text"),
        (manifest_for(FILES, version="1.x"), "version: '1.x' is not dotted integers"),
        (manifest_for(FILES, min_version="old"), "min_version"),
        (manifest_for(FILES, min_version=None), "min_version: a version must be text"),
        (replaced("files", {}), "files is not a list"),
        (replaced("files", []), "files is empty"),
        (replaced("files", ["x"]), "files[0] is not an object"),
        (manifest_for(FILES, total_size="14"), "total_size is not an integer"),
        (manifest_for(FILES, total_size=1.0), "total_size is not an integer"),
        (manifest_for(FILES, total_size=999), "files add up to 20"),
        (manifest_for(FILES, self_test=3), "self_test is not a path"),
        (manifest_for(FILES, target=3), "target is not text"),
        (manifest_for(FILES, target=""), "target is empty"),
        (manifest_for(FILES, target="Board"), "target has a character other than a-z"),
        (manifest_for(FILES, target="b" * 33), "target is longer than 32 characters"),
        (manifest_for(FILES, self_test="firmware/nope.py"), "is not one of the files"),
        (manifest_for(FILES, notes="hi"), "unknown field 'notes'"),
        (without("version"), "'version' is missing"),
        (without("files"), "'files' is missing"),
        (without("total_size"), "'total_size' is missing"),
        (without("format"), "'format' is missing"),
        (with_file(size="14"), "files[1]: size is not an integer"),
        (with_file(size=14.0), "files[1]: size is not an integer"),
        (with_file(size=True), "files[1]: size is not an integer"),
        (with_file(size=-1), "files[1]: size -1 is negative"),
        (with_file(sha256=entry["sha256"].upper()), "files[1]: sha256 is not lowercase hex"),
        (with_file(sha256=entry["sha256"][:-1]), "files[1]: sha256 is not 64 hex digits"),
        (with_file(sha256=None), "files[1]: 'sha256' is missing"),
        (with_file(path=7), "files[1]: path 7 is not text"),
        (with_file(mode=420), "files[1] has an unknown field 'mode'"),
    ]
    for obj, expected in cases:
        with raises(BadBundle, expected) as caught:
            parse(obj)
        assert caught.value.reason == BAD_BUNDLE


def test_manifest_sizes_are_bounded():
    with raises(BadBundle, "more than 3"):
        parse(manifest_for(FILES), max_total_size=3)
    with raises(BadBundle, "files[0]: size 20 is more than 10"):
        parse(manifest_for([("big", b"x" * 20)]), max_total_size=10)
    many = [("f%d" % i, b"") for i in range(manifest.MAX_FILES + 1)]
    with raises(BadBundle, "501 files, more than 500"):
        parse(manifest_for(many))
    with raises(BadBundle, "more than 65536"):
        parse(b" " * (manifest.MAX_MANIFEST_BYTES + 1))


def test_deep_nesting_is_refused_before_parsing():
    with raises(BadBundle, "nested deeper than 3"):
        parse(b"[" * 5000 + b"]" * 5000)
    # brackets inside strings do not count
    assert parse(manifest_for([("a[[[[[[/x{{{{", b"1")])).paths() == ["a[[[[[[/x{{{{"]


def test_errors_carry_reason_and_message_apart():
    exc = BadSignature("not signed")
    assert exc.reason == "bad-signature" and exc.message == "not signed"
    assert str(exc) == "bad-signature: not signed"
    assert isinstance(HashMismatch("x"), BundleError)


def test_a_sha256_of_the_empty_file_is_still_checked():
    files = [("empty", b"")]
    obj = manifest_for(files)
    obj["files"][0]["sha256"] = sha256_hex(b"x")
    exc = refusal(make_bundle(KEY, files, manifest=obj))
    assert type(exc) is HashMismatch and "empty" in exc.message
