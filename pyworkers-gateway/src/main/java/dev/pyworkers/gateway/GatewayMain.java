package dev.pyworkers.gateway;

import dev.pyworkers.WorkerConfig;
import dev.pyworkers.gateway.internal.py4j.AuthenticatingServer;
import dev.pyworkers.spi.PrivateFolders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/**
 * The gateway JVM that the Python driver launches ({@code java ... dev.pyworkers.gateway.GatewayMain --info-folder
 * DIR}; docs/protocol.md section 9.1). The driver writes the Py4J token as one line on the JVM's standard input,
 * which only the two processes share; the JVM binds its Py4J server on an ephemeral loopback port and writes {@code
 * DIR/gateway.info} (mode 0600, by an atomic rename, in the driver's private folder, which must be a 0700 folder of
 * this user). Neither the token nor the port appears on the command line or in the environment. The JVM then reads
 * its standard input to the end and exits when it closes, which happens when the driver exits or is killed; its
 * shutdown hook cancels the running jobs and stops every worker.
 */
public final class GatewayMain {
  /** Name of the file the driver waits for. */
  public static final String INFO_FILE = "gateway.info";
  private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{32,128}");
  /** System property: milliseconds a new Py4J connection has to send the token, 100 to 600000 (default 10000). */
  public static final String AUTH_TIMEOUT_PROPERTY = "pyworkers.gateway.authTimeoutMillis";
  private static final int DEFAULT_AUTH_TIMEOUT_MILLIS = 10_000;
  private static final String SOCKET_FOLDER_PREFIX = "pyw-gw-";
  /** System property: microseconds a connection thread polls for the next command before it blocks, 0 to 10000. */
  public static final String SPIN_PROPERTY = "pyworkers.gateway.spinMicros";
  private static final int DEFAULT_SPIN_MICROS = 50;
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  private GatewayMain() {}

  public static void main(String[] args) {
    // The JVM's stderr is the driver's: warnings (a rejected token, a stalled worker) only, unless the caller asks
    // for more with -Dorg.slf4j.simpleLogger.defaultLogLevel=info in jvm_options. Set before the first logger.
    if (System.getProperty(LOG_LEVEL) == null) System.setProperty(LOG_LEVEL, "warn");
    int code;
    try {
      code = run(args, System.in);
    } catch (IOException | RuntimeException e) {
      System.err.println("pyworkers-gateway: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }

  static int authTimeoutMillis(String value) {
    return intProperty(AUTH_TIMEOUT_PROPERTY, value, 100, 600_000, DEFAULT_AUTH_TIMEOUT_MILLIS, "milliseconds");
  }

  static int spinMicros(String value) {
    return intProperty(SPIN_PROPERTY, value, 0, 10_000, DEFAULT_SPIN_MICROS, "microseconds");
  }

  private static int intProperty(String name, String value, int min, int max, int dflt, String unit) {
    if (value == null) return dflt;
    int parsed;
    try {
      parsed = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      parsed = min - 1;
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException("-D" + name + " must be a whole number of " + unit + " from " + min
          + " to " + max + ", got '" + value + "'; leave it out for the default, " + dflt);
    }
    return parsed;
  }

  static int run(String[] args, InputStream stdin) throws IOException {
    if (args.length != 2 || !args[0].equals("--info-folder")) {
      System.err.println("pyworkers-gateway: usage: GatewayMain --info-folder DIR (the Python driver starts it;"
          + " see docs/protocol.md section 9.1)");
      return 2;
    }
    Path folder = Path.of(args[1]);
    PrivateFolders.checkPrivate(folder);
    String token = readLine(stdin);
    if (token == null || !TOKEN.matcher(token).matches()) {
      System.err.println("pyworkers-gateway: the first line on standard input must be the token, 32 to 128"
          + " lowercase hex digits; got " + (token == null ? "end of input" : token.length() + " characters"));
      return 2;
    }
    int authTimeoutMillis;
    int spinMicros;
    try {
      authTimeoutMillis = authTimeoutMillis(System.getProperty(AUTH_TIMEOUT_PROPERTY));
      spinMicros = spinMicros(System.getProperty(SPIN_PROPERTY));
    } catch (IllegalArgumentException e) {
      System.err.println("pyworkers-gateway: " + e.getMessage());
      return 2;
    }
    Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
    DriverGateway gateway = new DriverGateway(WorkerConfig.defaults(), tmpdir);
    // the Py4J socket's own private folder, for the gateway's lifetime: the driver deletes the info folder at once
    PrivateFolders.removeLeftoversOnce(tmpdir, SOCKET_FOLDER_PREFIX);
    Path socketFolder = PrivateFolders.create(tmpdir, SOCKET_FOLDER_PREFIX);
    AuthenticatingServer server;
    try {
      server = AuthenticatingServer.start(gateway, token, authTimeoutMillis, spinMicros * 1000L,
          socketFolder.resolve("py4j.sock"));
    } catch (RuntimeException e) {
      PrivateFolders.delete(socketFolder);
      throw e;
    }
    gateway.attach(server, socketFolder);
    Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "pyworkers-gateway-shutdown"));
    String info = "pyworkers-gateway " + DriverGateway.PROTOCOL_VERSION + "\nsocket=" + server.socketPath()
        + "\npid=" + ProcessHandle.current().pid() + "\nversion=" + gateway.version() + "\n";
    Path tmp = folder.resolve(INFO_FILE + ".tmp");
    PrivateFolders.writeNewFile(tmp, info.getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, folder.resolve(INFO_FILE), StandardCopyOption.ATOMIC_MOVE);
    byte[] sink = new byte[256];
    while (stdin.read(sink) >= 0) {
      // the driver writes nothing more; the end of input means it is gone
    }
    return 0;
  }

  /** One line of at most 256 bytes, without its newline; null at end of input. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (line.size() <= 256) {
      int b = in.read();
      if (b < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
      if (b == '\n') return line.toString(StandardCharsets.US_ASCII);
      line.write(b);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }
}
