package dev.pyworkers.internal.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerStartException;
import dev.pyworkers.testing.TestPython;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The union of the Python of several contributors (core's classes, jars, class folders), each with only its own. */
class PythonBundleTest {
  @TempDir Path tmp;

  /** Core's main classes: a folder in this module's build, the core jar elsewhere. */
  private static URL core() {
    return PythonBundle.class.getProtectionDomain().getCodeSource().getLocation();
  }

  private Path jar(String name, String module, String path, String content) throws IOException {
    Path jar = tmp.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry(BundleSources.MARKER));
      j.write((module + "\n").getBytes(StandardCharsets.UTF_8));
      j.putNextEntry(new JarEntry(BundleSources.ROOT + "/" + path));
      j.write(content.getBytes(StandardCharsets.UTF_8));
    }
    return jar;
  }

  private Path folder(String name, String module, String path, String content) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir.resolve(BundleSources.MARKER).getParent());
    Files.writeString(dir.resolve(BundleSources.MARKER), module + "\n");
    Path file = dir.resolve(BundleSources.ROOT).resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    return dir;
  }

  private static URLClassLoader loader(Path... extra) throws IOException {
    URL[] urls = new URL[extra.length + 1];
    urls[0] = core();
    for (int i = 0; i < extra.length; i++) urls[i + 1] = extra[i].toUri().toURL();
    return new URLClassLoader(urls, null);
  }

  @Test
  void extract_withAJarAndAFolderContributing_holdsTheUnionInOneTree_thatPythonImports() throws Exception {
    Path jar = jar("extra.jar", "pyworkers-extra", "pyworkers/extra_from_jar.py", "VALUE = 'jar'\n");
    Path dir = folder("extra-classes", "pyworkers-extra2", "pyworkers/extra_from_folder.py", "VALUE = 'folder'\n");
    Path bundle;
    try (URLClassLoader loader = loader(jar, dir)) {
      bundle = PythonBundle.extract(tmp.resolve("cache"), loader);
    }
    assertThat(bundle.resolve("pyworkers/daemon.py")).isRegularFile();
    assertThat(bundle.resolve("pyworkers/extra_from_jar.py")).hasContent("VALUE = 'jar'");
    assertThat(bundle.resolve("pyworkers/extra_from_folder.py")).hasContent("VALUE = 'folder'");

    Process p = new ProcessBuilder(TestPython.executable(), "-c",
        "import sys; sys.path.insert(0, sys.argv[1]); import pyworkers.worker, pyworkers.extra_from_jar as a, "
            + "pyworkers.extra_from_folder as b; print(a.VALUE + ' ' + b.VALUE)", bundle.toString())
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo("jar folder\n");
  }

  @Test
  void extract_ofADifferentUnion_usesADifferentFolder_andTheSameUnionTheSameFolder() throws Exception {
    Path jar = jar("extra.jar", "pyworkers-extra", "pyworkers/extra.py", "VALUE = 1\n");
    Path alone;
    Path with;
    Path again;
    try (URLClassLoader coreOnly = loader(); URLClassLoader union = loader(jar)) {
      alone = PythonBundle.extract(tmp.resolve("cache"), coreOnly);
      with = PythonBundle.extract(tmp.resolve("cache"), union);
      again = PythonBundle.extract(tmp.resolve("cache"), union);
    }
    assertThat(with).isNotEqualTo(alone).isEqualTo(again);
    assertThat(alone.resolve("pyworkers/extra.py")).doesNotExist();
  }

  @Test
  void extract_withTheSamePathAndTheSameBytesTwice_isFine() throws Exception {
    Path one = jar("one.jar", "pyworkers-extra", "pyworkers/extra.py", "VALUE = 1\n");
    Path two = jar("two.jar", "pyworkers-extra", "pyworkers/extra.py", "VALUE = 1\n");
    try (URLClassLoader loader = loader(one, two)) {
      assertThat(PythonBundle.extract(tmp.resolve("cache"), loader).resolve("pyworkers/extra.py"))
          .hasContent("VALUE = 1");
    }
  }

  @Test
  void extract_withTheSamePathAndDifferentBytes_failsNamingBothContributors() throws Exception {
    Path one = jar("one.jar", "pyworkers-extra", "pyworkers/extra.py", "VALUE = 1\n");
    Path two = folder("two-classes", "pyworkers-extra", "pyworkers/extra.py", "VALUE = 2\n");
    try (URLClassLoader loader = loader(one, two)) {
      assertThatThrownBy(() -> PythonBundle.extract(tmp.resolve("cache"), loader))
          .isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("the Python file pyworkers/extra.py comes from two pyworkers jars with different"
              + " content: " + one + " and " + two + "; put only one version of each pyworkers module on the"
              + " class path");
    }
    assertThat(tmp.resolve("cache")).doesNotExist();
  }

  @Test
  void extract_withACoreFileOverriddenByAnotherJar_failsNamingBoth() throws Exception {
    Path rogue = jar("rogue.jar", "rogue", "pyworkers/daemon.py", "raise SystemExit(1)\n");
    try (URLClassLoader loader = loader(rogue)) {
      assertThatThrownBy(() -> PythonBundle.extract(tmp.resolve("cache"), loader))
          .isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("pyworkers/daemon.py comes from two pyworkers jars")
          .hasMessageContaining(rogue.toString());
    }
  }

  @Test
  void extract_withAJarEntryThatLeavesTheFolder_isRefusedBeforeAnythingIsWritten() throws Exception {
    Path bad = jar("bad.jar", "bad", "pyworkers/../../escaped.py", "VALUE = 1\n");
    try (URLClassLoader loader = loader(bad)) {
      assertThatThrownBy(() -> PythonBundle.extract(tmp.resolve("cache"), loader))
          .isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("the jar entry dev/pyworkers/python/pyworkers/../../escaped.py is not a plain relative"
              + " path");
    }
    assertThat(tmp.resolve("cache")).doesNotExist();
  }

  @Test
  void extract_withNoContributor_saysTheCoreJarIsBroken() throws Exception {
    try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, null)) {
      assertThatThrownBy(() -> PythonBundle.extract(tmp.resolve("cache"), loader))
          .isInstanceOf(WorkerStartException.class)
          .hasMessageContaining(BundleSources.MARKER + " is missing from the class path");
    }
  }
}
