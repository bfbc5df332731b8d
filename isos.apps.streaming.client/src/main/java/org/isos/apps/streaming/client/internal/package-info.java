/** The streaming client's erasure coding of segments; not exported. */
package org.isos.apps.streaming.client.internal;
