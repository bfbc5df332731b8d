/** The backup client's key schedule, manifest format and manifest locator; not exported. */
package org.isos.apps.backup.client.internal;
