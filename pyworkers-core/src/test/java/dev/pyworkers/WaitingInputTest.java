package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An input that waits on the task's own results: each record exists only once the result of the one before has come
 * back. With a {@link WaitingIterator} the runner sends each record before it waits; a plain iterator's records
 * stay in the writer's buffer (64 KiB), and the same exchange cannot make progress.
 */
@ExtendWith(NoLeaks.class)
class WaitingInputTest {
  private static final int RECORDS = 50;
  private static final Object END = new Object();

  /** Records put by the test's thread, one after each result; {@link #wouldWait} when none is queued. */
  private static class Feed implements Iterator<Object> {
    final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(RECORDS + 1);
    private Object head;

    @Override
    public boolean hasNext() {
      if (head == null) {
        try {
          head = queue.poll(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TaskCancelledException("interrupted");
        }
        if (head == null) {
          throw new IllegalStateException("no record for 20 s: the result of the last one never came back");
        }
      }
      return head != END;
    }

    @Override
    public Object next() {
      if (!hasNext()) throw new NoSuchElementException();
      Object r = head;
      head = null;
      return r;
    }
  }

  private static final class WaitingFeed extends Feed implements WaitingIterator<Object> {
    @Override
    public boolean wouldWait() {
      return queue.isEmpty();
    }
  }

  @Test
  void eachRecordReachesTheWorkerBeforeTheInputWaits() {
    PythonFunction echo = TestPython.source("def run(i, it):\n    for r in it:\n        yield r + b'!'\n"
        + "run.flush_each_record = True\n", "run");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).nonUdf(echo)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      WaitingFeed feed = new WaitingFeed();
      feed.queue.add("r0".getBytes(StandardCharsets.UTF_8));
      List<String> got = new ArrayList<>();
      try (TaskResults<Object> out = runner.compute(feed, 0, TaskContext.of(0))) {
        while (out.hasNext()) {
          got.add(new String((byte[]) out.next(), StandardCharsets.UTF_8));
          int next = got.size();
          feed.queue.add(next < RECORDS ? ("r" + next).getBytes(StandardCharsets.UTF_8) : END);
        }
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < RECORDS; i++) expected.add("r" + i + "!");
      assertThat(got).isEqualTo(expected);
    }
  }
}
