package dev.pyworkers.internal.runner;

import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.internal.factory.RealPythonWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Builds the "worker crashed" error: pid, how it ended, the faulthandler traceback (read from the runner's private
 * faulthandler folder, then deleted), the tail of its output. Stateless.
 */
final class CrashReport {
  private CrashReport() {}

  static WorkerCrashedException of(RealPythonWorker worker, int partition, Path faulthandlerDir, IOException cause) {
    String exit = worker.awaitExitDescription(2000);
    StringBuilder sb = new StringBuilder("Python worker exited unexpectedly (crashed): pid ").append(worker.pid())
        .append(' ').append(exit).append(" while running partition ").append(partition).append('.');
    if (faulthandlerDir != null) {
      Path dump = faulthandlerDir.resolve(Long.toString(worker.pid()));
      try {
        // the folder is the runner's private one (0700); a link there is still never followed
        String trace = Files.isRegularFile(dump, LinkOption.NOFOLLOW_LINKS) ? Files.readString(dump).strip() : "";
        Files.deleteIfExists(dump);
        if (!trace.isEmpty()) {
          sb.append("\nPython traceback (faulthandler):\n").append(cut(trace));
        } else {
          sb.append(" No faulthandler traceback was written (a SIGKILL or os._exit leaves none).");
        }
      } catch (IOException e) {
        sb.append(" The faulthandler file ").append(dump).append(" could not be read: ").append(e);
      }
    } else {
      sb.append(" Enable the runner's faulthandler option for the Python traceback of a fatal error.");
    }
    sb.append("\nLast lines of the worker's stderr:\n").append(worker.outputTail());
    return new WorkerCrashedException(sb.toString(), cause);
  }

  private static String cut(String s) {
    return s.length() <= 8000 ? s : s.substring(0, 4000) + "\n...\n" + s.substring(s.length() - 4000);
  }
}
