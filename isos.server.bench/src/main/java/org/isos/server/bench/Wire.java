package org.isos.server.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslHandler;

/**
 * HTTP/1.1 over TLS to the server on Netty: one event loop group for every connection, so ten thousand simulated
 * hosts, each on its own connection with its own client certificate (the server tells hosts apart by it), cost
 * sockets and TLS state, not threads. A connection carries one request at a time (no pipelining), like an agent's.
 */
final class Wire implements AutoCloseable {

    /** What came back: status, body, and when the request was sent and answered (System.nanoTime). */
    record Answer(int status, String body, long sentNanos, long answeredNanos) {
        long nanos() {
            return answeredNanos - sentNanos;
        }
    }

    static final boolean EPOLL = Epoll.isAvailable();

    private final EventLoopGroup group;
    private final URI server;
    private final X509Certificate root;

    Wire(URI server, X509Certificate root, int threads) {
        this.server = server;
        this.root = root;
        // the simulated agents' side as cheap as the platform allows: they share the cores with the server
        this.group = new MultiThreadIoEventLoopGroup(threads, EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    URI server() {
        return server;
    }

    X509Certificate root() {
        return root;
    }

    /** A TLS connection, with the host's key and certificate chain for mutual TLS, or none (bearer-token calls). */
    Connection connect(PrivateKey key, X509Certificate... chain) throws Exception {
        SslContextBuilder builder = SslContextBuilder.forClient().trustManager(root)
                .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
        if (key != null) {
            builder.keyManager(key, chain);
        }
        SslContext tls = builder.build();
        Connection connection = new Connection();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 20_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler handler = tls.newHandler(ch.alloc(), server.getHost(), server.getPort());
                        // thousands of handshakes queue up on a loaded machine: Netty's 10 s default closes the
                        // late ones, which then fail at their first request
                        handler.setHandshakeTimeout(5, TimeUnit.MINUTES);
                        ch.pipeline().addLast(handler);
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 * 1024 * 1024));
                        ch.pipeline().addLast(connection.handler());
                    }
                });
        Channel channel = bootstrap.connect(server.getHost(), server.getPort()).sync().channel();
        // connected is not yet usable: the handshake (and the server's check of the client certificate) must be done
        channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
        connection.channel = channel;
        return connection;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    final class Connection implements AutoCloseable {
        private volatile Channel channel;
        private volatile CompletableFuture<Answer> pending;
        private volatile long sent;

        private SimpleChannelInboundHandler<FullHttpResponse> handler() {
            return new SimpleChannelInboundHandler<>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                    CompletableFuture<Answer> done = pending;
                    pending = null;
                    if (done != null) {
                        done.complete(new Answer(response.status().code(),
                                response.content().toString(StandardCharsets.UTF_8), sent, System.nanoTime()));
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    fail(new IllegalStateException("connection closed"));
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    fail(cause);
                    ctx.close();
                }
            };
        }

        private void fail(Throwable cause) {
            CompletableFuture<Answer> done = pending;
            pending = null;
            if (done != null) {
                done.completeExceptionally(cause);
            }
        }

        /** Sends one request; the answer completes the future. One at a time per connection. */
        CompletableFuture<Answer> send(String method, String path, String token, String json) {
            if (pending != null) {
                throw new IllegalStateException("a request is in flight on this connection");
            }
            byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path,
                    Unpooled.wrappedBuffer(body));
            request.headers().set(HttpHeaderNames.HOST, server.getHost() + ":" + server.getPort());
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (json != null) {
                request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            }
            if (token != null) {
                request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
            }
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            pending = answer;
            sent = System.nanoTime();
            channel.writeAndFlush(request).addListener(f -> {
                if (!f.isSuccess()) {
                    fail(f.cause());
                }
            });
            return answer;
        }

        /** The event loop this connection's I/O runs on. */
        io.netty.channel.EventLoop loop() {
            return channel.eventLoop();
        }

        /** The same, waiting for the answer. */
        Answer call(String method, String path, String token, String json) throws Exception {
            return send(method, path, token, json).get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            if (channel != null) {
                channel.close();
            }
        }
    }
}
