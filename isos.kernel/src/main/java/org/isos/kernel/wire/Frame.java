package org.isos.kernel.wire;

import java.util.Objects;

/**
 * One unit of the kernel transport protocol. Each frame travels as a 4-byte length, then
 * {@code type(1) streamId(8) buyer(utf) app(utf) text(utf) payload(rest)}, where utf is a 2-byte
 * length and UTF-8 bytes. Hosts identify themselves by their TLS certificate; external clients open
 * with {@link Type#HELLO} naming the app they want to talk to.
 */
public record Frame(Type type, long streamId, String buyer, String app, String text, byte[] payload) {

    /** Largest frame on the wire: a full message plus headers. */
    public static final int MAX_FRAME_BYTES = (1 << 20) + 4096;

    public enum Type {
        /** client → kernel: buyer and app it wants; text is the lease id when it wants one lease's app, or empty */
        HELLO,
        /** kernel → client: text is the session id the app sees the client as */
        WELCOME,
        /** a message for the same app (buyer, app) on the receiving side */
        MESSAGE,
        /** opens stream streamId; text is the channel name */
        STREAM_OPEN,
        STREAM_DATA,
        STREAM_END,
        /** the other side refused something; text says what */
        ERROR;

        static Type of(int code) {
            Type[] all = values();
            if (code < 0 || code >= all.length) {
                throw new IllegalArgumentException("unknown frame type " + code);
            }
            return all[code];
        }
    }

    public Frame {
        Objects.requireNonNull(type, "type");
        buyer = buyer == null ? "" : buyer;
        app = app == null ? "" : app;
        text = text == null ? "" : text;
        payload = payload == null ? new byte[0] : payload;
    }

    public static Frame message(String buyer, String app, byte[] payload) {
        return new Frame(Type.MESSAGE, 0, buyer, app, "", payload);
    }

    public static Frame error(String why) {
        return new Frame(Type.ERROR, 0, "", "", why, null);
    }
}
