package dev.pyworkers.arrow.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared-memory control frames (docs/protocol.md 7.10) against the golden files the worker's code writes
 * (python/tests/make_golden_arrow.py), and the name and range rules.
 */
class SharedMemoryFrameTest {
  static final Path DIR = Paths.get("..", "protocol", "golden", "arrow");

  @Test
  void theJvmsFrames_areTheGoldenBytes_andTheBatchFrameParsesBack() throws Exception {
    assertThat(SharedMemoryFrame.folder(262_144, "/dev/shm/f"))
        .isEqualTo(Files.readAllBytes(DIR.resolve("shm_folder_frame.bin")));
    byte[] batch = Files.readAllBytes(DIR.resolve("shm_batch_frame.bin"));
    assertThat(SharedMemoryFrame.batch(0, 640_368, "in-1")).isEqualTo(batch);
    assertThat(SharedMemoryFrame.parseBatch(batch)).isEqualTo(new SharedMemoryFrame.Batch(0, 640_368, "in-1"));
    assertThat(SharedMemoryFrame.kindOf(batch)).isEqualTo(SharedMemoryFrame.BATCH);
    assertThat(SharedMemoryFrame.kindOf(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0})).isZero();
    assertThat(SharedMemoryFrame.kindOf(ControlFrame.GROUP_END.encode(3))).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"../out-0", "a/b", ".out", "a..b", "é"})
  void aNameThatIsNotAPlainNameInTheFolder_isRejected(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] frame = ByteBuffer.allocate(20 + n.length).putInt(5).putLong(0).putLong(64).put(n).array();
    assertThatThrownBy(() -> SharedMemoryFrame.parseBatch(frame)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("a shared-memory file name is 1 to 64 of A-Z a-z 0-9 . _ -");
  }

  @Test
  void aBadOffsetOrLength_orNoName_isRejected() {
    assertThatThrownBy(() -> SharedMemoryFrame.parseBatch(SharedMemoryFrame.batch(4, 64, "out-0")))
        .hasMessageContaining("has offset 4 and length 64; the offset must be >= 0 and a multiple of 8");
    assertThatThrownBy(() -> SharedMemoryFrame.parseBatch(SharedMemoryFrame.batch(0, 1L << 31, "out-0")))
        .hasMessageContaining("length 2147483648");
    assertThatThrownBy(() -> SharedMemoryFrame.parseBatch(ByteBuffer.allocate(20).putInt(5).array()))
        .hasMessageContaining("too short for its name");
  }
}
