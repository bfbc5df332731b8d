package org.isos.server.http;

import java.util.logging.Logger;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * How the API's connections are carried: BoringSSL and epoll where their native libraries load, else the JDK's
 * TLS and NIO. Per heartbeat, the JDK's TLS engine was the largest single cost of the server's event loops; the
 * answers and the certificates a peer sees are the same either way.
 */
record NativeTransport(SslProvider tls, IoHandlerFactory io, Class<? extends ServerSocketChannel> channel) {

    private static final Logger LOG = Logger.getLogger(NativeTransport.class.getName());

    static NativeTransport choose(boolean wanted) {
        boolean openSsl = wanted && openSslLoads();
        boolean epoll = wanted && epollLoads();
        NativeTransport chosen = new NativeTransport(openSsl ? SslProvider.OPENSSL : SslProvider.JDK,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory(),
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class);
        LOG.info("HTTP API transport: TLS " + (openSsl ? "BoringSSL (" + OpenSsl.versionString() + ")" : "JDK")
                + ", sockets " + (epoll ? "epoll" : "NIO") + (wanted ? "" : " (nativeTransport=false)"));
        return chosen;
    }

    private static boolean openSslLoads() {
        try {
            return OpenSsl.isAvailable();
        } catch (LinkageError e) { // tcnative's package not wired in this framework
            return false;
        }
    }

    private static boolean epollLoads() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) {
            return false;
        }
    }
}
