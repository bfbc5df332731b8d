package org.isos.toolkit.storage;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.isos.toolkit.erasure.ReedSolomon;
import org.isos.toolkit.storage.internal.Sha256;

/**
 * Regenerates lost fragments of a segment from any k others with the erasure codec, trusting nothing it is given:
 * every fragment supplied is checked against the SHA-256 the client stored when encoding, a fragment that does not
 * match is left out (and reported, so its holder can be marked failed), and every regenerated fragment is checked
 * against its stored hash before it is returned.
 */
public final class FragmentRepair {
    private FragmentRepair() {
    }

    /** The outcome: regenerated fragments by index, and the indices supplied that did not match their hashes. */
    public record Regenerated(Map<Integer, byte[]> fragments, List<Integer> corrupt) {
        public Regenerated {
            fragments = Map.copyOf(fragments);
            corrupt = List.copyOf(corrupt);
        }
    }

    /** SHA-256 of each fragment: what the client stores at encoding time. */
    public static byte[][] hashes(byte[][] fragments) {
        byte[][] h = new byte[fragments.length][];
        for (int i = 0; i < fragments.length; i++) {
            h[i] = Sha256.of(fragments[i]);
        }
        return h;
    }

    /**
     * Rebuilds fragments {@code wanted} of a segment coded with {@code codec}.
     *
     * @param fragments n entries, the fragments at hand ({@code null} where absent; at least k must be present and
     *                  intact), all of one size; not modified
     * @param hashes    n SHA-256 hashes, one per fragment index
     * @param wanted    indices to rebuild (may include ones supplied: they are rebuilt, not copied)
     * @throws IllegalArgumentException when fewer than k intact fragments are at hand, or the inputs are inconsistent
     * @throws IllegalStateException    when a rebuilt fragment does not match its stored hash (the stored hashes do not
     *                                  describe one segment)
     */
    public static Regenerated regenerate(ReedSolomon codec, byte[][] fragments, byte[][] hashes, int... wanted) {
        Objects.requireNonNull(codec, "codec");
        int n = codec.totalShards();
        int k = codec.dataShards();
        if (fragments == null || fragments.length != n || hashes == null || hashes.length != n) {
            throw new IllegalArgumentException("need " + n + " fragment slots and " + n + " hashes for a " + k + "-of-"
                    + n + " segment, got " + (fragments == null ? "null" : fragments.length) + " and "
                    + (hashes == null ? "null" : hashes.length));
        }
        int size = -1;
        byte[][] work = new byte[n][];
        boolean[] present = new boolean[n];
        List<Integer> corrupt = new ArrayList<>();
        int intact = 0;
        for (int i = 0; i < n; i++) {
            if (hashes[i] == null || hashes[i].length != Sha256.LENGTH) {
                throw new IllegalArgumentException("hash of fragment " + i + " is not 32 bytes");
            }
            if (fragments[i] == null) {
                continue;
            }
            if (size < 0) {
                size = fragments[i].length;
            } else if (fragments[i].length != size) {
                // a truncated or padded fragment cannot match its hash; treat it as corrupt like any other
                corrupt.add(i);
                continue;
            }
            if (MessageDigest.isEqual(Sha256.of(fragments[i]), hashes[i])) {
                work[i] = fragments[i].clone();
                present[i] = true;
                intact++;
            } else {
                corrupt.add(i);
            }
        }
        if (intact < k) {
            throw new IllegalArgumentException("need " + k + " intact fragments to regenerate, have " + intact
                    + (corrupt.isEmpty() ? "" : " (fragments " + corrupt + " do not match their hashes)"));
        }
        for (int w : wanted) {
            if (w < 0 || w >= n) {
                throw new IllegalArgumentException("fragment index " + w + " outside 0.." + (n - 1));
            }
            present[w] = false; // rebuild, even if supplied
        }
        int stillPresent = 0;
        for (boolean p : present) {
            stillPresent += p ? 1 : 0;
        }
        if (stillPresent < k) {
            // every supplied fragment was asked for too: keep enough of them as sources
            for (int i = 0; i < n && stillPresent < k; i++) {
                if (!present[i] && work[i] != null) {
                    present[i] = true;
                    stillPresent++;
                }
            }
        }
        byte[][] shards = work.clone();
        codec.decodeMissing(shards, present, 0, size);
        Map<Integer, byte[]> out = new TreeMap<>();
        for (int w : wanted) {
            byte[] f = present[w] ? work[w] : shards[w];
            if (!MessageDigest.isEqual(Sha256.of(f), hashes[w])) {
                throw new IllegalStateException("regenerated fragment " + w + " does not match its stored hash: the "
                        + "hashes or the fragments do not belong to one " + k + "-of-" + n + " segment");
            }
            out.put(w, f);
        }
        return new Regenerated(out, corrupt);
    }
}
