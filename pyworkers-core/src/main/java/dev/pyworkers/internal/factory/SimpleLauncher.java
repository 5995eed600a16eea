package dev.pyworkers.internal.factory;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.auth.Handshake;
import dev.pyworkers.internal.auth.Secret;
import dev.pyworkers.internal.process.OutputPump;
import dev.pyworkers.internal.process.ProcessStopper;
import dev.pyworkers.internal.process.PythonCommand;
import dev.pyworkers.internal.protocol.ControlMessages;
import dev.pyworkers.internal.transport.Endpoint;
import dev.pyworkers.internal.transport.SocketFolder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Spawns one simple worker: listen (backlog 1), run {@code python -m <worker module>}, hand it the secret and the
 * address over its stdin, accept within the connect timeout, authenticate. Its stdin stays open as the worker's
 * lifeline. Stateless; one call per worker.
 */
final class SimpleLauncher {
  private SimpleLauncher() {}

  record Spawned(Process process, OutputPump output, SocketChannel channel, Handshake.WorkerHello hello) {}

  static Spawned spawn(
      PythonEnvironment env, WorkerConfig config, Path bundle, Secret secret, SocketFolder folder,
      ScheduledExecutorService scheduler) {
    PythonCommand cmd = PythonCommand.module(env, bundle, config.workerModule());
    SocketFolder.Listener listener;
    try {
      listener = folder.listen(folder.next("w"));
    } catch (IOException e) {
      throw new WorkerStartException("cannot listen for a simple worker: " + e, e);
    }
    Process p = null;
    SocketChannel ch = null;
    try (listener) {
      p = cmd.start(true);
      OutputPump output = OutputPump.start(p.getInputStream(), p.pid(), false);
      Endpoint ep = listener.endpoint();
      byte[] init = ControlMessages.simpleInit(
          secret.bytes(), ep.code(), ep instanceof Endpoint.Unix u ? u.path().toString() : "",
          ep instanceof Endpoint.Tcp t ? t.address().getPort() : 0,
          (int) config.authTimeout().toMillis(), config.bufferSize());
      try {
        OutputStream stdin = p.getOutputStream();
        stdin.write(init);
        stdin.flush();
      } catch (IOException e) {
        // it died before reading; accept below fails and reports why
      }
      // nothing waits on this stage: the listener closes when the process exits, however connecting went
      var unused = p.onExit().thenRun(listener::close);
      try (Deadline d = Deadline.after(scheduler, config.connectTimeout().toMillis(), listener.channel())) {
        try {
          ch = listener.channel().accept();
        } catch (IOException e) {
          throw notConnected(p, cmd, output, config, d.fired(), e);
        }
      }
      Handshake.WorkerHello hello = WorkerHandshake.run(ch, secret, scheduler, config, "simple worker");
      if (hello.pid() < 0) {
        throw new WorkerProtocolException("simple worker sent a fork error: " + hello.forkError());
      }
      if (hello.pid() != p.pid() && !isDescendant(hello.pid(), p.pid())) {
        throw new WorkerProtocolException(
            "simple worker reported pid " + hello.pid() + " but the process started was pid " + p.pid());
      }
      return new Spawned(p, output, ch, hello);
    } catch (RuntimeException e) {
      if (ch != null) closeQuietly(ch);
      if (p != null) p.destroyForcibly();
      throw e;
    }
  }

  private static boolean isDescendant(long pid, long ancestor) {
    return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) == ancestor;
  }

  private static WorkerStartException notConnected(
      Process p, PythonCommand cmd, OutputPump output, WorkerConfig config, boolean timedOut, IOException e) {
    String what;
    boolean exited = waitExit(p, timedOut ? 0 : 2000);
    if (exited) {
      output.awaitEnd(1000);
      what = "Python worker pid " + p.pid() + " exited with " + ProcessStopper.describeExit(p.exitValue())
          + " before connecting back";
    } else if (timedOut) {
      what = "Python worker pid " + p.pid() + " did not connect back within " + config.connectTimeout().toMillis()
          + " ms (connectTimeout); it was killed";
    } else {
      what = "accepting the connection of Python worker pid " + p.pid() + " failed: " + e;
    }
    p.destroyForcibly();
    return new WorkerStartException(
        what + ". Check that the executable is Python 3.8+ and that the worker module can be imported. "
            + cmd.describe() + "; worker output:\n" + output.tail(), e);
  }

  private static boolean waitExit(Process p, long millis) {
    try {
      return p.waitFor(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // best effort on an error path
    }
  }
}
