package dev.pyworkers;

import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.internal.bundle.PythonBundle;
import dev.pyworkers.internal.events.EventSink;
import dev.pyworkers.internal.factory.RealWorkerFactory;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.process.KillerExecutor;
import dev.pyworkers.internal.runner.TaskSetup;
import dev.pyworkers.internal.time.Ticker;
import dev.pyworkers.internal.transport.SocketFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands out one {@link WorkerFactory} per {@link PythonEnvironment} and owns what they share: the configuration, the
 * extracted Python package, the private socket folder, one scheduler thread ({@code pyworkers-scheduler}) for timeouts
 * and idle eviction, and the killer threads ({@code pyworkers-killer-N}) on which those deadlines' kills run, so that
 * a slow kill never delays another deadline. Closing it stops every factory, daemon and worker and removes the socket
 * folder; a JVM shutdown hook does the same if the program forgets (or is interrupted). Closing is one-way: once it
 * began, no daemon is started or restarted and a racing {@code create()} fails with "the worker registry is closed". A
 * new registry first removes the socket and runner folders that dead processes of this user left in its socket folder.
 * A {@link WorkerEventListener} given to {@link #create(WorkerConfig, WorkerEventListener)} hears what its daemons,
 * workers and tasks do. Its deadlines (idle eviction, stall warnings, task idle timeouts) read one {@link Ticker},
 * the system's. Thread-safe.
 *
 * <pre>{@code
 * try (WorkerRegistry registry = WorkerRegistry.create(WorkerConfig.defaults())) {
 *   WorkerFactory factory = registry.factory(PythonEnvironment.of("python3"));
 *   PythonWorker worker = factory.create();
 *   ...
 *   factory.release(worker);
 * }
 * }</pre>
 */
public final class WorkerRegistry implements AutoCloseable {
  private final WorkerConfig config;
  private final EventSink events;
  private final Ticker ticker;
  private final SocketFolder folder;
  private final ScheduledThreadPoolExecutor scheduler;
  private final KillerExecutor killer = new KillerExecutor();
  private final ConcurrentHashMap<PythonEnvironment, RealWorkerFactory> factories = new ConcurrentHashMap<>();
  private final Thread shutdownHook;
  private final Object bundleLock = new Object();
  /** Guarded by {@code bundleLock}: extracted on first use. */
  private Path bundle;
  /** Once true, always true: set by the first close (or the shutdown hook); no factory is made after it. */
  private final AtomicBoolean closing = new AtomicBoolean();
  /** Counted down when the first close has stopped everything and removed the socket folder. */
  private final CountDownLatch closed = new CountDownLatch(1);

  private WorkerRegistry(WorkerConfig config, WorkerEventListener listener, Ticker ticker) {
    this.config = config;
    this.events = EventSink.of(listener);
    this.ticker = ticker;
    Leftovers.removeDeadOnce(config.socketFolder(), TaskSetup.SCRATCH_PREFIX);
    this.folder = new SocketFolder(config.transport(), config.preferIpv6(), config.socketFolder());
    this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pyworkers-scheduler");
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setKeepAliveTime(1, TimeUnit.SECONDS);
    scheduler.allowCoreThreadTimeOut(true);
    this.shutdownHook = new Thread(this::close, "pyworkers-shutdown");
    try {
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // a Ctrl-C came in while this registry was being made: nothing would remove the socket folder later
      scheduler.shutdownNow();
      folder.close();
      throw new IllegalStateException("the JVM is shutting down, so no worker registry is created", shuttingDown);
    }
  }

  public static WorkerRegistry create(WorkerConfig config) {
    return create(config, WorkerEventListener.NONE);
  }

  /**
   * A registry whose daemons, workers and tasks report to {@code listener}, on the threads that do the work (see
   * {@link WorkerEventListener} for the pairs, the threads and the cost).
   */
  public static WorkerRegistry create(WorkerConfig config, WorkerEventListener listener) {
    return new WorkerRegistry(Objects.requireNonNull(config, "config"), Objects.requireNonNull(listener, "listener"),
        Ticker.SYSTEM);
  }

  /**
   * A registry whose deadlines read {@code ticker} instead of the system's: for core's tests, which advance a fake
   * ticker to narrate an idle timeout, a stall or a task idle timeout. Not public: users have no reason to bend time.
   */
  static WorkerRegistry create(WorkerConfig config, Ticker ticker) {
    return new WorkerRegistry(config, WorkerEventListener.NONE, ticker);
  }

  public static WorkerRegistry create() {
    return create(WorkerConfig.defaults());
  }

  public WorkerConfig config() {
    return config;
  }

  /** The factory of {@code environment}, made on first request; equal environments get the same factory. */
  public WorkerFactory factory(PythonEnvironment environment) {
    return realFactory(environment);
  }

  /**
   * {@link #factory} with its concrete type, for {@link PythonRunner}, which needs the worker's socket and pid
   * ({@link RealWorkerFactory#createWorker()}): a typed path instead of a downcast of the public interfaces.
   */
  RealWorkerFactory realFactory(PythonEnvironment environment) {
    if (closing.get()) throw closedError();
    RealWorkerFactory f = factories.computeIfAbsent(
        environment, e -> new RealWorkerFactory(e, config, this::bundle, folder, scheduler, killer, events, ticker));
    if (closing.get()) {
      f.closeWithRegistry();  // the close may have listed the factories before this one was added
      throw closedError();
    }
    return f;
  }

  /** Shorthand for {@code factory(PythonEnvironment.of(executable))}. */
  public WorkerFactory factory(String executable) {
    return factory(PythonEnvironment.of(executable));
  }

  public Collection<WorkerFactory> factories() {
    return List.copyOf(factories.values());
  }

  private Path bundle() {
    synchronized (bundleLock) {
      if (bundle == null) bundle = PythonBundle.extract(config.cacheFolder());
      return bundle;
    }
  }

  /** The registry's one scheduler thread, shared with the runners built on it. */
  java.util.concurrent.ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Where the runners built on it report their tasks. */
  EventSink events() {
    return events;
  }

  /** The time that the deadlines of this registry and of the runners built on it read. */
  Ticker ticker() {
    return ticker;
  }

  /** Where the deadlines of the scheduler and of the runners built on it run their kills. */
  KillerExecutor killer() {
    return killer;
  }

  private static IllegalStateException closedError() {
    return new IllegalStateException("the worker registry is closed; create a new WorkerRegistry to start workers");
  }

  /**
   * Stops every factory (their workers and daemons, one still starting included), then the scheduler and the killer
   * threads (letting the kills already handed to them run), and removes the socket folder. Idempotent; a second caller
   * (the shutdown hook, another thread) waits up to 30 s for the first to finish, so that when any close returns
   * nothing is left.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    try {
      for (RealWorkerFactory f : new ArrayList<>(factories.values())) f.closeWithRegistry();
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      killer.shutdown(5_000);
    } finally {
      folder.close();
      closed.countDown();
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down; the hook runs (and returns at once) or ran
      }
    }
  }

  private void awaitClosed() {
    try {
      closed.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
