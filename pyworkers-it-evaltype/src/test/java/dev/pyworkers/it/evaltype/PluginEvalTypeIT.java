package dev.pyworkers.it.evaltype;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A third eval type, PWIT_PREFIX (9000), whose Java codec and Python handler come from this module's jar (failsafe
 * runs these after {@code package}, with the jar on the class path), through the public {@link PythonRunner}.
 */
@ExtendWith(NoLeaks.class)
class PluginEvalTypeIT {
  private static final PythonFunction UPPER = TestPython.source(
      "def up(s):\n    if s == 'bad':\n        raise ValueError('cannot take %r' % s)\n    return s.upper()\n", "up");

  static WorkerRegistry registry() {
    return WorkerRegistry.create(TestPython.config().build());
  }

  @Test
  void theCodecAndTheHandler_comeFromThisModulesJar() {
    String location = PrefixCodec.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    assertThat(location).as("failsafe must run against the built jar").endsWith(".jar")
        .contains("pyworkers-it-evaltype");
  }

  @Test
  void thirdEvalType_runsThroughThePublicRunner_withCorrectResultsAndMetrics() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).evalType(PrefixCodec.of("> ", UPPER)).build()) {
      assertThat(runner.evalType().code()).isEqualTo(9000);
      assertThat(runner.evalType().name()).isEqualTo("PWIT_PREFIX");
      TaskResults<Object> out = runner.compute(List.of("a", "bé", "").iterator(), 3, TaskContext.of(3));
      assertThat(drain(out)).containsExactly("> A", "> BÉ", "> ");
      assertThat(out.metrics().recordsIn()).isEqualTo(3);
      assertThat(out.metrics().recordsOut()).isEqualTo(3);
      TaskResults<Object> again = runner.compute(List.of("x").iterator(), 4, TaskContext.of(4));
      assertThat(drain(again)).containsExactly("> X");
      assertThat(again.metrics().reusedWorker()).isTrue();
    }
  }

  @Test
  void exceptionInTheHandlersUserFunction_reachesJavaAsPythonException_andTheWorkerIsReused() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).evalType(PrefixCodec.of("", UPPER)).build()) {
      TaskResults<Object> out = runner.compute(List.of("ok", "bad", "never").iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOfSatisfying(PythonException.class, e -> {
        assertThat(e.pythonType()).isEqualTo("ValueError");
        assertThat(e.pythonMessage()).isEqualTo("cannot take 'bad'");
        assertThat(e.traceback()).contains("in up").contains("ValueError: cannot take 'bad'");
      });
      out.close();
      TaskResults<Object> next = runner.compute(List.of("y").iterator(), 1, TaskContext.of(1));
      assertThat(drain(next)).containsExactly("Y");
      assertThat(next.metrics().reusedWorker()).isTrue();
    }
  }

  @Test
  void handlerWhoseDependencyIsMissing_failsThatTaskWithTheInstallHint_andTheWorkerServesTheNextTask() {
    try (WorkerRegistry registry = registry();
        PythonRunner missing = PythonRunner.builder(registry)
            .evalType(new PrefixCodec("pwit_evaltype.needs_missing:HANDLER", "", UPPER)).build();
        PythonRunner good = PythonRunner.builder(registry).evalType(PrefixCodec.of("+", UPPER)).build()) {
      TaskResults<Object> out = missing.compute(List.of("a", "b").iterator(), 0, TaskContext.of(0));
      assertThatThrownBy(() -> drain(out)).isInstanceOfSatisfying(PythonException.class, e -> {
        assertThat(e.pythonType()).isEqualTo("HandlerUnavailable");
        assertThat(e.pythonMessage()).contains("eval type 9000").contains("pwit_evaltype.needs_missing:HANDLER")
            .contains("'pwit_absent_dependency'").endsWith("pip install pwit-absent-dependency");
      });
      out.close();
      assertThat(registry.factories().iterator().next().stats().idle()).as("the worker went back to the pool")
          .isEqualTo(1);
      TaskResults<Object> next = good.compute(List.of("c").iterator(), 1, TaskContext.of(1));
      assertThat(drain(next)).containsExactly("+C");
      assertThat(next.metrics().reusedWorker()).isTrue();
    }
  }

  @Test
  void badInputElement_failsTheTaskWithTheCodecsMessage() {
    try (WorkerRegistry registry = registry();
        PythonRunner runner = PythonRunner.builder(registry).evalType(PrefixCodec.of("", UPPER)).build()) {
      TaskResults<Object> out = runner.compute(List.<Object>of("a", 7).iterator(), 2, TaskContext.of(2));
      assertThatThrownBy(() -> drain(out)).isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("record 1 of partition 2 is a java.lang.Integer; PWIT_PREFIX input records must be"
              + " String");
      out.close();
    }
  }
}
