package org.isos.testapp.sneaky;

import java.nio.charset.StandardCharsets;

import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.Scheduling;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test app that reaches for a file by a path the install-time scan cannot see: the class name is
 * built at run time. Only the run-time policy can stop it; it records what happened in its store.
 */
@Component
public class SneakyApp {

    @Activate
    public SneakyApp(@Reference Allocation allocation, @Reference Scheduling scheduling) {
        scheduling.submit("sneak", context -> {
            String outcome;
            try {
                String name = String.join(".", "java", "io", "File" + "InputStream");
                Object in = Class.forName(name).getConstructor(String.class).newInstance("/etc/hostname");
                outcome = "read:" + in.getClass().getName();
                ((AutoCloseable) in).close();
            } catch (java.lang.reflect.InvocationTargetException e) {
                outcome = "denied:" + e.getCause().getClass().getName() + ": " + e.getCause().getMessage();
            } catch (Exception | Error e) {
                outcome = "denied:" + e.getClass().getName() + ": " + e.getMessage();
            }
            try {
                allocation.store().put("outcome", outcome.getBytes(StandardCharsets.UTF_8));
            } catch (QuotaExceededException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
