package dev.pyworkers.gateway.internal.map;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.RecordFormat;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.spi.OneShotSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code map} call of the Python driver (docs/protocol.md section 9): accepts the driver on a one-shot data
 * socket, reads the function and then input chunks, deals chunk {@code k} to partition {@code k mod n}, runs one
 * NON_UDF task per partition that receives chunks and returns exactly one result chunk per input chunk, and writes
 * the result chunks back in input order. The JVM never unpickles a chunk. Memory is bounded by {@link
 * #QUEUED_CHUNKS} chunks per partition plus what the sockets buffer: a slow consumer holds back the workers, and
 * they hold back the driver. When the driver goes away, every task is closed, which kills its worker.
 *
 * <p>Threads: the session thread accepts, reads the function, starts a reader thread for the input and then writes
 * results; each task has the runner's own threads.
 */
public final class MapSession implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(MapSession.class);
  /** Input chunks queued per partition ahead of its worker. */
  static final int QUEUED_CHUNKS = 2;

  private final WorkerRegistry registry;
  private final OneShotSocket socket;
  private final int partitions;
  private final String python;
  private final List<String> includes;
  private final Duration acceptTimeout;
  private final Runnable onEnd;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final ChunkQueue[] queues;
  private final AtomicReferenceArray<TaskResults<?>> results;
  private final Object lock = new Object();
  private volatile SocketChannel channel;
  /** Set once the job's last frame (the end marker or an error report) is being written: the driver may close. */
  private volatile boolean answered;
  // guarded by lock
  private long chunksIn;
  private boolean inputEnded;
  private String inputFailure;
  private String jobFailure;

  public MapSession(WorkerRegistry registry, OneShotSocket socket, int partitions, String python,
      List<String> includes, Duration acceptTimeout, Runnable onEnd) {
    this.registry = registry;
    this.socket = socket;
    this.partitions = partitions;
    this.python = python;
    this.includes = List.copyOf(includes);
    this.acceptTimeout = acceptTimeout;
    this.onEnd = onEnd;
    this.queues = new ChunkQueue[partitions];
    for (int p = 0; p < partitions; p++) queues[p] = new ChunkQueue(QUEUED_CHUNKS);
    this.results = new AtomicReferenceArray<>(partitions);
  }

  @Override
  public void run() {
    try {
      SocketChannel ch = socket.accept(acceptTimeout);
      channel = ch;
      if (cancelled.get()) return;
      serve(ch);
    } catch (IOException | RuntimeException e) {
      LOG.warn("the driver's map job ended early: {}", e.toString());
    } finally {
      closeTasks();
      closeChannel();
      onEnd.run();
    }
  }

  /** Stops the job from any thread: closes the tasks (killing their workers) and the socket. Idempotent. */
  public void cancel(String reason) {
    if (!cancelled.compareAndSet(false, true)) return;
    for (ChunkQueue q : queues) q.fail(reason);
    socket.close();
    closeTasks();
    closeChannel();
  }

  private void serve(SocketChannel ch) throws IOException {
    int n = Frames.readLength(ch, "the function frame");
    if (n < 0) throw new IOException("the driver sent marker " + n + " where the function frame belongs");
    PythonFunction fn = PythonFunction.cloudpickle(Frames.readBody(ch, n, "the function frame"))
        .withPythonExecutable(python)
        .withIncludes(includes);
    try (PythonRunner runner = PythonRunner.builder(registry).nonUdf(fn)
        .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      Thread reader = new Thread(() -> readInput(ch, runner), "pyworkers-map-input");
      reader.setDaemon(true);
      reader.start();
      writeResults(ch);
    }
  }

  /**
   * Reads the input chunks and deals them out. A partition's task starts when its first chunk arrives, here and not
   * when its first result is wanted: each queue holds only a few chunks, so a partition that nobody drained would
   * block this reader, and every other partition with it. The runner sends a partition's chunks to its worker as
   * soon as its queue runs dry ({@link ChunkQueue#wouldWait}), so results never wait for later input.
   */
  private void readInput(SocketChannel ch, PythonRunner runner) {
    long k = 0;
    try {
      while (true) {
        int n = Frames.readLength(ch, "an input chunk's length");
        if (n == Frames.END) break;
        if (n < 0) throw new IOException("the driver sent marker " + n + " in the input; only -1 (end) is allowed");
        byte[] chunk = Frames.readBody(ch, n, "input chunk " + k);
        int p = (int) (k % partitions);
        if (k < partitions) {
          try {
            startTask(runner, p);
          } catch (RuntimeException e) {
            jobFailed("could not start the task of partition " + p + ": " + e.getMessage());
            return;
          }
        }
        queues[p].put(chunk);
        k++;
        synchronized (lock) {
          chunksIn = k;
          lock.notifyAll();
        }
      }
      for (ChunkQueue q : queues) q.end();
      synchronized (lock) {
        inputEnded = true;
        lock.notifyAll();
      }
      awaitDriverEnd(ch);
    } catch (IOException | RuntimeException e) {
      inputFailed(e.getMessage() == null ? e.toString() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inputFailed("interrupted while reading the driver's input");
    }
  }

  /**
   * After the input's end the driver sends nothing more, and the writer may wait a long time on a busy worker before
   * its next write would fail: this read notices the driver going away (results closed, Ctrl-C, killed) at once, so
   * that the job is cancelled and its workers are killed then. It returns when the session closes the channel.
   */
  private void awaitDriverEnd(SocketChannel ch) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    int n;
    try {
      n = ch.read(one);
    } catch (IOException e) {
      if (answered || cancelled.get() || !ch.isOpen()) return;
      throw e;
    }
    if (answered || cancelled.get()) return;
    throw new IOException(n < 0 ? "the driver closed the data socket before the job's last result"
        : "the driver sent data after the end of its input");
  }

  /** Something on the JVM's side failed: the session thread tells the driver, then closes everything. */
  private void jobFailed(String reason) {
    synchronized (lock) {
      jobFailure = reason;
      lock.notifyAll();
    }
  }

  private void inputFailed(String reason) {
    if (cancelled.get()) return;
    synchronized (lock) {
      inputFailure = reason;
      lock.notifyAll();
    }
    LOG.info("the driver stopped sending input ({}); cancelling its map job", reason);
    cancel("the driver stopped sending input: " + reason);
  }

  /** Chunk {@code k}'s result is the next result of partition {@code k mod n}; start that task on first use. */
  private void writeResults(SocketChannel ch) throws IOException {
    long k = 0;
    try {
      while (true) {
        synchronized (lock) {
          while (k >= chunksIn && !inputEnded && inputFailure == null && jobFailure == null && !cancelled.get()) {
            lock.wait(200);
          }
          if (inputFailure != null || cancelled.get()) return;
          if (jobFailure != null) {
            report(ch, "jvm", jobFailure, "", "", k);
            return;
          }
          if (k >= chunksIn && inputEnded) break;
        }
        int p = (int) (k % partitions);
        TaskResults<?> r = results.get(p);
        if (!r.hasNext()) {
          throw new IllegalStateException("partition " + p + " ended before the result of chunk " + k);
        }
        Object out = r.next();
        if (!(out instanceof byte[] bytes)) {
          throw new IllegalStateException("partition " + p + " returned " + (out == null ? "None" : out.getClass())
              + " for chunk " + k + ", not a result chunk");
        }
        Frames.write(ch, bytes);
        k++;
      }
      for (int p = 0; p < partitions; p++) {
        TaskResults<?> r = results.get(p);
        if (r != null && r.hasNext()) {
          throw new IllegalStateException("partition " + p + " returned more result chunks than it was sent");
        }
      }
      answered = true;
      Frames.writeMarker(ch, Frames.END);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (PythonException e) {
      report(ch, "python", e.getMessage(), e.pythonType(), e.traceback(), k);
    } catch (WorkerCrashedException e) {
      report(ch, "crashed", e.getMessage(), "", "", k);
    } catch (TaskCancelledException e) {
      if (!cancelled.get()) report(ch, "cancelled", e.getMessage(), "", "", k);
    } catch (RuntimeException e) {
      report(ch, "jvm", e.toString(), "", "", k);
    }
  }

  private void startTask(PythonRunner runner, int p) {
    TaskResults<?> r = runner.compute(queues[p], p, TaskContext.of(p));
    results.set(p, r);
    if (cancelled.get()) r.close();
  }

  private void report(SocketChannel ch, String kind, String message, String type, String traceback, long chunk) {
    int partition = (int) (chunk % partitions);
    answered = true;
    closeTasks();
    try {
      Frames.writeError(ch, new Frames.ErrorReport(kind, message, type, traceback, partition, chunk));
    } catch (IOException e) {
      LOG.info("could not report a failed map job to the driver: {}", e.toString());
    }
  }

  private void closeTasks() {
    for (int p = 0; p < partitions; p++) {
      TaskResults<?> r = results.get(p);
      if (r != null) r.close();
    }
  }

  private void closeChannel() {
    SocketChannel ch = channel;
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing left to tell the driver
    }
  }
}
