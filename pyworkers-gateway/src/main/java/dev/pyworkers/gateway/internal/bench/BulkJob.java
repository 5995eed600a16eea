package dev.pyworkers.gateway.internal.bench;

import java.nio.file.Path;

/**
 * A {@link BulkSource} waiting for the driver: its one-shot data socket and the secret that opens it. Immutable.
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

  /** The socket's secret, lowercase hex. */
  public String secret() {
    return secretHex;
  }

  @Override
  public String toString() {
    return "BulkJob[" + socketPath + "]";
  }
}
