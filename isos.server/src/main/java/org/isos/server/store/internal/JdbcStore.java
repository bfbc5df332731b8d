package org.isos.server.store.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

import org.isos.server.internal.ServerHome;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link Store} over JDBC: H2 or PostgreSQL drivers used directly (a bundle's class loader, not
 * {@code DriverManager}), a small pool of its own, and the bundle's migrations applied at start.
 * Activation fails, with the reason, when the database cannot be reached or its schema is newer
 * than this code.
 */
@Component(service = Store.class, configurationPid = StoreConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = StoreConfig.class)
public class JdbcStore implements Store, AutoCloseable {

    private final String url;
    private final Dialect dialect;
    private final ConnectionPool pool;
    private final int maxRetries;
    private final int schemaVersion;
    private final Properties credentials = new Properties();
    /** The transaction this thread is in, per store, so nested calls join it. */
    private final ThreadLocal<Tx> current = new ThreadLocal<>();

    private record Tx(Connection connection, int isolation) {
    }

    @Activate
    public JdbcStore(StoreConfig config, @Reference ServerHome home) throws SQLException {
        this(config, home, Migrations.bundled());
    }

    JdbcStore(StoreConfig config, ServerHome home, List<Migration> migrations) throws SQLException {
        String launchedUrl = home.launchProperty("isos.server.db");
        this.url = !config.url().isBlank() ? config.url().strip()
                : launchedUrl != null ? launchedUrl : defaultUrl(home.dataDirectory());
        this.dialect = dialectOf(url);
        this.maxRetries = Math.max(0, config.maxRetries());
        Driver driver = driver(dialect);
        Properties properties = credentials;
        String launchedUser = home.launchProperty("isos.server.dbUser");
        String launchedPassword = home.launchProperty("isos.server.dbPassword");
        properties.setProperty("user",
                config.user().equals("isos") && launchedUser != null ? launchedUser : config.user());
        properties.setProperty("password",
                config.password().isEmpty() && launchedPassword != null ? launchedPassword : config.password());
        this.pool = new ConnectionPool(() -> {
            Connection c = driver.connect(url, properties);
            if (c == null) {
                throw new SQLException("the " + dialect + " driver does not accept the URL " + url);
            }
            return c;
        }, config.poolSize(), config.connectionTimeoutSeconds() * 1000L);
        try (Connection c = pool.borrow()) {
            this.schemaVersion = Migrations.apply(c, dialect, migrations);
        } catch (SQLException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The embedded default: an H2 file database in PostgreSQL mode under the data directory. WRITE_DELAY=0: by
     * default H2 writes committed transactions to its file up to 500 ms later, so a server killed with SIGKILL
     * forgot usage records it had already answered "accepted" for (the host then deletes them: lost for good;
     * ServerRestartE2ETest found it). With 0 each commit is in the file (the OS's cache) before the answer goes.
     * QUERY_CACHE_SIZE=128: H2 keeps 8 parsed statements per connection by default, fewer than one heartbeat runs
     * (host row, certificate, revocations, leases ...) or the job service's dispatch and validation use, so every
     * statement was parsed again each time: half the CPU of a heartbeat in RegistryBench's profile, a fifth of
     * JobsBench's. OPTIMIZE_REUSE_RESULTS=0: before every query H2 walked the query's tables to see whether the
     * previous result could be handed back, an eighth of a heartbeat's CPU; the server's queries hardly ever
     * repeat on unchanged data.
     */
    static String defaultUrl(Path dataDirectory) {
        return "jdbc:h2:file:" + dataDirectory.resolve("store").resolve("isos").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1;WRITE_DELAY=0"
                + ";QUERY_CACHE_SIZE=128;OPTIMIZE_REUSE_RESULTS=0";
    }

    static Dialect dialectOf(String url) {
        String u = url.toLowerCase(Locale.ROOT);
        if (u.startsWith("jdbc:h2:")) {
            return Dialect.H2;
        }
        if (u.startsWith("jdbc:postgresql:")) {
            return Dialect.POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported JDBC URL " + url + ": the store speaks jdbc:h2: and "
                + "jdbc:postgresql: only");
    }

    private static Driver driver(Dialect dialect) {
        try {
            return switch (dialect) {
                case H2 -> new org.h2.Driver();
                case POSTGRESQL -> new org.postgresql.Driver();
            };
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("the " + dialect + " JDBC driver bundle is not installed ("
                    + e.getMessage() + ")", e);
        }
    }

    public String url() {
        return url;
    }

    @Override
    public Dialect dialect() {
        return dialect;
    }

    @Override
    public int schemaVersion() {
        return schemaVersion;
    }

    @Override
    public Connection connection() throws SQLException {
        return pool.borrow();
    }

    @Override
    public <T> T transaction(Work<T> work) throws SQLException {
        return run(work, Connection.TRANSACTION_READ_COMMITTED);
    }

    @Override
    public <T> T serializable(Work<T> work) throws SQLException {
        return run(work, Connection.TRANSACTION_SERIALIZABLE);
    }

    private <T> T run(Work<T> work, int isolation) throws SQLException {
        Tx outer = current.get();
        if (outer != null) {
            if (isolation > outer.isolation()) {
                throw new IllegalStateException("a SERIALIZABLE transaction cannot join an enclosing READ COMMITTED one");
            }
            return work.run(outer.connection());
        }
        for (int attempt = 0;; attempt++) {
            try (Connection c = pool.borrow()) {
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(false);
                current.set(new Tx(c, isolation));
                try {
                    T result = work.run(c);
                    c.commit();
                    endCommitted(c);
                    return result;
                } catch (Throwable e) {
                    rollback(c, e);
                    throw e;
                } finally {
                    current.remove();
                }
            } catch (SQLException e) {
                if (attempt >= maxRetries || !retryable(e)) {
                    throw e;
                }
                backOff(attempt);
            }
        }
    }

    /**
     * Back to auto-commit after a commit, so the pool hands the connection back without its safety rollback: in H2 a
     * ROLLBACK opens a transaction to end and so empties the session's parsed-statement cache (QUERY_CACHE_SIZE),
     * which made every transaction parse each of its statements again (38% of a heartbeat's CPU in ServerBench).
     * The work is committed by now: a failure here leaves the connection to the pool's rollback, not to a retry.
     */
    private static void endCommitted(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException ignored) {
            // the pool rolls back (nothing is left to roll back) or drops a broken connection
        }
    }

    private static void rollback(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** Serialization failure, deadlock, or H2's concurrent update / lock timeout: worth running again. */
    static boolean retryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    String state = s.getSQLState();
                    if ("40001".equals(state) || "40P01".equals(state)) {
                        return true;
                    }
                    // H2: CONCURRENT_UPDATE_1 (90131), LOCK_TIMEOUT_1 (50200), DEADLOCK_1 (40001)
                    if ("90131".equals(state) || "HYT00".equals(state) || s.getErrorCode() == 90131
                            || s.getErrorCode() == 50200) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void backOff(int attempt) throws SQLException {
        long ceiling = Math.min(200, 5L << Math.min(attempt, 5));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, ceiling + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while retrying a transaction", e);
        }
    }

    /** Closes the pool; an embedded H2 database is shut down so its files are released. */
    @Deactivate
    @Override
    public void close() {
        pool.close();
        if (dialect == Dialect.H2 && isEmbeddedH2(url)) {
            try {
                Connection c = new org.h2.Driver().connect(url, credentials);
                if (c != null) {
                    try (c; Statement s = c.createStatement()) {
                        s.execute("SHUTDOWN");
                    }
                }
            } catch (SQLException | RuntimeException ignored) {
                // already closed, or never created: nothing to release
            }
        }
    }

    private static boolean isEmbeddedH2(String url) {
        String u = url.toLowerCase(Locale.ROOT);
        return !u.startsWith("jdbc:h2:tcp:") && !u.startsWith("jdbc:h2:ssl:");
    }
}
