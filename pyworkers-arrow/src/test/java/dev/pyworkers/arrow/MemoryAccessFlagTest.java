package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import dev.pyworkers.testing.TestRun;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-opens=java.base/java.nio=...} gets, at its first use of this module, an error
 * that names the flag, not Arrow's own. The child JVM starts no Python, so no leak check applies.
 */
class MemoryAccessFlagTest {
  static final String FLAG = "--add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED";

  /** The child: makes a codec (first use), prints what it threw. */
  public static void main(String[] args) {
    try (RootAllocator allocator = new RootAllocator()) {
      ScalarArrowCodec.pandas(allocator, List.of(ArrowUdf.of(TestPython.reference("m:f"),
          new ArrowType.Int(64, true), 0)));
      System.out.println("NO ERROR");
    } catch (Throwable t) {
      System.out.println("THREW " + t.getClass().getName() + ": " + t.getMessage());
    }
  }

  @Test
  void aJvmWithoutTheFlag_getsAnErrorNamingTheFlag_atTheFirstUse() throws Exception {
    String out = runChild(false);
    assertThat(out).contains("THREW java.lang.IllegalStateException: Arrow Java cannot reach off-heap memory")
        .contains("start the JVM with " + FLAG);
  }

  @Test
  void aJvmWithTheFlag_usesTheModule() throws Exception {
    assertThat(runChild(true)).contains("NO ERROR");
  }

  private static String runChild(boolean withFlag) throws Exception {
    ProcessBuilder pb = TestRun.childJvm(withFlag ? List.of(FLAG) : List.of(), MemoryAccessFlagTest.class.getName())
        .redirectErrorStream(true);
    pb.environment().remove("JDK_JAVA_OPTIONS");
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child JVM ends").isTrue();
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
