package dev.pyworkers.bench;

import dev.pyworkers.WorkerConfig;
import dev.pyworkers.internal.bundle.PythonBundle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The in-process baseline of {@link ThroughputBenchmark}: one long-lived Python subprocess, on the same interpreter
 * as the workers, that times one thing per command, so that the benchmark can time the baseline of each round right
 * beside that round's tasks (paired) instead of all at once before them: on a shared machine the speed drifts over
 * seconds, and a baseline timed earlier than the tasks it is compared with carries that drift into the ratio.
 *
 * <p>At {@link #start} it execs each function's source text (the very text the workers get) and builds the values
 * of every function once, untimed, with the batches pickled as the JVM sends them (the typed form of
 * {@code docs/protocol.md} section 5.2 for ints, else protocol 2; functions with the same kind of values share them).
 * Then each command times once, with {@code time.perf_counter_ns}:
 *
 * <ul>
 *   <li>{@link #loopNanos}: {@code out = []; for v in values: out.append(f(v))}, the baseline of every ratio;
 *   <li>{@link #mapNanos}: {@code list(map(f, values))}, reported beside it;
 *   <li>{@link #workerUdfNanos}: what a SQL_BATCHED_UDF worker does to the data without the socket, with the
 *       worker's own code (the bundled {@code pyworkers} package): for each batch, decode it, apply the UDF and
 *       pickle the results (as raw 64-bit ints for a LONG function);
 *   <li>{@link #workerNonUdfNanos}: the same for a NON_UDF task with pickled batches: the decoded frames chained into
 *       records, the NON_UDF function, its output cut into lists of the batch size and pickled.
 * </ul>
 *
 * Every timing checks the number of results, and results are freed outside the timed section. {@link #sample} gives
 * one output batch of a function as the worker would pickle it, from the middle of the values, so the JVM-side costs
 * can be timed on real Python pickles. The Python script is a text block below (standard library only).
 *
 * <p>Protocol: one command line on the subprocess's stdin, one answer line on its stdout that repeats the command
 * and the function key: {@code define KEY NAME KIND SOURCE NON_UDF_SOURCE RETURN_TYPE} (sources in base64) answers
 * {@code define KEY FRAMES}; {@code loop|map|udf|nonudf KEY} answers {@code loop|map|udf|nonudf KEY NANOS};
 * {@code sample KEY} answers {@code sample KEY START BASE64}. Whatever else the Python code prints goes to its stderr,
 * which is kept in a temporary file for error messages. The subprocess exits at the end of its stdin, so it also
 * ends on its own when this JVM dies.
 *
 * <p>Each command waits at most the command timeout ({@link #COMMAND_TIMEOUT} by default) for its answer. Any failure
 * (no answer in time, the subprocess ended, an unexpected answer) kills the subprocess and throws an
 * {@link IllegalStateException} with the tail of its stderr; {@link #close} kills it and waits until it is gone.
 *
 * <p>Not thread-safe: one thread sends the commands; an internal daemon thread reads the answers into a queue.
 */
final class ThroughputBaseline implements AutoCloseable {
  /** How long one command may take: generous, a hung subprocess must not hang the benchmark forever. */
  static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(10);
  /** How long a killed subprocess gets to disappear before {@link #close} gives up on it. */
  private static final Duration EXIT_GRACE = Duration.ofSeconds(10);
  /** Put on the answer queue by the reader thread when the subprocess's stdout ends. */
  private static final Object END = new Object();
  private static final String PROTOCOL_HINT = "the baseline script and ThroughputBaseline.java disagree on the"
      + " protocol; fix whichever is wrong";
  static final String SCRIPT = """
      import base64, pickle, sys, time
      from itertools import chain

      rows, batch = int(sys.argv[1]), int(sys.argv[2])
      sys.path.insert(0, sys.argv[3])  # the pyworkers package the workers run, for the worker-alone timings
      from pyworkers.functions import Udf, batch_mapper
      from pyworkers.protocol import SerializerKind
      from pyworkers.serializers import BatchPickler, Int64BatchPickler, loads_batch, write_records
      perf = time.perf_counter_ns
      answers, sys.stdout = sys.stdout, sys.stderr  # whatever else prints goes to stderr, never into the answers

      def frame(chunk, typed=Int64BatchPickler().dumps):
          # as the JVM pickles a batch: for 32 or more ints the typed form (the very bytes of the worker's LONG
          # results), else plain protocol 2
          if len(chunk) >= 32 and all(type(v) is int for v in chunk):
              return typed(chunk)
          return pickle.dumps(chunk, 2)

      def loop(f, values):
          out = []
          for v in values:
              out.append(f(v))
          return out

      def mapped(f, values):
          return list(map(f, values))

      def worker_udf(f, frames, int64):
          # the worker's own code for a task of one UDF over bare values (task.py), without the socket
          mapper = batch_mapper([Udf((0,), (f,), "UDF 1")], bare=True)
          dumps = (Int64BatchPickler() if int64 else BatchPickler()).dumps
          return [dumps(mapper(loads_batch(frame))) for frame in frames]

      class Frames(list):
          # write_records writes a small frame's length and bytes in one call, a large one's in two: keep the data
          def write(self, data):
              if len(data) > 4:
                  self.append(data)

      def worker_non_udf(run, frames):
          # the worker's own code for a pickled-batches NON_UDF task (serializers.py), without the socket
          out = Frames()
          records = chain.from_iterable(map(loads_batch, frames))
          write_records(out.write, run(0, records), SerializerKind.PICKLED_BATCHES, batch)
          return out

      def timed(call, size):
          start = perf()
          out = call()
          took = perf() - start
          if len(out) != size:
              raise SystemExit("baseline produced %d results instead of %d" % (len(out), size))
          del out
          return str(took)

      data, functions = {}, {}

      def define(key, name, kind, source, non_udf_source, returns):
          if kind not in ("str", "long"):
              raise SystemExit("unknown kind of values %r for %s; expected str or long" % (kind, key))
          space = {}
          exec(compile(source, "<udf>", "exec"), space)
          f = space[name]
          space = {}
          exec(compile(non_udf_source, "<udf>", "exec"), space)
          run = space["run"]
          if kind not in data:
              values = ["row%d" % i for i in range(rows)] if kind == "str" else list(range(rows))
              frames = [frame(values[i:i + batch]) for i in range(0, rows, batch)]
              if frames and pickle.loads(frames[-1]) != values[(len(frames) - 1) * batch:]:
                  raise SystemExit("the typed frames do not unpickle to their values")
              data[kind] = values, frames
          functions[key] = (f, run, returns == "LONG") + data[kind]
          return str(len(data[kind][1]))

      def answer(words):
          command, key = words[0], words[1]
          if command == "define":
              source, non_udf_source = (base64.b64decode(w).decode("utf-8") for w in words[4:6])
              return define(key, words[2], words[3], source, non_udf_source, words[6])
          if key not in functions:
              raise SystemExit("no function %r was defined; defined: %s" % (key, sorted(functions)))
          f, run, int64, values, frames = functions[key]
          if command == "loop":
              return timed(lambda: loop(f, values), rows)
          if command == "map":
              return timed(lambda: mapped(f, values), rows)
          if command == "udf":
              return timed(lambda: worker_udf(f, frames, int64), len(frames))
          if command == "nonudf":
              return timed(lambda: worker_non_udf(run, frames), len(frames))
          if command == "sample":
              start = (rows // 2) // batch * batch
              dumps = (Int64BatchPickler() if int64 else BatchPickler()).dumps
              sample = dumps(list(map(f, values[start:start + batch])))
              return "%d %s" % (start, base64.b64encode(sample).decode("ascii"))
          raise SystemExit("unknown command %r" % command)

      while True:
          line = sys.stdin.readline()
          if not line:
              break
          words = line.split()
          if len(words) < 2:
              raise SystemExit("a command needs a name and a function key, got %r" % line)
          answers.write("%s %s %s\\n" % (words[0], words[1], answer(words)))
          answers.flush()
      """;

  /**
   * One output batch of a function as the worker pickles it (protocol 4).
   *
   * @param start the row index of the first value of {@code pickled}
   */
  record Sample(long start, byte[] pickled) {}

  private final String executable;
  private final long rows;
  private final int batchSize;
  private final Duration timeout;
  private final Process process;
  private final Path stderr;
  private final Writer stdin;
  private final BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
  private final Thread reader;
  private boolean closed;

  private ThroughputBaseline(String executable, long rows, int batchSize, Duration timeout, Process process,
      Path stderr) {
    this.executable = executable;
    this.rows = rows;
    this.batchSize = batchSize;
    this.timeout = timeout;
    this.process = process;
    this.stderr = stderr;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.reader = new Thread(this::readAnswers, "pyworkers-throughput-baseline-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts the subprocess on {@code python}'s interpreter with {@code options.rows()} values per function and
   * batches of {@code options.batchSize()}, and defines every {@link ThroughputFunction} (which builds the values,
   * untimed). Throws {@link IllegalStateException}, with no process left behind, if any of it fails.
   */
  static ThroughputBaseline start(PythonInterpreter python, ThroughputOptions options) {
    return start(python.executable(), SCRIPT, options.rows(), options.batchSize(), COMMAND_TIMEOUT);
  }

  /** {@link #start(PythonInterpreter, ThroughputOptions)} with its parts given, so tests can run other scripts. */
  static ThroughputBaseline start(String executable, String script, long rows, int batchSize, Duration timeout) {
    if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, got " + rows);
    if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the command timeout must be positive, got " + timeout);
    }
    Path err = null;
    Process p;
    try {
      err = Files.createTempFile("pyworkers-throughput-baseline-", ".err");
      Path pyworkers = PythonBundle.extract(WorkerConfig.builder().build().cacheFolder());
      p = new ProcessBuilder(executable, "-c", script, Long.toString(rows), Integer.toString(batchSize),
          pyworkers.toString()).redirectError(err.toFile()).start();
    } catch (IOException e) {
      deleteQuietly(err);
      throw new IllegalStateException("cannot start the in-process baseline with Python executable '" + executable
          + "': " + e.getMessage() + "; give a path or a name on PATH of a working Python 3", e);
    }
    ThroughputBaseline baseline = new ThroughputBaseline(executable, rows, batchSize, timeout, p, err);
    try {
      for (ThroughputFunction f : ThroughputFunction.values()) baseline.define(f);
      return baseline;
    } catch (RuntimeException e) {
      baseline.closeAfterFailure(e);
      throw e;
    }
  }

  /** The subprocess's pid, to check that it is gone after {@link #close}. */
  long pid() {
    return process.pid();
  }

  /** Times {@code out = []; for v in values: out.append(f(v))} once. */
  long loopNanos(ThroughputFunction f) {
    return nanos("loop", f);
  }

  /** Times {@code list(map(f, values))} once. */
  long mapNanos(ThroughputFunction f) {
    return nanos("map", f);
  }

  /** Times a SQL_BATCHED_UDF worker's own work on every batch (decode, f, encode) once, without the socket. */
  long workerUdfNanos(ThroughputFunction f) {
    return nanos("udf", f);
  }

  /** Times a NON_UDF worker's own work on every batch (unpickle, map(f, it), cut and pickle) once, no socket. */
  long workerNonUdfNanos(ThroughputFunction f) {
    return nanos("nonudf", f);
  }

  /** One output batch of {@code f} as the worker would pickle it, from the middle of the values. */
  Sample sample(ThroughputFunction f) {
    String[] words = ask("sample " + f.key(), 4);
    long start = number(words, 2);
    if (start < 0 || start >= rows) {
      throw failure("answered 'sample " + f.key() + "' with start row " + start + ", outside [0, " + rows + ")",
          PROTOCOL_HINT, null);
    }
    try {
      return new Sample(start, Base64.getDecoder().decode(words[3]));
    } catch (IllegalArgumentException e) {
      throw failure("answered 'sample " + f.key() + "' with a sample that is not base64: " + shorten(words[3]),
          PROTOCOL_HINT, e);
    }
  }

  /** Kills the subprocess and waits until it is gone; idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    try {
      stop();
    } finally {
      deleteQuietly(stderr);
    }
  }

  private void define(ThroughputFunction f) {
    Base64.Encoder b64 = Base64.getEncoder();
    String command = String.join(" ", "define", f.key(), f.functionName(), f.stringInput() ? "str" : "long",
        b64.encodeToString(f.source().getBytes(StandardCharsets.UTF_8)),
        b64.encodeToString(f.nonUdfSource().getBytes(StandardCharsets.UTF_8)), f.returnType().name());
    long frames = number(ask(command, 3), 2);
    long expected = (rows + batchSize - 1) / batchSize;
    if (frames != expected) {
      throw failure("built " + frames + " batches of " + f.key() + " values, expected " + expected + " for " + rows
          + " rows in batches of " + batchSize, PROTOCOL_HINT, null);
    }
  }

  private long nanos(String command, ThroughputFunction f) {
    long nanos = number(ask(command + " " + f.key(), 3), 2);
    if (nanos < 0) {
      throw failure("answered '" + command + " " + f.key() + "' with a negative time, " + nanos + " ns",
          "perf_counter_ns must not go backwards; report the Python version", null);
    }
    return nanos;
  }

  /**
   * Sends {@code command} and returns its answer split at spaces, which must be {@code words} long and start with
   * the command's first two words.
   */
  private String[] ask(String command, int words) {
    String name = commandName(command);
    if (closed) {
      throw new IllegalStateException("the in-process baseline was closed before '" + name + "'; start a new one");
    }
    try {
      stdin.write(command);
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      // the subprocess ended (a broken pipe); the wait below reports how
    }
    Object answer;
    try {
      answer = answers.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("was interrupted while it worked on '" + name + "'", "the benchmark was cancelled", e);
    }
    if (answer == null) {
      throw failure("did not answer '" + name + "' within " + timeout.toSeconds() + " s",
          "try fewer --rows, or find what stalls the machine", null);
    }
    if (answer == END) {
      throw failure("ended before it answered '" + name + "'" + exitStatus(),
          "its stderr (below) says why; check that the Python executable runs this script", null);
    }
    String line = (String) answer;
    String[] got = line.split(" ");
    String[] asked = command.split(" ");
    if (got.length != words || !got[0].equals(asked[0]) || !got[1].equals(asked[1])) {
      throw failure("answered '" + name + "' with an unexpected line: '" + shorten(line) + "' (expected " + words
          + " words starting with '" + name + "')", PROTOCOL_HINT, null);
    }
    return got;
  }

  private long number(String[] words, int at) {
    try {
      return Long.parseLong(words[at]);
    } catch (NumberFormatException e) {
      throw failure("answered '" + words[0] + " " + words[1] + "' with '" + shorten(words[at])
          + "' where a whole number belongs", PROTOCOL_HINT, e);
    }
  }

  /** The reader thread: every stdout line onto the queue, then {@link #END}. */
  private void readAnswers() {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        answers.add(line);
      }
    } catch (IOException e) {
      // the stream was closed because the subprocess was killed; END below says it ended
    } finally {
      answers.add(END);
    }
  }

  /** "; it exited with N" once the subprocess has ended by itself (waiting a moment for it), else "". */
  private String exitStatus() {
    try {
      return process.waitFor(2, TimeUnit.SECONDS) ? "; it exited with code " + process.exitValue() : "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /**
   * Kills the subprocess and closes this baseline, then builds the exception: what went wrong, what to do and the
   * tail of the subprocess's stderr. The caller throws it.
   */
  private IllegalStateException failure(String what, String hint, Throwable cause) {
    RuntimeException stopFailure = null;
    try {
      stop();
    } catch (RuntimeException e) {
      stopFailure = e;
    }
    String err;
    try {
      err = Files.readString(stderr, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      err = "(cannot read it: " + e + ")";
    }
    closed = true;
    deleteQuietly(stderr);
    IllegalStateException e = new IllegalStateException("the in-process baseline (" + executable + ", pid "
        + process.pid() + ") " + what + "; " + hint + "; its stderr: " + (err.isEmpty() ? "(empty)" : tail(err)),
        cause);
    if (stopFailure != null) e.addSuppressed(stopFailure);
    return e;
  }

  private void closeAfterFailure(RuntimeException failure) {
    try {
      close();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** Closes stdin, kills the subprocess, waits for it to exit and for the reader thread to end. */
  private void stop() {
    try {
      stdin.close();
    } catch (IOException e) {
      // the subprocess is gone already, or about to be
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(EXIT_GRACE.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("the in-process baseline (" + executable + ", pid " + process.pid()
            + ") is still alive " + EXIT_GRACE.toSeconds() + " s after it was killed; kill it by hand");
      }
      reader.join(EXIT_GRACE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the in-process baseline (pid " + process.pid()
          + ") to exit after it was killed", e);
    }
  }

  /** The first two words of a command, its name and function key: "define identity", without the sources. */
  private static String commandName(String command) {
    String[] words = command.split(" ", 3);
    return shorten(words.length < 2 ? command : words[0] + " " + words[1]);
  }

  private static String tail(String s) {
    return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
  }

  private static String shorten(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  private static void deleteQuietly(Path p) {
    if (p == null) return;
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a leftover file under the temp folder does no harm
    }
  }
}
