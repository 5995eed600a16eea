package dev.pyworkers;

import dev.pyworkers.internal.bundle.PythonBundle;
import dev.pyworkers.internal.factory.RealWorkerFactory;
import dev.pyworkers.internal.transport.SocketFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Hands out one {@link WorkerFactory} per {@link PythonEnvironment} and owns what they share: the configuration, the
 * extracted Python package, the private socket folder and one scheduler thread ({@code pyworkers-scheduler}) for
 * timeouts and idle eviction. Closing it stops every factory, daemon and worker; a JVM shutdown hook does the same
 * if the program forgets. Thread-safe.
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
  private final SocketFolder folder;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ConcurrentHashMap<PythonEnvironment, RealWorkerFactory> factories = new ConcurrentHashMap<>();
  private final Thread shutdownHook;
  private final Object bundleLock = new Object();
  /** @GuardedBy("bundleLock"); extracted on first use. */
  private Path bundle;
  /** Once true, always true. */
  private volatile boolean closed;

  private WorkerRegistry(WorkerConfig config) {
    this.config = config;
    this.folder = new SocketFolder(config.transport(), config.preferIpv6(), config.socketFolder());
    this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pyworkers-scheduler");
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setKeepAliveTime(1, TimeUnit.SECONDS);
    scheduler.allowCoreThreadTimeOut(true);
    this.shutdownHook = new Thread(this::closeFactories, "pyworkers-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public static WorkerRegistry create(WorkerConfig config) {
    return new WorkerRegistry(config);
  }

  public static WorkerRegistry create() {
    return create(WorkerConfig.defaults());
  }

  public WorkerConfig config() {
    return config;
  }

  /** The factory of {@code environment}, made on first request; equal environments get the same factory. */
  public WorkerFactory factory(PythonEnvironment environment) {
    if (closed) throw new IllegalStateException("worker registry is closed");
    RealWorkerFactory f = factories.computeIfAbsent(
        environment, e -> new RealWorkerFactory(e, config, this::bundle, folder, scheduler));
    if (closed) {
      f.close();
      throw new IllegalStateException("worker registry is closed");
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

  /** Stops every factory (their workers and daemons), then the scheduler. Idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    closeFactories();
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    folder.close();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down; the hook runs or ran
    }
  }

  private void closeFactories() {
    closed = true;
    List<RealWorkerFactory> all = new ArrayList<>(factories.values());
    for (RealWorkerFactory f : all) f.close();
  }
}
