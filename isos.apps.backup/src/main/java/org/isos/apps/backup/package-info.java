/**
 * ISOS backup app: the host side ({@code host.FragmentHost}) stores, serves and audits erasure-coded fragments;
 * {@code protocol.FragmentMessage} is what the backup client says to it. See the module's README.
 */
package org.isos.apps.backup;
