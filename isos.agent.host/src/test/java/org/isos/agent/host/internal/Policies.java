package org.isos.agent.host.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/** A {@link UsagePolicy} as Config Admin and SCR would hand it over: the given values, else the defaults. */
final class Policies {

    private Policies() {
    }

    static UsagePolicy of(Map<String, Object> values) {
        return (UsagePolicy) Proxy.newProxyInstance(UsagePolicy.class.getClassLoader(), new Class<?>[] { UsagePolicy.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return UsagePolicy.class;
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "UsagePolicy" + values
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : proxy == args[0];
                    }
                    return values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
                });
    }

    static UsagePolicy defaults() {
        return of(Map.of());
    }
}
