package org.isos.demo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;


import com.fasterxml.jackson.databind.JsonNode;

/**
 * Mary's day, as the article tells it, played on a local world and checked at every step: the cast
 * opens accounts; a biotech lab leases hosts for its signed compute app and runs a Mersenne search and
 * a gene match on them; Mary's files are backed up as encrypted fragments on other hosts and restored;
 * Mary sits down at her desktop and its ISOS work stops at once, resuming when she leaves; leases end,
 * the bundles are uninstalled, usage is paid; the report shows who paid and who earned.
 */
final class MarysDay {

    static final List<Integer> MERSENNE_EXPONENTS_TO_1300 = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521,
            607, 1279);

    private final Path root;
    private final Path dir;
    private final int hosts;
    private final Progress progress;
    final Report report = new Report();

    MarysDay(Path root, Path dir, int hosts, Progress progress) {
        this.root = root;
        this.dir = dir;
        this.hosts = hosts;
        this.progress = progress;
    }

    /** Plays the day; throws {@link DemoFailure} at the first check that does not hold. */
    void play() throws Exception {
        progress.step("A world: the ISOS server and " + hosts + " host agents (Felix + kernel, OSGi security on), on loopback");
        // the owner's idle period is short so the demo need not wait a minute for Mary to leave her desk
        try (LocalWorld world = LocalWorld.start(root, dir, hosts,
                List.of("isos.agent.policy.idlePeriodSeconds=2", "isos.agent.policy.sampleMillis=250",
                        // each host offers 4 MiB/s (loopback): the backup and the movie share the hosts
                        "isos.agent.policy.bandwidthCapBytesPerSecond=4194304"), progress)) {
            report.phase("world up", progress.seconds());
            Party devBuyer = new Party("dev-buyer", "buyer", null, world.env.get("ISOS_SERVER"), world.env.get("ISOS_TOKEN"),
                    Path.of(world.env.get("ISOS_HOME")));
            String[] ownerTokens = world.env.get("ISOS_OWNER_TOKENS").split(",");
            Party mary = owner("mary", ownerTokens[0], devBuyer);
            Party acmeHosting = owner("acme-hosting", ownerTokens[1], devBuyer);
            progress.check("the server runs; " + hosts + " hosts enrolled and ONLINE, owned by Mary and by Acme Hosting");

            progress.step("The cast opens accounts: a biotech lab, Acme Movies and a backup company (buyers), each with credits and a code-signing key");
            Path homes = dir.resolve("homes");
            // accounts open by invitation (signup = invite): the world's operator opens the cast's
            Party operator = new Party("isos-operator", "operator", null, world.env.get("ISOS_SERVER"),
                    Files.readString(dir.resolve("world/server/operator.token")).strip(), devBuyer.home());
            Party lab = buyer(operator, "biotech-lab", homes, "200");
            Party movies = buyer(operator, "acme-movies", homes, "50");
            Party backupCo = buyer(operator, "backup-co", homes, "100");
            for (Party p : List.of(mary, acmeHosting, lab, movies, backupCo)) {
                report.party(p);
            }
            report.phase("cast", progress.seconds());

            List<JsonNode> labLeases = computeDay(world, lab, mary);
            report.phase("compute", progress.seconds());

            progress.step("The lab's leases end: released, the app uninstalled from every host, its store deleted");
            for (JsonNode lease : labLeases) {
                lab.isos("release", lease.path("id").asText()).ok();
            }
            // the kernel ends a lease in steps (stop, uninstall, final usage record, then the store): wait for the last
            world.await("the compute app gone from every host, its stores deleted", Duration.ofSeconds(60),
                    () -> hostedAnywhere(world, labLeases) == 0 && storesLeft(world, labLeases).isEmpty());
            progress.check(labLeases.size() + " leases RELEASED; the bundle uninstalled and its stores deleted on every host");
            report.phase("leases end", progress.seconds());

            backupDay(world, mary, backupCo);
            report.phase("backup", progress.seconds());
            streamDay(movies, mary);
            report.phase("movie", progress.seconds());

            settle(world, lab, mary, acmeHosting, devBuyer);
            report.phase("settled", progress.seconds());
        }
    }

    private Party owner(String name, String token, Party anyone) {
        Party probe = new Party(name, "owner", null, anyone.env.get("ISOS_SERVER"), token, anyone.home());
        String id = probe.isos("accounts", "show", "--json").ok().json().path("id").asText();
        return new Party(name, "owner", id, anyone.env.get("ISOS_SERVER"), token, anyone.home());
    }

    private Party buyer(Party anyone, String name, Path homes, String credits) throws Exception {
        Party buyer = Party.create(anyone, "buyer", name, homes);
        buyer.isos("deposit", credits).ok();
        buyer.isos("keys", "new", name).ok();
        if (!Files.exists(buyer.home().resolve(name + ".p12"))) {
            throw new DemoFailure("keys new left no " + name + ".p12 in " + buyer.home());
        }
        progress.check(name + ": account " + buyer.id + ", " + credits + " credits, code-signing key " + name + ".p12");
        return buyer;
    }

    /** The biotech lab: signed compute app on three hosts, a Mersenne search and a gene match; Mary's desk. */
    private List<JsonNode> computeDay(LocalWorld world, Party lab, Party mary) throws Exception {
        progress.step("The biotech lab signs its compute app and leases three hosts for it");
        Path signed = dir.resolve("compute-signed.jar");
        lab.isos("sign", root.resolve("isos.demo/target/demo/apps/isos.apps.compute.jar").toString(), "--key", "biotech-lab",
                "-o", signed.toString(), "--replace-signatures").ok();
        JsonNode deployed = lab.isos("deploy", signed.toString(), "--hosts", "3", "--lease", "10m", "--cpu", "0.5",
                "--memory", "64MiB", "--storage", "16MiB", "--category", "compute", "--json").ok().json();
        List<JsonNode> leases = new ArrayList<>();
        deployed.path("leases").forEach(leases::add);
        Set<String> owners = new HashSet<>();
        for (JsonNode lease : leases) {
            if (!"ACTIVE".equals(lease.path("state").asText())) {
                throw new DemoFailure("lease " + lease.path("id").asText() + " is " + lease.path("state").asText());
            }
            owners.add(lease.path("ownerId").asText());
            progress.detail(lease.path("id").asText() + " on " + lease.path("hostId").asText() + " at "
                    + lease.path("transportAddress").asText() + ", " + lease.path("pricePerHourMicros").asLong() / 1e6
                    + " credits/h");
        }
        progress.check("3 leases ACTIVE, spread over " + owners.size() + " owners; the kernel admitted the lab's signature");
        String leaseIds = String.join(",", leases.stream().map(l -> l.path("id").asText()).toList());

        progress.step("A Mersenne search (GIMPS) as an ISOS job on the three leases: Lucas–Lehmer tests of 2^p − 1 for every"
                + " p ≤ 1300; the server replicates units until hosts have earned trust, mixes in spot checks, and"
                + " accepts a result only when copies agree");
        Instant started = Instant.now();
        JsonNode mersenne = lab.isos("job", "submit", "--app", "mersenne", "--range", "2..1300", "--leases", leaseIds,
                "--wait", "--json").ok().json();
        double mersenneSeconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        List<Integer> primes = new ArrayList<>();
        mersenne.path("primes").forEach(p -> primes.add(p.asInt()));
        if (!primes.equals(MERSENNE_EXPONENTS_TO_1300) || !"DONE".equals(mersenne.path("state").asText())
                || !mersenne.path("errors").isEmpty()) {
            throw new DemoFailure("the Mersenne job found " + primes + ", not " + MERSENNE_EXPONENTS_TO_1300 + ": " + mersenne);
        }
        JsonNode verified = lab.isos("job", "status", mersenne.path("job").asText(), "--json").ok().json();
        JsonNode job = verified.path("job");
        int copies = job.path("units").asInt() + job.path("spotChecks").asInt();
        progress.check("Mersenne primes 2^p − 1 for p = " + primes + " — exactly the known ones (" + job.path("units").asInt()
                + " units and " + job.path("spotChecks").asInt() + " spot checks, " + job.path("spotChecksPassed").asInt()
                + " passed, in " + mersenneSeconds + " s; " + String.format(java.util.Locale.ROOT, "%.2f",
                        job.path("replicasIssued").asDouble() / Math.max(1, copies)) + " copies per unit)");
        for (JsonNode h : verified.path("hosts")) {
            progress.detail("host " + h.path("hostId").asText() + ": " + h.path("validTotal").asInt() + " valid results, "
                    + h.path("invalidTotal").asInt() + " invalid, streak " + h.path("streak").asInt()
                    + (h.path("banned").asBoolean() ? ", BANNED" : ""));
        }
        report.result("Mersenne search p ≤ 1300 (isos job)", "p = " + primes, job.path("units").asInt() + " units, "
                + job.path("replicasIssued").asInt() + " copies, " + mersenneSeconds + " s");

        // Mary sits down at the desktop while the gene match runs there
        JsonNode marys = leases.stream().filter(l -> mary.id.equals(l.path("ownerId").asText())).findFirst().orElse(null);
        progress.step("A gene match (Smith–Waterman) as an ISOS job: 6 query genes against a library of 600 sequences"
                + (marys == null ? "" : "; meanwhile Mary sits down at her computer"));
        List<String> bases = randomBases(600, 400, 7);
        Path library = dir.resolve("library.fasta");
        Path queries = dir.resolve("genes.fasta");
        Files.writeString(library, fastaText("lib", bases));
        Files.writeString(queries, fastaText("gene", mutatedCuts(bases, 6, 11)));
        List<String> geneJob = List.of("job", "submit", "--app", "genes", "--queries", queries.toString(), "--library",
                library.toString(), "--top", "3", "--min-score", "40", "--json");
        Path maryAgent = marys == null ? null : world.agentOf(marys.path("hostId").asText());
        Instant busyAt = Instant.now();
        if (maryAgent != null) {
            Files.writeString(maryAgent.resolve("inbox/.mary.part"), "Mary moved her mouse\n");
            Files.move(maryAgent.resolve("inbox/.mary.part"), maryAgent.resolve("inbox/mary.activity"));
        }
        started = Instant.now();
        Party.Run[] distributed = new Party.Run[1];
        Thread genes = new Thread(() -> {
            List<String> args = new ArrayList<>(geneJob);
            args.addAll(List.of("--leases", leaseIds, "--wait"));
            distributed[0] = lab.isos(args.toArray(String[]::new));
        }, "demo-genes");
        genes.start();
        if (maryAgent != null) {
            world.await("Mary's host suspends its ISOS work", Duration.ofSeconds(5),
                    () -> "true".equals(LocalWorld.status(maryAgent).getProperty("suspended")));
            long pausedMillis = Duration.between(busyAt, Instant.now()).toMillis();
            progress.check("Mary's host " + marys.path("hostId").asText() + " suspended its ISOS work " + pausedMillis
                    + " ms after she moved the mouse (" + LocalWorld.status(maryAgent).getProperty("suspendedReason") + ")");
            report.result("Mary's desk: work paused", pausedMillis + " ms after her mouse moved", "agent status file");
            world.await("Mary's host resumes when she leaves", Duration.ofSeconds(30),
                    () -> "false".equals(LocalWorld.status(maryAgent).getProperty("suspended")));
            progress.check("she left: after the policy's idle period her host resumed the work it had paused");
        }
        genes.join(Duration.ofMinutes(5).toMillis());
        if (distributed[0] == null) {
            throw new DemoFailure("the gene job did not finish within 5 minutes");
        }
        JsonNode hosted = distributed[0].ok().json();
        double geneSeconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        // the reference: the same algorithm in this one process (isos job submit --local), no hosts
        List<String> localArgs = new ArrayList<>(geneJob);
        localArgs.add("--local");
        JsonNode local = lab.isos(localArgs.toArray(String[]::new)).ok().json();
        if (hosted.path("queries").isEmpty() || !hosted.path("queries").equals(local.path("queries"))) {
            throw new DemoFailure("the hosts' gene hits differ from a single-process run:\n" + hosted.path("queries")
                    + "\n" + local.path("queries"));
        }
        String first = hosted.path("queries").get(0).toString();
        progress.check("best hits and scores equal a single-process run of the same algorithm (" + first.substring(0,
                Math.min(110, first.length())) + " …; " + hosted.path("units").asInt() + " units in " + geneSeconds + " s)");
        report.result("Gene match, 6 queries × 600 sequences (isos job)", "best hits = single-process run",
                hosted.path("units").asInt() + " units, " + geneSeconds + " s");
        return leases;
    }

    /** Mary's files go to the backup company's app on other hosts as encrypted fragments, and come back. */
    private void backupDay(LocalWorld world, Party mary, Party backupCo) throws Exception {
        progress.step("Mary's files are backed up by the backup company: encrypted, erasure-coded 3-of-6, placed on six hosts");
        Path files = dir.resolve("marys-files");
        Files.createDirectories(files);
        Random random = new Random(2002);
        Path photos = files.resolve("holiday-photos.tar");
        byte[] photoBytes = new byte[3 * 1024 * 1024 + 12345];
        random.nextBytes(photoBytes);
        Files.write(photos, photoBytes);
        Path letter = files.resolve("letter-to-grandma.txt");
        String letterText = "Dear Grandma, ISOS keeps my photos safe on other people's computers.\n".repeat(200);
        Files.writeString(letter, letterText);
        Path secret = dir.resolve("homes/backup-co/mary.secret");
        Files.writeString(secret, "mary's passphrase: correct horse battery staple\n");
        Instant started = Instant.now();
        Party.Run put = backupCo.isos("backup", "put", photos.toString(), letter.toString(), "--name", "mary", "--k", "3",
                "--n", "6", "--hosts", "6", "--secret-file", secret.toString(), "--key", "backup-co", "--lease", "10m",
                "--max-per-owner", "3", "--json").ok();
        double putSeconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        JsonNode stored = put.json();
        for (JsonNode file : stored.isArray() ? stored : stored.path("files")) {
            if (file.path("k").asInt() != 3 || file.path("n").asInt() != 6) {
                throw new DemoFailure("backup stored " + file.path("name").asText() + " " + file.path("k").asInt() + "-of-"
                        + file.path("n").asInt() + ", not 3-of-6");
            }
        }
        progress.detail("stored: " + stored.toString().replaceAll("\\s+", " ").substring(0, Math.min(160, stored.toString().length())) + " …");
        long totalBytes = photoBytes.length + letterText.length();
        progress.check("put " + totalBytes / 1024 + " KiB in " + putSeconds + " s");
        // hosts hold only ciphertext: no window of the letter appears in any store file
        String window = "ISOS keeps my photos safe";
        for (Path agent : world.agents()) {
            Path stores = agent.resolve("kernel/stores");
            if (!Files.isDirectory(stores)) {
                continue;
            }
            try (var walk = Files.walk(stores)) {
                for (Path f : walk.filter(Files::isRegularFile).toList()) {
                    if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(window)) {
                        throw new DemoFailure("plaintext of Mary's letter found on " + agent.getFileName() + ": " + f);
                    }
                }
            }
        }
        progress.check("no host's store holds a byte of Mary's plaintext: fragments are AES-256-GCM ciphertext");

        // one of the hosts holding a fragment of every segment is Mary's laptop, connected only now and then
        JsonNode laptopLease = null;
        for (JsonNode lease : backupCo.isos("leases", "--state", "ACTIVE", "--json").ok().json().path("leases")) {
            if (mary.id.equals(lease.path("ownerId").asText())) {
                laptopLease = lease;
                break;
            }
        }
        Path laptop = null;
        String laptopHost = null;
        if (laptopLease != null) {
            laptopHost = laptopLease.path("hostId").asText();
            laptop = world.agentOf(laptopHost);
            progress.step("Mary closes the lid of her laptop (" + laptopHost + "), which holds a fragment of every segment:"
                    + " it drops off the network");
            world.sleep(laptop);
            String asleep = laptopHost;
            world.await("the server sees Mary's laptop OFFLINE", Duration.ofSeconds(30),
                    () -> "OFFLINE".equals(hostStatus(mary, asleep)));
            progress.check("after three missed heartbeats the server marks " + laptopHost
                    + " OFFLINE and ends the leases it held (FAILED: host lost)");
        }
        progress.step("Mary restores her files from the fragments" + (laptop == null ? "" : ", her laptop still asleep"));
        JsonNode listed = backupCo.isos("backup", "ls", "--name", "mary", "--secret-file", secret.toString(), "--json").ok().json();
        List<String> ids = new ArrayList<>();
        for (JsonNode file : listed.isArray() ? listed : listed.path("files")) {
            ids.add(file.path("id").asText());
        }
        if (ids.size() != 2) {
            throw new DemoFailure("backup ls lists " + ids.size() + " files, not 2: " + listed);
        }
        started = Instant.now();
        int restored = 0;
        for (JsonNode file : listed.isArray() ? listed : listed.path("files")) {
            Path out = dir.resolve("restored-" + Path.of(file.path("name").asText()).getFileName());
            backupCo.isos("backup", "get", file.path("id").asText(), "-o", out.toString(), "--name", "mary",
                    "--secret-file", secret.toString()).ok();
            Path original = file.path("name").asText().contains("photos") ? photos : letter;
            if (!java.util.Arrays.equals(Files.readAllBytes(out), Files.readAllBytes(original))) {
                throw new DemoFailure("restored " + out + " differs from " + original);
            }
            restored++;
        }
        double getSeconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        progress.check(restored + " files restored byte-identical in " + getSeconds + " s");
        Path wrong = dir.resolve("wrong.secret");
        Files.writeString(wrong, "not mary\n");
        Path nothing = dir.resolve("should-not-exist");
        Party.Run refused = backupCo.isos("backup", "get", ids.get(0), "-o", nothing.toString(), "--name", "mary",
                "--secret-file", wrong.toString());
        if (refused.exit() == 0 || Files.exists(nothing)) {
            throw new DemoFailure("a wrong secret was not refused cleanly: " + refused);
        }
        progress.check("a wrong secret is refused (" + refused.err().strip().lines().findFirst().orElse("") + ") and writes nothing");
        if (laptop != null) {
            progress.step("Mary opens her laptop: it reconnects; the backup company audits every fragment and repairs"
                    + " what the sleep cost onto another host");
            world.wake(laptop);
            String awake = laptopHost;
            world.await("Mary's laptop ONLINE again", Duration.ofSeconds(30), () -> "ONLINE".equals(hostStatus(mary, awake)));
            progress.check(laptopHost + " is ONLINE again and takes new work; its lease of the backup app ended while it slept");
            int missing = 0;
            for (JsonNode file : backupCo.isos("backup", "verify", "--name", "mary", "--secret-file", secret.toString(),
                    "--json").ok().json()) {
                missing += file.path("missing").asInt();
            }
            if (missing == 0) {
                throw new DemoFailure("the audit found no fragment missing after the laptop's lease ended");
            }
            // this world has two owners: the put placed 3 of 6 with each; a new holder may be either's fourth
            JsonNode repaired = backupCo.isos("backup", "repair", "--name", "mary", "--secret-file", secret.toString(),
                    "--key", "backup-co", "--lease", "10m", "--max-per-owner", "4", "--json").ok().json();
            int stillMissing = 0;
            for (JsonNode file : backupCo.isos("backup", "verify", "--name", "mary", "--secret-file", secret.toString(),
                    "--json").ok().json()) {
                stillMissing += file.path("missing").asInt() + file.path("corrupt").asInt();
            }
            if (!repaired.path("complete").asBoolean() || stillMissing != 0) {
                throw new DemoFailure("repair did not restore full redundancy: " + repaired + ", " + stillMissing
                        + " fragments still missing or corrupt");
            }
            progress.check("the audit found " + missing + " fragments gone with the laptop's lease; repair regenerated "
                    + repaired.path("regenerated").asInt() + " from 3 good ones onto " + repaired.path("newHosts")
                    + ": every file 6-of-6 again");
            report.result("Mary's laptop asleep", "files restored without it; repaired after",
                    missing + " fragments regenerated onto " + repaired.path("newHosts").size() + " new host(s)");
        }
        report.result("Backup of Mary's files (3-of-6, AES-256-GCM)", "restored byte-identical",
                String.format("%.1f MB/s put, %.1f MB/s get", totalBytes / 1e6 / putSeconds, totalBytes / 1e6 / getSeconds));
    }

    /**
     * Acme Movies publishes a film over four hosts capped like 56k-era uplinks (256 kbit/s each), erasure-coded
     * 2-of-4; Mary watches it: fragments fetched in parallel with hedging, decoded as soon as two arrive.
     */
    private void streamDay(Party movies, Party mary) throws Exception {
        progress.step("Acme Movies publishes a film on four hosts, each capped at 256 kbit/s, coded 2-of-4");
        Path movie = dir.resolve("big-buck-bunny-ish.ts");
        String made = makeMovie(movie);
        Party.Run published = movies.isos("stream", "publish", movie.toString(), "--hosts", "4", "--k", "2",
                "--rate-cap", "256kbit", "--title", "marys-movie", "--price", "0.5", "--lease", "10m", "--key",
                "acme-movies", "--json").ok();
        progress.check("published " + Files.size(movie) / 1024 + " KiB (" + made + ") as 'marys-movie', 0.5 credits a view,"
                + " registered on the server");
        progress.step("Mary watches it: the viewer asks the fastest holders for 2 fragments plus hedges, decodes the first 2 to arrive");
        Path watched = dir.resolve("watched.ts");
        // Mary pays per view from her own account: Acme's price, less the ISOS fee, goes to Acme
        mary.isos("deposit", "2", "--id", "marys-pocket-money").ok();
        Party.Run played = mary.isos("stream", "play", "marys-movie", "-o", watched.toString(), "--quiet", "--json").ok();
        long paid = 0;
        for (JsonNode entry : mary.isos("ledger", "--limit", "1000", "--json").ok().json().path("entries")) {
            if (entry.path("transferId").asText().startsWith("view:") && mary.id.equals(entry.path("ledgerAccount").asText())) {
                paid -= entry.path("amountMicros").asLong();
            }
        }
        if (paid != 500_000) {
            throw new DemoFailure("Mary paid " + Report.credits(paid) + " credits for her view, not 0.5");
        }
        progress.check("Mary bought a view of 'marys-movie' from her own account: 0.5 credits to Acme Movies, less the ISOS fee");
        if (!java.util.Arrays.equals(Files.readAllBytes(watched), Files.readAllBytes(movie))) {
            throw new DemoFailure("the movie Mary watched differs from the one Acme published");
        }
        JsonNode playback = Party.JSON.readTree(played.err().substring(played.err().indexOf('{')));
        progress.check(String.format(java.util.Locale.ROOT,
                "played to the end byte-identical: start-up %d ms, longest stall %d ms, %.0f kB/s from %d fragment fetches (%d hedged, %d cancelled)",
                playback.path("startupMillis").asLong(), playback.path("longestStallMillis").asLong(),
                playback.path("goodputBytesPerSecond").asDouble() / 1000, playback.path("fetches").asLong(),
                playback.path("hedges").asLong(), playback.path("cancelled").asLong()));
        report.result("Movie for Mary (2-of-4, 4 × 256 kbit/s)", "played byte-identical, longest stall "
                + playback.path("longestStallMillis").asLong() + " ms", String.format(java.util.Locale.ROOT,
                        "%.0f kB/s goodput, start-up %d ms", playback.path("goodputBytesPerSecond").asDouble() / 1000,
                        playback.path("startupMillis").asLong()));
        if (Files.exists(Path.of("/usr/bin/ffprobe")) && made.startsWith("ffmpeg")) {
            Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                    "csv=p=0", watched.toString()).redirectErrorStream(true).start();
            String duration = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (probe.waitFor() != 0) {
                throw new DemoFailure("ffprobe cannot read the movie Mary watched: " + duration);
            }
            progress.check("ffprobe reads what she watched: " + duration + " s of video");
        }
    }

    /** A short MPEG-TS made with ffmpeg when it is installed; otherwise pseudo-random bytes of the same size. */
    private static String makeMovie(Path movie) throws Exception {
        if (Files.exists(Path.of("/usr/bin/ffmpeg"))) {
            Process ffmpeg = new ProcessBuilder("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=12:size=320x240:rate=24", "-c:v", "mpeg2video", "-b:v", "160k", "-f", "mpegts",
                    movie.toString()).redirectErrorStream(true).start();
            String output = new String(ffmpeg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (ffmpeg.waitFor() == 0 && Files.size(movie) > 0) {
                return "ffmpeg test pattern, 12 s MPEG-2 in MPEG-TS";
            }
            throw new DemoFailure("ffmpeg could not make the movie: " + output);
        }
        byte[] bytes = new byte[300_000];
        new Random(56).nextBytes(bytes);
        Files.write(movie, bytes);
        return "pseudo-random bytes: ffmpeg is not installed";
    }

    /** Usage reaches the server and is paid; the ledger balances; the report gets the money. */
    private void settle(LocalWorld world, Party lab, Party mary, Party acmeHosting, Party devBuyer) throws Exception {
        progress.step("Every byte and CPU-second is metered and paid: usage records reach the server, the bank settles them");
        world.await("the hosts' usage records delivered", Duration.ofSeconds(60), () -> {
            try {
                for (Path agent : world.agents()) {
                    if (!"0".equals(LocalWorld.status(agent).getProperty("usage.pending"))) {
                        return false;
                    }
                }
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        JsonNode totals = Party.JSON.readTree(get(devBuyer, "v1/ledger/totals"));
        if (!totals.path("balanced").asBoolean()) {
            throw new DemoFailure("the ledger does not balance: " + totals);
        }
        long maryEarned = 0;
        for (JsonNode entry : mary.isos("ledger", "--limit", "1000", "--json").ok().json().path("entries")) {
            if (entry.path("transferId").asText().startsWith("usage:") && mary.id.equals(entry.path("ledgerAccount").asText())) {
                maryEarned += entry.path("amountMicros").asLong();
            }
        }
        if (maryEarned <= 0) {
            throw new DemoFailure("Mary earned nothing");
        }
        progress.check("Mary earned " + Report.credits(maryEarned) + " credits; the ISOS fee " + Report.credits(totals.path("feesMicros").asLong())
                + "; sum over all accounts = deposits − withdrawals = " + Report.credits(totals.path("sumOfAccountsMicros").asLong()));
        report.totals(totals);
        for (Party p : report.parties()) {
            JsonNode balance = p.isos("balance", "--json").ok().json();
            report.balance(p, balance.path("availableMicros").asLong(), balance.path("heldMicros").asLong());
        }
        // what each host earned: the owners' usage credits by lease, leases by host
        for (Party owner : List.of(mary, acmeHosting)) {
            Map<String, String> hostOfLease = new HashMap<>();
            owner.isos("leases", "--json").ok().json().path("leases")
                    .forEach(l -> hostOfLease.put(l.path("id").asText(), l.path("hostId").asText()));
            JsonNode entries = owner.isos("ledger", "--limit", "1000", "--json").ok().json().path("entries");
            for (JsonNode entry : entries) {
                String transfer = entry.path("transferId").asText();
                if (transfer.startsWith("usage:") && entry.path("ledgerAccount").asText().equals(owner.id)) {
                    String leaseId = transfer.split(":")[1];
                    report.earned(hostOfLease.getOrDefault(leaseId, "?"), owner.name, entry.path("amountMicros").asLong());
                }
            }
        }
    }

    /** A host's status as its owner sees it ({@code isos hosts}). */
    private static String hostStatus(Party owner, String hostId) {
        for (JsonNode host : owner.isos("hosts", "--json").ok().json().path("hosts")) {
            if (hostId.equals(host.path("hostId").asText())) {
                return host.path("status").asText();
            }
        }
        return "UNKNOWN";
    }

    private static String get(Party party, String path) throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory
                .getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("isos", ca(party));
        tmf.init(trust);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(tls).build();
        String base = party.env.get("ISOS_SERVER");
        java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create((base.endsWith("/") ? base : base + "/") + path))
                .header("Authorization", "Bearer " + party.token()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new DemoFailure("GET /" + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** The stores of these leases still on some host's disk. */
    private static List<Path> storesLeft(LocalWorld world, List<JsonNode> leases) {
        List<Path> left = new ArrayList<>();
        for (JsonNode lease : leases) {
            try {
                Path agent = world.agentOf(lease.path("hostId").asText());
                Path store = agent.resolve("kernel/stores/" + lease.path("id").asText());
                if (Files.exists(store)) {
                    left.add(store);
                }
            } catch (java.io.IOException e) {
                left.add(Path.of(lease.path("id").asText()));
            }
        }
        return left;
    }

    private static int hostedAnywhere(LocalWorld world, List<JsonNode> leases) {
        try {
            int hosted = 0;
            for (Path agent : world.agents()) {
                var status = LocalWorld.status(agent);
                for (JsonNode lease : leases) {
                    hosted += status.getProperty("app." + lease.path("id").asText() + ".state") != null ? 1 : 0;
                }
            }
            return hosted;
        } catch (java.io.IOException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static X509Certificate ca(Party party) throws Exception {
        try (var in = Files.newInputStream(party.home().resolve("ca.pem"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** {@code count} random DNA sequences of {@code length} bases, the same for the same seed. */
    static List<String> randomBases(int count, int length, long seed) {
        Random random = new Random(seed);
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder body = new StringBuilder(length);
            for (int j = 0; j < length; j++) {
                body.append("ACGT".charAt(random.nextInt(4)));
            }
            bodies.add(body.toString());
        }
        return bodies;
    }

    /** Genes cut from library sequences with a few mutations, so each has a true best hit. */
    static List<String> mutatedCuts(List<String> library, int count, long seed) {
        Random random = new Random(seed);
        List<String> genes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String source = library.get(random.nextInt(library.size()));
            int start = random.nextInt(source.length() - 100);
            char[] gene = source.substring(start, start + 100).toCharArray();
            for (int m = 0; m < 6; m++) {
                gene[random.nextInt(gene.length)] = "ACGT".charAt(random.nextInt(4));
            }
            genes.add(new String(gene));
        }
        return genes;
    }

    /** Sequences as FASTA text ({@code >prefixN} headers), as a user's file holds them. */
    static String fastaText(String prefix, List<String> bodies) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < bodies.size(); i++) {
            text.append('>').append(prefix).append(i).append('\n').append(bodies.get(i)).append('\n');
        }
        return text.toString();
    }
}
