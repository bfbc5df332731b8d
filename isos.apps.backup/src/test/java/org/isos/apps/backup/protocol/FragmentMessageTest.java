package org.isos.apps.backup.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.isos.apps.backup.protocol.FragmentMessage.Op;
import org.isos.kernel.api.Communication;
import org.junit.jupiter.api.Test;

class FragmentMessageTest {

    static final String ID = "0123456789abcdef".repeat(4);

    @Test
    void everyOpRoundTrips() {
        for (Op op : Op.values()) {
            byte[] payload = switch (op) {
            case PUT_OK, GET, DELETE, DELETED -> new byte[0];
            default -> new byte[] { 1, 2, 3 };
            };
            FragmentMessage m = new FragmentMessage(op, ID, payload);
            FragmentMessage back = FragmentMessage.decode(m.encode());
            assertEquals(m, back);
            assertArrayEquals(payload, back.payload());
        }
        assertEquals("disk full", FragmentMessage.decode(FragmentMessage.failed("", "disk full").encode()).reason());
    }

    @Test
    void aFullSizeFragmentFitsInOneMessage() {
        byte[] big = new byte[FragmentMessage.MAX_PAYLOAD_BYTES];
        byte[] encoded = FragmentMessage.put(ID, big).encode();
        assertTrue(encoded.length <= Communication.MAX_MESSAGE_BYTES, "encoded " + encoded.length);
        assertEquals(big.length, FragmentMessage.decode(encoded).payload().length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FragmentMessage.put(ID, new byte[big.length + 1]));
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    }

    @Test
    void badMessagesAreRefusedWithTheReason() {
        assertMessage("must be 64 lowercase hex", () -> FragmentMessage.get(ID.toUpperCase()));
        assertMessage("must be 64 lowercase hex", () -> FragmentMessage.get(ID.substring(1)));
        assertMessage("must be 64 lowercase hex", () -> FragmentMessage.get(""));
        assertMessage("must be 64 lowercase hex", () -> FragmentMessage.get("../" + ID.substring(3)));
        assertMessage("GET carries no payload", () -> new FragmentMessage(Op.GET, ID, new byte[1]));
        assertMessage("AUDIT needs a payload", () -> FragmentMessage.audit(ID, new byte[0]));
        byte[] good = FragmentMessage.get(ID).encode();
        byte[] version = good.clone();
        version[0] = 2;
        assertMessage("version 2", () -> FragmentMessage.decode(version));
        byte[] op = good.clone();
        op[1] = (byte) Op.values().length;
        assertMessage("unknown fragment message op", () -> FragmentMessage.decode(op));
        assertMessage("truncated", () -> FragmentMessage.decode(Arrays.copyOf(good, 10)));
        assertMessage("truncated", () -> FragmentMessage.decode(new byte[0]));
        assertMessage("over the limit",
                () -> FragmentMessage.decode(new byte[Communication.MAX_MESSAGE_BYTES + 1]));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
