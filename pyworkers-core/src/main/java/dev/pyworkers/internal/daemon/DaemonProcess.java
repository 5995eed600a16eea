package dev.pyworkers.internal.daemon;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.auth.Secret;
import dev.pyworkers.internal.process.OutputPump;
import dev.pyworkers.internal.process.ProcessStopper;
import dev.pyworkers.internal.process.PythonCommand;
import dev.pyworkers.internal.protocol.Bytes;
import dev.pyworkers.internal.protocol.ControlMessages;
import dev.pyworkers.internal.protocol.ControlMessages.DaemonHello;
import dev.pyworkers.internal.protocol.Tag;
import dev.pyworkers.internal.protocol.WireInput;
import dev.pyworkers.internal.protocol.WorkerExit;
import dev.pyworkers.internal.transport.Endpoint;
import dev.pyworkers.internal.transport.SocketFolder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One running fork-server daemon: started and validated by {@link #start}, reached through {@link #connect()}, told
 * to kill a child through {@link #kill}, ended by {@link #stop}. Its life is tied to its stdin pipe: closing it (or
 * the JVM dying) makes the daemon kill every child and exit. Thread-safe.
 */
public final class DaemonProcess {
  private static final int MIN_MAJOR = 3;
  private static final int MIN_MINOR = 8;

  private final Process process;
  private final OutputPump stderr;
  private final DaemonReports reports;
  private final DaemonHello hello;
  /** How long a failed fork waits for the daemon to end of SIGINT before it calls the daemon unreachable. */
  private static final long INTERRUPT_WAIT_MS = 300;
  /** The same wait once the daemon has removed its socket file, which it does only when stopping. */
  private static final long STOPPING_WAIT_MS = 5000;

  private final Endpoint endpoint;
  private final Object stdinLock = new Object();
  /** When its hello was read (System.nanoTime), for its start and up times in the events. */
  private final long startedNanos = System.nanoTime();

  private DaemonProcess(
      Process process, OutputPump stderr, DaemonReports reports, DaemonHello hello,
      Endpoint ep) {
    this.process = process;
    this.stderr = stderr;
    this.reports = reports;
    this.hello = hello;
    this.endpoint = ep;
  }

  /** Starts a daemon and waits (at most the connect timeout) until it reports where it listens. */
  public static DaemonProcess start(
      PythonEnvironment env, WorkerConfig config, Path bundle, Secret secret, SocketFolder folder,
      ScheduledExecutorService scheduler) {
    return start(env, config, bundle, secret, folder, scheduler, p -> { });
  }

  /**
   * As {@link #start(PythonEnvironment, WorkerConfig, Path, Secret, SocketFolder, ScheduledExecutorService)}, and
   * hands the process to {@code onSpawn} right after it is spawned, so that a close racing the start can kill it
   * (the start then fails at once instead of waiting for the hello).
   */
  public static DaemonProcess start(
      PythonEnvironment env, WorkerConfig config, Path bundle, Secret secret, SocketFolder folder,
      ScheduledExecutorService scheduler, Consumer<Process> onSpawn) {
    Endpoint requested = folder.next("d");
    PythonCommand cmd = PythonCommand.module(env, bundle, config.daemonModule(), config.workerModule());
    Process p = cmd.start(false);
    onSpawn.accept(p);
    OutputPump pump = OutputPump.start(p.getErrorStream(), p.pid(), true);
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> watchdog = scheduler.schedule(
        () -> {
          timedOut.set(true);
          p.destroyForcibly();
        },
        config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
    try {
      byte[] init = ControlMessages.daemonInit(
          secret.bytes(), requested.code(), requested instanceof Endpoint.Unix u ? u.path().toString() : "",
          (int) config.authTimeout().toMillis(), config.bufferSize(), config.preloadModules());
      try {
        OutputStream stdin = p.getOutputStream();
        stdin.write(init);
        stdin.flush();
      } catch (IOException e) {
        // the process died before reading its init block; reading its stdout below reports why
      }
      DaemonHello hello = readHello(p, cmd, pump, config, timedOut);
      watchdog.cancel(false);
      Endpoint ep = hello.transport().isTcp()
          ? Endpoint.Tcp.loopback(hello.transport() == dev.pyworkers.internal.protocol.TransportCode.TCP6, hello.port())
          : new Endpoint.Unix(Path.of(hello.path()));
      if (ep instanceof Endpoint.Unix u && (!u.path().equals(((Endpoint.Unix) requested).path())
          || !Files.exists(u.path()))) {
        throw new WorkerProtocolException(
            "Python daemon reported socket path " + u.path() + " but was asked to bind "
                + requested + " (or the file does not exist); " + cmd.describe());
      }
      // After the hello, the daemon's stdout carries only its workers' exit reports (docs/protocol.md, 1.4).
      DaemonReports reports = DaemonReports.start(p.getInputStream(), p.pid());
      return new DaemonProcess(p, pump, reports, hello, ep);
    } catch (RuntimeException e) {
      watchdog.cancel(false);
      p.destroyForcibly();
      throw e;
    }
  }

  private static DaemonHello readHello(
      Process p, PythonCommand cmd, OutputPump pump, WorkerConfig config, AtomicBoolean timedOut) {
    InputStream out = p.getInputStream();
    WireInput in = new WireInput(out, "daemon hello");
    byte[] tag;
    try {
      tag = in.readExact(4, "tag");
    } catch (IOException e) {
      throw startFailure(p, cmd, pump, config, timedOut, null);
    }
    try {
      if (Tag.DAEMON_ERROR.matches(tag)) {
        String message = in.readStr("error message");
        throw startFailure(p, cmd, pump, config, timedOut, "it reported: " + message);
      }
      if (!Tag.DAEMON_HELLO.matches(tag)) {
        byte[] more = new byte[Math.min(60, Math.max(0, out.available()))];
        int n = more.length == 0 ? 0 : Math.max(0, out.read(more));
        byte[] seen = new byte[4 + n];
        System.arraycopy(tag, 0, seen, 0, 4);
        System.arraycopy(more, 0, seen, 4, n);
        p.destroyForcibly();
        pump.awaitEnd(1000);
        throw new WorkerStartException(
            "Bad data on the Python daemon's standard output: expected tag 'PWKD' but read "
                + Bytes.describe(seen, seen.length)
                + ". Something printed to stdout before the daemon started: check sitecustomize.py,"
                + " usercustomize.py, .pth files and modules on PYTHONPATH that print when imported. "
                + cmd.describe() + "; daemon stderr:\n" + pump.tail());
      }
      DaemonHello hello = ControlMessages.readDaemonHelloBody(in);
      if (hello.pythonMajor() < MIN_MAJOR || (hello.pythonMajor() == MIN_MAJOR && hello.pythonMinor() < MIN_MINOR)) {
        throw new WorkerStartException(
            "Python " + hello.pythonVersion() + " at '" + cmd.commandLine().split(" ")[0]
                + "' is too old; pyworkers needs Python " + MIN_MAJOR + "." + MIN_MINOR + " or newer");
      }
      return hello;
    } catch (IOException e) {
      throw startFailure(p, cmd, pump, config, timedOut, "its hello was cut short: " + e.getMessage());
    } catch (WorkerProtocolException e) {
      throw new WorkerStartException("Python daemon sent a malformed hello: " + e.getMessage() + "; " + cmd.describe(), e);
    }
  }

  private static WorkerStartException startFailure(
      Process p, PythonCommand cmd, OutputPump pump, WorkerConfig config, AtomicBoolean timedOut, String detail) {
    boolean exited = waitExit(p, 2000);
    pump.awaitEnd(1000);
    String what;
    if (timedOut.get()) {
      what = "Python daemon did not report where it listens within " + config.connectTimeout().toMillis()
          + " ms (connectTimeout) and was killed";
    } else if (exited) {
      what = "Python daemon exited during start with " + ProcessStopper.describeExit(p.exitValue());
    } else {
      what = "Python daemon failed during start";
    }
    if (detail != null) what += "; " + detail;
    String hint = exited && p.exitValue() == 6
        ? " Point PythonEnvironment at Python 3.8 or newer."
        : " Check that the executable is Python 3.8+ and that the module '" + cmd.commandLine().split(" ")[2]
            + "' can be imported.";
    return new WorkerStartException(what + "." + hint + " " + cmd.describe() + "; daemon stderr:\n" + pump.tail());
  }

  private static boolean waitExit(Process p, long millis) {
    try {
      return p.waitFor(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public long pid() {
    return process.pid();
  }

  /** {@link System#nanoTime()} when its hello was read. */
  public long startedNanos() {
    return startedNanos;
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  public DaemonHello hello() {
    return hello;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public OutputPump stderr() {
    return stderr;
  }

  /**
   * How worker {@code workerPid} of this daemon ended, from the daemon's exit report, waiting up to {@code millis}
   * for it; null if none came (the daemon is gone, or the worker has not ended).
   */
  public WorkerExit awaitWorkerExit(long workerPid, long millis) {
    return reports.awaitExit(workerPid, millis);
  }

  /** Opens a connection; the daemon forks a worker for it. */
  public SocketChannel connect() throws IOException {
    return endpoint.connect();
  }

  /** Asks the daemon to SIGKILL one of its children. Returns false when the daemon cannot be told (it is gone). */
  public boolean kill(long workerPid) {
    byte[] cmd = ControlMessages.kill(workerPid);
    synchronized (stdinLock) {
      try {
        OutputStream stdin = process.getOutputStream();
        stdin.write(cmd);
        stdin.flush();
        return true;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /**
   * Closes the daemon's stdin (it kills its children and exits), waits up to {@code grace}, then SIGKILLs it. The
   * stdin lock is held only to close stdin, not through the waits: a {@link #kill} racing the stop returns at once
   * (false: stdin is closed) instead of waiting up to {@code grace} + 5 s.
   */
  public void stop(Duration grace) {
    synchronized (stdinLock) {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // its stdin is already closed: the daemon is exiting or gone
      }
    }
    ProcessStopper.awaitOrKill(process, grace);
    stderr.awaitEnd(2000);
    if (endpoint instanceof Endpoint.Unix u) SocketFolder.deleteQuietly(u.path());
  }

  /**
   * Whether the daemon ended, or ends soon, of SIGINT: a Ctrl-C reached its process group. Then the JVM is being
   * interrupted too, and a failed fork is no reason to warn or restart. It waits {@value #INTERRUPT_WAIT_MS} ms for
   * the daemon to end; when the daemon has already removed its socket file, it is stopping, and on a loaded machine
   * killing its workers can take longer, so the wait is up to {@value #STOPPING_WAIT_MS} ms (ended at the exit).
   */
  public boolean endedByInterrupt() {
    long waitMillis = socketFileRemoved() ? STOPPING_WAIT_MS : INTERRUPT_WAIT_MS;
    try {
      if (!process.waitFor(waitMillis, TimeUnit.MILLISECONDS)) return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return process.exitValue() == 128 + 2;
  }

  /** Whether this daemon listens on a Unix socket whose file is gone: the daemon removes it only when it stops. */
  private boolean socketFileRemoved() {
    return endpoint instanceof Endpoint.Unix u && !Files.exists(u.path(), LinkOption.NOFOLLOW_LINKS);
  }

  /** The daemon's exit, for messages: "exit code 0", "signal 9 (SIGKILL)", or "running". */
  public String describeState() {
    return process.isAlive() ? "running" : ProcessStopper.describeExit(process.exitValue());
  }

  @Override
  public String toString() {
    return "daemon pid " + pid() + " on " + endpoint;
  }

  /** The daemon could not be reached or failed to hand over a worker; the caller may restart it once. */
  public static final class Unreachable extends PythonWorkerException {
    private static final long serialVersionUID = 1L;

    public Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
