package org.isos.server.store.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small, bounded pool of physical connections. A borrowed connection is a proxy whose
 * {@code close()} rolls back what was left open, restores auto-commit and isolation, and hands the
 * physical connection back; a connection that reported a connection-level error (SQLSTATE 08...)
 * is discarded instead.
 */
final class ConnectionPool implements AutoCloseable {

    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final int size;
    private final long timeoutMillis;
    private final Semaphore permits;
    private final LinkedBlockingDeque<Connection> idle = new LinkedBlockingDeque<>();
    private volatile boolean closed;

    ConnectionPool(Opener opener, int size, long timeoutMillis) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be at least 1, not " + size);
        }
        this.opener = opener;
        this.size = size;
        this.timeoutMillis = timeoutMillis;
        this.permits = new Semaphore(size, true);
    }

    Connection borrow() throws SQLException {
        if (closed) {
            throw new SQLException("the store is closed");
        }
        try {
            if (!permits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new SQLException("no database connection became free within " + timeoutMillis
                        + " ms (pool size " + size + ")", "08001");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a database connection", e);
        }
        try {
            Connection physical;
            while ((physical = idle.pollFirst()) != null) {
                if (!physical.isClosed()) {
                    break;
                }
            }
            if (physical == null) {
                physical = opener.open();
            }
            return wrap(physical);
        } catch (SQLException | RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    private Connection wrap(Connection physical) throws SQLException {
        Lease lease = new Lease(physical, physical.getTransactionIsolation());
        return (Connection) Proxy.newProxyInstance(ConnectionPool.class.getClassLoader(),
                new Class<?>[] { Connection.class }, lease);
    }

    /** Idle physical connections now (for tests). */
    int idleCount() {
        return idle.size();
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            closeQuietly(c);
        }
    }

    private void giveBack(Connection physical, int isolation, boolean broken) {
        try {
            boolean keep = !broken && !closed && !physical.isClosed();
            if (keep) {
                try {
                    if (!physical.getAutoCommit()) {
                        physical.rollback();
                        physical.setAutoCommit(true);
                    }
                    if (physical.getTransactionIsolation() != isolation) {
                        physical.setTransactionIsolation(isolation);
                    }
                } catch (SQLException e) {
                    keep = false;
                }
            }
            if (keep) {
                idle.offerFirst(physical);
                if (closed && idle.remove(physical)) { // closed meanwhile
                    closeQuietly(physical);
                }
            } else {
                closeQuietly(physical);
            }
        } catch (SQLException e) {
            closeQuietly(physical);
        } finally {
            permits.release();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing more to do with a connection we are dropping
        }
    }

    private final class Lease implements InvocationHandler {
        private final Connection physical;
        private final int isolation;
        private boolean returned;
        private boolean broken;

        Lease(Connection physical, int isolation) {
            this.physical = physical;
            this.isolation = isolation;
        }

        @Override
        public synchronized Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close":
                    if (!returned) {
                        returned = true;
                        giveBack(physical, isolation, broken);
                    }
                    return null;
                case "isClosed":
                    return returned || physical.isClosed();
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "pooled " + physical;
                default:
                    break;
            }
            if (returned) {
                throw new SQLException("the connection was closed (returned to the pool)", "08003");
            }
            try {
                return method.invoke(physical, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                    broken = true;
                }
                throw cause;
            }
        }
    }
}
