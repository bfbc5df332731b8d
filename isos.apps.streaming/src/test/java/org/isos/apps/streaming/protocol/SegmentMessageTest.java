package org.isos.apps.streaming.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

import org.isos.apps.streaming.protocol.SegmentMessage.Op;
import org.isos.kernel.api.Communication;
import org.junit.jupiter.api.Test;

class SegmentMessageTest {

    static final String ID = "0123456789abcdef".repeat(4);
    static final String TITLE = "Big_Buck-Bunny.2008";

    @Test
    void everyOpRoundTrips() {
        for (Op op : Op.values()) {
            String id = switch (op) {
            case STORE, STORED, FETCH -> ID;
            default -> "";
            };
            byte[] payload = switch (op) {
            case STORED, FETCH, CANCEL -> new byte[0];
            default -> new byte[] { 1, 2, 3 };
            };
            SegmentMessage m = new SegmentMessage(op, TITLE, 12, 34, id, payload);
            SegmentMessage back = SegmentMessage.decode(m.encode());
            assertEquals(m, back);
            assertEquals(m.hashCode(), back.hashCode());
            assertEquals(TITLE, back.title());
            assertEquals(12, back.segment());
            assertEquals(34, back.index());
            assertEquals(id, back.fragmentId());
            assertArrayEquals(payload, back.payload());
        }
        assertEquals(SegmentMessage.fetch(TITLE, 0, 0), SegmentMessage.decode(SegmentMessage.fetch(TITLE, 0, 0).encode()));
        SegmentMessage cancel = SegmentMessage.decode(SegmentMessage.cancel(TITLE, Integer.MAX_VALUE, 65_535).encode());
        assertEquals(Integer.MAX_VALUE, cancel.segment());
        assertEquals(65_535, cancel.index());
        assertEquals("disk full", SegmentMessage.decode(SegmentMessage.failed("", 0, 0, "disk full").encode()).reason());
        assertEquals("", SegmentMessage.decode(SegmentMessage.failed("", 0, 0, "x").encode()).title());
        assertEquals("no ünïcödé ✓", SegmentMessage.decode(SegmentMessage.failed(TITLE, 1, 2, "no ünïcödé ✓").encode())
                .reason());
        // the defaults: a null id and a null payload read as empty
        SegmentMessage nulls = new SegmentMessage(Op.CANCEL, TITLE, 1, 2, null, null);
        assertEquals("", nulls.fragmentId());
        assertEquals(0, nulls.payload().length);
        assertEquals(SegmentMessage.cancel(TITLE, 1, 2), nulls);
    }

    @Test
    void titlesAtTheEdgesOfTheRules() {
        for (String ok : new String[] { "a", "A.b", "-x", "_y", "x.y.z", "9", "a".repeat(SegmentMessage.MAX_TITLE_CHARS),
                "movie.mp4" }) {
            assertEquals(ok, SegmentMessage.decode(SegmentMessage.cancel(ok, 0, 0).encode()).title());
        }
    }

    @Test
    void aFetchCarriesItsViewTicketAsTextAndItMustFit() {
        String ticket = "eyJ2IjoxfQ.MEUCIQ-_x";
        SegmentMessage back = SegmentMessage.decode(SegmentMessage.fetch(TITLE, 3, 4, ID, ticket).encode());
        assertEquals(Op.FETCH, back.op());
        assertEquals(ID, back.fragmentId());
        assertEquals(ticket, back.ticket());
        assertEquals("", SegmentMessage.fetch(TITLE, 3, 4).ticket(), "no ticket");
        assertEquals("", SegmentMessage.fetch(TITLE, 3, 4, ID, null).ticket());
        assertTrue(back.toString().endsWith("(" + ticket.length() + " bytes)"), "the ticket itself is not logged");
        SegmentMessage.fetch(TITLE, 0, 0, "", "x".repeat(SegmentMessage.MAX_TICKET_BYTES));
        assertEquals("FETCH carries a view ticket of at most 4096 bytes, got 4097", assertThrows(
                IllegalArgumentException.class, () -> SegmentMessage.fetch(TITLE, 0, 0, "", "x".repeat(4097)))
                .getMessage());
    }

    @Test
    void channelsNameTheFragment() {
        assertEquals("frag/" + TITLE + "/3/7", SegmentMessage.channel(TITLE, 3, 7));
        assertEquals("frag/" + TITLE + "/3/7", SegmentMessage.fetch(TITLE, 3, 7).channel());
        assertEquals(SegmentMessage.CHANNEL_PREFIX, "frag/");
        assertMessage("title '../x' may hold only", () -> SegmentMessage.channel("../x", 0, 0));
        assertMessage("must be 1 to 100 characters, was 0", () -> SegmentMessage.channel("", 0, 0));
    }

    @Test
    void aFullSizeFragmentFitsInOneMessage() {
        byte[] big = new byte[SegmentMessage.MAX_PAYLOAD_BYTES];
        String longest = "t".repeat(SegmentMessage.MAX_TITLE_CHARS);
        byte[] encoded = SegmentMessage.store(longest, Integer.MAX_VALUE, SegmentMessage.MAX_INDEX, ID, big).encode();
        assertEquals(Communication.MAX_MESSAGE_BYTES, encoded.length);
        assertEquals(big.length, SegmentMessage.decode(encoded).payload().length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SegmentMessage.store(TITLE, 0, 0, ID, new byte[big.length + 1]));
        assertTrue(e.getMessage().contains("STORE payload of " + (big.length + 1) + " bytes is over the limit of "
                + big.length + " bytes per message"), e.getMessage());
        // a reason too long is cut to what fits, not refused
        SegmentMessage failed = SegmentMessage.failed(TITLE, 0, 0, "x".repeat(Communication.MAX_MESSAGE_BYTES));
        assertEquals(SegmentMessage.MAX_PAYLOAD_BYTES, failed.payload().length);
        assertTrue(failed.encode().length <= Communication.MAX_MESSAGE_BYTES);
    }

    @Test
    void badTitlesAreRefusedWithTheReason() {
        assertMessage("title '' must be 1 to 100", () -> SegmentMessage.store("", 0, 0, ID, new byte[1]));
        assertMessage("title '' must be 1 to 100 characters, was 0", () -> SegmentMessage.fetch("", 0, 0));
        assertMessage("must be 1 to 100 characters, was 101",
                () -> SegmentMessage.fetch("a".repeat(SegmentMessage.MAX_TITLE_CHARS + 1), 0, 0));
        String only = "may hold only letters, digits, '.', '_' and '-', may not start with '.' nor contain '..'";
        assertMessage(only, () -> SegmentMessage.fetch(".hidden", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("a..b", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("..", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("a/b", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("a b", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("film\\x", 0, 0));
        assertMessage(only, () -> SegmentMessage.fetch("fïlm", 0, 0));
        assertMessage("title '" + "a".repeat(77) + "...'",
                () -> SegmentMessage.fetch("a".repeat(SegmentMessage.MAX_TITLE_CHARS) + "/", 0, 0));
        // only FAILED may have an empty title
        assertMessage("must be 1 to 100", () -> SegmentMessage.cancel("", 0, 0));
        assertMessage("must be 1 to 100", () -> SegmentMessage.stored("", 0, 0, ID));
        assertMessage("may hold only", () -> SegmentMessage.failed("a/b", 0, 0, "x"));
        assertThrows(NullPointerException.class, () -> SegmentMessage.fetch(null, 0, 0));
        assertThrows(NullPointerException.class, () -> new SegmentMessage(null, TITLE, 0, 0, "", null));
    }

    @Test
    void badPlacesIdsAndPayloadsAreRefusedWithTheReason() {
        assertMessage("FETCH: segment number must be >= 0, was -1", () -> SegmentMessage.fetch(TITLE, -1, 0));
        assertMessage("FETCH: fragment index must be in 0..65535, was -1", () -> SegmentMessage.fetch(TITLE, 0, -1));
        assertMessage("CANCEL: fragment index must be in 0..65535, was 65536",
                () -> SegmentMessage.cancel(TITLE, 0, 65_536));

        String hex = "must be 64 lowercase hex digits (the SHA-256 of the fragment)";
        assertMessage("STORE: fragment id '" + ID.toUpperCase() + "' " + hex,
                () -> SegmentMessage.store(TITLE, 0, 0, ID.toUpperCase(), new byte[1]));
        assertMessage(hex, () -> SegmentMessage.store(TITLE, 0, 0, ID.substring(1), new byte[1]));
        assertMessage(hex, () -> SegmentMessage.store(TITLE, 0, 0, "", new byte[1]));
        assertMessage(hex, () -> SegmentMessage.store(TITLE, 0, 0, "../" + ID.substring(3), new byte[1]));
        assertMessage("STORED: fragment id '' " + hex, () -> SegmentMessage.stored(TITLE, 0, 0, ""));
        assertMessage("FETCH: the expected fragment id 'abc' must be empty or 64 lowercase hex digits",
                () -> SegmentMessage.fetch(TITLE, 0, 0, "abc"));
        assertMessage("CANCEL carries no fragment id, got '" + ID + "'",
                () -> new SegmentMessage(Op.CANCEL, TITLE, 0, 0, ID, null));
        assertMessage("FAILED carries no fragment id", () -> new SegmentMessage(Op.FAILED, TITLE, 0, 0, ID, null));
        assertMessage("'" + "a".repeat(77) + "...'", () -> new SegmentMessage(Op.CANCEL, TITLE, 0, 0, "a".repeat(200), null));

        assertMessage("STORE needs the fragment's bytes, got none", () -> SegmentMessage.store(TITLE, 0, 0, ID, new byte[0]));
        assertMessage("STORED carries no payload, got 1 bytes", () -> new SegmentMessage(Op.STORED, TITLE, 0, 0, ID, new byte[1]));
        assertMessage("FETCH carries a view ticket of at most 4096 bytes, got 4097",
                () -> new SegmentMessage(Op.FETCH, TITLE, 0, 0, "", new byte[SegmentMessage.MAX_TICKET_BYTES + 1]));
        assertMessage("CANCEL carries no payload, got 3 bytes", () -> new SegmentMessage(Op.CANCEL, TITLE, 0, 0, "", new byte[3]));
    }

    @Test
    void badEncodingsAreRefusedWithTheReason() throws IOException {
        byte[] good = SegmentMessage.fetch(TITLE, 1, 2).encode();
        byte[] version = good.clone();
        version[0] = 2;
        assertMessage("segment message version 2, this side speaks 1", () -> SegmentMessage.decode(version));
        byte[] op = good.clone();
        op[1] = (byte) Op.values().length;
        assertMessage("unknown segment message op " + Op.values().length, () -> SegmentMessage.decode(op));
        byte[] highOp = good.clone();
        highOp[1] = (byte) 0xff;
        assertMessage("unknown segment message op 255", () -> SegmentMessage.decode(highOp));
        assertMessage("truncated segment message of 10 bytes", () -> SegmentMessage.decode(Arrays.copyOf(good, 10)));
        assertMessage("truncated", () -> SegmentMessage.decode(Arrays.copyOf(good, good.length - 1)));
        assertMessage("truncated segment message of 0 bytes", () -> SegmentMessage.decode(new byte[0]));
        assertMessage("segment message of " + (Communication.MAX_MESSAGE_BYTES + 1) + " bytes is over the limit of "
                + Communication.MAX_MESSAGE_BYTES, () -> SegmentMessage.decode(new byte[Communication.MAX_MESSAGE_BYTES + 1]));
        assertThrows(NullPointerException.class, () -> SegmentMessage.decode(null));

        // decode validates like the constructor: what a hostile client could put on the wire
        assertMessage("may hold only", () -> SegmentMessage.decode(raw(Op.FETCH, "../../etc", 0, 0, "", new byte[0])));
        assertMessage("must be 1 to 100", () -> SegmentMessage.decode(raw(Op.FETCH, "", 0, 0, "", new byte[0])));
        assertMessage("segment number must be >= 0, was -5",
                () -> SegmentMessage.decode(raw(Op.FETCH, TITLE, -5, 0, "", new byte[0])));
        assertMessage("fragment index must be in 0..65535, was 70000",
                () -> SegmentMessage.decode(raw(Op.FETCH, TITLE, 0, 70_000, "", new byte[0])));
        assertMessage("must be 64 lowercase hex",
                () -> SegmentMessage.decode(raw(Op.STORE, TITLE, 0, 0, ID.toUpperCase(), new byte[1])));
        assertMessage("STORE needs the fragment's bytes",
                () -> SegmentMessage.decode(raw(Op.STORE, TITLE, 0, 0, ID, new byte[0])));
        assertMessage("CANCEL carries no payload, got 4 bytes",
                () -> SegmentMessage.decode(raw(Op.CANCEL, TITLE, 0, 0, "", new byte[4])));
        assertEquals(SegmentMessage.failed("", 0, 0, "why"),
                SegmentMessage.decode(raw(Op.FAILED, "", 0, 0, "", "why".getBytes())));
    }

    @Test
    void toStringIsShort() {
        assertEquals("STORE " + TITLE + "/1/2 " + ID.substring(0, 12) + " (3 bytes)",
                SegmentMessage.store(TITLE, 1, 2, ID, new byte[3]).toString());
        assertEquals("FAILED - (unreadable)", SegmentMessage.failed("", 0, 0, "unreadable").toString());
    }

    private static byte[] raw(Op op, String title, int segment, int index, String id, byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(SegmentMessage.VERSION);
            out.writeByte(op.ordinal());
            out.writeUTF(title);
            out.writeInt(segment);
            out.writeInt(index);
            out.writeUTF(id);
            out.write(payload);
        }
        return bytes.toByteArray();
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
