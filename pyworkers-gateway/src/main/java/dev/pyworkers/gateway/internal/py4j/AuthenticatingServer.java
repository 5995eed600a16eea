package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import py4j.Gateway;
import py4j.GatewayServer;
import py4j.Py4JPythonClientPerThread;
import py4j.Py4JServerConnection;

/**
 * The gateway's Py4J server: Py4J's pinned-thread server (what its {@code JavaServer} is) on a Unix domain socket in
 * a private folder ({@link UnixServerSocket}), whose connections check the token in constant time ({@link
 * ConstantTimeAuthConnection}). Built and started by {@link #start}; Py4J's {@code ClientServer} cannot be given a
 * token, a connection class and a socket of its own, so this does what its constructor does. One daemon timer thread, {@code pyworkers-gateway-auth},
 * closes connections that send no token in time; it ends with {@link #shutdown}. Thread-safe after start.
 */
public final class AuthenticatingServer extends GatewayServer {
  private final byte[] token;
  private final int authTimeoutMillis;
  private final DriverCallbacks callbacks;
  private final ScheduledThreadPoolExecutor authTimer;

  private final Path socketPath;

  private AuthenticatingServer(Object entryPoint, DriverCallbacks callbacks, byte[] token, int authTimeoutMillis,
      long spinNanos, Path socketPath) {
    super(entryPoint, 0, InetAddress.getLoopbackAddress(), 0, 0, null, callbacks,
        UnixServerSocket.factory(socketPath, spinNanos));
    this.socketPath = socketPath;
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
   * Starts a server for {@code entryPoint}, listening at {@code socketPath} (in a private folder; it must not
   * exist), that accepts Python connections proving {@code token} within {@code authTimeoutMillis}, whose threads
   * poll for the next command for up to {@code spinNanos} before they block (0: never).
   */
  public static AuthenticatingServer start(Object entryPoint, String token, int authTimeoutMillis, long spinNanos,
      Path socketPath) {
    DriverCallbacks callbacks = new DriverCallbacks(token);
    AuthenticatingServer server = new AuthenticatingServer(entryPoint, callbacks,
        token.getBytes(StandardCharsets.UTF_8), authTimeoutMillis, spinNanos, socketPath);
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

  /** Where the server listens. */
  public Path socketPath() {
    return socketPath;
  }

  @Override
  protected Py4JServerConnection createConnection(Gateway gateway, Socket socket) throws IOException {
    ConstantTimeAuthConnection connection = new ConstantTimeAuthConnection(gateway, socket, getCustomCommands(),
        (Py4JPythonClientPerThread) getCallbackClient(), this, getReadTimeout(), token, authTimeoutMillis,
        authTimer);
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
