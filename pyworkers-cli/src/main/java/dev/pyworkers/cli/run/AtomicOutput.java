package dev.pyworkers.cli.run;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The output file, written to a temporary file next to it ({@link TemporaryName}: {@code
 * .OUT.pyworkers-h<host>-<owner stamp>-<random>.tmp}) and renamed over it by {@link #commit()}, so a failed or
 * interrupted run never leaves a partial file under the output's name. It also owns the run's spill files (partition
 * output that did not fit in memory, {@code ...spill-<n>.tmp} beside it): every one is deleted by commit and by
 * abort. Every file is created with CREATE_NEW (O_CREAT|O_EXCL: an existing name, a planted link included, is refused,
 * never followed). Creating the first one removes what dead runs left in the folder ({@link StaleTemporaries}). The
 * rename replaces OUT's directory entry: if OUT is a symbolic link, the link is replaced by the new file and what it
 * pointed to is left untouched. One compare-and-set decides between commit and {@link #abort()}.
 *
 * <p>Thread-safe: one thread writes and commits; task threads create and release spill files; any thread (the
 * interrupt hook) may abort.
 */
public final class AtomicOutput implements AutoCloseable {
  private enum State { OPEN, COMMITTING, COMMITTED, ABORTED }

  private final Path target;
  private final TemporaryName name;
  private final Path temp;
  private final OutputStream out;
  private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
  private final CountDownLatch settled = new CountDownLatch(1);
  /** Guarded by {@code this}. */
  private final Set<Path> spills = new HashSet<>();
  /** Guarded by {@code this}. */
  private int nextSpill;

  private AtomicOutput(Path target, TemporaryName name, Path temp, OutputStream out) {
    this.target = target;
    this.name = name;
    this.temp = temp;
    this.out = out;
  }

  /** Creates the temporary file next to {@code target}, with the permissions a new file gets (the umask's). */
  public static AtomicOutput create(Path target) throws IOException {
    return create(target, TemporaryName.forTarget(target.toAbsolutePath()));
  }

  /** Creates the temporary output under {@code name} (tests plant a file at a name they know). */
  static AtomicOutput create(Path target, TemporaryName name) throws IOException {
    Path absolute = target.toAbsolutePath();
    StaleTemporaries.removeIn(absolute.getParent());
    Path temp = absolute.resolveSibling(name.output());
    return new AtomicOutput(absolute, name, temp, new BufferedOutputStream(createNew(temp), 1 << 20));
  }

  public Path temporaryFile() {
    return temp;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  /**
   * Creates a new spill file beside the temporary output and returns it with its stream open for writing; the caller
   * closes the stream and {@link #release releases} the file when done. Fails once the output is committed or
   * aborted.
   */
  public SpillFile newSpill() throws IOException {
    Path p;
    synchronized (this) {
      if (state.get() != State.OPEN) {
        throw new IOException("the run's output " + target + " is already "
            + state.get().name().toLowerCase(Locale.ROOT) + "; no spill file is made any more");
      }
      p = temp.resolveSibling(name.spill(nextSpill++));
      spills.add(p); // listed before it exists, so an abort racing the creation below still deletes it
    }
    OutputStream os;
    try {
      os = createNew(p);
    } catch (IOException e) {
      synchronized (this) {
        spills.remove(p); // not ours: whatever stands under that name is left alone
      }
      throw e;
    }
    synchronized (this) {
      if (state.get() == State.OPEN) return new SpillFile(p, os);
    }
    os.close();
    Files.deleteIfExists(p);
    throw new IOException("the run's output " + target + " was " + state.get().name().toLowerCase(Locale.ROOT)
        + " while a spill file was made");
  }

  /** Deletes a spill file whose content was copied to the output (or is no longer needed). */
  public void release(Path spill) throws IOException {
    synchronized (this) {
      spills.remove(spill);
    }
    Files.deleteIfExists(spill);
  }

  /** Closes the temporary file and renames it to the output's name; false if the run was aborted first. */
  public boolean commit() throws IOException {
    if (!state.compareAndSet(State.OPEN, State.COMMITTING)) return false;
    try {
      out.close();
      deleteSpills();
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      state.set(State.COMMITTED);
      return true;
    } catch (IOException | RuntimeException e) {
      state.set(State.ABORTED);
      Files.deleteIfExists(temp);
      deleteSpills();
      throw e;
    } finally {
      settled.countDown();
    }
  }

  /**
   * Deletes the temporary file and the spill files unless a commit got there first; a commit in progress is awaited
   * up to a second. Returns true if the output was left unwritten. Idempotent; never throws.
   */
  public boolean abort() {
    if (state.compareAndSet(State.OPEN, State.ABORTED)) {
      try {
        deleteSpills();
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

  private void deleteSpills() throws IOException {
    List<Path> all;
    synchronized (this) {
      all = new ArrayList<>(spills);
      spills.clear();
    }
    IOException first = null;
    for (Path p : all) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        if (first == null) first = e;
      }
    }
    if (first != null) throw first;
  }

  private static OutputStream createNew(Path p) throws IOException {
    try {
      return Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot create the temporary file " + p + ": something already exists under that name"
          + (Files.isSymbolicLink(p) ? " (a symbolic link, which pyworkers never follows)" : "")
          + "; remove it, or write OUT to a folder that only you can write to", e);
    }
  }

  private void closeQuietly() {
    try {
      out.close();
    } catch (IOException e) {
      // the temporary file is deleted already; a failed close of it loses nothing
    }
  }

  /** A spill file just made, and its stream open for writing. Not thread-safe: one task thread writes it. */
  public record SpillFile(Path path, OutputStream stream) {}
}
