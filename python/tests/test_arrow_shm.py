"""The worker's side of the shared-memory path (docs/protocol.md 7.10): the folder and name checks, reading a slot
the JVM wrote, writing a result slot, the fallback to the socket, and the golden control frames."""
import os
import tempfile

import pytest

pa = pytest.importorskip("pyarrow")

from pyworkers.arrow import shm  # noqa: E402
from pyworkers.evaltypes import ProtocolError  # noqa: E402


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix="pyworkers-arrow-test-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.chmod(path, 0o700)
    yield path
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)


def batch(rows=1000):
    return pa.record_batch([pa.array(range(rows), pa.int64()), pa.array([0.5] * rows)], names=["x", "y"])


def test_aSlotTheJvmWrote_isReadIntoItsOwnBuffer_andTheSlotStays(folder):
    b = batch()
    path = os.path.join(folder, "in-0")
    with open(path, "wb") as f:
        f.write(b.serialize())
    s = shm.SharedMemoryFolder(shm.folder_frame(0, folder), "frame 0")
    got = s.read(shm.batch_frame(0, len(b.serialize()), "in-0"), b.schema, "frame 1")
    with open(path, "r+b") as f:
        f.write(b"\0" * 64)  # the JVM rewrites the slot: the batch read before must not change
    assert got.equals(b)
    assert os.path.exists(path)


def test_aResultAtTheThreshold_goesIntoItsSlot_andOneBelowIsLeftToTheSocket(folder):
    b = batch()
    size = pa.ipc.get_record_batch_size(b)
    sent = []
    s = shm.SharedMemoryFolder(shm.folder_frame(size, folder), "frame 0")
    assert s.write(sent.append, b, 5)
    assert not s.write(sent.append, batch(10), 6)
    s.close()
    assert len(sent) == 1
    frame = bytes(sent[0])[4:]  # after the data frame's length
    assert shm.parse_batch_frame(frame, "f") == (0, size, "out-1")
    with open(os.path.join(folder, "out-1"), "rb") as f:
        assert pa.ipc.read_record_batch(pa.py_buffer(f.read()), b.schema).equals(b)
    assert oct(os.stat(os.path.join(folder, "out-1")).st_mode & 0o777) == "0o600"


def test_tooLittleFreeSpace_sendsOverTheSocket_withOneLine(folder, monkeypatch, capsys):
    monkeypatch.setattr(shm, "SPACE_MARGIN", 1 << 62)
    s = shm.SharedMemoryFolder(shm.folder_frame(0, folder), "frame 0")
    assert not s.write(lambda data: None, batch(), 0)
    assert not s.write(lambda data: None, batch(), 1)
    assert capsys.readouterr().err.count("go over the socket") == 1
    assert os.listdir(folder) == []


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "a..b", "", "x" * 65, "é"])
def test_aNameThatIsNotAPlainNameInTheFolder_isRejected(name):
    frame = shm._BATCH.pack(shm.SHM_BATCH, 0, 64) + name.encode("utf-8")
    with pytest.raises(ProtocolError, match="never a path|too short"):
        shm.parse_batch_frame(frame, "data frame 2")


def test_aBadOffsetOrLength_isRejected():
    with pytest.raises(ProtocolError, match="offset 4 and length 64"):
        shm.parse_batch_frame(shm.batch_frame(4, 64, "in-0"), "f")
    with pytest.raises(ProtocolError, match="offset 0 and length 4"):
        shm.parse_batch_frame(shm.batch_frame(0, 4, "in-0"), "f")


def test_aFolderThatIsALink_notPrivate_foreign_orRelative_isRejected(folder, tmp_path):
    link = str(tmp_path / "link")
    os.symlink(folder, link)
    with pytest.raises(ProtocolError, match="is a symbolic link"):
        shm.SharedMemoryFolder(shm.folder_frame(0, link), "frame 0")
    os.chmod(folder, 0o750)
    with pytest.raises(ProtocolError, match="has mode 750, not 700"):
        shm.SharedMemoryFolder(shm.folder_frame(0, folder), "frame 0")
    os.chmod(folder, 0o700)
    with pytest.raises(ProtocolError, match="not an absolute, normalized path"):
        shm.SharedMemoryFolder(shm.folder_frame(0, "dev/shm"), "frame 0")
    with pytest.raises(ProtocolError, match="not an absolute, normalized path"):
        shm.SharedMemoryFolder(shm.folder_frame(0, folder + "/../" + os.path.basename(folder)), "frame 0")
    if os.getuid() == 0:
        os.chown(folder, 65534, 65534)
        try:
            with pytest.raises(ProtocolError, match="belongs to uid 65534"):
                shm.SharedMemoryFolder(shm.folder_frame(0, folder), "frame 0")
        finally:
            os.chown(folder, 0, 0)


def test_aLinkPlantedAsASlot_isNotFollowed(folder, tmp_path):
    target = tmp_path / "target"
    target.write_bytes(batch().serialize().to_pybytes())
    os.symlink(str(target), os.path.join(folder, "in-0"))
    s = shm.SharedMemoryFolder(shm.folder_frame(0, folder), "frame 0")
    with pytest.raises(ProtocolError, match="cannot be opened"):
        s.read(shm.batch_frame(0, 64, "in-0"), batch().schema, "frame 1")
    os.symlink(str(target), os.path.join(folder, "out-0"))
    assert not s.write(lambda data: None, batch(), 0)  # O_EXCL: the link is neither followed nor replaced
    assert target.read_bytes() == batch().serialize().to_pybytes()


def test_goldenControlFrames_areWhatTheWorkerWrites():
    from arrow_golden import ARROW_GOLDEN_DIR
    from make_golden_arrow import shm_golden_frames
    folder, batch_frame = shm_golden_frames()
    assert (ARROW_GOLDEN_DIR / "shm_folder_frame.bin").read_bytes() == folder
    assert (ARROW_GOLDEN_DIR / "shm_batch_frame.bin").read_bytes() == batch_frame
    assert shm.parse_batch_frame(batch_frame, "golden") == (0, 640368, "in-1")
    assert shm.control_kind(folder) == shm.SHM_FOLDER and shm.control_kind(b"\xff\xff\xff\xff") is None
