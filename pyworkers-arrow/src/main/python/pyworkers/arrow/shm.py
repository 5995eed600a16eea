"""Large record batches through files in a private shared-memory folder (``docs/protocol.md`` section 7.10).

The JVM makes one folder per task (mode 0700, under ``/dev/shm`` by default) and names it in an SHM_FOLDER control
frame, the task's first data frame, with the threshold. From then on either side may send a record batch message
through a slot file of that folder (``in-<i % 4>`` from the JVM, ``out-<i % 4>`` from the worker, rewritten in place
so that their pages are allocated once) and, on the socket, an SHM_BATCH control frame that names the file, the
message's offset in it and its length. Each side reads a batch in one copy out of the file before it answers or
asks for more; the JVM deletes the folder and its files when the task ends. A result batch below the threshold, or
one the folder has no room for, goes over the socket as before.
"""
import errno
import os
import re
import stat
import struct
import sys
from typing import Any, Callable, Dict, Optional

from pyworkers import evaltypes
from pyworkers.evaltypes import ProtocolError

try:
    import pyarrow as pa
except ImportError as e:
    raise evaltypes.MissingDependency("pyarrow", "pip install pyarrow (pyworkers-arrow needs it in the workers' "
                                      "Python)") from e

__all__ = ["SHM_FOLDER", "SHM_BATCH", "SLOTS", "SPACE_MARGIN", "SharedMemoryFolder", "control_kind", "folder_frame",
           "batch_frame", "parse_batch_frame"]

#: Control frame kinds (a big-endian ``int`` first, never -1, so never the IPC continuation marker).
SHM_FOLDER = 4
SHM_BATCH = 5
#: Slot files per direction: batch i goes through slot ``i % SLOTS``; the JVM sends input batch i only once it has
#: read result batch ``i - SLOTS``, so that neither side rewrites a slot the other has not read yet.
SLOTS = 4
#: Free space a folder must keep beyond the batch before a result batch is written into it.
SPACE_MARGIN = 8 * 1024 * 1024
MAX_LENGTH = 2 ** 31 - 1
MAX_PATH = 4096
_FOLDER = struct.Struct(">iq")
_BATCH = struct.Struct(">iqq")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


def control_kind(frame: Any) -> Optional[int]:
    """The kind of a shared-memory control frame, or None for any other frame."""
    if len(frame) < 4:
        return None
    kind = struct.unpack_from(">i", frame)[0]
    return kind if kind in (SHM_FOLDER, SHM_BATCH) else None


def folder_frame(threshold: int, path: str) -> bytes:
    return _FOLDER.pack(SHM_FOLDER, threshold) + path.encode("utf-8")


def batch_frame(offset: int, length: int, name: str) -> bytes:
    return _BATCH.pack(SHM_BATCH, offset, length) + name.encode("ascii")


def parse_batch_frame(frame: Any, what: str):
    """``(offset, length, name)`` of an SHM_BATCH frame; a bad field is a ProtocolError naming it."""
    if len(frame) <= _BATCH.size:
        raise ProtocolError("%s is an SHM_BATCH frame of %d bytes, too short for its name (at least %d bytes)"
                            % (what, len(frame), _BATCH.size + 1))
    _, offset, length = _BATCH.unpack_from(frame)
    raw = bytes(frame[_BATCH.size:])
    try:
        name = raw.decode("ascii")
    except UnicodeDecodeError:
        name = None
    if name is None or not _NAME.fullmatch(name) or ".." in name:
        raise ProtocolError("%s names the file %r; a shared-memory file name is 1 to 64 of A-Z a-z 0-9 . _ -, not "
                            "starting with '.', without '..' or '/': a name inside the task's folder, never a path"
                            % (what, raw))
    if offset < 0 or offset % 8 != 0 or length < 8 or length > MAX_LENGTH:
        raise ProtocolError("%s has offset %d and length %d; the offset must be >= 0 and a multiple of 8, the "
                            "length 8..%d" % (what, offset, length, MAX_LENGTH))
    return offset, length, name


def _check_folder(path: str, what: str) -> None:
    if not os.path.isabs(path) or os.path.normpath(path) != path or "\0" in path:
        raise ProtocolError("%s names the folder %r, which is not an absolute, normalized path" % (what, path))
    try:
        st = os.lstat(path)
    except OSError as e:
        raise ProtocolError("%s names the folder %s, which cannot be used: %s" % (what, path, e)) from None
    wrong = None
    if stat.S_ISLNK(st.st_mode):
        wrong = "is a symbolic link"
    elif not stat.S_ISDIR(st.st_mode):
        wrong = "is not a folder"
    elif st.st_uid != os.getuid():
        wrong = "belongs to uid %d, not to this worker's uid %d" % (st.st_uid, os.getuid())
    elif stat.S_IMODE(st.st_mode) != 0o700:
        wrong = "has mode %o, not 700" % stat.S_IMODE(st.st_mode)
    if wrong:
        raise ProtocolError("the shared-memory folder %s of this task %s; the worker reads and writes batches only in "
                            "a private folder of its own user (turn shared memory off with "
                            "-Dpyworkers.arrow.sharedMemory=false or choose another folder)" % (path, wrong))


class SharedMemoryFolder:
    """The task's shared-memory folder, from its SHM_FOLDER frame. Confined to the task's thread."""

    def __init__(self, frame: Any, what: str) -> None:
        if len(frame) <= _FOLDER.size or len(frame) > _FOLDER.size + MAX_PATH:
            raise ProtocolError("%s is an SHM_FOLDER frame of %d bytes; it holds %d bytes and a path of 1..%d bytes"
                                % (what, len(frame), _FOLDER.size, MAX_PATH))
        _, threshold = _FOLDER.unpack_from(frame)
        if threshold < 0:
            raise ProtocolError("%s has threshold %d; it must be >= 0 bytes" % (what, threshold))
        try:
            path = bytes(frame[_FOLDER.size:]).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProtocolError("%s has a folder path that is not UTF-8: %s" % (what, e)) from None
        _check_folder(path, what)
        self.path = path
        self.threshold = threshold
        self._fds = {}  # type: Dict[int, int]
        self._sizes = {}  # type: Dict[int, int]
        self._fell_back = False

    def read(self, frame: Any, schema: Any, what: str) -> Any:
        """The record batch the SHM_BATCH ``frame`` names, read in one copy into a buffer of Arrow's memory pool (the
        JVM writes its next batches into the same slot files, so the batch must not point into them)."""
        offset, length, name = parse_batch_frame(frame, what)
        path = os.path.join(self.path, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as e:
            raise ProtocolError("%s names the file %s, which cannot be opened: %s" % (what, path, e)) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size < offset + length:
                raise ProtocolError("%s names %s, which is not a regular file of at least %d bytes (it has %d)"
                                    % (what, path, offset + length, st.st_size))
            buffer = pa.allocate_buffer(length)
            view = memoryview(buffer)
            done = 0
            while done < length:
                n = os.preadv(fd, [view[done:]], offset + done)
                if n <= 0:
                    raise ProtocolError("%s names %s, which ends before its %d bytes" % (what, path, length))
                done += n
            del view
        finally:
            os.close(fd)
        if bytes(buffer[:4]) != b"\xff\xff\xff\xff":
            raise ProtocolError("%s names %s, whose message at offset %d does not start with the Arrow IPC "
                                "continuation marker 0xFFFFFFFF" % (what, path, offset))
        return pa.ipc.read_record_batch(buffer, schema)

    def write(self, write: Callable[[Any], Any], batch: Any, index: int) -> bool:
        """Sends result batch ``index`` through its slot file and an SHM_BATCH frame if it is at least the threshold
        and there is room; returns False (nothing sent) otherwise, for the caller to send it over the socket."""
        size = pa.ipc.get_record_batch_size(batch)
        if size < self.threshold or size > MAX_LENGTH:
            return False
        slot = index % SLOTS
        try:
            free = os.statvfs(self.path)
            grows = max(0, size - self._sizes.get(slot, 0))
            if free.f_bavail * free.f_frsize < grows + SPACE_MARGIN:
                self._fall_back("%d bytes free, below the batch's %d bytes and a margin of %d"
                                % (free.f_bavail * free.f_frsize, size, SPACE_MARGIN))
                return False
        except OSError as e:
            self._fall_back(str(e))
            return False
        name = "out-%d" % slot
        fd = self._fds.get(slot)
        try:
            if fd is None:
                fd = os.open(os.path.join(self.path, name),
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                self._fds[slot] = fd
            message = batch.serialize()
            done = 0
            view = memoryview(message)
            while done < size:
                done += os.pwrite(fd, view[done:], done)
            del view
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.ENOENT, errno.EEXIST):
                raise
            self._fall_back(str(e))
            return False
        self._sizes[slot] = max(size, self._sizes.get(slot, 0))
        evaltypes.write_frame(write, batch_frame(0, size, name))
        return True

    def close(self) -> None:
        """Closes the slot files (the JVM deletes them with the folder)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _fall_back(self, why: str) -> None:
        if not self._fell_back:
            self._fell_back = True
            sys.stderr.write("[worker] INFO result batches of this task go over the socket, not through the "
                             "shared-memory folder %s: %s\n" % (self.path, why))


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # already gone; the JVM deletes the task's folder with whatever is left
