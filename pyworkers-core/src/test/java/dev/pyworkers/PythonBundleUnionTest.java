package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.util.Iterator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bundle is the union of every contributor on the class path: core's test classes contribute
 * {@code pyworkers/_test_contribution.py} through the same marker as the CLI jar's {@code pyworkers/jobs.py}, and a
 * real worker imports it beside core's own modules.
 */
@ExtendWith(NoLeaks.class)
class PythonBundleUnionTest {
  @Test
  void moduleFromAnotherClassPathEntry_isImportedByAWorker() {
    Iterator<Object[]> rows = LongStream.range(0, 3).mapToObj(i -> new Object[] {i}).iterator();
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "from pyworkers import _test_contribution\n"
                    + "def f(x):\n    return _test_contribution.tag(x)\n", "f")))
            .build()) {
      assertThat(drain(runner.compute(rows, 0, TaskContext.of(0))))
          .containsExactly("contributed-0", "contributed-1", "contributed-2");
    }
  }
}
