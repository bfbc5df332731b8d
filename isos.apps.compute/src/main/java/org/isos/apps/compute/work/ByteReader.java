package org.isos.apps.compute.work;

/**
 * Reads the canonical encoding strictly: bounds, minimal varints and ranges are checked, so a byte
 * string decodes only if re-encoding it gives the same bytes. Errors name the thing read, the field
 * and the byte offset.
 */
final class ByteReader {
    private final byte[] data;
    private final String what;
    private final boolean checkpoint;
    private int pos;

    ByteReader(byte[] data, String what) {
        this(data, what, false);
    }

    private ByteReader(byte[] data, String what, boolean checkpoint) {
        this.checkpoint = checkpoint;
        this.what = what;
        if (data == null) {
            throw error("missing (null)");
        }
        this.data = data;
    }

    /**
     * Opens a checkpoint of {@code kind} saved for {@code unit}; every error it raises, here or later,
     * is a {@link BadCheckpointException}.
     */
    static ByteReader checkpoint(byte[] state, String kind, byte[] unit) {
        ByteReader r = new ByteReader(state, "checkpoint", true);
        r.expectEnvelope(ByteWriter.CHECKPOINT, kind);
        if (r.fixed64("unit fingerprint") != ByteWriter.fingerprint(unit)) {
            throw r.error("was saved for another work unit");
        }
        return r;
    }

    /** Peeks at an envelope's kind without checking the rest. */
    static String kindOf(byte[] data, String magic, String what) {
        return new ByteReader(data, what).envelope(magic);
    }

    WorkFormatException error(String message) {
        String text = what + ": " + message + (data == null ? "" : " (at byte " + pos + " of " + data.length + ")");
        return checkpoint ? new BadCheckpointException(text) : new WorkFormatException(text);
    }

    /** Reads the magic and version, returns the kind. */
    String envelope(String magic) {
        if (data.length < 5) {
            throw error("too short to be one (" + data.length + " bytes)");
        }
        for (int i = 0; i < 4; i++) {
            if (data[i] != magic.charAt(i)) {
                throw error("does not start with " + magic);
            }
        }
        pos = 4;
        int version = u8("format version");
        if (version != ByteWriter.VERSION) {
            throw error("format version " + version + " is not supported (this code reads " + ByteWriter.VERSION + ")");
        }
        return ascii("workload kind", 32);
    }

    /** Reads an envelope that must name {@code kind}. */
    void expectEnvelope(String magic, String kind) {
        String found = envelope(magic);
        if (!found.equals(kind)) {
            throw error("is for workload '" + found + "', not '" + kind + "'");
        }
    }

    int u8(String field) {
        need(1, field);
        return data[pos++] & 0xFF;
    }

    private void need(int n, String field) {
        if (data.length - pos < n) {
            throw error("truncated reading " + field);
        }
    }

    long varLong(String field) {
        int start = pos;
        long v = 0;
        for (int shift = 0;; shift += 7) {
            need(1, field);
            int b = data[pos++] & 0xFF;
            if (shift == 63 && b > 1) {
                pos = start;
                throw error("varint too long in " + field);
            }
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) {
                    pos = start;
                    throw error("non-canonical varint in " + field);
                }
                return v;
            }
        }
    }

    /** An unsigned varint within [min, max]. */
    long varLong(String field, long min, long max) {
        int start = pos;
        long v = varLong(field);
        if (v < min || v > max) {
            pos = start;
            throw error(field + " " + Long.toUnsignedString(v) + " is outside [" + min + ", " + max + "]");
        }
        return v;
    }

    int varInt(String field, int min, int max) {
        return (int) varLong(field, min, max);
    }

    long signed(String field) {
        long z = varLong(field);
        return (z >>> 1) ^ -(z & 1);
    }

    long fixed64(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos++] & 0xFF);
        }
        return v;
    }

    int fixed32(String field) {
        need(4, field);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (data[pos++] & 0xFF);
        }
        return v;
    }

    /** A finite double stored as its IEEE bits. */
    double finiteDouble(String field) {
        int start = pos;
        double d = Double.longBitsToDouble(fixed64(field));
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            pos = start;
            throw error(field + " is not a finite number");
        }
        return d;
    }

    String ascii(String field, int maxLength) {
        int n = varInt(field + " length", 0, maxLength);
        need(n, field);
        char[] chars = new char[n];
        for (int i = 0; i < n; i++) {
            int c = data[pos] & 0xFF;
            if (c < 0x20 || c > 0x7E) {
                throw error(field + " has a byte that is not printable ASCII");
            }
            chars[i] = (char) c;
            pos++;
        }
        return new String(chars);
    }

    byte[] bytes(String field, int maxLength) {
        int n = varInt(field + " length", 0, maxLength);
        need(n, field);
        byte[] b = new byte[n];
        System.arraycopy(data, pos, b, 0, n);
        pos += n;
        return b;
    }

    void end() {
        if (pos != data.length) {
            throw error((data.length - pos) + " unexpected trailing bytes");
        }
    }
}
