package org.isos.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    private final Path dataDirectory;

    @Activate
    public ServerHome(ServerConfig config, BundleContext context) throws IOException {
        this(config.dataDirectory().isBlank() ? context.getDataFile("").toPath() : Path.of(config.dataDirectory()));
    }

    /** Outside a framework (tests, tools): the data directory itself. */
    public ServerHome(Path dataDirectory) throws IOException {
        this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
        Files.createDirectories(this.dataDirectory);
    }

    public Path dataDirectory() {
        return dataDirectory;
    }
}
