package dev.pyworkers.internal.process;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Asks a worker for the Python stacks of its threads: sends it SIGUSR2, which every worker hands to {@code
 * faulthandler} (registered at worker start) to write the stacks to its stderr. Java cannot send that signal, so this
 * runs {@code kill -USR2 <pid>}, bounded by a short timeout. Stateless and thread-safe.
 */
public final class DumpSignal {
  private static final long KILL_TIMEOUT_MS = 1000;
  private static final int SIGUSR2_LINUX = 12;

  private DumpSignal() {}

  /**
   * Sends SIGUSR2 to the process of {@code handle}, unless it has ended (the handle checks the process start time,
   * so a reused pid is not signalled) or, on Linux, does not catch SIGUSR2 (its default action would end it: FUNC
   * or a library may have reset the handler). Returns null when sent, else why not.
   */
  public static String send(ProcessHandle handle) {
    if (!handle.isAlive()) return "the process has ended";
    if (Boolean.FALSE.equals(ProcessStates.catchesSignal(handle.pid(), SIGUSR2_LINUX))) {
      return "the process does not catch SIGUSR2 (FUNC or a library replaced pyworkers' handler), and the signal"
          + " would end it";
    }
    Process kill;
    try {
      kill = new ProcessBuilder("kill", "-USR2", Long.toString(handle.pid()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      return "the kill command could not be started: " + e.getMessage();
    }
    try {
      if (!kill.waitFor(KILL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        kill.destroyForcibly();
        return "kill -USR2 " + handle.pid() + " did not finish within " + KILL_TIMEOUT_MS + " ms";
      }
      if (kill.exitValue() != 0) {
        return "kill -USR2 " + handle.pid() + " failed with exit code " + kill.exitValue();
      }
      return null;
    } catch (InterruptedException e) {
      kill.destroyForcibly();
      Thread.currentThread().interrupt();
      return "interrupted while sending SIGUSR2";
    }
  }
}
