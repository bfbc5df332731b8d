package org.isos.server.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Feeds {@code <PID>.cfg} files (java.util.Properties) from a directory into Config Admin at start, so a
 * launched server is configured without a shell: the directory is the framework property
 * {@value #DIRECTORY_PROPERTY}, else {@code <isos.server.data>/config}. A file whose properties equal
 * the configuration's changes nothing; files are read once (restart the server after editing them).
 * Values are strings; SCR converts them to the configuration types' {@code int}s and arrays.
 */
@Component(immediate = true, service = {})
public class ConfigurationFiles {

    public static final String DIRECTORY_PROPERTY = "isos.server.config";
    private static final Logger LOG = Logger.getLogger(ConfigurationFiles.class.getName());

    @Activate
    public ConfigurationFiles(BundleContext context, @Reference ConfigurationAdmin admin) {
        String configured = context.getProperty(DIRECTORY_PROPERTY);
        String data = context.getProperty(ServerHome.DATA_PROPERTY);
        Path directory = configured != null && !configured.isBlank() ? Path.of(configured.strip())
                : data != null && !data.isBlank() ? Path.of(data.strip()).resolve("config") : null;
        if (directory == null || !Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.cfg")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                apply(admin, name.substring(0, name.length() - ".cfg".length()), file);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list configuration files in " + directory, e);
        }
    }

    private static void apply(ConfigurationAdmin admin, String pid, Path file) {
        try {
            Properties read = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                read.load(in);
            }
            Hashtable<String, Object> wanted = new Hashtable<>();
            read.forEach((k, v) -> wanted.put(k.toString(), v.toString().strip()));
            Configuration configuration = admin.getConfiguration(pid, "?");
            Dictionary<String, Object> current = configuration.getProperties();
            if (current != null && same(current, wanted)) {
                return;
            }
            configuration.update(wanted);
            LOG.info("configuration " + pid + " from " + file + ": " + wanted.keySet());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "configuration file " + file + " not applied", e);
        }
    }

    private static boolean same(Dictionary<String, Object> current, Hashtable<String, Object> wanted) {
        int count = 0;
        for (Enumeration<String> keys = current.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            if (key.equals(Constants.SERVICE_PID) || key.startsWith("service.") || key.startsWith("felix.")) {
                continue;
            }
            count++;
            if (!Objects.equals(String.valueOf(current.get(key)), wanted.get(key))) {
                return false;
            }
        }
        return count == wanted.size();
    }
}
