package dev.pyworkers.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks GatewayMain makes before it starts anything: the folder and the token. */
class GatewayMainTest {
  @TempDir Path tmp;

  private static ByteArrayInputStream stdin(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
  }

  private Path privateFolder() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("info"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return dir;
  }

  @Test
  void wrongArgumentsAreAUsageError() throws IOException {
    assertThat(GatewayMain.run(new String[] {"--port", "1"}, stdin(""))).isEqualTo(2);
  }

  @Test
  void aTokenThatIsNotHexIsRefusedAndNothingIsWritten() throws IOException {
    Path dir = privateFolder();
    assertThat(GatewayMain.run(new String[] {"--info-folder", dir.toString()}, stdin("not-a-token\n")))
        .isEqualTo(2);
    assertThat(GatewayMain.run(new String[] {"--info-folder", dir.toString()}, stdin(""))).isEqualTo(2);
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aFolderOthersCanReadIsRefused() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("open"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    assertThatThrownBy(() -> GatewayMain.run(new String[] {"--info-folder", dir.toString()},
        stdin("0123456789abcdef0123456789abcdef\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("rwxr-xr-x")
        .hasMessageContaining("chmod 700");
  }

  @Test
  void aLinkInPlaceOfTheFolderIsRefused() throws IOException {
    Path target = privateFolder();
    Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
    assertThatThrownBy(() -> GatewayMain.run(new String[] {"--info-folder", link.toString()},
        stdin("0123456789abcdef0123456789abcdef\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void theAuthTimeoutPropertyIsCheckedAndNamedInTheError() {
    assertThat(GatewayMain.authTimeoutMillis(null)).isEqualTo(10_000);
    assertThat(GatewayMain.authTimeoutMillis("250")).isEqualTo(250);
    for (String bad : new String[] {"99", "600001", "ten", "", "1.5"}) {
      assertThatThrownBy(() -> GatewayMain.authTimeoutMillis(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(GatewayMain.AUTH_TIMEOUT_PROPERTY)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("100 to 600000");
    }
  }

  @Test
  void theSpinPropertyIsCheckedAndNamedInTheError() {
    assertThat(GatewayMain.spinMicros(null)).isEqualTo(50);
    assertThat(GatewayMain.spinMicros("0")).isZero();
    assertThat(GatewayMain.spinMicros("10000")).isEqualTo(10_000);
    for (String bad : new String[] {"-1", "10001", "fast", "2e3"}) {
      assertThatThrownBy(() -> GatewayMain.spinMicros(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(GatewayMain.SPIN_PROPERTY)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("microseconds from 0 to 10000");
    }
  }
}
