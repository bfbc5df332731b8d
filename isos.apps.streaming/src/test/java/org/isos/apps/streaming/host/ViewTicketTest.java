package org.isos.apps.streaming.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;

import org.isos.apps.streaming.host.SegmentServerTest.Kernel;
import org.isos.apps.streaming.host.SegmentServerTest.MemoryStore;
import org.isos.apps.streaming.host.SegmentServerTest.Wire;
import org.isos.apps.streaming.protocol.SegmentMessage;
import org.isos.apps.streaming.protocol.SegmentMessage.Op;
import org.isos.kernel.api.Peer;
import org.isos.testkit.MovableClock;
import org.junit.jupiter.api.Test;

/** Pay-per-view on the host: no fragment leaves it for a session without a valid view ticket for the title. */
class ViewTicketTest {

    static final Peer VIEWER = Peer.client("viewer-1");
    static final String TITLE = "movie.ts";

    final MovableClock clock = new MovableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    final MemoryStore store = new MemoryStore(100_000);
    final Wire wire = new Wire();
    final SegmentServer server = new SegmentServer(store, wire, new Kernel(),
            new ViewTicketCheck(TestTickets.CA.getPublic(), clock));
    final byte[] fragment = new byte[5000];

    ViewTicketTest() {
        new java.util.Random(6).nextBytes(fragment);
        server.received(Peer.client("publisher"), SegmentMessage.store(TITLE, 0, 0, id(), fragment).encode());
        assertEquals(Op.STORED, SegmentMessage.decode(wire.sent.remove(0).bytes()).op(), "STORE needs no ticket");
    }

    @Test
    void aFetchWithAValidTicketIsServed() {
        String ticket = TestTickets.ticket(TestTickets.CA.getPrivate(), TITLE, clock.instant().plusSeconds(3600));
        server.received(VIEWER, SegmentMessage.fetch(TITLE, 0, 0, id(), ticket).encode());
        assertTrue(wire.sent.isEmpty(), "served: " + wire.sent);
        assertArrayEquals(fragment, wire.streams.get(0).bytes.toByteArray());
        // the ticket is a bearer token: whoever holds it is served, and it is checked once
        server.received(Peer.client("viewer-2"), SegmentMessage.fetch(TITLE, 0, 0, id(), ticket).encode());
        assertEquals(2, wire.streams.size(), wire.sent.toString());
    }

    @Test
    void noTicketIsRefused() {
        assertEquals("NO_TICKET: a fetch of " + TITLE + " needs the view ticket the server sells with a view (POST"
                + " /v1/titles/" + TITLE + "/views)", refusal(null));
        assertTrue(wire.streams.isEmpty());
    }

    @Test
    void aForgedTicketIsRefused() {
        assertEquals("BAD_TICKET: its signature is not the ISOS CA's", refusal(TestTickets.ticket(
                TestTickets.FORGER.getPrivate(), TITLE, clock.instant().plusSeconds(3600))));
        // a genuine ticket's payload changed after signing: a longer expiry, say
        String genuine = TestTickets.ticket(TestTickets.CA.getPrivate(), TITLE, clock.instant().plusSeconds(60));
        String longer = TestTickets.b64(("{\"v\":1,\"title\":\"" + TITLE + "\",\"exp\":" + clock.instant().plusSeconds(99_999)
                .getEpochSecond() + "}").getBytes());
        assertEquals("BAD_TICKET: its signature is not the ISOS CA's",
                refusal(longer + genuine.substring(genuine.indexOf('.'))));
        assertEquals("BAD_TICKET: not a view ticket (base64url payload '.' base64url signature)", refusal("garbage"));
        assertEquals("BAD_TICKET: its payload lacks v 1, a title or an exp", refusal(TestTickets.signed(
                TestTickets.CA.getPrivate(), "{\"v\":1,\"title\":\"" + TITLE + "\"}")));
        assertTrue(refusal(TestTickets.signed(TestTickets.CA.getPrivate(), "[1]"))
                .startsWith("BAD_TICKET: its payload is not a flat JSON object"));
        assertTrue(wire.streams.isEmpty());
    }

    @Test
    void anotherTitlesTicketIsRefused() {
        assertEquals("BAD_TICKET: the ticket is for cheap.ts, not " + TITLE, refusal(TestTickets.ticket(
                TestTickets.CA.getPrivate(), "cheap.ts", clock.instant().plusSeconds(3600))));
        assertTrue(wire.streams.isEmpty());
    }

    @Test
    void anExpiredTicketIsRefusedAndOneThatExpiresWhileWatchingStopsServing() {
        assertTrue(refusal(TestTickets.ticket(TestTickets.CA.getPrivate(), TITLE, clock.instant().minusSeconds(1)))
                .startsWith("EXPIRED_TICKET: view view-1 of " + TITLE + " expired at "), wire.sent.toString());

        Instant expires = clock.instant().plusSeconds(60);
        String ticket = TestTickets.ticket(TestTickets.CA.getPrivate(), TITLE, expires);
        server.received(VIEWER, SegmentMessage.fetch(TITLE, 0, 0, "", ticket).encode());
        assertEquals(1, wire.streams.size(), "served while valid");
        clock.advance(Duration.between(clock.instant(), expires));
        assertEquals(ViewTicketCheck.expired(TITLE, "view-1", expires), refusal(ticket), "the cached check too");
        assertEquals(1, wire.streams.size());
    }

    @Test
    void anAppWithoutTheCaCertificateServesNothing() {
        ViewTicketCheck bundled = ViewTicketCheck.bundled(clock); // no OSGI-INF/isos/view-ticket-ca.pem in tests
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> bundled.check(
                TestTickets.ticket(TestTickets.CA.getPrivate(), TITLE, clock.instant().plusSeconds(60))));
        assertTrue(refused.getMessage().startsWith("BAD_TICKET: cannot be checked: this host's copy of the app carries"
                + " no ISOS CA certificate"), refused.getMessage());
    }

    @Test
    void theTicketReaderTakesEscapesAndRefusesMalformedJson() {
        Map<String, Object> fields = new ViewTicketCheck.FlatJson(
                " {\"title\" : \"a\\\"b\\\\c\\u00e9\\n\", \"exp\":-5,\"ok\":true,\"none\":null} ").object();
        assertEquals("a\"b\\c\u00e9\n", fields.get("title"));
        assertEquals(-5L, fields.get("exp"));
        assertEquals(Boolean.TRUE, fields.get("ok"));
        assertTrue(fields.containsKey("none"));
        for (String bad : new String[] { "", "{", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"a\":[1]}",
                "{\"a\":\"\\x\"}", "{\"a\":99999999999999999999}", "{a:1}" }) {
            assertThrows(IllegalArgumentException.class, () -> new ViewTicketCheck.FlatJson(bad).object(), bad);
        }
    }

    /** A fetch presenting {@code ticket} (none when null): the FAILED reason it gets. */
    private String refusal(String ticket) {
        server.received(VIEWER, SegmentMessage.fetch(TITLE, 0, 0, "", ticket).encode());
        SegmentMessage reply = SegmentMessage.decode(wire.sent.remove(wire.sent.size() - 1).bytes());
        assertEquals(Op.FAILED, reply.op(), reply::toString);
        return reply.reason();
    }

    private String id() {
        return HexFormat.of().formatHex(SegmentServer.sha256(fragment));
    }
}
