package org.isos.kernel.internal;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.isos.admission.AdmissionPolicy;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.hooks.bundle.EventHook;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.hooks.service.EventListenerHook;
import org.osgi.framework.hooks.service.FindHook;
import org.osgi.framework.hooks.service.ListenerHook.ListenerInfo;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Confines each app to the kernel API and its own tenant's bundles. An app bundle sees only the
 * kernel's API services and services of its own tenant, only its tenant's bundles (and the system
 * bundle), and wires only to allowed platform packages or its own tenant's exports. Platform bundles
 * (SCR above all, which activates app components with the app's context) are not restricted.
 */
@Component(service = { FindHook.class, EventListenerHook.class, org.osgi.framework.hooks.bundle.FindHook.class,
        EventHook.class, ResolverHookFactory.class })
public class TenantIsolation implements FindHook, EventListenerHook, org.osgi.framework.hooks.bundle.FindHook,
        EventHook, ResolverHookFactory {

    /** Service interfaces an app may see from the platform. */
    static final Set<String> API_SERVICES = Set.of("org.isos.kernel.api.Allocation",
            "org.isos.kernel.api.Scheduling", "org.isos.kernel.api.Communication", "org.isos.kernel.api.Metering");

    private final AdmissionPolicy policy;

    @Activate
    public TenantIsolation(@Reference KernelHome home) {
        this.policy = home.admissionPolicy();
    }

    // --- services ---

    @Override
    public void find(BundleContext context, String name, String filter, boolean allServices,
            Collection<ServiceReference<?>> references) {
        String tenant = AppLocation.tenant(context.getBundle());
        if (tenant != null) {
            references.removeIf(ref -> !visibleTo(tenant, ref));
        }
    }

    @Override
    public void event(ServiceEvent event, Map<BundleContext, Collection<ListenerInfo>> listeners) {
        ServiceReference<?> ref = event.getServiceReference();
        listeners.keySet().removeIf(context -> {
            String tenant = AppLocation.tenant(context.getBundle());
            return tenant != null && !visibleTo(tenant, ref);
        });
    }

    private static boolean visibleTo(String tenant, ServiceReference<?> ref) {
        Bundle owner = ref.getBundle();
        if (owner == null) {
            return false; // unregistered meanwhile
        }
        String ownerTenant = AppLocation.tenant(owner);
        if (ownerTenant != null) {
            return ownerTenant.equals(tenant);
        }
        Object classes = ref.getProperty(Constants.OBJECTCLASS);
        if (classes instanceof String[] names) {
            for (String n : names) {
                if (API_SERVICES.contains(n)) {
                    return true;
                }
            }
        }
        return false;
    }

    // --- bundles ---

    @Override
    public void find(BundleContext context, Collection<Bundle> bundles) {
        String tenant = AppLocation.tenant(context.getBundle());
        if (tenant != null) {
            bundles.removeIf(b -> !bundleVisibleTo(tenant, b));
        }
    }

    @Override
    public void event(BundleEvent event, Collection<BundleContext> contexts) {
        contexts.removeIf(context -> {
            String tenant = AppLocation.tenant(context.getBundle());
            return tenant != null && !bundleVisibleTo(tenant, event.getBundle());
        });
    }

    private static boolean bundleVisibleTo(String tenant, Bundle bundle) {
        return bundle.getBundleId() == 0 || tenant.equals(AppLocation.tenant(bundle));
    }

    // --- wiring ---

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new ResolverHook() {
            @Override
            public void filterResolvable(Collection<BundleRevision> candidates) {
                // every bundle may resolve; what it may wire to is decided below
            }

            @Override
            public void filterSingletonCollisions(BundleCapability singleton,
                    Collection<BundleCapability> collisionCandidates) {
                String tenant = AppLocation.tenant(singleton.getRevision().getBundle());
                collisionCandidates.removeIf(c -> !Objects.equals(tenant, AppLocation.tenant(c.getRevision().getBundle())));
            }

            @Override
            public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
                String tenant = AppLocation.tenant(requirement.getRevision().getBundle());
                if (tenant == null) {
                    // platform bundles never wire to an app's packages
                    candidates.removeIf(c -> PackageNamespace.PACKAGE_NAMESPACE.equals(c.getNamespace())
                            && AppLocation.tenant(c.getRevision().getBundle()) != null);
                    return;
                }
                candidates.removeIf(c -> !wireAllowed(tenant, c));
            }

            @Override
            public void end() {
            }
        };
    }

    private boolean wireAllowed(String tenant, BundleCapability capability) {
        String provider = AppLocation.tenant(capability.getRevision().getBundle());
        if (provider != null) {
            return provider.equals(tenant);
        }
        if (!PackageNamespace.PACKAGE_NAMESPACE.equals(capability.getNamespace())) {
            return true; // osgi.ee, osgi.extender (SCR) and the like
        }
        Object pkg = capability.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
        return pkg instanceof String p && policy.importAllowed(p);
    }
}
