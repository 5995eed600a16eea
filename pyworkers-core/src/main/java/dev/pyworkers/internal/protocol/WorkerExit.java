package dev.pyworkers.internal.protocol;

import dev.pyworkers.WorkerProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A daemon's report that one of its workers ended ({@code PWKX}, docs/protocol.md section 1.4): how, and how many
 * lines the daemon had written to its stderr before it, every line of that worker among them. Immutable.
 *
 * @param pid the worker's pid
 * @param how whether it exited, was killed by a signal, or ended otherwise
 * @param value the exit code, the signal number, or the raw wait status, as {@code how} says
 * @param signalName the signal's name on the daemon's platform ({@code SIGKILL}), empty unless killed by a signal
 * @param logLines lines the daemon had written to its stderr when it sent this report
 */
public record WorkerExit(long pid, How how, int value, String signalName, long logLines) {
  /** Bound of the signal name, in bytes of UTF-8. */
  public static final int MAX_SIGNAL_NAME = 32;
  private static final String CONTEXT = "worker exit report";

  /** The {@code how} byte of a report. */
  public enum How {
    EXITED(1), SIGNALED(2), OTHER(3);

    private final int code;

    How(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    static How of(int code) {
      for (How h : values()) {
        if (h.code == code) return h;
      }
      throw new WorkerProtocolException("how " + code + " is not 1, 2 or 3 in " + CONTEXT);
    }
  }

  /** "exited with code 1", "killed by signal 9 (SIGKILL)" or "ended with wait status 0x137f": the daemon's words. */
  public String describe() {
    return switch (how) {
      case EXITED -> "exited with code " + value;
      case SIGNALED -> "killed by signal " + value + " (" + signalName + ")";
      case OTHER -> "ended with wait status 0x" + Integer.toHexString(value);
    };
  }

  public byte[] encode() {
    return new WireOutput().tag(Tag.WORKER_EXIT).i32(Math.toIntExact(pid)).u8(how.code()).i32(value).str(signalName)
        .i64(logLines).toByteArray();
  }

  /**
   * Reads one report from {@code in}, or returns null at the end of the stream before its tag. A stream that ends
   * inside a report is an {@link java.io.EOFException}; a bad tag or field is a {@link WorkerProtocolException}.
   */
  public static WorkerExit read(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) return null;
    WireInput wire = new WireInput(in, CONTEXT);
    byte[] tag = new byte[4];
    tag[0] = (byte) first;
    System.arraycopy(wire.readExact(3, "tag"), 0, tag, 1, 3);
    if (!Tag.WORKER_EXIT.matches(tag)) {
      throw new WorkerProtocolException(
          "expected tag 'PWKX' at the start of " + CONTEXT + " but read " + Bytes.describe(tag, tag.length));
    }
    int pid = wire.readInt("pid");
    if (pid <= 0) throw new WorkerProtocolException("worker pid " + pid + " is not positive in " + CONTEXT);
    How how = How.of(wire.readU8("how"));
    int value = wire.readInt("value");
    String name = new String(wire.readBytes("signal name", 0, MAX_SIGNAL_NAME), StandardCharsets.UTF_8);
    long lines = wire.readLong("log lines");
    if (lines < 0) throw new WorkerProtocolException("log lines " + lines + " is negative in " + CONTEXT);
    return new WorkerExit(pid, how, value, name, lines);
  }
}
