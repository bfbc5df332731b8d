package org.isos.server.titles.internal;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.Settlement;
import org.isos.server.store.Store;
import org.isos.server.titles.Title;
import org.isos.server.titles.TitleRefused;
import org.isos.server.titles.TitleRefused.Reason;
import org.isos.server.titles.Titles;
import org.isos.server.titles.View;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The title registry in the store (tables of migration V009): {@code titles} with the manifest as published,
 * {@code title_leases} (the leases it names, joined with {@code leases} for its availability) and
 * {@code title_views} (one row per viewer and view id, written in the transaction that pays for it, so a view is
 * never recorded unpaid nor paid unrecorded). Payments go through the {@link Bank}, which joins that transaction.
 */
@Component(service = Titles.class)
public class JdbcTitles implements Titles {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    static final Pattern VIEW_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Store store;
    private final Bank bank;
    private final Clock clock;

    @Activate
    public JdbcTitles(@Reference Store store, @Reference Bank bank) {
        this(store, bank, Clock.systemUTC());
    }

    /** A registry that tells lease expiry by {@code clock} (tests). */
    public JdbcTitles(Store store, Bank bank, Clock clock) {
        if (store == null || bank == null || clock == null) {
            throw new IllegalArgumentException("the title registry needs a store, a bank and a clock");
        }
        this.store = store;
        this.bank = bank;
        this.clock = clock;
    }

    // ---------------------------------------------------------------------------------------------- publish

    @Override
    public Title publish(Account provider, String name, String manifest, long pricePerViewMicros)
            throws TitleRefused, SQLException {
        if (provider.kind() != AccountKind.BUYER) {
            throw new TitleRefused(Reason.FORBIDDEN, "only a buyer account publishes titles (its leases hold them); "
                    + provider.id() + " is an " + provider.kind().code());
        }
        checkName(name);
        if (pricePerViewMicros < 0 || pricePerViewMicros > MAX_PRICE_MICROS) {
            throw new TitleRefused(Reason.BAD_REQUEST, "pricePerViewMicros must be 0 to " + MAX_PRICE_MICROS
                    + ", not " + pricePerViewMicros);
        }
        Manifest read = readManifest(provider, name, manifest);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        return registryTransaction(c -> {
            checkLeases(c, provider, read.leases(), now);
            boolean exists = false;
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT provider_id FROM titles WHERE name = ? FOR UPDATE")) {
                p.setString(1, name);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        if (!r.getString(1).equals(provider.id())) {
                            throw new TitleRefused(Reason.CONFLICT, "title " + name + " is published by another"
                                    + " provider: choose another name");
                        }
                        exists = true;
                    }
                }
            }
            if (!exists) {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO titles (name, provider_id, "
                        + "price_per_view_micros, needed_leases, size_bytes, manifest_bytes, manifest, created, updated) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                    p.setString(1, name);
                    p.setString(2, provider.id());
                    p.setLong(3, pricePerViewMicros);
                    p.setInt(4, read.needed());
                    p.setLong(5, read.sizeBytes());
                    p.setInt(6, read.bytes().length);
                    p.setBytes(7, read.bytes());
                    p.setObject(8, utc(now));
                    p.setObject(9, utc(now));
                    if (p.executeUpdate() == 0) {
                        // published by someone else at this very moment: retried, it meets the row above
                        throw new SQLException("title " + name + " was published concurrently", "40001");
                    }
                }
            } else {
                try (PreparedStatement p = c.prepareStatement("UPDATE titles SET price_per_view_micros = ?, "
                        + "needed_leases = ?, size_bytes = ?, manifest_bytes = ?, manifest = ?, updated = ? "
                        + "WHERE name = ?")) {
                    p.setLong(1, pricePerViewMicros);
                    p.setInt(2, read.needed());
                    p.setLong(3, read.sizeBytes());
                    p.setInt(4, read.bytes().length);
                    p.setBytes(5, read.bytes());
                    p.setObject(6, utc(now));
                    p.setString(7, name);
                    p.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("DELETE FROM title_leases WHERE title = ?")) {
                    p.setString(1, name);
                    p.executeUpdate();
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO title_leases (title, lease_id) VALUES (?, ?)")) {
                for (String lease : read.leases()) {
                    p.setString(1, name);
                    p.setString(2, lease);
                    p.addBatch();
                }
                p.executeBatch();
            }
            return find(c, name, true);
        });
    }

    /** What the registry reads of a manifest. */
    private record Manifest(byte[] bytes, List<String> leases, int needed, long sizeBytes) {
    }

    private static Manifest readManifest(Account provider, String name, String manifest) throws TitleRefused {
        if (manifest == null || manifest.isBlank()) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest is missing");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(manifest);
        } catch (JsonProcessingException e) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest is not JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest must be a JSON object");
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed manifest could not be written again", e);
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest is " + bytes.length + " bytes of JSON; at most "
                    + MAX_MANIFEST_BYTES + " are kept (longer segments make it shorter)");
        }
        // the publisher's document is {"format": 1, "manifest": {...}}: the fields are in the inner object
        JsonNode inner = tree.get("manifest");
        if (inner != null && inner.isObject()) {
            tree = inner;
        }
        JsonNode title = tree.get("title");
        if (title != null && !(title.isTextual() && title.textValue().equals(name))) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest is of title " + title + ", not " + name);
        }
        JsonNode named = tree.get("provider");
        if (named != null && !(named.isTextual() && named.textValue().equals(provider.id()))) {
            throw new TitleRefused(Reason.FORBIDDEN, "the manifest's provider is " + named + ", not the publisher "
                    + provider.id() + ": viewers reach the app of the manifest's provider");
        }
        JsonNode holders = tree.get("holders");
        if (holders == null || !holders.isArray() || holders.isEmpty()) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest must name its holders: \"holders\": "
                    + "[{\"leaseId\": ...}, ...]");
        }
        if (holders.size() > MAX_LEASES) {
            throw new TitleRefused(Reason.BAD_REQUEST, "the manifest names " + holders.size() + " holders; at most "
                    + MAX_LEASES);
        }
        Set<String> leases = new LinkedHashSet<>();
        for (int i = 0; i < holders.size(); i++) {
            JsonNode lease = holders.get(i).get("leaseId");
            if (lease == null || !lease.isTextual() || !NAME.matcher(lease.textValue()).matches()) {
                throw new TitleRefused(Reason.BAD_REQUEST, "holder " + i + " of the manifest has no valid leaseId");
            }
            if (!leases.add(lease.textValue())) {
                throw new TitleRefused(Reason.BAD_REQUEST, "lease " + lease.textValue() + " is named by two holders");
            }
        }
        int needed = leases.size();
        JsonNode k = tree.get("dataFragments");
        if (k != null) {
            if (!k.isIntegralNumber() || k.longValue() < 1 || k.longValue() > leases.size()) {
                throw new TitleRefused(Reason.BAD_REQUEST, "the manifest's dataFragments must be 1 to its "
                        + leases.size() + " holders, not " + k);
            }
            needed = k.intValue();
        }
        long size = 0;
        JsonNode sizeBytes = tree.get("sizeBytes");
        if (sizeBytes != null) {
            if (!sizeBytes.isIntegralNumber() || !sizeBytes.canConvertToLong() || sizeBytes.longValue() < 0) {
                throw new TitleRefused(Reason.BAD_REQUEST, "the manifest's sizeBytes must be a whole number >= 0, not "
                        + sizeBytes);
            }
            size = sizeBytes.longValue();
        }
        return new Manifest(bytes, List.copyOf(leases), needed, size);
    }

    /** Every lease must be the provider's and run now: a title is published onto hosts that hold it. */
    private static void checkLeases(Connection c, Account provider, List<String> leases, Instant now)
            throws SQLException, TitleRefused {
        Map<String, String[]> found = new HashMap<>();
        for (int from = 0; from < leases.size(); from += 100) {
            List<String> part = leases.subList(from, Math.min(leases.size(), from + 100));
            String marks = String.join(", ", Collections.nCopies(part.size(), "?"));
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT id, buyer_id, state, expiry FROM leases WHERE id IN (" + marks + ")")) {
                for (int i = 0; i < part.size(); i++) {
                    p.setString(i + 1, part.get(i));
                }
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        Instant expiry = r.getObject(4, OffsetDateTime.class).toInstant();
                        found.put(r.getString(1), new String[] { r.getString(2), r.getString(3),
                                expiry.isAfter(now) ? "" : "past its expiry" });
                    }
                }
            }
        }
        for (String lease : leases) {
            String[] row = found.get(lease);
            if (row == null || !row[0].equals(provider.id())) {
                // another buyer's lease is not told apart from none
                throw new TitleRefused(Reason.FORBIDDEN, "lease " + lease + " is not a lease of " + provider.id()
                        + ": a title is published onto the publisher's own leases");
            }
            boolean running = (row[1].equals("PENDING") || row[1].equals("ACTIVE")) && row[2].isEmpty();
            if (!running) {
                throw new TitleRefused(Reason.UNAVAILABLE, "lease " + lease + " has ended (" + row[1]
                        + (row[2].isEmpty() ? "" : ", " + row[2]) + "): publish onto running leases");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- reads

    @Override
    public List<Title> titles() throws SQLException {
        Instant now = clock.instant();
        return store.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement(SELECT + FROM + " ORDER BY t.name")) {
                p.setObject(1, utc(now));
                List<Title> titles = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        titles.add(title(r, false));
                    }
                }
                return titles;
            }
        });
    }

    @Override
    public Title title(Account asker, String name) throws TitleRefused, SQLException {
        checkName(name);
        Title title = registryTransaction(c -> find(c, name, true));
        return title.provider().equals(asker.id()) ? title : title.withoutManifest();
    }

    private static final String SELECT = "SELECT t.name, t.provider_id, a.name, t.price_per_view_micros, "
            + "(SELECT COUNT(*) FROM title_leases l WHERE l.title = t.name), "
            + "(SELECT COUNT(*) FROM title_leases l JOIN leases s ON s.id = l.lease_id WHERE l.title = t.name "
            + "AND s.state IN ('PENDING', 'ACTIVE') AND s.expiry > ?), "
            + "t.needed_leases, t.size_bytes, t.manifest_bytes, "
            + "(SELECT COUNT(*) FROM title_views v WHERE v.title = t.name), t.created, t.updated";
    private static final String FROM = " FROM titles t JOIN accounts a ON a.id = t.provider_id";

    private Title find(Connection c, String name, boolean withManifest) throws SQLException, TitleRefused {
        try (PreparedStatement p = c.prepareStatement(SELECT + (withManifest ? ", t.manifest" : "")
                + FROM + " WHERE t.name = ?")) {
            p.setObject(1, utc(clock.instant()));
            p.setString(2, name);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new TitleRefused(Reason.NOT_FOUND, "no title " + name + " is published (GET /v1/titles "
                            + "lists them)");
                }
                return title(r, withManifest);
            }
        }
    }

    private static Title title(ResultSet r, boolean withManifest) throws SQLException {
        return new Title(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getInt(5), r.getInt(6),
                r.getInt(7), r.getLong(8), r.getLong(9), r.getLong(10),
                r.getObject(11, OffsetDateTime.class).toInstant(), r.getObject(12, OffsetDateTime.class).toInstant(),
                withManifest ? new String(r.getBytes(13), StandardCharsets.UTF_8) : null);
    }

    // ---------------------------------------------------------------------------------------------- views

    @Override
    public View buyView(Account viewer, String name, String viewId) throws TitleRefused, BankRefused, SQLException {
        checkName(name);
        String id = viewId == null ? UUID.randomUUID().toString() : viewId;
        if (!VIEW_ID.matcher(id).matches()) {
            throw new TitleRefused(Reason.BAD_REQUEST, "a view id is 1 to 100 of A-Z a-z 0-9 . _ : -, not \""
                    + (id.length() > 40 ? id.substring(0, 40) + "…" : id) + "\"");
        }
        String transferId = "view:" + viewer.id() + ":" + id;
        return transaction(c -> {
            Title title = find(c, name, true);
            try (PreparedStatement p = c.prepareStatement("SELECT title, price_micros, fee_micros, posted "
                    + "FROM title_views WHERE viewer_id = ? AND view_id = ?")) {
                p.setString(1, viewer.id());
                p.setString(2, id);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        if (!r.getString(1).equals(name)) {
                            throw new TitleRefused(Reason.CONFLICT, "view id " + id + " was used for title "
                                    + r.getString(1) + ", not " + name + ": choose a new view id");
                        }
                        long price = r.getLong(2);
                        long fee = r.getLong(3);
                        return new View(id, name, viewer.id(), title.provider(), price, fee, price - fee,
                                r.getObject(4, OffsetDateTime.class).toInstant(), true, title.manifest());
                    }
                }
            }
            if (!title.available()) {
                throw new TitleRefused(Reason.UNAVAILABLE, "title " + name + " is unavailable: only "
                        + title.runningLeases() + " of its " + title.leases() + " leases run and it needs "
                        + title.neededLeases() + " (nothing was charged)");
            }
            long price = viewer.id().equals(title.provider()) ? 0 : title.pricePerViewMicros();
            Settlement paid = bank.payForView(transferId, viewer.id(), title.provider(), name, price);
            Instant posted = paid.transfer().posted();
            try (PreparedStatement p = c.prepareStatement("INSERT INTO title_views (viewer_id, view_id, title, "
                    + "transfer_id, price_micros, fee_micros, posted) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT DO NOTHING")) {
                p.setString(1, viewer.id());
                p.setString(2, id);
                p.setString(3, name);
                p.setString(4, transferId);
                p.setLong(5, paid.paidMicros());
                p.setLong(6, paid.feeMicros());
                p.setObject(7, utc(posted));
                p.executeUpdate();
            }
            return new View(id, name, viewer.id(), title.provider(), paid.paidMicros(), paid.feeMicros(),
                    paid.ownerMicros(), posted, paid.transfer().repeated(), title.manifest());
        });
    }

    // ---------------------------------------------------------------------------------------------- plumbing

    private static void checkName(String name) throws TitleRefused {
        if (name == null || !NAME.matcher(name).matches() || name.startsWith(".") || name.contains("..")) {
            throw new TitleRefused(Reason.BAD_REQUEST, "a title name is 1 to 100 of A-Z a-z 0-9 . _ -, not starting"
                    + " with '.' and without '..', not " + (name == null ? "nothing"
                            : "\"" + (name.length() > 40 ? name.substring(0, 40) + "…" : name) + "\""));
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @FunctionalInterface
    private interface TitleWork<T> {
        T run(Connection c) throws SQLException, TitleRefused, BankRefused;
    }

    /** Runs {@code work} in a store transaction, letting refusals through unwrapped (and rolling back). */
    private <T> T transaction(TitleWork<T> work) throws SQLException, TitleRefused, BankRefused {
        try {
            return store.transaction(c -> {
                try {
                    return work.run(c);
                } catch (TitleRefused | BankRefused refused) {
                    throw new Refusal(refused);
                }
            });
        } catch (Refusal refusal) {
            if (refusal.getCause() instanceof TitleRefused refused) {
                throw refused;
            }
            throw (BankRefused) refusal.getCause();
        }
    }

    /** {@link #transaction} for work that moves no money. */
    private <T> T registryTransaction(TitleWork<T> work) throws SQLException, TitleRefused {
        try {
            return transaction(work);
        } catch (BankRefused e) {
            throw new IllegalStateException("the bank refused work that moves no money: " + e.getMessage(), e);
        }
    }

    /** Carries a refusal through {@link Store.Work}, which may throw only SQLException. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(Exception refused) {
            super(refused.getMessage(), refused, false, false);
        }
    }
}
