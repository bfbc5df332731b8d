package org.isos.apps.backup.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.isos.apps.backup.protocol.FragmentMessage;
import org.isos.apps.backup.protocol.FragmentMessage.Op;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.toolkit.storage.AuditChallenge;
import org.isos.toolkit.storage.AuditCommitment;
import org.isos.toolkit.storage.StorageAudit;
import org.junit.jupiter.api.Test;

class FragmentHostTest {

    static final Peer CLIENT = Peer.client("s1");

    final MemoryStore store = new MemoryStore(100_000);
    final Wire wire = new Wire();
    final FragmentHost host = new FragmentHost(store, wire);

    @Test
    void putGetAuditDelete() {
        byte[] fragment = bytes(50_000, 1);
        String id = FragmentHost.sha256Hex(fragment);
        assertEquals(Op.PUT_OK, ask(FragmentMessage.put(id, fragment)).op());
        assertArrayEquals(fragment, store.blobs.get("frag/" + id));
        FragmentMessage data = ask(FragmentMessage.get(id));
        assertEquals(Op.DATA, data.op());
        assertArrayEquals(fragment, data.payload());

        SecureRandom random = new SecureRandom();
        AuditCommitment c = StorageAudit.merkle().commit(HexFormat.of().parseHex(id), fragment, random);
        AuditChallenge ch = StorageAudit.challenge(c, random, 13);
        FragmentMessage answer = ask(FragmentMessage.audit(id, ch.encode()));
        assertEquals(Op.AUDIT_ANSWER, answer.op());
        assertTrue(StorageAudit.verify(c, ch, answer.payload()).passed());

        store.blobs.get("frag/" + id)[4096 * 5 + 7] ^= 1; // rot on the host
        AuditChallenge all = StorageAudit.challenge(c, random, 13);
        assertFalse(StorageAudit.verify(c, all, ask(FragmentMessage.audit(id, all.encode())).payload()).passed());
        assertTrue(ask(FragmentMessage.get(id)).reason().contains("corrupt on this host"));

        assertEquals(Op.DELETED, ask(FragmentMessage.delete(id)).op());
        assertTrue(store.blobs.isEmpty());
        assertEquals("no fragment " + id + " on this host", ask(FragmentMessage.get(id)).reason());
        assertEquals("no fragment " + id + " on this host", ask(FragmentMessage.audit(id, ch.encode())).reason());
    }

    @Test
    void refusals() {
        byte[] fragment = bytes(1000, 2);
        String id = FragmentHost.sha256Hex(fragment);
        String wrongId = FragmentHost.sha256Hex(bytes(1000, 3));
        FragmentMessage wrong = ask(FragmentMessage.put(wrongId, fragment));
        assertEquals(Op.FAILED, wrong.op());
        assertTrue(wrong.reason().contains("does not match the SHA-256 of its 1000 bytes (" + id + ")"), wrong.reason());
        assertTrue(store.blobs.isEmpty());

        byte[] big = bytes(100_001, 4);
        FragmentMessage quota = ask(FragmentMessage.put(FragmentHost.sha256Hex(big), big));
        assertEquals(Op.FAILED, quota.op());
        assertEquals("over quota 100000", quota.reason());

        ask(FragmentMessage.put(id, fragment));
        FragmentMessage garbled = ask(FragmentMessage.audit(id, new byte[] { 1, 2, 3 }));
        assertTrue(garbled.reason().startsWith("bad audit challenge: "), garbled.reason());
        AuditCommitment other = StorageAudit.merkle().commit(HexFormat.of().parseHex(wrongId), fragment,
                new SecureRandom());
        FragmentMessage mismatch = ask(FragmentMessage.audit(id, StorageAudit.challenge(other, new SecureRandom()).encode()));
        assertTrue(mismatch.reason().startsWith("the audit challenge is for fragment " + wrongId), mismatch.reason());

        assertTrue(ask(new FragmentMessage(Op.DATA, id, fragment)).reason().startsWith("a host takes PUT, GET"));
        host.received(CLIENT, new byte[] { 1 });
        FragmentMessage unreadable = FragmentMessage.decode(wire.sent.remove(0));
        assertEquals("", unreadable.fragmentId());
        assertTrue(unreadable.reason().startsWith("unreadable request: truncated"), unreadable.reason());
    }

    private FragmentMessage ask(FragmentMessage request) {
        host.received(CLIENT, request.encode());
        assertEquals(1, wire.sent.size());
        FragmentMessage reply = FragmentMessage.decode(wire.sent.remove(0));
        assertEquals(request.fragmentId(), reply.fragmentId());
        return reply;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    static final class Wire implements Communication {
        final List<byte[]> sent = new ArrayList<>();
        Communication.MessageListener listener;

        @Override
        public String hostId() {
            return "host-1";
        }

        @Override
        public CompletionStage<Void> send(Peer to, byte[] message) {
            assertEquals(CLIENT, to);
            assertTrue(message.length <= MAX_MESSAGE_BYTES);
            sent.add(message);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public OutputStream openStream(Peer to, String channel) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void listen(MessageListener l) {
            listener = l;
        }
    }

    static final class MemoryStore implements BlobStore {
        final TreeMap<String, byte[]> blobs = new TreeMap<>();
        final long quota;

        MemoryStore(long quota) {
            this.quota = quota;
        }

        @Override
        public void put(String key, byte[] data) throws QuotaExceededException {
            long after = usedBytes() - Optional.ofNullable(blobs.get(key)).map(b -> b.length).orElse(0) + data.length;
            if (after > quota) {
                throw new QuotaExceededException("over quota " + quota, quota, after);
            }
            blobs.put(key, data.clone());
        }

        @Override
        public Optional<byte[]> get(String key) {
            return Optional.ofNullable(blobs.get(key)).map(byte[]::clone);
        }

        @Override
        public boolean delete(String key) {
            return blobs.remove(key) != null;
        }

        @Override
        public List<String> list(String prefix) {
            return blobs.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        }

        @Override
        public long usedBytes() {
            return blobs.values().stream().mapToLong(b -> b.length).sum();
        }

        @Override
        public long quotaBytes() {
            return quota;
        }
    }
}
