package dev.pyworkers.internal.process;

import dev.pyworkers.StallEvent.ProcessState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reads a process's scheduling state: from {@code /proc/<pid>/stat} on Linux, from {@code ps -o state= -p <pid>}
 * elsewhere (macOS). Stateless and thread-safe.
 */
public final class ProcessStates {
  private static final Path PROC = Path.of("/proc");
  private static final long PS_TIMEOUT_MS = 1000;

  private ProcessStates() {}

  /** The state of {@code pid}; GONE when there is no such process, UNKNOWN when it cannot be read. */
  public static ProcessState of(long pid) {
    if (Files.isDirectory(PROC.resolve("self"))) return fromProc(pid);
    return fromPs(pid);
  }

  private static ProcessState fromProc(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return ProcessState.GONE;
    } catch (IOException e) {
      return ProcessState.UNKNOWN;
    }
    // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) return ProcessState.UNKNOWN;
    return fromLetter(stat.charAt(close + 2));
  }

  private static ProcessState fromPs(long pid) {
    try {
      Process ps = new ProcessBuilder("ps", "-o", "state=", "-p", Long.toString(pid))
          .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!ps.waitFor(PS_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        ps.destroyForcibly();
        return ProcessState.UNKNOWN;
      }
      byte[] out = ps.getInputStream().readNBytes(256); // a few bytes: they fit the pipe, so ps could end first
      ps.getInputStream().close();
      String s = new String(out, StandardCharsets.UTF_8).strip();
      if (ps.exitValue() != 0 || s.isEmpty()) return ProcessState.GONE;
      return fromLetter(s.charAt(0));
    } catch (IOException e) {
      return ProcessState.UNKNOWN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ProcessState.UNKNOWN;
    }
  }

  /**
   * Whether {@code pid} has a handler for signal {@code number} ({@code SigCgt} of {@code /proc/<pid>/status});
   * null where that cannot be read (not Linux, or the process is gone).
   */
  public static Boolean catchesSignal(long pid, int number) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
        if (line.startsWith("SigCgt:")) {
          long mask = Long.parseUnsignedLong(line.substring(7).strip(), 16);
          return (mask & (1L << (number - 1))) != 0;
        }
      }
      return null;
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  /** Linux and BSD {@code ps} state letters. */
  static ProcessState fromLetter(char c) {
    return switch (c) {
      case 'R', 'W' -> ProcessState.RUNNING;
      case 'S', 'I' -> ProcessState.SLEEPING;
      case 'D', 'U' -> ProcessState.UNINTERRUPTIBLE;
      case 'T', 't' -> ProcessState.STOPPED;
      case 'Z' -> ProcessState.ZOMBIE;
      case 'X', 'x' -> ProcessState.GONE;
      default -> ProcessState.UNKNOWN;
    };
  }
}
