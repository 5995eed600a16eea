package dev.pyworkers.spi;

import dev.pyworkers.WorkerAuthException;
import dev.pyworkers.internal.auth.Handshake;
import dev.pyworkers.internal.auth.Secret;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix domain socket that accepts one authenticated peer, for bulk data between the JVM and a process it tells
 * where to connect (the Python driver's data socket, docs/protocol.md section 9). The socket file lives in a new
 * private folder ({@code <parent>/pyw-data-<owner stamp>-<random>}, mode 0700, made like {@code mkdtemp}); the secret
 * is a fresh 256-bit random value, handed to the peer through a channel that is already authenticated. The peer
 * proves it knows the secret with the worker's side of the HMAC handshake of docs/protocol.md section 2 (the JVM
 * proves it too). A peer that fails is logged and closed, and {@link #accept} waits for the next one until its
 * deadline; the first that passes is returned, and the listener and its folder are deleted. Thread-safe.
 */
public final class OneShotSocket implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OneShotSocket.class);
  private static final String PREFIX = "pyw-data-";

  private final Path folder;
  private final Path path;
  private final Secret secret;
  private final ServerSocketChannel server;
  private final AtomicBoolean closed = new AtomicBoolean();

  private OneShotSocket(Path folder, Path path, Secret secret, ServerSocketChannel server) {
    this.folder = folder;
    this.path = path;
    this.secret = secret;
    this.server = server;
  }

  /**
   * Binds a new socket in a new private folder under {@code parent} (created if missing). The folders a killed
   * process left there are removed first.
   */
  public static OneShotSocket open(Path parent) throws IOException {
    Leftovers.removeDeadOnce(parent, PREFIX);
    Path folder = PrivateFolder.createSweepable(parent, PREFIX);
    Path path = folder.resolve("data.sock");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path), 1);
    } catch (IOException | RuntimeException e) {
      server.close();
      Leftovers.deleteTree(folder);
      throw new IOException("cannot bind a data socket at " + path + ": " + e.getMessage()
          + "; the socket path must be under 104 bytes, so choose a shorter temporary folder", e);
    }
    return new OneShotSocket(folder, path, Secret.generate(), server);
  }

  /** The socket file's path, for the peer. */
  public Path path() {
    return path;
  }

  /** The secret as lowercase hex, for the peer; never log it. */
  public String secretHex() {
    return HexFormat.of().formatHex(secret.bytes());
  }

  /**
   * Waits up to {@code timeout} for a peer that passes the handshake and returns its channel, in blocking mode. Each
   * peer has what is left of the timeout to finish its handshake; one that fails is logged with its pid and closed.
   * Closes the listener and deletes its folder before returning or throwing.
   *
   * @throws SocketTimeoutException no peer passed within {@code timeout}
   * @throws IOException the listener failed, or this socket was closed
   */
  public SocketChannel accept(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Selector selector = Selector.open()) {
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new SocketTimeoutException(
              "no peer connected to the data socket " + path + " and passed the handshake within "
                  + timeout.toMillis() + " ms");
        }
        selector.select(left);
        if (closed.get()) throw new IOException("the data socket " + path + " was closed");
        SocketChannel ch = server.accept();
        if (ch == null) continue;
        if (handshake(ch, deadline)) return ch;
      }
    } finally {
      close();
    }
  }

  private boolean handshake(SocketChannel ch, long deadline) throws IOException {
    ch.configureBlocking(true);
    InputStream in = Channels.newInputStream(ch);
    OutputStream out = Channels.newOutputStream(ch);
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        ch.close();
      } catch (InterruptedException | IOException done) {
        // the handshake ended in time, or the channel is closed already
      }
    }, "pyworkers-data-handshake");
    watchdog.setDaemon(true);
    watchdog.start();
    long pid = 0;
    try {
      Handshake.WorkerHello hello = Handshake.readHello(in);
      pid = hello.pid();
      if (pid <= 0) throw new WorkerAuthException("the peer sent pid " + pid);
      Handshake.authenticate(in, out, secret, hello);
      watchdog.interrupt();
      watchdog.join();
      return ch.isOpen();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ch.close();
      throw new IOException("interrupted while waiting for the data socket's peer", e);
    } catch (IOException | RuntimeException e) {
      LOG.warn("rejected a peer (pid {}) on the data socket {}: {}", pid == 0 ? "unknown" : pid, path,
          e.getMessage());
      ch.close();
      return false;
    } finally {
      watchdog.interrupt();
    }
  }

  /** Closes the listener and deletes its folder. Idempotent; safe from any thread. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing to do: the folder goes below
    }
    try {
      Leftovers.deleteTree(folder);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not delete the data socket folder {}: {}", folder, e.toString());
    }
  }
}
