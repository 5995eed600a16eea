package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.DataOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** EvalType as an open value class, and what the builder checks of a module's codec. */
@ExtendWith(NoLeaks.class)
class EvalTypeTest {
  @Test
  void builtIns_keepTheirCodesAndNames_andOfGivesTheConstants() {
    assertThat(EvalType.NON_UDF.code()).isZero();
    assertThat(EvalType.SQL_BATCHED_UDF.code()).isEqualTo(100);
    assertThat(EvalType.SQL_BATCHED_UDF).hasToString("SQL_BATCHED_UDF");
    assertThat(EvalType.of(0, "NON_UDF")).isSameAs(EvalType.NON_UDF);
    assertThat(EvalType.of(100, "SQL_BATCHED_UDF")).isSameAs(EvalType.SQL_BATCHED_UDF);
    EvalType mine = EvalType.of(9000, "MINE");
    assertThat(mine.code()).isEqualTo(9000);
    assertThat(mine.name()).isEqualTo("MINE");
    assertThat(mine.isBuiltIn()).isFalse();
    assertThat(mine).isEqualTo(EvalType.of(9000, "MINE")).isNotEqualTo(EvalType.NON_UDF);
  }

  @Test
  void of_refusesABuiltInCodeWithAnotherName_aNegativeCode_andABadName() {
    assertThatThrownBy(() -> EvalType.of(100, "MINE")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("eval type code 100 is the built-in SQL_BATCHED_UDF, not MINE; pick a code of your own (e.g."
            + " 9000 and up)");
    assertThatThrownBy(() -> EvalType.of(-1, "MINE")).hasMessage("eval type code must be >= 0, got -1 for MINE");
    assertThatThrownBy(() -> EvalType.of(9000, "my type")).hasMessageStartingWith("eval type name 'my type' (code"
        + " 9000) must be 1 to 100 characters of A-Z, 0-9 and _");
  }

  private static EvalTypeCodec codec(EvalType type, String handler) {
    return new EvalTypeCodec() {
      @Override public EvalType evalType() { return type; }
      @Override public String handler() { return handler; }
      @Override public List<PythonFunction> functions() { return List.of(); }
      @Override public void writeCommand(DataOutputStream out) {}
      @Override public TaskExchange newExchange(TaskInfo task) { throw new AssertionError("no task runs"); }
    };
  }

  @Test
  void builderEvalType_refusesBuiltInTypesAndHandlersThatAreNotModuleColonAttribute() {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      PythonRunner.Builder builder = PythonRunner.builder(registry);
      assertThatThrownBy(() -> builder.evalType(codec(EvalType.NON_UDF, "a:b")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("eval type NON_UDF is built in; build it with nonUdf(...), not evalType(codec)");
      assertThatThrownBy(() -> builder.evalType(codec(EvalType.of(9000, "MINE"), "nocolon")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the handler of eval type MINE is 'nocolon'; it must be 'module:attribute', e.g."
              + " 'mypkg.handler:HANDLER'");
      try (PythonRunner runner = builder.evalType(codec(EvalType.of(9000, "MINE"), "my.pkg:H")).build()) {
        assertThat(runner.evalType()).isEqualTo(EvalType.of(9000, "MINE"));
      }
      try (PythonRunner runner = builder.nonUdf(PythonFunction.reference("a:b")).build()) {
        assertThat(runner.evalType()).isSameAs(EvalType.NON_UDF);
      }
    }
  }
}
