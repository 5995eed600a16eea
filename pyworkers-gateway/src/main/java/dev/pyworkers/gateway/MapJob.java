package dev.pyworkers.gateway;

import dev.pyworkers.gateway.internal.map.MapSession;
import java.nio.file.Path;

/**
 * A running {@code map} call of the Python driver: where its one-shot data socket is and the secret that opens it
 * (docs/protocol.md section 9). The driver connects, proves the secret, sends the function and its input chunks,
 * and reads the result chunks in input order. Closing the socket, or {@link #cancel()}, stops the job and kills its
 * workers. Thread-safe.
 */
public final class MapJob {
  private final Path socketPath;
  private final String secretHex;
  private final MapSession session;

  MapJob(Path socketPath, String secretHex, MapSession session) {
    this.socketPath = socketPath;
    this.secretHex = secretHex;
    this.session = session;
  }

  /** The Unix domain socket to connect to. */
  public String socketPath() {
    return socketPath.toString();
  }

  /** The socket's secret, lowercase hex; it travels only over the authenticated gateway connection. */
  public String secret() {
    return secretHex;
  }

  /** Stops the job: its tasks are closed (their workers killed) and the socket closed. Idempotent. */
  public void cancel() {
    session.cancel("the driver cancelled the job");
  }

  @Override
  public String toString() {
    return "MapJob[" + socketPath + "]";
  }
}
