package dev.pyworkers.gateway.internal.py4j;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ServerSocketFactory;

/**
 * The gateway's Py4J listening socket as a Unix domain socket at a path in a private folder, shaped as the {@link
 * ServerSocket} that Py4J's server takes from its {@link ServerSocketFactory}: Py4J's own bind to a TCP address is
 * turned into a bind to {@code path}, and {@link #accept()} gives {@link UnixChannelSocket}s. No TCP port is opened,
 * so no other user of the machine can reach the gateway at all; only this user can enter the 0700 folder. {@link
 * #close()} removes the socket file. Thread-safe as {@link ServerSocketChannel} is.
 */
final class UnixServerSocket extends ServerSocket {
  private final Path path;
  private final long spinNanos;
  private final ServerSocketChannel channel;
  private volatile boolean bound;

  private UnixServerSocket(Path path, long spinNanos) throws IOException {
    this.path = path;
    this.spinNanos = spinNanos;
    this.channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
  }

  /** A factory whose one server socket listens at {@code path}. */
  static ServerSocketFactory factory(Path path, long spinNanos) {
    return new ServerSocketFactory() {
      @Override
      public ServerSocket createServerSocket() throws IOException {
        return new UnixServerSocket(path, spinNanos);
      }

      @Override
      public ServerSocket createServerSocket(int port) {
        throw new UnsupportedOperationException("the gateway listens on a Unix socket, not port " + port);
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog) {
        throw new UnsupportedOperationException("the gateway listens on a Unix socket, not port " + port);
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog, InetAddress address) {
        throw new UnsupportedOperationException("the gateway listens on a Unix socket, not port " + port);
      }
    };
  }

  @Override
  public void bind(SocketAddress ignored, int backlog) throws IOException {
    channel.bind(UnixDomainSocketAddress.of(path), Math.max(backlog, 50));
    bound = true;
  }

  @Override
  public void bind(SocketAddress ignored) throws IOException {
    bind(ignored, 50);
  }

  @Override
  public UnixChannelSocket accept() throws IOException {
    try {
      return new UnixChannelSocket(channel.accept(), spinNanos);
    } catch (ClosedChannelException e) {
      // what a closed ServerSocket says; Py4J's accept loop takes this message for a normal shutdown
      throw new SocketException("Socket closed");
    }
  }

  @Override
  public void setSoTimeout(int timeout) {
    // Py4J sets 0 (accept blocks until close), which is what the channel does
  }

  @Override
  public void setReuseAddress(boolean on) {
    // a path, not an address: a leftover file would make bind fail, and the folder is new
  }

  @Override
  public int getLocalPort() {
    return -1;
  }

  @Override
  public boolean isBound() {
    return bound;
  }

  @Override
  public boolean isClosed() {
    return !channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(path);
    }
  }

  /** Where it listens. */
  Path path() {
    return path;
  }
}
