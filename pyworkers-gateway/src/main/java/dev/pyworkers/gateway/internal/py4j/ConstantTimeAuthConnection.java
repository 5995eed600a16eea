package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import py4j.Gateway;
import py4j.Protocol;
import py4j.Py4JJavaServer;
import py4j.Py4JPythonClientPerThread;
import py4j.commands.AuthCommand;
import py4j.commands.Command;

/**
 * A Py4J connection from the Python driver that must prove it knows the gateway's token before any other command.
 * Py4J's own check compares with {@code String.equals}, which returns as soon as a character differs; this one reads
 * the same auth command ({@code A}, then the token on its own line) and compares with {@link MessageDigest#isEqual},
 * whose time does not depend on where the first difference is. A connection that fails is answered with Py4J's
 * error reply, logged with its number, and closed.
 *
 * <p>The token must arrive within the auth timeout. A timer closes the socket when it does not, instead of a socket
 * timeout: once a JDK socket has had a timeout its reads stay non-blocking (a failed read, then poll, then the read
 * again), three system calls for every later command where a blocking read takes one.
 */
final class ConstantTimeAuthConnection extends py4j.ClientServerConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ConstantTimeAuthConnection.class);

  private final byte[] token;
  private final int authTimeoutMillis;
  private final ScheduledExecutorService timer;
  private volatile boolean timedOut;
  /** This connection's number in this JVM, from 1, for the log: a Unix socket's peer has no port to name it by. */
  private final long id = COUNT.incrementAndGet();
  private static final java.util.concurrent.atomic.AtomicLong COUNT = new java.util.concurrent.atomic.AtomicLong();

  ConstantTimeAuthConnection(Gateway gateway, Socket socket, List<Class<? extends Command>> customCommands,
      Py4JPythonClientPerThread pythonClient, Py4JJavaServer javaServer, int readTimeout, byte[] token,
      int authTimeoutMillis, ScheduledExecutorService timer) throws IOException {
    // no token for Py4J: its equals() check stays off, and this class checks instead
    super(gateway, socket, customCommands, pythonClient, javaServer, readTimeout, null);
    this.token = token;
    this.authTimeoutMillis = authTimeoutMillis;
    this.timer = timer;
  }

  @Override
  public void waitForCommands() {
    boolean ok;
    try {
      ok = authenticate();
    } catch (IOException e) {
      if (timedOut) {
        LOG.warn("rejected connection {} to the gateway: it sent no token within {} ms", id, authTimeoutMillis);
      } else {
        LOG.warn("connection {} to the gateway broke off before authenticating: {}", id, e.toString());
      }
      ok = false;
    }
    if (!ok) {
      shutdown(false); // a graceful close: a reset could discard the error reply before the peer reads it
      return;
    }
    super.waitForCommands();
  }

  private boolean authenticate() throws IOException {
    Socket s = socket;
    ScheduledFuture<?> guard = timer.schedule(() -> {
      timedOut = true;
      try {
        s.close(); // wakes the read below with a SocketException
      } catch (IOException ignored) {
        // closing is all that is wanted; the read fails either way
      }
    }, authTimeoutMillis, TimeUnit.MILLISECONDS);
    String command;
    String offered;
    try {
      command = reader.readLine();
      offered = AuthCommand.COMMAND_NAME.equals(command) ? reader.readLine() : null;
    } finally {
      guard.cancel(false);
    }
    if (timedOut) {
      throw new IOException("no token within " + authTimeoutMillis + " ms");
    }
    boolean good = offered != null
        && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8), token);
    if (!good) {
      writer.write(Protocol.getOutputErrorCommand("Authentication error: bad auth token received."));
      writer.flush();
      LOG.warn("rejected connection {} to the gateway: {}", id,
          command == null ? "it closed without a command"
              : offered == null ? "its first command was not the auth command" : "wrong token");
      return false;
    }
    writer.write(Protocol.getOutputVoidCommand());
    writer.flush();
    return true;
  }
}
