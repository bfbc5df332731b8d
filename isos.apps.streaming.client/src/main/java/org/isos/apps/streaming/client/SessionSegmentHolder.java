package org.isos.apps.streaming.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.isos.apps.streaming.protocol.SegmentMessage;
import org.isos.kernel.wire.ClientSession;

/**
 * A holder reached over the kernel's transport: the streaming app leased as {@code leaseId} by {@code provider} on
 * the host at {@code transport}, in one TLS session (the host's certificate must chain to one of {@code trusted}).
 * Many requests are in flight at once: answers ({@code STORED}, {@code FAILED}) and fetch streams are matched to
 * their request by the fragment's place (title, segment, index), which is also the stream's channel. The session is
 * opened on first use and again after it broke.
 */
public final class SessionSegmentHolder implements SegmentHolder {

    /** The app's symbolic name: the bundle the provider leases onto hosts. */
    public static final String APP = "isos.apps.streaming";

    private static final int READ_BYTES = 16 * 1024;

    private final String hostId;
    private final InetSocketAddress transport;
    private final List<X509Certificate> trusted;
    private final String provider;
    private final String leaseId;
    private final Duration timeout;
    /** The view ticket every fetch of {@link #ticketTitle} presents (null for the publisher, who only stores). */
    private final String ticket;
    private final String ticketTitle;
    /** Requests waiting for their answer or stream, by channel. */
    private final Map<String, CompletableFuture<SegmentMessage>> stores = new ConcurrentHashMap<>();
    private final Map<String, PendingFetch> fetches = new ConcurrentHashMap<>();
    private Connection connection;
    private volatile boolean closed;

    private record PendingFetch(Receiver receiver) {
    }

    /**
     * @param hostId    the host's id
     * @param transport the host kernel's transport address
     * @param trusted   the ISOS CA certificate(s)
     * @param provider  the buyer who leased the app (the title's provider)
     * @param leaseId   the lease under which the host runs the streaming app
     * @param timeout   how long connecting and a store's answer may take
     */
    public SessionSegmentHolder(String hostId, InetSocketAddress transport, List<X509Certificate> trusted,
            String provider, String leaseId, Duration timeout) {
        this(hostId, transport, trusted, provider, leaseId, timeout, null, null);
    }

    /**
     * A holder whose fetches of {@code title} present {@code ticket}, the view ticket the server sold with a view of
     * it: the host serves a title's fragments only to a fetch with a valid ticket for it.
     */
    public SessionSegmentHolder(String hostId, InetSocketAddress transport, List<X509Certificate> trusted,
            String provider, String leaseId, Duration timeout, String title, String ticket) {
        this.ticket = ticket;
        this.ticketTitle = title;
        this.hostId = requireText(hostId, "host id");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.trusted = List.copyOf(trusted);
        if (this.trusted.isEmpty()) {
            throw new IllegalArgumentException("no trusted CA certificate for host " + hostId);
        }
        this.provider = requireText(provider, "provider");
        this.leaseId = requireText(leaseId, "lease id");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    /** A holder for a manifest's holder slot. */
    public static SessionSegmentHolder of(TitleManifest.Holder holder, String provider, List<X509Certificate> trusted,
            Duration timeout) {
        return new SessionSegmentHolder(holder.hostId(), address(holder.transportAddress(), holder.leaseId()),
                trusted, provider, holder.leaseId(), timeout);
    }

    /** A viewer's holder for a manifest's holder slot: it presents the view's {@code ticket} for {@code title}. */
    public static SessionSegmentHolder of(TitleManifest.Holder holder, String provider, List<X509Certificate> trusted,
            Duration timeout, String title, String ticket) {
        return new SessionSegmentHolder(holder.hostId(), address(holder.transportAddress(), holder.leaseId()),
                trusted, provider, holder.leaseId(), timeout, title, ticket);
    }

    /** {@code host:port} (or {@code [v6]:port}) as an unresolved address. */
    public static InetSocketAddress address(String transportAddress, String leaseId) {
        try {
            return ClientSession.transportAddress(transportAddress);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lease " + leaseId + ": " + e.getMessage()
                    + " (the host has not reported one yet?)", e);
        }
    }

    @Override
    public String hostId() {
        return hostId;
    }

    public String leaseId() {
        return leaseId;
    }

    @Override
    public void store(String title, int segment, int index, String fragmentId, byte[] fragment) throws IOException {
        SegmentMessage request = SegmentMessage.store(title, segment, index, fragmentId, fragment);
        String channel = request.channel();
        CompletableFuture<SegmentMessage> answer = new CompletableFuture<>();
        stores.put(channel, answer);
        try {
            connection().session.send(request.encode());
            SegmentMessage reply = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.op() == SegmentMessage.Op.FAILED) {
                throw new IOException("host " + hostId + " refused " + channel + ": " + reply.reason());
            }
        } catch (TimeoutException e) {
            throw new InterruptedIOException("host " + hostId + ": no answer to STORE " + channel + " within "
                    + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IOException("host " + hostId + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing on host " + hostId);
        } finally {
            stores.remove(channel, answer);
        }
    }

    @Override
    public Fetch fetch(String title, int segment, int index, String fragmentId, Receiver receiver) {
        SegmentMessage request = SegmentMessage.fetch(title, segment, index, fragmentId,
                title.equals(ticketTitle) ? ticket : null);
        String channel = request.channel();
        PendingFetch pending = new PendingFetch(receiver);
        fetches.put(channel, pending);
        Connection c;
        try {
            c = connection();
            c.session.send(request.encode());
        } catch (IOException e) {
            if (fetches.remove(channel, pending)) {
                receiver.failed(e.getMessage());
            }
            return () -> {
            };
        }
        return () -> {
            // the host ends the stream at its next chunk; the reader hands the short end to the receiver, which
            // ignores it (the viewer has finished with that fetch)
            try {
                c.session.send(SegmentMessage.cancel(title, segment, index).encode());
            } catch (IOException e) {
                // the session broke: the stream ends by itself
            }
        };
    }

    /** One session and the two threads that hand its answers and streams to the requests waiting for them. */
    private final class Connection {
        final ClientSession session;
        volatile boolean broken;

        Connection(ClientSession session) {
            this.session = session;
            Thread messages = new Thread(this::messages, "isos-stream-answers-" + hostId);
            messages.setDaemon(true);
            messages.start();
            Thread streams = new Thread(this::streams, "isos-stream-streams-" + hostId);
            streams.setDaemon(true);
            streams.start();
        }

        private void messages() {
            while (!broken && !closed) {
                SegmentMessage reply;
                try {
                    reply = SegmentMessage.decode(session.receive(Duration.ofSeconds(1)));
                } catch (InterruptedIOException e) {
                    continue; // nothing arrived: look again (or stop if closed)
                } catch (IOException e) {
                    broke("host " + hostId + ": " + e.getMessage());
                    return;
                } catch (IllegalArgumentException e) {
                    continue; // not ours to understand; a request waiting on it times out
                }
                if (reply.title().isEmpty()) {
                    continue;
                }
                String channel = reply.channel();
                CompletableFuture<SegmentMessage> store = stores.get(channel);
                if (store != null && (reply.op() == SegmentMessage.Op.STORED || reply.op() == SegmentMessage.Op.FAILED)) {
                    store.complete(reply);
                    continue;
                }
                if (reply.op() == SegmentMessage.Op.FAILED) {
                    PendingFetch fetch = fetches.remove(channel);
                    if (fetch != null) {
                        fetch.receiver().failed("host " + hostId + ": " + reply.reason());
                    }
                }
            }
        }

        private void streams() {
            while (!broken && !closed) {
                ClientSession.IncomingStream stream;
                try {
                    stream = session.acceptStream(Duration.ofSeconds(1));
                } catch (InterruptedIOException e) {
                    continue;
                } catch (IOException e) {
                    return;
                }
                PendingFetch fetch = fetches.remove(stream.channel());
                Thread reader = new Thread(() -> read(stream.in(), fetch), "isos-stream-" + stream.channel());
                reader.setDaemon(true);
                reader.start();
            }
        }

        /** Hands a stream's bytes to its fetch (or drains one nobody waits for any more). */
        private void read(InputStream in, PendingFetch fetch) {
            byte[] buffer = new byte[READ_BYTES];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (fetch != null) {
                        fetch.receiver().bytes(buffer, 0, n);
                    }
                }
                if (fetch != null) {
                    fetch.receiver().ended();
                }
            } catch (IOException e) {
                if (fetch != null) {
                    fetch.receiver().failed("host " + hostId + ": " + e.getMessage());
                }
            }
        }

        private void broke(String reason) {
            broken = true;
            synchronized (SessionSegmentHolder.this) {
                if (connection == this) {
                    connection = null;
                }
            }
            try {
                session.close();
            } catch (IOException ignored) {
                // broken already
            }
            // every request still waiting hears it now; streams already flowing break by themselves
            for (String channel : new ArrayList<>(fetches.keySet())) {
                PendingFetch fetch = fetches.remove(channel);
                if (fetch != null) {
                    fetch.receiver().failed(reason);
                }
            }
            stores.values().forEach(f -> f.completeExceptionally(new IOException(reason)));
        }
    }

    private synchronized Connection connection() throws IOException {
        if (closed) {
            throw new IOException("holder " + hostId + " is closed");
        }
        if (connection == null) {
            try {
                InetSocketAddress target = transport.isUnresolved()
                        ? new InetSocketAddress(transport.getHostString(), transport.getPort())
                        : transport;
                if (target.isUnresolved()) {
                    throw new IOException("cannot resolve " + transport.getHostString());
                }
                // ClientSession connects without our timeout: a plain connect first answers sooner for a dead host
                try (Socket probe = new Socket()) {
                    probe.connect(target, (int) Math.min(timeout.toMillis(), 10_000));
                }
                connection = new Connection(ClientSession.open(target, trusted, provider, APP, leaseId));
            } catch (IOException e) {
                throw new IOException("host " + hostId + " at " + transport + " unreachable: " + e.getMessage(), e);
            }
        }
        return connection;
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        synchronized (this) {
            c = connection;
            connection = null;
        }
        if (c != null) {
            c.broke("holder " + hostId + " closed");
        }
    }

    @Override
    public String toString() {
        return "host " + hostId + " (lease " + leaseId + " at " + transport + ")";
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a holder needs a " + what);
        }
        return value;
    }
}
