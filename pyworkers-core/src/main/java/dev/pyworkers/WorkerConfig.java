package dev.pyworkers;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The immutable configuration of a {@link WorkerRegistry} and every factory it hands out. Build one with {@link
 * #builder()}; every value is checked when {@link Builder#build()} runs, so a bad value fails there with a message that
 * names the key, the value and the allowed range. Thread-safe.
 *
 * <p>Each knob, its default and its unit are listed in {@code docs/configuration.md}.
 */
public final class WorkerConfig {
  private static final Pattern MODULE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
  private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

  private final WorkerMode mode;
  private final String daemonModule;
  private final String workerModule;
  private final boolean reuseWorkers;
  private final int idlePoolSize;
  private final Duration idleTimeout;
  private final Duration connectTimeout;
  private final Duration authTimeout;
  private final Duration stopTimeout;
  private final Transport transport;
  private final boolean preferIpv6;
  private final Path socketFolder;
  private final Path cacheFolder;
  private final int bufferSize;
  private final List<String> preloadModules;
  private final int maxTasksPerWorker;

  private WorkerConfig(Builder b) {
    this.mode = b.mode;
    this.daemonModule = b.daemonModule;
    this.workerModule = b.workerModule;
    this.reuseWorkers = b.reuseWorkers;
    this.idlePoolSize = b.idlePoolSize;
    this.idleTimeout = b.idleTimeout;
    this.connectTimeout = b.connectTimeout;
    this.authTimeout = b.authTimeout;
    this.stopTimeout = b.stopTimeout;
    this.transport = b.transport.resolve();
    this.preferIpv6 = b.preferIpv6;
    this.socketFolder = b.socketFolder;
    this.cacheFolder = b.cacheFolder;
    this.bufferSize = b.bufferSize;
    this.preloadModules = List.copyOf(b.preloadModules);
    this.maxTasksPerWorker = b.maxTasksPerWorker;
  }

  /** A configuration with every default. */
  public static WorkerConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public WorkerMode mode() { return mode; }
  public String daemonModule() { return daemonModule; }
  public String workerModule() { return workerModule; }
  public boolean reuseWorkers() { return reuseWorkers; }
  public int idlePoolSize() { return idlePoolSize; }
  public Duration idleTimeout() { return idleTimeout; }
  public Duration connectTimeout() { return connectTimeout; }
  public Duration authTimeout() { return authTimeout; }
  public Duration stopTimeout() { return stopTimeout; }
  /** The concrete transport ({@link Transport#AUTO} already resolved for this OS). */
  public Transport transport() { return transport; }
  public boolean preferIpv6() { return preferIpv6; }
  public Path socketFolder() { return socketFolder; }
  public Path cacheFolder() { return cacheFolder; }
  public int bufferSize() { return bufferSize; }
  public List<String> preloadModules() { return preloadModules; }
  public int maxTasksPerWorker() { return maxTasksPerWorker; }

  @Override
  public String toString() {
    return "WorkerConfig{mode=" + mode + ", daemonModule=" + daemonModule + ", workerModule=" + workerModule
        + ", reuseWorkers=" + reuseWorkers + ", idlePoolSize=" + idlePoolSize + ", idleTimeout=" + idleTimeout
        + ", connectTimeout=" + connectTimeout + ", authTimeout=" + authTimeout + ", stopTimeout=" + stopTimeout
        + ", transport=" + transport + ", preferIpv6=" + preferIpv6 + ", socketFolder=" + socketFolder
        + ", cacheFolder=" + cacheFolder + ", bufferSize=" + bufferSize + ", preloadModules=" + preloadModules
        + ", maxTasksPerWorker=" + maxTasksPerWorker + "}";
  }

  /** Collects values for a {@link WorkerConfig}. Not thread-safe. */
  public static final class Builder {
    private WorkerMode mode = WorkerMode.platformDefault();
    private String daemonModule = "pyworkers.daemon";
    private String workerModule = "pyworkers.worker";
    private boolean reuseWorkers = true;
    private int idlePoolSize = 64;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration authTimeout = Duration.ofSeconds(10);
    private Duration stopTimeout = Duration.ofSeconds(2);
    private Transport transport = Transport.AUTO;
    private boolean preferIpv6 = Boolean.getBoolean("java.net.preferIPv6Addresses");
    private Path socketFolder = Paths.get(System.getProperty("java.io.tmpdir"));
    private Path cacheFolder = defaultCacheFolder();
    private int bufferSize = 65536;
    private List<String> preloadModules = List.of();
    private int maxTasksPerWorker = 0;

    private Builder() {}

    private Builder(WorkerConfig c) {
      mode = c.mode;
      daemonModule = c.daemonModule;
      workerModule = c.workerModule;
      reuseWorkers = c.reuseWorkers;
      idlePoolSize = c.idlePoolSize;
      idleTimeout = c.idleTimeout;
      connectTimeout = c.connectTimeout;
      authTimeout = c.authTimeout;
      stopTimeout = c.stopTimeout;
      transport = c.transport;
      preferIpv6 = c.preferIpv6;
      socketFolder = c.socketFolder;
      cacheFolder = c.cacheFolder;
      bufferSize = c.bufferSize;
      preloadModules = c.preloadModules;
      maxTasksPerWorker = c.maxTasksPerWorker;
    }

    /** {@link WorkerMode#DAEMON} (default, but on Windows) or {@link WorkerMode#SIMPLE}. */
    public Builder mode(WorkerMode mode) { this.mode = Objects.requireNonNull(mode, "mode"); return this; }
    /** The daemon's Python module. Default {@code pyworkers.daemon}. */
    public Builder daemonModule(String module) { this.daemonModule = module; return this; }
    /** The worker's Python module. Default {@code pyworkers.worker}. */
    public Builder workerModule(String module) { this.workerModule = module; return this; }
    /** Whether released daemon workers go back to the idle pool. Default true. */
    public Builder reuseWorkers(boolean reuse) { this.reuseWorkers = reuse; return this; }
    /** Most idle workers kept per factory; the oldest is killed beyond it. 1..100000, default 64. */
    public Builder idlePoolSize(int size) { this.idlePoolSize = size; return this; }
    /** Idle workers older than this are killed. 1 ms..1 h, default 60 s. */
    public Builder idleTimeout(Duration timeout) { this.idleTimeout = timeout; return this; }
    /** Bound for a daemon to report its address and for a worker to report its pid. 1 ms..1 h, default 10 s. */
    public Builder connectTimeout(Duration timeout) { this.connectTimeout = timeout; return this; }
    /** Bound for every read of the secret handshake, on both sides. 1 ms..1 h, default 10 s. */
    public Builder authTimeout(Duration timeout) { this.authTimeout = timeout; return this; }
    /** Grace between asking a process to exit and killing it. 1 ms..1 h, default 2 s. */
    public Builder stopTimeout(Duration timeout) { this.stopTimeout = timeout; return this; }
    /** Socket kind. Default {@link Transport#AUTO}. */
    public Builder transport(Transport transport) { this.transport = Objects.requireNonNull(transport, "transport"); return this; }
    /** Use {@code ::1} rather than {@code 127.0.0.1} for TCP. Default: the JVM's java.net.preferIPv6Addresses. */
    public Builder preferIpv6(boolean preferIpv6) { this.preferIpv6 = preferIpv6; return this; }
    /**
     * Where the private 0700 socket folder is made; dead processes' leftovers there are removed. Default
     * java.io.tmpdir.
     */
    public Builder socketFolder(Path folder) { this.socketFolder = Objects.requireNonNull(folder, "socketFolder"); return this; }
    /**
     * Where the bundled Python package is extracted, once per content hash. Must be this user's and writable by no
     * one else (else the first worker fails naming it). Default ~/.cache/pyworkers.
     */
    public Builder cacheFolder(Path folder) { this.cacheFolder = Objects.requireNonNull(folder, "cacheFolder"); return this; }
    /** Socket buffer size in bytes on both sides. 1024..67108864, default 65536. */
    public Builder bufferSize(int bytes) { this.bufferSize = bytes; return this; }
    /** Modules the daemon imports before it forks, so workers start with them loaded. Default none. */
    public Builder preloadModules(List<String> modules) { this.preloadModules = List.copyOf(modules); return this; }
    /** Replace a worker after it served this many tasks; 0 turns recycling off (default). 0..2^31-1. */
    public Builder maxTasksPerWorker(int tasks) { this.maxTasksPerWorker = tasks; return this; }

    /** Checks every value and builds. Throws {@link IllegalArgumentException} naming the bad key and value. */
    public WorkerConfig build() {
      if (mode == WorkerMode.DAEMON && WorkerMode.isWindows()) {
        throw new IllegalArgumentException(
            "mode DAEMON is not available on Windows (Python cannot fork there); use WorkerMode.SIMPLE");
      }
      if (transport == Transport.UNIX && WorkerMode.isWindows()) {
        throw new IllegalArgumentException("transport UNIX is not available on Windows; use Transport.TCP or AUTO");
      }
      checkModule("daemonModule", daemonModule);
      checkModule("workerModule", workerModule);
      for (String m : preloadModules) checkModule("preloadModules entry", m);
      if (preloadModules.size() > 1000) {
        throw new IllegalArgumentException("preloadModules has " + preloadModules.size() + " entries; at most 1000");
      }
      checkRange("idlePoolSize", idlePoolSize, 1, 100_000, "workers");
      checkRange("bufferSize", bufferSize, 1024, 64 << 20, "bytes");
      checkRange("maxTasksPerWorker", maxTasksPerWorker, 0, Integer.MAX_VALUE, "tasks (0 = off)");
      checkDuration("idleTimeout", idleTimeout);
      checkDuration("connectTimeout", connectTimeout);
      checkDuration("authTimeout", authTimeout);
      checkDuration("stopTimeout", stopTimeout);
      return new WorkerConfig(this);
    }

    private static void checkModule(String key, String value) {
      if (value == null || !MODULE.matcher(value).matches()) {
        throw new IllegalArgumentException(
            key + " '" + value + "' is not a Python module name; give dotted identifiers such as 'pkg.module'");
      }
    }

    private static void checkRange(String key, long value, long min, long max, String unit) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            key + " must be between " + min + " and " + max + " " + unit + ", got " + value);
      }
    }

    private static void checkDuration(String key, Duration value) {
      if (value == null) throw new IllegalArgumentException(key + " is null; give a duration between 1 ms and 1 h");
      if (value.toMillis() < 1 || value.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(key + " must be between 1 ms and 1 h, got " + value);
      }
    }

    private static Path defaultCacheFolder() {
      String xdg = System.getenv("XDG_CACHE_HOME");
      Path base = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
      return base.resolve("pyworkers");
    }
  }
}
