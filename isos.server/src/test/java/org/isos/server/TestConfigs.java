package org.isos.server;

import java.lang.reflect.Proxy;
import java.util.Map;

/** A configuration annotation as SCR would hand it to a component: the defaults, overridden by {@code values}. */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static <A> A of(Class<A> type, Map<String, ?> values) {
        for (String key : values.keySet()) {
            try {
                type.getMethod(key);
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException(type.getSimpleName() + " has no attribute " + key);
            }
        }
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (p, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return type.getSimpleName() + values;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return p == args[0];
                default:
                    return values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
            }
        });
        return type.cast(proxy);
    }
}
