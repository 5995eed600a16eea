package dev.pyworkers.internal.factory;

import dev.pyworkers.WorkerAuthException;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.auth.Handshake;
import dev.pyworkers.internal.auth.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs the JVM side of a new worker's first exchange with time bounds: the hello (pid) within the connect timeout,
 * then the proof exchange within the auth timeout. Stateless.
 */
final class WorkerHandshake {
  private WorkerHandshake() {}

  /** Reads the hello and authenticates. A negative pid (fork failure) is returned without authenticating. */
  static Handshake.WorkerHello run(
      SocketChannel ch, Secret secret, ScheduledExecutorService scheduler, WorkerConfig config, String who) {
    InputStream in = ChannelStreams.input(ch);
    OutputStream out = ChannelStreams.output(ch);
    Handshake.WorkerHello hello;
    try (Deadline d = Deadline.after(scheduler, config.connectTimeout().toMillis(), ch)) {
      try {
        hello = Handshake.readHello(in);
      } catch (IOException e) {
        throw new HelloFailed(d.fired()
            ? who + " did not report its pid within " + d.millis + " ms (connectTimeout)"
            : who + " closed the connection before reporting its pid: " + e.getMessage(), e);
      }
    }
    if (hello.pid() < 0) return hello;
    try (Deadline d = Deadline.after(scheduler, config.authTimeout().toMillis(), ch)) {
      try {
        Handshake.authenticate(in, out, secret, hello);
      } catch (IOException e) {
        throw new WorkerAuthException(d.fired()
            ? who + " pid " + hello.pid() + " did not finish the secret handshake within " + d.millis
                + " ms (authTimeout)"
            : who + " pid " + hello.pid() + " broke off the secret handshake: " + e.getMessage());
      }
    }
    return hello;
  }

  /** No hello arrived: the peer is gone, hung or never started. Distinct so the daemon path can restart once. */
  static final class HelloFailed extends WorkerStartException {
    private static final long serialVersionUID = 1L;

    HelloFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
