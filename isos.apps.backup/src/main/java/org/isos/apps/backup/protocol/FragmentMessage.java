package org.isos.apps.backup.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

import org.isos.kernel.api.Communication;

/**
 * One message between the backup client and the backup app on a host. Fragments are content-addressed: a
 * fragment's id is the lowercase hex SHA-256 of its bytes.
 *
 * <ul>
 * <li>client → host: {@code PUT} (id, fragment bytes), {@code GET} (id), {@code AUDIT} (id, an encoded
 * {@code org.isos.toolkit.storage.AuditChallenge} for that fragment), {@code DELETE} (id);</li>
 * <li>host → client: {@code PUT_OK} (id), {@code DATA} (id, fragment bytes), {@code AUDIT_ANSWER} (id, the encoded
 * audit response), {@code DELETED} (id), {@code FAILED} (id, a UTF-8 reason).</li>
 * </ul>
 *
 * <p>Encoding: the version byte {@value #VERSION}, the op's ordinal (one byte), the fragment id (modified UTF-8 with
 * a two-byte length) and the payload, to the end of the message. A whole message is at most
 * {@link Communication#MAX_MESSAGE_BYTES}. {@code FAILED} alone may carry an empty id: the answer to a request whose
 * id could not be read.
 */
public record FragmentMessage(Op op, String fragmentId, byte[] payload) {

    public enum Op {
        PUT, PUT_OK, GET, DATA, AUDIT, AUDIT_ANSWER, DELETE, DELETED, FAILED
    }

    public static final int VERSION = 1;

    /** Header bytes in front of the payload: version, op, id length and a 64-character id. */
    public static final int HEADER_BYTES = 1 + 1 + 2 + 64;

    /** The largest payload (fragment, challenge or answer) one message carries. */
    public static final int MAX_PAYLOAD_BYTES = Communication.MAX_MESSAGE_BYTES - HEADER_BYTES;

    private static final Pattern FRAGMENT_ID = Pattern.compile("[0-9a-f]{64}");

    /**
     * @throws IllegalArgumentException when the id is not 64 lowercase hex digits (empty is allowed for
     *                                  {@code FAILED}), the payload is too big, or an op that carries no payload
     *                                  has one, or one that needs a payload has none
     */
    public FragmentMessage {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(fragmentId, "fragment id");
        if (!(op == Op.FAILED && fragmentId.isEmpty()) && !FRAGMENT_ID.matcher(fragmentId).matches()) {
            throw new IllegalArgumentException("fragment id '" + abbreviate(fragmentId)
                    + "' must be 64 lowercase hex digits (the SHA-256 of the fragment)");
        }
        payload = payload == null ? new byte[0] : payload;
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException(op + " payload of " + payload.length + " bytes is over the limit of "
                    + MAX_PAYLOAD_BYTES + " bytes per message");
        }
        switch (op) {
        case PUT_OK, GET, DELETE, DELETED -> {
            if (payload.length != 0) {
                throw new IllegalArgumentException(op + " carries no payload, got " + payload.length + " bytes");
            }
        }
        case AUDIT, AUDIT_ANSWER -> {
            if (payload.length == 0) {
                throw new IllegalArgumentException(op + " needs a payload, got none");
            }
        }
        default -> {
            // PUT and DATA carry a fragment (possibly empty), FAILED a reason
        }
        }
    }

    public static FragmentMessage put(String fragmentId, byte[] fragment) {
        return new FragmentMessage(Op.PUT, fragmentId, fragment);
    }

    public static FragmentMessage get(String fragmentId) {
        return new FragmentMessage(Op.GET, fragmentId, null);
    }

    public static FragmentMessage audit(String fragmentId, byte[] encodedChallenge) {
        return new FragmentMessage(Op.AUDIT, fragmentId, encodedChallenge);
    }

    public static FragmentMessage delete(String fragmentId) {
        return new FragmentMessage(Op.DELETE, fragmentId, null);
    }

    public static FragmentMessage failed(String fragmentId, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_PAYLOAD_BYTES) {
            text = java.util.Arrays.copyOf(text, MAX_PAYLOAD_BYTES);
        }
        return new FragmentMessage(Op.FAILED, fragmentId, text);
    }

    /** The reason of a {@code FAILED}. */
    public String reason() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + HEADER_BYTES);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(op.ordinal());
            out.writeUTF(fragmentId);
            out.write(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code message} */
    public static FragmentMessage decode(byte[] message) {
        Objects.requireNonNull(message, "message");
        if (message.length > Communication.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("fragment message of " + message.length + " bytes is over the limit of "
                    + Communication.MAX_MESSAGE_BYTES);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("fragment message version " + version + ", this side speaks "
                        + VERSION);
            }
            int op = in.readUnsignedByte();
            if (op >= Op.values().length) {
                throw new IllegalArgumentException("unknown fragment message op " + op);
            }
            String id = in.readUTF();
            return new FragmentMessage(Op.values()[op], id, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated fragment message of " + message.length + " bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FragmentMessage m && m.op == op && m.fragmentId.equals(fragmentId)
                && java.util.Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, fragmentId) * 31 + java.util.Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return op + " " + (fragmentId.isEmpty() ? "-" : fragmentId.substring(0, 12)) + " ("
                + (op == Op.FAILED ? reason() : payload.length + " bytes") + ")";
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
