package org.isos.kernel.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Who this host is: its key, its certificate chain (issued by the ISOS CA at enrollment, or
 * self-signed before it), and the CA certificates it trusts for app signers and peer hosts.
 */
public final class HostIdentity {

    private final String hostId;
    private final PrivateKey key;
    private final List<X509Certificate> chain;
    private final List<X509Certificate> trustAnchors;

    HostIdentity(String hostId, PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustAnchors) {
        this.hostId = hostId;
        this.key = key;
        this.chain = List.copyOf(chain);
        this.trustAnchors = List.copyOf(trustAnchors);
    }

    public String hostId() {
        return hostId;
    }

    public PrivateKey key() {
        return key;
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public List<X509Certificate> trustAnchors() {
        return trustAnchors;
    }

    /** Signs with the host key; usage records carry this signature. */
    public byte[] sign(byte[] data) {
        try {
            Signature signature = Signature.getInstance(key.getAlgorithm().equals("EC") ? "SHA256withECDSA"
                    : "SHA256withRSA");
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("host key cannot sign: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the identity named by the configuration, or makes (once) and loads a self-signed one in
     * {@code dataDir} so that a host works before it has enrolled.
     */
    static HostIdentity load(KernelConfig config, Path dataDir) throws IOException, GeneralSecurityException {
        List<X509Certificate> anchors = config.trustAnchors().isBlank() ? List.of()
                : readPem(Path.of(config.trustAnchors()));
        char[] password = config.identityPassword().toCharArray();
        Path store = config.identityKeyStore().isBlank() ? dataDir.resolve("identity.p12")
                : Path.of(config.identityKeyStore());
        if (!Files.exists(store)) {
            if (!config.identityKeyStore().isBlank()) {
                throw new IOException("identity key store " + store + " does not exist");
            }
            String id = config.hostId().isBlank() ? "host-" + UUID.randomUUID() : config.hostId();
            writeSelfSigned(store, id, password.clone());
        }
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, password);
        }
        String alias = keyStore.aliases().nextElement();
        PrivateKey key = (PrivateKey) keyStore.getKey(alias, password);
        List<X509Certificate> chain = new ArrayList<>();
        for (java.security.cert.Certificate c : keyStore.getCertificateChain(alias)) {
            chain.add((X509Certificate) c);
        }
        String hostId = commonName(chain.get(0));
        List<X509Certificate> trusted = new ArrayList<>(anchors);
        if (chain.size() == 1 && chain.get(0).getSubjectX500Principal().equals(chain.get(0).getIssuerX500Principal())) {
            // a self-signed host trusts itself, so its own transport works on loopback before enrollment
            trusted.add(chain.get(0));
        }
        return new HostIdentity(hostId, key, chain, trusted);
    }

    static List<X509Certificate> readPem(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> certs = factory.generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            certs.forEach(c -> out.add((X509Certificate) c));
            if (out.isEmpty()) {
                throw new IOException("no certificate in " + file);
            }
            return out;
        }
    }

    public static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            throw new IllegalArgumentException("unreadable subject " + certificate.getSubjectX500Principal(), e);
        }
        throw new IllegalArgumentException("certificate subject has no CN: " + certificate.getSubjectX500Principal());
    }

    private static void writeSelfSigned(Path store, String hostId, char[] password)
            throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=" + hostId + ",OU=host,O=ISOS");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, new SecureRandom()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(3650, ChronoUnit.DAYS)), subject, pair.getPublic());
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("host", pair.getPrivate(), password, new X509Certificate[] { cert });
            Files.createDirectories(store.getParent());
            Path tmp = Files.createTempFile(store.getParent(), "identity", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                keyStore.store(out, password);
            }
            AtomicFiles.move(tmp, store);
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }
}
