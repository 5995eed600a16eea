package dev.pyworkers.internal.transport;

import dev.pyworkers.Transport;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The private folder that holds one registry's Unix socket files, and the source of endpoints. Made like mkdtemp
 * ({@code <parent>/pyw-<owner stamp>-<random>}, mode 0700, checked to be ours); the folders of dead owners in the
 * same parent are removed first. A socket file is bound with bind(2), which never follows a link and fails on any
 * existing name. Deleted with everything in it on {@link #close()}. Thread-safe.
 */
public final class SocketFolder implements AutoCloseable {
  /** sun_path is 108 bytes on Linux, 104 on macOS; keep one for the terminating NUL. */
  private static final int MAX_UNIX_PATH_BYTES = 103;
  /** Name prefix of socket folders; the owner stamp follows. */
  public static final String PREFIX = "pyw-";

  private final boolean preferIpv6;
  private final Path dir;
  private final AtomicLong counter = new AtomicLong();

  public SocketFolder(Transport transport, boolean preferIpv6, Path parent) {
    this.preferIpv6 = preferIpv6;
    if (transport == Transport.UNIX) {
      Leftovers.removeDead(parent, PREFIX);
      try {
        this.dir = PrivateFolder.createSweepable(parent, PREFIX);
      } catch (IOException e) {
        throw new WorkerStartException(
            "cannot create a private socket folder in " + parent + ": " + e
                + "; set WorkerConfig.socketFolder to a writable folder or use Transport.TCP", e);
      }
    } else {
      this.dir = null;
    }
  }

  /** Where a daemon or a simple worker's listener should bind: a fresh socket path, or an ephemeral loopback port. */
  public Endpoint next(String prefix) {
    if (dir == null) return Endpoint.Tcp.loopback(preferIpv6, 0);
    Path p = dir.resolve(prefix + counter.incrementAndGet() + ".sock");
    int len = p.toString().getBytes(StandardCharsets.UTF_8).length;
    if (len > MAX_UNIX_PATH_BYTES) {
      throw new WorkerStartException(
          "Unix socket path " + p + " is " + len + " bytes, over the OS limit of " + MAX_UNIX_PATH_BYTES
              + "; set WorkerConfig.socketFolder to a shorter folder (for example /tmp) or use Transport.TCP");
    }
    return new Endpoint.Unix(p);
  }

  /** Binds {@code where} with backlog 1; for TCP the returned endpoint carries the real port. */
  public Listener listen(Endpoint where) throws IOException {
    ServerSocketChannel server = Endpoint.listenOnce(where);
    Endpoint bound = where instanceof Endpoint.Tcp
        ? new Endpoint.Tcp((java.net.InetSocketAddress) server.getLocalAddress())
        : where;
    return new Listener(server, bound);
  }

  /** A bound listening channel and its real endpoint; closing it also removes a Unix socket file. */
  public record Listener(ServerSocketChannel channel, Endpoint endpoint) implements AutoCloseable {
    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a listener cannot fail in a way the caller could act on
      }
      if (endpoint instanceof Endpoint.Unix u) deleteQuietly(u.path());
    }
  }

  public static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a leftover socket file in our private folder is removed with the folder on close
    }
  }

  /** The folder, or null for TCP; for tests and diagnostics. */
  public Path path() {
    return dir;
  }

  /** Deletes the folder and what is in it (never following a link). Idempotent; safe from any thread. */
  @Override
  public void close() {
    if (dir == null) return;
    try {
      Leftovers.deleteTree(dir);
    } catch (IOException | UncheckedIOException e) {
      // a leftover is removed by the next registry once this process is gone
    }
  }
}
