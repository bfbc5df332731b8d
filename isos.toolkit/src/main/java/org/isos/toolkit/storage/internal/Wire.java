package org.isos.toolkit.storage.internal;

import java.util.Arrays;

/** Big-endian byte encoding with bounds checks that say what was being read when the input ran out. */
public final class Wire {
    private Wire() {
    }

    /** A growable output buffer. */
    public static final class Writer {
        private byte[] buf = new byte[64];
        private int len;

        private void ensure(int extra) {
            if (len + extra > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
            }
        }

        public Writer u8(int v) {
            ensure(1);
            buf[len++] = (byte) v;
            return this;
        }

        public Writer u16(int v) {
            return u8(v >>> 8).u8(v);
        }

        public Writer u32(long v) {
            return u16((int) (v >>> 16) & 0xFFFF).u16((int) v & 0xFFFF);
        }

        public Writer u64(long v) {
            return u32(v >>> 32).u32(v & 0xFFFFFFFFL);
        }

        public Writer bytes(byte[] b) {
            return bytes(b, 0, b.length);
        }

        public Writer bytes(byte[] b, int off, int n) {
            ensure(n);
            System.arraycopy(b, off, buf, len, n);
            len += n;
            return this;
        }

        public byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }
    }

    /** Reads a byte array; every shortfall is an {@link IllegalArgumentException} naming the field. */
    public static final class Reader {
        private final byte[] buf;
        private final String what;
        private int pos;

        public Reader(byte[] buf, String what) {
            if (buf == null) {
                throw new IllegalArgumentException(what + " is null");
            }
            this.buf = buf;
            this.what = what;
        }

        private void need(int n, String field) {
            if (buf.length - pos < n) {
                throw new IllegalArgumentException(what + " truncated: " + field + " needs " + n + " bytes at offset "
                        + pos + ", only " + (buf.length - pos) + " left of " + buf.length);
            }
        }

        public int u8(String field) {
            need(1, field);
            return buf[pos++] & 0xFF;
        }

        public int u16(String field) {
            need(2, field);
            return (u8(field) << 8) | u8(field);
        }

        public long u32(String field) {
            need(4, field);
            return ((long) u16(field) << 16) | u16(field);
        }

        public long u64(String field) {
            need(8, field);
            return (u32(field) << 32) | u32(field);
        }

        public byte[] bytes(int n, String field) {
            need(n, field);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return b;
        }

        public void expect(byte[] magic, String field) {
            byte[] got = bytes(magic.length, field);
            if (!Arrays.equals(got, magic)) {
                throw new IllegalArgumentException(what + ": bad " + field + " " + Sha256.hex(got) + ", expected "
                        + Sha256.hex(magic));
            }
        }

        public void end() {
            if (pos != buf.length) {
                throw new IllegalArgumentException(what + " has " + (buf.length - pos) + " trailing bytes after offset "
                        + pos);
            }
        }
    }
}
