package org.isos.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A buyer's code-signing key and its certificate chain (leaf first), kept as a PKCS#12 file that the
 * JDK's {@code jarsigner} reads as well: one private-key entry whose alias is the key's name.
 */
record SigningKey(String alias, PrivateKey privateKey, List<X509Certificate> chain) {

    /** Key names become file names and aliases: keep them plain. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Account ids are what the CA puts in the certificate's CN; the server makes them this way. */
    private static final Pattern ACCOUNT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    SigningKey {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a signing key needs its certificate");
        }
        chain = List.copyOf(chain);
    }

    X509Certificate certificate() {
        return chain.get(0);
    }

    /** A new EC P-256 key pair: what the ISOS CA certifies and what hosts verify fastest. */
    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK 17 makes EC P-256 keys", e);
        }
    }

    /** A PKCS#10 request, PEM, for {@code CN=<accountId>}, signed by the key it carries (proof of possession). */
    static String certificateRequest(KeyPair keys, String accountId) {
        if (accountId == null || !ACCOUNT_ID.matcher(accountId).matches()) {
            throw new IllegalArgumentException("not an account id: '" + accountId + "'");
        }
        try {
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + accountId),
                        keys.getPublic()).build(new JcaContentSignerBuilder(signatureAlgorithm(keys.getPrivate()))
                                .build(keys.getPrivate())));
            }
            return pem.toString();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot sign a certificate request: " + e.getMessage(), e);
        }
    }

    static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new CliFailure("a " + key.getAlgorithm() + " key cannot sign ISOS bundles (EC or RSA only)");
        };
    }

    /**
     * The chain from {@code POST /v1/certificates}' answer, leaf first and ending at the root:
     * {@code certificate}, then {@code chain} (PEM text or a list of PEMs; the leaf again is skipped),
     * then {@code caPem} if the chain did not already end with it.
     */
    static List<X509Certificate> chainFrom(JsonNode issued) {
        List<X509Certificate> chain = new ArrayList<>();
        addAll(chain, Verb.text(issued, "certificate"), "certificate");
        if (chain.isEmpty()) {
            throw new CliFailure("the server's answer holds no certificate");
        }
        JsonNode more = issued.get("chain");
        if (more != null && more.isArray()) {
            for (JsonNode pem : more) {
                addAll(chain, pem.asText(), "chain");
            }
        } else if (more != null && more.isTextual()) {
            addAll(chain, more.asText(), "chain");
        }
        addAll(chain, Verb.text(issued, "caPem"), "caPem");
        return chain;
    }

    private static void addAll(List<X509Certificate> chain, String pem, String field) {
        if (pem == null || pem.isBlank()) {
            return;
        }
        try {
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                if (!chain.contains(c)) {
                    chain.add((X509Certificate) c);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new CliFailure("the server's " + field + " is not PEM certificates: " + e.getMessage(), e);
        }
    }

    /** Writes the key as PKCS#12 (owner-only permissions where the file system has them), replacing atomically. */
    void store(Path file, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, privateKey, password, chain.toArray(new Certificate[0]));
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException noPosix) {
                    // e.g. Windows: the directory's access rules apply
                }
                try (OutputStream out = Files.newOutputStream(temp)) {
                    store.store(out, password);
                }
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new CliFailure("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a PKCS#12 key store: the entry {@code alias}, or the only private-key entry when alias is null.
     */
    static SigningKey load(Path file, String alias, char[] password) {
        KeyStore store;
        try (InputStream in = Files.newInputStream(file)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
        } catch (IOException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password") ? "wrong password?" : e.getMessage();
            throw new CliFailure("cannot open the key store " + file + " (" + why + ")", e);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("cannot open the key store " + file + " (" + e.getMessage() + ")", e);
        }
        try {
            List<String> keys = new ArrayList<>();
            for (String a : Collections.list(store.aliases())) {
                if (store.isKeyEntry(a)) {
                    keys.add(a);
                }
            }
            String chosen = alias;
            if (chosen == null || !keys.contains(chosen)) {
                if (keys.size() != 1) {
                    throw new CliFailure(file + " holds " + (keys.isEmpty() ? "no private key"
                            : "the keys " + keys + (alias == null ? "" : " but not '" + alias + "'")));
                }
                chosen = keys.get(0);
            }
            Key key = store.getKey(chosen, password);
            if (!(key instanceof PrivateKey)) {
                throw new CliFailure("'" + chosen + "' in " + file + " is not a private key");
            }
            Certificate[] chain = store.getCertificateChain(chosen);
            if (chain == null || chain.length == 0) {
                throw new CliFailure("'" + chosen + "' in " + file + " has no certificate chain");
            }
            List<X509Certificate> certificates = new ArrayList<>();
            for (Certificate c : chain) {
                certificates.add((X509Certificate) c);
            }
            return new SigningKey(chosen, (PrivateKey) key, certificates);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("cannot read the key in " + file + " (" + e.getMessage() + "; wrong password?)", e);
        }
    }
}
