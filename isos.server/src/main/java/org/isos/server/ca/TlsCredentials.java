package org.isos.server.ca;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A private key and its certificate chain (leaf first, root last), ready for a TLS server. */
public record TlsCredentials(PrivateKey key, List<X509Certificate> chain) {

    public TlsCredentials {
        chain = List.copyOf(chain);
    }
}
