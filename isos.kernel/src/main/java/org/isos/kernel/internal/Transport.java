package org.isos.kernel.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;

import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Communication.MessageListener;
import org.isos.kernel.api.Peer;
import org.isos.kernel.host.PeerDirectory;
import org.isos.kernel.host.PeerRevocations;
import org.isos.kernel.wire.ChunkedStream;
import org.isos.kernel.wire.Frame;
import org.isos.kernel.wire.FrameCodec;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;

/**
 * The kernel's transport: one TLS port for peer hosts (mutual TLS, identified by their ISOS host
 * certificate) and for external clients (server-authenticated TLS, identified by a session id). Apps
 * reach it only through {@link Communication}; every byte is metered and outbound bytes are paced by
 * the lease's token bucket on the app's own thread, never on an event loop. A peer whose host certificate the
 * ISOS CA revoked ({@link PeerRevocations}, fed by the agent) is refused at the handshake on either end, and
 * connections open with it when it is revoked are closed.
 */
@Component(service = { Transport.class, PeerDirectory.class, PeerRevocations.class })
@SuppressWarnings("removal")
public class Transport implements PeerDirectory, PeerRevocations {

    private static final Logger LOG = Logger.getLogger(Transport.class.getName());
    private static final AttributeKey<Peer> PEER = AttributeKey.valueOf("isos.peer");
    private static final AttributeKey<String[]> CLIENT_APP = AttributeKey.valueOf("isos.clientApp");
    /** The end-entity certificate a peer host showed at the handshake. */
    private static final AttributeKey<X509Certificate> PEER_CERTIFICATE = AttributeKey.valueOf("isos.peerCertificate");
    private static final int CHUNK = 32 * 1024;

    private final HostIdentity identity;
    private final Tenancy tenancy;
    private final EventLoopGroup loops;
    private final ExecutorService delivery;
    private final SslContext serverTls;
    private final SslContext clientTls;
    private final Channel server;
    private final Map<String, InetSocketAddress> directory = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Channel>> peers = new ConcurrentHashMap<>();
    private final Map<String, Channel> clients = new ConcurrentHashMap<>();
    private final Map<String, InboundStream> inbound = new ConcurrentHashMap<>();
    private final AtomicLong streamIds = new AtomicLong();
    private final PeerTrust trust;
    /** Connections, in and out, with a peer that showed a host certificate: the ones a revocation may close. */
    private final Set<Channel> hostConnections = ConcurrentHashMap.newKeySet();
    /** The host's own line, shared by all leases; null when the host sets no limit of its own. */
    private final TokenBucket uplink;

    @Activate
    public Transport(@Reference KernelHome home, @Reference Tenancy tenancy) throws Exception {
        this.identity = home.identity();
        this.tenancy = tenancy;
        long uplinkRate = home.config().uplinkBytesPerSecond();
        if (uplinkRate < 0) {
            throw new IllegalArgumentException("uplinkBytesPerSecond must be >= 0 (0 for no limit), got " + uplinkRate);
        }
        this.uplink = uplinkRate > 0 ? new TokenBucket(uplinkRate) : null;
        X509Certificate[] chain = identity.chain().toArray(X509Certificate[]::new);
        X509Certificate[] anchors = identity.trustAnchors().toArray(X509Certificate[]::new);
        this.trust = new PeerTrust(List.of(anchors));
        this.serverTls = SslContextBuilder.forServer(identity.key(), chain).trustManager(trust)
                .clientAuth(ClientAuth.OPTIONAL).build();
        // peers are named by host id, not DNS: the CN of their certificate is checked after the handshake
        this.clientTls = SslContextBuilder.forClient().keyManager(identity.key(), chain).trustManager(trust)
                .endpointIdentificationAlgorithm(null).build();
        this.loops = new MultiThreadIoEventLoopGroup(2, KernelThreads.named("isos-transport"),
                NioIoHandler.newFactory());
        this.delivery = Executors.newCachedThreadPool(KernelThreads.named("isos-delivery"));
        ServerBootstrap bootstrap = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, serverTls.newHandler(ch.alloc()));
                    }
                });
        this.server = bootstrap.bind(home.config().transportHost(), home.config().transportPort()).sync().channel();
    }

    @Deactivate
    void deactivate() {
        server.close();
        loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        delivery.shutdownNow();
    }

    private void pipeline(SocketChannel ch, SslHandler tls) {
        ch.pipeline().addLast("tls", tls)
                .addLast("framer", new LengthFieldBasedFrameDecoder(Frame.MAX_FRAME_BYTES, 0, 4, 0, 4))
                .addLast("prepender", new LengthFieldPrepender(4))
                .addLast("frames", new FrameCodec())
                .addLast("kernel", new KernelProtocolHandler(tls));
    }

    @Override
    public void revoke(java.util.Collection<String> serials) {
        List<String> normal = new ArrayList<>();
        for (String serial : serials) {
            normal.add(PeerTrust.serial(serial));
        }
        if (!trust.revoked().addAll(normal)) {
            return;
        }
        forgetSessions(clientTls.sessionContext());
        forgetSessions(serverTls.sessionContext());
        for (Channel channel : hostConnections) {
            X509Certificate certificate = channel.attr(PEER_CERTIFICATE).get();
            if (certificate != null && trust.isRevoked(certificate)) {
                LOG.warning("closing the connection with " + channel.remoteAddress() + ": "
                        + PeerTrust.refusal(certificate));
                channel.close();
            }
        }
    }

    /**
     * A resumed TLS session skips the trust check: sessions with a revoked peer are dropped so that the next
     * handshake with it is a full one. (A peer may still offer a session ticket of its own; the check after the
     * handshake refuses it then.)
     */
    private void forgetSessions(javax.net.ssl.SSLSessionContext sessions) {
        if (sessions == null) {
            return;
        }
        for (java.util.Enumeration<byte[]> ids = sessions.getIds(); ids.hasMoreElements();) {
            javax.net.ssl.SSLSession session = sessions.getSession(ids.nextElement());
            try {
                if (session != null && session.getPeerCertificates()[0] instanceof X509Certificate peer
                        && trust.isRevoked(peer)) {
                    session.invalidate();
                }
            } catch (SSLPeerUnverifiedException e) {
                // an external client's session: no certificate, nothing revoked
            }
        }
    }

    @Override
    public Set<String> revoked() {
        return Set.copyOf(trust.revoked());
    }

    @Override
    public void put(String hostId, InetSocketAddress address) {
        directory.put(hostId, address);
    }

    @Override
    public Optional<InetSocketAddress> find(String hostId) {
        if (hostId.equals(identity.hostId())) {
            return Optional.of(localAddress());
        }
        return Optional.ofNullable(directory.get(hostId));
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public String hostId() {
        return identity.hostId();
    }

    /** Sends for an app; blocks the calling app thread while its lease's bandwidth is spent. */
    CompletionStage<Void> send(Tenant from, Peer to, byte[] message) {
        if (message.length > Communication.MAX_MESSAGE_BYTES) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("message of " + message.length
                    + " bytes exceeds the limit of " + Communication.MAX_MESSAGE_BYTES));
        }
        Frame frame = Frame.message(from.lease().buyer(), from.lease().app(), message);
        return write(from, to, frame, message.length);
    }

    private CompletionStage<Void> write(Tenant from, Peer to, Frame frame, int bytes) {
        try {
            from.outbound().take(bytes);
            if (uplink != null) {
                uplink.take(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        return channelTo(from, to).thenCompose(channel -> {
            CompletableFuture<Void> sent = new CompletableFuture<>();
            channel.writeAndFlush(frame).addListener(f -> {
                if (f.isSuccess()) {
                    from.usage().addOut(bytes);
                    sent.complete(null);
                } else {
                    sent.completeExceptionally(f.cause());
                }
            });
            return sent;
        });
    }

    private CompletableFuture<Channel> channelTo(Tenant from, Peer to) {
        if (to.kind() == Peer.Kind.CLIENT) {
            Channel channel = clients.get(to.id());
            String[] app = channel == null ? null : channel.attr(CLIENT_APP).get();
            if (channel == null || !channel.isActive() || !app[0].equals(from.lease().buyer())
                    || !app[1].equals(from.lease().app()) || !(app[2].isEmpty() || app[2].equals(from.id()))) {
                return CompletableFuture.failedFuture(new IOException("no client session " + to.id()
                        + " of this app on host " + identity.hostId()));
            }
            return CompletableFuture.completedFuture(channel);
        }
        return peers.compute(to.id(), (id, existing) -> {
            if (existing != null && (!existing.isDone() || existing.join().isActive())
                    && !existing.isCompletedExceptionally()) {
                return existing;
            }
            return connect(id);
        });
    }

    private CompletableFuture<Channel> connect(String hostId) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        InetSocketAddress address = find(hostId).orElse(null);
        if (address == null) {
            result.completeExceptionally(new IOException("host " + hostId + " is not in this host's peer directory"));
            return result;
        }
        Bootstrap bootstrap = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, clientTls.newHandler(ch.alloc(), address.getHostString(), address.getPort()));
                    }
                });
        ChannelFuture connecting = bootstrap.connect(address);
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new IOException("cannot reach host " + hostId + " at " + address, f.cause()));
                return;
            }
            Channel channel = connecting.channel();
            channel.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (!h.isSuccess()) {
                    result.completeExceptionally(new IOException("TLS with host " + hostId + " at " + address
                            + " failed: " + innermostMessage(h.cause()), h.cause()));
                    channel.close();
                    return;
                }
                X509Certificate shown = peerCertificate(channel.pipeline().get(SslHandler.class)).orElse(null);
                if (shown != null && trust.isRevoked(shown)) {
                    // a resumed session (no trust check), or revoked between the trust check and here
                    String why = PeerTrust.refusal(shown);
                    LOG.warning("refused a peer this host connected to (after the handshake): " + why);
                    result.completeExceptionally(new IOException("TLS with host " + hostId + " at " + address
                            + " failed: " + why));
                    channel.close();
                    return;
                }
                String seen = peerHost(channel.pipeline().get(SslHandler.class)).orElse("");
                if (!seen.equals(hostId)) {
                    result.completeExceptionally(new IOException("host at " + address + " is '" + seen
                            + "', not " + hostId));
                    channel.close();
                    return;
                }
                channel.attr(PEER).set(Peer.host(hostId));
                result.complete(channel);
            });
        });
        return result;
    }

    /** Opens a byte stream for an app; frames of {@value #CHUNK} bytes, each paced by the bucket. */
    OutputStream openStream(Tenant from, Peer to, String channelName) {
        long id = streamIds.incrementAndGet() << 16 | (identity.hostId().hashCode() & 0xFFFF);
        Frame open = new Frame(Frame.Type.STREAM_OPEN, id, from.lease().buyer(), from.lease().app(), channelName, null);
        awaitSent(write(from, to, open, 0));
        return new OutputStream() {
            private final byte[] buffer = new byte[CHUNK];
            private int filled;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] { (byte) b }, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                privileged(() -> {
                    append(b, off, len);
                    return null;
                });
            }

            private void append(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("stream " + channelName + " is closed");
                }
                while (len > 0) {
                    int n = Math.min(len, CHUNK - filled);
                    System.arraycopy(b, off, buffer, filled, n);
                    filled += n;
                    off += n;
                    len -= n;
                    if (filled == CHUNK) {
                        send();
                    }
                }
            }

            @Override
            public void flush() throws IOException {
                privileged(() -> {
                    send();
                    return null;
                });
            }

            private void send() throws IOException {
                if (filled > 0) {
                    byte[] chunk = java.util.Arrays.copyOf(buffer, filled);
                    filled = 0;
                    awaitSent(Transport.this.write(from, to, new Frame(Frame.Type.STREAM_DATA, id, "", "", "", chunk),
                            chunk.length));
                }
            }

            @Override
            public void close() throws IOException {
                privileged(() -> {
                    if (!closed) {
                        send();
                        closed = true;
                        awaitSent(Transport.this.write(from, to, new Frame(Frame.Type.STREAM_END, id, "", "", "", null), 0));
                    }
                    return null;
                });
            }
        };
    }

    /** App code calls the stream's methods directly; the socket work they lead to is the kernel's. */
    private static void privileged(LeaseStore.IoAction<Void> action) throws IOException {
        try {
            LeaseStore.privileged(action);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void awaitSent(CompletionStage<Void> sent) {
        try {
            sent.toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.UncheckedIOException(new InterruptedIOException("interrupted while sending"));
        } catch (java.util.concurrent.ExecutionException e) {
            throw new java.io.UncheckedIOException(new IOException("stream send failed: " + e.getCause().getMessage(),
                    e.getCause()));
        }
    }

    private Optional<String> peerHost(SslHandler tls) {
        return peerCertificate(tls).map(HostIdentity::commonName);
    }

    private static Optional<X509Certificate> peerCertificate(SslHandler tls) {
        try {
            Certificate[] certs = tls.engine().getSession().getPeerCertificates();
            return Optional.of((X509Certificate) certs[0]);
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The JDK wraps the trust check's refusal (REVOKED_PEER …) in handshake exceptions: its text is what counts. */
    private static String innermostMessage(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
                if (message.contains(PeerTrust.REFUSAL)) {
                    return message.substring(message.indexOf(PeerTrust.REFUSAL));
                }
            }
        }
        return message;
    }

    private void deliver(Tenant tenant, Runnable delivery) {
        this.delivery.execute(() -> {
            try {
                delivery.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "app of lease " + tenant.id() + " failed on a delivery", e);
            }
        });
    }

    /** The receiving side, one per connection: who is at the other end, and where its frames go. */
    private final class KernelProtocolHandler extends SimpleChannelInboundHandler<Frame> {
        private final SslHandler tls;

        KernelProtocolHandler(SslHandler tls) {
            this.tls = tls;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent done && done.isSuccess()) {
                Optional<X509Certificate> shown = peerCertificate(tls);
                if (shown.isPresent()) {
                    Channel channel = ctx.channel();
                    channel.attr(PEER_CERTIFICATE).set(shown.get());
                    hostConnections.add(channel);
                    channel.closeFuture().addListener(f -> hostConnections.remove(channel));
                    if (trust.isRevoked(shown.get())) {
                        // a resumed session (no trust check), or revoked between the trust check and here (the
                        // sweep of revoke() may have missed it)
                        LOG.warning("refused a peer " + (tls.engine().getUseClientMode() ? "this host connected to"
                                : "connecting to this host") + " (after the handshake): " + PeerTrust.refusal(shown.get()));
                        channel.close();
                        return;
                    }
                    if (channel.attr(PEER).get() == null) {
                        channel.attr(PEER).set(Peer.host(HostIdentity.commonName(shown.get())));
                    }
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            Peer peer = ctx.channel().attr(PEER).get();
            if (frame.type() == Frame.Type.HELLO) {
                hello(ctx, frame, peer);
                return;
            }
            if (frame.type() == Frame.Type.ERROR) {
                LOG.fine(() -> "peer " + peer + " refused: " + frame.text());
                return;
            }
            if (peer == null) {
                refuse(ctx, "say HELLO with the buyer and app you want, or connect with an ISOS host certificate");
                return;
            }
            String buyer = frame.buyer();
            String app = frame.app();
            String lease = "";
            if (peer.kind() == Peer.Kind.CLIENT) {
                String[] target = ctx.channel().attr(CLIENT_APP).get();
                buyer = target[0];
                app = target[1];
                lease = target[2];
            }
            switch (frame.type()) {
            case MESSAGE -> {
                Optional<Tenant> to = tenancy.app(buyer, app, lease);
                if (to.isEmpty()) {
                    ctx.writeAndFlush(Frame.error("no app " + app + " of " + buyer + " on host " + identity.hostId()));
                    return;
                }
                Tenant tenant = to.get();
                tenant.usage().addIn(frame.payload().length);
                MessageListener listener = tenant.messageListener;
                if (listener != null) {
                    deliver(tenant, () -> listener.received(peer, frame.payload()));
                }
            }
            case STREAM_OPEN -> {
                Optional<Tenant> to = tenancy.app(buyer, app, lease);
                if (to.isEmpty() || to.get().messageListener == null) {
                    ctx.writeAndFlush(Frame.error("no app " + app + " of " + buyer + " taking streams on host "
                            + identity.hostId()));
                    return;
                }
                Tenant tenant = to.get();
                InboundStream stream = new InboundStream(ctx.channel(), tenant);
                inbound.put(key(ctx, frame.streamId()), stream);
                MessageListener listener = tenant.messageListener;
                deliver(tenant, () -> listener.streamOpened(peer, frame.text(), stream));
            }
            case STREAM_DATA -> {
                InboundStream stream = inbound.get(key(ctx, frame.streamId()));
                if (stream != null) {
                    stream.tenant.usage().addIn(frame.payload().length);
                    stream.offer(frame.payload());
                }
            }
            case STREAM_END -> {
                InboundStream stream = inbound.remove(key(ctx, frame.streamId()));
                if (stream != null) {
                    stream.end();
                }
            }
            default -> refuse(ctx, "unexpected frame " + frame.type());
            }
        }

        private void hello(ChannelHandlerContext ctx, Frame frame, Peer peer) {
            if (peer != null) {
                refuse(ctx, "HELLO was already said on this connection");
                return;
            }
            if (tenancy.app(frame.buyer(), frame.app(), frame.text()).isEmpty()) {
                refuse(ctx, "no app " + frame.app() + " of " + frame.buyer()
                        + (frame.text().isEmpty() ? "" : " under lease " + frame.text()) + " on host " + identity.hostId());
                return;
            }
            String session = "client-" + UUID.randomUUID();
            ctx.channel().attr(PEER).set(Peer.client(session));
            ctx.channel().attr(CLIENT_APP).set(new String[] { frame.buyer(), frame.app(), frame.text() });
            clients.put(session, ctx.channel());
            ctx.channel().closeFuture().addListener(f -> clients.remove(session));
            ctx.writeAndFlush(new Frame(Frame.Type.WELCOME, 0, frame.buyer(), frame.app(), session, null));
        }

        private void refuse(ChannelHandlerContext ctx, String why) {
            ctx.writeAndFlush(Frame.error(why));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbound.entrySet().removeIf(e -> {
                if (e.getValue().channel == ctx.channel()) {
                    e.getValue().broken();
                    return true;
                }
                return false;
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "transport connection " + ctx.channel().remoteAddress() + " failed", cause);
            ctx.writeAndFlush(Frame.error(String.valueOf(cause.getMessage()))).addListener(f -> ctx.close());
        }
    }

    private static String key(ChannelHandlerContext ctx, long streamId) {
        return ctx.channel().id().asLongText() + "/" + streamId;
    }

    /**
     * The receiving end of a stream. When the app reads slower than data arrives the connection stops
     * reading (autoRead off) until the app catches up, so a slow reader costs no unbounded memory.
     */
    private static final class InboundStream extends ChunkedStream {
        private static final int HIGH = 64;
        private static final int LOW = 16;

        final Channel channel;
        final Tenant tenant;

        InboundStream(Channel channel, Tenant tenant) {
            this.channel = channel;
            this.tenant = tenant;
        }

        @Override
        public void offer(byte[] chunk) {
            super.offer(chunk);
            if (backlog() > HIGH) {
                channel.config().setAutoRead(false);
            }
        }

        @Override
        protected void taken() {
            if (backlog() < LOW && !channel.config().isAutoRead()) {
                channel.config().setAutoRead(true);
            }
        }
    }
}
