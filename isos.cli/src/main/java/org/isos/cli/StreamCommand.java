package org.isos.cli;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.isos.apps.streaming.client.TitleManifest;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/**
 * {@code isos stream publish|play|titles}: a movie cut into segments, erasure-coded over many slow leased hosts and
 * played back from all of them at once (issue 6; see {@code isos.apps.streaming.client}). Titles are registered on the
 * server ({@code /v1/titles}: the manifest — segments, fragment hashes, holders — and a price per view); a viewer buys
 * a view and gets the manifest with it. The publisher keeps a copy in {@code HOME/titles/TITLE.json}.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = { "Streaming media from many slow hosts: publish a movie onto N leased hosts and register it on the"
                + " server at a price per view, list the server's titles, buy a view of one and play it (to a file or"
                + " stdout, for a player)." },
        subcommands = { StreamPublishCommand.class, StreamPlayCommand.class, StreamTitlesCommand.class })
final class StreamCommand extends Verb {

    /** Where the manifests of published titles are kept, under HOME. */
    static final String TITLES = "titles";

    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]+");

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: publish, play, titles");
    }

    /** A title from a file name: unsafe characters become '-', no leading dot, at most 100 characters. */
    static String titleOf(Path movie) {
        String name = UNSAFE.matcher(movie.getFileName().toString()).replaceAll("-").replace("..", ".");
        while (name.startsWith(".") || name.startsWith("-")) {
            name = name.substring(1);
        }
        if (name.length() > 100) {
            name = name.substring(0, 100);
        }
        return name.isEmpty() ? "title" : name;
    }

    static Path manifestFile(Path home, String title) {
        return home.resolve(TITLES).resolve(title + ".json");
    }

    /** The unsigned streaming app bundle the client library carries. */
    static InputStream appBundle() {
        InputStream in = TitleManifest.class.getResourceAsStream("apps/isos.apps.streaming.jar");
        if (in == null) {
            throw new CliFailure("the streaming app bundle is missing from the CLI's class path (isos.apps.streaming"
                    + ".client jar without apps/isos.apps.streaming.jar): rebuild the CLI (mvn -pl isos.cli install)");
        }
        return in;
    }
}
