package dev.pyworkers.testing;

import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.WorkerFactory;
import dev.pyworkers.WorkerRegistry;
import java.nio.file.Path;
import java.util.List;

/**
 * A child JVM for leftover tests: {@code RegistryChild <socket folder> <local dir>} opens a registry with a daemon and
 * a pooled worker, and a runner with the faulthandler on, prints {@code ready}, and waits for its stdin to end; then
 * it closes everything and exits 0. A test kills it with SIGKILL to leave its folders behind.
 */
public final class RegistryChild {
  private RegistryChild() {}

  public static void main(String[] args) throws Exception {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().socketFolder(Path.of(args[0])).build());
        PythonRunner runner = PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(Path.of(args[1])))
            .udf(PythonUdf.of(new int[] {0}, TestPython.source("def f(x):\n    return x\n", "f"))).build()) {
      WorkerFactory factory = registry.factory(TestPython.env());
      factory.release(factory.create());
      System.out.println("ready");
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
  }
}
