package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import py4j.CallbackClient;
import py4j.PythonClient;

/**
 * Py4J's client for calls from the JVM into the Python driver (callbacks), with the driver's callback port set after
 * start: the driver starts its callback server only once it knows the gateway's port, then reports its own port
 * through the entry point. Calls made on a thread pinned to a Python thread use that thread's connection and never
 * need the port.
 */
final class DriverCallbacks extends PythonClient {
  private volatile int driverPort;

  DriverCallbacks(String token) {
    super(null, null, 0, InetAddress.getLoopbackAddress(), CallbackClient.DEFAULT_MIN_CONNECTION_TIME,
        TimeUnit.SECONDS, SocketFactory.getDefault(), null, true, 0, token);
  }

  void driverPort(int port) {
    if (port <= 0 || port > 65535) throw new IllegalArgumentException("callback port must be 1..65535, got " + port);
    this.driverPort = port;
  }

  @Override
  protected Socket startClientSocket() throws IOException {
    int port = driverPort;
    if (port == 0) {
      throw new IOException("the Python driver has not reported its callback port; a Java thread that is not"
          + " running a call from Python cannot call a Python object yet");
    }
    Socket socket = socketFactory.createSocket(address, port);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(readTimeout);
    return socket;
  }
}
