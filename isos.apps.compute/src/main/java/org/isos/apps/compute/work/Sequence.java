package org.isos.apps.compute.work;

import java.util.Arrays;

/** A named sequence as codes into a {@link Scoring}'s alphabet. */
public final class Sequence {

    /** The longest sequence a unit may hold (keeps scores within int range). */
    public static final int MAX_LENGTH = 1 << 18; // with scores within ±1000, every DP value stays far inside int range
    public static final int MAX_ID = 200;

    private final String id;
    private final byte[] codes;

    public Sequence(String id, byte[] codes) {
        if (id.isEmpty() || id.length() > MAX_ID) {
            throw new WorkFormatException("sequence id must have 1 to " + MAX_ID + " characters: '" + id + "'");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= 0x20 || c > 0x7E) {
                throw new WorkFormatException("sequence id '" + id + "' has a character that is not printable ASCII without spaces");
            }
        }
        if (codes.length == 0 || codes.length > MAX_LENGTH) {
            throw new WorkFormatException("sequence '" + id + "' must have 1 to " + MAX_LENGTH + " residues, not " + codes.length);
        }
        this.id = id;
        this.codes = codes.clone();
    }

    /** From letters of {@code scoring}'s alphabet (either case). */
    public static Sequence of(String id, String letters, Scoring scoring) {
        byte[] codes = new byte[letters.length()];
        for (int i = 0; i < codes.length; i++) {
            int c = scoring.code(letters.charAt(i));
            if (c < 0) {
                throw new WorkFormatException("sequence '" + id + "': '" + letters.charAt(i) + "' at position " + (i + 1)
                        + " is not in the alphabet " + scoring.alphabet());
            }
            codes[i] = (byte) c;
        }
        return new Sequence(id, codes);
    }

    public String id() {
        return id;
    }

    public int length() {
        return codes.length;
    }

    /** The codes (a copy). */
    public byte[] codes() {
        return codes.clone();
    }

    byte[] codesShared() {
        return codes;
    }

    public String letters(Scoring scoring) {
        char[] chars = new char[codes.length];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = scoring.alphabet().charAt(codes[i]);
        }
        return new String(chars);
    }

    void encode(ByteWriter w) {
        w.ascii(id).bytes(codes);
    }

    static Sequence decode(ByteReader r, int alphabetSize, String field) {
        String id = r.ascii(field + " id", MAX_ID);
        byte[] codes = r.bytes(field + " residues", MAX_LENGTH);
        for (byte c : codes) {
            if (c < 0 || c >= alphabetSize) {
                throw r.error(field + " '" + id + "' has residue code " + c + " outside the alphabet of " + alphabetSize);
            }
        }
        try {
            return new Sequence(id, codes);
        } catch (WorkFormatException e) {
            throw r.error(e.getMessage());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sequence s && id.equals(s.id) && Arrays.equals(codes, s.codes);
    }

    @Override
    public int hashCode() {
        return id.hashCode() * 31 + Arrays.hashCode(codes);
    }

    @Override
    public String toString() {
        return "Sequence[" + id + ", " + codes.length + " residues]";
    }
}
