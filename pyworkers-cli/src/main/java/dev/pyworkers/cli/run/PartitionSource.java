package dev.pyworkers.cli.run;

import java.io.IOException;

/**
 * Where the partitions of a run come from, in input order: {@link InputSplitter} cuts a stream of lines, {@link
 * ArrowFileSplitter} groups the record batches of an Arrow IPC file. Not thread-safe: the pipeline's reading thread
 * calls {@link #next}; {@link #capFrameBytes} may come from any thread.
 */
public interface PartitionSource {
  /** The next partition, or null at the end of the input. */
  Partition next() throws IOException, RunFailure;

  /** Input bytes consumed into partitions so far, for the progress bar's estimated total. */
  long consumedBytes();

  /** The CSV header record (sent as the first frame of every partition, answered by no output frame), or null. */
  byte[] header();

  /** Caps the input bytes per frame from the next frame on, when FUNC's output is much larger than its input. */
  void capFrameBytes(long bytes);
}
