"""What user code running in a task can ask for: its task context, broadcast values, and accumulator updates.

Public API::

    from pyworkers.context import TaskContext, broadcast, accumulate

    ctx = TaskContext.get()          # None outside a task
    ctx.partition_id, ctx.get_local_property("user", "nobody")
    table = broadcast(7)             # unpickled from its file on first use, then cached in this worker
    accumulate({"rows": 10})         # pickled now, sent back with the task's end

Task state (the context and the accumulator updates) is set when a task starts and cleared when it ends, failed or
not, so a reused worker carries nothing from one task to the next. Broadcasts outlive tasks: the JVM sends each
worker only the ids it added or removed since that worker's previous task.

The functions whose names start with ``_`` are the task runner's (``pyworkers.task``). Not thread-safe: a worker runs
one task at a time on its session thread, and user threads should read the context before they start.
"""
import pickle
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = ["TaskContext", "broadcast", "accumulate"]

_MAX_ACCUMULATOR_UPDATES = 1_000_000
_MAX_ACCUMULATOR_BYTES = 1 << 30


class TaskContext:
    """The running task's identity and settings, as the JVM sent them in the task header. Read-only by convention."""

    __slots__ = (
        "_stage_id", "_partition_id", "_attempt_number", "_task_attempt_id", "_cpus", "_resources",
        "_local_properties",
    )

    def __init__(
        self,
        stage_id: int,
        partition_id: int,
        attempt_number: int,
        task_attempt_id: int,
        cpus: int,
        resources: Mapping[str, List[str]],
        local_properties: Mapping[str, str],
    ) -> None:
        self._stage_id = stage_id
        self._partition_id = partition_id
        self._attempt_number = attempt_number
        self._task_attempt_id = task_attempt_id
        self._cpus = cpus
        self._resources = {name: list(addresses) for name, addresses in resources.items()}
        self._local_properties = dict(local_properties)

    @classmethod
    def get(cls) -> Optional["TaskContext"]:
        """The context of the task running in this worker, or None outside a task."""
        return _current

    @property
    def stage_id(self) -> int:
        return self._stage_id

    @property
    def partition_id(self) -> int:
        return self._partition_id

    @property
    def attempt_number(self) -> int:
        return self._attempt_number

    @property
    def task_attempt_id(self) -> int:
        return self._task_attempt_id

    @property
    def cpus(self) -> int:
        return self._cpus

    @property
    def resources(self) -> Dict[str, List[str]]:
        """Resource name -> addresses, e.g. ``{"gpu": ["0", "1"]}``."""
        return self._resources

    @property
    def local_properties(self) -> Dict[str, str]:
        return self._local_properties

    def get_local_property(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return self._local_properties.get(key, default)

    def __repr__(self) -> str:
        return "TaskContext(stage_id=%d, partition_id=%d, attempt_number=%d, task_attempt_id=%d, cpus=%d)" % (
            self._stage_id, self._partition_id, self._attempt_number, self._task_attempt_id, self._cpus)


class _Broadcast:
    __slots__ = ("path", "loaded", "value")

    def __init__(self, path: str) -> None:
        self.path = path
        self.loaded = False
        self.value: Any = None


_current: Optional[TaskContext] = None
_accumulator_updates: List[bytes] = []
_broadcasts: Dict[int, _Broadcast] = {}


def broadcast(broadcast_id: int) -> Any:
    """The value of broadcast ``broadcast_id``: unpickled from its file on first use in this worker, then cached.

    Raises KeyError naming the id and the known ids when this worker was never sent it (or it was removed).
    """
    entry = _broadcasts.get(broadcast_id)
    if entry is None:
        raise KeyError(
            "broadcast %r is not known to this worker; known broadcast ids: %s"
            % (broadcast_id, sorted(_broadcasts) or "none")
        )
    if not entry.loaded:
        with open(entry.path, "rb") as f:
            entry.value = pickle.load(f)
        entry.loaded = True
    return entry.value


def accumulate(value: Any) -> None:
    """Add an accumulator update to the running task; it is pickled now and sent back with the task's end."""
    if _current is None:
        raise RuntimeError("accumulate() was called outside a task; call it from a function the task runs")
    if len(_accumulator_updates) >= _MAX_ACCUMULATOR_UPDATES:
        raise RuntimeError(
            "too many accumulator updates in one task: the max is %d; accumulate fewer, larger values"
            % _MAX_ACCUMULATOR_UPDATES
        )
    data = pickle.dumps(value, protocol=4)
    if len(data) > _MAX_ACCUMULATOR_BYTES:
        raise ValueError(
            "accumulator update of %s pickles to %d bytes, over the max of %d"
            % (type(value).__name__, len(data), _MAX_ACCUMULATOR_BYTES)
        )
    _accumulator_updates.append(data)


# ---------------------------------------------------------------------------------------------------------------------
# For the task runner


def _begin_task(context: TaskContext) -> None:
    global _current
    _current = context
    _accumulator_updates.clear()


def _end_task() -> List[bytes]:
    """Clear the task state; returns the accumulator updates the task made (pickles, protocol 4)."""
    global _current
    _current = None
    updates = list(_accumulator_updates)
    _accumulator_updates.clear()
    return updates


def _update_broadcasts(removed: Iterable[int], added: Iterable[Tuple[int, str]]) -> None:
    """Forget ``removed`` ids, then remember each added id's file (a re-sent id is reloaded on next use)."""
    for broadcast_id in removed:
        _broadcasts.pop(broadcast_id, None)
    for broadcast_id, path in added:
        _broadcasts[broadcast_id] = _Broadcast(path)


def _known_broadcasts() -> Dict[int, str]:
    return {broadcast_id: entry.path for broadcast_id, entry in _broadcasts.items()}
