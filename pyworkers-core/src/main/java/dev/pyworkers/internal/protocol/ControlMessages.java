package dev.pyworkers.internal.protocol;

import dev.pyworkers.WorkerProtocolException;
import java.io.IOException;
import java.util.List;

/** Encoders and decoders of the control messages of docs/protocol.md sections 1 and 2.2. Stateless. */
public final class ControlMessages {
  public static final int VERSION = 1;
  public static final int SECRET_BYTES = 32;

  private ControlMessages() {}

  /** What a daemon reports once it listens. {@code path} is set for Unix sockets, {@code port} for TCP. */
  public record DaemonHello(long pid, int pythonMajor, int pythonMinor, TransportCode transport, String path, int port) {
    public String pythonVersion() {
      return pythonMajor + "." + pythonMinor;
    }
  }

  public static byte[] daemonInit(
      byte[] secret, TransportCode transport, String socketPath, int authTimeoutMs, int bufferSize,
      List<String> preload) {
    WireOutput out = new WireOutput()
        .tag(Tag.DAEMON_INIT)
        .i32(VERSION)
        .bytes(secret)
        .u8(transport.code())
        .str(socketPath)
        .i32(authTimeoutMs)
        .i32(bufferSize)
        .i32(preload.size());
    for (String m : preload) out.str(m);
    return out.toByteArray();
  }

  public static byte[] simpleInit(
      byte[] secret, TransportCode transport, String socketPath, int port, int authTimeoutMs, int bufferSize) {
    WireOutput out = new WireOutput().tag(Tag.SIMPLE_INIT).i32(VERSION).bytes(secret).u8(transport.code());
    if (transport.isTcp()) out.i32(port);
    else out.str(socketPath);
    return out.i32(authTimeoutMs).i32(bufferSize).toByteArray();
  }

  public static byte[] kill(long pid) {
    return new WireOutput().tag(Tag.KILL).i32(Math.toIntExact(pid)).toByteArray();
  }

  /** Reads the body of a {@code PWKD} hello; the tag has been read already. */
  public static DaemonHello readDaemonHelloBody(WireInput in) throws IOException {
    int version = in.readInt("version");
    if (version != VERSION) {
      throw new WorkerProtocolException(
          "daemon speaks protocol version " + version + " but this JVM speaks " + VERSION
              + "; the daemon module does not belong to this pyworkers jar");
    }
    int pid = in.readInt("daemon pid");
    if (pid <= 0) throw new WorkerProtocolException("daemon pid " + pid + " is not positive in daemon hello");
    int major = in.readInt("python major version");
    int minor = in.readInt("python minor version");
    TransportCode t = TransportCode.of(in.readU8("transport"), "daemon hello");
    if (t.isTcp()) {
      int port = in.readInt("port");
      if (port < 1 || port > 65535) {
        throw new WorkerProtocolException("daemon reported port " + port + ", outside 1..65535, in daemon hello");
      }
      return new DaemonHello(pid, major, minor, t, null, port);
    }
    String path = in.readStr("socket path");
    return new DaemonHello(pid, major, minor, t, path, 0);
  }
}
