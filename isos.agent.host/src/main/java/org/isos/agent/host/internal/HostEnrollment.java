package org.isos.agent.host.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The pieces of enrolling a host with the server that need no network: the host key, the host id
 * the server derives from it, the certificate request, the identity key store the kernel loads,
 * the TLS context that trusts only the server's CA, and reading the server's JSON answer.
 */
final class HostEnrollment {

    static final String IDENTITY_ALIAS = "host";

    private HostEnrollment() {
    }

    /** A new EC P-256 host key. */
    static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** The server's host id for a key: {@code host-} + the first 32 hex digits of SHA-256 of its encoding. */
    static String hostIdOf(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return "host-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A PKCS#10 request, PEM, with subject {@code CN=<hostId>}, signed with the host key (proof of possession). */
    static String csrPem(KeyPair key, String hostId) throws IOException {
        try {
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId), key.getPublic())
                        .build(new JcaContentSignerBuilder(
                                "EC".equals(key.getPrivate().getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA")
                                .build(key.getPrivate())));
            }
            return pem.toString();
        } catch (OperatorCreationException e) {
            throw new IOException("cannot sign the certificate request: " + e.getMessage(), e);
        }
    }

    /** Every certificate in a PEM text, in order. */
    static List<X509Certificate> certificates(String pem) throws GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    /**
     * Checks the issued chain belongs to {@code key} and {@code hostId} and chains to {@code caPem}, then
     * writes key and chain as PKCS#12 to {@code store}, atomically (a temp file renamed into place).
     */
    static void writeIdentity(Path store, char[] password, KeyPair key, String hostId, List<X509Certificate> chain,
            List<X509Certificate> anchors) throws IOException, GeneralSecurityException {
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("the server returned no certificate");
        }
        X509Certificate leaf = chain.get(0);
        if (!leaf.getPublicKey().equals(key.getPublic())) {
            throw new GeneralSecurityException("the issued certificate is not for this host's key");
        }
        if (!hostId.equals(commonName(leaf))) {
            throw new GeneralSecurityException("the issued certificate names " + commonName(leaf) + ", not " + hostId);
        }
        verifyChain(chain, anchors);
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry(IDENTITY_ALIAS, key.getPrivate(), password, chain.toArray(new Certificate[0]));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        keyStore.store(bytes, password);
        writeAtomically(store, bytes.toByteArray());
    }

    /** Each certificate is signed by the next; the last by one of the anchors (or is one). */
    static void verifyChain(List<X509Certificate> chain, List<X509Certificate> anchors) throws GeneralSecurityException {
        for (int i = 0; i + 1 < chain.size(); i++) {
            chain.get(i).verify(chain.get(i + 1).getPublicKey());
        }
        X509Certificate last = chain.get(chain.size() - 1);
        for (X509Certificate anchor : anchors) {
            if (anchor.equals(last)) {
                return;
            }
            try {
                last.verify(anchor.getPublicKey());
                return;
            } catch (GeneralSecurityException notThisOne) {
                // try the next anchor
            }
        }
        throw new GeneralSecurityException("the issued certificate does not chain to the server's CA");
    }

    /** The host id of an identity key store: its certificate's CN. */
    static String hostIdOf(Path store, char[] password) throws IOException, GeneralSecurityException {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, password);
        }
        String alias = keyStore.aliases().nextElement();
        if (keyStore.getKey(alias, password) instanceof PrivateKey == false) {
            throw new GeneralSecurityException(store + " holds no private key");
        }
        return commonName((X509Certificate) keyStore.getCertificateChain(alias)[0]);
    }

    static String commonName(X509Certificate certificate) throws GeneralSecurityException {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            throw new GeneralSecurityException("unreadable subject: " + e.getMessage(), e);
        }
        throw new GeneralSecurityException("certificate has no CN: " + certificate.getSubjectX500Principal());
    }

    /** TLS that trusts exactly the given CA certificates (not the JDK's defaults). */
    static SSLContext trusting(List<X509Certificate> anchors) throws GeneralSecurityException, IOException {
        if (anchors.isEmpty()) {
            throw new GeneralSecurityException("no CA certificate to trust");
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (X509Certificate anchor : anchors) {
            trusted.setCertificateEntry("isos-ca-" + i++, anchor);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, factory.getTrustManagers(), null);
        return tls;
    }

    static void writeAtomically(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // --- the server's JSON, without a JSON library (the agent ships none) ---

    /** {@code {"csr": "<pem>"}}. */
    static String enrollmentBody(String csrPem) {
        return "{\"csr\": " + quote(csrPem) + "}";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
            case '"' -> b.append("\\\"");
            case '\\' -> b.append("\\\\");
            case '\n' -> b.append("\\n");
            case '\r' -> b.append("\\r");
            case '\t' -> b.append("\\t");
            default -> {
                if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            }
        }
        return b.append('"').toString();
    }

    /**
     * The string value of a top-level member of a JSON object, or null when absent or not a string.
     * Enough for the server's flat answers ({@code hostId}, {@code certificate}, {@code chain},
     * {@code caPem}, {@code error}); nested values are skipped.
     */
    static String stringMember(String json, String name) {
        Cursor c = new Cursor(json);
        c.skipSpace();
        if (!c.eat('{')) {
            return null;
        }
        c.skipSpace();
        if (c.eat('}')) {
            return null;
        }
        while (true) {
            c.skipSpace();
            String key = c.string();
            c.skipSpace();
            c.expect(':');
            c.skipSpace();
            if (c.peek() == '"') {
                String value = c.string();
                if (key.equals(name)) {
                    return value;
                }
            } else {
                c.skipValue();
            }
            c.skipSpace();
            if (c.eat('}')) {
                return null;
            }
            c.expect(',');
        }
    }

    private static final class Cursor {
        private final String s;
        private int i;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("JSON ends early");
            }
            return s.charAt(i);
        }

        boolean eat(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!eat(c)) {
                throw new IllegalArgumentException("JSON: expected '" + c + "' at " + i);
            }
        }

        void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = peek();
                i++;
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = peek();
                i++;
                switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw new IllegalArgumentException("JSON ends early");
                    }
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> b.append(e); // " \ /
                }
            }
        }

        void skipValue() {
            char c = peek();
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                int depth = 0;
                do {
                    char d = peek();
                    if (d == '"') {
                        string();
                        continue;
                    }
                    i++;
                    if (d == '{' || d == '[') {
                        depth++;
                    } else if (d == '}' || d == ']') {
                        depth--;
                    }
                } while (depth > 0);
            } else {
                while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
                    i++;
                }
            }
        }
    }
}
