package org.isos.kernel.internal;

import org.osgi.framework.Bundle;

/**
 * Bundle locations of apps: {@code isos:app:<buyer>:<leaseId>}. The isolation hooks and the
 * permission table key on this prefix, so an app's tenant is known from its bundle alone.
 */
final class AppLocation {

    static final String PREFIX = "isos:app:";

    private AppLocation() {
    }

    static String of(String buyer, String leaseId) {
        if (buyer.indexOf(':') >= 0) {
            throw new IllegalArgumentException("buyer id must not contain ':' — was '" + buyer + "'");
        }
        return PREFIX + buyer + ":" + leaseId;
    }

    static boolean isApp(Bundle bundle) {
        return bundle != null && bundle.getLocation().startsWith(PREFIX);
    }

    /** The tenant (buyer) of an app bundle, or null for platform bundles. */
    static String tenant(Bundle bundle) {
        if (!isApp(bundle)) {
            return null;
        }
        String rest = bundle.getLocation().substring(PREFIX.length());
        int colon = rest.indexOf(':');
        return colon < 0 ? rest : rest.substring(0, colon);
    }

    static String leaseId(Bundle bundle) {
        String rest = bundle.getLocation().substring(PREFIX.length());
        return rest.substring(rest.indexOf(':') + 1);
    }
}
