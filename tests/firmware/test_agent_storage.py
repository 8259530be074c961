"""Power-safe storage: checksummed files, temp + verify + rename, the program store."""

from firmware.agent.storage import (
    ProgramStore,
    Storage,
    StorageError,
    frame,
    sha256_hex,
    unframe,
)
from tests.firmware.agent_fakes import FakeFS, PowerCut
from tests.firmware.support import raises


def test_sha256_hex():
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_frame_round_trip_and_damage_detection():
    blob = frame(b"hello")
    assert blob.startswith(b"SHS1 5 ")
    assert unframe(blob) == (b"hello", "ok")
    assert unframe(b"plain") == (b"plain", "plain")
    assert unframe(blob[:-1]) == (None, "corrupt")
    assert unframe(blob[:-1] + b"X") == (None, "corrupt")
    assert unframe(b"SHS1 garbage") == (None, "corrupt")
    assert unframe(b"SHS1 x y\n") == (None, "corrupt")
    assert unframe(b"SHS1 " + b"9" * 200 + b"\n") == (None, "corrupt")
    assert unframe(frame(b"")) == (b"", "ok")


def test_write_goes_through_a_verified_temp_file_and_a_rename():
    fs = FakeFS()
    st = Storage(fs)
    st.write("/d/x.json", b"one")
    assert fs.writes == ["/d/x.json.tmp"]
    assert "/d/x.json.tmp" not in fs.files
    assert st.read("/d/x.json") == b"one"
    st.write("/d/x.json", "two")
    assert st.read("/d/x.json") == b"two"


def test_plain_files_only_when_allowed_and_damage_is_noted():
    fs = FakeFS()
    st = Storage(fs)
    fs.files["/p"] = b"plain"
    assert st.read("/p") is None and "/p" in st.corrupt
    assert st.read("/p", allow_plain=True) == b"plain"
    assert st.read("/missing") is None
    fs.files["/j"] = frame(b"not json")
    assert st.read_json("/j") is None and "/j" in st.corrupt


def test_a_flash_that_garbles_writes_is_caught_by_the_read_back():
    fs = FakeFS()
    st = Storage(fs)
    st.write("/x", b"good")
    fs.garble = True
    with raises(StorageError, "differ"):
        st.write("/x", b"better")
    assert st.read("/x") == b"good"
    assert "/x.tmp" not in fs.files


def test_a_full_flash_is_a_storage_error():
    fs = FakeFS()
    st = Storage(fs)
    fs.full = True
    with raises(StorageError, "writing /x failed"):
        st.write("/x", b"data")


def test_a_failing_rename_is_a_storage_error():
    class NoRename(FakeFS):
        def rename(self, src, dst):
            raise OSError(5)

    fs = NoRename()
    with raises(StorageError, "replacing /x failed"):
        Storage(fs).write("/x", b"data")
    assert "/x.tmp" not in fs.files


def test_a_power_cut_at_any_point_of_a_write_leaves_old_or_new():
    base = FakeFS()
    Storage(base).write("/cfg", b"old version")
    for n in (1, 2, 3):
        fs = base.clone()
        fs.arm(n)
        try:
            Storage(fs).write("/cfg", b"new version, longer")
            done = True
        except PowerCut:
            done = False
        fs.cut_at = None
        st = Storage(fs)
        st.cleanup("/")
        assert st.read("/cfg") in (b"old version", b"new version, longer")
        assert "/cfg.tmp" not in fs.files
        if done:
            assert st.read("/cfg") == b"new version, longer"
            break
    assert n == 3


def test_cleanup_removes_only_temp_files():
    fs = FakeFS()
    fs.files["/data/a.tmp"] = b"torn"
    fs.files["/data/b"] = b"keep"
    assert Storage(fs).cleanup("/data") == ["a.tmp"]
    assert list(fs.files) == ["/data/b"]
    assert Storage(fs).cleanup("/nowhere") == []


def store(fs=None, keep=3):
    fs = fs if fs is not None else FakeFS()
    ps = ProgramStore(Storage(fs), "/data", keep)
    ps.boot()
    return fs, ps


def test_program_store_save_find_load_and_pointer():
    fs, ps = store()
    assert ps.current() is None
    sha = sha256_hex(b"(+ 1 2)")
    ps.save("p", sha, "(+ 1 2)", True)
    assert ps.current() == ("p", sha, True)
    assert ps.find("p") == sha and ps.find("q") is None
    assert ps.load("p", sha) == "(+ 1 2)"
    assert ps.load("p", "0" * 64) is None
    ps.set_run(False)
    assert ProgramStore(Storage(fs), "/data").boot() == []
    again = ProgramStore(Storage(fs), "/data")
    again.boot()
    assert again.current() == ("p", sha, False)


def test_program_store_evicts_the_oldest_and_replaces_same_id():
    fs, ps = store(keep=2)
    for name in ("a", "b", "c"):
        src = "(%s)" % name
        ps.save(name, sha256_hex(src.encode()), src, True)
    assert [e[0] for e in ps.state["recent"]] == ["c", "b"]
    assert len(fs.listdir("/data/programs")) == 2
    ps.save("b", sha256_hex(b"(b2)"), "(b2)", True)
    assert [e[0] for e in ps.state["recent"]] == ["b", "c"]
    assert len(fs.listdir("/data/programs")) == 2
    assert ps.load("b", ps.find("b")) == "(b2)"
    ps.set_current("c", ps.find("c"), False)
    assert ps.current()[0] == "c" and [e[0] for e in ps.state["recent"]] == ["c", "b"]


def test_program_store_forget():
    fs, ps = store()
    ps.save("a", sha256_hex(b"(a)"), "(a)", True)
    ps.save("b", sha256_hex(b"(b)"), "(b)", True)
    assert ps.forget("a") and ps.current()[0] == "b"
    assert ps.forget("b") and ps.current() is None and ps.state["run"] is False
    assert not ps.forget("b")
    assert fs.listdir("/data/programs") == []


def test_program_store_damaged_files():
    fs, ps = store()
    sha = sha256_hex(b"(a)")
    ps.save("a", sha, "(a)", True)
    path = ps.file_for("a", sha)
    fs.files[path] = fs.files[path][:-2] + b"!}"
    assert ps.load("a", sha) is None
    assert path in ps.storage.corrupt
    fs.files["/data/current.json"] = b"SHS1 nonsense"
    fs2, ps2 = store(fs)
    assert ps2.current() is None
    fs.files["/data/current.json"] = frame(b'{"current": 5, "run": true, "recent": []}')
    fs3, ps3 = store(fs)
    assert ps3.current() is None


def test_boot_removes_orphans_and_temp_files():
    fs, ps = store()
    ps.save("a", sha256_hex(b"(a)"), "(a)", True)
    fs.files["/data/programs/zombie-0000000000000000.prg"] = b"x"
    fs.files["/data/programs/new.prg.tmp"] = b"tor"
    fs.files["/data/current.json.tmp"] = b"tor"
    _, ps2 = store(fs)
    assert sorted(fs.listdir("/data/programs")) == [
        ps.file_for("a", sha256_hex(b"(a)")).split("/")[-1]
    ]
    assert "/data/current.json.tmp" not in fs.files
    assert ps2.current()[0] == "a"


def test_a_damaged_pointer_keeps_the_program_files():
    fs, ps = store()
    ps.save("a", sha256_hex(b"(a)"), "(a)", True)
    fs.files["/data/current.json"] = fs.files["/data/current.json"][:-3]
    _, ps2 = store(fs)
    assert ps2.current() is None
    assert len(fs.listdir("/data/programs")) == 1


def test_state_validation():
    assert not ProgramStore._valid(None)
    assert not ProgramStore._valid({"recent": [], "run": 1})
    assert not ProgramStore._valid({"recent": [["a"]], "run": True})
    assert not ProgramStore._valid({"recent": [], "run": True, "current": "a"})
    assert ProgramStore._valid({"recent": [], "run": True, "current": None})


class GrumpyFS(FakeFS):
    """A port whose calls raise OSError where the contract says they should not."""

    def read(self, path):
        if path.endswith("broken"):
            raise OSError(5)
        return FakeFS.read(self, path)

    def remove(self, path):
        raise OSError(5)

    def listdir(self, path):
        raise OSError(5)


def test_storage_tolerates_ports_that_raise_oserror():
    fs = GrumpyFS()
    st = Storage(fs)
    assert st.read("/x/broken") is None
    st.remove("/x")  # no exception
    assert st.cleanup("/data") == []
    fs.garble = True
    with raises(StorageError, "differ"):
        st.write("/y", b"data")  # the failed temp file cannot be removed either
    fs.garble = False
    ps = ProgramStore(st, "/data")
    assert ps.boot() == []


def test_program_records_that_are_not_what_they_claim_are_ignored():
    fs, ps = store()
    sha = sha256_hex(b"(a)")
    ps.save("a", sha, "(a)", True)
    path = ps.file_for("a", sha)
    st = Storage(fs)
    st.write_json(path, ["not", "a", "record"])
    assert ps.load("a", sha) is None
    st.write_json(path, {"program_id": "b", "sha256": sha, "source": "(a)"})
    assert ps.load("a", sha) is None
    st.write_json(path, {"program_id": "a", "sha256": sha, "source": 5})
    assert ps.load("a", sha) is None
    st.write_json(path, {"program_id": "a", "sha256": sha, "source": "(tampered)"})
    assert ps.load("a", sha) is None
