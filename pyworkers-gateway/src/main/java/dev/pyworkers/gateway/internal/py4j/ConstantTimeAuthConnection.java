package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
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
 * whose time does not depend on where the first difference is. The token must arrive within the auth timeout. A
 * connection that fails is answered with Py4J's error reply, logged with its remote port, and closed.
 */
final class ConstantTimeAuthConnection extends py4j.ClientServerConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ConstantTimeAuthConnection.class);

  private final byte[] token;
  private final int authTimeoutMillis;

  ConstantTimeAuthConnection(Gateway gateway, Socket socket, List<Class<? extends Command>> customCommands,
      Py4JPythonClientPerThread pythonClient, Py4JJavaServer javaServer, int readTimeout, byte[] token,
      int authTimeoutMillis) throws IOException {
    // no token for Py4J: its equals() check stays off, and this class checks instead
    super(gateway, socket, customCommands, pythonClient, javaServer, readTimeout, null);
    this.token = token;
    this.authTimeoutMillis = authTimeoutMillis;
  }

  @Override
  public void waitForCommands() {
    boolean ok;
    try {
      ok = authenticate();
    } catch (IOException e) {
      LOG.warn("a connection to the gateway from port {} broke off before authenticating: {}",
          socket.getPort(), e.toString());
      ok = false;
    }
    if (!ok) {
      shutdown(false); // a graceful close: a reset could discard the error reply before the peer reads it
      return;
    }
    super.waitForCommands();
  }

  private boolean authenticate() throws IOException {
    socket.setSoTimeout(authTimeoutMillis);
    String command = reader.readLine();
    String offered = AuthCommand.COMMAND_NAME.equals(command) ? reader.readLine() : null;
    boolean good = offered != null
        && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8), token);
    if (!good) {
      writer.write(Protocol.getOutputErrorCommand("Authentication error: bad auth token received."));
      writer.flush();
      LOG.warn("rejected a connection to the gateway from port {}: {}", socket.getPort(),
          command == null ? "it closed without a command"
              : offered == null ? "its first command was not the auth command" : "wrong token");
      return false;
    }
    writer.write(Protocol.getOutputVoidCommand());
    writer.flush();
    socket.setSoTimeout(blockingReadTimeout);
    return true;
  }
}
