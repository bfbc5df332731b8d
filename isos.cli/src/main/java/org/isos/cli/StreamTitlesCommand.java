package org.isos.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.isos.apps.streaming.client.TitleManifest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isos stream titles}: the titles published from this home, with their size, code and hosts. */
@Command(name = "titles", mixinStandardHelpOptions = true,
        description = "Lists the titles in HOME/titles: size, segments, K-of-N, hosts, play time, published.")
final class StreamTitlesCommand extends Verb {

    @Option(names = "--home", paramLabel = "DIR", description = "where the titles are (default: $ISOS_HOME, else ~/.isos)")
    Path home;

    @Option(names = "--json", description = "print {titles: [...]} as JSON")
    boolean json;

    @Override
    public Integer call() {
        Path dir = home != null ? home.toAbsolutePath() : Isos.of(spec).env("ISOS_HOME") != null
                ? Path.of(Isos.of(spec).env("ISOS_HOME")).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".isos");
        List<TitleManifest> manifests = new ArrayList<>();
        for (String t : StreamCommand.titles(dir)) {
            manifests.add(StreamCommand.manifest(dir, t));
        }
        if (json) {
            ObjectNode result = ServerConnection.object();
            ArrayNode list = result.putArray("titles");
            for (TitleManifest m : manifests) {
                list.addObject().put("title", m.title()).put("provider", m.provider()).put("bytes", m.sizeBytes())
                        .put("segments", m.segments().size()).put("k", m.dataFragments())
                        .put("n", m.totalFragments()).put("hosts", m.holders().size())
                        .put("playBytesPerSecond", m.playBytesPerSecond()).put("sha256", m.sha256())
                        .put("published", m.created());
            }
            printJson(result);
            return 0;
        }
        if (manifests.isEmpty()) {
            out().println("no titles in " + dir.resolve(StreamCommand.TITLES));
            return 0;
        }
        out().printf("%-32s %12s %8s %7s %6s %9s  %s%n", "TITLE", "BYTES", "SEGMENTS", "CODE", "HOSTS", "PLAY", "PUBLISHED");
        for (TitleManifest m : manifests) {
            out().printf("%-32s %12d %8d %7s %6d %9s  %s%n", m.title(), m.sizeBytes(), m.segments().size(),
                    m.dataFragments() + "/" + m.totalFragments(), m.holders().size(),
                    m.playBytesPerSecond() == 0 ? "-" : String.format("%.0f s", m.playSeconds()), m.created());
        }
        return 0;
    }
}
