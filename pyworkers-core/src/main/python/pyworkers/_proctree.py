"""The processes that user code starts from a worker, and how they end with it. Standard library only.

A worker is made the leader of its own process group and, on Linux, a *child subreaper*
(``prctl(PR_SET_CHILD_SUBREAPER)``): a process that user code starts and that is orphaned while the worker lives (a
double fork, a daemonised helper) is re-parented to the worker instead of to init, so every process the worker
started stays in its tree, whatever group or session it moved to. The daemon is a subreaper too: when a worker ends,
its whole tree is re-parented to the daemon, which kills it.

The tree is read from ``/proc/<pid>/stat`` (Linux only); elsewhere :func:`process_table` is empty and only the
process group kill applies (see docs/configuration.md, "Process lifetime").

Thread-safety: stateless functions, safe from any thread; the prctl binding is loaded once, under the import lock.
"""
import os
import signal
import sys
from typing import Callable, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Set

__all__ = [
    "LINUX", "prctl", "become_subreaper", "join_own_group", "ProcessTable", "process_table", "descendants", "kill_pids",
    "kill_group", "kill_tree_below",
]

LINUX = sys.platform.startswith("linux")

_PR_SET_CHILD_SUBREAPER = 36
_KILL_ROUNDS = 10

_Prctl = Callable[[int, int, int, int, int], int]


def _load_prctl() -> Optional[_Prctl]:
    if not LINUX:
        return None
    import ctypes  # imported before any fork, so forked workers do not pay for it

    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    function.restype = ctypes.c_int

    def call(option: int, a: int, b: int, c: int, d: int) -> int:
        """prctl(2); returns 0, or the errno of a failed call."""
        if function(option, a, b, c, d) == 0:
            return 0
        return ctypes.get_errno() or -1

    return call


_PRCTL = _load_prctl()


def prctl() -> Optional[_Prctl]:
    """The libc ``prctl`` (returning 0 or an errno), or None where there is none (not Linux, no libc symbol)."""
    return _PRCTL


def become_subreaper() -> Optional[str]:
    """Make this process a child subreaper; returns None on success, else why not (for a log line)."""
    if _PRCTL is None:
        return "no prctl on %s" % sys.platform
    error = _PRCTL(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if error:
        return "prctl(PR_SET_CHILD_SUBREAPER) failed: [Errno %d] %s" % (error, os.strerror(error))
    return None


def join_own_group() -> Optional[str]:
    """Make this process the leader of a new process group (``setpgid(0, 0)``); returns None, or why it failed."""
    try:
        os.setpgid(0, 0)
        return None
    except OSError as e:
        return "setpgid(0, 0) failed: %s" % (e,)


class ProcessTable(NamedTuple):
    """A look at every process: ``parents`` maps pid to parent pid (zombies included), ``zombies`` holds the pids
    that have ended and wait to be reaped."""

    parents: Dict[int, int]
    zombies: FrozenSet[int]

    def children_of(self, pid: int) -> List[int]:
        return [child for child, parent in self.parents.items() if parent == pid]


def process_table() -> ProcessTable:
    """Every process, from ``/proc``; empty where there is no ``/proc``."""
    parents: Dict[int, int] = {}
    zombies: Set[int] = set()
    try:
        names = os.listdir("/proc")
    except OSError:
        return ProcessTable(parents, frozenset())
    for name in names:
        if not name.isdigit():
            continue
        try:
            fd = os.open("/proc/%s/stat" % name, os.O_RDONLY)
        except OSError:
            continue  # it ended while we looked
        try:
            stat = os.read(fd, 4096)  # one read: the kernel renders the whole line at once, well under 4 KiB
        except OSError:
            continue
        finally:
            os.close(fd)
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split(None, 2)
        if len(fields) >= 2:
            pid = int(name)
            parents[pid] = int(fields[1])
            if fields[0] in (b"Z", b"X"):
                zombies.add(pid)
    return ProcessTable(parents, frozenset(zombies))


def descendants(roots: Iterable[int], table: ProcessTable) -> List[int]:
    """Every pid below ``roots`` in ``table`` (children first, then theirs; zombies too, since their children are
    still below them until they are reaped), the roots themselves excluded."""
    children: Dict[int, List[int]] = {}
    for pid, ppid in table.parents.items():
        children.setdefault(ppid, []).append(pid)
    found: List[int] = []
    seen: Set[int] = set(roots)
    frontier = list(seen)
    while frontier:
        below = [c for p in frontier for c in children.get(p, ()) if c not in seen]
        seen.update(below)
        found.extend(below)
        frontier = below
    return found


def kill_pids(pids: Iterable[int]) -> List[int]:
    """SIGKILL each pid; returns those signalled (a pid already gone, or not ours to signal, is skipped)."""
    signalled = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            signalled.append(pid)
        except (ProcessLookupError, PermissionError):
            continue
    return signalled


def kill_group(pgid: int) -> bool:
    """SIGKILL every process of group ``pgid``; False when the group is empty or gone."""
    if pgid <= 1:
        raise ValueError("refusing to signal process group %d: only a worker's own group may be killed" % pgid)
    try:
        os.killpg(pgid, signal.SIGKILL)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def kill_tree_below(root: int, keep: Iterable[int] = ()) -> List[int]:
    """SIGKILL every process below ``root`` except the subtrees of ``keep``, in rounds until a fresh look finds none
    left that was not signalled yet (a process forked in between is found by the next round; at most 10 rounds).
    Returns every pid signalled. Linux only: elsewhere it finds nothing."""
    spared = set(keep)
    signalled: Set[int] = set()
    for _ in range(_KILL_ROUNDS):
        table = process_table()
        for pid in spared:
            table.parents.pop(pid, None)  # cut the spared subtrees off the tree
        targets = [pid for pid in descendants([root], table) if pid not in signalled and pid not in table.zombies]
        if not targets:
            break
        kill_pids(targets)
        signalled.update(targets)  # a pid we could not signal is not retried forever
    return sorted(signalled)
