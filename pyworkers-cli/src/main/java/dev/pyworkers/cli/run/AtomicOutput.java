package dev.pyworkers.cli.run;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The output file, written to a temporary file next to it ({@code .OUT.pyworkers-<random>.tmp}) and renamed over it
 * by {@link #commit()}, so a failed or interrupted run never leaves a partial file under the output's name. One
 * compare-and-set decides between commit and {@link #abort()}. Thread-safe: one thread writes and commits; any
 * thread (the interrupt hook) may abort.
 */
public final class AtomicOutput implements AutoCloseable {
  private enum State { OPEN, COMMITTING, COMMITTED, ABORTED }

  private final Path target;
  private final Path temp;
  private final OutputStream out;
  private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
  private final CountDownLatch settled = new CountDownLatch(1);

  private AtomicOutput(Path target, Path temp, OutputStream out) {
    this.target = target;
    this.temp = temp;
    this.out = out;
  }

  /** Creates the temporary file next to {@code target}, with the permissions a new file gets (the umask's). */
  public static AtomicOutput create(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    byte[] random = new byte[6];
    new SecureRandom().nextBytes(random);
    Path temp = absolute.resolveSibling(
        "." + absolute.getFileName() + ".pyworkers-" + HexFormat.of().formatHex(random) + ".tmp");
    OutputStream os = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return new AtomicOutput(absolute, temp, new BufferedOutputStream(os, 1 << 20));
  }

  public Path temporaryFile() {
    return temp;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  /** Closes the temporary file and renames it to the output's name; false if the run was aborted first. */
  public boolean commit() throws IOException {
    if (!state.compareAndSet(State.OPEN, State.COMMITTING)) return false;
    try {
      out.close();
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      state.set(State.COMMITTED);
      return true;
    } catch (IOException | RuntimeException e) {
      state.set(State.ABORTED);
      Files.deleteIfExists(temp);
      throw e;
    } finally {
      settled.countDown();
    }
  }

  /**
   * Deletes the temporary file unless a commit got there first; a commit in progress is awaited up to a second.
   * Returns true if the output was left unwritten. Idempotent; never throws.
   */
  public boolean abort() {
    if (state.compareAndSet(State.OPEN, State.ABORTED)) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // reported by the caller's message naming the file; nothing else can be done here
        return false;
      } finally {
        settled.countDown();
        closeQuietly();
      }
      return true;
    }
    try {
      settled.await(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return state.get() == State.ABORTED;
  }

  /** Aborts unless committed. */
  @Override
  public void close() {
    abort();
  }

  private void closeQuietly() {
    try {
      out.close();
    } catch (IOException e) {
      // the temporary file is deleted already; a failed close of it loses nothing
    }
  }
}
