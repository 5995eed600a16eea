package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link WorkerRegistry} of this executor JVM and the runners built on it, one per planned job (at most {@link
 * #MAX_IDLE_RUNNERS} idle ones are kept), made on the first task that needs them and closed when the executor stops
 * ({@link #shutdown}: the pyworkers Spark plugin's executor side, or the JVM's shutdown hook). Its configuration comes
 * from the executor's Spark configuration, {@code spark.pyworkers.*} (docs/configuration.md). Thread-safe: tasks run
 * on many threads of an executor at once.
 */
public final class ExecutorWorkers {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorWorkers.class);
  static final String PREFIX = "spark.pyworkers.";

  private static final Object LOCK = new Object();
  private static WorkerRegistry registry; // guarded by LOCK
  private static boolean hookAdded; // guarded by LOCK
  /**
   * How many jobs' runners an executor keeps at most, beyond those running a task: past that, the least recently
   * used idle one is closed (its scratch folder deleted), so a long-lived executor running many distinct jobs does
   * not keep one per job. A job that comes back gets a new runner.
   */
  public static final int MAX_IDLE_RUNNERS = 32;

  /** Job id to its runner, least recently used first; guarded by LOCK. */
  private static final LinkedHashMap<String, Entry> RUNNERS = new LinkedHashMap<>(16, 0.75f, true);
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

  /**
   * The runner of job {@code id} on this executor, built by {@code build} the first time, leased to one task: close
   * the lease when the task completes (it is then idle, and may be closed when too many are).
   */
  public static Lease runner(String id, Function<WorkerRegistry, PythonRunner> build) {
    WorkerRegistry reg = registry();
    List<PythonRunner> evicted;
    Lease lease;
    synchronized (LOCK) {
      Entry e = RUNNERS.get(id);
      if (e == null) {
        e = new Entry(build.apply(reg));
        RUNNERS.put(id, e);
      }
      e.tasks++;
      lease = new Lease(id, e);
      evicted = evictLocked();
    }
    closeAll(evicted);
    return lease;
  }

  /** Takes the idle runners past {@link #MAX_IDLE_RUNNERS} out, least recently used first; the caller closes them. */
  private static List<PythonRunner> evictLocked() {
    List<PythonRunner> out = new ArrayList<>();
    int idle = 0;
    for (Entry e : RUNNERS.values()) if (e.tasks == 0) idle++;
    Iterator<Map.Entry<String, Entry>> it = RUNNERS.entrySet().iterator();
    while (idle > MAX_IDLE_RUNNERS && it.hasNext()) {
      Entry e = it.next().getValue();
      if (e.tasks == 0) {
        it.remove();
        out.add(e.runner);
        idle--;
      }
    }
    return out;
  }

  private static void closeAll(List<PythonRunner> runners) {
    for (PythonRunner runner : runners) {
      try {
        runner.close();
      } catch (RuntimeException e) {
        LOG.warn("pyworkers: closing a runner failed: {}", e.toString());
      }
    }
  }

  /** How many jobs' runners this executor holds now (for tests). */
  public static int runners() {
    synchronized (LOCK) {
      return RUNNERS.size();
    }
  }

  /** A job's runner and how many tasks use it; guarded by LOCK. */
  private static final class Entry {
    final PythonRunner runner;
    int tasks;

    Entry(PythonRunner runner) {
      this.runner = runner;
    }
  }

  /** One task's use of its job's runner; closing it (once) says the task is done with it. */
  public static final class Lease implements AutoCloseable {
    private final String id;
    private final Entry entry;
    private boolean closed; // guarded by LOCK

    private Lease(String id, Entry entry) {
      this.id = id;
      this.entry = entry;
    }

    public PythonRunner runner() {
      return entry.runner;
    }

    @Override
    public void close() {
      List<PythonRunner> evicted;
      synchronized (LOCK) {
        if (closed) return;
        closed = true;
        entry.tasks--;
        evicted = evictLocked();
      }
      closeAll(evicted);
    }

    @Override
    public String toString() {
      return "the runner lease of job " + id;
    }
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
    List<PythonRunner> all = new ArrayList<>();
    synchronized (LOCK) {
      for (Entry e : RUNNERS.values()) all.add(e.runner);
      RUNNERS.clear();
    }
    closeAll(all);
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
