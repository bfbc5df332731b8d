package org.isos.apps.streaming.client;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import org.isos.apps.streaming.protocol.SegmentMessage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What a viewer needs to play a title: its segments in play order, each segment's size and SHA-256, and for each of
 * its {@code n} fragments the fragment's id (the SHA-256 of its bytes) and which holder keeps it. Any {@code k}
 * fragments of a segment give it back. The publisher writes it as JSON ({@link #toJson()}); a viewer reads it
 * ({@link #fromJson(String)}) and trusts nothing a host sends that does not hash to these ids.
 *
 * @param title              the title's name (as in {@link SegmentMessage#checkTitle})
 * @param provider           the buyer account that leased the hosts: the app's owner in every client session
 * @param created            when it was published (ISO-8601)
 * @param sizeBytes          the movie's length
 * @param sha256             the movie's SHA-256, lowercase hex
 * @param segmentBytes       the size of every segment but the last
 * @param dataFragments      k: fragments needed per segment
 * @param totalFragments     n: fragments stored per segment (one per holder slot)
 * @param playBytesPerSecond the movie's play rate (its bitrate / 8); 0 when unknown
 * @param holders            the holder slots: one leased host each
 * @param segments           in play order, numbered from 0
 */
public record TitleManifest(String title, String provider, String created, long sizeBytes, String sha256,
        int segmentBytes, int dataFragments, int totalFragments, long playBytesPerSecond, List<Holder> holders,
        List<Segment> segments) {

    /** The manifest format this code writes and reads. */
    public static final int FORMAT = 1;

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One leased host that keeps fragments of the title.
     *
     * @param hostId                  the host
     * @param ownerId                 its owner
     * @param leaseId                 the lease under which it runs the streaming app
     * @param transportAddress        its kernel transport, {@code host:port}
     * @param bandwidthBytesPerSecond the lease's upload cap
     */
    public record Holder(String hostId, String ownerId, String leaseId, String transportAddress,
            long bandwidthBytesPerSecond) {
        public Holder {
            requireText(hostId, "holder host id");
            requireText(leaseId, "holder lease id");
            requireText(transportAddress, "holder transport address");
            ownerId = ownerId == null ? "" : ownerId;
            if (bandwidthBytesPerSecond < 0) {
                throw new IllegalArgumentException("holder " + hostId + ": negative bandwidth");
            }
        }
    }

    /**
     * One fragment of a segment.
     *
     * @param index  its index in the code (0..k-1 data, k..n-1 parity)
     * @param id     the SHA-256 of its bytes
     * @param holder the slot in {@link TitleManifest#holders()} that keeps it
     */
    public record Fragment(int index, String id, int holder) {
        public Fragment {
            if (id == null || !HEX64.matcher(id).matches()) {
                throw new IllegalArgumentException("fragment " + index + ": id '" + id
                        + "' is not 64 lowercase hex digits");
            }
        }
    }

    /**
     * One segment.
     *
     * @param number        its place in play order, from 0
     * @param bytes         its length
     * @param sha256        the SHA-256 of its bytes
     * @param fragmentBytes the length of each of its fragments (ceil(bytes / k))
     * @param fragments     its n fragments, by index
     */
    public record Segment(int number, int bytes, String sha256, int fragmentBytes, List<Fragment> fragments) {
        public Segment {
            if (sha256 == null || !HEX64.matcher(sha256).matches()) {
                throw new IllegalArgumentException("segment " + number + ": sha256 is not 64 lowercase hex digits");
            }
            fragments = List.copyOf(Objects.requireNonNull(fragments, "fragments"));
        }
    }

    /** @throws IllegalArgumentException saying what does not hold together */
    public TitleManifest {
        SegmentMessage.checkTitle(Objects.requireNonNull(title, "title"));
        requireText(provider, "provider");
        created = created == null ? "" : created;
        holders = List.copyOf(Objects.requireNonNull(holders, "holders"));
        segments = List.copyOf(Objects.requireNonNull(segments, "segments"));
        if (sha256 == null || !HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException("title " + title + ": sha256 is not 64 lowercase hex digits");
        }
        if (dataFragments < 1 || totalFragments <= dataFragments || totalFragments > SegmentMessage.MAX_INDEX + 1) {
            throw new IllegalArgumentException("title " + title + ": a " + dataFragments + "-of-" + totalFragments
                    + " code is not valid (need 1 <= k < n)");
        }
        if (segmentBytes < 1 || playBytesPerSecond < 0 || sizeBytes < 0) {
            throw new IllegalArgumentException("title " + title + ": segment size " + segmentBytes + ", play rate "
                    + playBytesPerSecond + " and size " + sizeBytes + " must be positive");
        }
        if (holders.isEmpty()) {
            throw new IllegalArgumentException("title " + title + " has no holders");
        }
        long total = 0;
        for (int s = 0; s < segments.size(); s++) {
            Segment segment = segments.get(s);
            if (segment.number() != s) {
                throw new IllegalArgumentException("title " + title + ": segment " + s + " is numbered "
                        + segment.number());
            }
            if (segment.bytes() < 1 || segment.bytes() > segmentBytes) {
                throw new IllegalArgumentException("title " + title + ": segment " + s + " has " + segment.bytes()
                        + " bytes, not 1.." + segmentBytes);
            }
            int expectedFragment = (segment.bytes() + dataFragments - 1) / dataFragments;
            if (segment.fragmentBytes() != expectedFragment) {
                throw new IllegalArgumentException("title " + title + ": segment " + s + " has fragments of "
                        + segment.fragmentBytes() + " bytes, a " + dataFragments + "-of-" + totalFragments
                        + " code of " + segment.bytes() + " bytes makes " + expectedFragment);
            }
            if (segment.fragments().size() != totalFragments) {
                throw new IllegalArgumentException("title " + title + ": segment " + s + " lists "
                        + segment.fragments().size() + " fragments, not " + totalFragments);
            }
            for (int i = 0; i < totalFragments; i++) {
                Fragment f = segment.fragments().get(i);
                if (f.index() != i || f.holder() < 0 || f.holder() >= holders.size()) {
                    throw new IllegalArgumentException("title " + title + ": segment " + s + " fragment " + i
                            + " has index " + f.index() + " and holder slot " + f.holder() + " (of "
                            + holders.size() + ")");
                }
            }
            total += segment.bytes();
        }
        if (total != sizeBytes) {
            throw new IllegalArgumentException("title " + title + ": the segments add up to " + total
                    + " bytes, the title has " + sizeBytes);
        }
    }

    /** The holder of fragment {@code index} of {@code segment}. */
    public Holder holderOf(int segment, int index) {
        return holders.get(segments.get(segment).fragments().get(index).holder());
    }

    /** The JSON text, with a {@code format} field. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(new Stored(FORMAT, this));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a manifest always serializes", e);
        }
    }

    /** @throws IllegalArgumentException when the text is not a manifest of a format this code reads, saying why */
    public static TitleManifest fromJson(String json) {
        Stored stored;
        try {
            stored = JSON.readValue(json, Stored.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a title manifest: " + e.getOriginalMessage(), e);
        }
        if (stored == null || stored.manifest() == null) {
            throw new IllegalArgumentException("not a title manifest: no 'manifest' object");
        }
        if (stored.format() != FORMAT) {
            throw new IllegalArgumentException("title manifest format " + stored.format() + ", this viewer reads "
                    + FORMAT);
        }
        return stored.manifest();
    }

    /** Writes the manifest to {@code file}, replacing any earlier one atomically. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(temp, toJson());
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * @throws NoSuchFileException when there is no such file
     * @throws IOException         when it cannot be read or is not a manifest (the message says which)
     */
    public static TitleManifest read(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return fromJson(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The movie's play time in seconds at its play rate, or 0 when the rate is unknown. */
    public double playSeconds() {
        return playBytesPerSecond == 0 ? 0 : (double) sizeBytes / playBytesPerSecond;
    }

    private record Stored(int format, TitleManifest manifest) {
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a title manifest needs a " + what);
        }
    }
}
