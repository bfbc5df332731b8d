package org.isos.server.hosts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** A heartbeat's host id from its certificate: the quick reading must say what the full parse says. */
class CommonNameTest {

    @Test
    void theQuickReadingAgreesWithTheFullParse() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        for (String subject : new String[] { "O=ISOS,OU=host,CN=host-0123abcd", "CN=buyer_1.x", "CN=a,CN=b",
                "O=ISOS,OU=x\\,CN=evil", "OU=x\\,CN=evil,CN=good", "CN=a+OU=b", "CN=with space", "CN=\u00fcn\u00efcode",
                "OU=only", "CN=a\\+b", "CN=\"quoted\"", "CN=#0403616263" }) {
            X509Certificate certificate = certificate(keys, new X500Name(subject));
            assertEquals(fullParse(certificate), JdbcHosts.commonNameOf(certificate), subject);
        }
    }

    private static String fullParse(X509Certificate certificate) {
        RDN[] names = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        return names.length != 1 || names[0].isMultiValued() ? null
                : IETFUtils.valueToString(names[0].getFirst().getValue());
    }

    private static X509Certificate certificate(KeyPair keys, X500Name name) throws Exception {
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
