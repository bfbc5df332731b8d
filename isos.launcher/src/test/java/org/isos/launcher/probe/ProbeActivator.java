package org.isos.launcher.probe;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Packed into a bundle by the test: proves the launcher started it inside the framework. */
public class ProbeActivator implements BundleActivator {

    public static final String STARTED = "isos.launcher.probe.started";

    @Override
    public void start(BundleContext context) {
        System.setProperty(STARTED, context.getProperty("isos.data") + "|" + context.getProperty("probe.setting"));
    }

    @Override
    public void stop(BundleContext context) {
        System.clearProperty(STARTED);
    }
}
