package org.isos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.isos.apps.streaming.client.TitleManifest;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/**
 * {@code isos stream publish|play|titles}: a movie cut into segments, erasure-coded over many slow leased hosts and
 * played back from all of them at once (issue 6; see {@code isos.apps.streaming.client}). Titles are registered in
 * {@code HOME/titles/TITLE.json} (the manifest: segments, fragment hashes, holders).
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = { "Streaming media from many slow hosts: publish a movie onto N leased hosts, play a title back"
                + " (to a file or stdout, for a player), list the titles. Titles live in HOME/titles/TITLE.json." },
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

    /** The manifest of {@code title}, or a clear failure naming the titles there are. */
    static TitleManifest manifest(Path home, String title) {
        try {
            org.isos.apps.streaming.protocol.SegmentMessage.checkTitle(title);
        } catch (IllegalArgumentException e) {
            throw new CliFailure("unknown title '" + title + "': " + e.getMessage());
        }
        Path file = manifestFile(home, title);
        try {
            return TitleManifest.read(file);
        } catch (NoSuchFileException e) {
            List<String> known = titles(home);
            throw new CliFailure("unknown title '" + title + "': no " + file + " ("
                    + (known.isEmpty() ? "no title is published here; `isos stream publish MOVIE --hosts N` makes one"
                            : "titles: " + String.join(", ", known)) + ")");
        } catch (IOException e) {
            throw new CliFailure("cannot read the manifest of '" + title + "': " + e.getMessage(), e);
        }
    }

    /** The titles with a manifest in HOME/titles, sorted. */
    static List<String> titles(Path home) {
        Path dir = home.resolve(TITLES);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = new ArrayList<>();
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .sorted().forEach(n -> names.add(n.substring(0, n.length() - ".json".length())));
            return names;
        } catch (IOException e) {
            throw new CliFailure("cannot list " + dir + ": " + e.getMessage(), e);
        }
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
