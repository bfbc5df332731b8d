package org.isos.apps.streaming.host;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;

/**
 * View tickets made in the tests the way the server makes them (isos.server {@code ViewTickets}): an EC P-256 key
 * stands in for the ISOS CA root.
 */
final class TestTickets {

    static final KeyPair CA = keyPair();
    static final KeyPair FORGER = keyPair();

    private TestTickets() {
    }

    /** A ticket for {@code title} signed by {@code key}, expiring at {@code expires}. */
    static String ticket(PrivateKey key, String title, Instant expires) {
        String payload = "{\"v\":1,\"title\":\"" + title + "\",\"viewer\":\"acct-viewer\",\"viewId\":\"view-1\","
                + "\"manifest\":\"" + "ab".repeat(32) + "\",\"iat\":" + (expires.getEpochSecond() - 21_600)
                + ",\"exp\":" + expires.getEpochSecond() + "}";
        return signed(key, payload);
    }

    static String signed(PrivateKey key, String payload) {
        String body = b64(payload.getBytes(StandardCharsets.UTF_8));
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(key);
            signer.update(("ISOS view-ticket\n" + body).getBytes(StandardCharsets.US_ASCII));
            return body + "." + b64(signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
