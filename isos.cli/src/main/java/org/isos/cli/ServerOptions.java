package org.isos.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the server is and who is asking: {@code --server}, {@code --token}, {@code --home},
 * {@code --ca}, each falling back to {@code ISOS_SERVER}, {@code ISOS_TOKEN}, {@code ISOS_HOME} and
 * {@code ISOS_HOME/ca.pem}. A verb that needs a setting nobody gave is a usage error (exit 2).
 */
final class ServerOptions {

    @Option(names = "--server", paramLabel = "URL", description = "the server's URL (default: $ISOS_SERVER)")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "an API token (default: $ISOS_TOKEN)")
    String token;

    @Option(names = "--home", paramLabel = "DIR",
            description = "keys and the server's CA (default: $ISOS_HOME, else ~/.isos)")
    Path home;

    @Option(names = "--ca", paramLabel = "FILE", description = "the server's CA root, PEM (default: HOME/ca.pem)")
    Path ca;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** A connection with the token (required). */
    ServerConnection withToken() {
        String t = token != null ? token : Isos.of(mixee).env("ISOS_TOKEN");
        if (t == null) {
            throw new ParameterException(mixee.commandLine(), "no API token: set ISOS_TOKEN or pass --token TOKEN");
        }
        return new ServerConnection(serverUrl(), t, caFile());
    }

    /** A connection without a token, for the calls anyone may make. */
    ServerConnection anonymous() {
        return new ServerConnection(serverUrl(), null, caFile());
    }

    Path home() {
        if (home != null) {
            return home.toAbsolutePath();
        }
        String env = Isos.of(mixee).env("ISOS_HOME");
        return env != null ? Path.of(env).toAbsolutePath() : Path.of(System.getProperty("user.home"), ".isos");
    }

    private URI serverUrl() {
        String url = server != null ? server : Isos.of(mixee).env("ISOS_SERVER");
        if (url == null) {
            throw new ParameterException(mixee.commandLine(), "no server: set ISOS_SERVER or pass --server URL");
        }
        try {
            URI uri = new URI(url.endsWith("/") ? url : url + "/");
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new URISyntaxException(url, "not https://HOST:PORT/");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ParameterException(mixee.commandLine(), "the server URL must be https://HOST:PORT/, not '" + url + "'");
        }
    }

    private Path caFile() {
        Path file = ca != null ? ca.toAbsolutePath() : home().resolve("ca.pem");
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("no CA file at " + file + ": copy the server's <data>/ca/root.pem there"
                    + (ca == null ? " (ISOS_HOME/ca.pem)" : "") + " or pass --ca FILE");
        }
        return file;
    }
}
