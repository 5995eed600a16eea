package dev.pyworkers.testing;

import dev.pyworkers.events.DaemonStarted;
import dev.pyworkers.events.DaemonStopped;
import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskFinished;
import dev.pyworkers.events.TaskStarted;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.events.WorkerReleased;
import dev.pyworkers.events.WorkerReused;
import dev.pyworkers.events.WorkerStarted;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A {@link WorkerEventListener} that keeps every event in arrival order, with the name of the thread that delivered
 * it, and checks the pairing rules of the listener's contract. Thread-safe. Its {@link #toString()} is the log, one
 * event a line, for a failing test's message.
 */
public final class EventLog implements WorkerEventListener {
  /** One delivered event and the thread it came on. */
  public record Entry(Object event, String thread) { }

  private final List<Entry> entries = new ArrayList<>();

  private synchronized void add(Object e) {
    entries.add(new Entry(e, Thread.currentThread().getName()));
  }

  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  public synchronized List<Object> events() {
    return entries.stream().map(Entry::event).toList();
  }

  /** The events of one type, in order. */
  public <T> List<T> of(Class<T> type) {
    return events().stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** The events of one type that match, in order. */
  public <T> List<T> of(Class<T> type, Predicate<T> which) {
    return of(type).stream().filter(which).toList();
  }

  /**
   * The problems with the pairing rules, empty when there is none: every daemon start has one stop (same pid) after
   * it, every worker start one end after it with reuses and releases only in between, every task start one finish or
   * failure after it. With {@code closed} false, pairs may still be open.
   */
  public synchronized List<String> pairingProblems(boolean closed) {
    List<String> problems = new ArrayList<>();
    Map<Long, String> daemons = new HashMap<>();
    Map<Long, String> workers = new HashMap<>();
    Map<Long, String> tasks = new HashMap<>();
    for (Entry en : entries) {
      Object e = en.event();
      if (e instanceof DaemonStarted d && daemons.put(d.pid(), "up") != null) {
        problems.add("daemon " + d.pid() + " started twice");
      } else if (e instanceof DaemonStopped d && !"up".equals(daemons.put(d.pid(), "down"))) {
        problems.add("daemon " + d.pid() + " stopped without being up");
      } else if (e instanceof WorkerStarted w && workers.put(w.pid(), "busy") != null) {
        problems.add("worker " + w.pid() + " started twice");
      } else if (e instanceof WorkerReleased w && !"busy".equals(workers.put(w.pid(), "idle"))) {
        problems.add("worker " + w.pid() + " released while not busy");
      } else if (e instanceof WorkerReused w && !"idle".equals(workers.put(w.pid(), "busy"))) {
        problems.add("worker " + w.pid() + " reused while not idle");
      } else if (e instanceof WorkerEnded w) {
        String was = workers.put(w.pid(), "ended");
        if (was == null || was.equals("ended")) problems.add("worker " + w.pid() + " ended while " + was);
      } else if (e instanceof TaskStarted t && tasks.put(t.taskId(), "running") != null) {
        problems.add("task " + t.taskId() + " started twice");
      } else if (e instanceof TaskFinished t && !"running".equals(tasks.put(t.taskId(), "ended"))) {
        problems.add("task " + t.taskId() + " finished while not running");
      } else if (e instanceof TaskFailed t && !"running".equals(tasks.put(t.taskId(), "ended"))) {
        problems.add("task " + t.taskId() + " failed while not running");
      }
    }
    if (closed) {
      daemons.forEach((pid, s) -> { if (!s.equals("down")) problems.add("daemon " + pid + " never stopped"); });
      workers.forEach((pid, s) -> { if (!s.equals("ended")) problems.add("worker " + pid + " never ended"); });
      tasks.forEach((id, s) -> { if (!s.equals("ended")) problems.add("task " + id + " never ended"); });
    }
    return problems;
  }

  @Override
  public synchronized String toString() {
    StringBuilder sb = new StringBuilder("events:\n");
    for (Entry e : entries) sb.append("  [").append(e.thread()).append("] ").append(e.event()).append('\n');
    return sb.toString();
  }

  @Override public void daemonStarted(DaemonStarted e) { add(e); }
  @Override public void daemonStopped(DaemonStopped e) { add(e); }
  @Override public void workerStarted(WorkerStarted e) { add(e); }
  @Override public void workerReused(WorkerReused e) { add(e); }
  @Override public void workerReleased(WorkerReleased e) { add(e); }
  @Override public void workerEnded(WorkerEnded e) { add(e); }
  @Override public void taskStarted(TaskStarted e) { add(e); }
  @Override public void taskFinished(TaskFinished e) { add(e); }
  @Override public void taskFailed(TaskFailed e) { add(e); }
}
