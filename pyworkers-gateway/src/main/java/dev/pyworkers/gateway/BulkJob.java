package dev.pyworkers.gateway;

import java.nio.file.Path;

/**
 * The bulk transfer of {@code bench gateway} ({@link DriverGateway#bulk}), waiting for the driver: its one-shot data
 * socket and the secret that opens it. Once the driver has passed the handshake, the JVM writes the frames and
 * {@code i32 -1} and closes the socket. Immutable.
 */
public final class BulkJob {
  private final Path socketPath;
  private final String secretHex;

  BulkJob(Path socketPath, String secretHex) {
    this.socketPath = socketPath;
    this.secretHex = secretHex;
  }

  /** The Unix domain socket to connect to. */
  public String socketPath() {
    return socketPath.toString();
  }

  /** The socket's secret, lowercase hex; it travels only over the authenticated gateway connection. */
  public String secret() {
    return secretHex;
  }

  @Override
  public String toString() {
    return "BulkJob[" + socketPath + "]";
  }
}
