package org.isos.apps.backup.client.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.isos.apps.backup.client.FragmentHolder;
import org.isos.apps.backup.client.HolderRefusal;

/**
 * Finds a backup's manifest on hosts that store only content-addressed fragments.
 *
 * <p>A host keeps a fragment under the SHA-256 of its bytes, so no id can be fixed in advance for data not yet
 * written; but a fragment whose bytes the client can derive has an id the client can derive too, and whether a host
 * has it is one bit the client can ask for. So the locator derives, from the locator key, small pseudo-random
 * <em>beacons</em>: a marker per generation of the manifest, and 256 bit beacons per generation that spell the id of
 * that generation's sealed head (a beacon for each 1 bit). The head (see {@link Manifest.Head}) lists the
 * fragments of the manifest itself. Hosts learn nothing from beacons: without the secret they are random bytes.
 *
 * <p>The latest generation is found by an exponential then binary search over markers; a holder gets markers for
 * exactly the generations that the search for its current generation probes and finds present, so the search ends
 * there. When a generation is superseded, its head, its bit beacons and the markers the new search does not need are
 * deleted, so a holder keeps about 2·log2(generation) markers.
 */
public final class Locator {
    public static final int ID_BITS = 256;
    /** Generations are found up to 2^40 in one batch of probes (a manifest stored 1000 times a day for 3 million years). */
    private static final int MAX_GENERATION_BITS = 40;

    private final byte[] key;

    public Locator(byte[] locatorKey) {
        this.key = locatorKey.clone();
    }

    byte[] marker(long generation) {
        return beacon("marker/" + generation);
    }

    byte[] bit(long generation, int index) {
        return beacon("bit/" + generation + "/" + index);
    }

    private byte[] beacon(String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(("isos-backup/v1/beacon/" + label).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    public static String idOf(byte[] content) {
        return HexFormat.of().formatHex(Keys.sha256(content));
    }

    /** Stores the sealed head of {@code generation}, its bit beacons, then its markers (last: a marker means done). */
    public void publish(FragmentHolder holder, long generation, byte[] sealedHead) throws IOException {
        holder.put(idOf(sealedHead), sealedHead);
        byte[] headId = Keys.sha256(sealedHead);
        Map<String, byte[]> bits = new LinkedHashMap<>();
        for (int i = 0; i < ID_BITS; i++) {
            if ((headId[i >>> 3] >>> (7 - (i & 7)) & 1) != 0) {
                byte[] b = bit(generation, i);
                bits.put(idOf(b), b);
            }
        }
        holder.putAll(bits);
        Map<String, byte[]> markers = new LinkedHashMap<>();
        for (long g : markersFor(generation)) {
            byte[] m = marker(g);
            markers.put(idOf(m), m);
        }
        holder.putAll(markers);
    }

    /**
     * Deletes the head and bit beacons of a superseded generation, and its markers that the search for
     * {@code current} (the generation now published on this holder; -1 when none is) does not need.
     */
    public void retire(FragmentHolder holder, long generation, String headId, long current) throws IOException {
        byte[] id = HexFormat.of().parseHex(headId);
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < ID_BITS; i++) {
            if ((id[i >>> 3] >>> (7 - (i & 7)) & 1) != 0) {
                gone.add(idOf(bit(generation, i)));
            }
        }
        gone.add(headId);
        List<Long> keep = current >= 0 ? markersFor(current) : List.of();
        for (long g : markersFor(generation)) {
            if (!keep.contains(g)) {
                gone.add(idOf(marker(g)));
            }
        }
        holder.deleteAll(gone);
    }

    /** The latest generation published on this holder, or -1 when it has none of this backup under this secret. */
    public long latest(FragmentHolder holder) throws IOException {
        // the exponential phase's probes (0, 1, 2, 4, ...) in one batch; the binary phase's one by one
        Map<String, Long> powers = new LinkedHashMap<>();
        powers.put(idOf(marker(0)), 0L);
        for (int e = 0; e < MAX_GENERATION_BITS; e++) {
            powers.put(idOf(marker(1L << e)), 1L << e);
        }
        Set<Long> present = new HashSet<>();
        for (String id : holder.getAll(powers.keySet()).keySet()) {
            present.add(powers.get(id));
        }
        return search(g -> g == 0 || Long.bitCount(g) == 1 && g < 1L << MAX_GENERATION_BITS ? present.contains(g)
                : exists(holder, marker(g)));
    }

    /** The sealed head of {@code generation} on this holder, or null when its beacons or head are gone. */
    public byte[] head(FragmentHolder holder, long generation) throws IOException {
        Map<String, Integer> bits = new LinkedHashMap<>();
        for (int i = 0; i < ID_BITS; i++) {
            bits.put(idOf(bit(generation, i)), i);
        }
        byte[] id = new byte[ID_BITS / 8];
        for (Map.Entry<String, byte[]> found : holder.getAll(bits.keySet()).entrySet()) {
            if (idOf(found.getValue()).equals(found.getKey())) {
                int i = bits.get(found.getKey());
                id[i >>> 3] |= (byte) (1 << (7 - (i & 7)));
            }
        }
        String headId = HexFormat.of().formatHex(id);
        try {
            byte[] head = holder.get(headId);
            return idOf(head).equals(headId) ? head : null;
        } catch (HolderRefusal e) {
            return null;
        }
    }

    private interface Probe {
        boolean present(long generation) throws IOException;
    }

    private static long search(Probe probe) throws IOException {
        if (!probe.present(0)) {
            return -1;
        }
        long lo = 0;
        long hi = 1;
        while (probe.present(hi)) {
            lo = hi;
            hi *= 2;
        }
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (probe.present(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The generations the search for {@code generation} finds present: the markers that make it end there. */
    static List<Long> markersFor(long generation) {
        List<Long> present = new ArrayList<>();
        try {
            search(g -> {
                boolean p = g <= generation;
                if (p) {
                    present.add(g);
                }
                return p;
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return present;
    }

    private static boolean exists(FragmentHolder holder, byte[] beacon) throws IOException {
        String id = idOf(beacon);
        try {
            return idOf(holder.get(id)).equals(id);
        } catch (HolderRefusal e) {
            return false;
        }
    }
}
