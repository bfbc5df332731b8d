package org.isos.apps.backup.client;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.isos.toolkit.storage.AuditChallenge;
import org.isos.toolkit.storage.StorageAudit;

/**
 * A holder in memory that behaves like the backup app's host side (ids checked on put and get, audits answered from
 * the stored bytes), with faults to inject: unreachable, and a "lying" mode that serves stored bytes unchecked.
 */
final class MemoryHolder implements FragmentHolder {
    private final String hostId;
    private final String ownerId;
    final Map<String, byte[]> store = new ConcurrentHashMap<>();
    volatile boolean offline;
    /** Serve what is stored even when it no longer matches its id (a host that does not check). */
    volatile boolean unchecked;
    final java.util.concurrent.atomic.AtomicInteger puts = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();

    MemoryHolder(String hostId, String ownerId) {
        this.hostId = hostId;
        this.ownerId = ownerId;
    }

    @Override
    public String hostId() {
        return hostId;
    }

    @Override
    public String ownerId() {
        return ownerId;
    }

    private void reachable() throws IOException {
        if (offline) {
            throw new IOException("host " + hostId + " unreachable (test)");
        }
    }

    @Override
    public void put(String fragmentId, byte[] fragment) throws IOException {
        reachable();
        puts.incrementAndGet();
        if (!sha256(fragment).equals(fragmentId)) {
            throw new HolderRefusal("fragment id " + fragmentId + " does not match the SHA-256 of its bytes");
        }
        store.put(fragmentId, fragment.clone());
    }

    @Override
    public byte[] get(String fragmentId) throws IOException {
        reachable();
        gets.incrementAndGet();
        byte[] b = store.get(fragmentId);
        if (b == null) {
            throw new HolderRefusal("no fragment " + fragmentId + " on this host");
        }
        if (!unchecked && !sha256(b).equals(fragmentId)) {
            throw new HolderRefusal("fragment " + fragmentId + " is corrupt on this host");
        }
        return b.clone();
    }

    @Override
    public byte[] audit(String fragmentId, byte[] encodedChallenge) throws IOException {
        reachable();
        AuditChallenge challenge = AuditChallenge.decode(encodedChallenge);
        if (!HexFormat.of().formatHex(challenge.fragmentId()).equals(fragmentId)) {
            throw new HolderRefusal("the audit challenge is for another fragment");
        }
        byte[] b = store.get(fragmentId);
        if (b == null) {
            throw new HolderRefusal("no fragment " + fragmentId + " on this host");
        }
        return StorageAudit.respond(challenge, b);
    }

    @Override
    public void delete(String fragmentId) throws IOException {
        reachable();
        store.remove(fragmentId);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
