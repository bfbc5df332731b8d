/**
 * The server's JDBC store: transactions with retries, pooled connections, and the schema that the
 * bundle's migrations keep current (embedded H2 by default, PostgreSQL by a JDBC URL).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.isos.server.store;
