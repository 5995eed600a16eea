package dev.pyworkers.internal.factory;

import dev.pyworkers.PythonWorker;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.internal.daemon.DaemonProcess;
import dev.pyworkers.internal.process.OutputPump;
import dev.pyworkers.internal.protocol.SessionCommand;
import dev.pyworkers.internal.protocol.WireInput;
import dev.pyworkers.internal.protocol.WorkerExit;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A worker process and the JVM's end of its socket. State moves BUSY → IDLE → BUSY ... → DEAD, only by its factory,
 * with compare-and-set; DEAD is final. Thread-safe; the socket is used by one task at a time.
 */
public final class RealPythonWorker implements PythonWorker {
  enum State { BUSY, IDLE, DEAD }

  final RealWorkerFactory owner;
  final AtomicReference<State> state = new AtomicReference<>(State.BUSY);
  final AtomicInteger tasks = new AtomicInteger(1);
  private final long pid;
  private final ProcessHandle handle;
  private final SocketChannel channel;
  private final ChannelStreams.CountingInput in;
  private final ChannelStreams.CountingOutput out;
  /** When its handshake passed, on the registry's clock; for its lifetime in the events. */
  final long startedNanos = System.nanoTime();
  /** When it last went idle; written by its factory under the factory's lock, read when it is taken. */
  volatile long idleSinceNanos;
  private final WorkerMode mode;
  private final DaemonProcess daemon;
  private final Process process;
  private final OutputPump output;
  private final ScheduledExecutorService scheduler;
  private final java.util.Set<Long> broadcastIds = new java.util.HashSet<>();

  RealPythonWorker(
      RealWorkerFactory owner, long pid, ProcessHandle handle, SocketChannel channel, DaemonProcess daemon,
      Process process, OutputPump output, ScheduledExecutorService scheduler) {
    this.owner = owner;
    this.pid = pid;
    this.handle = handle;
    this.channel = channel;
    this.in = ChannelStreams.input(channel);
    this.out = ChannelStreams.output(channel);
    this.mode = daemon != null ? WorkerMode.DAEMON : WorkerMode.SIMPLE;
    this.daemon = daemon;
    this.process = process;
    this.output = output;
    this.scheduler = scheduler;
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public WorkerMode mode() {
    return mode;
  }

  @Override
  public boolean isAlive() {
    return handle.isAlive();
  }

  @Override
  public int tasksServed() {
    return tasks.get();
  }

  /** The socket, unbuffered, for the runner. */
  public InputStream input() {
    return in;
  }

  public OutputStream output() {
    return out;
  }

  /** Bytes read from its socket so far, over all its tasks; a task takes the difference. */
  public long bytesRead() {
    return in.bytes;
  }

  /** Bytes written to its socket so far, over all its tasks. */
  public long bytesWritten() {
    return out.bytes;
  }

  public SocketChannel channel() {
    return channel;
  }

  /** The daemon that forked it, or null for a simple worker. */
  DaemonProcess daemon() {
    return daemon;
  }

  Process process() {
    return process;
  }

  /**
   * How the process ended ("exited with code 1", "killed by signal 11 (SIGSEGV)"), waiting up to {@code millis} for
   * it to end and be reported; "(still running)" or "(exit status unknown)" otherwise.
   */
  public String awaitExitDescription(long millis) {
    if (process != null) {
      try {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) return "(still running)";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "(exit status unknown)";
      }
      String how = dev.pyworkers.internal.process.ProcessStopper.describeExit(process.exitValue());
      return how.startsWith("signal") ? "killed by " + how : how.replace("exit code", "exited with code");
    }
    long deadline = System.nanoTime() + millis * 1_000_000L;
    WorkerExit exit = daemon.awaitWorkerExit(pid, millis);
    if (exit == null) return "(exit status unknown)";
    // The report counts the daemon's stderr lines up to it: wait until they are read, so the tail has the last ones.
    daemon.stderr().awaitLines(exit.logLines(), Math.max(0, (deadline - System.nanoTime()) / 1_000_000L));
    return exit.describe();
  }

  /**
   * Broadcast ids this worker holds. Touched only by the task that holds the worker (BUSY), so one thread at a
   * time; the state change to IDLE and back publishes it to the next task.
   */
  public java.util.Set<Long> broadcastIds() {
    return broadcastIds;
  }

  /** The process, for signals; its {@code isAlive()} also checks the start time, so a reused pid is not it. */
  public ProcessHandle processHandle() {
    return handle;
  }

  /** Where this worker's stack dumps are caught (its own output pump, or its daemon's). */
  public dev.pyworkers.internal.process.TracebackDumps dumps() {
    return output != null ? output.dumps() : daemon.stderr().dumps();
  }

  /** Recent output lines of this worker, for error messages. */
  public String outputTail() {
    if (output != null) return output.tail();
    return daemon != null ? daemon.stderr().tailOf(pid) : "(no output)";
  }

  /**
   * True when nothing is waiting unread on the socket and the peer has not closed it: a worker that finished its
   * last task cleanly sends nothing until asked.
   */
  boolean isClean() {
    ByteBuffer one = ByteBuffer.allocate(1);
    synchronized (channel.blockingLock()) {
      try {
        channel.configureBlocking(false);
        try {
          return channel.read(one) == 0;
        } finally {
          channel.configureBlocking(true);
        }
      } catch (IOException e) {
        return false;
      }
    }
  }

  void closeChannel() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing our end cannot fail in a way that matters: the process is being killed
    }
  }

  @Override
  public void ping(Duration timeout) {
    AtomicBoolean fired = new AtomicBoolean();
    ScheduledFuture<?> watchdog = scheduler.schedule(
        () -> {
          fired.set(true);
          closeChannel();
        },
        timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      out.write(SessionCommand.PING.bytes());
      out.flush();
      int reply = new WireInput(in, "ping reply").readInt("reply");
      if (reply != SessionCommand.PING.code()) {
        throw new PythonWorkerException("Python worker pid " + pid + " answered PING with " + reply + ", expected "
            + SessionCommand.PING.code());
      }
    } catch (IOException e) {
      throw new PythonWorkerException(
          "Python worker pid " + pid + (fired.get() ? " did not answer PING within " + timeout.toMillis() + " ms"
              : " failed during PING: " + e) + "; recent output:\n" + outputTail(), e);
    } finally {
      watchdog.cancel(false);
    }
  }

  @Override
  public String toString() {
    return "PythonWorker{pid=" + pid + ", mode=" + mode + ", state=" + state.get() + ", tasks=" + tasks.get() + "}";
  }
}
