package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.isos.apps.streaming.client.ViewTicketAnchor;
import org.isos.apps.streaming.protocol.SegmentMessage;
import org.isos.apps.streaming.protocol.SegmentMessage.Op;
import org.isos.kernel.wire.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming app's host side on a real secure agent: a buyer signs it and leases it to the host with a modem-like
 * upload cap (32,000 bytes/s, 256 kbit/s); the test, as publisher and viewer, stores a segment's fragments there,
 * fetches one over a kernel stream (byte-identical, at about the cap: the kernel's token bucket paces it), cancels a
 * second fetch mid-way (the stream ends early), and gets {@code FAILED} for a fragment the host does not hold.
 */
class StreamingE2ETest {

    static final String APP = "isos.apps.streaming";
    static final String LEASE = "streaming";
    static final String TITLE = "big-buck-bunny.ts";
    static final long CAP = 32_000; // bytes per second: a 256 kbit/s modem
    /**
     * Large enough that the bucket's one-second burst (and the first 16 KB frame) does not dominate the measured
     * rate: about 8 s at the cap.
     */
    static final int FRAGMENT_BYTES = 256 * 1024;
    static final int FRAGMENTS = 3;
    static final Duration REPLY = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void fragmentsAreStoredAndStreamedAtTheLeasesCapOnASecureAgent() throws Exception {
        // as `isos stream publish` does: the CA certificate goes into the app (its ticket check's anchor), then signed
        byte[] app = Jars.pki().sign(ViewTicketAnchor.bundleInto(Jars.app(APP), Jars.pki().certificate("ca")),
                "buyer-a");
        try (AgentProcess agent = new AgentProcess(root.resolve("agent"), Map.of()).secure().start()) {
            agent.awaitReady(Duration.ofSeconds(60));
            agent.drop("streaming.jar", app);
            Map<String, String> lease = AgentProcess.hostLease(LEASE, "buyer-a", APP, 600, "streaming.jar");
            lease.put("storageQuotaBytes", Long.toString(4L << 20));
            lease.put("bandwidthBytesPerSecond", Long.toString(CAP));
            agent.dropLease(LEASE, lease);
            agent.awaitStatus("streaming app ACTIVE", Duration.ofSeconds(30),
                    s -> "ACTIVE".equals(s.getProperty("app." + LEASE + ".state")));
            try (ClientSession session = ClientSession.open(agent.transport(),
                    List.of(Jars.pki().certificate("ca")), "buyer-a", APP, LEASE)) {
                exercise(session);
            } catch (Exception | AssertionError e) {
                System.out.println("StreamingE2ETest failed; the agent's log:\n" + agent.logTail());
                throw e;
            }
        }
    }

    private static void exercise(ClientSession session) throws Exception {
        byte[][] fragments = new byte[FRAGMENTS][FRAGMENT_BYTES];
        String[] ids = new String[FRAGMENTS];
        Random random = new Random(6);
        for (int i = 0; i < FRAGMENTS; i++) {
            random.nextBytes(fragments[i]);
            ids[i] = sha256(fragments[i]);
        }
        // the publisher stores segment 7's fragments 0..2
        for (int i = 0; i < FRAGMENTS; i++) {
            session.send(SegmentMessage.store(TITLE, 7, i, ids[i], fragments[i]).encode());
            SegmentMessage stored = expect(session, Op.STORED, 7, i);
            assertEquals(ids[i], stored.fragmentId());
        }
        // a fragment whose id is not its hash is refused
        session.send(SegmentMessage.store(TITLE, 7, 3, ids[0], Arrays.copyOf(fragments[0], 1000)).encode());
        assertTrue(expect(session, Op.FAILED, 7, 3).reason().contains("does not match the SHA-256"));
        // garbage gets a FAILED, not silence
        session.send(new byte[] { 9, 9, 9 });
        assertTrue(SegmentMessage.decode(session.receive(REPLY)).reason().startsWith("unreadable request"));

        // no fragment without a view ticket signed by the CA, for this title
        session.send(SegmentMessage.fetch(TITLE, 7, 0, ids[0]).encode());
        assertTrue(expect(session, Op.FAILED, 7, 0).reason().startsWith("NO_TICKET: "));
        session.send(SegmentMessage.fetch(TITLE, 7, 0, ids[0], ticket(Jars.pki().key("buyer-a"), TITLE)).encode());
        assertEquals("BAD_TICKET: its signature is not the ISOS CA's", expect(session, Op.FAILED, 7, 0).reason());
        String ticket = ticket(Jars.pki().key("ca"), TITLE);

        // a viewer fetches fragment 0: it comes over a kernel stream, byte-identical, paced by the lease's cap
        long start = System.nanoTime();
        session.send(SegmentMessage.fetch(TITLE, 7, 0, ids[0], ticket).encode());
        ClientSession.IncomingStream stream = session.acceptStream(REPLY);
        assertEquals(SegmentMessage.channel(TITLE, 7, 0), stream.channel());
        byte[] received;
        try (InputStream in = stream.in()) {
            received = in.readAllBytes();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertArrayEquals(fragments[0], received, "fragment 0 as streamed");
        double rate = received.length / seconds;
        System.out.printf("StreamingE2ETest: fetched %d bytes in %.2f s: goodput %.0f bytes/s = %.2f x the "
                + "lease's cap of %d bytes/s (%.0f kbit/s of %d)%n", received.length, seconds, rate,
                rate / CAP, CAP, rate * 8 / 1000, CAP * 8 / 1000);
        assertTrue(rate <= 1.5 * CAP, "goodput " + rate + " bytes/s is over 1.5x the cap of " + CAP);

        // a second fetch is cancelled after its first bytes: the stream ends early, with a true prefix
        session.send(SegmentMessage.fetch(TITLE, 7, 1, "", ticket).encode());
        ClientSession.IncomingStream second = session.acceptStream(REPLY);
        assertEquals(SegmentMessage.channel(TITLE, 7, 1), second.channel());
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        try (InputStream in = second.in()) {
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            assertTrue(n > 0, "no bytes before the cancel");
            partial.write(buffer, 0, n);
            session.send(SegmentMessage.cancel(TITLE, 7, 1).encode());
            in.transferTo(partial);
        }
        byte[] prefix = partial.toByteArray();
        System.out.printf("StreamingE2ETest: the cancelled fetch ended after %d of %d bytes%n", prefix.length,
                FRAGMENT_BYTES);
        assertTrue(prefix.length < FRAGMENT_BYTES, "the cancelled stream carried the whole fragment");
        assertArrayEquals(Arrays.copyOf(fragments[1], prefix.length), prefix);

        // a fragment the host does not hold, and one that is not the expected one: FAILED, no stream
        session.send(SegmentMessage.fetch(TITLE, 8, 0, "", ticket).encode());
        assertTrue(expect(session, Op.FAILED, 8, 0).reason().startsWith("no fragment"));
        session.send(SegmentMessage.fetch("other-title", 7, 0, "", ticket).encode());
        assertEquals("BAD_TICKET: the ticket is for " + TITLE + ", not other-title",
                expect(session, Op.FAILED, 7, 0).reason());
        session.send(SegmentMessage.fetch(TITLE, 7, 2, ids[0], ticket).encode());
        assertTrue(expect(session, Op.FAILED, 7, 2).reason().contains("not " + ids[0]));
    }

    /** A view ticket as the server signs one (isos.server ViewTickets), an hour long, signed by {@code key}. */
    private static String ticket(java.security.PrivateKey key, String title) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String body = b64.encodeToString(("{\"v\":1,\"title\":\"" + title + "\",\"viewer\":\"viewer\",\"viewId\":\"v1\","
                + "\"manifest\":\"" + "0".repeat(64) + "\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(key);
        signer.update(("ISOS view-ticket\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return body + "." + b64.encodeToString(signer.sign());
    }

    private static SegmentMessage expect(ClientSession session, Op op, int segment, int index) throws Exception {
        SegmentMessage reply = SegmentMessage.decode(session.receive(REPLY));
        assertEquals(op, reply.op(), () -> "expected " + op + " for " + segment + "/" + index + ", got " + reply);
        assertEquals(segment, reply.segment());
        assertEquals(index, reply.index());
        return reply;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
