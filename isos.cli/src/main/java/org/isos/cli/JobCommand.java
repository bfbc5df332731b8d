package org.isos.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.isos.apps.compute.work.Fasta;
import org.isos.apps.compute.work.GeneResult;
import org.isos.apps.compute.work.Scoring;
import org.isos.apps.compute.work.Sequence;
import org.isos.apps.compute.work.WorkFormatException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos job submit|status|results}: data-processing jobs on leased hosts (issue 4). The server keeps the
 * queue, replicates units, validates results and keeps each host's trust; this process is the job runner that
 * carries units between the server and the compute app on the hosts (see {@link JobRunner}).
 */
@Command(name = "job", mixinStandardHelpOptions = true,
        description = { "Jobs of many work units on hosts leased for the compute app: Mersenne searches (Lucas-Lehmer)"
                + " and gene matching (Smith-Waterman). A job progresses only while a runner runs: `job submit --wait`"
                + " or `job status ID --follow`." },
        subcommands = { JobCommand.Submit.class, JobCommand.Status.class, JobCommand.Results.class })
final class JobCommand extends Verb {

    static final String APP_JAR = "isos.apps.compute.jar";
    static final ShippedApp APP = new ShippedApp("compute", APP_JAR, "jobs");

    enum App {
        mersenne, genes
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: submit, status, results");
    }

    /** What the job verbs share: the server, the CA for the hosts' transport, running a job. */
    abstract static class JobVerb extends Verb {

        @Mixin
        ServerOptions server;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2h", converter = Converters.Seconds.class,
                description = "how long a runner waits for the job to finish (default ${DEFAULT-VALUE})")
        long timeoutSeconds;

        List<X509Certificate> trusted() {
            Path file = server.ca != null ? server.ca.toAbsolutePath() : server.home().resolve("ca.pem");
            try {
                List<X509Certificate> roots = new ArrayList<>();
                for (var c : CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))) {
                    roots.add((X509Certificate) c);
                }
                if (roots.isEmpty()) {
                    throw new CliFailure("the CA file " + file + " holds no certificate");
                }
                return roots;
            } catch (IOException e) {
                throw new CliFailure("cannot read the server's CA file " + file + ": " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new CliFailure("the CA file " + file + " holds no readable certificate: " + e.getMessage(), e);
            }
        }

        /** Runs the job with the buyer's ACTIVE leases of its app until DONE; the final job. */
        JsonNode runToTheEnd(ServerConnection connection, String jobId) throws InterruptedException {
            return runToTheEnd(connection, jobId, null);
        }

        /** Runs the job on {@code given} leases (null: the buyer's ACTIVE leases of its app) until DONE. */
        JsonNode runToTheEnd(ServerConnection connection, String jobId, List<JsonNode> given) throws InterruptedException {
            JsonNode job = connection.get("/v1/jobs/" + ServerConnection.encode(jobId));
            if ("DONE".equals(job.path("state").asText())) {
                return job;
            }
            List<JsonNode> leases = given != null ? given : JobRunner.leasesOf(connection, job);
            if (leases.isEmpty()) {
                throw new CliFailure("no ACTIVE lease of the job's app " + job.path("bundle").asText()
                        + " to run job " + jobId + " on (`isos job submit` leases hosts)");
            }
            progress("running job " + jobId + " on " + leases.size() + " host(s)");
            JobProgress bar = new JobProgress(err(), name(), JobProgress.stderrIsTerminal());
            return new JobRunner(connection, jobId, trusted(), err(), name()).run(leases,
                    Duration.ofSeconds(timeoutSeconds), bar);
        }

        void checkTimeout() {
            if (timeoutSeconds < 1 || timeoutSeconds > 30L * 86_400) {
                throw new ParameterException(spec.commandLine(), "--timeout must be 1s to 30d, not " + timeoutSeconds + " s");
            }
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = { "Leases hosts for the compute app (signed with your key, like deploy), creates the job on"
                    + " the server (POST /v1/jobs) and prints its id. Without --wait nothing runs it yet: the job"
                    + " progresses only while a runner runs (`isos job status ID --follow`). With --wait this process is"
                    + " the runner: it shows a progress bar and prints the results at the end.",
                    "Mersenne: --range A..B (prime exponents p in it; 2^p-1 tested by Lucas-Lehmer). Genes: --queries"
                    + " Q.fasta --library L.fasta (DNA, ACGTN; Smith-Waterman with affine gaps, best --top hits per"
                    + " query)." })
    static final class Submit extends JobVerb {

        @Option(names = "--app", required = true, paramLabel = "APP", description = "the kind of work: ${COMPLETION-CANDIDATES}")
        App app;

        @Option(names = "--range", paramLabel = "A..B", description = "mersenne: the exponents to test, e.g. 2..3000")
        String range;

        @Option(names = "--unit-size", paramLabel = "N", description = "mersenne: exponents per unit (default: about"
                + " 40 units); genes: library sequences per unit (default: about 8 units)")
        Integer unitSize;

        @Option(names = "--spot-checks", paramLabel = "K", description = "mersenne: units with a known answer to mix in"
                + " (default: one per ten units, at least 2)")
        Integer spotChecks;

        @Option(names = "--queries", paramLabel = "Q.fasta", description = "genes: the query sequences")
        Path queries;

        @Option(names = "--library", paramLabel = "L.fasta", description = "genes: the library to search")
        Path library;

        @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "genes: hits per query (default ${DEFAULT-VALUE})")
        int top;

        @Option(names = "--min-score", paramLabel = "S", defaultValue = "1", description = "genes: least score of a hit (default ${DEFAULT-VALUE})")
        int minScore;

        @Option(names = "--replicas", paramLabel = "R", defaultValue = "2",
                description = "agreeing results a unit needs (a trusted host's unit is replicated less often; 1 = no"
                        + " replication) (default ${DEFAULT-VALUE})")
        int replicas;

        @Option(names = "--max-replicas", paramLabel = "M", description = "most copies of a unit before it is an error (default R+2)")
        Integer maxReplicas;

        @Option(names = "--deadline", paramLabel = "DURATION", defaultValue = "5m", converter = Converters.Seconds.class,
                description = "how long a host has for a unit before it goes to another (default ${DEFAULT-VALUE})")
        long deadlineSeconds;

        @Option(names = "--hosts", paramLabel = "N", defaultValue = "2",
                description = "hosts to run the compute app on (those already running it for you count) (default ${DEFAULT-VALUE})")
        int hosts;

        @Option(names = "--max-price", paramLabel = "CREDITS", converter = Converters.Micros.class,
                description = "the most to pay per host and hour, in credits (e.g. 0.5)")
        Long maxPricePerHourMicros;

        @Option(names = "--lease", paramLabel = "DURATION", defaultValue = "1h", converter = Converters.Seconds.class,
                description = "how long new host leases last (default ${DEFAULT-VALUE})")
        long leaseSeconds;

        @Option(names = "--key", paramLabel = "NAME|FILE.p12",
                description = "the key the compute app is signed with (default: the only key in HOME)")
        String key;

        @Option(names = "--password", paramLabel = "PASSWORD",
                description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + KeysCommand.DEFAULT_PASSWORD + ")")
        String password;

        @Option(names = "--app-jar", paramLabel = "FILE.jar", hidden = true,
                description = "the unsigned compute app (default: apps/" + APP_JAR + " of the CLI distribution)")
        Path appJar;

        @Option(names = "--leases", split = ",", paramLabel = "LEASE",
                description = "run on these ACTIVE leases of yours of one compute app bundle (e.g. made by `isos deploy"
                        + " --watch`, which may hot-swap it meanwhile) instead of leasing hosts; needs --wait")
        List<String> leaseIds;

        @Option(names = "--wait", description = "run the job here until it is done, then print its results")
        boolean waitForIt;

        @Option(names = "--json", description = "with --wait or --local: print the results as JSON")
        boolean json;

        @Option(names = "--local", description = "no server, no hosts: run every unit in this process, one after"
                + " another, and print the results as --wait would (the reference a job's answer must equal)")
        boolean local;

        @Override
        public Integer call() throws InterruptedException {
            checkTimeout();
            if (replicas < 1 || replicas > 10) {
                throw new ParameterException(spec.commandLine(), "--replicas must be 1 to 10, not " + replicas);
            }
            int max = maxReplicas != null ? maxReplicas : replicas + 2;
            if (max < replicas || max > 20) {
                throw new ParameterException(spec.commandLine(), "--max-replicas must be --replicas (" + replicas
                        + ") to 20, not " + max);
            }
            if (hosts < 1 || hosts > 100) {
                throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 100, not " + hosts);
            }
            if (deadlineSeconds < 10 || deadlineSeconds > 7 * 86_400) {
                throw new ParameterException(spec.commandLine(), "--deadline must be 10s to 7d, not " + deadlineSeconds + " s");
            }
            if (leaseSeconds < 60 || leaseSeconds > 30L * 86_400) {
                throw new ParameterException(spec.commandLine(), "--lease must be 1m to 30d, not " + leaseSeconds + " s");
            }
            if (leaseIds != null && (!waitForIt || local)) {
                throw new ParameterException(spec.commandLine(), "--leases needs --wait (this process runs the job on"
                        + " them) and no --local");
            }
            if (leaseIds != null) {
                for (String id : leaseIds) {
                    if (!id.matches("[A-Za-z0-9._-]{1,100}")) {
                        throw new ParameterException(spec.commandLine(), "--leases takes lease ids, not '" + id + "'");
                    }
                }
            }
            if (unitSize != null && unitSize < 1) {
                throw new ParameterException(spec.commandLine(), "--unit-size must be at least 1, not " + unitSize);
            }
            List<JobWork.Unit> units;
            List<JobWork.Unit> checks = List.of();
            if (app == App.mersenne) {
                if (range == null) {
                    throw new ParameterException(spec.commandLine(), "--app mersenne needs --range A..B");
                }
                if (queries != null || library != null) {
                    throw new ParameterException(spec.commandLine(), "--queries and --library are for --app genes");
                }
                int[] ab;
                try {
                    ab = JobWork.range(range);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
                int width = unitSize != null ? unitSize : Math.max(10, (ab[1] - ab[0] + 1 + 39) / 40);
                units = JobWork.mersenne(ab[0], ab[1], width);
                int k = spotChecks != null ? spotChecks : Math.max(2, units.size() / 10);
                if (k < 0 || k > units.size()) {
                    throw new ParameterException(spec.commandLine(), "--spot-checks must be 0 to " + units.size()
                            + " (the job's units), not " + k);
                }
                checks = JobWork.mersenneSpotChecks(ab[0], ab[1], width, k, new SecureRandom());
            } else {
                if (queries == null || library == null) {
                    throw new ParameterException(spec.commandLine(), "--app genes needs --queries Q.fasta and --library L.fasta");
                }
                if (range != null) {
                    throw new ParameterException(spec.commandLine(), "--range is for --app mersenne");
                }
                if (top < 1 || top > 1000) {
                    throw new ParameterException(spec.commandLine(), "--top must be 1 to 1000, not " + top);
                }
                List<Sequence> q = fasta(queries);
                List<Sequence> lib = fasta(library);
                int slice = unitSize != null ? unitSize : Math.max(1, (lib.size() + 7) / 8);
                try {
                    units = JobWork.genes(q, lib, top, minScore, slice);
                } catch (WorkFormatException e) {
                    throw new CliFailure(e.getMessage(), e);
                }
            }

            if (local) {
                ArrayNode results = ServerConnection.JSON.createArrayNode();
                for (JobWork.Unit unit : units) {
                    results.addObject().put("name", unit.name()).put("state", "VALIDATED").put("result",
                            java.util.Base64.getEncoder().encodeToString(
                                    org.isos.apps.compute.work.Workloads.forUnit(unit.input()).run(unit.input())));
                }
                ObjectNode job = ServerConnection.object().put("id", "local").put("app", app.name()).put("state", "DONE")
                        .put("units", units.size()).put("validated", units.size());
                Results.print(this, job, results, json);
                return 0;
            }
            ServerConnection connection = server.withToken();
            List<JsonNode> given = null;
            String bundle;
            if (leaseIds != null) {
                given = givenLeases(connection);
                bundle = given.get(0).path("bundle").asText();
            } else {
                bundle = uploadApp(connection);
                ensureHosts(connection, bundle);
            }

            ObjectNode request = ServerConnection.object().put("bundle", bundle).put("app", app.name())
                    .put("minQuorum", replicas).put("maxReplicas", max).put("deadlineSeconds", deadlineSeconds);
            ArrayNode u = request.putArray("units");
            units.forEach(x -> u.add(x.json()));
            ArrayNode c = request.putArray("spotChecks");
            checks.forEach(x -> c.add(x.json()));
            JsonNode job;
            try {
                job = connection.post("/v1/jobs", request);
            } catch (ServerConnection.Refused e) {
                throw new CliFailure("job refused: " + e.getMessage(), e);
            }
            String id = job.path("id").asText();
            progress("job " + id + ": " + units.size() + " units" + (checks.isEmpty() ? "" : " and " + checks.size()
                    + " spot checks") + ", quorum " + replicas);
            if (!waitForIt) {
                out().println(id);
                out().flush();
                progress("nothing runs it yet: `isos job status " + id + " --follow` runs it until it is done");
                return 0;
            }
            JsonNode done = runToTheEnd(connection, id, given);
            Results.print(this, connection, done, json);
            return done.path("errors").asInt() == 0 ? 0 : 1;
        }

        private List<Sequence> fasta(Path file) {
            String text;
            try {
                if (!Files.isRegularFile(file)) {
                    throw new CliFailure("no such file: " + file);
                }
                if (Files.size(file) > 64L << 20) {
                    throw new CliFailure(file + " is larger than 64 MiB");
                }
                text = Files.readString(file, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new CliFailure("cannot read " + file + ": " + e.getMessage(), e);
            }
            try {
                return Fasta.parse(text, Scoring.dna(), file.getFileName().toString());
            } catch (IllegalArgumentException e) { // WorkFormatException among them
                throw new CliFailure(e.getMessage(), e);
            }
        }

        /** Leases hosts for the app until {@code --hosts} run it, and waits until they do. */
        private void ensureHosts(ServerConnection connection, String bundle) throws InterruptedException {
            JsonNode probe = ServerConnection.object().put("bundle", bundle);
            int running = JobRunner.leasesOf(connection, probe).size();
            if (running >= hosts) {
                return;
            }
            ObjectNode request = ServerConnection.object().put("bundle", bundle).put("hosts", hosts - running)
                    .put("seconds", leaseSeconds).put("cpuShare", 0.25).put("memoryBytes", 128L << 20)
                    .put("storageBytes", 16L << 20).put("bandwidthBytesPerSecond", 1L << 20);
            if (maxPricePerHourMicros != null) {
                request.put("maxPricePerHourMicros", maxPricePerHourMicros);
            }
            ArrayNode exclude = request.putArray("excludeHosts");
            JobRunner.leasesOf(connection, probe).forEach(l -> exclude.add(l.path("hostId").asText()));
            JsonNode granted;
            try {
                granted = connection.post("/v1/leases", request);
            } catch (ServerConnection.Refused e) {
                throw new CliFailure("lease refused: " + e.getMessage(), e);
            }
            Map<String, JsonNode> leases = new LinkedHashMap<>();
            for (JsonNode l : granted.path("leases")) {
                leases.put(l.path("id").asText(), l);
            }
            progress("leased " + leases.size() + " host(s) for the compute app; waiting for it to run on them");
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (leases.values().stream().anyMatch(l -> !Leases.SETTLED.contains(text(l, "state")))
                    && System.nanoTime() < deadline) {
                Thread.sleep(500);
                for (String id : new ArrayList<>(leases.keySet())) {
                    if (!Leases.SETTLED.contains(text(leases.get(id), "state"))) {
                        leases.put(id, connection.get("/v1/leases/" + ServerConnection.encode(id)));
                    }
                }
            }
            for (JsonNode l : leases.values()) {
                if (!"ACTIVE".equals(text(l, "state"))) {
                    progress("lease " + text(l, "id") + " on " + text(l, "hostId") + " is " + text(l, "state")
                            + (text(l, "reason") == null ? "" : " (" + text(l, "reason") + ")") + ": not used");
                }
            }
        }

        /** Signs the shipped app with the buyer's key (once, kept in HOME/jobs so its hash stays) and uploads it. */
        /** The leases of --leases: the buyer's, ACTIVE, reachable, all of one bundle (the job's). */
        private List<JsonNode> givenLeases(ServerConnection connection) {
            List<JsonNode> leases = new ArrayList<>();
            for (String id : leaseIds) {
                JsonNode lease;
                try {
                    lease = connection.get("/v1/leases/" + ServerConnection.encode(id));
                } catch (ServerConnection.Refused e) {
                    throw new CliFailure("lease " + id + ": " + e.getMessage(), e);
                }
                if (!"ACTIVE".equals(text(lease, "state")) || text(lease, "transportAddress") == null) {
                    throw new CliFailure("lease " + id + " is " + text(lease, "state") + (text(lease, "transportAddress")
                            == null ? " and its host has no transport address" : "") + ": a job runs on ACTIVE leases");
                }
                if (!leases.isEmpty() && !leases.get(0).path("bundle").asText().equals(lease.path("bundle").asText())) {
                    throw new CliFailure("leases " + leases.get(0).path("id").asText() + " and " + id + " run different"
                            + " bundles: a job is for one");
                }
                leases.add(lease);
            }
            return leases;
        }

        private String uploadApp(ServerConnection connection) {
            return APP.signAndUpload(connection, APP.unsigned(appJar), APP.keyFile(key, server.home(), spec),
                    server.home(), KeysCommand.password(password, Isos.of(spec)), this::progress);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = { "Shows a job's progress (GET /v1/jobs/{id}) and the hosts that worked on it with their"
                    + " trust. --follow runs the job here (the runner) until it is done." })
    static final class Status extends JobVerb {

        @Parameters(index = "0", paramLabel = "ID", description = "the job's id")
        String id;

        @Option(names = "--follow", description = "be the job's runner until it is done")
        boolean follow;

        @Option(names = "--json", description = "print the job and its hosts as JSON")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            checkTimeout();
            ServerConnection connection = server.withToken();
            String path = "/v1/jobs/" + ServerConnection.encode(id);
            JsonNode job;
            try {
                job = follow ? runToTheEnd(connection, id) : connection.get(path);
            } catch (ServerConnection.Refused e) {
                throw new CliFailure(e.getMessage(), e);
            }
            JsonNode hostList = connection.get(path + "/hosts").path("hosts");
            if (json) {
                ObjectNode o = ServerConnection.object();
                o.set("job", job);
                o.set("hosts", hostList);
                printJson(o);
                return 0;
            }
            out().println("job " + id + " (" + job.path("app").asText() + "): " + job.path("state").asText());
            out().println("  " + JobProgress.bar(job) + " " + JobProgress.summary(job));
            out().println("  replicas issued: " + job.path("replicasIssued").asLong() + " for " + job.path("units").asInt()
                    + " units (quorum " + job.path("minQuorum").asInt() + ", at most " + job.path("maxReplicas").asInt() + ")");
            for (JsonNode h : hostList) {
                out().println("  host " + h.path("hostId").asText() + ": " + h.path("validTotal").asInt() + " valid, "
                        + h.path("invalidTotal").asInt() + " invalid, " + h.path("timedOut").asInt() + " timed out; streak "
                        + h.path("streak").asInt() + ", credit " + h.path("credit").asLong()
                        + (h.path("forfeited").asLong() > 0 ? ", forfeited " + h.path("forfeited").asLong() : "")
                        + (h.path("banned").asBoolean() ? " — BANNED" : ""));
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true,
            description = { "Prints a job's validated results (GET /v1/jobs/{id}/results): the Mersenne prime exponents"
                    + " found, or the best hits per query. Exit 1 while the job is not done or when units ended in error." })
    static final class Results extends JobVerb {

        @Parameters(index = "0", paramLabel = "ID", description = "the job's id")
        String id;

        @Option(names = "--json", description = "print the results as JSON")
        boolean json;

        @Override
        public Integer call() {
            ServerConnection connection = server.withToken();
            JsonNode job;
            try {
                job = connection.get("/v1/jobs/" + ServerConnection.encode(id));
            } catch (ServerConnection.Refused e) {
                throw new CliFailure(e.getMessage(), e);
            }
            print(this, connection, job, json);
            if (!"DONE".equals(job.path("state").asText())) {
                throw new CliFailure("job " + id + " is not done yet: " + JobProgress.summary(job));
            }
            return job.path("errors").asInt() == 0 ? 0 : 1;
        }

        static void print(Verb verb, ServerConnection connection, JsonNode job, boolean json) {
            String id = job.path("id").asText();
            print(verb, job, connection.get("/v1/jobs/" + ServerConnection.encode(id) + "/results").path("units"), json);
        }

        static void print(Verb verb, JsonNode job, JsonNode units, boolean json) {
            String id = job.path("id").asText();
            List<String> errors = new ArrayList<>();
            for (JsonNode u : units) {
                if ("ERROR".equals(u.path("state").asText())) {
                    errors.add(u.path("name").asText() + ": " + u.path("error").asText());
                }
            }
            ObjectNode o = ServerConnection.object().put("job", id).put("app", job.path("app").asText())
                    .put("state", job.path("state").asText()).put("validated", job.path("validated").asInt())
                    .put("units", job.path("units").asInt());
            if ("genes".equals(job.path("app").asText())) {
                GeneResult merged = JobWork.genes(units);
                if (json) {
                    o.set("queries", JobWork.json(merged));
                } else {
                    for (GeneResult.QueryHits q : merged.queries()) {
                        verb.out().println(q.queryId() + ":");
                        for (GeneResult.Hit h : q.hits()) {
                            verb.out().println("  " + h.libraryId() + " (#" + h.libraryIndex() + ") score " + h.score()
                                    + "  query " + h.queryStart() + ".." + h.queryEnd() + "  target " + h.targetStart()
                                    + ".." + h.targetEnd());
                        }
                    }
                }
            } else {
                List<Integer> primes = JobWork.primes(units);
                if (json) {
                    ArrayNode p = o.putArray("primes");
                    primes.forEach(p::add);
                } else {
                    verb.out().println("Mersenne primes 2^p-1 for p in: " + primes);
                }
            }
            if (json) {
                ArrayNode e = o.putArray("errors");
                errors.forEach(e::add);
                verb.printJson(o);
            } else {
                errors.forEach(e -> verb.out().println("error: " + e));
                verb.out().println(JobProgress.summary(job));
                verb.out().flush();
            }
        }
    }
}
