package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.TaskCancelledException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One partition's output keeps its order across memory, a spill file and the head queue, gives its budget back,
 * and never makes the head wait on the budget. The task side runs on a second thread where it may block. No Python.
 */
class PartitionOutputTest {
  @TempDir Path dir;

  static byte[] frame(String lines) {
    byte[] text = lines.getBytes(StandardCharsets.UTF_8);
    byte[] f = new byte[4 + text.length];
    int n = (int) lines.chars().filter(c -> c == '\n').count();
    f[0] = (byte) (n >>> 24);
    f[1] = (byte) (n >>> 16);
    f[2] = (byte) (n >>> 8);
    f[3] = (byte) n;
    System.arraycopy(text, 0, f, 4, text.length);
    return f;
  }

  /** Drains {@code po} as the pipeline's writer does; returns the text written. */
  static String drain(PartitionOutput po, OutputBudget budget, AtomicOutput out) throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    po.promote();
    for (Object next; (next = po.take()) != null; ) {
      if (next instanceof PartitionOutput.Chunk c) {
        text.write(c.frame(), 4, c.bytes());
        if (c.reserved()) budget.release(c.bytes());
      } else {
        PartitionOutput.Spill s = (PartitionOutput.Spill) next;
        text.write(Files.readAllBytes(s.path));
        out.release(s.path);
      }
    }
    return text.toString(StandardCharsets.UTF_8);
  }

  @Test
  void framesOverTheBudget_spill_andComeBackInOrder_beforeTheFramesAddedAtTheHead() throws Exception {
    OutputBudget budget = new OutputBudget(10);
    try (AtomicOutput out = AtomicOutput.create(dir.resolve("out.jsonl"))) {
      PartitionOutput po = new PartitionOutput(3, budget, out);
      po.add(frame("a\nb\n"));          // 4 bytes: in memory
      po.add(frame("c\nd\ne\nf\n"));    // 8 more: over 10, spilled
      po.add(frame("g\n"));             // would fit, but follows a spilled frame: spilled too
      assertThat(budget.used()).isEqualTo(4);
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".spill-0.tmp"));
      }
      CompletableFuture<String> written = CompletableFuture.supplyAsync(() -> {
        try {
          return drain(po, budget, out);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      po.add(frame("h\n"));             // at the head, or about to be: after the spill either way
      po.finish();
      assertThat(written.get(10, TimeUnit.SECONDS)).isEqualTo("a\nb\nc\nd\ne\nf\ng\nh\n");
      assertThat(budget.used()).isZero();
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".spill-"));
      }
    }
  }

  @Test
  void theHead_neverWaitsForTheBudget_thatOtherPartitionsHold() throws Exception {
    OutputBudget budget = new OutputBudget(8);
    try (AtomicOutput out = AtomicOutput.create(dir.resolve("out.jsonl"))) {
      PartitionOutput other = new PartitionOutput(1, budget, out);
      other.add(frame("1234567\n"));    // the whole budget
      PartitionOutput head = new PartitionOutput(0, budget, out);
      head.promote();
      CompletableFuture<Void> task = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < 100; i++) head.add(frame("x" + i + "\n"));
          head.finish();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      StringBuilder text = new StringBuilder();
      for (Object next; (next = head.take()) != null; ) {
        PartitionOutput.Chunk c = (PartitionOutput.Chunk) next;
        assertThat(c.reserved()).isFalse();
        text.append(new String(c.frame(), 4, c.bytes(), StandardCharsets.UTF_8));
      }
      task.get(10, TimeUnit.SECONDS);
      assertThat(text.toString()).startsWith("x0\nx1\n").endsWith("x99\n");
      assertThat(budget.used()).isEqualTo(8);
      other.abort();
      assertThat(budget.used()).as("an aborted partition gives its budget back").isZero();
      assertThatThrownBy(() -> other.add(frame("late\n"))).isInstanceOf(TaskCancelledException.class)
          .hasMessageContaining("partition 1");
    }
  }
}
