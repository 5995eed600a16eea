package dev.pyworkers.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real interpreter behind a Python executable name, found by asking it for {@code sys.executable}. The benchmark
 * runs every case on the resolved path so that a launcher in between (a pyenv shim is a shell script) does not add
 * its own start time to the spawn case and flatter the fork-vs-spawn ratio. Immutable and thread-safe.
 *
 * @param requested the executable as given
 * @param executable the absolute path of the interpreter, or {@code requested} when Python does not know it
 * @param version the interpreter's version, for example {@code 3.11.7}
 */
record PythonInterpreter(String requested, String executable, String version) {
  private static final String SCRIPT =
      "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])";
  private static final long TIMEOUT_SECONDS = 30;

  /** Runs {@code requested -c ...} once; throws {@link IllegalStateException} naming the executable if it fails. */
  static PythonInterpreter resolve(String requested) {
    Process p;
    try {
      p = new ProcessBuilder(requested, "-c", SCRIPT).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start Python executable '" + requested + "': " + e.getMessage()
          + "; give a path or a name on PATH", e);
    }
    try {
      p.getOutputStream().close();
      String out = readAtMost(p.getInputStream(), 8192);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "Python executable '" + requested + "' did not print its version within " + TIMEOUT_SECONDS + " s");
      }
      List<String> lines = out.lines().map(String::strip).toList();
      if (p.exitValue() != 0 || lines.size() < 2 || !lines.get(lines.size() - 1).matches("\\d+\\.\\d+\\.\\d+")) {
        throw new IllegalStateException("Python executable '" + requested + "' exited with " + p.exitValue()
            + " instead of printing sys.executable and its version; output: " + shorten(out));
      }
      String executable = lines.get(lines.size() - 2);
      return new PythonInterpreter(
          requested, executable.isEmpty() ? requested : executable, lines.get(lines.size() - 1));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the output of Python executable '" + requested + "': " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking '" + requested + "' for its version", e);
    } finally {
      p.destroyForcibly();
    }
  }

  /** "path (Python x.y.z)", plus the requested name when it differs. */
  String describe() {
    String s = executable + " (Python " + version + ")";
    return executable.equals(requested) ? s : s + ", resolved from '" + requested + "'";
  }

  private static String readAtMost(InputStream in, int limit) throws IOException {
    byte[] bytes = in.readNBytes(limit);
    in.transferTo(OutputStream.nullOutputStream()); // drain the rest so the child never blocks
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String shorten(String s) {
    String oneLine = s.strip().replace('\n', ' ');
    return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "...";
  }
}
