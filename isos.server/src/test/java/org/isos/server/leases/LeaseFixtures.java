package org.isos.server.leases;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.IssuedCertificate;
import org.isos.testkit.TestJars;

/** Keys, certificate requests, signed bundles and signed usage records for the server's tests. */
public final class LeaseFixtures {

    private LeaseFixtures() {
    }

    public static KeyPair ecKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** A PKCS#10 request for {@code CN=<commonName>}, PEM. */
    public static String csr(String commonName, KeyPair keys) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + commonName), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        }
        return out.toString();
    }

    /** An unsigned bundle jar with one resource. */
    public static byte[] bundle(String symbolicName, String version) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", symbolicName);
        headers.put("Bundle-Version", version);
        return TestJars.jar(headers, Map.of("readme.txt", ("hello from " + symbolicName).getBytes(StandardCharsets.UTF_8)));
    }

    /** {@link #bundle} signed with a fresh key and a code-signing certificate the CA issued to {@code buyerId}. */
    public static byte[] signedBundle(CertificateAuthority ca, String buyerId, String symbolicName) throws Exception {
        KeyPair keys = ecKeys();
        IssuedCertificate issued = ca.issueBuyerCertificate(buyerId, csr(buyerId, keys).getBytes(StandardCharsets.US_ASCII));
        return TestJars.sign(bundle(symbolicName, "1.0.0"), keys.getPrivate(), issued.chain());
    }

    /** The record signed as a host signs it (SHA256withECDSA over its signed text). */
    public static UsageReport signed(UsageReport record, PrivateKey key) throws Exception {
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key);
        signer.update(record.signedText().getBytes(StandardCharsets.UTF_8));
        return new UsageReport(record.leaseId(), record.hostId(), record.sequence(), record.from(), record.to(),
                record.cpuNanos(), record.storageByteSeconds(), record.bytesIn(), record.bytesOut(), record.last(),
                Base64.getEncoder().encodeToString(signer.sign()));
    }
}
