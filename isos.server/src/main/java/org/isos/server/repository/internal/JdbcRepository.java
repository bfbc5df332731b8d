package org.isos.server.repository.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.isos.admission.AdmissionPolicy;
import org.isos.admission.AdmissionRefused;
import org.isos.admission.AdmittedBundle;
import org.isos.admission.BundleAdmission;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.repository.BundleRefused;
import org.isos.server.repository.BundleRefused.Reason;
import org.isos.server.repository.Repository;
import org.isos.server.repository.StoredBundle;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The repository in the store's {@code bundles} table, the jar bytes in the row (so a bundle and its record
 * commit together). Admission runs before any store work: it is CPU work on the caller's thread.
 */
@Component(service = Repository.class)
public class JdbcRepository implements Repository {

    private final Store store;
    private final BundleAdmission admission;
    private final Clock clock;

    @Activate
    public JdbcRepository(@Reference Store store, @Reference CertificateAuthority ca) {
        this(store, ca, Clock.systemUTC());
    }

    JdbcRepository(Store store, CertificateAuthority ca, Clock clock) {
        this.store = store;
        // the server's CA root is the only anchor: only buyer certificates it issued sign admissible bundles
        this.admission = new BundleAdmission(AdmissionPolicy.defaults().withMaxBundleBytes(MAX_BUNDLE_BYTES),
                List.of(ca.root()));
        this.clock = clock;
    }

    @Override
    public StoredBundle store(Account buyer, byte[] jar) throws BundleRefused, SQLException {
        if (buyer.kind() != AccountKind.BUYER) {
            throw new BundleRefused(Reason.NOT_A_BUYER, "only buyers upload bundles (account " + buyer.id()
                    + " is a " + buyer.kind().code() + ")");
        }
        if (jar == null || jar.length == 0) {
            throw new BundleRefused(Reason.INADMISSIBLE, "MALFORMED: the body is empty: send the signed jar");
        }
        if (jar.length > MAX_BUNDLE_BYTES) {
            throw new BundleRefused(Reason.TOO_LARGE, "the jar is " + jar.length + " bytes; the repository takes at most "
                    + MAX_BUNDLE_BYTES);
        }
        String sha256 = BundleAdmission.sha256Hex(jar);
        AdmittedBundle admitted;
        try {
            admitted = admission.admit(jar, sha256, buyer.id());
        } catch (AdmissionRefused e) {
            throw new BundleRefused(Reason.INADMISSIBLE, e.getMessage());
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        try {
            return store.transaction(c -> {
                Optional<StoredBundle> there = find(c, sha256);
                if (there.isPresent()) {
                    return there.get();
                }
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO bundles (sha256, buyer_id, symbolic_name, "
                        + "version, size_bytes, uploaded, content) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    insert.setString(1, sha256);
                    insert.setString(2, buyer.id());
                    insert.setString(3, admitted.symbolicName());
                    insert.setString(4, admitted.version());
                    insert.setLong(5, jar.length);
                    insert.setObject(6, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    insert.setBytes(7, jar);
                    insert.executeUpdate();
                }
                return new StoredBundle(sha256, buyer.id(), admitted.symbolicName(), admitted.version(), jar.length, now,
                        true);
            });
        } catch (SQLException e) {
            // the same jar uploaded twice at once: the loser finds the winner's row
            if ("23505".equals(e.getSQLState())) {
                Optional<StoredBundle> there = find(sha256);
                if (there.isPresent()) {
                    return there.get();
                }
            }
            throw e;
        }
    }

    @Override
    public List<StoredBundle> bundlesOf(Account buyer) throws SQLException {
        return store.transaction(c -> {
            List<StoredBundle> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM bundles WHERE buyer_id = ? ORDER BY uploaded DESC, sha256")) {
                s.setString(1, buyer.id());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(bundle(r));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Optional<StoredBundle> find(String sha256) throws SQLException {
        if (!isDigest(sha256)) {
            return Optional.empty();
        }
        return store.transaction(c -> find(c, sha256));
    }

    @Override
    public Optional<byte[]> content(String sha256) throws SQLException {
        if (!isDigest(sha256)) {
            return Optional.empty();
        }
        return store.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT content FROM bundles WHERE sha256 = ?")) {
                s.setString(1, sha256);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    /** Lowercase hex SHA-256, as the repository names bundles. */
    public static boolean isDigest(String sha256) {
        return sha256 != null && sha256.matches("[0-9a-f]{64}");
    }

    private static final String COLUMNS = "sha256, buyer_id, symbolic_name, version, size_bytes, uploaded";

    private static Optional<StoredBundle> find(java.sql.Connection c, String sha256) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM bundles WHERE sha256 = ?")) {
            s.setString(1, sha256);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(bundle(r)) : Optional.empty();
            }
        }
    }

    private static StoredBundle bundle(ResultSet r) throws SQLException {
        return new StoredBundle(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5),
                r.getObject(6, OffsetDateTime.class).toInstant(), false);
    }
}
