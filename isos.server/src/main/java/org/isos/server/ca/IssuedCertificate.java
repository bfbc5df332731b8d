package org.isos.server.ca;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A certificate the CA issued, with its chain up to and including the root (leaf first), as
 * {@code jarsigner} and TLS key stores want it.
 */
public record IssuedCertificate(CertificateKind kind, X509Certificate certificate, List<X509Certificate> chain) {

    public IssuedCertificate {
        chain = List.copyOf(chain);
    }

    /** The serial number as stored: lower-case hex. */
    public String serial() {
        return certificate.getSerialNumber().toString(16).toLowerCase(Locale.ROOT);
    }

    /** The chain, leaf first, as concatenated PEM blocks. */
    public String pem() {
        StringBuilder out = new StringBuilder();
        for (X509Certificate c : chain) {
            out.append(pem(c));
        }
        return out.toString();
    }

    /** One certificate as a PEM block. */
    public static String pem(X509Certificate certificate) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }
}
