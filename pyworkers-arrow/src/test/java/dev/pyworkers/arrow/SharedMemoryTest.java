package dev.pyworkers.arrow;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.PythonException;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.testing.NoLeaks;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The shared-memory path of the scalar eval types (docs/protocol.md section 7.10) against real workers: results equal
 * the socket path's for every type, batches at the threshold go as files and those below it over the socket, a
 * folder that cannot be used falls back to the socket, and no file or folder is left on any exit path. Each test uses
 * a folder of its own in place of /dev/shm, so that what is left there can be listed.
 */
@ExtendWith(NoLeaks.class)
class SharedMemoryTest {
  /** An Arrow UDF whose value per row is how many input slot files the task's folder in {@code %s} has so far. */
  static final String SLOT_FILES = """
      import glob
      import pyarrow as pa

      def slots(a):
          n = len(glob.glob(%s + '/pyworkers-arrow-*/in-*'))
          return pa.array([n] * len(a), type=pa.int64())
      """;

  @TempDir Path dir;
  @TempDir Path shm;

  String slotFiles() {
    return SLOT_FILES.formatted("'" + shm + "'");
  }

  static WorkerRegistry registry(WorkerMode mode) {
    return ArrowTypesTest.registry(mode);
  }

  /** What is left in the shared-memory folder: nothing, after every task. */
  List<Path> leftovers() throws Exception {
    try (Stream<Path> s = Files.list(shm)) {
      return s.toList();
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void everyType_throughFiles_equalsTheSocketPath_forEveryKindOfUdf(WorkerMode mode) throws Exception {
    ArrowTypesTest types = new ArrowTypesTest();
    types.dir = dir;
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = types.input(allocator, 40, 0, 7, 3000);
      try (WorkerRegistry registry = registry(mode)) {
        for (ArrowTypesTest.Kind kind : ArrowTypesTest.Kind.values()) {
          String source = kind == ArrowTypesTest.Kind.PANDAS ? ArrowTypesTest.PANDAS
              : kind == ArrowTypesTest.Kind.ARROW ? ArrowTypesTest.ARROW : "def ident(v):\n    return v\n";
          List<ArrowUdf> udfs = new ArrayList<>();
          List<Field> fields = input.get(0).getSchema().getFields();
          for (int c = 0; c < fields.size(); c++) {
            udfs.add(ArrowUdf.of(ArrowTypesTest.fn(source, "ident"), fields.get(c), c));
          }
          ScalarArrowCodec codec = kind == ArrowTypesTest.Kind.PANDAS ? ScalarArrowCodec.pandas(allocator, udfs)
              : kind == ArrowTypesTest.Kind.ARROW ? ScalarArrowCodec.arrow(allocator, udfs)
              : ScalarArrowCodec.rows(allocator, udfs);
          List<Object> bySocket = run(registry, codec.withSharedMemory(SharedMemory.off()), input);
          List<Object> byFiles = run(registry, codec.withSharedMemory(SharedMemory.in(shm, 0)), input);
          try {
            assertThat(byFiles).hasSameSizeAs(bySocket);
            for (int b = 0; b < bySocket.size(); b++) {
              ArrowTypesTest.assertSameColumns((VectorSchemaRoot) bySocket.get(b), (VectorSchemaRoot) byFiles.get(b),
                  kind + " batch " + b);
            }
            assertThat(leftovers()).as(kind + ": nothing left in the folder").isEmpty();
          } finally {
            ArrowData.closeAll(bySocket);
            ArrowData.closeAll(byFiles);
          }
        }
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  static List<Object> run(WorkerRegistry registry, ScalarArrowCodec codec, List<VectorSchemaRoot> input) {
    try (PythonRunner runner = PythonRunner.builder(registry).evalType(codec).build()) {
      return drain(runner.compute(input.iterator(), 0, TaskContext.of(0)));
    }
  }

  /** The bytes of {@code root}'s record batch message, as the socket path sends it. */
  static long messageSize(VectorSchemaRoot root) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), batch);
    }
    return bytes.size();
  }

  @Test
  void aBatchOfExactlyTheThreshold_goesAsAFile_andOneByteAbove_itGoesOverTheSocket() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 2, 1000);
      long size = messageSize(input.get(0));
      try (WorkerRegistry registry = registry(WorkerMode.DAEMON)) {
        ScalarArrowCodec codec = ScalarArrowCodec.arrow(allocator, List.of(
            ArrowUdf.of(ArrowTypesTest.fn(slotFiles(), "slots"), new ArrowType.Int(64, true), 0)));
        // the JVM may have written slot 1 too by the time batch 0 runs; batch 1 runs once both exist
        List<Long> files = slotsPerBatch(registry, codec.withSharedMemory(SharedMemory.in(shm, size)), input);
        assertThat(files.get(0)).isBetween(1L, 2L);
        assertThat(files.get(1)).isEqualTo(2L);
        assertThat(slotsPerBatch(registry, codec.withSharedMemory(SharedMemory.in(shm, size + 1)), input))
            .containsExactly(0L, 0L);
        assertThat(slotsPerBatch(registry, codec.withSharedMemory(SharedMemory.off()), input))
            .containsExactly(0L, 0L);
        assertThat(leftovers()).isEmpty();
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  /** Row 0 of each result batch of the {@code slots} UDF. */
  static List<Long> slotsPerBatch(WorkerRegistry registry, ScalarArrowCodec codec, List<VectorSchemaRoot> input) {
    List<Object> got = run(registry, codec, input);
    try {
      List<Long> firsts = new ArrayList<>();
      for (Object o : got) firsts.add(((BigIntVector) ((VectorSchemaRoot) o).getVector(0)).get(0));
      return firsts;
    } finally {
      ArrowData.closeAll(got);
    }
  }

  @Test
  void manyMoreBatchesThanSlots_eachComeBackWithItsOwnValues_inOrder() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 25, 5000);
      try (WorkerRegistry registry = registry(WorkerMode.DAEMON)) {
        ScalarArrowCodec codec = ScalarArrowCodec.arrow(allocator, List.of(
            ArrowUdf.of(ArrowTypesTest.fn(ScalarUdfTest.ARROW_SOURCE, "plus_one"), new ArrowType.Int(64, true), 0)))
            .withSharedMemory(SharedMemory.in(shm, 0));
        List<Object> got = run(registry, codec, input);
        try {
          assertThat(got).hasSize(25);
          for (int b = 0; b < 25; b++) {
            BigIntVector v = (BigIntVector) ((VectorSchemaRoot) got.get(b)).getVector(0);
            assertThat(v.getValueCount()).isEqualTo(5000);
            for (int r = 0; r < 5000; r += 499) assertThat(v.get(r)).isEqualTo(b * 5000L + r + 1);
          }
        } finally {
          ArrowData.closeAll(got);
        }
        assertThat(leftovers()).isEmpty();
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @Test
  void aFolderThatIsMissingOrAFile_fallsBackToTheSocket_withTheSameResults() throws Exception {
    Path file = Files.writeString(shm.resolve("not-a-folder"), "x");
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 3, 1000);
      try (WorkerRegistry registry = registry(WorkerMode.DAEMON)) {
        ScalarArrowCodec codec = ScalarArrowCodec.arrow(allocator, List.of(
            ArrowUdf.of(ArrowTypesTest.fn(slotFiles(), "slots"), new ArrowType.Int(64, true), 0)));
        for (Path folder : List.of(shm.resolve("missing"), file)) {
          assertThat(slotsPerBatch(registry, codec.withSharedMemory(SharedMemory.in(folder, 0)), input))
              .as("batches via %s", folder).containsExactly(0L, 0L, 0L);
        }
        assertThat(shm.resolve("missing")).doesNotExist();
        assertThat(leftovers()).containsExactly(file);
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WorkerMode.class)
  void aUdfException_aCrashAndACancel_leaveNoFileAndNoFolder(WorkerMode mode) throws Exception {
    Path started = dir.resolve("started");
    String src = """
        import os, time

        def boom(a):
            if a[0].as_py() >= 2000:
                raise ValueError('no good')
            return a

        def die(a):
            if a[0].as_py() >= 2000:
                os._exit(3)
            return a

        def slow(a):
            if a[0].as_py() >= 2000:
                open(%s, 'w').close()
                time.sleep(600)
            return a
        """.formatted("'" + started + "'");
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> input = ScalarUdfTest.longs(allocator, 9, 1000);
      try (WorkerRegistry registry = registry(mode)) {
        Map<String, Class<? extends RuntimeException>> failures = Map.of("boom", PythonException.class, "die",
            WorkerCrashedException.class);
        for (Map.Entry<String, Class<? extends RuntimeException>> f : failures.entrySet()) {
          try (PythonRunner runner = runner(registry, allocator, src, f.getKey())) {
            List<Object> got = new ArrayList<>();
            try (TaskResults<Object> out = runner.compute(input.iterator(), 0, TaskContext.of(0))) {
              assertThatThrownBy(() -> {
                while (out.hasNext()) got.add(out.next());
              }).isInstanceOf(f.getValue());
            } finally {
              ArrowData.closeAll(got);
            }
          }
          assertThat(leftovers()).as("after " + f.getKey()).isEmpty();
        }
        try (PythonRunner runner = runner(registry, allocator, src, "slow")) {
          TaskContext ctx = TaskContext.of(0);
          List<Object> got = new ArrayList<>();
          try (TaskResults<Object> out = runner.compute(input.iterator(), 0, ctx)) {
            // batches 0 and 1 are answered (the answers may wait in the worker's output buffer), batch 2 sleeps
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
            assertThat(leftovers()).as("the task's folder while it runs").hasSize(1);
            ctx.interrupt("test cancel");
            assertThatThrownBy(() -> {
              while (out.hasNext()) got.add(out.next());
            }).isInstanceOf(TaskCancelledException.class);
          } finally {
            ArrowData.closeAll(got);
          }
        }
        assertThat(leftovers()).as("after a cancel").isEmpty();
      } finally {
        ArrowData.closeAll(input);
      }
    }
  }

  PythonRunner runner(WorkerRegistry registry, BufferAllocator allocator, String src, String name) {
    return PythonRunner.builder(registry).evalType(ScalarArrowCodec.arrow(allocator, List.of(
        ArrowUdf.of(ArrowTypesTest.fn(src, name), new ArrowType.Int(64, true), 0)))
        .withSharedMemory(SharedMemory.in(shm, 0))).build();
  }

  @Test
  void settings_fromProperties_defaultAndCheckEachKey() {
    SharedMemory d = SharedMemory.fromProperties(k -> null);
    assertThat(d.threshold()).isEqualTo(SharedMemory.DEFAULT_THRESHOLD);
    assertThat(d.folder()).isEqualTo(Path.of("/dev/shm"));
    assertThat(d.enabled()).as("off unless asked for").isFalse();
    SharedMemory set = SharedMemory.fromProperties(Map.of(SharedMemory.ENABLED_PROPERTY, "TRUE",
        SharedMemory.THRESHOLD_PROPERTY, "4096", SharedMemory.FOLDER_PROPERTY, shm.toString())::get);
    assertThat(set).isEqualTo(SharedMemory.in(shm, 4096));
    assertThat(SharedMemory.fromProperties(Map.of(SharedMemory.ENABLED_PROPERTY, "false")::get).enabled())
        .isFalse();

    assertThatThrownBy(() -> SharedMemory.fromProperties(Map.of(SharedMemory.ENABLED_PROPERTY, "yes")::get))
        .hasMessage("pyworkers.arrow.sharedMemory = 'yes' is neither true nor false");
    assertThatThrownBy(() -> SharedMemory.fromProperties(Map.of(SharedMemory.THRESHOLD_PROPERTY, "1k")::get)).hasMessage("pyworkers.arrow.sharedMemory.threshold = '1k' is not a number of bytes in"
            + " 0..1073741824; give one such as 262144");
    assertThatThrownBy(() -> SharedMemory.fromProperties(Map.of(SharedMemory.THRESHOLD_PROPERTY, "-1")::get)).hasMessageStartingWith("pyworkers.arrow.sharedMemory.threshold = '-1' is not a number of bytes");
    assertThatThrownBy(() -> SharedMemory.fromProperties(Map.of(SharedMemory.FOLDER_PROPERTY, "shm")::get)).hasMessage("pyworkers.arrow.sharedMemory.folder = 'shm' is not an absolute path; give a folder"
            + " such as /dev/shm");
    assertThatThrownBy(() -> SharedMemory.in(shm, SharedMemory.MAX_THRESHOLD + 1))
        .hasMessage("the shared-memory threshold must be 0..1073741824 bytes, got 1073741825");
  }
}
