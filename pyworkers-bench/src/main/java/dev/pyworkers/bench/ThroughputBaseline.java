package dev.pyworkers.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The in-process baseline of {@link ThroughputBenchmark}: one Python subprocess, on the same interpreter as the
 * workers, execs each function's source text (the very text the workers get), builds the same values in memory
 * (untimed) and times, {@code repeat} times each, with {@code time.perf_counter_ns}:
 *
 * <ul>
 *   <li><b>loop</b>: {@code out = []; for v in values: out.append(f(v))}, the headline baseline;
 *   <li><b>map</b>: {@code list(map(f, values))}, reported beside it;
 *   <li><b>worker UDF alone</b>: what a SQL_BATCHED_UDF worker does to the data without the socket: for each batch,
 *       {@code pickle.dumps(list(map(f, pickle.loads(frame))), 4)}, the frames pickled beforehand as the JVM sends them
 *       (the typed form of {@code docs/protocol.md} section 5 for ints, else protocol 2);
 *   <li><b>worker NON_UDF alone</b>: the NON_UDF function over the unpickled frames, its output cut into lists of the
 *       batch size and pickled (protocol 4), as the worker's serializers do.
 * </ul>
 *
 * Results are freed outside the timed section. It also prints one output batch of each function as the worker
 * would pickle it, from the middle of the values, so the JVM-side costs can be timed on real Python pickles. The
 * Python script is a text block below (standard library only). Stateless and thread-safe.
 */
final class ThroughputBaseline {
  private static final long TIMEOUT_MINUTES = 30;
  private static final String SCRIPT = """
      import array, base64, pickle, struct, sys, time
      from itertools import islice

      rows, batch, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
      perf = time.perf_counter_ns

      TYPED = (b"\\x80\\x04\\x8c\\x05array\\x8c\\x0carray.tolist\\x93\\x8c\\x05array\\x8c\\x05array\\x93"
               b"\\x8c\\x01q")

      def frame(chunk):
          # as the JVM pickles a batch: the typed form for 32 or more ints, else plain protocol 2
          if len(chunk) >= 32 and all(type(v) is int for v in chunk):
              raw = array.array("q", chunk).tobytes()
              return TYPED + b"B" + struct.pack("<I", len(raw)) + raw + b"\\x86R\\x85R."
          return pickle.dumps(chunk, 2)

      def loop(f, values):
          out = []
          for v in values:
              out.append(f(v))
          return out

      def mapped(f, values):
          return list(map(f, values))

      def worker_udf(f, frames):
          loads, dumps = pickle.loads, pickle.dumps
          return [dumps(list(map(f, loads(frame))), 4) for frame in frames]

      def worker_non_udf(run, frames):
          loads, dumps = pickle.loads, pickle.dumps
          def records():
              for frame in frames:
                  yield from loads(frame)
          it, out = run(0, records()), []
          while True:
              chunk = list(islice(it, batch))
              if not chunk:
                  return out
              out.append(dumps(chunk, 4))

      def timed(call, size):
          times = []
          for _ in range(repeat):
              start = perf()
              out = call()
              times.append(perf() - start)
              if len(out) != size:
                  raise SystemExit("baseline produced %d results instead of %d" % (len(out), size))
              del out
          return ",".join(map(str, times))

      for line in sys.stdin.read().split("\\0"):
          if not line:
              continue
          key, name, kind, source, non_udf_source = line.split("\\1")
          space = {}
          exec(compile(source, "<udf>", "exec"), space)
          f = space[name]
          space = {}
          exec(compile(non_udf_source, "<udf>", "exec"), space)
          run = space["run"]
          values = ["row%d" % i for i in range(rows)] if kind == "str" else list(range(rows))
          frames = [frame(values[i:i + batch]) for i in range(0, rows, batch)]
          if frames and pickle.loads(frames[-1]) != values[(len(frames) - 1) * batch:]:
              raise SystemExit("the typed frames do not unpickle to their values")
          nframes = len(frames)
          fields = [key, timed(lambda: loop(f, values), rows), timed(lambda: mapped(f, values), rows),
                    timed(lambda: worker_udf(f, frames), nframes), timed(lambda: worker_non_udf(run, frames), nframes)]
          start = (rows // 2) // batch * batch
          sample = pickle.dumps(list(map(f, values[start:start + batch])), 4)
          fields += [str(start), base64.b64encode(sample).decode("ascii")]
          print(" ".join(fields), flush=True)
          del values, frames
      """;

  /**
   * What the baseline measured for one function; times in nanoseconds, one per repetition.
   *
   * @param sampleStart the row index of the first value of {@code sample}
   * @param sample one output batch as the worker pickles it (protocol 4), for rows {@code sampleStart, ...}
   */
  record Times(long[] loopNanos, long[] mapNanos, long[] workerUdfNanos, long[] workerNonUdfNanos, long sampleStart,
      byte[] sample) {}

  private ThroughputBaseline() {}

  /** Runs the subprocess; throws {@link IllegalStateException} with its stderr when it fails. */
  static Map<ThroughputFunction, Times> run(PythonInterpreter python, ThroughputOptions options) {
    Path out = null;
    Path err = null;
    Process p = null;
    try {
      out = Files.createTempFile("pyworkers-throughput-baseline-", ".out");
      err = Files.createTempFile("pyworkers-throughput-baseline-", ".err");
      p = new ProcessBuilder(python.executable(), "-c", SCRIPT, Long.toString(options.rows()),
          Integer.toString(options.batchSize()), Integer.toString(options.repeat()))
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      StringBuilder input = new StringBuilder();
      for (ThroughputFunction f : ThroughputFunction.values()) {
        input.append(String.join("\1", f.key(), f.functionName(), f.stringInput() ? "str" : "long", f.source(),
            f.nonUdfSource())).append('\0');
      }
      try (var stdin = p.getOutputStream()) {
        stdin.write(input.toString().getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the in-process baseline (" + python.executable() + ") did not finish within "
            + TIMEOUT_MINUTES + " minutes; try fewer --rows");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("the in-process baseline (" + python.executable() + ") exited with "
            + p.exitValue() + "; its stderr: " + tail(Files.readString(err)));
      }
      return parse(Files.readAllLines(out));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run the in-process baseline with " + python.executable() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the in-process baseline ran", e);
    } finally {
      if (p != null) p.destroyForcibly();
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** One line per function: key, four comma-separated lists of nanoseconds, sample start, base64 sample. */
  static Map<ThroughputFunction, Times> parse(List<String> lines) {
    Map<ThroughputFunction, Times> times = new EnumMap<>(ThroughputFunction.class);
    for (String line : lines) {
      String[] f = line.strip().split(" ");
      ThroughputFunction fn = Arrays.stream(ThroughputFunction.values()).filter(x -> x.key().equals(f[0]))
          .findFirst().orElse(null);
      if (f.length != 7 || fn == null) {
        throw new IllegalStateException("the in-process baseline printed an unexpected line: " + tail(line));
      }
      times.put(fn, new Times(nanos(f[1]), nanos(f[2]), nanos(f[3]), nanos(f[4]), Long.parseLong(f[5]),
          Base64.getDecoder().decode(f[6])));
    }
    if (times.size() != ThroughputFunction.values().length) {
      throw new IllegalStateException("the in-process baseline reported " + times.keySet() + ", expected every one of "
          + Arrays.toString(ThroughputFunction.values()));
    }
    return times;
  }

  private static long[] nanos(String csv) {
    return Arrays.stream(csv.split(",")).mapToLong(Long::parseLong).toArray();
  }

  private static String tail(String s) {
    String t = s.strip();
    return t.length() <= 2000 ? t : "..." + t.substring(t.length() - 2000);
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
