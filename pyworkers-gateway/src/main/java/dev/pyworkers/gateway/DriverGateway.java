package dev.pyworkers.gateway;

import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.gateway.internal.bench.BulkSource;
import dev.pyworkers.gateway.internal.map.MapSession;
import dev.pyworkers.gateway.internal.py4j.AuthenticatingServer;
import dev.pyworkers.gateway.spi.FileJobs;
import dev.pyworkers.spi.OneShotSocket;
import dev.pyworkers.spi.PrivateFolders;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The object the Python driver reaches as {@code gateway.entry_point}: the gateway's version, the driver's callback
 * port, Java exceptions described in one call, and {@link #map} jobs on a {@link WorkerRegistry} that is created on
 * the first job and closed with the gateway. Bulk data never goes through Py4J: a job hands back a one-shot data
 * socket ({@link MapJob}). Thread-safe.
 */
public final class DriverGateway implements AutoCloseable {
  /** The gateway protocol's version; the driver refuses a gateway with another one. */
  public static final int PROTOCOL_VERSION = 2;
  private static final Logger LOG = LoggerFactory.getLogger(DriverGateway.class);
  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(15);

  private final WorkerConfig config;
  private final Path socketParent;
  private final Set<MapSession> running = ConcurrentHashMap.newKeySet();
  private volatile AuthenticatingServer server;
  private volatile Path socketFolder;
  private WorkerRegistry registry; // guarded by this
  private boolean closed; // guarded by this

  public DriverGateway(WorkerConfig config, Path socketParent) {
    this.config = Objects.requireNonNull(config, "config");
    this.socketParent = Objects.requireNonNull(socketParent, "socketParent");
  }

  void attach(AuthenticatingServer s, Path socketFolder) {
    this.server = s;
    this.socketFolder = socketFolder;
  }

  public int protocolVersion() {
    return PROTOCOL_VERSION;
  }

  /** The pyworkers version of this JVM's jar. */
  public String version() {
    String v = DriverGateway.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public long pid() {
    return ProcessHandle.current().pid();
  }

  /** Where the driver's callback server listens, for calls into Python objects from threads no Python call pinned. */
  public void callbackPort(int port) {
    AuthenticatingServer s = server;
    if (s == null) throw new IllegalStateException("the gateway has no Py4J server attached");
    s.driverCallbackPort(port);
  }

  /** {@code {class name, message, stack trace}} of {@code t}, so that the driver needs one call, not three. */
  public String[] describe(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    return new String[] {t.getClass().getName(), t.getMessage() == null ? "" : t.getMessage(), trace.toString()};
  }

  /**
   * Starts a map job over {@code partitions} workers running {@code python}, with {@code includes} put on the
   * workers' {@code sys.path}, and returns its data socket. The driver has 15 s to connect.
   */
  public MapJob map(int partitions, String python, List<String> includes) throws IOException {
    if (partitions < 1 || partitions > 1024) {
      throw new IllegalArgumentException("partitions must be 1 to 1024, got " + partitions);
    }
    Objects.requireNonNull(python, "python");
    WorkerRegistry r = registry();
    OneShotSocket socket = OneShotSocket.open(socketParent);
    MapSession[] self = new MapSession[1];
    MapSession session = new MapSession(r, socket, partitions, python, includes == null ? List.of() : includes,
        ACCEPT_TIMEOUT, () -> running.remove(self[0]));
    self[0] = session;
    running.add(session);
    Thread t = new Thread(session, "pyworkers-map");
    t.setDaemon(true);
    t.start();
    return new MapJob(socket.path(), socket.secretHex(), session);
  }

  /**
   * For {@code bench gateway}: a data socket on which the JVM, once the driver has connected and passed the
   * handshake, writes {@code totalBytes} in frames of {@code frameBytes} from one reused buffer, as a map job writes
   * its result frames, then {@code i32 -1}. The driver has 15 s to connect.
   */
  public BulkJob bulk(long totalBytes, int frameBytes) throws IOException {
    OneShotSocket socket = OneShotSocket.open(socketParent);
    BulkSource.start(socket, totalBytes, frameBytes);
    return new BulkJob(socket.path(), socket.secretHex());
  }

  /**
   * Starts {@code pyworkers run} with {@code args} (its options, as on the command line) in this JVM, through the
   * CLI's {@link FileJobs}; the run has a worker registry of its own, as the command has.
   */
  public FileJobs.FileJob runFile(List<String> args) {
    synchronized (this) {
      if (closed) throw new IllegalStateException("the gateway is closed");
    }
    FileJobs jobs = ServiceLoader.load(FileJobs.class, DriverGateway.class.getClassLoader()).findFirst()
        .orElseThrow(() -> new IllegalStateException("this gateway's class path has no pyworkers run (no "
            + FileJobs.class.getName() + " service); start the gateway with the CLI's jar, pyworkers.jar"));
    return jobs.start(List.copyOf(args));
  }

  private synchronized WorkerRegistry registry() {
    if (closed) throw new IllegalStateException("the gateway is closed");
    if (registry == null) registry = WorkerRegistry.create(config);
    return registry;
  }

  /** Cancels every running job and closes the registry (its workers and daemons end). Idempotent. */
  @Override
  public void close() {
    WorkerRegistry r;
    synchronized (this) {
      if (closed) return;
      closed = true;
      r = registry;
    }
    for (MapSession s : running) s.cancel("the gateway is closing");
    if (r != null) r.close();
    AuthenticatingServer s = server;
    if (s != null) s.shutdown();
    Path folder = socketFolder;
    if (folder != null) {
      try {
        PrivateFolders.delete(folder);
      } catch (IOException e) {
        LOG.warn("could not delete the gateway's socket folder {}: {}", folder, e.toString());
      }
    }
  }
}
