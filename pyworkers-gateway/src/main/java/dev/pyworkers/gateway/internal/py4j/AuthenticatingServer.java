package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import py4j.Gateway;
import py4j.JavaServer;
import py4j.Py4JPythonClientPerThread;
import py4j.Py4JServerConnection;

/**
 * The gateway's Py4J server: Py4J's pinned-thread {@link JavaServer} on an ephemeral loopback port, whose
 * connections check the token in constant time ({@link ConstantTimeAuthConnection}) and send with TCP_NODELAY.
 * Built and started by {@link #start}; Py4J's {@code ClientServer} cannot be given both a token and a connection
 * class of its own, so this does what its constructor does. One daemon timer thread, {@code pyworkers-gateway-auth},
 * closes connections that send no token in time; it ends with {@link #shutdown}. Thread-safe after start.
 */
public final class AuthenticatingServer extends JavaServer {
  private final byte[] token;
  private final int authTimeoutMillis;
  private final DriverCallbacks callbacks;
  private final ScheduledThreadPoolExecutor authTimer;
  private final long spinNanos;

  private AuthenticatingServer(Object entryPoint, DriverCallbacks callbacks, byte[] token, int authTimeoutMillis,
      long spinNanos) {
    super(entryPoint, 0, 0, 0, null, callbacks, null);
    this.spinNanos = spinNanos;
    this.token = token;
    this.authTimeoutMillis = authTimeoutMillis;
    this.callbacks = callbacks;
    this.authTimer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pyworkers-gateway-auth");
      t.setDaemon(true);
      return t;
    });
    authTimer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Starts a server for {@code entryPoint} that accepts Python connections proving {@code token} within {@code
   * authTimeoutMillis}, whose threads poll for the next command for up to {@code spinNanos} before they block (0:
   * never).
   */
  public static AuthenticatingServer start(Object entryPoint, String token, int authTimeoutMillis, long spinNanos) {
    DriverCallbacks callbacks = new DriverCallbacks(token);
    AuthenticatingServer server = new AuthenticatingServer(entryPoint, callbacks,
        token.getBytes(StandardCharsets.UTF_8), authTimeoutMillis, spinNanos);
    Gateway gateway = server.getGateway();
    callbacks.setGateway(gateway);
    callbacks.setJavaServer(server);
    server.start(true);
    return server;
  }

  /** Where the JVM calls the driver's Python objects from threads that no Python call pinned. */
  public void driverCallbackPort(int port) {
    callbacks.driverPort(port);
  }

  @Override
  protected Py4JServerConnection createConnection(Gateway gateway, Socket socket) throws IOException {
    socket.setTcpNoDelay(true);
    ConstantTimeAuthConnection connection = new ConstantTimeAuthConnection(gateway, socket, getCustomCommands(),
        (Py4JPythonClientPerThread) getCallbackClient(), this, getReadTimeout(), token, authTimeoutMillis,
        authTimer, spinNanos);
    connection.startServerConnection();
    return connection;
  }

  @Override
  public void shutdown(boolean shutdownCallbackClient) {
    try {
      super.shutdown(shutdownCallbackClient);
    } finally {
      authTimer.shutdownNow();
    }
  }
}
