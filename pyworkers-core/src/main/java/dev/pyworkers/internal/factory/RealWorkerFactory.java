package dev.pyworkers.internal.factory;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.PythonWorker;
import dev.pyworkers.WorkerAuthException;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.WorkerStats;
import dev.pyworkers.internal.auth.Handshake;
import dev.pyworkers.internal.auth.Secret;
import dev.pyworkers.events.DaemonStarted;
import dev.pyworkers.events.DaemonStopped;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerReleased;
import dev.pyworkers.events.WorkerReused;
import dev.pyworkers.events.WorkerStarted;
import dev.pyworkers.internal.daemon.DaemonProcess;
import dev.pyworkers.internal.events.EventSink;
import dev.pyworkers.internal.pool.IdlePool;
import dev.pyworkers.internal.process.ProcessStopper;
import dev.pyworkers.internal.time.Ticker;
import dev.pyworkers.internal.transport.SocketFolder;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker factory of one {@link PythonEnvironment}: idle pool, daemon lifecycle, forks, spawns and kills.
 * Thread-safe. One lock guards the pool, the daemon reference and the closed flag; it is never held during I/O, a
 * process start, a handshake or a kill: decide and claim under the lock, do the slow work outside it.
 */
public final class RealWorkerFactory implements WorkerFactory {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerFactory.class);

  private final PythonEnvironment env;
  private final WorkerConfig config;
  private final Supplier<Path> bundle;
  private final SocketFolder folder;
  private final ScheduledExecutorService scheduler;
  /** Runs the kills of the scheduler's deadlines (idle eviction), so that the scheduler thread never blocks on one. */
  private final Executor killer;
  private final EventSink events;
  /** What the idle eviction reads: when a worker went idle, whether it is past the idle timeout. */
  private final Ticker ticker;
  private final Secret secret = Secret.generate();
  private final Set<RealPythonWorker> live = ConcurrentHashMap.newKeySet();

  private final Object lock = new Object();
  /** Guarded by {@code lock}. */
  private final IdlePool<RealPythonWorker> pool;
  /** Guarded by {@code lock}: null until the first fork, replaced on restart. */
  private CompletableFuture<DaemonProcess> daemon;
  /** Guarded by {@code lock}: once true, always true: a closing factory never starts or restarts a daemon or worker. */
  private boolean closed;
  /** Guarded by {@code lock}: why it is closed, for the error of a create() that races the close. */
  private String closedBecause = "";
  /** Guarded by {@code lock}: the daemon process being started, so that a close can kill it at once. */
  private Process startingDaemon;
  /** Guarded by {@code lock}. */
  private ScheduledFuture<?> evictionTask;

  private final AtomicLong forked = new AtomicLong();
  private final AtomicLong spawned = new AtomicLong();
  private final AtomicLong reused = new AtomicLong();
  private final AtomicLong killed = new AtomicLong();
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicLong recycled = new AtomicLong();
  private final AtomicLong discardedDead = new AtomicLong();
  private final AtomicLong daemonRestarts = new AtomicLong();

  public RealWorkerFactory(
      PythonEnvironment env, WorkerConfig config, Supplier<Path> bundle, SocketFolder folder,
      ScheduledExecutorService scheduler, Executor killer, EventSink events, Ticker ticker) {
    this.env = env;
    this.config = config;
    this.bundle = bundle;
    this.folder = folder;
    this.scheduler = scheduler;
    this.killer = killer;
    this.events = events;
    this.ticker = ticker;
    this.pool = new IdlePool<>(config.idlePoolSize(), config.idleTimeout().toNanos());
  }

  @Override
  public PythonEnvironment environment() {
    return env;
  }

  @Override
  public PythonWorker create() {
    return createWorker(0);
  }

  /**
   * {@link #create()} with the worker's concrete type, for the runner (it streams a task over the worker's socket).
   *
   * @param taskId the runner task asking, for the events; 0 for none
   */
  public RealPythonWorker createWorker(long taskId) {
    long asked = System.nanoTime();
    while (true) {
      RealPythonWorker w;
      synchronized (lock) {
        checkOpen();
        w = pool.takeNewest();
      }
      if (w == null) break;
      if (w.state.compareAndSet(RealPythonWorker.State.IDLE, RealPythonWorker.State.BUSY)
          && w.isAlive() && w.isClean()) {
        int task = w.tasks.incrementAndGet();
        reused.incrementAndGet();
        if (events.on()) {
          events.workerReused(new WorkerReused(env, w.pid(), task, Duration.ofNanos(asked - w.idleSinceNanos), taskId));
        }
        return w;
      }
      discardedDead.incrementAndGet();
      LOG.info("idle Python worker pid {} is dead or has unread bytes on its socket; discarding it", w.pid());
      kill(w, WorkerEnded.Reason.FOUND_DEAD, w.isAlive() ? "it had unread bytes on its socket" : "it was dead");
    }
    RealPythonWorker w;
    try {
      w = config.mode() == WorkerMode.DAEMON ? fork() : spawn();
    } catch (IllegalStateException e) {
      throw e;  // already the "closed" error of checkOpen
    } catch (RuntimeException e) {
      if (isClosed()) throw closedError(e);
      throw e;
    }
    live.add(w);
    if (events.on()) {
      events.workerStarted(new WorkerStarted(env, w.pid(), w.mode(), w.daemon() == null ? -1 : w.daemon().pid(),
          Duration.ofNanos(System.nanoTime() - asked), taskId));
    }
    boolean stillOpen;
    synchronized (lock) {
      stillOpen = !closed;
    }
    if (!stillOpen) {
      kill(w, WorkerEnded.Reason.CLOSED, closedBecauseNow());
      throw closedError(null);
    }
    return w;
  }

  private RealPythonWorker fork() {
    DaemonProcess d = currentDaemon();
    try {
      return forkFrom(d);
    } catch (DaemonProcess.Unreachable e) {
      if (isClosed()) throw closedError(e);
      if (callerInterrupted(e)) throw callerWasInterrupted(d, e);
      if (d.endedByInterrupt()) throw interrupted(d, e);
      // endedByInterrupt waits for a daemon that is stopping: a close that began meanwhile stopped it
      if (isClosed()) throw closedError(e);
      LOG.warn("Python {} is unreachable ({}); restarting it and retrying once", d, e.getMessage());
      DaemonProcess fresh = restart(d, String.valueOf(e.getMessage()));
      try {
        return forkFrom(fresh);
      } catch (DaemonProcess.Unreachable again) {
        throw new WorkerStartException(
            "Python daemon still unreachable after one restart: " + again.getMessage() + "; daemon stderr:\n"
                + fresh.stderr().tail(), again);
      }
    }
  }

  private RealPythonWorker forkFrom(DaemonProcess d) {
    SocketChannel ch;
    try {
      ch = d.connect();
    } catch (IOException e) {
      throw new DaemonProcess.Unreachable("cannot connect to " + d + " (" + d.describeState() + "): " + e, e);
    }
    Handshake.WorkerHello hello;
    try {
      hello = WorkerHandshake.run(ch, secret, scheduler, config, "worker forked by " + d);
    } catch (WorkerHandshake.HelloFailed e) {
      SimpleLauncher.closeQuietly(ch);
      throw new DaemonProcess.Unreachable(e.getMessage() + " (daemon " + d.describeState() + ")", e);
    } catch (WorkerAuthException e) {
      SimpleLauncher.closeQuietly(ch);
      if (isClosed()) throw closedError(e);
      if (callerInterrupted(e)) throw callerWasInterrupted(d, e);
      if (d.endedByInterrupt()) throw interrupted(d, e);
      if (isClosed()) throw closedError(e);
      LOG.warn("{}", e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      SimpleLauncher.closeQuietly(ch);
      throw e;
    }
    if (hello.pid() < 0) {
      SimpleLauncher.closeQuietly(ch);
      throw new WorkerStartException(
          "Python " + d + " could not fork a worker (errno " + -hello.pid() + "): " + hello.forkError()
              + ". The machine may be out of processes or memory; check ulimit -u and free memory");
    }
    ProcessHandle handle = ProcessHandle.of(hello.pid()).orElse(null);
    if (handle == null || handle.parent().map(ProcessHandle::pid).orElse(-1L) != d.pid()) {
      SimpleLauncher.closeQuietly(ch);
      throw new WorkerProtocolException(
          "worker on " + d + " reported pid " + hello.pid() + ", which is not a live child of the daemon");
    }
    forked.incrementAndGet();
    return new RealPythonWorker(this, hello.pid(), handle, ch, d, null, null, scheduler);
  }

  private RealPythonWorker spawn() {
    SimpleLauncher.Spawned s = SimpleLauncher.spawn(env, config, bundle.get(), secret, folder, scheduler);
    spawned.incrementAndGet();
    return new RealPythonWorker(this, s.hello().pid(), s.process().toHandle(), s.channel(), null, s.process(),
        s.output(), scheduler);
  }

  private DaemonProcess currentDaemon() {
    CompletableFuture<DaemonProcess> f;
    boolean mine = false;
    synchronized (lock) {
      checkOpen();
      if (daemon == null || daemon.isCompletedExceptionally()) {
        daemon = new CompletableFuture<>();
        mine = true;
      }
      f = daemon;
    }
    if (mine) startInto(f, -1, "");
    return await(f);
  }

  /** Replaces {@code dead} unless another thread already did; returns the daemon to use now. */
  private DaemonProcess restart(DaemonProcess dead, String why) {
    CompletableFuture<DaemonProcess> f;
    boolean mine = false;
    synchronized (lock) {
      checkOpen();
      if (daemon != null && daemon.isDone() && !daemon.isCompletedExceptionally() && daemon.join() == dead) {
        daemon = new CompletableFuture<>();
        mine = true;
      }
      f = daemon;
    }
    if (mine) {
      daemonRestarts.incrementAndGet();
      dead.stop(config.stopTimeout());
      if (events.on()) {
        events.daemonStopped(new DaemonStopped(env, dead.pid(), DaemonStopped.Reason.UNREACHABLE, why,
            Duration.ofNanos(System.nanoTime() - dead.startedNanos())));
      }
      startInto(f, dead.pid(), why);
    }
    return await(f);
  }

  /**
   * Starts a daemon into {@code f}. A close that begins meanwhile kills the starting process (see {@link #close}); a
   * daemon that still came up after the close began is stopped here, and {@code f} fails with "closed".
   */
  private void startInto(CompletableFuture<DaemonProcess> f, long replacedPid, String restartReason) {
    long begun = System.nanoTime();
    DaemonProcess d;
    try {
      d = DaemonProcess.start(env, config, bundle.get(), secret, folder, scheduler, this::daemonSpawned);
    } catch (RuntimeException e) {
      boolean wasClosed;
      synchronized (lock) {
        startingDaemon = null;
        wasClosed = closed;
      }
      f.completeExceptionally(wasClosed ? closedError(e) : e);
      return;
    }
    boolean wasClosed;
    synchronized (lock) {
      startingDaemon = null;
      wasClosed = closed;
    }
    if (wasClosed) {
      d.stop(config.stopTimeout());
      f.completeExceptionally(closedError(null));
      return;
    }
    LOG.debug("started Python {} (Python {})", d, d.hello().pythonVersion());
    if (events.on()) {
      events.daemonStarted(new DaemonStarted(env, d.pid(), d.hello().pythonVersion(),
          Duration.ofNanos(d.startedNanos() - begun), replacedPid, restartReason));
    }
    f.complete(d);
  }

  /** Called by {@link DaemonProcess#start} right after the spawn; a close that already began kills it at once. */
  private void daemonSpawned(Process p) {
    boolean wasClosed;
    synchronized (lock) {
      startingDaemon = p;
      wasClosed = closed;
    }
    if (wasClosed) p.destroyForcibly();
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** The error of a create() that raced the close: it says that the factory or its registry was closed. */
  private IllegalStateException closedError(Throwable cause) {
    String because;
    synchronized (lock) {
      because = closedBecause;
    }
    return new IllegalStateException(because + "; no more workers are started for " + env, cause);
  }

  private String closedBecauseNow() {
    synchronized (lock) {
      return closedBecause;
    }
  }

  /**
   * The thread asking for a worker was interrupted (a cancelled task, a program being stopped): its socket was
   * closed by the interrupt, so the failure says nothing about the daemon, which is neither restarted nor blamed.
   */
  private static boolean callerInterrupted(Throwable e) {
    if (Thread.currentThread().isInterrupted()) return true;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.ClosedByInterruptException || t instanceof InterruptedException) return true;
    }
    return false;
  }

  private static WorkerStartException callerWasInterrupted(DaemonProcess d, RuntimeException cause) {
    return new WorkerStartException("interrupted while asking Python " + d + " for a worker; the daemon is left "
        + "as it is", cause);
  }

  /** The daemon died of SIGINT: a Ctrl-C reached its process group, so the program is being interrupted. */
  private static WorkerStartException interrupted(DaemonProcess d, RuntimeException cause) {
    return new WorkerStartException("Python " + d + " was interrupted (" + d.describeState()
        + "); a Ctrl-C reached its process group, so it is not restarted", cause);
  }

  private static DaemonProcess await(CompletableFuture<DaemonProcess> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  @Override
  public void release(PythonWorker worker) {
    RealPythonWorker w = own(worker);
    if (!w.state.compareAndSet(RealPythonWorker.State.BUSY, RealPythonWorker.State.IDLE)) {
      if (w.state.get() == RealPythonWorker.State.DEAD) return;
      throw new IllegalStateException("Python worker pid " + w.pid() + " was released twice");
    }
    if (w.mode() == WorkerMode.SIMPLE || !config.reuseWorkers()) {
      stop(w, WorkerEnded.Reason.NOT_REUSED,
          w.mode() == WorkerMode.SIMPLE ? "simple mode runs one task per process" : "reuseWorkers is false");
      return;
    }
    if (config.maxTasksPerWorker() > 0 && w.tasks.get() >= config.maxTasksPerWorker()) {
      recycled.incrementAndGet();
      stop(w, WorkerEnded.Reason.RECYCLED, "it ran maxTasksPerWorker = " + config.maxTasksPerWorker() + " tasks");
      return;
    }
    RealPythonWorker pushedOut;
    int idle = 0;
    boolean wasClosed;
    synchronized (lock) {
      wasClosed = closed;
      if (closed) {
        pushedOut = w;
      } else {
        w.idleSinceNanos = System.nanoTime();  // for the events' idle time; the pool's decisions read the ticker
        pushedOut = pool.add(w, ticker.read());
        idle = pool.size();
        if (evictionTask == null) scheduleEviction(config.idleTimeout().toNanos());
      }
    }
    if (pushedOut != w && events.on()) events.workerReleased(new WorkerReleased(env, w.pid(), w.tasks.get(), idle));
    if (pushedOut != null) {
      if (pushedOut != w) {
        evicted.incrementAndGet();
        stop(pushedOut, WorkerEnded.Reason.EVICTED_POOL_FULL,
            "the idle pool holds idlePoolSize = " + config.idlePoolSize() + " workers");
      } else if (wasClosed) {
        stop(w, WorkerEnded.Reason.CLOSED, closedBecauseNow());
      } else {
        stop(w, WorkerEnded.Reason.NOT_REUSED, "idlePoolSize is 0");
      }
    }
  }

  /** Guarded by {@code lock}: the check runs when the ticker says the oldest is due (a test's ticker: sooner, to look). */
  private void scheduleEviction(long delayNanos) {
    long realDelay = Math.min(delayNanos, ticker.maxRealWaitNanos());
    evictionTask = scheduler.schedule(this::evictExpired, realDelay, TimeUnit.NANOSECONDS);
  }

  /** On the scheduler thread: takes the expired workers out of the pool and hands their kills to the killer. */
  private void evictExpired() {
    List<RealPythonWorker> expired;
    synchronized (lock) {
      evictionTask = null;
      if (closed) return;
      long now = ticker.read();
      expired = pool.expire(now);
      long next = pool.nanosUntilNextExpiry(now);
      if (next >= 0) scheduleEviction(next);
    }
    for (RealPythonWorker w : expired) {
      evicted.incrementAndGet();
      LOG.debug("Python worker pid {} idle past {}; killing it", w.pid(), config.idleTimeout());
      killer.execute(() -> stop(w, WorkerEnded.Reason.EVICTED_IDLE,
          "it was idle longer than idleTimeout = " + config.idleTimeout()));
    }
  }

  @Override
  public void stop(PythonWorker worker) {
    stop(own(worker), WorkerEnded.Reason.STOPPED, "");
  }

  /** Kills {@code w} (once; a second stop does nothing) and tells the listener why. */
  public void stop(RealPythonWorker w, WorkerEnded.Reason reason, String detail) {
    RealPythonWorker.State was = w.state.getAndSet(RealPythonWorker.State.DEAD);
    if (was == RealPythonWorker.State.DEAD) return;
    if (was == RealPythonWorker.State.IDLE) {
      synchronized (lock) {
        pool.remove(w);
      }
    }
    kill(w, reason, detail);
  }

  /**
   * Kills the process with every process its user code started (through its daemon when it has one, which kills the
   * worker's group and what it left behind) and closes the socket.
   */
  private void kill(RealPythonWorker w, WorkerEnded.Reason reason, String detail) {
    w.state.set(RealPythonWorker.State.DEAD);
    if (!live.remove(w)) return;
    killed.incrementAndGet();
    if (w.daemon() != null) {
      if (!w.daemon().kill(w.pid())) {
        // the handle taken right after the handshake: its start time is checked, so a reused pid is not hit
        ProcessStopper.killTree(w.processHandle());
      }
    } else {
      ProcessStopper.killTree(w.process());
    }
    w.closeChannel();
    if (events.on()) {
      events.workerEnded(new WorkerEnded(env, w.pid(), reason, detail, w.tasks.get(),
          Duration.ofNanos(System.nanoTime() - w.startedNanos)));
    }
  }

  private RealPythonWorker own(PythonWorker worker) {
    if (!(worker instanceof RealPythonWorker w) || w.owner != this) {
      throw new IllegalArgumentException(worker + " was not created by this factory (" + env + ")");
    }
    return w;
  }

  /** Guarded by {@code lock}. */
  private void checkOpen() {
    if (closed) throw new IllegalStateException(closedBecause + "; no more workers are started for " + env);
  }

  @Override
  public WorkerStats stats() {
    int idle;
    synchronized (lock) {
      idle = pool.size();
    }
    return new WorkerStats(forked.get(), spawned.get(), reused.get(), killed.get(), evicted.get(), recycled.get(),
        discardedDead.get(), daemonRestarts.get(), idle);
  }

  /** The running daemon's pid, or -1; for tests and diagnostics. */
  public long daemonPid() {
    CompletableFuture<DaemonProcess> f;
    synchronized (lock) {
      f = daemon;
    }
    return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join().pid() : -1;
  }

  @Override
  public void close() {
    close("the worker factory is closed");
  }

  /** Closes this factory because its registry closes; a create() racing it fails with "the registry is closed". */
  public void closeWithRegistry() {
    close("the worker registry is closed");
  }

  private void close(String because) {
    CompletableFuture<DaemonProcess> d;
    Process starting;
    synchronized (lock) {
      if (closed) return;
      closed = true;
      closedBecause = because;
      pool.drain();
      if (evictionTask != null) evictionTask.cancel(false);
      evictionTask = null;
      d = daemon;
      starting = startingDaemon;
    }
    if (starting != null) starting.destroyForcibly();  // its start fails at once; startInto reports "closed"
    List<RealPythonWorker> all = new ArrayList<>(live);
    for (RealPythonWorker w : all) stop(w, WorkerEnded.Reason.CLOSED, because);
    if (d != null) {
      try {
        DaemonProcess up = d.join();
        up.stop(config.stopTimeout());
        if (events.on()) {
          events.daemonStopped(new DaemonStopped(env, up.pid(), DaemonStopped.Reason.CLOSED, "",
              Duration.ofNanos(System.nanoTime() - up.startedNanos())));
        }
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        // the daemon never started; nothing to stop
      }
    }
    for (RealPythonWorker w : all) {
      if (w.process() != null) {
        try {
          w.process().waitFor(config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
