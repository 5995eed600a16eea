package dev.pyworkers.gateway.internal.map;

import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.WaitingIterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * One partition's input: the chunks the data socket's reader hands over, in order, a few at a time so that a slow
 * worker holds back the driver instead of filling the JVM's heap. {@link #end()} and {@link #fail(String)} wake a
 * blocked consumer. It says when the consumer would wait ({@link WaitingIterator}), so the runner sends the chunks it
 * has to the worker first. One producer thread and one consumer thread.
 */
final class ChunkQueue implements WaitingIterator<byte[]> {
  private static final Object END = new Object();

  private final ArrayBlockingQueue<Object> queue;
  private Object head;

  ChunkQueue(int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  void put(byte[] chunk) throws InterruptedException {
    queue.put(chunk);
  }

  void end() throws InterruptedException {
    queue.put(END);
  }

  /** Drops what is queued and makes the consumer throw; never blocks. */
  void fail(String reason) {
    queue.clear();
    queue.offer(new Failed(reason));
  }

  @Override
  public boolean wouldWait() {
    return head == null && queue.isEmpty();
  }

  @Override
  public boolean hasNext() {
    if (head == null) {
      try {
        head = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TaskCancelledException("interrupted while waiting for the driver's next input chunk");
      }
    }
    if (head instanceof Failed f) {
      throw new TaskCancelledException(f.reason);
    }
    return head != END;
  }

  @Override
  public byte[] next() {
    if (!hasNext()) throw new NoSuchElementException("the driver sent no more input chunks");
    byte[] chunk = (byte[]) head;
    head = null;
    return chunk;
  }

  private record Failed(String reason) {}
}
