"""Streaming a bundle into the other app slot (firmware/agent/ota_install.py), and the job
document the handler checks before it downloads anything (firmware/agent/ota.py).

The install must write nothing before the signature has checked, write each file only once
its sha256 matched, refuse a bundle larger than the job announced as soon as the extra bytes
arrive, and resume after a reboot from the files already on the flash, reading them back
(a worn or half-renamed file is fetched again).  Runs on CPython and MicroPython.
"""

import random

from firmware.agent import ota_document as ota
from firmware.agent.ota_install import HEAD, Install
from firmware.ota.errors import (
    BAD_BUNDLE,
    BAD_SIGNATURE,
    HASH_MISMATCH,
    BadBundle,
    BadSignature,
    HashMismatch,
)
from tests.firmware.agent_fakes import FakeFS
from tests.firmware.ota_support import SigningKey, make_bundle, sha256_hex
from tests.firmware.support import raises

KEY = SigningKey()
OTHER = SigningKey()
FILES = [
    ("firmware/__init__.py", b""),
    ("firmware/agent/__init__.py", b"# agent\n"),
    ("firmware/agent/core.py", b"print('core')\n" * 40),
    ("firmware/agent/extra.py", b"x = 1\n" * 25),
    ("firmware/steel/__init__.py", b"# steel\n" * 3),
]
GOOD = make_bundle(KEY, files=FILES, version="1.1.0")


def slot_path(rel):
    return "/slots/b/" + rel


def new_install(fs, data=GOOD, size=None, digest=None, keys=None):
    return Install(
        fs,
        "b",
        [KEY.public] if keys is None else keys,
        len(data) if size is None else size,
        sha256_hex(data) if digest is None else digest,
    )


def pieces(data, rng, largest=97):
    """``data`` cut where a socket might cut it."""
    out = []
    pos = 0
    while pos < len(data):
        n = rng.randint(1, largest)
        out.append(data[pos : pos + n])
        pos += n
    return out


def _rng(seed):
    # MicroPython has no random.Random: seed the module generator instead
    if hasattr(random, "Random"):
        return random.Random(seed)
    random.seed(seed)
    return random


def feed_in_pieces(install, data, seed=1, largest=97):
    done = 0
    for part in pieces(data, _rng(seed), largest):
        done += install.feed(part)
    return done


def test_a_good_bundle_lands_file_by_file_whatever_the_chunk_sizes():
    for seed, largest in ((1, 1), (2, 7), (3, 97), (4, 5000)):
        fs = FakeFS()
        install = new_install(fs)
        assert feed_in_pieces(install, GOOD, seed, largest) == len(FILES)
        manifest = install.finish()
        assert manifest.version == "1.1.0"
        for rel, body in FILES:
            assert fs.read(slot_path(rel)) == body, (seed, rel)
            assert fs.read(slot_path(rel) + ".tmp") is None
        assert fs.read(HEAD) == GOOD[: install.head_size]
        assert install.received == len(GOOD)


def test_nothing_is_written_before_the_signature_has_checked():
    bundle = make_bundle(OTHER, files=FILES, version="1.1.0")
    fs = FakeFS()
    install = new_install(fs, bundle)
    with raises(BadSignature) as r:
        feed_in_pieces(install, bundle, 5, 50)
    assert r.value.reason == BAD_SIGNATURE
    assert fs.writes == []


def test_a_file_changed_after_signing_is_refused_and_not_written():
    payload = b"".join(body for _, body in FILES)
    core_at = len(FILES[0][1]) + len(FILES[1][1])
    tampered_payload = payload[:core_at] + b"P" + payload[core_at + 1 :]
    signed = make_bundle(KEY, files=FILES, version="1.1.0")
    tampered = signed[: len(signed) - len(payload)] + tampered_payload
    fs = FakeFS()
    install = new_install(fs, tampered)
    with raises(HashMismatch, match="firmware/agent/core.py") as r:
        feed_in_pieces(install, tampered, 6, 64)
    assert r.value.reason == HASH_MISMATCH
    assert fs.read(slot_path("firmware/agent/__init__.py")) == FILES[1][1]  # before it: kept
    assert fs.read(slot_path("firmware/agent/core.py")) is None
    assert fs.read(slot_path("firmware/agent/core.py") + ".tmp") is None


def test_more_bytes_than_the_job_announced_are_refused_as_they_arrive():
    fs = FakeFS()
    install = new_install(fs)
    assert install.feed(GOOD) == len(FILES)
    with raises(BadBundle, match="oversized") as r:
        install.feed(b"x")
    assert r.value.reason == BAD_BUNDLE


def test_a_download_that_ends_early_does_not_finish():
    fs = FakeFS()
    install = new_install(fs)
    install.feed(GOOD[:-3])
    with raises(BadBundle, match="truncated"):
        install.finish()


def test_the_jobs_sha256_is_checked_over_the_whole_bundle():
    fs = FakeFS()
    install = new_install(fs, digest="0" * 64)
    install.feed(GOOD)
    with raises(HashMismatch, match="job document"):
        install.finish()


def test_a_job_that_announces_another_size_is_refused_at_the_head():
    for size in (len(GOOD) + 100, len(GOOD) - 10):
        fs = FakeFS()
        install = new_install(fs, size=size)
        with raises(BadBundle, match="job document says"):
            install.feed(GOOD[:size])
        assert fs.writes == [], size


def test_garbage_is_refused_before_it_is_all_downloaded():
    junk = b"<html>" + b"x" * 4000
    install = new_install(FakeFS(), junk)
    with raises(BadBundle):
        for i in range(0, len(junk), 100):
            install.feed(junk[i : i + 100])
    assert install.received < len(junk)


def test_a_full_flash_fails_the_write_with_no_space():
    fs = FakeFS()
    fs.full = True
    install = new_install(fs)
    with raises(OSError) as r:
        install.feed(GOOD)
    assert r.value.args[0] == 28


def test_resume_takes_up_at_the_checkpoint_with_the_same_hash():
    fs = FakeFS()
    first = new_install(fs)
    # three files and a bit of the fourth, then the board reboots
    step = 0
    while first.index < 3:
        first.feed(GOOD[step : step + 11])
        step += 11
    files_done = first.index
    resumed = Install.resume(fs, "b", [KEY.public], len(GOOD), sha256_hex(GOOD), files_done)
    assert resumed is not None and resumed.index == files_done
    assert resumed.consumed == first.consumed > first.head_size
    # the download restarts at the checkpoint's byte offset
    feed_in_pieces(resumed, GOOD[resumed.consumed :], 8, 70)
    resumed.finish()
    for rel, body in FILES:
        assert fs.read(slot_path(rel)) == body


def test_a_worn_file_is_fetched_again():
    fs = FakeFS()
    first = new_install(fs)
    first.feed(GOOD)
    first.finish()
    fs.files[slot_path(FILES[2][0])] = b"worn"
    resumed = Install.resume(fs, "b", [KEY.public], len(GOOD), sha256_hex(GOOD), len(FILES))
    assert resumed.index == 2  # resumes from the worn file
    resumed.feed(GOOD[resumed.consumed :])
    resumed.finish()
    assert fs.read(slot_path(FILES[2][0])) == FILES[2][1]


def test_resume_without_a_trusted_head_starts_again():
    fs = FakeFS()
    assert Install.resume(fs, "b", [KEY.public], len(GOOD), sha256_hex(GOOD), 2) is None
    install = new_install(fs)
    install.feed(GOOD[: install_head_size()])
    assert fs.read(HEAD) is not None
    fs.files[HEAD] = fs.files[HEAD][:-5]  # torn
    assert Install.resume(fs, "b", [KEY.public], len(GOOD), sha256_hex(GOOD), 2) is None
    # a head kept from a bundle signed by a key no longer trusted does not resume either
    fs.files[HEAD] = GOOD[: install_head_size()]
    with raises(BadSignature):
        Install.resume(fs, "b", [OTHER.public], len(GOOD), sha256_hex(GOOD), 2)


def install_head_size():
    probe = new_install(FakeFS())
    probe.feed(GOOD)
    return probe.head_size


# --- the job document ----------------------------------------------------------------------


def good_document():
    return {
        "operation": ota.OPERATION,
        "version": "1.1.0",
        "url": "https://bucket.s3.amazonaws.com/fw.bundle?X-Amz-Signature=x",
        "sha256": sha256_hex(GOOD),
        "size": len(GOOD),
    }


def test_a_good_job_document_is_taken_with_its_defaults():
    doc = ota.check_document(good_document())
    assert doc["allow_downgrade"] is False
    assert doc["size"] == len(GOOD) and doc["version"] == "1.1.0"


def test_each_bad_field_of_a_job_document_is_named():
    cases = [
        ("operation", "install-firmware", "operation"),
        ("operation", None, "operation"),
        ("version", "1.01", "version"),
        ("version", "v1.1.0", "version"),
        ("version", 11, "version"),
        ("url", "ftp://host/fw.bundle", "url"),
        ("url", None, "url"),
        ("sha256", "ABC", "sha256"),
        ("sha256", "A" * 64, "sha256"),
        ("size", 0, "size"),
        ("size", "100", "size"),
        ("size", True, "size"),
        ("size", 5 * 1024 * 1024, "size"),
        ("allow_downgrade", "yes", "allow_downgrade"),
    ]
    for field, value, named in cases:
        doc = good_document()
        if value is None:
            del doc[field]
        else:
            doc[field] = value
        with raises(ota.JobError) as r:
            ota.check_document(doc)
        assert r.value.reason == ota.BAD_JOB, (field, value)
        assert r.value.message.startswith(named), (field, value, r.value.message)
    for doc in ([], "steel-ota", None, 3):
        with raises(ota.JobError, match="JSON object"):
            ota.check_document(doc)
