package org.isos.server.hosts.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.hosts.EnrolledHost;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.HostRefused.Reason;
import org.isos.server.hosts.Hosts;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Hosts in the store's {@code hosts} table; certificates through the CA, in the same transaction. */
@Component(service = Hosts.class)
public class JdbcHosts implements Hosts {

    static final int MAX_CSR_BYTES = 16 * 1024;
    static final int MAX_DESCRIPTION_CHARS = 64 * 1024;

    private final Store store;
    private final CertificateAuthority ca;

    @Activate
    public JdbcHosts(@Reference Store store, @Reference CertificateAuthority ca) {
        this.store = store;
        this.ca = ca;
    }

    @Override
    public EnrolledHost enroll(Account owner, byte[] csr, String description)
            throws HostRefused, CertificateRefused, SQLException {
        if (owner.kind() != AccountKind.OWNER) {
            throw new HostRefused(Reason.NOT_AN_OWNER, "only host owners enroll hosts (account " + owner.id()
                    + " is a " + owner.kind().code() + ")");
        }
        if (description != null && description.length() > MAX_DESCRIPTION_CHARS) {
            throw new HostRefused(Reason.BAD_REQUEST, "description is longer than " + MAX_DESCRIPTION_CHARS + " characters");
        }
        String hostId = Hosts.hostIdOf(publicKeyOf(csr));
        Instant created = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try {
            return store.transaction(c -> {
                if (exists(c, hostId)) {
                    throw new Refusal(new HostRefused(Reason.ALREADY_ENROLLED,
                            "this key is enrolled already as host " + hostId + "; make a new key to enroll another host"));
                }
                IssuedCertificate certificate;
                try {
                    certificate = ca.issueHostCertificate(hostId, csr);
                } catch (CertificateRefused e) {
                    throw new Refusal(e);
                }
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO hosts (id, owner_id, certificate_serial, "
                        + "description, status, created) VALUES (?, ?, ?, ?, 'ENROLLING', ?)")) {
                    insert.setString(1, hostId);
                    insert.setString(2, owner.id());
                    insert.setString(3, certificate.serial());
                    insert.setString(4, description);
                    insert.setTimestamp(5, Timestamp.from(created));
                    insert.executeUpdate();
                }
                return new EnrolledHost(hostId, owner.id(), "ENROLLING", certificate, created);
            });
        } catch (Refusal r) {
            if (r.getCause() instanceof HostRefused h) {
                throw h;
            }
            throw (CertificateRefused) r.getCause();
        } catch (SQLException e) {
            // two enrollments of one key at once: the loser sees the primary key taken
            if ("23505".equals(e.getSQLState())) {
                throw new HostRefused(Reason.ALREADY_ENROLLED, "this key is enrolled already as host " + hostId
                        + "; make a new key to enroll another host");
            }
            throw e;
        }
    }

    private static boolean exists(Connection c, String hostId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The request's SubjectPublicKeyInfo (DER); the CA checks the rest (signature, key, CN). */
    static byte[] publicKeyOf(byte[] csr) throws HostRefused {
        if (csr == null || csr.length == 0) {
            throw new HostRefused(Reason.BAD_REQUEST, "csr is empty: expected a PKCS#10 certificate request (PEM)");
        }
        if (csr.length > MAX_CSR_BYTES) {
            throw new HostRefused(Reason.BAD_REQUEST, "csr is larger than " + MAX_CSR_BYTES + " bytes");
        }
        String text = new String(csr, StandardCharsets.US_ASCII);
        boolean isPem = text.contains("-----BEGIN");
        try {
            PKCS10CertificationRequest request;
            if (isPem) {
                Object parsed;
                try (PEMParser parser = new PEMParser(new StringReader(text))) {
                    parsed = parser.readObject();
                }
                if (!(parsed instanceof PKCS10CertificationRequest r)) {
                    throw new HostRefused(Reason.BAD_REQUEST, "csr is not a PKCS#10 certificate request: its PEM block is "
                            + (parsed == null ? "unreadable" : "something else (" + parsed.getClass().getSimpleName()
                                    .replace("Holder", "") + ")"));
                }
                request = r;
            } else {
                request = new PKCS10CertificationRequest(csr);
            }
            return request.getSubjectPublicKeyInfo().getEncoded();
        } catch (IOException | RuntimeException e) {
            throw new HostRefused(Reason.BAD_REQUEST, isPem
                    ? "csr is not a readable PKCS#10 certificate request: its PEM block does not decode to one"
                    : "csr is not a readable PKCS#10 certificate request: expected PEM "
                            + "(-----BEGIN CERTIFICATE REQUEST-----) or DER");
        }
    }

    /** Carries a refusal out of the transaction's work (which may throw only SQLException). */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(Exception cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
