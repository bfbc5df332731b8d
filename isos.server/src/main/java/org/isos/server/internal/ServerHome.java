package org.isos.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The server instance's place on disk. The store and the CA take it as a reference, so a new data
 * directory restarts them both.
 */
@Component(service = ServerHome.class, configurationPid = ServerConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ServerConfig.class)
public class ServerHome {

    /** Framework property: the data directory when {@code dataDirectory} is not configured. */
    public static final String DATA_PROPERTY = "isos.server.data";

    private final Path dataDirectory;
    private final Function<String, String> launchProperties;

    @Activate
    public ServerHome(ServerConfig config, BundleContext context) throws IOException {
        this(dataDirectory(config, context), context::getProperty);
    }

    /** Outside a framework (tests, tools): the data directory itself. */
    public ServerHome(Path dataDirectory) throws IOException {
        this(dataDirectory, name -> null);
    }

    /** Outside a framework, with launch properties (see {@link #launchProperty}). */
    public ServerHome(Path dataDirectory, Function<String, String> launchProperties) throws IOException {
        this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
        this.launchProperties = launchProperties;
        Files.createDirectories(this.dataDirectory);
    }

    private static Path dataDirectory(ServerConfig config, BundleContext context) {
        if (!config.dataDirectory().isBlank()) {
            return Path.of(config.dataDirectory());
        }
        String launched = context.getProperty(DATA_PROPERTY);
        return launched == null || launched.isBlank() ? context.getDataFile("").toPath() : Path.of(launched);
    }

    /**
     * A launch default: the framework property {@code name} (e.g. {@code isos.server.port}, set by
     * {@code ./isos server}), which components use where their Config Admin configuration leaves a
     * value at its default. Null when not set (and always outside a framework).
     */
    public String launchProperty(String name) {
        String value = launchProperties.apply(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }
}
