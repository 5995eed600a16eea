package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link WorkerRegistry} of this executor JVM and the runners built on it, one per planned job, made on the
 * first task that needs them and closed when the executor stops ({@link #shutdown}: the pyworkers Spark plugin's
 * executor side, or the JVM's shutdown hook). Its configuration comes from the executor's Spark configuration,
 * {@code spark.pyworkers.*} (docs/configuration.md). Thread-safe: tasks run on many threads of an executor at once.
 */
public final class ExecutorWorkers {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorWorkers.class);
  static final String PREFIX = "spark.pyworkers.";

  private static final Object LOCK = new Object();
  private static WorkerRegistry registry; // guarded by LOCK
  private static boolean hookAdded; // guarded by LOCK
  private static final Map<String, PythonRunner> RUNNERS = new ConcurrentHashMap<>();
  private static RootAllocator allocator; // guarded by LOCK

  private ExecutorWorkers() {}

  /** This executor's registry, made now if this is the first task since the executor started or stopped. */
  public static WorkerRegistry registry() {
    synchronized (LOCK) {
      if (registry == null) {
        SparkEnv env = SparkEnv.get();
        WorkerConfig config = config(env == null ? new SparkConf(false) : env.conf());
        registry = WorkerRegistry.create(config);
        LOG.info("pyworkers: a worker registry for this executor ({})", config);
        if (!hookAdded) {
          Runtime.getRuntime().addShutdownHook(new Thread(ExecutorWorkers::shutdown, "pyworkers-spark-shutdown"));
          hookAdded = true;
        }
      }
      return registry;
    }
  }

  /** The runner of job {@code id} on this executor, built by {@code build} the first time. */
  public static PythonRunner runner(String id, Function<WorkerRegistry, PythonRunner> build) {
    PythonRunner r = RUNNERS.get(id);
    if (r != null) return r;
    WorkerRegistry reg = registry();
    return RUNNERS.computeIfAbsent(id, k -> build.apply(reg));
  }

  /**
   * The Arrow memory of this executor's pandas and Arrow jobs: their input batches and results, each task's own
   * from a child of it. Made with the registry's life: {@link #shutdown} closes it.
   */
  public static BufferAllocator allocator() {
    synchronized (LOCK) {
      if (allocator == null) allocator = new RootAllocator(Long.MAX_VALUE);
      return allocator;
    }
  }

  /** Bytes of Arrow memory this executor's jobs hold now (0 when no task is running: for tests). */
  public static long allocatedBytes() {
    synchronized (LOCK) {
      return allocator == null ? 0 : allocator.getAllocatedMemory();
    }
  }

  /** Closes every runner and the registry: every worker of this executor stops. Idempotent. */
  public static void shutdown() {
    WorkerRegistry r;
    synchronized (LOCK) {
      r = registry;
      registry = null;
    }
    for (PythonRunner runner : RUNNERS.values()) {
      try {
        runner.close();
      } catch (RuntimeException e) {
        LOG.warn("pyworkers: closing a runner failed: {}", e.toString());
      }
    }
    RUNNERS.clear();
    if (r != null) r.close();
    RootAllocator a;
    synchronized (LOCK) {
      a = allocator;
      allocator = null;
    }
    if (a != null) {
      try {
        a.close();
      } catch (IllegalStateException e) {
        LOG.warn("pyworkers: Arrow memory was still held when the executor stopped: {}", e.getMessage());
      }
    }
  }

  /** Whether this JVM has a registry now (for tests and the plugin). */
  public static boolean active() {
    synchronized (LOCK) {
      return registry != null;
    }
  }

  static WorkerConfig config(SparkConf conf) {
    WorkerConfig.Builder b = WorkerConfig.builder();
    String mode = conf.get(PREFIX + "mode", null);
    if (mode != null) {
      try {
        b.mode(WorkerMode.valueOf(mode.trim().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(PREFIX + "mode must be daemon or simple, got '" + mode + "'");
      }
    }
    String reuse = conf.get(PREFIX + "reuseWorkers", null);
    if (reuse != null) {
      if (!reuse.equalsIgnoreCase("true") && !reuse.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException(PREFIX + "reuseWorkers must be true or false, got '" + reuse + "'");
      }
      b.reuseWorkers(Boolean.parseBoolean(reuse));
    }
    Integer idle = intKey(conf, "idlePoolSize", 1, 100_000);
    if (idle != null) b.idlePoolSize(idle);
    Integer maxTasks = intKey(conf, "maxTasksPerWorker", 0, Integer.MAX_VALUE);
    if (maxTasks != null) b.maxTasksPerWorker(maxTasks);
    Integer idleSeconds = intKey(conf, "idleTimeoutSeconds", 1, 3_600);
    if (idleSeconds != null) b.idleTimeout(Duration.ofSeconds(idleSeconds));
    return b.build();
  }

  private static Integer intKey(SparkConf conf, String key, int min, int max) {
    String v = conf.get(PREFIX + key, null);
    if (v == null) return null;
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(PREFIX + key + " must be a whole number from " + min + " to " + max
        + ", got '" + v + "'");
  }
}
