package org.isos.apps.backup.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.AEADBadTagException;

import org.junit.jupiter.api.Test;

/** The key schedule: HKDF as RFC 5869 says, distinct keys per purpose and salt, GCM refusing tampering. */
class KeysTest {

    @Test
    void hkdfMatchesRfc5869TestCases1And3() {
        HexFormat hex = HexFormat.of();
        byte[] ikm = hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        assertArrayEquals(hex.parseHex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                + "34007208d5b887185865"), Keys.hkdf(hex.parseHex("000102030405060708090a0b0c"), ikm,
                        hex.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42));
        // test case 3: no salt, no info
        assertArrayEquals(hex.parseHex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                + "9d201395faa4b61a96c8"), Keys.hkdf(null, ikm, new byte[0], 42));
    }

    @Test
    void keysDifferByNameSecretPurposeAndSalt() {
        Keys a = Keys.derive("secret".toCharArray(), "home", Keys.MIN_ITERATIONS);
        Keys b = Keys.derive("secret".toCharArray(), "work", Keys.MIN_ITERATIONS);
        Keys c = Keys.derive("Secret".toCharArray(), "home", Keys.MIN_ITERATIONS);
        assertFalse(Arrays.equals(a.headKey(), b.headKey()));
        assertFalse(Arrays.equals(a.headKey(), c.headKey()));
        assertFalse(Arrays.equals(a.headKey(), a.locatorKey()));
        byte[] s1 = new byte[32];
        byte[] s2 = new byte[32];
        s2[31] = 1;
        assertFalse(Arrays.equals(a.contentKey(s1), a.contentKey(s2)));
        assertArrayEquals(a.contentKey(s1), Keys.derive("secret".toCharArray(), "home", Keys.MIN_ITERATIONS)
                .contentKey(s1));
        assertThrows(IllegalArgumentException.class, () -> Keys.derive("s".toCharArray(), "home", 1000));
        assertThrows(IllegalArgumentException.class, () -> a.contentKey(new byte[16]));
    }

    @Test
    void gcmRefusesAnotherNonceAadOrAFlippedBit() throws Exception {
        byte[] key = new byte[32];
        byte[] sealed = Keys.seal(key, Keys.segmentNonce(3), "aad".getBytes(), "hello".getBytes(), 0, 5);
        assertEquals(5 + Keys.TAG_BYTES, sealed.length);
        assertArrayEquals("hello".getBytes(), Keys.open(key, Keys.segmentNonce(3), "aad".getBytes(), sealed, 0,
                sealed.length));
        assertThrows(AEADBadTagException.class, () -> Keys.open(key, Keys.segmentNonce(4), "aad".getBytes(), sealed,
                0, sealed.length));
        assertThrows(AEADBadTagException.class, () -> Keys.open(key, Keys.segmentNonce(3), "aae".getBytes(), sealed,
                0, sealed.length));
        sealed[0] ^= 1;
        assertThrows(AEADBadTagException.class, () -> Keys.open(key, Keys.segmentNonce(3), "aad".getBytes(), sealed,
                0, sealed.length));
    }
}
