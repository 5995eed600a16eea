package dev.pyworkers.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the bench commands that hand their work to another process share: the jar this CLI runs from, and running a
 * child with this process's standard streams until it ends (stopped with it if this thread is interrupted).
 * Stateless.
 */
final class ChildRuns {
  private ChildRuns() {}

  /** The jar the CLI's classes were loaded from, or null when they come from a classes folder (the tests). */
  static Path ownJar() {
    try {
      var source = ChildRuns.class.getProtectionDomain().getCodeSource();
      if (source == null) return null;
      Path p = Path.of(source.getLocation().toURI());
      return Files.isRegularFile(p) ? p.toAbsolutePath() : null;
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }

  /** Starts {@code pb} with the streams inherited and returns its exit code; a child left alive is stopped. */
  static int runInherited(ProcessBuilder pb) throws IOException, InterruptedException {
    Process p = pb.inheritIO().start();
    try {
      return p.waitFor();
    } finally {
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
      }
    }
  }
}
