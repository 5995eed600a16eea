package dev.pyworkers;

/**
 * Timing of one task as the worker measured it (epoch milliseconds), plus what the JVM counted.
 *
 * @param workerBootMillis when the worker process started (its fork or spawn)
 * @param taskStartMillis when the worker began reading the task
 * @param initMillis when the functions were loaded and ready
 * @param finishMillis when the last output was produced
 * @param recordsIn records (or rows) sent to Python
 * @param recordsOut records (or rows) received from Python
 * @param workerPid the worker that ran the task
 * @param reusedWorker whether the worker came from the idle pool
 * @param bytesToPython bytes the JVM wrote to the worker's socket for this task: header, functions and input
 * @param bytesFromPython bytes the JVM read from it for this task: results, timing, accumulators, end of stream
 */
public record TaskMetrics(
    long workerBootMillis,
    long taskStartMillis,
    long initMillis,
    long finishMillis,
    long recordsIn,
    long recordsOut,
    long workerPid,
    boolean reusedWorker,
    long bytesToPython,
    long bytesFromPython) {

  /** Time from the task's start until its functions were ready. */
  public long initTimeMillis() {
    return initMillis - taskStartMillis;
  }

  /** Time spent producing output. */
  public long processingTimeMillis() {
    return finishMillis - initMillis;
  }
}
