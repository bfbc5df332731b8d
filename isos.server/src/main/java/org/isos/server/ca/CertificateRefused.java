package org.isos.server.ca;

/**
 * The CA will not do what was asked, and the message says why in words a caller can show as is
 * (an HTTP API answers it with a 4xx): a malformed or forged request, a subject that is not the
 * assigned id, a weak key, an unknown serial.
 */
public class CertificateRefused extends Exception {

    private static final long serialVersionUID = 1L;

    public CertificateRefused(String message) {
        super(message);
    }

    public CertificateRefused(String message, Throwable cause) {
        super(message, cause);
    }
}
