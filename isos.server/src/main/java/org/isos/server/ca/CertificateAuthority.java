package org.isos.server.ca;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The ISOS certificate authority. Its root is what hosts ({@code trustAnchors}) and the admission
 * rules trust; every certificate it issues is recorded in the store, inside the caller's store
 * transaction when there is one. Certificate requests are PKCS#10, PEM or DER.
 */
@ProviderType
public interface CertificateAuthority {

    /** The root certificate, self-signed. */
    X509Certificate root();

    /** The root certificate as PEM, as agents keep it in their trust anchors file. */
    String rootPem();

    /**
     * A host certificate for the key in {@code csr}: subject {@code CN=<hostId>,OU=host,O=ISOS},
     * extended key usages serverAuth and clientAuth.
     *
     * @param hostId the id the server assigned to the host; the request's subject CN must be exactly this
     * @throws CertificateRefused when the request is malformed, its signature does not verify, its key
     *         is weak, or its CN is not {@code hostId}
     */
    IssuedCertificate issueHostCertificate(String hostId, byte[] csr) throws CertificateRefused, SQLException;

    /**
     * A code-signing certificate for a buyer: subject {@code CN=<buyerId>,OU=buyer,O=ISOS}, extended key
     * usage codeSigning; the request's CN must be {@code buyerId}.
     */
    IssuedCertificate issueBuyerCertificate(String buyerId, byte[] csr) throws CertificateRefused, SQLException;

    /**
     * A TLS server certificate for {@code key}: CN is the first name, and every name is a subject
     * alternative name (an IP address literal becomes an iPAddress entry, anything else a dNSName).
     */
    IssuedCertificate issueServerCertificate(PublicKey key, List<String> names) throws CertificateRefused, SQLException;

    /**
     * This server's TLS key and chain for {@code names}, kept in the data directory and reused until a
     * third of its life is left or the names change, then replaced by a fresh key and certificate.
     */
    TlsCredentials serverCredentials(List<String> names) throws CertificateRefused, SQLException;

    /**
     * Revokes a certificate this CA issued.
     *
     * @return true if it is revoked now, false if it already was (the first revocation stands)
     * @throws CertificateRefused for an unknown serial or the root
     */
    boolean revoke(String serial, String reason) throws CertificateRefused, SQLException;

    /**
     * Certificates revoked at or after {@code since} that have not expired yet, oldest revocation first:
     * what an agent that last heard at {@code since} must learn (it may see one twice; serials identify).
     */
    List<Revocation> revokedSince(Instant since) throws SQLException;

    /**
     * Signs a statement of the server's (a view ticket, say) with the root key, SHA256withECDSA over the ASCII
     * bytes {@code "ISOS " + purpose + "\n"} followed by {@code statement}: the prefix binds the signature to its
     * purpose and can never begin a DER structure, so no signed statement can pass for a certificate or for a
     * statement of another purpose. Verify with {@link #root()}'s public key over the same bytes.
     *
     * @param purpose 1 to 40 characters of {@code [a-z0-9-]}, starting with a letter
     * @throws IllegalArgumentException for a bad purpose or an empty statement
     */
    byte[] signStatement(String purpose, byte[] statement);

    /** The record of a certificate this CA issued. */
    Optional<CertificateRecord> record(String serial) throws SQLException;
}
