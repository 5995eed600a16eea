package dev.pyworkers.internal.daemon;

import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.internal.protocol.WorkerExit;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a daemon's stdout after its hello: one {@code PWKX} {@link WorkerExit} report each time a worker ends
 * (docs/protocol.md section 1.4), kept for the last {@value #MAX_EXITS} workers so that a crash report can say how
 * its worker ended. One daemon thread, {@code pyworkers-daemon-stdout-pidN}, reads until the end of the stream; after
 * bad bytes it logs one WARN and drains the rest unread, so the daemon never blocks on a full pipe. Thread-safe.
 */
final class DaemonReports {
  private static final Logger LOG = LoggerFactory.getLogger(DaemonReports.class);
  private static final int MAX_EXITS = 4096;

  private final long daemonPid;
  /** Guarded by {@code this}: the reports of recent workers by pid, oldest first. */
  private final LinkedHashMap<Long, WorkerExit> exits = new LinkedHashMap<>();
  /** Guarded by {@code this}: once true, always true; no more reports will arrive. */
  private boolean ended;

  private DaemonReports(long daemonPid) {
    this.daemonPid = daemonPid;
  }

  /** Starts reading {@code stdout}, the daemon's standard output right after its hello. */
  static DaemonReports start(InputStream stdout, long daemonPid) {
    DaemonReports reports = new DaemonReports(daemonPid);
    Thread t = new Thread(() -> reports.run(stdout), "pyworkers-daemon-stdout-pid" + daemonPid);
    t.setDaemon(true);
    t.start();
    return reports;
  }

  private void run(InputStream stdout) {
    try {
      WorkerExit exit;
      while ((exit = WorkerExit.read(stdout)) != null) record(exit);
    } catch (WorkerProtocolException e) {
      LOG.warn("Bad worker exit report on the stdout of Python daemon pid {}: {}; crash reports of its workers will"
          + " say '(exit status unknown)'. Is the daemon module from this pyworkers jar?", daemonPid, e.getMessage());
      drain(stdout);
    } catch (IOException e) {
      // the daemon is gone and its stdout closed, possibly mid-report; nothing more will arrive
    } finally {
      closeQuietly(stdout);
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  private static void drain(InputStream stdout) {
    byte[] skip = new byte[8192];
    try {
      while (stdout.read(skip) >= 0) {
        // discarded: the stream is out of step, but the daemon must never block on a full pipe
      }
    } catch (IOException e) {
      // the daemon is gone
    }
  }

  private static void closeQuietly(InputStream stdout) {
    try {
      stdout.close();
    } catch (IOException e) {
      // nothing more is read from it
    }
  }

  private synchronized void record(WorkerExit exit) {
    exits.put(exit.pid(), exit);
    if (exits.size() > MAX_EXITS) exits.remove(exits.keySet().iterator().next());
    notifyAll();
  }

  /** How worker {@code pid} ended, waiting up to {@code millis} for its report; null if none came. */
  synchronized WorkerExit awaitExit(long pid, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    try {
      while (!exits.containsKey(pid) && !ended) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) break;
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return exits.get(pid);
  }
}
