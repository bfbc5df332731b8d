package org.isos.kernel.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.osgi.service.condpermadmin.ConditionInfo;
import org.osgi.service.condpermadmin.ConditionalPermissionAdmin;
import org.osgi.service.condpermadmin.ConditionalPermissionInfo;
import org.osgi.service.condpermadmin.ConditionalPermissionUpdate;
import org.osgi.service.permissionadmin.PermissionInfo;

/**
 * The run-time layer of the permission policy, for a JVM with a SecurityManager: apps get the
 * default app permissions and are denied everything else; platform bundles keep AllPermission.
 * Rows are evaluated in order, so the app rows come first.
 */
final class RuntimePolicy {

    static final String RESOURCE = "/OSGI-INF/isos/app.perm";
    private static final String LOCATION_CONDITION = "org.osgi.service.condpermadmin.BundleLocationCondition";

    private RuntimePolicy() {
    }

    static void apply(org.osgi.framework.BundleContext context) throws IOException {
        var reference = context.getServiceReference(ConditionalPermissionAdmin.class);
        if (reference == null) {
            throw new IllegalStateException("a SecurityManager is installed but the framework offers no "
                    + "Conditional Permission Admin: start Felix with org.osgi.framework.security=osgi");
        }
        apply(context.getService(reference));
    }

    static void apply(ConditionalPermissionAdmin admin) throws IOException {
        List<PermissionInfo> granted = defaultAppPermissions();
        ConditionInfo apps = new ConditionInfo(LOCATION_CONDITION, new String[] { AppLocation.PREFIX + "*" });
        for (int attempt = 0; attempt < 5; attempt++) {
            ConditionalPermissionUpdate update = admin.newConditionalPermissionUpdate();
            List<ConditionalPermissionInfo> rows = update.getConditionalPermissionInfos();
            rows.clear();
            rows.add(admin.newConditionalPermissionInfo("isos-apps-allow", new ConditionInfo[] { apps },
                    granted.toArray(PermissionInfo[]::new), ConditionalPermissionInfo.ALLOW));
            rows.add(admin.newConditionalPermissionInfo("isos-apps-deny", new ConditionInfo[] { apps },
                    new PermissionInfo[] { new PermissionInfo("java.security.AllPermission", "*", "*") },
                    ConditionalPermissionInfo.DENY));
            rows.add(admin.newConditionalPermissionInfo("isos-platform", new ConditionInfo[0],
                    new PermissionInfo[] { new PermissionInfo("java.security.AllPermission", "*", "*") },
                    ConditionalPermissionInfo.ALLOW));
            if (update.commit()) {
                return;
            }
        }
        throw new IllegalStateException("the permission table kept changing under the kernel; policy not applied");
    }

    static List<PermissionInfo> defaultAppPermissions() throws IOException {
        List<PermissionInfo> permissions = new ArrayList<>();
        var in = RuntimePolicy.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new IOException("the kernel bundle lacks its app permission policy " + RESOURCE);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.strip();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    permissions.add(new PermissionInfo(line));
                }
            }
        }
        return permissions;
    }
}
