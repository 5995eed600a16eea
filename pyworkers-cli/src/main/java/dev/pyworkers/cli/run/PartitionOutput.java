package dev.pyworkers.cli.run;

import dev.pyworkers.TaskCancelledException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * The output of one partition on its way to OUT, in order: frames that fit the run's {@link OutputBudget} wait in
 * memory; once one does not fit, that frame and every later one of the partition go to a spill file beside OUT
 * (made by {@link AtomicOutput#newSpill()}); once the partition is at the head of the order ({@link #promote()}),
 * its frames go to the writing thread through a queue of at most {@link #HEAD_QUEUE_BYTES}, so the partition being
 * written streams straight to OUT while it runs and never needs the budget: the head can always make progress, and
 * JVM memory stays bounded whatever the ratio of output to input (the budget, the head queue, and the one frame each
 * task holds).
 *
 * <p>Thread-safety: one task thread calls {@link #add} and {@link #finish}; the writing thread calls {@link
 * #promote} and {@link #take}; any thread may {@link #abort}. The queue and flags are guarded by {@code this}; no
 * I/O happens under it (the spill file is written by the task thread alone, outside the lock).
 */
final class PartitionOutput {
  /** The most head output that waits for the writing thread before the head's task thread waits. */
  static final long HEAD_QUEUE_BYTES = 16L << 20;

  private final int index;
  private final OutputBudget budget;
  private final AtomicOutput files;
  /** Guarded by {@code this}: {@link Chunk}s and closed {@link Spill}s, in output order. */
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  /** Guarded by {@code this}: bytes of head chunks queued (not in the budget). */
  private long headQueued;
  /** Guarded by {@code this}: once true, always true. */
  private boolean head;
  /** Guarded by {@code this}: once true, always true. */
  private boolean finished;
  /** Guarded by {@code this}: once true, always true. */
  private boolean aborted;
  /** The spill file being written; confined to the task thread. */
  private Spill open;

  PartitionOutput(int index, OutputBudget budget, AtomicOutput files) {
    this.index = index;
    this.budget = budget;
    this.files = files;
  }

  /** A frame of output in memory: the 4-byte record count, then JSON lines; {@code reserved}: held in the budget. */
  record Chunk(byte[] frame, boolean reserved) {
    int records() {
      return count(frame);
    }

    int bytes() {
      return frame.length - 4;
    }
  }

  /** A closed spill file: JSON lines only (the counts are summed in {@link #records}). */
  static final class Spill {
    final Path path;
    private final OutputStream stream;
    long records;

    private Spill(AtomicOutput.SpillFile f) {
      this.path = f.path();
      this.stream = new BufferedOutputStream(f.stream(), 1 << 16);
    }
  }

  /** Task thread: the next output frame (a 4-byte record count, then JSON lines). May wait while at the head. */
  void add(byte[] frame) throws IOException {
    boolean atHead;
    synchronized (this) {
      checkNotAborted();
      atHead = head;
    }
    if (open != null) {
      if (!atHead) {
        write(open, frame);
        return;
      }
      closeSpill(); // everything spilled so far goes before this frame
    }
    if (atHead) {
      enqueueHead(frame);
    } else if (budget.tryReserve(frame.length - 4L)) {
      synchronized (this) {
        if (aborted) {
          budget.release(frame.length - 4L);
          checkNotAborted();
        }
        queue.add(new Chunk(frame, true));
        notifyAll();
      }
    } else {
      open = new Spill(files.newSpill());
      write(open, frame);
    }
  }

  /** Task thread: the partition's last frame was added. */
  void finish() throws IOException {
    if (open != null) closeSpill();
    synchronized (this) {
      finished = true;
      notifyAll();
    }
  }

  /** Task thread, on failure: closes the spill file being written (the files are deleted by the output's abort). */
  void closeQuietly() {
    Spill s = open;
    open = null;
    if (s == null) return;
    try {
      s.stream.close();
    } catch (IOException e) {
      // the run failed already and the file is deleted with the temporary output
    }
  }

  /** Writing thread: the partition is now at the head of the order; its frames come through {@link #take}. */
  synchronized void promote() {
    head = true;
    notifyAll();
  }

  /**
   * Writing thread: the next {@link Chunk} or {@link Spill} in order, waiting for it; null after the last. The
   * caller releases a reserved chunk's bytes from the budget once written. Throws if the run was stopped.
   */
  synchronized Object take() throws InterruptedException {
    while (true) {
      checkNotAborted();
      Object next = queue.poll();
      if (next != null) {
        if (next instanceof Chunk c && !c.reserved()) {
          headQueued -= c.bytes();
          notifyAll();
        }
        return next;
      }
      if (finished) return null;
      wait();
    }
  }

  /** Any thread: wakes and fails both sides; what is still in the budget is released. Idempotent. */
  void abort() {
    long reserved = 0;
    synchronized (this) {
      if (aborted) return;
      aborted = true;
      for (Object o : queue) {
        if (o instanceof Chunk c && c.reserved()) reserved += c.bytes();
      }
      queue.clear();
      notifyAll();
    }
    budget.release(reserved);
  }

  private void enqueueHead(byte[] frame) {
    synchronized (this) {
      try {
        while (!aborted && headQueued >= HEAD_QUEUE_BYTES) wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TaskCancelledException("partition " + index + " was stopped while its output waited to be written");
      }
      checkNotAborted();
      queue.add(new Chunk(frame, false));
      headQueued += frame.length - 4L;
      notifyAll();
    }
  }

  private void closeSpill() throws IOException {
    Spill s = open;
    open = null;
    s.stream.close();
    synchronized (this) {
      checkNotAborted();
      queue.add(s);
      notifyAll();
    }
  }

  private static void write(Spill s, byte[] frame) throws IOException {
    s.stream.write(frame, 4, frame.length - 4);
    s.records += count(frame);
  }

  private void checkNotAborted() {
    if (aborted) throw new TaskCancelledException("the run was stopped while partition " + index + " ran");
  }

  /**
   * The record count that pyworkers.jobs puts before each output frame's lines: a big-endian int of the CLI's own frame
   * format (docs/protocol.md is core's; this one is between the CLI and its Python), read with java.nio's default order.
   */
  static int count(byte[] frame) {
    return ByteBuffer.wrap(frame, 0, Integer.BYTES).getInt();
  }
}
