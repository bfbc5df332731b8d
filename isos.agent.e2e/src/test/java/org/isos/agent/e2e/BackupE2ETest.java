package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.isos.apps.backup.protocol.FragmentMessage;
import org.isos.apps.backup.protocol.FragmentMessage.Op;
import org.isos.kernel.wire.ClientSession;
import org.isos.toolkit.erasure.ReedSolomon;
import org.isos.toolkit.storage.AuditChallenge;
import org.isos.toolkit.storage.AuditCommitment;
import org.isos.toolkit.storage.AuditVerdict;
import org.isos.toolkit.storage.StorageAudit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup app's host side on a real secure agent: a buyer signs it and leases it to the host; the test, as the
 * backup client, erasure-codes a few MB 4-of-6, stores the six fragments there through the kernel's transport, reads
 * them back, audits them (Merkle), catches a fragment corrupted on the host's disk, rebuilds the data from four good
 * fragments, and runs into the lease's storage quota.
 */
class BackupE2ETest {

    static final String APP = "isos.apps.backup";
    static final String LEASE = "backup";
    static final int K = 4;
    static final int M = 2;
    static final int DATA_BYTES = 3_000_001; // not a multiple of K: the last data shard is padded
    static final int SHARD_BYTES = (DATA_BYTES + K - 1) / K;
    static final long QUOTA = 5L << 20; // the six fragments (4.3 MiB) fit, a seventh does not
    static final Duration REPLY = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @Test
    void fragmentsAreStoredServedAuditedAndRebuiltOnASecureAgent() throws Exception {
        byte[] data = new byte[DATA_BYTES];
        new Random(5).nextBytes(data);
        byte[][] shards = new byte[K + M][SHARD_BYTES];
        for (int i = 0; i < K; i++) {
            int from = i * SHARD_BYTES;
            System.arraycopy(data, from, shards[i], 0, Math.max(0, Math.min(SHARD_BYTES, DATA_BYTES - from)));
        }
        ReedSolomon codec = ReedSolomon.create(K, M);
        codec.encodeParity(shards, 0, SHARD_BYTES);
        String[] ids = new String[K + M];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = sha256(shards[i]);
        }
        SecureRandom random = new SecureRandom();
        StorageAudit merkle = StorageAudit.merkle(StorageAudit.DEFAULT_BLOCK_SIZE, 16);
        AuditCommitment[] commitments = new AuditCommitment[K + M];
        for (int i = 0; i < ids.length; i++) {
            commitments[i] = merkle.commit(HexFormat.of().parseHex(ids[i]), shards[i], random);
        }

        byte[] app = Jars.pki().sign(Jars.app(APP), "buyer-a");
        try (AgentProcess agent = new AgentProcess(root.resolve("agent"), Map.of()).secure().start()) {
            agent.awaitReady(Duration.ofSeconds(60));
            agent.drop("backup.jar", app);
            Map<String, String> lease = AgentProcess.hostLease(LEASE, "buyer-a", APP, 600, "backup.jar");
            lease.put("storageQuotaBytes", Long.toString(QUOTA));
            lease.put("bandwidthBytesPerSecond", Long.toString(32L << 20));
            agent.dropLease(LEASE, lease);
            agent.awaitStatus("backup app ACTIVE", Duration.ofSeconds(30),
                    s -> "ACTIVE".equals(s.getProperty("app." + LEASE + ".state")));
            try (ClientSession session = ClientSession.open(agent.transport(),
                    List.of(Jars.pki().certificate("ca")), "buyer-a", APP, LEASE)) {
                // store the six fragments
                for (int i = 0; i < ids.length; i++) {
                    session.send(FragmentMessage.put(ids[i], shards[i]).encode());
                    expect(session, Op.PUT_OK, ids[i]);
                }
                // a fragment whose id is not its hash is refused
                byte[] stray = Arrays.copyOf(shards[0], 1000);
                session.send(FragmentMessage.put(ids[0], stray).encode());
                assertTrue(expect(session, Op.FAILED, ids[0]).reason().contains("does not match the SHA-256"));
                // garbage gets a FAILED, not silence
                session.send(new byte[] { 9, 9, 9 });
                assertTrue(expect(session, Op.FAILED, "").reason().startsWith("unreadable request"));

                // read them back, byte for byte
                for (int i = 0; i < ids.length; i++) {
                    session.send(FragmentMessage.get(ids[i]).encode());
                    assertArrayEquals(shards[i], expect(session, Op.DATA, ids[i]).payload(), "fragment " + i);
                }

                // the honest host passes Merkle audits on every fragment, several times over
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < ids.length; i++) {
                        AuditVerdict verdict = audit(session, commitments[i], merkle.challengeWith(commitments[i], random));
                        assertTrue(verdict.passed(), "fragment " + i + ": " + verdict.reason());
                    }
                }

                // one byte of fragment 1 rots on the host's disk: an audit over all its blocks catches it
                Path stored = agent.kernelData().resolve("stores").resolve(LEASE).resolve("frag%2F" + ids[1]);
                assertTrue(Files.isRegularFile(stored), "the store file " + stored);
                byte[] onDisk = Files.readAllBytes(stored);
                assertArrayEquals(shards[1], onDisk);
                onDisk[123_457] ^= 0x40;
                Files.write(stored, onDisk);
                int blocks = (SHARD_BYTES + StorageAudit.DEFAULT_BLOCK_SIZE - 1) / StorageAudit.DEFAULT_BLOCK_SIZE;
                AuditVerdict caught = audit(session, commitments[1], StorageAudit.challenge(commitments[1], random, blocks));
                assertFalse(caught.passed(), "a corrupted fragment passed its audit");
                assertFalse(caught.reason().isBlank());
                // the others still pass, and the host will not serve the bad copy
                AuditVerdict other = audit(session, commitments[2], StorageAudit.challenge(commitments[2], random, blocks));
                assertTrue(other.passed(), other.reason());
                session.send(FragmentMessage.get(ids[1]).encode());
                assertTrue(expect(session, Op.FAILED, ids[1]).reason().contains("corrupt"));

                // rebuild the data from four good fragments fetched from the host (1 is corrupt, 5 left out)
                byte[][] fetched = new byte[K + M][];
                boolean[] present = new boolean[K + M];
                for (int i : new int[] { 0, 2, 3, 4 }) {
                    session.send(FragmentMessage.get(ids[i]).encode());
                    fetched[i] = expect(session, Op.DATA, ids[i]).payload();
                    assertEquals(ids[i], sha256(fetched[i]));
                    present[i] = true;
                }
                codec.decodeMissing(fetched, present, 0, SHARD_BYTES);
                byte[] rebuilt = new byte[DATA_BYTES];
                for (int i = 0; i < K; i++) {
                    int from = i * SHARD_BYTES;
                    System.arraycopy(fetched[i], 0, rebuilt, from, Math.max(0, Math.min(SHARD_BYTES, DATA_BYTES - from)));
                }
                assertArrayEquals(data, rebuilt);

                // a seventh fragment does not fit in the quota; after a DELETE it does
                byte[] extra = new byte[SHARD_BYTES];
                new Random(7).nextBytes(extra);
                String extraId = sha256(extra);
                session.send(FragmentMessage.put(extraId, extra).encode());
                String quota = expect(session, Op.FAILED, extraId).reason();
                assertTrue(quota.contains("quota") && quota.contains(Long.toString(QUOTA)), quota);
                session.send(FragmentMessage.delete(ids[5]).encode());
                expect(session, Op.DELETED, ids[5]);
                session.send(FragmentMessage.get(ids[5]).encode());
                assertTrue(expect(session, Op.FAILED, ids[5]).reason().startsWith("no fragment"));
                session.send(FragmentMessage.put(extraId, extra).encode());
                expect(session, Op.PUT_OK, extraId);
                // an audit of a deleted fragment fails on the host's side
                session.send(FragmentMessage.audit(ids[5],
                        StorageAudit.challenge(commitments[5], random, 1).encode()).encode());
                assertTrue(expect(session, Op.FAILED, ids[5]).reason().startsWith("no fragment"));
            }
        }
    }

    private static AuditVerdict audit(ClientSession session, AuditCommitment commitment, AuditChallenge challenge)
            throws Exception {
        String id = HexFormat.of().formatHex(challenge.fragmentId());
        session.send(FragmentMessage.audit(id, challenge.encode()).encode());
        return StorageAudit.verify(commitment, challenge, expect(session, Op.AUDIT_ANSWER, id).payload());
    }

    private static FragmentMessage expect(ClientSession session, Op op, String id) throws Exception {
        FragmentMessage reply = FragmentMessage.decode(session.receive(REPLY));
        assertEquals(op, reply.op(), () -> "expected " + op + " for " + id + ", got " + reply);
        assertEquals(id, reply.fragmentId());
        return reply;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
