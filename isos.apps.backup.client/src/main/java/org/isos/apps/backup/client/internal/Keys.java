package org.isos.apps.backup.client.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key schedule of one backup (a name) under one secret.
 *
 * <p>The root key is PBKDF2-HMAC-SHA256 of the secret, salted with a hash of the backup's name: the salt must be
 * derivable, since a fresh client with only the secret and the name has to find the manifest. Everything else comes
 * from the root with HKDF-SHA256 (RFC 5869) under distinct labels: the manifest head key, the cache key, the
 * locator key (which names the manifest's beacons on the hosts), and the content keys. A content key (one per file,
 * and one per stored manifest) is HKDF of the root with a fresh random 256-bit salt kept in the manifest, so no two
 * files share a key; within one key the GCM nonce is the segment index, so no nonce repeats under a key.
 */
public final class Keys {
    public static final int KEY_BYTES = 32;
    public static final int SALT_BYTES = 32;
    public static final int NONCE_BYTES = 12;
    public static final int TAG_BYTES = 16;
    /** At least what OWASP asks for PBKDF2-HMAC-SHA256 in 2023 (600,000) would be slower; the issue sets 200,000. */
    public static final int MIN_ITERATIONS = 200_000;

    private final byte[] root;

    private Keys(byte[] root) {
        this.root = root;
    }

    /** Derives the root key; this is the slow step (PBKDF2). */
    public static Keys derive(char[] secret, String backupName, int iterations) {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(backupName, "backup name");
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("PBKDF2 iterations " + iterations + " below the minimum "
                    + MIN_ITERATIONS);
        }
        byte[] salt = sha256(("isos-backup/v1/root-salt/" + backupName).getBytes(StandardCharsets.UTF_8));
        PBEKeySpec spec = new PBEKeySpec(secret, salt, iterations, KEY_BYTES * 8);
        try {
            byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return new Keys(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** The key that seals the manifest head and the local cache. */
    public byte[] headKey() {
        return hkdf(null, root, "isos-backup/v1/head", KEY_BYTES);
    }

    /** The key from which the beacons that locate the manifest on the hosts are derived. */
    public byte[] locatorKey() {
        return hkdf(null, root, "isos-backup/v1/locator", KEY_BYTES);
    }

    /** The content key for one file or one stored manifest, from its random salt. */
    public byte[] contentKey(byte[] salt) {
        if (salt == null || salt.length != SALT_BYTES) {
            throw new IllegalArgumentException("a content salt is " + SALT_BYTES + " bytes");
        }
        return hkdf(salt, root, "isos-backup/v1/content", KEY_BYTES);
    }

    /** The nonce of segment {@code index} under a content key: the index, big-endian, in the last 8 bytes. */
    public static byte[] segmentNonce(long index) {
        return ByteBuffer.allocate(NONCE_BYTES).putInt(0).putLong(index).array();
    }

    public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plain, int offset, int length) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            c.updateAAD(aad);
            return c.doFinal(plain, offset, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM failed: " + e, e);
        }
    }

    /** @throws AEADBadTagException when the key, nonce, AAD or bytes are not what was sealed */
    public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed, int offset, int length)
            throws AEADBadTagException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            c.updateAAD(aad);
            return c.doFinal(sealed, offset, length);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM failed: " + e, e);
        }
    }

    /** HKDF-SHA256: extract with {@code salt} (zeros when null), expand with {@code info} (UTF-8). */
    public static byte[] hkdf(byte[] salt, byte[] ikm, String info, int length) {
        return hkdf(salt, ikm, info.getBytes(StandardCharsets.UTF_8), length);
    }

    /** HKDF-SHA256 (RFC 5869): extract with {@code salt} (zeros when null), expand with {@code info}. */
    public static byte[] hkdf(byte[] salt, byte[] ikm, byte[] label, int length) {
        if (length < 1 || length > 255 * 32) {
            throw new IllegalArgumentException("HKDF output of " + length + " bytes");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt == null ? new byte[32] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            byte[] out = new byte[length];
            byte[] t = new byte[0];
            for (int i = 0, done = 0; done < length; i++) {
                mac.update(t);
                mac.update(label);
                mac.update((byte) (i + 1));
                t = mac.doFinal();
                int n = Math.min(t.length, length - done);
                System.arraycopy(t, 0, out, done, n);
                done += n;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    public static byte[] sha256(byte[] bytes) {
        return digest().digest(bytes);
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Forgets the root key (best effort: the JVM may have copied it). */
    public void destroy() {
        Arrays.fill(root, (byte) 0);
    }
}
