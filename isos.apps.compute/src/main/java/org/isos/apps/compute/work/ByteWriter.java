package org.isos.apps.compute.work;

import java.util.Arrays;

/** Writes the canonical encoding: unsigned LEB128 varints, zigzag for signed values, fixed 8-byte big-endian words, ASCII strings. */
final class ByteWriter {
    static final int VERSION = 1;
    static final String UNIT = "ISWU";
    static final String RESULT = "ISWR";
    static final String CHECKPOINT = "ISWC";

    private byte[] buf = new byte[64];
    private int size;

    /** Starts an envelope: 4-byte magic, format version, workload kind. */
    static ByteWriter envelope(String magic, String kind) {
        ByteWriter w = new ByteWriter();
        for (int i = 0; i < 4; i++) {
            w.u8(magic.charAt(i));
        }
        w.u8(VERSION);
        w.ascii(kind);
        return w;
    }

    /** Starts a checkpoint of {@code kind} for {@code unit}: envelope plus the unit's fingerprint. */
    static ByteWriter checkpoint(String kind, byte[] unit) {
        return envelope(CHECKPOINT, kind).fixed64(fingerprint(unit));
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }

    ByteWriter u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    /** An unsigned varint: {@code v} is read as unsigned 64 bits. */
    ByteWriter varLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
        return this;
    }

    ByteWriter varInt(int nonNegative) {
        if (nonNegative < 0) {
            throw new IllegalArgumentException("negative " + nonNegative);
        }
        return varLong(nonNegative);
    }

    /** A signed value, zigzag-encoded. */
    ByteWriter signed(long v) {
        return varLong((v << 1) ^ (v >> 63));
    }

    ByteWriter fixed64(long v) {
        ensure(8);
        for (int s = 56; s >= 0; s -= 8) {
            buf[size++] = (byte) (v >>> s);
        }
        return this;
    }

    ByteWriter fixed32(int v) {
        ensure(4);
        for (int s = 24; s >= 0; s -= 8) {
            buf[size++] = (byte) (v >>> s);
        }
        return this;
    }

    /** A length-prefixed string of printable ASCII (0x20..0x7E). */
    ByteWriter ascii(String s) {
        varInt(s.length());
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new WorkFormatException("not printable ASCII: " + s);
            }
            buf[size++] = (byte) c;
        }
        return this;
    }

    /** Length-prefixed bytes. */
    ByteWriter bytes(byte[] b) {
        varInt(b.length);
        return raw(b);
    }

    ByteWriter raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, size);
    }

    /** FNV-1a, 64 bits: ties a checkpoint to the unit it was saved for. */
    static long fingerprint(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
