package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The runner's core behaviour over every worker variant: daemon and simple, Unix and TCP. */
@ExtendWith(NoLeaks.class)
class RunnerModesTest {
  static Stream<Arguments> variants() {
    return FactoryBehaviourTest.allVariants();
  }


  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("variants")
  void udfAndNonUdfTasks_andAPythonError_onEveryVariant(WorkerMode mode, Transport transport) {
    WorkerConfig config = TestPython.config().mode(mode).transport(transport).build();
    PythonFunction inc = TestPython.source("def inc(x):\n    if x < 0:\n        raise ValueError('negative')\n"
        + "    return x + 1\n", "inc").withReturnType(ReturnType.LONG);
    PythonFunction echo = TestPython.source("def run(i, it):\n    for r in it:\n        yield r + b'!'\n", "run");
    try (WorkerRegistry registry = WorkerRegistry.create(config);
        PythonRunner udf = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, inc)).build();
        PythonRunner raw = PythonRunner.builder(registry).nonUdf(echo)
            .inputFormat(RecordFormat.BYTES).outputFormat(RecordFormat.BYTES).build()) {
      Iterator<Object[]> rows = LongStream.range(0, 10_000).mapToObj(i -> new Object[] {i}).iterator();
      TaskResults<Object> first = udf.compute(rows, 0, TaskContext.of(0));
      assertThat(drain(first)).isEqualTo(LongStream.range(1, 10_001).boxed().toList());

      Iterator<Object> records = IntStream.range(0, 1000)
          .mapToObj(i -> (Object) ("r" + i).getBytes(StandardCharsets.UTF_8)).iterator();
      List<Object> echoed = drain(raw.compute(records, 1, TaskContext.of(1)));
      assertThat(echoed).hasSize(1000);
      assertThat(new String((byte[]) echoed.get(999), StandardCharsets.UTF_8)).isEqualTo("r999!");

      assertThatThrownBy(() -> drain(udf.compute(List.<Object>of((Object) new Object[] {-1L}).iterator(), 2,
          TaskContext.of(2)))).isInstanceOf(PythonException.class).hasMessageContaining("negative");
      TaskResults<Object> after = udf.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 3,
          TaskContext.of(3));
      assertThat(drain(after)).containsExactly(2L);
      assertThat(after.metrics().reusedWorker()).isEqualTo(mode == WorkerMode.DAEMON);
    }
  }
}
