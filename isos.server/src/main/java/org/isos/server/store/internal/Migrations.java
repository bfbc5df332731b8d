package org.isos.server.store.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.server.store.Store.Dialect;

/**
 * The schema migrations shipped in the bundle ({@value #LOCATION}), and their application: each
 * pending migration runs in its own transaction together with its row in {@code schema_version}.
 * Statements are the common subset of H2 (MODE=PostgreSQL) and PostgreSQL.
 *
 * <p>The directory has an index, {@value #INDEX}, naming the files in order, because a bundle's
 * class loader cannot list a directory; the versions must run 1, 2, 3 ... without gaps.
 */
final class Migrations {

    static final String LOCATION = "OSGI-INF/isos/migrations/";
    static final String INDEX = "migrations.list";
    private static final Pattern NAME = Pattern.compile("V(\\d{3,})__([A-Za-z0-9_]+)\\.sql");
    /** Serializes migrators on one PostgreSQL database (several server instances starting at once). */
    private static final long ADVISORY_LOCK = 0x1505_5C4E_3A00_0001L;

    private Migrations() {
    }

    /** The migrations in this bundle. */
    static List<Migration> bundled() {
        return load(Migrations.class.getClassLoader(), LOCATION);
    }

    static List<Migration> load(ClassLoader loader, String location) {
        String index = read(loader, location + INDEX);
        List<Migration> migrations = new ArrayList<>();
        for (String line : index.split("\\R")) {
            String file = line.strip();
            if (file.isEmpty() || file.startsWith("#")) {
                continue;
            }
            Matcher m = NAME.matcher(file);
            if (!m.matches()) {
                throw new IllegalStateException("migration file name " + file + " is not V<nnn>__<description>.sql");
            }
            int version = Integer.parseInt(m.group(1));
            if (version != migrations.size() + 1) {
                throw new IllegalStateException("migration " + file + " has version " + version + " but "
                        + (migrations.size() + 1) + " is expected next (versions run 1, 2, 3 ... without gaps)");
            }
            String sql = read(loader, location + file);
            migrations.add(new Migration(version, m.group(2).replace('_', ' '), file, statements(sql), sha256(sql)));
        }
        if (migrations.isEmpty()) {
            throw new IllegalStateException(location + INDEX + " names no migrations");
        }
        return List.copyOf(migrations);
    }

    private static String read(ClassLoader loader, String resource) {
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new IllegalStateException("the bundle has no " + resource);
        }
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Splits a script at semicolons outside quotes, dropping {@code --} comments and blank statements. */
    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(new java.io.StringReader(sql))) {
            boolean quoted = false;
            String line;
            while ((line = reader.readLine()) != null) {
                for (int i = 0; i < line.length(); i++) {
                    char c = line.charAt(i);
                    if (!quoted && c == '-' && i + 1 < line.length() && line.charAt(i + 1) == '-') {
                        break; // comment to the end of the line
                    }
                    if (c == '\'') {
                        quoted = !quoted;
                    }
                    if (!quoted && c == ';') {
                        add(out, current);
                        current.setLength(0);
                    } else {
                        current.append(c);
                    }
                }
                current.append('\n');
            }
            if (quoted) {
                throw new IllegalStateException("unterminated string literal in migration");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        add(out, current);
        return out;
    }

    private static void add(List<String> out, StringBuilder statement) {
        String s = statement.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Brings the database up to the last of {@code migrations}; refuses (IllegalStateException) a
     * database whose schema is newer than the code, or whose applied migrations were since changed.
     *
     * @return the schema version now
     */
    static int apply(Connection connection, Dialect dialect, List<Migration> migrations) throws SQLException {
        boolean locked = false;
        try {
            connection.setAutoCommit(true);
            if (dialect == Dialect.POSTGRESQL) {
                try (Statement s = connection.createStatement()) {
                    s.execute("SELECT pg_advisory_lock(" + ADVISORY_LOCK + ")");
                }
                locked = true;
            }
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                        + " version INTEGER PRIMARY KEY,"
                        + " description VARCHAR(200) NOT NULL,"
                        + " checksum VARCHAR(64) NOT NULL,"
                        + " applied TIMESTAMP WITH TIME ZONE NOT NULL)");
            }
            TreeMap<Integer, String> applied = applied(connection);
            int latest = migrations.size();
            int current = applied.isEmpty() ? 0 : applied.lastKey();
            if (current > latest) {
                throw new IllegalStateException("the database schema is at version " + current
                        + ", newer than this server, which knows versions up to " + latest
                        + "; run a server at least as new as the one that last migrated this database");
            }
            for (Migration m : migrations) {
                String checksum = applied.get(m.version());
                if (checksum != null) {
                    if (!checksum.equals(m.checksum())) {
                        throw new IllegalStateException("migration " + m.file() + " was changed after it was applied "
                                + "to this database (checksum " + checksum + " recorded, " + m.checksum()
                                + " now); add a new migration instead of editing an applied one");
                    }
                    continue;
                }
                run(connection, m);
                current = m.version();
            }
            return current;
        } finally {
            if (locked) {
                try (Statement s = connection.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock(" + ADVISORY_LOCK + ")");
                }
            }
        }
    }

    private static TreeMap<Integer, String> applied(Connection connection) throws SQLException {
        TreeMap<Integer, String> applied = new TreeMap<>();
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("SELECT version, checksum FROM schema_version ORDER BY version")) {
            while (rs.next()) {
                applied.put(rs.getInt(1), rs.getString(2));
            }
        }
        return applied;
    }

    private static void run(Connection connection, Migration m) throws SQLException {
        connection.setAutoCommit(false);
        try {
            String statement = null;
            try (Statement s = connection.createStatement()) {
                for (String sql : m.statements()) {
                    statement = sql;
                    s.execute(sql);
                }
            } catch (SQLException e) {
                throw new SQLException("migration " + m.file() + " failed at: " + firstLine(statement) + ": "
                        + e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO schema_version (version, description, checksum, applied) VALUES (?, ?, ?, ?)")) {
                insert.setInt(1, m.version());
                insert.setString(2, m.description());
                insert.setString(3, m.checksum());
                insert.setObject(4, OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS));
                insert.executeUpdate();
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static String firstLine(String sql) {
        if (sql == null) {
            return "(no statement)";
        }
        int nl = sql.indexOf('\n');
        return nl < 0 ? sql : sql.substring(0, nl) + " ...";
    }
}
