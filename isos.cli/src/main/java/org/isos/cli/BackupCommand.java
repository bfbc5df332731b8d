package org.isos.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.isos.apps.backup.client.BackupClient;
import org.isos.apps.backup.client.BackupOptions;
import org.isos.apps.backup.client.FileHealth;
import org.isos.apps.backup.client.RedundancyWatch;
import org.isos.apps.backup.client.RepairReport;
import org.isos.apps.backup.client.SessionHolder;
import org.isos.apps.backup.client.StoredFile;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos backup put|ls|get|verify|repair}: the buyer's backups on leased hosts (issue 5). Files are cut into
 * segments, encrypted with keys derived from the secret (which never leaves this machine), erasure-coded k-of-n and
 * spread over the hosts that run the backup app for this buyer; see {@code isos.apps.backup.client}.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = { "Encrypted, erasure-coded backups on hosts leased for the backup app. The secret comes from"
                + " --secret-file FILE or $" + BackupVerb.SECRET_ENV + "; --name picks one of several backups." },
        subcommands = { BackupCommand.Put.class, BackupCommand.Ls.class, BackupCommand.Get.class,
                BackupCommand.Verify.class, BackupCommand.Repair.class, BackupCommand.Watch.class })
final class BackupCommand extends Verb {

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: put, ls, get, verify, repair, watch");
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = { "Stores files: leases hosts for the backup app where fewer than --hosts run it (POST"
                    + " /v1/leases, category storage, storage sized to the data), then encrypts, codes and places"
                    + " them; prints their ids." })
    static final class Put extends BackupLeasingVerb {

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "files to store")
        List<Path> files;

        @Option(names = "--k", paramLabel = "K", defaultValue = "16",
                description = "fragments that suffice to restore a segment (default ${DEFAULT-VALUE})")
        int k;

        @Option(names = "--n", paramLabel = "N", defaultValue = "64",
                description = "fragments stored per segment, on distinct hosts (default ${DEFAULT-VALUE}; with fewer"
                        + " hosts the code falls back to as many as there are, at the same rate)")
        int n;

        @Option(names = "--hosts", paramLabel = "H",
                description = "hosts to keep the backup app on (default: N); more are leased when fewer run it")
        Integer hosts;

        @Option(names = "--json", description = "print the stored files as JSON")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            checkLeasing();
            if (k < 1 || n <= k || n > 256) {
                throw new ParameterException(spec.commandLine(), "a k-of-n code needs 1 <= --k < --n <= 256, not "
                        + k + "-of-" + n);
            }
            if (hosts != null && (hosts < 1 || hosts > 256)) {
                throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 256, not " + hosts);
            }
            Arrays.fill(secret(), '\0'); // a missing secret is a usage error: before anything is leased
            long total = 0;
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new CliFailure("no such file: " + f);
                }
                try {
                    total += Files.size(f);
                } catch (IOException e) {
                    throw new CliFailure("cannot read " + f + ": " + e.getMessage(), e);
                }
            }
            ServerConnection connection = server.withToken();
            List<JsonNode> leases = new ArrayList<>(active(connection));
            int want = hosts != null ? hosts : n;
            if (leases.size() < want) {
                progress(leases.size() + " host(s) run the backup app for you; leasing up to " + (want - leases.size())
                        + " more");
                leases.addAll(leaseMore(connection, want - leases.size(), storagePerHost(total, k, n, want),
                        hostsOf(leases)));
            }
            List<SessionHolder> holders = holders(leases);
            try (BackupClient client = open(holders, BackupOptions.defaults().withCode(k, n))) {
                BackupProgressBar bar = new BackupProgressBar(err(), name(), BackupProgressBar.stderrIsTerminal());
                List<StoredFile> stored;
                try {
                    stored = client.put(files, bar);
                } finally {
                    bar.finish();
                }
                if (json) {
                    printJson(files(stored));
                } else {
                    printFiles(stored);
                }
                return 0;
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(holders);
            }
        }

        /**
         * Storage to ask of each new host: one fragment per segment lands on a host, about total / k' (k' the code's
         * k after the fallback to {@code hosts} holders), with a tenth more and 16 MiB for the manifest and beacons.
         */
        static long storagePerHost(long total, int k, int n, int hosts) {
            int kEff = hosts >= n ? k : Math.max(1, (int) ((long) k * hosts / n));
            long perHost = (total + kEff - 1) / kEff;
            long bytes = perHost + perHost / 10 + (16L << 20);
            return (bytes + (1L << 20) - 1) & ~((1L << 20) - 1);
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the files in the backup.")
    static final class Ls extends BackupVerb {

        @Option(names = "--json", description = "print the files as JSON")
        boolean json;

        @Override
        public Integer call() {
            checkCommon();
            Arrays.fill(secret(), '\0');
            List<SessionHolder> opened = new ArrayList<>();
            try (BackupClient client = open(server.withToken(), BackupOptions.defaults(), opened)) {
                List<StoredFile> files = client.list();
                if (json) {
                    printJson(files(files));
                } else if (files.isEmpty()) {
                    out().println("no files in backup '" + backupName + "'");
                    out().flush();
                } else {
                    printFiles(files);
                }
                return 0;
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(opened);
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = { "Restores a file (by id, or by name when one file has it) to OUT: written only when every"
                    + " segment decrypted and the whole file matched its hash." })
    static final class Get extends BackupVerb {

        @Parameters(index = "0", paramLabel = "ID", description = "the file's id (from put or ls), or its name")
        String id;

        @Option(names = { "-o", "--output" }, required = true, paramLabel = "OUT", description = "where to write it")
        Path output;

        @Override
        public Integer call() {
            checkCommon();
            Arrays.fill(secret(), '\0');
            List<SessionHolder> opened = new ArrayList<>();
            try (BackupClient client = open(server.withToken(), BackupOptions.defaults(), opened)) {
                String fileId = resolve(client, id);
                BackupProgressBar bar = new BackupProgressBar(err(), name(), BackupProgressBar.stderrIsTerminal());
                StoredFile f;
                try {
                    f = client.get(fileId, output, bar);
                } finally {
                    bar.finish();
                }
                out().println("restored " + f.name() + " (" + f.size() + " bytes, sha256 " + f.sha256() + ") to "
                        + output);
                out().flush();
                return 0;
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(opened);
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = { "Audits every fragment of a file (or of every file) on its holder without fetching it;"
                    + " reports health per segment and names missing and failing holders. Exit 1 when a file can no"
                    + " longer be restored." })
    static final class Verify extends BackupVerb {

        @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "a file id or name (default: all)")
        String id;

        @Option(names = "--json", description = "print the health reports as JSON")
        boolean json;

        @Override
        public Integer call() {
            checkCommon();
            Arrays.fill(secret(), '\0');
            List<SessionHolder> opened = new ArrayList<>();
            List<FileHealth> health;
            try (BackupClient client = open(server.withToken(), BackupOptions.defaults(), opened)) {
                health = id == null ? client.verifyAll() : List.of(client.verify(resolve(client, id)));
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(opened);
            }
            if (json) {
                ArrayNode all = ServerConnection.JSON.createArrayNode();
                health.forEach(h -> all.add(json(h)));
                printJson(all);
            } else {
                print(health);
            }
            List<String> lost = health.stream().filter(h -> !h.recoverable()).map(FileHealth::fileId).toList();
            if (!lost.isEmpty()) {
                throw new CliFailure("not recoverable: " + String.join(", ", lost)
                        + " (fewer than k fragments of a segment are left)");
            }
            return 0;
        }

        private void print(List<FileHealth> health) {
            for (FileHealth h : health) {
                out().println(h);
                for (FileHealth.SegmentReport s : h.segments()) {
                    StringBuilder line = new StringBuilder("  segment " + s.index() + " (" + s.k() + "-of-" + s.n()
                            + "): " + s.healthy().size() + " healthy");
                    if (!s.missing().isEmpty()) {
                        line.append(", missing ").append(placed(s, s.missing()));
                    }
                    if (!s.corrupt().isEmpty()) {
                        line.append(", corrupt ").append(placed(s, s.corrupt()));
                    }
                    out().println(line);
                }
                Set<String> missing = holdersOf(h, true);
                Set<String> corrupt = holdersOf(h, false);
                if (!missing.isEmpty()) {
                    out().println("  missing holders: " + String.join(", ", missing));
                }
                if (!corrupt.isEmpty()) {
                    out().println("  failing holders: " + String.join(", ", corrupt));
                }
            }
            if (health.isEmpty()) {
                out().println("no files in backup '" + backupName + "'");
            }
            out().flush();
        }

        private static String placed(FileHealth.SegmentReport s, List<Integer> fragments) {
            List<String> parts = new ArrayList<>();
            for (int i : fragments) {
                parts.add("#" + i + " on " + holder(s, i));
            }
            return String.join(", ", parts);
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = { "Audits every file, leases new hosts for the backup app in place of missing or failing"
                    + " holders (as many as qualify), regenerates the lost fragments onto them from k good ones and"
                    + " stores the manifest again. Exit 1 when redundancy could not be fully restored." })
    static final class Repair extends BackupLeasingVerb {

        @Option(names = "--json", description = "print the report as JSON")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            checkLeasing();
            Arrays.fill(secret(), '\0');
            ServerConnection connection = server.withToken();
            List<JsonNode> leases = active(connection);
            List<SessionHolder> holders = holders(leases);
            if (holders.isEmpty()) {
                throw new CliFailure("no host runs the backup app for you (no ACTIVE lease of " + SessionHolder.APP + ")");
            }
            List<SessionHolder> added = new ArrayList<>();
            try (BackupClient client = open(holders, BackupOptions.defaults())) {
                Repaired repaired = leaseAndRepair(connection, client, leases, client.verifyAll(), added);
                Set<String> failing = repaired.failing();
                List<JsonNode> fresh = repaired.fresh();
                RepairReport report = repaired.report();
                if (json) {
                    ObjectNode r = ServerConnection.object().put("regenerated", report.regenerated())
                            .put("complete", report.complete());
                    ArrayNode missing = r.putArray("failingHolders");
                    failing.forEach(missing::add);
                    ArrayNode newHosts = r.putArray("newHosts");
                    hostsOf(fresh).forEach(newHosts::add);
                    ArrayNode blocked = r.putArray("blocked");
                    report.blocked().forEach(blocked::add);
                    ArrayNode lost = r.putArray("lost");
                    report.lost().forEach(lost::add);
                    printJson(r);
                } else {
                    out().println("regenerated " + report.regenerated() + " fragment(s)"
                            + (fresh.isEmpty() ? "" : " onto new hosts " + String.join(", ", hostsOf(fresh))));
                    report.blocked().forEach(b -> out().println("blocked: " + b));
                    report.lost().forEach(l -> out().println("lost: " + l));
                    if (report.complete()) {
                        out().println("every segment has all n fragments");
                    }
                    out().flush();
                }
                if (!report.complete()) {
                    throw new CliFailure(report.lost().isEmpty()
                            ? "redundancy not fully restored: " + report.blocked().size() + " segment(s) found no new"
                                    + " holders (lease more hosts, or wait for hosts to come back)"
                            : report.lost().size() + " segment(s) lost: fewer than k fragments are left");
                }
                return 0;
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(holders);
                closeAll(added);
            }
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = { "Keeps the backup's redundancy: every --every, audits every fragment of every file (as"
                    + " verify) and prints each file's health; when a file's redundancy (its worst segment's healthy"
                    + " fragments beyond k) is below --min-spare, repairs (as repair: leases new hosts in place of the"
                    + " missing or failing holders). Runs until stopped, or --rounds times; then exit 1 when the last"
                    + " round left a file unrecoverable or a repair incomplete." })
    static final class Watch extends BackupLeasingVerb {

        @Option(names = "--every", paramLabel = "DURATION", defaultValue = "1h", converter = Converters.Seconds.class,
                description = "time between the starts of two rounds, e.g. 10m, 1h, 1d (default ${DEFAULT-VALUE})")
        long everySeconds;

        @Option(names = "--rounds", paramLabel = "N", defaultValue = "0",
                description = "stop after N rounds (default 0: run until stopped)")
        int rounds;

        @Option(names = "--min-spare", paramLabel = "S",
                description = "repair a file when a segment has fewer than S healthy fragments beyond k (default: its"
                        + " n - k, i.e. any lost or failing fragment is repaired at the next round)")
        Integer minSpare;

        @Option(names = "--json", description = "print each round as one line of JSON")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            checkLeasing();
            if (everySeconds < 1 || everySeconds > 30L * 86_400) {
                throw new ParameterException(spec.commandLine(), "--every must be 1s to 30d, not " + everySeconds + " s");
            }
            if (rounds < 0 || rounds > 1_000_000) {
                throw new ParameterException(spec.commandLine(), "--rounds must be 0 (no end) to 1000000, not " + rounds);
            }
            if (minSpare != null && (minSpare < 0 || minSpare > 255)) {
                throw new ParameterException(spec.commandLine(), "--min-spare must be 0 to 255, not " + minSpare);
            }
            Arrays.fill(secret(), '\0');
            ServerConnection connection = server.withToken();
            List<SessionHolder> holders = holders(active(connection));
            if (holders.isEmpty()) {
                throw new CliFailure("no host runs the backup app for you (no ACTIVE lease of " + SessionHolder.APP + ")");
            }
            List<SessionHolder> added = new ArrayList<>();
            RedundancyWatch.Round[] last = new RedundancyWatch.Round[1];
            try (BackupClient client = open(holders, BackupOptions.defaults())) {
                RedundancyWatch watch = new RedundancyWatch(client, minSpare == null ? RedundancyWatch.FULL : minSpare);
                watch.run(java.time.Duration.ofSeconds(everySeconds), rounds, health -> {
                    // leases may have come and gone since the last round: repair over the ones active now
                    List<JsonNode> leases = active(connection);
                    List<SessionHolder> now = holders(leases);
                    Set<String> known = new java.util.HashSet<>();
                    holders.forEach(h -> known.add(h.hostId()));
                    added.forEach(h -> known.add(h.hostId()));
                    List<SessionHolder> joined = now.stream().filter(h -> !known.contains(h.hostId())).toList();
                    now.stream().filter(h -> known.contains(h.hostId())).forEach(SessionHolder::close);
                    added.addAll(joined);
                    client.addHolders(joined);
                    try {
                        return leaseAndRepair(connection, client, leases, health, added).report();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while leasing new hosts");
                    }
                }, round -> {
                    last[0] = round;
                    print(round);
                });
            } catch (IllegalArgumentException | UncheckedIOException e) {
                throw failed(e);
            } finally {
                closeAll(holders);
                closeAll(added);
            }
            RedundancyWatch.Round round = last[0];
            if (round != null && (round.problem() != null
                    || round.files().stream().anyMatch(h -> !h.recoverable())
                    || (round.repaired() && !round.repair().complete()))) {
                throw new CliFailure("round " + round.number() + " left the backup short of redundancy"
                        + (round.problem() == null ? "" : ": " + round.problem()));
            }
            return 0;
        }

        private void print(RedundancyWatch.Round round) {
            if (json) {
                ObjectNode r = ServerConnection.object().put("round", round.number()).put("at", round.at().toString())
                        .put("healthy", round.healthy()).put("repaired", round.repaired());
                ArrayNode files = r.putArray("files");
                round.files().forEach(h -> files.add(json(h).put("spare", h.spare())
                        .put("designedSpare", h.designedSpare())));
                ArrayNode below = r.putArray("belowThreshold");
                round.belowThreshold().forEach(below::add);
                if (round.repaired()) {
                    r.putObject("repair").put("regenerated", round.repair().regenerated())
                            .put("complete", round.repair().complete());
                }
                if (round.problem() != null) {
                    r.put("problem", round.problem());
                }
                try {
                    out().println(ServerConnection.JSON.writeValueAsString(r));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                out().println("round " + round.number() + " at " + round.at() + ": " + round.files().size() + " file(s)"
                        + (round.healthy() ? ", all intact" : ""));
                for (FileHealth h : round.files()) {
                    out().println("  " + h.name() + " (" + h.fileId() + "): " + h.spare() + " of " + h.designedSpare()
                            + " spare fragments" + (h.recoverable() ? "" : ", NOT recoverable")
                            + (round.belowThreshold().contains(h.fileId()) ? ", below the threshold" : ""));
                }
                if (round.repaired()) {
                    out().println("  repaired: " + round.repair().regenerated() + " fragment(s) regenerated"
                            + (round.repair().complete() ? ", full redundancy" : ", incomplete: "
                                    + round.repair().blocked() + round.repair().lost()));
                }
                if (round.problem() != null) {
                    out().println("  " + round.problem());
                }
            }
            out().flush();
        }
    }

    // ------------------------------------------------------------------------------------------------------ shared

    /** {@code id} if a file has it, else the id of the one file named {@code id}. */
    static String resolve(BackupClient client, String id) throws IOException {
        List<StoredFile> files = client.list();
        if (files.stream().anyMatch(f -> f.id().equals(id))) {
            return id;
        }
        List<StoredFile> named = files.stream().filter(f -> f.name().equals(id)).toList();
        if (named.size() > 1) {
            throw new CliFailure(named.size() + " files are named '" + id + "': give an id ("
                    + named.stream().map(StoredFile::id).toList() + ")");
        }
        return named.isEmpty() ? id : named.get(0).id(); // an unknown id: the client says so
    }

    static String holder(FileHealth.SegmentReport s, int fragment) {
        return fragment < s.holders().size() ? s.holders().get(fragment) : "?";
    }

    /** The holders of a file's missing (or else corrupt) fragments. */
    static Set<String> holdersOf(FileHealth h, boolean missing) {
        Set<String> out = new LinkedHashSet<>();
        for (FileHealth.SegmentReport s : h.segments()) {
            for (int i : missing ? s.missing() : s.corrupt()) {
                out.add(holder(s, i));
            }
        }
        return out;
    }

    static ObjectNode json(FileHealth h) {
        ObjectNode o = ServerConnection.object().put("id", h.fileId()).put("name", h.name())
                .put("recoverable", h.recoverable()).put("intact", h.intact()).put("healthy", h.healthy())
                .put("missing", h.missing()).put("corrupt", h.corrupt());
        ArrayNode segments = o.putArray("segments");
        for (FileHealth.SegmentReport s : h.segments()) {
            ObjectNode seg = segments.addObject().put("index", s.index()).put("k", s.k()).put("n", s.n())
                    .put("recoverable", s.recoverable());
            fragments(seg.putArray("healthy"), s, s.healthy());
            fragments(seg.putArray("missing"), s, s.missing());
            fragments(seg.putArray("corrupt"), s, s.corrupt());
        }
        ArrayNode missing = o.putArray("missingHolders");
        holdersOf(h, true).forEach(missing::add);
        ArrayNode failing = o.putArray("failingHolders");
        holdersOf(h, false).forEach(failing::add);
        return o;
    }

    private static void fragments(ArrayNode into, FileHealth.SegmentReport s, List<Integer> indices) {
        for (int i : indices) {
            into.addObject().put("fragment", i).put("holder", holder(s, i));
        }
    }

    static ArrayNode files(List<StoredFile> files) {
        ArrayNode all = ServerConnection.JSON.createArrayNode();
        for (StoredFile f : files) {
            all.addObject().put("id", f.id()).put("name", f.name()).put("size", f.size()).put("sha256", f.sha256())
                    .put("k", f.k()).put("n", f.n()).put("segments", f.segments())
                    .put("created", String.valueOf(f.created()));
        }
        return all;
    }
}
