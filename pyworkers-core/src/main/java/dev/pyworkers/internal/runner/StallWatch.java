package dev.pyworkers.internal.runner;

import dev.pyworkers.StallEvent;
import dev.pyworkers.StallEvent.ProcessState;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.process.DumpSignal;
import dev.pyworkers.internal.process.ProcessStates;
import dev.pyworkers.internal.process.TracebackDumps;
import dev.pyworkers.internal.time.Ticker;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one task for a stalled worker: one that took no input and sent no output while the task waited on it.
 * After each stall-warning interval without progress it reports a {@link StallEvent} (process state, main-thread
 * traceback); after the task idle timeout it takes one last traceback and calls {@code onTimeout}, which decides to
 * kill the worker and hands the kill to the killer threads (the scheduler thread never blocks on a kill). The
 * traceback is asked for with {@link DumpSignal} and waited for without blocking: the check polls the worker's
 * {@link TracebackDumps} every {@value #POLL_MS} ms for up to {@value #DUMP_WAIT_MS} ms.
 *
 * <p>Time: progress, the stall interval and the idle timeout are readings of the registry's {@link Ticker}; a check is
 * scheduled for when the next of them is due by it (at most {@link Ticker#maxRealWaitNanos} away in real time). The
 * wait for a stack dump is the real process's answer time, so it stays on {@code System.nanoTime()}.
 *
 * <p>Thread-safety: {@link #progress} and {@link #stop} are called from the task's threads; the checks, the captures
 * and the listener run on the registry's scheduler thread, one step at a time, and only they touch the report count.
 */
final class StallWatch {
  static final long DUMP_WAIT_MS = 500;
  static final long POLL_MS = 20;
  /** A dump is complete when no line of it arrived for this long. */
  private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(60);
  private static final Logger LOG = LoggerFactory.getLogger(StallSettings.LOGGER);

  /** What one capture found. Immutable. */
  record Capture(ProcessState state, String traceback, String unavailable) {}

  private final RealPythonWorker worker;
  private final int partition;
  private final long warnNanos;
  private final long timeoutNanos;
  private final Consumer<StallEvent> listener;
  private final ScheduledExecutorService scheduler;
  private final Ticker ticker;
  private final BooleanSupplier jvmSideBusy;
  private final Consumer<Capture> onTimeout;
  /** A ticker reading, written by the task's threads on every frame with release stores (no fence); read by checks. */
  private final AtomicLong lastProgress;
  /** Once true, always true. */
  private volatile boolean stopped;
  private volatile ScheduledFuture<?> next;
  /** The main-thread traceback of the last capture that had one; empty before. */
  private volatile String lastTraceback = "";
  /** Scheduler thread only: the progress stamp the reports count refers to, and the count. */
  private long reportedStamp;
  private int reports;

  /**
   * @param jvmSideBusy true while the task waits on the JVM side (the caller is not reading results, or the input
   *     iterator is producing the next element): that time is not the worker's stall
   * @param onTimeout called once, on the scheduler thread, with the last capture, when the idle timeout passes
   */
  StallWatch(RealPythonWorker worker, int partition, StallSettings settings, Duration idleTimeout,
      ScheduledExecutorService scheduler, Ticker ticker, BooleanSupplier jvmSideBusy, Consumer<Capture> onTimeout) {
    this.worker = worker;
    this.partition = partition;
    this.warnNanos = settings.warning().toNanos();
    this.timeoutNanos = idleTimeout.toNanos();
    this.listener = settings.listener();
    this.scheduler = scheduler;
    this.ticker = ticker;
    this.lastProgress = new AtomicLong(ticker.read());
    this.jvmSideBusy = jvmSideBusy;
    this.onTimeout = onTimeout;
  }

  void start() {
    if (warnNanos > 0 || timeoutNanos > 0) scheduleNext();
  }

  /** The worker took input or sent output. */
  void progress() {
    lastProgress.setRelease(ticker.read());
  }

  /** The task ended: no more checks, reports or kill. */
  void stop() {
    stopped = true;
    ScheduledFuture<?> f = next;
    if (f != null) f.cancel(false);
    worker.dumps().forget(worker.pid());
  }

  /** The main-thread traceback of the last capture that had one; empty if none did. */
  String lastTraceback() {
    return lastTraceback;
  }

  private void check() {
    if (stopped) return;
    long now = ticker.read();
    if (jvmSideBusy.getAsBoolean()) lastProgress.set(now);
    long stamp = lastProgress.get();
    if (stamp != reportedStamp) {
      reportedStamp = stamp;
      reports = 0;
    }
    long idle = now - stamp;
    if (timeoutNanos > 0 && idle >= timeoutNanos) {
      capture(c -> {
        if (lastProgress.get() != stamp) scheduleNext(); // it moved while we looked: not idle after all
        else onTimeout.accept(c);
      });
    } else if (warnNanos > 0 && idle >= (reports + 1) * warnNanos) {
      capture(c -> {
        if (lastProgress.get() == stamp) report(c, stamp);
        scheduleNext();
      });
    } else {
      scheduleNext();
    }
  }

  private void report(Capture c, long stamp) {
    reports++;
    StallEvent e = new StallEvent(worker.pid(), partition, Duration.ofNanos(ticker.read() - stamp), c.state(),
        c.traceback(), c.unavailable(), reports);
    try {
      listener.accept(e);
    } catch (RuntimeException ex) {
      LOG.warn("the stall listener of a runner threw on a report for Python worker pid {} (partition {}); the report"
          + " was: {}", worker.pid(), partition, e.describe(), ex);
    }
  }

  private void scheduleNext() {
    if (stopped) return;
    long idle = ticker.read() - lastProgress.get();
    long due = Long.MAX_VALUE;
    if (timeoutNanos > 0) due = timeoutNanos - idle;
    if (warnNanos > 0) due = Math.min(due, (reports + 1) * warnNanos - idle);
    due = Math.min(due, ticker.maxRealWaitNanos());
    schedule(this::check, Math.max(due, TimeUnit.MILLISECONDS.toNanos(1)));
  }

  private void schedule(Runnable r, long delayNanos) {
    try {
      next = scheduler.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      stopped = true; // the registry is closing: its workers are being stopped anyway
    }
    if (stopped && next != null) next.cancel(false);
  }

  /** Reads the state, asks for a stack dump unless the process cannot answer, and hands the result on. */
  private void capture(Consumer<Capture> then) {
    long pid = worker.pid();
    ProcessState state = ProcessStates.of(pid);
    String cannot = switch (state) {
      case STOPPED -> "the traceback is unavailable because the process is stopped (SIGSTOP, a terminal stop or a"
          + " debugger); it cannot run to write one until it gets SIGCONT";
      case ZOMBIE, GONE -> "the traceback is unavailable because the process has exited";
      default -> null;
    };
    if (cannot != null) {
      then.accept(new Capture(state, "", cannot));
      return;
    }
    TracebackDumps dumps = worker.dumps();
    long asked = System.nanoTime();  // real time: the dump wait bounds the process's answer, not a deadline
    dumps.expect(pid, asked);
    String notSent = DumpSignal.send(worker.processHandle());
    if (notSent != null) {
      then.accept(new Capture(state, "", "the traceback is unavailable because SIGUSR2 could not be sent: " + notSent));
      return;
    }
    awaitDump(state, asked, then);
  }

  private void awaitDump(ProcessState state, long asked, Consumer<Capture> then) {
    if (stopped) return;
    long now = System.nanoTime();
    String dump = worker.dumps().completed(worker.pid(), now, QUIET_NANOS);
    if (dump != null) {
      String main = TracebackDumps.mainThread(dump);
      lastTraceback = main;
      then.accept(new Capture(state, main, ""));
    } else if (now - asked >= TimeUnit.MILLISECONDS.toNanos(DUMP_WAIT_MS)) {
      then.accept(new Capture(state, "", "the traceback is unavailable because the worker wrote no stack dump within "
          + DUMP_WAIT_MS + " ms of SIGUSR2 (process state " + state.description() + "; a process in uninterruptible"
          + " sleep takes signals only when it wakes, and FUNC may have replaced the SIGUSR2 handler)"));
    } else {
      schedule(() -> awaitDump(state, asked, then), TimeUnit.MILLISECONDS.toNanos(POLL_MS));
    }
  }
}
