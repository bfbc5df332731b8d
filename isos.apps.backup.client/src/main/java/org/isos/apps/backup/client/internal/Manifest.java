package org.isos.apps.backup.client.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What a backup holds: files → segments → fragments (content-hash ids, holders, audit commitments), with sizes,
 * salts and plaintext hashes. Mutable: repair moves fragments to new holders.
 *
 * <p>Binary format (big-endian, {@link DataOutputStream} strings), version {@value #VERSION}:
 * magic {@code IBM} + version byte; backup name; generation (long); file count (int); per file: id, name, size (long),
 * plaintext SHA-256 (32), created (epoch ms, long), k, n, segment bytes (ints), content salt (32), segment count
 * (int), segments. A segment: plaintext length, ciphertext length, fragment bytes (ints), then n fragments: id
 * (32 raw bytes), holder id (string, empty when none), commitment length (int) and the encoded commitment.
 */
public final class Manifest {
    public static final int VERSION = 1;
    private static final int MAGIC = ('I' << 24) | ('B' << 16) | ('M' << 8) | VERSION;
    private static final int MAX_COUNT = 1 << 24;

    public static final class FragmentEntry {
        public final int index;
        public final String id;
        public String holder;
        public byte[] commitment;

        public FragmentEntry(int index, String id, String holder, byte[] commitment) {
            this.index = index;
            this.id = Objects.requireNonNull(id, "id");
            this.holder = holder == null ? "" : holder;
            this.commitment = commitment == null ? new byte[0] : commitment;
        }
    }

    public static final class SegmentEntry {
        public final int plainLength;
        public final int cipherLength;
        public final int fragmentBytes;
        public final List<FragmentEntry> fragments;

        public SegmentEntry(int plainLength, int cipherLength, int fragmentBytes, List<FragmentEntry> fragments) {
            this.plainLength = plainLength;
            this.cipherLength = cipherLength;
            this.fragmentBytes = fragmentBytes;
            this.fragments = fragments;
        }
    }

    public static final class FileEntry {
        public final String id;
        public final String name;
        public final long size;
        public final byte[] sha256;
        public final long created;
        public final int k;
        public final int n;
        public final int segmentBytes;
        public final byte[] salt;
        public final List<SegmentEntry> segments;

        public FileEntry(String id, String name, long size, byte[] sha256, long created, int k, int n,
                int segmentBytes, byte[] salt, List<SegmentEntry> segments) {
            this.id = id;
            this.name = name;
            this.size = size;
            this.sha256 = sha256;
            this.created = created;
            this.k = k;
            this.n = n;
            this.segmentBytes = segmentBytes;
            this.salt = salt;
            this.segments = segments;
        }
    }

    public final String backupName;
    public long generation;
    public final List<FileEntry> files;

    public Manifest(String backupName, long generation, List<FileEntry> files) {
        this.backupName = backupName;
        this.generation = generation;
        this.files = files;
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeUTF(backupName);
            out.writeLong(generation);
            out.writeInt(files.size());
            for (FileEntry f : files) {
                out.writeUTF(f.id);
                out.writeUTF(f.name);
                out.writeLong(f.size);
                out.write(f.sha256);
                out.writeLong(f.created);
                out.writeInt(f.k);
                out.writeInt(f.n);
                out.writeInt(f.segmentBytes);
                out.write(f.salt);
                writeSegments(out, f.segments);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when the bytes are not a manifest of this version, saying what is wrong */
    public static Manifest decode(byte[] bytes) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        try {
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException("not a version " + VERSION + " backup manifest (magic "
                        + Integer.toHexString(magic) + ")");
            }
            String name = in.readUTF();
            long generation = in.readLong();
            int count = count(in, "files");
            List<FileEntry> files = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String id = in.readUTF();
                String fileName = in.readUTF();
                long size = in.readLong();
                byte[] sha = read(in, 32);
                long created = in.readLong();
                int k = in.readInt();
                int n = in.readInt();
                int segmentBytes = in.readInt();
                if (k < 1 || n < k || n > 256 || segmentBytes < 1 || size < 0) {
                    throw new IllegalArgumentException("file " + id + ": bad code " + k + "-of-" + n
                            + ", segment size " + segmentBytes + " or size " + size);
                }
                byte[] salt = read(in, Keys.SALT_BYTES);
                files.add(new FileEntry(id, fileName, size, sha, created, k, n, segmentBytes, salt,
                        readSegments(in, n)));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException(in.available() + " bytes after the manifest");
            }
            return new Manifest(name, generation, files);
        } catch (EOFException e) {
            throw new IllegalArgumentException("manifest truncated");
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable manifest: " + e.getMessage());
        }
    }

    static void writeSegments(DataOutputStream out, List<SegmentEntry> segments) throws IOException {
        out.writeInt(segments.size());
        for (SegmentEntry s : segments) {
            out.writeInt(s.plainLength);
            out.writeInt(s.cipherLength);
            out.writeInt(s.fragmentBytes);
            for (FragmentEntry f : s.fragments) {
                out.write(HexFormat.of().parseHex(f.id));
                out.writeUTF(f.holder);
                out.writeInt(f.commitment.length);
                out.write(f.commitment);
            }
        }
    }

    static List<SegmentEntry> readSegments(DataInputStream in, int n) throws IOException {
        int count = count(in, "segments");
        List<SegmentEntry> segments = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            int plain = in.readInt();
            int cipher = in.readInt();
            int fragmentBytes = in.readInt();
            if (plain < 0 || cipher < plain || fragmentBytes < 1) {
                throw new IllegalArgumentException("segment " + s + ": bad lengths " + plain + "/" + cipher + "/"
                        + fragmentBytes);
            }
            List<FragmentEntry> fragments = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String id = HexFormat.of().formatHex(read(in, 32));
                String holder = in.readUTF();
                int length = in.readInt();
                if (length < 0 || length > 1 << 16) {
                    throw new IllegalArgumentException("segment " + s + " fragment " + i + ": commitment of "
                            + length + " bytes");
                }
                fragments.add(new FragmentEntry(i, id, holder, read(in, length)));
            }
            segments.add(new SegmentEntry(plain, cipher, fragmentBytes, fragments));
        }
        return segments;
    }

    private static int count(DataInputStream in, String what) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_COUNT) {
            throw new IllegalArgumentException("manifest lists " + count + " " + what);
        }
        return count;
    }

    private static byte[] read(DataInputStream in, int length) throws IOException {
        byte[] b = new byte[length];
        in.readFully(b);
        return b;
    }

    /**
     * Where a stored manifest lies: its own segments (coded like a file's, under a content key from {@code salt}),
     * with their fragments and holders. Sealed under the head key and stored whole next to the locator beacons.
     *
     * <p>Format: magic {@code IBH} + version; generation (long); salt (32); manifest length (long); manifest
     * SHA-256 (32); k, n, segment bytes (ints); segments as in the manifest.
     */
    public record Head(long generation, byte[] salt, long length, byte[] sha256, int k, int n, int segmentBytes,
            List<SegmentEntry> segments) {
        private static final int HEAD_MAGIC = ('I' << 24) | ('B' << 16) | ('H' << 8) | VERSION;

        public byte[] encode() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(HEAD_MAGIC);
                out.writeLong(generation);
                out.write(salt);
                out.writeLong(length);
                out.write(sha256);
                out.writeInt(k);
                out.writeInt(n);
                out.writeInt(segmentBytes);
                writeSegments(out, segments);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        public static Head decode(byte[] bytes) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            try {
                if (in.readInt() != HEAD_MAGIC) {
                    throw new IllegalArgumentException("not a version " + VERSION + " manifest head");
                }
                long generation = in.readLong();
                byte[] salt = read(in, Keys.SALT_BYTES);
                long length = in.readLong();
                byte[] sha = read(in, 32);
                int k = in.readInt();
                int n = in.readInt();
                int segmentBytes = in.readInt();
                if (k < 1 || n < k || n > 256 || segmentBytes < 1 || length < 0) {
                    throw new IllegalArgumentException("manifest head: bad code " + k + "-of-" + n);
                }
                List<SegmentEntry> segments = readSegments(in, n);
                if (in.available() > 0) {
                    throw new IllegalArgumentException("bytes after the manifest head");
                }
                return new Head(generation, salt, length, sha, k, n, segmentBytes, segments);
            } catch (IOException e) {
                throw new IllegalArgumentException("manifest head truncated or unreadable");
            }
        }
    }
}
