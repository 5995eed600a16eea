package dev.pyworkers.cli.run;

import dev.pyworkers.events.DaemonStarted;
import dev.pyworkers.events.DaemonStopped;
import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskFinished;
import dev.pyworkers.events.TaskStarted;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.events.WorkerStarted;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code pyworkers run --verbose} prints about its Python processes and tasks: one line on stderr for each daemon
 * start and stop, worker start and end (with its reason) and task end (records and bytes each way, init and run
 * times), and a totals line at the end. Worker reuses and releases are counted, not printed: each task's line says
 * whether its worker was reused. Thread-safe: events come from the task threads, the killer threads and the closing
 * thread.
 */
public final class EventReport implements WorkerEventListener {
  /** The local property that marks the run's first task, which only loads FUNC. */
  public static final String PHASE = "pyworkers.run.phase";
  public static final String CHECK = "check";

  private final PrintStream err;
  private final boolean overBar;
  private final Set<Long> checkTasks = ConcurrentHashMap.newKeySet();
  private final Map<Long, Integer> partitions = new ConcurrentHashMap<>();
  private final AtomicLong daemons = new AtomicLong();
  private final AtomicLong forked = new AtomicLong();
  private final AtomicLong spawned = new AtomicLong();
  private final AtomicLong ended = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong reusedTasks = new AtomicLong();
  private final AtomicLong bytesTo = new AtomicLong();
  private final AtomicLong bytesFrom = new AtomicLong();

  /** @param overBar a progress bar is drawn on {@code err}: each line first clears the bar's line */
  public EventReport(PrintStream err, boolean overBar) {
    this.err = err;
    this.overBar = overBar;
  }

  @Override
  public void daemonStarted(DaemonStarted e) {
    daemons.incrementAndGet();
    print("Python daemon pid " + e.pid() + (e.isRestart() ? " restarted (it replaces pid " + e.replacedPid()
        + ", which was unreachable)" : " started") + " in " + millis(e.startTime()) + " (Python " + e.pythonVersion()
        + ")");
  }

  @Override
  public void daemonStopped(DaemonStopped e) {
    print("Python daemon pid " + e.pid() + " stopped (" + word(e.reason().name())
        + (e.detail().isEmpty() ? "" : ": " + e.detail()) + ") after " + seconds(e.uptime()));
  }

  @Override
  public void workerStarted(WorkerStarted e) {
    (e.forked() ? forked : spawned).incrementAndGet();
    print("worker pid " + e.pid() + (e.forked() ? " forked by daemon pid " + e.daemonPid() : " spawned") + " in "
        + millis(e.startTime()) + forWhom(e.taskId()));
  }

  @Override
  public void workerEnded(WorkerEnded e) {
    ended.incrementAndGet();
    print("worker pid " + e.pid() + " ended (" + word(e.reason().name())
        + (e.detail().isEmpty() ? "" : ": " + e.detail()) + ") after " + e.tasksServed() + " task"
        + (e.tasksServed() == 1 ? "" : "s") + " in " + seconds(e.lifetime()));
  }

  @Override
  public void taskStarted(TaskStarted e) {
    partitions.put(e.taskId(), e.partition());
    if (CHECK.equals(e.context().localProperties().get(PHASE))) checkTasks.add(e.taskId());
  }

  @Override
  public void taskFinished(TaskFinished e) {
    finished.incrementAndGet();
    if (e.metrics().reusedWorker()) reusedTasks.incrementAndGet();
    bytesTo.addAndGet(e.metrics().bytesToPython());
    bytesFrom.addAndGet(e.metrics().bytesFromPython());
    print(task(e.taskId()) + " done on worker pid " + e.metrics().workerPid()
        + (e.metrics().reusedWorker() ? " (reused)" : "") + ": " + e.metrics().recordsIn() + " batches in, "
        + e.metrics().recordsOut() + " out, " + bytes(e.metrics().bytesToPython()) + " to Python, "
        + bytes(e.metrics().bytesFromPython()) + " back; FUNC ready in " + e.metrics().initTimeMillis()
        + " ms, task " + millis(e.elapsed()));
    forget(e.taskId());
  }

  @Override
  public void taskFailed(TaskFailed e) {
    failed.incrementAndGet();
    bytesTo.addAndGet(e.bytesToPython());
    bytesFrom.addAndGet(e.bytesFromPython());
    String m = String.valueOf(e.error().getMessage());
    int nl = m.indexOf('\n');
    print(task(e.taskId()) + " failed" + (e.workerPid() < 0 ? " before it had a worker"
        : " on worker pid " + e.workerPid()) + " after " + e.recordsIn() + " batches in and " + e.recordsOut()
        + " out, " + millis(e.elapsed()) + ": " + e.error().getClass().getSimpleName() + ": "
        + (nl < 0 ? m : m.substring(0, nl)));
    forget(e.taskId());
  }

  /** "events: 1 daemon started, 2 workers forked, 0 spawned, 2 ended; 36 tasks, 34 on a reused worker, ...". */
  public String totals() {
    return String.format(Locale.ROOT, "pyworkers run: events: %d daemon start%s, %d worker%s forked, %d spawned, %d"
            + " ended; %d task%s finished (%d on a reused worker), %d failed; %s to Python, %s back",
        daemons.get(), daemons.get() == 1 ? "" : "s", forked.get(), forked.get() == 1 ? "" : "s", spawned.get(),
        ended.get(), finished.get(), finished.get() == 1 ? "" : "s", reusedTasks.get(), failed.get(),
        bytes(bytesTo.get()), bytes(bytesFrom.get()));
  }

  private void forget(long taskId) {
    partitions.remove(taskId);
    checkTasks.remove(taskId);
  }

  private String task(long taskId) {
    if (checkTasks.contains(taskId)) return "FUNC check (task " + taskId + ")";
    Integer p = partitions.get(taskId);
    return "partition " + (p == null ? "?" : p) + " (task " + taskId + ")";
  }

  private String forWhom(long taskId) {
    if (taskId == 0) return "";
    if (checkTasks.contains(taskId)) return " for the FUNC check";
    Integer p = partitions.get(taskId);
    return p == null ? "" : " for partition " + p;
  }

  private void print(String line) {
    synchronized (err) {
      err.println((overBar ? "\r\033[2K" : "") + "pyworkers run: " + line);
      err.flush();
    }
  }

  /** EVICTED_POOL_FULL reads "evicted pool full". */
  private static String word(String enumName) {
    return enumName.toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  private static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
  }

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
  }
}
