package dev.pyworkers.internal.transport;

import dev.pyworkers.internal.protocol.TransportCode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** A local address a Python process listens on or connects to: a Unix socket path or a loopback port. Immutable. */
public sealed interface Endpoint {
  TransportCode code();

  SocketAddress address();

  /** Opens a blocking channel connected to this endpoint. */
  default SocketChannel connect() throws IOException {
    SocketChannel ch = this instanceof Unix
        ? SocketChannel.open(StandardProtocolFamily.UNIX)
        : SocketChannel.open(((Tcp) this).address.getAddress() instanceof java.net.Inet6Address
            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    try {
      ch.connect(address());
      if (this instanceof Tcp) ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** A Unix domain socket file. */
  record Unix(Path path) implements Endpoint {
    @Override
    public TransportCode code() {
      return TransportCode.UNIX;
    }

    @Override
    public SocketAddress address() {
      return UnixDomainSocketAddress.of(path);
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /** A loopback TCP address; never anything but 127.0.0.1 or ::1. */
  record Tcp(InetSocketAddress address) implements Endpoint {
    public Tcp {
      if (!address.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException("refusing non-loopback address " + address);
      }
    }

    public static Tcp loopback(boolean ipv6, int port) {
      try {
        return new Tcp(new InetSocketAddress(InetAddress.getByName(ipv6 ? "::1" : "127.0.0.1"), port));
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException("loopback address cannot be resolved", e);
      }
    }

    @Override
    public TransportCode code() {
      return address.getAddress() instanceof java.net.Inet6Address ? TransportCode.TCP6 : TransportCode.TCP4;
    }

    @Override
    public String toString() {
      return "tcp:" + (code() == TransportCode.TCP6 ? "[::1]" : "127.0.0.1") + ":" + address.getPort();
    }
  }

  /** Binds a listening channel with backlog 1 (simple mode: exactly one worker connects back). */
  static ServerSocketChannel listenOnce(Endpoint where) throws IOException {
    ServerSocketChannel server = where instanceof Unix
        ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
        : ServerSocketChannel.open(where.code() == TransportCode.TCP6
            ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    try {
      server.bind(where.address(), 1);
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }
}
