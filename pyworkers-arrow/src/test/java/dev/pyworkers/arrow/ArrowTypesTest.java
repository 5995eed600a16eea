package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskContext;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every Arrow type of {@code types_data.py} (unsigned ints, large strings and binaries, timestamps of other units
 * and zones, durations, decimal(38, 10), lists, structs, maps, lists of structs; nulls at every level) through
 * identity functions of every kind of UDF, in real workers, daemon and simple: what comes back is what went in,
 * value for value and type for type. The input batches are the caller's, read from an IPC stream that pyarrow wrote.
 */
@ExtendWith(NoLeaks.class)
class ArrowTypesTest {
  static final String PANDAS = """
      def ident(s):
          return s

      def frames(it):
          for pdf in it:
              yield pdf

      def group(pdf):
          return pdf
      """;
  static final String ARROW = """
      def ident(a):
          return a

      def frames(it):
          for batch in it:
              yield batch

      def group(t):
          return t
      """;

  @TempDir Path dir;

  enum Kind { PANDAS, ARROW, ROWS }

  /** The batches of types_data.py for {@code sizes}, each moved into a root of its own in {@code allocator}. */
  List<VectorSchemaRoot> input(BufferAllocator allocator, int... sizes) throws Exception {
    Path script = dir.resolve("types_data.py");
    try (InputStream in = ArrowTypesTest.class.getResourceAsStream("types_data.py")) {
      Files.copy(in, script);
    }
    Path file = dir.resolve("types.arrows");
    List<String> command = new ArrayList<>(List.of(TestPython.executable(), script.toString(), file.toString()));
    for (int n : sizes) command.add(Integer.toString(n));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("types_data.py ends").isTrue();
      assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    List<VectorSchemaRoot> out = new ArrayList<>();
    try (FileInputStream in = new FileInputStream(file.toFile());
        ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
      VectorSchemaRoot read = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        VectorSchemaRoot own = VectorSchemaRoot.create(read.getSchema(), allocator);
        for (int c = 0; c < read.getFieldVectors().size(); c++) {
          read.getVector(c).makeTransferPair(own.getVector(c)).transfer();
        }
        own.setRowCount(read.getRowCount());
        out.add(own);
      }
    }
    return out;
  }

  static WorkerRegistry registry(WorkerMode mode) {
    return WorkerRegistry.create(TestPython.config().mode(mode).build());
  }

  static PythonFunction fn(String source, String name) {
    return TestPython.source(source, name);
  }

  /** Batch {@code got}, columns {@code _0.._{n-1}} or the input's names, equals {@code want} column by column. */
  static void assertSameColumns(VectorSchemaRoot want, VectorSchemaRoot got, String what) {
    assertThat(got.getRowCount()).as(what + ": rows").isEqualTo(want.getRowCount());
    for (int c = 0; c < want.getFieldVectors().size(); c++) {
      FieldVector w = want.getVector(c);
      FieldVector g = got.getVector(c);
      String column = what + ", column " + w.getName() + " (" + w.getField().getType() + ")";
      assertThat(g.getField().getType()).as(column).isEqualTo(w.getField().getType());
      for (int r = 0; r < want.getRowCount(); r++) {
        assertThat(show(g.getObject(r))).as(column + ", row " + r).isEqualTo(show(w.getObject(r)));
      }
    }
  }

  private static String show(Object value) {
    return value instanceof byte[] bytes ? java.util.Arrays.toString(bytes) : String.valueOf(value);
  }

  @org.junit.jupiter.api.Test
  void aNestedResultTypeWithoutItsChildren_failsAtOnce_sayingWhatToPass() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.of(fn(ARROW, "ident"), ArrowType.List.INSTANCE,
        0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("result type List has children, which an ArrowType alone does not declare; pass a"
            + " Field with its children instead");
  }

  @org.junit.jupiter.api.Test
  void aResultFieldWithTheWrongChildren_orADictionary_failsAtOnce_namingTheFieldAndTheRule() {
    PythonFunction f = fn(ARROW, "ident");
    Field item = Field.nullable("item", new ArrowType.Int(64, true));
    Field bareList = new Field("xs", org.apache.arrow.vector.types.pojo.FieldType.nullable(ArrowType.List.INSTANCE),
        List.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.of(f, bareList, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("result " + bareList + ": its field xs of type List has 0 children, but a List has"
            + " exactly one; for example new Field(");
    Field emptyStruct = new Field("s", org.apache.arrow.vector.types.pojo.FieldType.nullable(ArrowType.Struct.INSTANCE),
        List.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.of(f, new Field("outer",
        org.apache.arrow.vector.types.pojo.FieldType.nullable(ArrowType.List.INSTANCE), List.of(emptyStruct)), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(": its field s of type Struct has 0 children, but a struct has at least one");
    Field intWithChild = new Field("n", org.apache.arrow.vector.types.pojo.FieldType.nullable(
        new ArrowType.Int(64, true)), List.of(item));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.chain(List.of(f), intWithChild, 0))
        .hasMessageContaining("its field n of type Int(64, true) has 1 children, but a Int has none");
    Field dictionary = new Field("d", new org.apache.arrow.vector.types.pojo.FieldType(true,
        new ArrowType.Int(32, true), new org.apache.arrow.vector.types.pojo.DictionaryEncoding(1, false, null)),
        null);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.of(f, dictionary, 0))
        .hasMessageContaining("is dictionary-encoded (d), which a result cannot be");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowUdf.of(f, (Field) null, 0))
        .isInstanceOf(NullPointerException.class).hasMessage("result");
    org.assertj.core.api.Assertions.assertThat(ArrowUdf.of(f, new Field("xs",
        org.apache.arrow.vector.types.pojo.FieldType.notNullable(ArrowType.List.INSTANCE), List.of(item)), 0)
        .resultField().isNullable()).isFalse();
  }

  @org.junit.jupiter.api.Test
  void nullArgumentsOfTheCogroupApi_nameTheArgument() {
    List<VectorSchemaRoot> none = List.of();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowCogroup.of(null, none, none)).hasMessage("key");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowCogroup.of(List.of(), null, none))
        .hasMessage("left");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowCogroups.sortedBy(none.iterator(), null,
        none.iterator(), new int[] {0})).hasMessage("leftKeys");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArrowCogroups.sortedBy(none.iterator(), new int[] {0},
        none.iterator(), null)).hasMessage("rightKeys");
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void identityScalarUdfs_ofEveryKind_giveBackEveryTypeExactly(WorkerMode mode) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = input(allocator, 40, 0, 7);
      try (WorkerRegistry registry = registry(mode)) {
        for (Kind kind : Kind.values()) {
          String source = kind == Kind.PANDAS ? PANDAS : kind == Kind.ARROW ? ARROW : "def ident(v):\n    return v\n";
          List<ArrowUdf> udfs = new ArrayList<>();
          List<Field> fields = input.get(0).getSchema().getFields();
          for (int c = 0; c < fields.size(); c++) udfs.add(ArrowUdf.of(fn(source, "ident"), fields.get(c), c));
          ScalarArrowCodec codec = kind == Kind.PANDAS ? ScalarArrowCodec.pandas(allocator, udfs)
              : kind == Kind.ARROW ? ScalarArrowCodec.arrow(allocator, udfs) : ScalarArrowCodec.rows(allocator, udfs);
          try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
            List<Object> got = drain(runner.compute(input.iterator(), 0, TaskContext.of(0)));
            try {
              assertThat(got).hasSize(input.size());
              for (int b = 0; b < input.size(); b++) {
                assertSameColumns(input.get(b), (VectorSchemaRoot) got.get(b), kind + " batch " + b);
              }
            } finally {
              ArrowData.closeAll(got);
            }
          }
        }
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void identityMapAndGroupedMapUdfs_giveBackEveryTypeExactly(WorkerMode mode) throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = input(allocator, 25, 12);
      Schema schema = input.get(0).getSchema();
      try (WorkerRegistry registry = registry(mode)) {
        for (boolean pandas : new boolean[] {true, false}) {
          String source = pandas ? PANDAS : ARROW;
          MapArrowCodec map = pandas ? MapArrowCodec.pandas(allocator, fn(source, "frames"), schema)
              : MapArrowCodec.arrow(allocator, fn(source, "frames"), schema);
          try (PythonRunner runner = PythonRunner.builder(registry).evalType(map).build()) {
            List<Object> got = drain(runner.compute(input.iterator(), 0, TaskContext.of(0)));
            try {
              assertThat(got).hasSize(input.size());
              for (int b = 0; b < input.size(); b++) {
                assertSameColumns(input.get(b), (VectorSchemaRoot) got.get(b), (pandas ? "mapInPandas" : "mapInArrow")
                    + " batch " + b);
              }
            } finally {
              ArrowData.closeAll(got);
            }
          }
          // one group per batch, keyed by nothing: each group comes back whole, in order
          GroupedMapCodec.Builder b = GroupedMapCodec.builder(allocator, fn(source, "group"), schema);
          GroupedMapCodec grouped = pandas ? b.pandas() : b.arrow();
          List<ArrowGroup> groups = new ArrayList<>();
          for (VectorSchemaRoot root : input) groups.add(ArrowGroup.of(List.of(), List.of(root)));
          try (PythonRunner runner = PythonRunner.builder(registry).evalType(grouped).build()) {
            List<Object> got = drain(runner.compute(groups.iterator(), 0, TaskContext.of(0)));
            try {
              assertThat(got).hasSize(input.size());
              for (int i = 0; i < input.size(); i++) {
                assertSameColumns(input.get(i), (VectorSchemaRoot) got.get(i), (pandas ? "applyInPandas"
                    : "applyInArrow") + " group " + i);
              }
            } finally {
              ArrowData.closeAll(got);
            }
          }
        }
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }
}
