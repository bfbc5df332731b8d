package org.isos.apps.streaming.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

import org.isos.kernel.api.Communication;

/**
 * One message between a streaming client (the publisher, a viewer) and the streaming app on a host. A fragment is
 * addressed by its title, segment number and fragment index; its id is the lowercase hex SHA-256 of its bytes.
 *
 * <ul>
 * <li>client → host: {@code STORE} (title, segment, index, id, fragment bytes), {@code FETCH} (title, segment,
 * index, and optionally the id the client expects), {@code CANCEL} (title, segment, index);</li>
 * <li>host → client: {@code STORED} (title, segment, index, id), {@code FAILED} (the request's title, segment and
 * index, a UTF-8 reason). Since 1.1 a {@code FETCH} carries the server's view ticket for the title as its UTF-8
 * payload, and a host serves only a fetch with a valid ticket, answering others {@code FAILED} with
 * {@code NO_TICKET: …}, {@code BAD_TICKET: …} or {@code EXPIRED_TICKET: …}. A {@code FETCH} that succeeds is
 * answered not with a message but with a kernel byte stream
 * on the channel {@link #channel(String, int, int) frag/&lt;title&gt;/&lt;segment&gt;/&lt;index&gt;} that carries
 * the fragment's bytes, paced by the host lease's bandwidth cap; a {@code CANCEL} ends that stream early.</li>
 * </ul>
 *
 * <p>Encoding: the version byte {@value #VERSION}, the op's ordinal (one byte), the title (modified UTF-8 with a
 * two-byte length), segment and index (four-byte ints), the id (modified UTF-8, empty where the op has none) and the
 * payload, to the end of the message. A whole message is at most {@link Communication#MAX_MESSAGE_BYTES}.
 * {@code FAILED} alone may carry an empty title: the answer to a request that could not be read.
 */
public record SegmentMessage(Op op, String title, int segment, int index, String fragmentId, byte[] payload) {

    public enum Op {
        STORE, STORED, FETCH, CANCEL, FAILED
    }

    public static final int VERSION = 1;

    /** The longest title: it goes into store keys and channel names. */
    public static final int MAX_TITLE_CHARS = 100;

    /** The highest fragment index (a segment is coded into at most this many + 1 fragments). */
    public static final int MAX_INDEX = 65_535;

    /** Header bytes in front of the payload at most: version, op, title, segment, index and a 64-character id. */
    public static final int HEADER_BYTES = 1 + 1 + 2 + MAX_TITLE_CHARS + 4 + 4 + 2 + 64;

    /** The largest fragment (or reason) one message carries. */
    public static final int MAX_PAYLOAD_BYTES = Communication.MAX_MESSAGE_BYTES - HEADER_BYTES;

    /** The longest view ticket a {@code FETCH} carries. */
    public static final int MAX_TICKET_BYTES = 4096;

    /** The prefix of the channel on which a host streams a fetched fragment. */
    public static final String CHANNEL_PREFIX = "frag/";

    private static final Pattern TITLE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final Pattern FRAGMENT_ID = Pattern.compile("[0-9a-f]{64}");

    /**
     * @throws IllegalArgumentException saying what is wrong: a bad title (1 to {@value #MAX_TITLE_CHARS} characters
     *                                  of {@code [A-Za-z0-9._-]}, not starting with a dot, without {@code ..}), a
     *                                  negative segment, an index outside 0..{@value #MAX_INDEX}, an id that is not
     *                                  64 lowercase hex digits where the op needs one (or any id where it takes
     *                                  none), a payload too big, or a payload on an op that takes none
     */
    public SegmentMessage {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(title, "title");
        fragmentId = fragmentId == null ? "" : fragmentId;
        payload = payload == null ? new byte[0] : payload;
        if (!(op == Op.FAILED && title.isEmpty())) {
            checkTitle(title);
        }
        if (segment < 0) {
            throw new IllegalArgumentException(op + ": segment number must be >= 0, was " + segment);
        }
        if (index < 0 || index > MAX_INDEX) {
            throw new IllegalArgumentException(op + ": fragment index must be in 0.." + MAX_INDEX + ", was " + index);
        }
        switch (op) {
        case STORE, STORED -> {
            if (!FRAGMENT_ID.matcher(fragmentId).matches()) {
                throw new IllegalArgumentException(op + ": fragment id '" + abbreviate(fragmentId)
                        + "' must be 64 lowercase hex digits (the SHA-256 of the fragment)");
            }
        }
        case FETCH -> {
            if (!fragmentId.isEmpty() && !FRAGMENT_ID.matcher(fragmentId).matches()) {
                throw new IllegalArgumentException("FETCH: the expected fragment id '" + abbreviate(fragmentId)
                        + "' must be empty or 64 lowercase hex digits");
            }
        }
        default -> {
            if (!fragmentId.isEmpty()) {
                throw new IllegalArgumentException(op + " carries no fragment id, got '" + abbreviate(fragmentId) + "'");
            }
        }
        }
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException(op + " payload of " + payload.length + " bytes is over the limit of "
                    + MAX_PAYLOAD_BYTES + " bytes per message; use smaller fragments");
        }
        switch (op) {
        case STORE -> {
            if (payload.length == 0) {
                throw new IllegalArgumentException("STORE needs the fragment's bytes, got none");
            }
        }
        case STORED, CANCEL -> {
            if (payload.length != 0) {
                throw new IllegalArgumentException(op + " carries no payload, got " + payload.length + " bytes");
            }
        }
        case FETCH -> {
            if (payload.length > MAX_TICKET_BYTES) {
                throw new IllegalArgumentException("FETCH carries a view ticket of at most " + MAX_TICKET_BYTES
                        + " bytes, got " + payload.length);
            }
        }
        default -> {
            // FAILED carries a reason
        }
        }
    }

    public static SegmentMessage store(String title, int segment, int index, String fragmentId, byte[] fragment) {
        return new SegmentMessage(Op.STORE, title, segment, index, fragmentId, fragment);
    }

    public static SegmentMessage stored(String title, int segment, int index, String fragmentId) {
        return new SegmentMessage(Op.STORED, title, segment, index, fragmentId, null);
    }

    /** A fetch of whatever fragment the host holds at that place. */
    public static SegmentMessage fetch(String title, int segment, int index) {
        return new SegmentMessage(Op.FETCH, title, segment, index, "", null);
    }

    /** A fetch that the host refuses unless its fragment there has id {@code fragmentId}. */
    public static SegmentMessage fetch(String title, int segment, int index, String fragmentId) {
        return new SegmentMessage(Op.FETCH, title, segment, index, fragmentId, null);
    }

    public static SegmentMessage cancel(String title, int segment, int index) {
        return new SegmentMessage(Op.CANCEL, title, segment, index, "", null);
    }

    /**
     * A fetch that presents {@code ticket}, the view ticket the server sold with a view of the title (since 1.1): a
     * host serves a title's fragments only to a fetch with a valid ticket for it.
     */
    public static SegmentMessage fetch(String title, int segment, int index, String fragmentId, String ticket) {
        return new SegmentMessage(Op.FETCH, title, segment, index, fragmentId,
                ticket == null ? null : ticket.getBytes(StandardCharsets.UTF_8));
    }

    /** The view ticket a {@code FETCH} presents, as text; empty when it presents none. */
    public String ticket() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public static SegmentMessage failed(String title, int segment, int index, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_PAYLOAD_BYTES) {
            text = Arrays.copyOf(text, MAX_PAYLOAD_BYTES);
        }
        return new SegmentMessage(Op.FAILED, title, segment, index, "", text);
    }

    /** The reason of a {@code FAILED}. */
    public String reason() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** The channel of the stream that answers a fetch of this message's fragment. */
    public String channel() {
        return channel(title, segment, index);
    }

    /** {@code frag/<title>/<segment>/<index>}: the channel of the stream that carries that fragment. */
    public static String channel(String title, int segment, int index) {
        checkTitle(title);
        return CHANNEL_PREFIX + title + "/" + segment + "/" + index;
    }

    /** @throws IllegalArgumentException when {@code title} is not a valid title, saying why */
    public static void checkTitle(String title) {
        if (title.isEmpty() || title.length() > MAX_TITLE_CHARS) {
            throw new IllegalArgumentException("title '" + abbreviate(title) + "' must be 1 to " + MAX_TITLE_CHARS
                    + " characters, was " + title.length());
        }
        if (!TITLE.matcher(title).matches() || title.contains("..")) {
            throw new IllegalArgumentException("title '" + abbreviate(title) + "' may hold only letters, digits, '.', "
                    + "'_' and '-', may not start with '.' nor contain '..'");
        }
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + HEADER_BYTES);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(op.ordinal());
            out.writeUTF(title);
            out.writeInt(segment);
            out.writeInt(index);
            out.writeUTF(fragmentId);
            out.write(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code message} */
    public static SegmentMessage decode(byte[] message) {
        Objects.requireNonNull(message, "message");
        if (message.length > Communication.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("segment message of " + message.length + " bytes is over the limit of "
                    + Communication.MAX_MESSAGE_BYTES);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("segment message version " + version + ", this side speaks "
                        + VERSION);
            }
            int op = in.readUnsignedByte();
            if (op >= Op.values().length) {
                throw new IllegalArgumentException("unknown segment message op " + op);
            }
            String title = in.readUTF();
            int segment = in.readInt();
            int index = in.readInt();
            String id = in.readUTF();
            return new SegmentMessage(Op.values()[op], title, segment, index, id, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated segment message of " + message.length + " bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SegmentMessage m && m.op == op && m.title.equals(title) && m.segment == segment
                && m.index == index && m.fragmentId.equals(fragmentId) && Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, title, segment, index, fragmentId) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return op + " " + (title.isEmpty() ? "-" : title + "/" + segment + "/" + index)
                + (fragmentId.isEmpty() ? "" : " " + fragmentId.substring(0, 12)) + " ("
                + (op == Op.FAILED ? reason() : payload.length + " bytes") + ")";
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
