package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyworkers.internal.files.OwnerStamp;
import dev.pyworkers.internal.files.PrivateFolder;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What pyworkers makes in shared folders (runner scratch and faulthandler folders, broadcast files, the socket
 * folder, the Python package cache) never follows a link planted by another local user and never trusts a folder
 * another user made. Another user is simulated by chown to {@code nobody} (needs root; skipped otherwise).
 */
@ExtendWith(NoLeaks.class)
class FileSecurityTest {
  @TempDir Path shared;

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  static void giveToNobody(Path p) throws IOException {
    try {
      Files.setOwner(p, p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    } catch (IOException e) {
      assumeTrue(false, "cannot chown to nobody (not root): " + e);
    }
  }

  static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  PythonRunner pidRunner(WorkerRegistry registry, Path localDir) {
    return PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(localDir))
        .udf(PythonUdf.of(new int[] {0}, TestPython.source("import os\ndef f(x):\n    return os.getpid()\n", "f")))
        .build();
  }

  @Test
  void faulthandler_aLinkPlantedInTheOldSharedFolderForTheWorkersPid_isNeverFollowed() throws IOException {
    Path victim = Files.writeString(shared.resolve("victim.txt"), "precious data\n");
    Path planted = Files.createDirectory(shared.resolve("pyworkers-faulthandler"));
    Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = pidRunner(registry, shared)) {
      long pid = (Long) drain(runner.compute(List.<Object[]>of(new Object[] {0L}).iterator(), 0,
          TaskContext.of(0))).get(0);
      // another user plants a link named after the pooled worker's pid, which runs the next task
      Files.createSymbolicLink(planted.resolve(Long.toString(pid)), victim);
      giveToNobody(planted);
      long again = (Long) drain(runner.compute(List.<Object[]>of(new Object[] {0L}).iterator(), 1,
          TaskContext.of(1))).get(0);
      assertThat(again).as("the pooled worker ran the second task").isEqualTo(pid);
    }
    assertThat(Files.readString(victim)).isEqualTo("precious data\n");
    assertThat(names(shared)).containsExactly("pyworkers-faulthandler", "victim.txt");
  }

  @Test
  void runnerFolder_isPrivate_holds0600BroadcastFiles_andRunnersWithEqualSettingsShareOneFactory_andCloseRemovesIt()
      throws IOException {
    PythonFunction f = TestPython.source("from pyworkers.context import broadcast\ndef f(x):\n"
        + "    return broadcast(7)[x]\n", "f").withBroadcasts(List.of(Broadcast.of(7, List.of("a", "b"))));
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner one = PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(shared))
            .udf(PythonUdf.of(new int[] {0}, f)).build();
        PythonRunner two = PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(shared))
            .udf(PythonUdf.of(new int[] {0}, f)).build()) {
      assertThat(drain(one.compute(List.<Object[]>of(new Object[] {1L}).iterator(), 0, TaskContext.of(0))))
          .containsExactly("b");
      assertThat(drain(two.compute(List.<Object[]>of(new Object[] {0L}).iterator(), 1, TaskContext.of(1))))
          .containsExactly("a");
      assertThat(registry.factories()).as("per-runner folders stay out of the factory key").hasSize(1);
      List<String> folders = names(shared);
      assertThat(folders).hasSize(2).allMatch(n -> n.matches("pyworkers-runner-p\\d+-[0-9a-z]+-\\d+"));
      for (String name : folders) {
        Path dir = shared.resolve(name);
        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("faulthandler"))).isEqualTo("rwx------");
        assertThat(names(dir.resolve("faulthandler"))).as("a task that ended deleted its file").isEmpty();
      }
      Path broadcast = shared.resolve(folders.get(0)).resolve("broadcast-7.pickle");
      if (!Files.exists(broadcast)) broadcast = shared.resolve(folders.get(1)).resolve("broadcast-7.pickle");
      assertThat(mode(broadcast)).isEqualTo("rw-------");
    }
    assertThat(names(shared)).as("close() removed the runners' folders").isEmpty();
  }

  @Test
  void hardCrash_theTracebackFileIsReadIntoTheErrorThenDeleted_andCloseLeavesNothing() throws IOException {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(shared))
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n", "f"))).build()) {
      assertThatThrownBy(() -> drain(runner.compute(List.<Object[]>of(new Object[] {0L}).iterator(), 0,
          TaskContext.of(0))))
          .isInstanceOf(WorkerCrashedException.class)
          .hasMessageContaining("Python traceback (faulthandler)")
          .hasMessageContaining("Fatal Python error");
      List<String> folders = names(shared);
      assertThat(folders).hasSize(1);
      assertThat(names(shared.resolve(folders.get(0)).resolve("faulthandler"))).as("read, then deleted").isEmpty();
    }
    assertThat(names(shared)).isEmpty();
  }

  @Test
  void killedWorker_itsFaulthandlerFileIsDeletedWithTheTask_notOnlyWhenTheRunnerCloses() throws IOException {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).faulthandler(true).localDirs(List.of(shared))
            .taskIdleTimeout(java.time.Duration.ofMillis(500)).stallWarning(java.time.Duration.ZERO)
            .udf(PythonUdf.of(new int[] {0}, TestPython.source(
                "import time\ndef f(x):\n    time.sleep(60)\n", "f"))).build()) {
      assertThatThrownBy(() -> drain(runner.compute(List.<Object[]>of(new Object[] {0L}).iterator(), 0,
          TaskContext.of(0))))
          .isInstanceOf(TaskIdleTimeoutException.class);
      List<String> folders = names(shared);
      assertThat(folders).hasSize(1);
      assertThat(names(shared.resolve(folders.get(0)).resolve("faulthandler")))
          .as("the killed worker's file, which nothing will read").isEmpty();
    }
    assertThat(names(shared)).isEmpty();
  }

  @Test
  void socketFolder_plantedPywFoldersAndLinks_areNeitherUsedNorFollowedNorRemoved() throws IOException {
    Path victim = Files.createDirectory(shared.resolve("victim"));
    Files.writeString(victim.resolve("keep.txt"), "precious");
    String deadStamp = "p" + ProcessHandle.current().pid() + "-1";
    Path link = Files.createSymbolicLink(shared.resolve("pyw-" + deadStamp + "-1"), victim);
    Path foreign = Files.createDirectory(shared.resolve("pyw-" + deadStamp + "-2"));
    giveToNobody(foreign);
    Path oursDead = Files.createDirectory(shared.resolve("pyw-" + deadStamp + "-3"));
    Files.writeString(oursDead.resolve(PrivateFolder.OWNER_FILE), deadStamp + "\n" + OwnerStamp.pidSpace() + "\n");
    Files.writeString(oursDead.resolve("d1.sock"), "");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().socketFolder(shared).build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      factory.release(factory.create());
      List<String> now = names(shared);
      assertThat(now).contains(link.getFileName().toString(), foreign.getFileName().toString(), "victim")
          .doesNotContain(oursDead.getFileName().toString()).hasSize(4);
      Path mine = shared.resolve(now.stream().filter(n -> n.startsWith("pyw-p")
          && !n.startsWith("pyw-" + deadStamp)).findFirst().orElseThrow());
      assertThat(mode(mine)).isEqualTo("rwx------");
    }
    assertThat(names(shared)).containsExactly(link.getFileName().toString(), foreign.getFileName().toString(),
        "victim");
    assertThat(names(victim)).containsExactly("keep.txt");
    assertThat(Files.readString(victim.resolve("keep.txt"))).isEqualTo("precious");
  }

  /** The name of the extracted package folder, found by extracting once into a fresh cache. */
  String bundleName() throws IOException {
    Path fresh = shared.resolve("fresh-cache");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().cacheFolder(fresh).build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      factory.release(factory.create());
    }
    List<String> found = names(fresh);
    assertThat(found).hasSize(1).allMatch(n -> n.startsWith("python-"));
    assertThat(mode(fresh.resolve(found.get(0)))).isEqualTo("rwx------");
    return found.get(0);
  }

  void assertCacheRefused(Path cache, String... messageParts) {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().cacheFolder(cache).build())) {
      WorkerFactory factory = registry.factory(TestPython.env());
      var thrown = assertThatThrownBy(factory::create).isInstanceOf(WorkerStartException.class)
          .hasMessageContaining("cannot use the cache folder " + cache + " for the bundled pyworkers Python package")
          .hasMessageContaining("set WorkerConfig.cacheFolder to a writable folder of your own");
      for (String part : messageParts) thrown.hasMessageContaining(part);
    }
  }

  @Test
  void cacheFolder_ofAnotherUser_orWritableByOthers_orALink_isRefused() throws IOException {
    Path foreign = Files.createDirectory(shared.resolve("foreign-cache"));
    giveToNobody(foreign);
    assertCacheRefused(foreign, "belongs to nobody");
    Path open = Files.createDirectory(shared.resolve("open-cache"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertCacheRefused(open, "has mode rwxrwxrwx, writable by other users");
    Path target = Files.createDirectory(shared.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(shared.resolve("link-cache"), target);
    assertCacheRefused(link, "is a symbolic link");
    assertThat(names(target)).isEmpty();
  }

  @Test
  void cacheEntry_plantedLink_orAnotherUsersCompleteCopy_isRefusedAndNeverRun() throws IOException {
    String name = bundleName();
    Path evil = Files.createDirectories(shared.resolve("evil/pyworkers"));
    Files.writeString(evil.resolve("__init__.py"), "raise SystemExit('evil code ran')\n");
    Files.writeString(shared.resolve("evil/.complete"), "x\n");

    Path linked = Files.createDirectory(shared.resolve("cache-with-link"));
    Files.createSymbolicLink(linked.resolve(name), shared.resolve("evil"));
    assertCacheRefused(linked, linked.resolve(name) + " is a symbolic link");

    Path foreign = Files.createDirectory(shared.resolve("cache-with-foreign-copy"));
    Path copy = Files.createDirectories(foreign.resolve(name).resolve("pyworkers"));
    Files.writeString(copy.resolve("__init__.py"), "raise SystemExit('evil code ran')\n");
    Files.writeString(foreign.resolve(name).resolve(".complete"), "x\n");
    giveToNobody(foreign.resolve(name));
    assertCacheRefused(foreign, "folder " + foreign.resolve(name) + " belongs to nobody");
  }
}
