package dev.pyworkers.cli.run;

/**
 * Keeps output frames small whatever FUNC's output is against its input: {@code pyworkers.jobs} answers every input
 * frame with one output frame, so an input frame of 64 KiB from a FUNC that writes 1000 bytes per input byte comes
 * back as a 64 MB frame, held whole by the runner and the pipeline. This watches the ratio of each output frame to
 * its input frame and caps the splitter's input frames at {@link #OUTPUT_FRAME_TARGET} / the highest ratio seen
 * (between one record and the splitter's own frame limit). Until the first output frame is seen, frames are capped at {@link
 * #FIRST_FRAME_BYTES}. Thread-safe: task threads report, the splitter reads its volatile cap.
 */
final class FrameSizer {
  /** The output frame size aimed at. */
  static final long OUTPUT_FRAME_TARGET = 1L << 20;
  /** The input frame cap before any output was seen. */
  static final long FIRST_FRAME_BYTES = 16L << 10;

  private final PartitionSource splitter;
  private final long target;
  /** Guarded by {@code this}: the highest output/input byte ratio seen, 0 before the first frame. */
  private double maxRatio;

  FrameSizer(PartitionSource splitter) {
    this(splitter, FIRST_FRAME_BYTES, OUTPUT_FRAME_TARGET);
  }

  /**
   * @param firstFrameBytes the input frame cap until the first output frame is seen
   * @param target the output frame size aimed at ({@code --pandas}: one DataFrame's result, so larger)
   */
  FrameSizer(PartitionSource splitter, long firstFrameBytes, long target) {
    this.splitter = splitter;
    this.target = target;
    splitter.capFrameBytes(firstFrameBytes);
  }

  /** A task saw {@code outputBytes} of output for an input frame of {@code inputBytes}. */
  void observe(long inputBytes, long outputBytes) {
    double ratio = (double) outputBytes / Math.max(1, inputBytes);
    synchronized (this) {
      if (maxRatio != 0 && ratio <= maxRatio) return;
      maxRatio = Math.max(ratio, Double.MIN_NORMAL);
      splitter.capFrameBytes((long) Math.min(InputSplitter.MAX_BATCH_BYTES, target / maxRatio));
    }
  }
}
