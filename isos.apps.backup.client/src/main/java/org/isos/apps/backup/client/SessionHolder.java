package org.isos.apps.backup.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.isos.apps.backup.protocol.FragmentMessage;
import org.isos.apps.backup.protocol.FragmentMessage.Op;
import org.isos.kernel.wire.ClientSession;

/**
 * A holder reached through the kernel's transport: the backup app leased as {@code leaseId} on the host listening at
 * {@code transport}, in a TLS session (the host's certificate must chain to one of {@code trusted}). One request at
 * a time per session (the calls are serialized); the session is opened on first use and opened again after a
 * transport failure.
 */
public final class SessionHolder implements FragmentHolder, AutoCloseable {

    /** The app's symbolic name: the bundle the buyer leases onto hosts. */
    public static final String APP = "isos.apps.backup";

    private static final long CONNECT_TIMEOUT_MILLIS = 10_000;
    /**
     * Requests in flight at once in a batch: enough to fill the pipe, few enough that the host (which delivers each
     * message on a thread of its own) is not flooded.
     */
    private static final int WINDOW = 32;

    private final String hostId;
    private final String ownerId;
    private final InetSocketAddress transport;
    private final List<X509Certificate> trusted;
    private final String buyer;
    private final String leaseId;
    private final Duration timeout;
    private final long storageBytes;
    private ClientSession session;

    /**
     * @param hostId    the host's id (as the server lists it)
     * @param ownerId   the host's owner
     * @param transport the host kernel's transport address
     * @param trusted   the ISOS CA certificate(s)
     * @param buyer     the buyer who leased the app (the data's owner)
     * @param leaseId   the lease under which the host runs the backup app
     * @param timeout   how long to wait for one answer
     */
    public SessionHolder(String hostId, String ownerId, InetSocketAddress transport, List<X509Certificate> trusted,
            String buyer, String leaseId, Duration timeout) {
        this(hostId, ownerId, transport, trusted, buyer, leaseId, timeout, Long.MAX_VALUE / 4);
    }

    /**
     * A holder for one of the buyer's leases as the server lists it ({@code GET /v1/leases}: {@code id},
     * {@code hostId}, {@code ownerId}, {@code transportAddress} as {@code host:port}, {@code storageBytes}).
     *
     * @throws IllegalArgumentException when the transport address is not {@code host:port}
     */
    public static SessionHolder forLease(String leaseId, String hostId, String ownerId, String transportAddress,
            long storageBytes, List<X509Certificate> trusted, String buyer, Duration timeout) {
        InetSocketAddress address;
        try {
            address = ClientSession.transportAddress(transportAddress);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lease " + leaseId + ": " + e.getMessage()
                    + " (the host has not reported one yet?)", e);
        }
        return new SessionHolder(hostId, ownerId, address, trusted, buyer, leaseId, timeout, storageBytes);
    }

    private SessionHolder(String hostId, String ownerId, InetSocketAddress transport, List<X509Certificate> trusted,
            String buyer, String leaseId, Duration timeout, long storageBytes) {
        this.hostId = requireText(hostId, "host id");
        this.ownerId = requireText(ownerId, "owner id");
        this.transport = Objects.requireNonNull(transport, "transport address");
        this.trusted = List.copyOf(Objects.requireNonNull(trusted, "trusted certificates"));
        if (this.trusted.isEmpty()) {
            throw new IllegalArgumentException("no trusted CA certificate for host " + hostId);
        }
        this.buyer = requireText(buyer, "buyer");
        this.leaseId = requireText(leaseId, "lease id");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (storageBytes < 0) {
            throw new IllegalArgumentException("negative storage for host " + hostId);
        }
        this.storageBytes = storageBytes;
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a holder needs a " + what);
        }
        return value;
    }

    @Override
    public String hostId() {
        return hostId;
    }

    @Override
    public String ownerId() {
        return ownerId;
    }

    public String leaseId() {
        return leaseId;
    }

    /** The lease's storage quota (what placement may count on; the client does not track what it used of it). */
    @Override
    public long freeBytes() {
        return storageBytes;
    }

    @Override
    public void put(String fragmentId, byte[] fragment) throws IOException {
        call(FragmentMessage.put(fragmentId, fragment), Op.PUT_OK);
    }

    @Override
    public byte[] get(String fragmentId) throws IOException {
        return call(FragmentMessage.get(fragmentId), Op.DATA).payload();
    }

    @Override
    public byte[] audit(String fragmentId, byte[] encodedChallenge) throws IOException {
        return call(FragmentMessage.audit(fragmentId, encodedChallenge), Op.AUDIT_ANSWER).payload();
    }

    @Override
    public void delete(String fragmentId) throws IOException {
        call(FragmentMessage.delete(fragmentId), Op.DELETED);
    }

    @Override
    public Map<String, byte[]> getAll(Collection<String> fragmentIds) throws IOException {
        List<FragmentMessage> requests = new ArrayList<>();
        for (String id : new java.util.LinkedHashSet<>(fragmentIds)) {
            requests.add(FragmentMessage.get(id));
        }
        Map<String, byte[]> found = new LinkedHashMap<>();
        for (Map.Entry<String, FragmentMessage> r : callAll(requests, Op.DATA).entrySet()) {
            if (r.getValue().op() == Op.DATA) {
                found.put(r.getKey(), r.getValue().payload());
            }
        }
        return found;
    }

    @Override
    public void putAll(Map<String, byte[]> fragments) throws IOException {
        List<FragmentMessage> requests = new ArrayList<>();
        fragments.forEach((id, bytes) -> requests.add(FragmentMessage.put(id, bytes)));
        refusalOf(callAll(requests, Op.PUT_OK));
    }

    @Override
    public void deleteAll(Collection<String> fragmentIds) throws IOException {
        List<FragmentMessage> requests = new ArrayList<>();
        for (String id : new java.util.LinkedHashSet<>(fragmentIds)) {
            requests.add(FragmentMessage.delete(id));
        }
        refusalOf(callAll(requests, Op.DELETED));
    }

    private static void refusalOf(Map<String, FragmentMessage> replies) throws HolderRefusal {
        for (FragmentMessage reply : replies.values()) {
            if (reply.op() == Op.FAILED) {
                throw new HolderRefusal(reply.reason());
            }
        }
    }

    /**
     * Sends the requests (distinct fragment ids) pipelined, at most {@link #WINDOW} unanswered at once, and collects
     * the answer to each by id: the expected op or {@code FAILED}. Answers may come in any order (the host delivers
     * messages concurrently). The timeout applies to each wait for the next answer.
     */
    private synchronized Map<String, FragmentMessage> callAll(List<FragmentMessage> requests, Op expected)
            throws IOException {
        Map<String, FragmentMessage> replies = new HashMap<>();
        if (requests.isEmpty()) {
            return replies;
        }
        ClientSession s = session();
        try {
            Set<String> waiting = new HashSet<>();
            int next = 0;
            while (next < requests.size() || !waiting.isEmpty()) {
                while (next < requests.size() && waiting.size() < WINDOW) {
                    FragmentMessage request = requests.get(next++);
                    if (!waiting.add(request.fragmentId())) {
                        throw new IllegalArgumentException("fragment " + request.fragmentId() + " twice in a batch");
                    }
                    s.send(request.encode());
                }
                FragmentMessage reply;
                try {
                    reply = FragmentMessage.decode(s.receive(timeout));
                } catch (IllegalArgumentException e) {
                    throw new IOException("host " + hostId + " sent an unreadable answer: " + e.getMessage(), e);
                }
                if (reply.op() == Op.FAILED && reply.fragmentId().isEmpty()) {
                    throw new IOException("host " + hostId + " could not read a request: " + reply.reason());
                }
                if ((reply.op() == expected || reply.op() == Op.FAILED) && waiting.remove(reply.fragmentId())) {
                    replies.put(reply.fragmentId(), reply);
                }
            }
            return replies;
        } catch (IOException e) {
            drop();
            throw new IOException("host " + hostId + ": " + e.getMessage(), e);
        }
    }

    private synchronized FragmentMessage call(FragmentMessage request, Op expected) throws IOException {
        ClientSession s = session();
        try {
            s.send(request.encode());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new InterruptedIOException("no answer from host " + hostId + " within "
                            + timeout.toMillis() + " ms");
                }
                FragmentMessage reply;
                try {
                    reply = FragmentMessage.decode(s.receive(Duration.ofNanos(left)));
                } catch (IllegalArgumentException e) {
                    throw new IOException("host " + hostId + " sent an unreadable answer: " + e.getMessage(), e);
                }
                if (!reply.fragmentId().equals(request.fragmentId())) {
                    if (reply.op() == Op.FAILED && reply.fragmentId().isEmpty()) {
                        throw new HolderRefusal(reply.reason());
                    }
                    continue; // a late answer to an earlier request that timed out
                }
                if (reply.op() == Op.FAILED) {
                    throw new HolderRefusal(reply.reason());
                }
                if (reply.op() != expected) {
                    continue; // an answer to an earlier request for the same fragment
                }
                return reply;
            }
        } catch (HolderRefusal e) {
            throw e;
        } catch (IOException e) {
            drop();
            throw new IOException("host " + hostId + ": " + e.getMessage(), e);
        }
    }

    private ClientSession session() throws IOException {
        if (session == null) {
            try {
                // ClientSession connects without a timeout: a host that drops packets would hold the caller for the
                // system's TCP connect timeout (minutes). A plain connect with our timeout answers first.
                InetSocketAddress target = transport.isUnresolved()
                        ? new InetSocketAddress(transport.getHostString(), transport.getPort())
                        : transport;
                if (target.isUnresolved()) {
                    throw new IOException("cannot resolve " + transport.getHostString());
                }
                try (Socket probe = new Socket()) {
                    probe.connect(target, (int) Math.min(timeout.toMillis(), CONNECT_TIMEOUT_MILLIS));
                }
                session = ClientSession.open(target, trusted, buyer, APP, leaseId);
            } catch (IOException e) {
                throw new IOException("host " + hostId + " at " + transport + " unreachable: " + e.getMessage(), e);
            }
        }
        return session;
    }

    private void drop() {
        if (session != null) {
            try {
                session.close();
            } catch (IOException ignored) {
                // already broken
            }
            session = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }

    @Override
    public String toString() {
        return "host " + hostId + " (owner " + ownerId + ", lease " + leaseId + " at " + transport + ")";
    }
}
