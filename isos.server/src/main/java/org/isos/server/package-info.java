/**
 * ISOS server complex. Its parts live in sub-packages: {@code store} (JDBC store and schema
 * migrations) and {@code ca} (the certificate authority) so far; see the module's README.
 */
package org.isos.server;
