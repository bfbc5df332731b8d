package org.isos.server.hosts;

import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.util.List;

import org.isos.server.accounts.Account;
import org.isos.server.ca.CertificateRefused;
import org.osgi.annotation.versioning.ProviderType;

/** The registry of hosts that owners enrolled. */
@ProviderType
public interface Hosts {

    /**
     * Enrolls a host for {@code owner}: the host id is {@link #hostIdOf derived from the request's key},
     * the CA issues the host certificate ({@code CN=<hostId>,OU=host,O=ISOS}) and the host row is
     * recorded (status {@code ENROLLING}, the certificate's serial), all in one store transaction.
     *
     * @param csr PKCS#10, PEM or DER; its subject must be {@code CN=<hostId>}
     * @param description the host's description as a JSON object text, or null
     * @throws HostRefused when the account is no owner, the request cannot be read, or the key is enrolled already
     * @throws CertificateRefused when the CA refuses the request (signature, key, CN), message as is
     */
    EnrolledHost enroll(Account owner, byte[] csr, String description) throws HostRefused, CertificateRefused, SQLException;

    /**
     * A heartbeat from an enrolled host that presented {@code certificate} as its TLS client certificate
     * (the TLS layer checked that it chains to the CA). In one store transaction: the certificate must
     * name {@code hostId} (CN), be the host's current certificate and not be revoked; then the host row
     * becomes {@code ONLINE} (also from {@code OFFLINE}) with {@code last_heartbeat} = now, and
     * {@code description} and the reported {@code status} stored. An implementation may keep the time and an
     * unchanged-status heartbeat's description in memory and write them in batches shortly after (its own reads,
     * {@link #hostsOf}, see them at once); a status change or a host coming back ONLINE is written at once.
     *
     * @param description the host's description as a JSON object text, or null to keep the stored one
     * @param status the status the host reports, or null to keep the stored one
     * @throws HostRefused {@link HostRefused.Reason#NOT_THIS_HOST} when the certificate may not speak for
     *         the host; {@link HostRefused.Reason#BAD_REQUEST} for a description or reason that is too long
     * @since 1.2
     */
    Heartbeat heartbeat(String hostId, X509Certificate certificate, String description, ReportedStatus status)
            throws HostRefused, SQLException;

    /** {@link #heartbeat(String, X509Certificate, String, ReportedStatus)} keeping the stored status. */
    default Heartbeat heartbeat(String hostId, X509Certificate certificate, String description)
            throws HostRefused, SQLException {
        return heartbeat(hostId, certificate, description, null);
    }

    /**
     * Checks that {@code certificate} (a TLS client certificate the TLS layer chained to the CA) may speak for
     * {@code hostId}, as {@link #heartbeat} does: its CN is the host id, it is the host's current certificate and
     * it is not revoked. Changes nothing; joins the caller's store transaction.
     *
     * @throws HostRefused {@link HostRefused.Reason#NOT_THIS_HOST} when it may not
     * @since 1.3
     */
    void authenticate(String hostId, X509Certificate certificate) throws HostRefused, SQLException;

    /**
     * The hosts {@code owner} enrolled, oldest first, with their reported status; an {@code ONLINE} host
     * whose last heartbeat is older than three heartbeat periods is listed {@code OFFLINE}.
     */
    List<HostStatus> hostsOf(Account owner) throws SQLException;

    /**
     * The host id for a key: {@code host-} and the first 32 hex digits of the SHA-256 of its
     * SubjectPublicKeyInfo (DER). A host computes it itself to make its certificate request.
     */
    static String hostIdOf(byte[] subjectPublicKeyInfo) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(subjectPublicKeyInfo);
            return "host-" + java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
