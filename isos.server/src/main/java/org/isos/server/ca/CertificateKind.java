package org.isos.server.ca;

import java.util.Locale;

/** What a certificate is for; stored in lower case in {@code certificates.kind}. */
public enum CertificateKind {
    /** The self-signed root of the ISOS CA. */
    ROOT,
    /** A host's identity: CN = host id, extended key usages serverAuth and clientAuth. */
    HOST,
    /** A buyer's code-signing certificate: CN = buyer (account) id, extended key usage codeSigning. */
    BUYER,
    /** The server's TLS certificate: subject alternative names for its DNS names and addresses, serverAuth. */
    SERVER;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CertificateKind ofCode(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
