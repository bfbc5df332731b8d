package org.isos.agent.host.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/** The agent's own corner of the data directory the launcher names in the {@code isos.data} property. */
final class AgentData {

    static final String DATA_PROPERTY = "isos.data";

    private AgentData() {
    }

    /** {@code <isos.data>/agent}, or the bundle's data area when the framework was started without one. */
    static Path directory(BundleContext context) throws IOException {
        String data = context.getProperty(DATA_PROPERTY);
        Path dir = data == null || data.isBlank() ? context.getDataFile("").toPath() : Path.of(data, "agent");
        return Files.createDirectories(dir);
    }
}
