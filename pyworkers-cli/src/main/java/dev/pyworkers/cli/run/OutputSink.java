package dev.pyworkers.cli.run;

import java.io.IOException;

/**
 * What the pipeline's writing thread hands OUT's bytes to, partition by partition in input order: JSON lines go to
 * the {@link AtomicOutput} as they are ({@link #lines}); Arrow IPC messages go through {@link ArrowFileSink}, which
 * checks their schema and writes an IPC file. Not thread-safe: the writing thread alone calls it.
 */
public interface OutputSink {
  /** The output of {@code p} comes next (its input lines name it in messages). */
  void begin(Partition p);

  /** Output bytes of the current partition, in order; any split of them into calls. */
  void write(byte[] b, int off, int len) throws IOException, RunFailure;

  /** Every partition was written: ends the file (a footer, for Arrow) before the output is committed. */
  void finish() throws IOException, RunFailure;

  /** JSON lines, written to {@code out} unchanged. */
  static OutputSink lines(AtomicOutput out) {
    return new OutputSink() {
      @Override
      public void begin(Partition p) {}

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void finish() {}
    };
  }
}
